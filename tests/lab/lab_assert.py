#!/usr/bin/env python3
"""The race lab's assertions, on OUT/results.csv (see lab_table.py):
every shim cell passes, and enters the race window where the case has one
(its release began while another waiter was still inside its wait; whether
it also ended before that waiter left is the shim's choice, reported only);
the negative control fails every case marked 'control'. The libc and musl
columns are only reported. Exit 0 when all hold, 1 otherwise.

usage: lab_assert.py results.csv"""
import csv
import sys


def flags(row):
    return row["flags"].split(",")


def problems(rows):
    found = []
    shim_cases = {row["case"] for row in rows if row["column"] == "shim"}
    control_cases = {row["case"] for row in rows if row["column"] == "control"}
    for row in rows:
        case, column, verdict = row["case"], row["column"], row["verdict"]
        if column == "shim" and verdict not in ("pass", "pass-no-overlap"):
            found.append(f"shim/{case}: {verdict} ({row['failed']}/{row['rounds']} failed, "
                         f"covered {row['covered']}): {row['first']}")
        if column == "control" and "control" in flags(row) and verdict != "FAIL":
            found.append(f"control/{case}: the broken barrier was not caught "
                         f"({verdict}, {row['rounds']} rounds): the detectors missed it")
    if not shim_cases:
        found.append("no shim column: nothing to assert")
    if not control_cases:
        found.append("no control column: the detectors are unproven")
    return found


def main():
    with open(sys.argv[1], newline="") as stream:
        rows = list(csv.DictReader(stream))
    found = problems(rows)
    shim = sum(row["column"] == "shim" for row in rows)
    control = sum(row["column"] == "control" and "control" in flags(row) for row in rows)
    for problem in found:
        print(f"race-lab: ASSERT {problem}")
    if found:
        print(f"race-lab: assertions FAILED ({len(found)} problem(s))")
        return 1
    print(f"race-lab: assertions passed: {shim} shim cells pass (window entered where there is "
          f"one), the broken control failed all {control} cases marked for it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
