#!/usr/bin/env python3
"""Runs run_known_rounds with BARRIER_SHIM_STATS and checks the report.

usage: check_stats_report.py --preload LIBS --stats file|stderr|unwritable
           -- PROGRAM MODE

LIBS is the LD_PRELOAD value for the program alone (this script runs without
it); empty for the stock-glibc control, which must fail. --stats says where
the report is asked to go: a fresh file, stderr (BARRIER_SHIM_STATS=1), or a
path that cannot be opened (the report must then come on stderr after a note).

For every process the program names ("pid N", "child pid N"), its lines
("barrier ADDRESS kind K rounds R waits W", "unmap-lock calls C") are what
that process's report must say: exactly one report from that pid, with a row
for exactly those barriers, each with those rounds and waits and that kind,
no broken waits, rounds + spun + yielded + slept == waits, and C unmap-lock
calls.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

PREFIX = "barrier-shim: stats: "
HEADER = re.compile(r"^pid (\d+): one row per barrier")
ROW = re.compile(r"^(0x[0-9a-f]{16}|other-barriers)\s+(private|shared|both|-)\s+"
                 r"(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+\.\d{6})$")
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
        barrier = re.match(r"^barrier \w+ (0x[0-9a-f]+) kind (\w+) rounds (\d+) waits (\d+)$",
                           line)
        if barrier and current is not None:
            current["barriers"][int(barrier[1], 16)] = (barrier[2], int(barrier[3]),
                                                        int(barrier[4]))
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
                "kind": row[2], "rounds": int(row[3]), "waits": int(row[4]),
                "spun": int(row[5]), "yielded": int(row[6]), "slept": int(row[7]),
                "broken": int(row[8])}
        unmap = UNMAP.match(body)
        if unmap:
            current["unmap"] = (int(unmap[1]), int(unmap[2]))
    return reports


def problems_with(expected, reports):
    problems = []
    if not expected:
        return ["the program named no process"]
    for pid in reports:
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
        for address, (kind, rounds, waits) in wanted["barriers"].items():
            row = rows.get(address)
            if row is None:
                continue
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", required=True)
    parser.add_argument("--stats", choices=["file", "stderr", "unwritable"], required=True)
    parser.add_argument("program")
    parser.add_argument("mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        report_path = os.path.join(directory, "stats.txt")
        value = {"file": report_path, "stderr": "1",
                 "unwritable": os.path.join(directory, "missing-directory", "stats.txt")}
        env = dict(os.environ, LD_PRELOAD=args.preload, BARRIER_SHIM_STATS=value[args.stats])
        env.pop("BARRIER_SHIM_WATCHDOG", None)
        result = subprocess.run([args.program, args.mode], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        report_text = result.stderr
        if args.stats == "file":
            report_text = ""
            if os.path.exists(report_path):
                with open(report_path, encoding="utf-8") as report_file:
                    report_text = report_file.read()
    problems = []
    if result.returncode != 0:
        problems.append(f"the program exited with {result.returncode}")
    if args.stats == "unwritable" and not re.search(
            r"^barrier-shim: stats: cannot open .*; the report follows on stderr$",
            result.stderr, re.M):
        problems.append("no note that the report path could not be opened")
    if args.stats == "file" and PREFIX in result.stderr:
        problems.append("report lines on stderr although a file was asked for")
    problems += problems_with(expectations_from(result.stdout), reports_in(report_text))
    sys.stdout.write(result.stdout + "--- stderr ---\n" + result.stderr)
    if args.stats == "file":
        sys.stdout.write("--- report file ---\n" + report_text)
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("PASS: the report counts every round, wait and unmap-lock call the program made")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
