#!/usr/bin/env python3
"""Runs run_known_rounds with BARRIER_SHIM_STATS and checks the report.

usage: check_stats_report.py --preload LIBS
           --stats file|stderr|unwritable|per-pid|json [--render TOOL]
           [--check-init-sites]
           [--live-file-blocked-by file-size-limit|full-tmpdir] -- PROGRAM MODE

LIBS is the LD_PRELOAD value for the program alone (this script runs without
it); empty for the stock-glibc control, which must fail. --stats says where
the report is asked to go: a fresh file, stderr (BARRIER_SHIM_STATS=1), a
path that cannot be opened (the report must then come on stderr after a
note), DIR/stats.%p.txt (one file per process, named by its pid), or
DIR/stats.%p.json (the same, in JSON Lines).

With --live-file-blocked-by no live file can be made: the program runs with
RLIMIT_FSIZE below the live file's length (file-size-limit), or with TMPDIR
a full 16 KiB tmpfs (full-tmpdir: mounted in a private user and mount
namespace; the test is skipped, status 77, where unshare cannot make one).
The program must still run to its end, with one warning that no live file
could be made and the report at exit as usual (its counts kept in memory).

MODE is run_known_rounds' mode. For sigterm, sigint and sigkill the program
must end by that signal with no report, and its statistics must be left in
its live file (TMPDIR/barrier-shim-stats.PID.live, TMPDIR a fresh
directory), which TOOL (barrier-shim-stats) renders. For pause, the live
file is rendered with TOOL while the program runs, then the program ends
normally. In every other mode, and after pause, no live file may be left.

For every process the program names ("pid N", "child pid N"), its lines
("barrier ADDRESS kind K rounds R waits W", "unmap-lock calls C") are what
that process's report must say: exactly one report from that pid, with a row
for exactly those barriers, each with those rounds and waits and that kind,
no broken waits, rounds + spun + yielded + slept == waits, and C unmap-lock
calls. With --check-init-sites, each row must also name where its barrier
was initialised: the function the program names ("init NAME"), in the
program's file, at an offset that addr2line resolves to that function.
"""
import argparse
import json
import os
import re
import resource
import signal
import shlex
import subprocess
import sys
import tempfile

PREFIX = "barrier-shim: stats: "
HEADER = re.compile(r"^pid (\d+): one row per barrier")
ROW = re.compile(r"^(0x[0-9a-f]{16}|other-barriers)\s+(private|shared|both|-)\s+(\d+|-|mixed)\s+"
                 r"(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+\.\d{6})\s+(.*)$")
UNMAP = re.compile(r"^unmap lock: (\d+) calls, (\d+) had to wait, (\d+\.\d{6}) s waiting "
                   r"in total, longest (\d+\.\d{6}) s$")


def expectations_from(stdout):
    """{pid: {"barriers": {address: (kind, rounds, waits)}, "unmap_calls": n}}"""
    processes, current = {}, None
    for line in stdout.splitlines():
        named = re.match(r"^(?:child )?pid (\d+)$", line)
        if named:
            current = processes.setdefault(int(named[1]), {"barriers": {}, "unmap_calls": None})
            continue
        barrier = re.match(r"^barrier \w+ (0x[0-9a-f]+) kind (\w+) rounds (\d+) waits (\d+)"
                           r" init (\w+)$", line)
        if barrier and current is not None:
            current["barriers"][int(barrier[1], 16)] = (barrier[2], int(barrier[3]),
                                                        int(barrier[4]), barrier[5])
        calls = re.match(r"^unmap-lock calls (\d+)$", line)
        if calls and current is not None:
            current["unmap_calls"] = int(calls[1])
    return processes


