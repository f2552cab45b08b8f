#!/usr/bin/env python3
"""A round completed whose last arriver had not returned when the process
exited: the statistics must account for it.

usage: check_unreturned_round.py LIBS PROGRAM

PROGRAM is exit_before_the_last_arriver_returns, run with LD_PRELOAD=LIBS
(empty: stock glibc, the control, which must fail) and BARRIER_SHIM_STATS=1.
It completes exactly one round of a private barrier of count 2 and exits
while that round's last arriver is still inside pthread_barrier_wait. Its
row must add up (waits = rounds + spun + yielded + slept + broken) and must
account for the round: either counted in rounds, or named in the note that
follows the row ("at least 1 round completed whose last arriver had not
returned"). Exit status 77 of the program (real-time scheduling refused
here) skips the test.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_stats_report import PREFIX, reports_in  # noqa: E402

NOTE = re.compile(r"^barrier-shim: stats: (0x[0-9a-f]{16}): at least (\d+) rounds? completed "
                  r"whose last arriver had not returned", re.M)


def main():
    libs, program = sys.argv[1], sys.argv[2]
    env = dict(os.environ, LD_PRELOAD=libs, BARRIER_SHIM_STATS="1")
    env.pop("BARRIER_SHIM_WATCHDOG", None)
    result = subprocess.run([program], env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    sys.stdout.write(result.stdout + "--- stderr ---\n" + result.stderr)
    if result.returncode == 77:
        print("SKIP: real-time scheduling is not permitted here")
        return 77
    problems = []
    if result.returncode != 0:
        problems.append(f"the program exited with {result.returncode}")
    pid = re.search(r"^pid (\d+)$", result.stdout, re.M)
    barrier = re.search(r"^barrier (0x[0-9a-f]+) count 2 rounds 1$", result.stdout, re.M)
    reports = reports_in(result.stderr)
    if pid is None or barrier is None:
        problems.append("the program did not name its pid and barrier")
    elif len(reports.get(int(pid[1]), [])) != 1:
        problems.append("not exactly one report from the program")
    else:
        address = int(barrier[1], 16)
        row = reports[int(pid[1])][0]["rows"].get(address)
        if row is None:
            problems.append(f"no row for barrier {address:#x}")
        else:
            outcomes = row["rounds"] + row["spun"] + row["yielded"] + row["slept"] + row["broken"]
            if outcomes != row["waits"]:
                problems.append(f"the row does not add up: {row}")
            noted = sum(int(n[2]) for n in NOTE.finditer(result.stderr)
                        if int(n[1], 16) == address)
            if row["rounds"] + noted != 1:
                problems.append(f"{row['rounds']} rounds counted and {noted} noted as missing "
                                "their last arriver; 1 round completed")
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("PASS: the round whose last arriver had not returned is accounted for")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
