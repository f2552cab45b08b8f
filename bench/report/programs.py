"""Unmodified programs from Debian packages that wait at a pthread barrier
in their main loop, each run with and without the shim preloaded,
alternating, several times (scripts/bench --programs). Prints a markdown
table of each program's own figure: the median with its range, and the
shim/glibc ratio. Which figure is better, higher or lower, is said per row.

  pi_stress (rt-tests)        inversions per second: groups of three
                              SCHED_FIFO threads (low, medium, high
                              priority) meet at barriers of count 3 in every
                              inversion cycle
  rt-migrate-test (rt-tests)  mean wake-up latency of its SCHED_FIFO tasks,
                              which leave a barrier together every loop
  perf bench futex            per-thread latency of waking futex waiters;
    wake-parallel (linux-perf) its waker threads meet at a barrier every run

Usage: programs.py SHIM_LIBRARY [--trials N] [--seconds S]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys


def run(command, library, timeout):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if library:
        env["LD_PRELOAD"] = library
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return done.stdout + done.stderr


def pi_stress(seconds):
    def figure(output):
        match = re.search(r"Total inversion performed: (\d+)", output)
        return int(match.group(1)) / seconds if match else None
    return (["pi_stress", f"--duration={seconds}", "--groups=1", "--quiet"], figure,
            "pi_stress: inversions per second (higher is better)", seconds + 30)


def rt_migrate_test(seconds):
    def figure(output):
        averages = [int(value) for value in re.findall(r"Avg:\s+(\d+) us", output)]
        # Task 0 runs first in every loop and waits for the others' start:
        # its figure is the loop's length, not a wake-up latency.
        averages = averages[1:]
        return statistics.mean(averages) if averages else None
    loops = max(20, int(seconds * 10))
    return (["rt-migrate-test", "-l", str(loops), "-p", "60"], figure,
            "rt-migrate-test: mean wake-up latency of tasks 1.. (us, lower is better)",
            seconds * 10 + 60)


def perf_wake_parallel(seconds):
    def figure(output):
        match = re.search(r"^Avg per-thread latency .* in ([0-9.]+) ms", output, re.M)
        return float(match.group(1)) * 1000 if match else None
    return (["perf", "bench", "futex", "wake-parallel", "-t", "4", "-w", "2"], figure,
            "perf bench futex wake-parallel: per-thread wake latency (us, lower is better)",
            seconds * 10 + 60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("library")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    options = parser.parse_args()
    programs = [pi_stress(options.seconds), rt_migrate_test(options.seconds),
                perf_wake_parallel(options.seconds)]
    print(f"| program ({options.trials} runs each, median (min..max)) | glibc | shim | shim/glibc |")
    print("|---|---|---|---|")
    status = 0
    for command, figure, label, timeout in programs:
        if shutil.which(command[0]) is None:
            print(f"| {label} | not installed | | |")
            continue
        values = {"glibc": [], "shim": []}
        for trial in range(options.trials):
            order = ["glibc", "shim"] if trial % 2 == 0 else ["shim", "glibc"]
            for name in order:
                output = run(command, options.library if name == "shim" else "", timeout)
                value = figure(output)
                if value is None:
                    print(f"bench: {command[0]} ({name}) gave no figure:\n{output[-2000:]}",
                          file=sys.stderr)
                    status = 1
                    continue
                values[name].append(value)
                print(f"bench: {command[0]} run {trial + 1}/{options.trials} {name}: {value:.1f}",
                      file=sys.stderr)
        if not values["glibc"] or not values["shim"]:
            print(f"| {label} | failed | | |")
            continue
        cells = [f"{statistics.median(v):.1f} ({min(v):.1f}..{max(v):.1f})"
                 for v in (values["glibc"], values["shim"])]
        ratio = statistics.median(values["shim"]) / statistics.median(values["glibc"])
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratio:.2f}x |")
    return status


if __name__ == "__main__":
    sys.exit(main())