def reports_in(text):
    """{pid: [report, ...]}, each report {"rows": {address: fields}, "unmap": (...)}"""
    reports, current = {}, None
    for line in text.splitlines():
        if not line.startswith(PREFIX):
            continue
        body = line[len(PREFIX):]
        header = HEADER.match(body)
        if header:
            current = {"rows": {}, "unmap": None}
            reports.setdefault(int(header[1]), []).append(current)
            continue
        if current is None:
            continue
        row = ROW.match(body)
        if row:
            address = 0 if row[1] == "other-barriers" else int(row[1], 16)
            current["rows"][address] = {
                "kind": row[2], "count": row[3], "rounds": int(row[4]), "waits": int(row[5]),
                "spun": int(row[6]), "yielded": int(row[7]), "slept": int(row[8]),
                "broken": int(row[9]), "site": row[11]}
        unmap = UNMAP.match(body)
        if unmap:
            current["unmap"] = (int(unmap[1]), int(unmap[2]))
    return reports


def json_reports_in(text):
    """The same as reports_in, from JSON Lines (one object per process)."""
    reports = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            report = json.loads(line)
        except ValueError as error:
            reports.setdefault(None, []).append({"rows": {}, "unmap": None,
                                                 "error": f"not JSON ({error}): {line[:80]}"})
            continue
        rows = {}
        for row in report["barriers"]:
            site = row["initialised_at"]
            site_text = "-"
            if site is not None:
                site_text = (f"{site['function'] or '??'}+{site['function_offset']} "
                             f"({site['object']}+{site['offset']})")
            rows[int(row["barrier"], 16)] = {
                key: row[key] for key in ("kind", "rounds", "waits", "spun", "yielded",
                                          "slept", "broken")}
            rows[int(row["barrier"], 16)]["site"] = site_text
        unmap = report["unmap_lock"]
        reports.setdefault(report["pid"], []).append(
            {"rows": rows, "unmap": (unmap["calls"], unmap["had_to_wait"])})
    return reports


SITE = re.compile(r"^(\S+)\+0x[0-9a-f]+ \((.+)\+(0x[0-9a-f]+)\)$")


def site_problems(pid, address, site, function, program):
    """The row's init site must be `function`, in `program`, at an offset
    addr2line resolves to it."""
    where = f"pid {pid}: barrier {address:#x}"
    named = SITE.match(site)
    if named is None:
        return [f"{where}: init site {site!r} is not 'FUNCTION+0xN (OBJECT+0xN)'"]
    problems = []
    if named[1] != function:
        problems.append(f"{where}: initialised at {named[1]}, expected {function}")
    if os.path.realpath(named[2]) != os.path.realpath(program):
        problems.append(f"{where}: init site object {named[2]}, expected {program}")
    # A return address: its call is the byte before, as debuggers look it up.
    before = hex(int(named[3], 16) - 1)
    found = subprocess.run(["addr2line", "-f", "-i", "-e", program, before], capture_output=True,
                           text=True, check=False, timeout=30).stdout.splitlines()[0::2]
    if function not in found:
        problems.append(f"{where}: addr2line puts offset {named[3]} in {found}, not {function}")
    return problems


