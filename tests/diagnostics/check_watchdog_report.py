#!/usr/bin/env python3
"""Runs hang_at_barrier with the watchdog on and checks its reports.

usage: check_watchdog_report.py --preload LIBS --watchdog SECONDS
           [--expect-no-mallocs] -- PROGRAM MODE

LIBS is the LD_PRELOAD value for the program alone (this script runs without
it); empty for the stock-glibc control, which must fail. Checked, for every
process the program names ("pid N", "child pid N"), each of which has one
participant blocked in wait_for_missing_participant:
  - exactly one stuck report from that pid, for the stuck round;
  - it says count 3, arrived 2, and private or process-shared as MODE asks;
  - its backtrace has a frame "wait_for_missing_participant+0x...";
  - exactly one completion line from that pid for that barrier and round,
    after at least as long as the report said it had waited;
and no watchdog output from anyone else. With --expect-no-mallocs, the
program's "mallocs while stuck" line must say 0.
"""
import argparse
import os
import re
import subprocess
import sys

STUCK = re.compile(
    r"^barrier-shim: watchdog: pid (\d+) tid (\d+): waiting (\d+\.\d)s at barrier "
    r"(0x[0-9a-f]{16}) \(count (\d+), arrived ([^,]+), round (\d+), "
    r"(private|process-shared)\)$")
BACKTRACE = re.compile(r"^barrier-shim: watchdog: backtrace of tid (\d+):$")
END = re.compile(r"^barrier-shim: watchdog: end of report for tid (\d+)$")
COMPLETED = re.compile(
    r"^barrier-shim: watchdog: pid (\d+): barrier (0x[0-9a-f]{16}) round (\d+) "
    r"completed after (\d+\.\d)s$")
FRAME = re.compile(r"^  #\d+ 0x[0-9a-f]{16} wait_for_missing_participant\+0x[0-9a-f]+"
                   r"(?: \(.+\+0x[0-9a-f]+\))?$")


def parse_reports(stderr_lines):
    """Stuck reports (with their backtrace lines) and completion lines."""
    reports, completions, in_report = [], [], None
    for line in stderr_lines:
        if in_report is not None:
            in_report["lines"].append(line)
            if END.match(line):
                in_report = None
            continue
        stuck = STUCK.match(line)
        if stuck:
            in_report = {"pid": int(stuck[1]), "tid": stuck[2], "waited": float(stuck[3]),
                         "barrier": stuck[4], "count": stuck[5], "arrived": stuck[6],
                         "round": stuck[7], "kind": stuck[8], "lines": []}
            reports.append(in_report)
            continue
        completed = COMPLETED.match(line)
        if completed:
            completions.append({"pid": int(completed[1]), "barrier": completed[2],
                                "round": completed[3], "after": float(completed[4])})
        elif line.startswith("barrier-shim: watchdog:"):
            reports.append({"pid": None, "unexpected": line})
    return reports, completions


def problems_with(args, result):
    problems = []
    if result.returncode != 0:
        problems.append(f"the program exited with {result.returncode}")
    pids = [int(m[1]) for m in re.finditer(r"^(?:child )?pid (\d+)$", result.stdout, re.M)]
    expected_pids = 2 if args.mode == "shared" else 1
    if len(pids) != expected_pids:
        return problems + [f"the program named {len(pids)} processes, not {expected_pids}"]
    reports, completions = parse_reports(result.stderr.splitlines())
    kind = "process-shared" if args.mode == "shared" else "private"
    for report in reports:
        if report["pid"] not in pids:
            problems.append(f"watchdog output from an unexpected process: {report}")
    for pid in pids:
        mine = [r for r in reports if r["pid"] == pid]
        if len(mine) != 1:
            problems.append(f"pid {pid}: {len(mine)} stuck reports, expected exactly 1")
            continue
        report = mine[0]
        for field, wanted in (("count", "3"), ("arrived", "2"), ("kind", kind)):
            if report[field] != wanted:
                problems.append(f"pid {pid}: {field} is {report[field]!r}, expected {wanted!r}")
        if not any(FRAME.match(line) for line in report["lines"]):
            problems.append(f"pid {pid}: no frame of wait_for_missing_participant "
                            "in the backtrace")
        header = BACKTRACE.match(report["lines"][0]) if report["lines"] else None
        if header is None or header[1] != report["tid"]:
            problems.append(f"pid {pid}: the stuck line is not followed by its backtrace")
        done = [c for c in completions if c["pid"] == pid]
        if len(done) != 1:
            problems.append(f"pid {pid}: {len(done)} completion lines, expected exactly 1")
        elif (done[0]["barrier"], done[0]["round"]) != (report["barrier"], report["round"]):
            problems.append(f"pid {pid}: the completion line names another barrier or round")
        elif done[0]["after"] < report["waited"]:
            problems.append(f"pid {pid}: completed after {done[0]['after']}s, "
                            f"before the {report['waited']}s the report said it waited")
    if args.expect_no_mallocs:
        mallocs = re.search(r"^mallocs while stuck: (-?\d+)$", result.stdout, re.M)
        if mallocs is None:
            problems.append("no 'mallocs while stuck' line: is the malloc counter preloaded?")
        elif int(mallocs[1]) != 0:
            problems.append(f"{mallocs[1]} malloc-family calls while the round was stuck")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", required=True)
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--expect-no-mallocs", action="store_true")
    parser.add_argument("program")
    parser.add_argument("mode", choices=["private", "shared"])
    args = parser.parse_args()
    env = dict(os.environ, LD_PRELOAD=args.preload, BARRIER_SHIM_WATCHDOG=args.watchdog)
    env.pop("BARRIER_SHIM_STATS", None)
    result = subprocess.run([args.program, args.mode], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    problems = problems_with(args, result)
    sys.stdout.write(result.stdout)
    sys.stdout.write("--- stderr ---\n" + result.stderr)
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("PASS: one report per stuck process, naming the waiting function, "
              "and one completion line")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
