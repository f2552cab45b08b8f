#!/usr/bin/env python3
"""The imbalance profile keeps counting when its table is full: one thread
waits 600 000 times on a count-1 barrier (bench-uncontended-wait 100000 3:
3 x 100 000 waits on a private barrier, then as many on a process-shared one
at the same address), more than the table's 262 144 records. The summary
must account for every wait (recorded + counted), and the timeline must hold
exactly the recorded ones and say how many more were counted.

usage: check_profile_overflow.py SHIM PROGRAM"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

WAITS = 2 * 3 * 100000


def main():
    shim, program = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as scratch:
        prefix = os.path.join(scratch, "profile")
        env = dict(os.environ, BARRIER_SHIM_PROFILE=prefix, LD_PRELOAD=shim)
        run = subprocess.run([program, "100000", "3"], env=env, capture_output=True, text=True,
                             timeout=120)
        if run.returncode != 0:
            sys.exit(f"FAIL: the program exited {run.returncode}")
        match = re.search(r"(\d+) waits recorded, (\d+) more counted only", run.stderr)
        if match is None:
            sys.exit("FAIL: no profile summary on stderr:\n" + run.stderr)
        recorded, counted = int(match.group(1)), int(match.group(2))
        files = glob.glob(prefix + ".*.json")
        if len(files) != 1:
            sys.exit(f"FAIL: {len(files)} timelines")
        with open(files[0]) as stream:
            timeline = json.load(stream)
        events = [e for e in timeline["traceEvents"] if e.get("ph") == "X"]
        print(f"recorded {recorded}, counted {counted}, timeline {len(events)} waits, "
              f"dropped {timeline['otherData']['dropped']}")
        if recorded + counted != WAITS:
            sys.exit(f"FAIL: the summary accounts for {recorded + counted} of {WAITS} waits")
        if counted == 0:
            sys.exit("FAIL: the table never filled: the test proves nothing")
        if len(events) != recorded or timeline["otherData"]["dropped"] != counted:
            sys.exit("FAIL: the timeline disagrees with the summary")
        if "waits after the table filled" not in run.stderr:
            sys.exit("FAIL: the summary has no rows for the counted waits")
    print("PASS")


if __name__ == "__main__":
    main()