def problems_with(expected, reports, program=None):
    problems = []
    if not expected:
        return ["the program named no process"]
    for report in reports.get(None, []):
        problems.append(report["error"])
    for pid in reports:
        if pid is None:
            continue
        if pid not in expected:
            problems.append(f"a report from an unexpected process {pid}")
    for pid, wanted in expected.items():
        mine = reports.get(pid, [])
        if len(mine) != 1:
            problems.append(f"pid {pid}: {len(mine)} reports, expected exactly 1")
            continue
        rows = mine[0]["rows"]
        if set(rows) != set(wanted["barriers"]):
            problems.append(f"pid {pid}: rows for {sorted(hex(a) for a in rows)}, expected "
                            f"{sorted(hex(a) for a in wanted['barriers'])}")
        for address, (kind, rounds, waits, init) in wanted["barriers"].items():
            row = rows.get(address)
            if row is None:
                continue
            if program is not None:
                problems += site_problems(pid, address, row["site"], init, program)
            if (row["kind"], row["rounds"], row["waits"]) != (kind, rounds, waits):
                problems.append(f"pid {pid}: barrier {address:#x}: {row['kind']}, "
                                f"{row['rounds']} rounds, {row['waits']} waits; expected "
                                f"{kind}, {rounds} rounds, {waits} waits")
            outcomes = row["rounds"] + row["spun"] + row["yielded"] + row["slept"]
            if row["broken"] != 0 or outcomes != row["waits"]:
                problems.append(f"pid {pid}: barrier {address:#x}: outcomes {row} do not add "
                                "up to the waits")
        unmap = mine[0]["unmap"]
        if unmap is None:
            problems.append(f"pid {pid}: no unmap-lock line")
        elif unmap[0] != wanted["unmap_calls"]:
            problems.append(f"pid {pid}: {unmap[0]} unmap-lock calls, "
                            f"expected {wanted['unmap_calls']}")
    return problems


KILLED_BY = {"sigterm": signal.SIGTERM, "sigint": signal.SIGINT, "sigkill": signal.SIGKILL}


def live_files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".live"))


def render(tool, path):
    # TOOL may carry arguments: "scripts/barrier-shim --show-stats".
    result = subprocess.run(shlex.split(tool) + [path], capture_output=True, text=True,
                            timeout=60, check=False)
    return result.stdout + result.stderr


FILE_SIZE_LIMIT = 16384  # bytes, below the live file's length (whole table pages)
NO_LIVE_FILE = re.compile(r"^barrier-shim: BARRIER_SHIM_STATS=.* no live file could be made",
                          re.M)


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def command_in_a_full_tmpdir(command, env):
    """`command` run with TMPDIR a full 16 KiB tmpfs, mounted in a private user
    and mount namespace; only the program itself gets LD_PRELOAD."""
    mount_point = env["TMPDIR"]
    settings = [f"{name}={env[name]}" for name in ("LD_PRELOAD", "BARRIER_SHIM_STATS")]
    script = ('mount -t tmpfs -o size=16k none "$0" || exit 77; '
              'dd if=/dev/zero of="$0/filler" bs=4096 2>/dev/null; exec env "$@"')
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script,
            mount_point] + settings + command


