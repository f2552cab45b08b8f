#!/usr/bin/env python3
"""The watchdog's frames of a stripped program can be resolved with addr2line.

usage: check_stripped_backtrace.py --preload LIBS STRIPPED UNSTRIPPED

STRIPPED is hang_at_barrier with every symbol table removed (objcopy
--strip-all), UNSTRIPPED the same program as built. STRIPPED runs in private
mode with the watchdog on; in its report, the frames of its two functions
that call into the barrier (wait_for_missing_participant, called by
blocked_participant) have no name, so each must say where it lies instead:
"?? (STRIPPED+0xOFFSET)". `addr2line -f -i -e UNSTRIPPED 0xOFFSET` must then
name those two functions, innermost first (-i: the return address in
blocked_participant lies in code inlined into it). LIBS is the LD_PRELOAD value for
the program alone; empty for the stock-glibc control, which must fail.
"""
import argparse
import os
import re
import subprocess
import sys

FRAME = re.compile(r"^  #(\d+) (0x[0-9a-f]{16}) (\S+) \((.+)\+(0x[0-9a-f]+)\)$")
EXPECTED_CALLERS = ["wait_for_missing_participant", "blocked_participant"]


def program_frames(stderr, program):
    """(name, offset) of the frames that lie in `program`, innermost first,
    from the first stuck report."""
    frames, in_report = [], False
    for line in stderr.splitlines():
        if line.startswith("barrier-shim: watchdog: backtrace of tid"):
            in_report = True
            continue
        if in_report and line.startswith("barrier-shim: watchdog: end of report"):
            break
        frame = FRAME.match(line) if in_report else None
        if frame and os.path.realpath(frame[4]) == os.path.realpath(program):
            frames.append((frame[3], frame[5]))
    return frames


def functions_at(unstripped, offset):
    """The function at `offset`, with those it is inlined into (addr2line -i)."""
    result = subprocess.run(["addr2line", "-f", "-i", "-e", unstripped, offset],
                            capture_output=True, text=True, check=False, timeout=30)
    return result.stdout.splitlines()[0::2]  # function, file:line, function, ...


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preload", required=True)
    parser.add_argument("stripped")
    parser.add_argument("unstripped")
    args = parser.parse_args()
    env = dict(os.environ, LD_PRELOAD=args.preload, BARRIER_SHIM_WATCHDOG="0.2")
    env.pop("BARRIER_SHIM_STATS", None)
    result = subprocess.run([args.stripped, "private"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    sys.stdout.write(result.stdout + "--- stderr ---\n" + result.stderr)
    problems = []
    if result.returncode != 0:
        problems.append(f"the program exited with {result.returncode}")
    frames = program_frames(result.stderr, args.stripped)
    if len(frames) < len(EXPECTED_CALLERS):
        problems.append(f"{len(frames)} frames say they lie in {args.stripped}, expected at "
                        f"least {len(EXPECTED_CALLERS)}")
    for (name, offset), expected in zip(frames, EXPECTED_CALLERS):
        if name != "??":
            problems.append(f"a frame of the stripped program is named {name!r}: "
                            "is it really stripped?")
        found = functions_at(args.unstripped, offset)
        print(f"addr2line -f -i -e {args.unstripped} {offset}: {' in '.join(found)}")
        if expected not in found:
            problems.append(f"offset {offset} is in {found}, expected {expected}")
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("PASS: addr2line on the unstripped twin names the stripped program's frames")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
