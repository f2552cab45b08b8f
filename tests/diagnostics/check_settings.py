#!/usr/bin/env python3
"""Every BARRIER_SHIM_* setting is checked the same way when the library
loads: a valid value is used silently; an invalid one is ignored (the default
is used) with exactly one line on stderr that names the variable, the value
and what is used instead; a BARRIER_SHIM_* name the library does not read is
reported, with the nearest known name.

usage: check_settings.py LIBS PROGRAM

PROGRAM (any program that writes nothing to stderr, such as true) runs once
per case below with LD_PRELOAD=LIBS (empty: stock glibc, the control, which
must fail) in a fresh working directory, which must stay empty: no report
file named after a value that is not a path.
"""
import os
import re
import subprocess
import sys
import tempfile

# (environment, the one warning expected as (name, value, instead), or None)
CASES = [
    ({"BARRIER_SHIM_STATS": "yes"}, ("BARRIER_SHIM_STATS", "yes", "statistics are off")),
    ({"BARRIER_SHIM_STATS": "on"}, ("BARRIER_SHIM_STATS", "on", "statistics are off")),
    ({"BARRIER_SHIM_PROFILE": "yes"}, ("BARRIER_SHIM_PROFILE", "yes", "the profile is off")),
    ({"BARRIER_SHIM_ROBUST": "yes"}, ("BARRIER_SHIM_ROBUST", "yes", "robust mode is off")),
    ({"BARRIER_SHIM_ROBUST": "true"}, ("BARRIER_SHIM_ROBUST", "true", "robust mode is off")),
    ({"BARRIER_SHIM_ROBUST_MS": "0"},
     ("BARRIER_SHIM_ROBUST_MS", "0", "using the default, 1000")),
    ({"BARRIER_SHIM_ROBUST_MS": "5000000"},
     ("BARRIER_SHIM_ROBUST_MS", "5000000", "using the default, 1000")),
    ({"BARRIER_SHIM_ROBUST_MS": "100ms"},
     ("BARRIER_SHIM_ROBUST_MS", "100ms", "using the default, 1000")),
    ({"BARRIER_SHIM_SPIN_NS": "abc"}, ("BARRIER_SHIM_SPIN_NS", "abc", "using the default, 50000")),
    ({"BARRIER_SHIM_SPIN_MIN_NS": "-5"},
     ("BARRIER_SHIM_SPIN_MIN_NS", "-5", "using the default, 5000")),
    ({"BARRIER_SHIM_SPIN_MAX_NS": "2e6"},
     ("BARRIER_SHIM_SPIN_MAX_NS", "2e6", "using the default, 2000000")),
    ({"BARRIER_SHIM_SPIN_MAX_NS": "99999999999999999999999"},
     ("BARRIER_SHIM_SPIN_MAX_NS", "99999999999999999999999", "using the default, 2000000")),
    ({"BARRIER_SHIM_YIELDS": " 32"}, ("BARRIER_SHIM_YIELDS", " 32", "using the default, 32")),
    ({"BARRIER_SHIM_WATCHDOG": "fast"}, ("BARRIER_SHIM_WATCHDOG", "fast", "the watchdog is off")),
    ({"BARRIER_SHIM_STAT": "1"},
     ("BARRIER_SHIM_STAT", "1", "ignored", "did you mean BARRIER_SHIM_STATS")),
    ({"BARRIER_SHIM_ROBUSTMS": "100"},
     ("BARRIER_SHIM_ROBUSTMS", "100", "ignored", "did you mean BARRIER_SHIM_ROBUST_MS")),
    ({"BARRIER_SHIM_ARRIVAL_TREE": "yes"},
     ("BARRIER_SHIM_ARRIVAL_TREE", "yes",
      "barriers get an arrival tree by their count and the CPUs")),
    ({"BARRIER_SHIM_ARRIVAL_TREE": "2"},
     ("BARRIER_SHIM_ARRIVAL_TREE", "2",
      "barriers get an arrival tree by their count and the CPUs")),
    # Valid values: nothing on stderr.
    ({"BARRIER_SHIM_ARRIVAL_TREE": "1"}, None),
    ({"BARRIER_SHIM_ARRIVAL_TREE": "0"}, None),
    ({"BARRIER_SHIM_STATS": "0", "BARRIER_SHIM_PROFILE": "0", "BARRIER_SHIM_ROBUST": "0",
      "BARRIER_SHIM_WATCHDOG": "0"}, None),
    ({"BARRIER_SHIM_ROBUST": "1", "BARRIER_SHIM_ROBUST_MS": "100"}, None),
    ({"BARRIER_SHIM_SPIN_NS": "2000000000", "BARRIER_SHIM_SPIN_MIN_NS": "2000000000",
      "BARRIER_SHIM_SPIN_MAX_NS": "2000000000", "BARRIER_SHIM_YIELDS": "0"}, None),
    ({"BARRIER_SHIM_WATCHDOG": "0.5", "BARRIER_SHIM_STATS": "", "BARRIER_SHIM_SPIN_NS": ""},
     None),
]

WARNING = re.compile(r'^barrier-shim: (BARRIER_SHIM_\w+)="(.*)" (.+); ([^;]+)$')


def check(libs, program, environment, expected):
    with tempfile.TemporaryDirectory() as directory:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BARRIER_SHIM_")}
        env.update(environment, LD_PRELOAD=libs, TMPDIR=directory)
        result = subprocess.run([program], env=env, cwd=directory, capture_output=True,
                                text=True, timeout=30, check=False)
        left = sorted(os.listdir(directory))
    shown = " ".join(f"{k}={v!r}" for k, v in environment.items())
    problems = []
    lines = result.stderr.splitlines()
    if expected is None:
        if lines:
            problems.append(f"{shown}: valid, yet stderr says {lines}")
    elif len(lines) != 1:
        problems.append(f"{shown}: {len(lines)} lines on stderr, expected 1: {lines}")
    else:
        warning = WARNING.match(lines[0])
        if warning is None:
            problems.append(f"{shown}: not a warning of the expected form: {lines[0]!r}")
        else:
            if (warning[1], warning[2], warning[4]) != expected[:3]:
                problems.append(f"{shown}: warned {warning.groups()}, expected name, value "
                                f"and what is used instead to be {expected[:3]}")
            if len(expected) > 3 and expected[3] not in warning[3]:
                problems.append(f"{shown}: no {expected[3]!r} in {lines[0]!r}")
    if left:
        problems.append(f"{shown}: left files in the working directory: {left}")
    if result.returncode != 0:
        problems.append(f"{shown}: the program exited with {result.returncode}")
    print(f"{shown}: {lines}")
    return problems


def main():
    libs, program = sys.argv[1], sys.argv[2]
    problems = []
    for environment, expected in CASES:
        problems += check(libs, program, environment, expected)
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print(f"PASS: {len(CASES)} cases, each invalid or unknown setting warned about once")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
