#!/usr/bin/env python3
"""Runs stuck_on_a_small_stack with the watchdog on and checks that the report
fitted the stack it ran on.

usage: check_small_stack_report.py --preload LIBS --watchdog SECONDS
           --backtrace full|omitted|either PROGRAM MODE

LIBS is the LD_PRELOAD value for the program alone (this script runs without
it); empty for the stock-glibc control, which must fail. The program's
missing participant arrives when this script writes a line to its stdin:
once the stuck report has ended (or a deadline has passed), so the report is
written while the waiter is still stuck. Checked:
  - the program exited 0 (no crash, no heap corruption, the round completed,
    and for alternate-signal-stack, nothing was written outside that stack);
  - exactly one stuck report from its pid, and exactly one completion line
    for that barrier and round;
  - the report's backtrace, as --backtrace asks: "full" has a frame
    "wait_for_missing_participant+0x..."; "omitted" has instead the line
    "  (backtrace omitted: N bytes of stack left, M needed)" with N < M (and
    N no more than the "stack left about N" the program printed, if it did);
    "either" accepts both.
"""
import argparse
import os
import re
import subprocess
import sys
import threading

# The report's lines and their parser are the watchdog checker's.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_watchdog_report import BACKTRACE, END, FRAME, parse_reports  # noqa: E402

OMITTED = re.compile(r"^  \(backtrace omitted: (\d+) bytes of stack left, (\d+) needed\)$")

# How long the stuck report may take to appear: the watchdog's threshold plus
# plenty for a loaded machine. The program bounds itself at 20 s.
REPORT_DEADLINE_S = 5.0


class Reader(threading.Thread):
    """Collects a stream's lines; `ended` is set once a line matches `until`
    (or the stream closes)."""

    def __init__(self, stream, until=None):
        super().__init__(daemon=True)
        self.stream, self.until, self.lines = stream, until, []
        self.ended = threading.Event()

    def run(self):
        for line in self.stream:
            self.lines.append(line.rstrip("\n"))
            if self.until is not None and self.until.match(self.lines[-1]):
                self.ended.set()
        self.ended.set()


def run_program(args):
    env = dict(os.environ, LD_PRELOAD=args.preload, BARRIER_SHIM_WATCHDOG=args.watchdog)
    env.pop("BARRIER_SHIM_STATS", None)
    program = subprocess.Popen([args.program, args.mode], env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out, err = Reader(program.stdout), Reader(program.stderr, until=END)
    out.start()
    err.start()
    report_ended = err.ended.wait(REPORT_DEADLINE_S)
    try:
        program.stdin.write("arrive\n")  # the missing participant may come now
        program.stdin.close()
    except BrokenPipeError:
        pass  # it has already ended
    returncode = program.wait(timeout=60)
    out.join(timeout=10)
    err.join(timeout=10)
    return returncode, out.lines, err.lines, report_ended


def backtrace_problems(args, report, stdout_lines):
    lines = report["lines"]
    header = BACKTRACE.match(lines[0]) if lines else None
    if header is None or header[1] != report["tid"]:
        return ["the stuck line is not followed by its backtrace"]
    if not lines or not END.match(lines[-1]):
        return ["the report has no end line"]
    full = any(FRAME.match(line) for line in lines)
    omitted = [OMITTED.match(line) for line in lines if OMITTED.match(line)]
    if full and not omitted:
        return [] if args.backtrace in ("full", "either") else \
            ["the backtrace was written, although the stack was nearly full"]
    if omitted and not full:
        if args.backtrace == "full":
            return [f"the backtrace was omitted: {omitted[0][0].strip()}"]
        left, needed = int(omitted[0][1]), int(omitted[0][2])
        if left >= needed:
            return [f"omitted with {left} bytes left, although only {needed} are needed"]
        printed = [int(m[1]) for m in (re.match(r"^stack left about (\d+)$", line)
                                       for line in stdout_lines) if m]
        if printed and left > printed[0]:
            return [f"says {left} bytes of stack left, more than the {printed[0]} the "
                    "program left itself"]
        return []
    return ["the report has neither a frame of wait_for_missing_participant nor a "
            "'backtrace omitted' line saying why"]


def problems_with(args, returncode, stdout_lines, stderr_lines, report_ended):
    problems = []
    if returncode < 0:
        problems.append(f"the program was killed by signal {-returncode}")
    elif returncode != 0:
        problems.append(f"the program exited with {returncode}")
    if not report_ended:
        problems.append(f"no end of a stuck report within {REPORT_DEADLINE_S} s")
    pids = [int(m[1]) for m in (re.match(r"^pid (\d+)$", line) for line in stdout_lines) if m]
    if len(pids) != 1:
        return problems + [f"the program named {len(pids)} processes, not 1"]
    reports, completions = parse_reports(stderr_lines)
    for report in reports:
        if report["pid"] != pids[0]:
            problems.append(f"watchdog output from an unexpected process: {report}")
    mine = [r for r in reports if r["pid"] == pids[0]]
    if len(mine) != 1:
        return problems + [f"{len(mine)} stuck reports, expected exactly 1"]
    problems += backtrace_problems(args, mine[0], stdout_lines)
    done = [c for c in completions if c["pid"] == pids[0]]
    if len(done) != 1:
        problems.append(f"{len(done)} completion lines, expected exactly 1")
    elif (done[0]["barrier"], done[0]["round"]) != (mine[0]["barrier"], mine[0]["round"]):
        problems.append("the completion line names another barrier or round")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", required=True)
    parser.add_argument("--watchdog", required=True)
    parser.add_argument("--backtrace", required=True, choices=["full", "omitted", "either"])
    parser.add_argument("program")
    parser.add_argument("mode")
    args = parser.parse_args()
    returncode, stdout_lines, stderr_lines, report_ended = run_program(args)
    problems = problems_with(args, returncode, stdout_lines, stderr_lines, report_ended)
    sys.stdout.write("\n".join(stdout_lines) + "\n")
    sys.stdout.write("--- stderr ---\n" + "\n".join(stderr_lines) + "\n")
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("PASS: the report fitted the stack it ran on")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