def run(args, env, directory):
    """Runs the program; returns (returncode, stdout, stderr, rendered live
    files text or None)."""
    if args.live_file_blocked_by == "full-tmpdir":
        wrapper_env = {name: value for name, value in env.items() if name != "LD_PRELOAD"}
        result = subprocess.run(command_in_a_full_tmpdir([args.program, args.mode], env),
                                env=wrapper_env, capture_output=True, text=True, timeout=60,
                                check=False)
        return result.returncode, result.stdout, result.stderr, None
    if args.mode != "pause":
        preexec = limit_file_size if args.live_file_blocked_by == "file-size-limit" else None
        result = subprocess.run([args.program, args.mode], env=env, capture_output=True,
                                text=True, timeout=60, check=False, preexec_fn=preexec)
        rendered = None
        if args.mode in KILLED_BY and args.render:
            rendered = "".join(render(args.render, os.path.join(directory, name))
                               for name in live_files(directory))
        return result.returncode, result.stdout, result.stderr, rendered
    # pause: render while it waits for its standard input to end.
    program = subprocess.Popen([args.program, args.mode], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout = ""
    for line in program.stdout:
        stdout += line
        if line.startswith("waiting for stdin") or line.startswith("FAIL") or \
                line.startswith("SETUP"):
            break
    rendered = "".join(render(args.render, os.path.join(directory, name))
                       for name in live_files(directory)) if args.render else ""
    rest, stderr = program.communicate(input="", timeout=60)
    return program.returncode, stdout + rest, stderr, rendered


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", required=True)
    parser.add_argument("--stats", choices=["file", "stderr", "unwritable", "per-pid", "json"],
                        required=True)
    parser.add_argument("--render", help="barrier-shim-stats, for the live files")
    parser.add_argument("--check-init-sites", action="store_true")
    parser.add_argument("--live-file-blocked-by", choices=["file-size-limit", "full-tmpdir"])
    parser.add_argument("program")
    parser.add_argument("mode")
    args = parser.parse_args()
    if args.live_file_blocked_by == "full-tmpdir" and subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "true"],
            capture_output=True, check=False).returncode != 0:
        print("SKIP: unshare cannot make a user and mount namespace here")
        return 77
    problems = []
    with tempfile.TemporaryDirectory() as directory:
        report_path = os.path.join(directory, "stats.txt")
        value = {"file": report_path, "stderr": "1",
                 "unwritable": os.path.join(directory, "missing-directory", "stats.txt"),
                 "per-pid": os.path.join(directory, "stats.%p.txt"),
                 "json": os.path.join(directory, "stats.%p.json")}
        env = dict(os.environ, LD_PRELOAD=args.preload, BARRIER_SHIM_STATS=value[args.stats],
                   TMPDIR=directory)
        env.pop("BARRIER_SHIM_WATCHDOG", None)
        returncode, stdout, stderr, rendered = run(args, env, directory)
        if args.live_file_blocked_by == "full-tmpdir" and returncode == 77:
            print("SKIP: no tmpfs could be mounted in the namespace")
            return 77
        expected = expectations_from(stdout)
        report_text = stderr
        if args.stats in ("file", "per-pid", "json"):
            names = [report_path] if args.stats == "file" else [
                value[args.stats].replace("%p", str(pid)) for pid in expected]
            report_text = ""
            for name in names:
                if os.path.exists(name):
                    with open(name, encoding="utf-8") as report_file:
                        report_text += report_file.read()
                elif args.mode not in KILLED_BY:
                    problems.append(f"no report file {os.path.basename(name)}")
            others = sorted(set(os.listdir(directory)) - {os.path.basename(n) for n in names}
                            - set(live_files(directory)))
            if others:
                problems.append(f"other files in the report directory: {others}")
        left = live_files(directory)
    if args.mode in KILLED_BY:
        if returncode != -KILLED_BY[args.mode]:
            problems.append(f"the program ended with {returncode}, "
                            f"not killed by {KILLED_BY[args.mode].name}")
        if PREFIX in report_text:
            problems.append("a report although the process was killed")
        report_text = rendered or ""
        if not left:
            problems.append("no live file left behind for the killed process")
    else:
        if returncode != 0:
            problems.append(f"the program exited with {returncode}")
        if left:
            problems.append(f"live files left behind after the report was written: {left}")
    if args.live_file_blocked_by and args.preload and len(NO_LIVE_FILE.findall(stderr)) != 1:
        problems.append("not exactly one warning that no live file could be made")
    if args.stats == "unwritable" and not re.search(
            r"^barrier-shim: stats: cannot open .*; the report follows on stderr$",
            stderr, re.M):
        problems.append("no note that the report path could not be opened")
    if args.stats != "stderr" and args.stats != "unwritable" and PREFIX in stderr:
        problems.append("report lines on stderr although a file was asked for")
    program = args.program if args.check_init_sites else None
    if args.mode == "pause":
        problems += [f"while running: {p}"
                     for p in problems_with(expected, reports_in(rendered or ""), program)]
    reports = json_reports_in(report_text) if args.stats == "json" else reports_in(report_text)
    problems += problems_with(expected, reports, program)
    sys.stdout.write(stdout + "--- stderr ---\n" + stderr)
    if args.stats != "stderr":
        sys.stdout.write("--- report ---\n" + report_text)
    if rendered is not None:
        sys.stdout.write("--- rendered live file ---\n" + rendered)
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("PASS: the report counts every round, wait and unmap-lock call the program made")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
