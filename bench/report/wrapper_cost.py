"""What the shim's wrappers cost (scripts/bench --wrappers): runs
bench-wrapper-cost with and without the shim preloaded, alternating, and
prints the median of each figure with its range and the shim/glibc ratio as
a markdown table.

Usage: wrapper_cost.py PROGRAM SHIM_LIBRARY [--trials N] [--members N]
"""
import argparse
import os
import statistics
import subprocess
import sys


def run(program, library, args):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if library:
        env["LD_PRELOAD"] = library
    done = subprocess.run([program, *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    figures = {}
    for line in done.stdout.split("\n"):
        for pair in line.split():
            key, _, value = pair.partition("=")
            figures[key] = float(value)
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("program")
    parser.add_argument("library")
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--members", type=int, default=2)
    options = parser.parse_args()
    runs = {"glibc": [], "shim": []}
    for trial in range(options.trials):
        order = ["glibc", "shim"] if trial % 2 == 0 else ["shim", "glibc"]
        for name in order:
            library = options.library if name == "shim" else ""
            figures = run(options.program, library, ["jump", "3"])
            figures.update(run(options.program, library,
                               ["munmap", str(options.members), "1"]))
            runs[name].append(figures)
            print(f"bench: wrappers trial {trial + 1}/{options.trials} {name}", file=sys.stderr)
    rows = [
        ("jump_ns", "sigsetjmp + siglongjmp, nothing held (ns)"),
        ("idle_mean_us", "munmap of a private page, no barrier in use: mean (us)"),
        ("rounds_mean_us",
         f"munmap of a private page while {options.members} threads run process-shared rounds: mean (us)"),
        ("rounds_p99_us", "the same: 99th percentile (us)"),
        ("rounds_worst_us", "the same: worst (us)"),
    ]
    print(f"| what ({options.trials} trials, median (min..max)) | glibc | shim | shim/glibc |")
    print("|---|---|---|---|")
    for key, label in rows:
        cells = []
        medians = []
        for name in ("glibc", "shim"):
            values = [figures[key] for figures in runs[name]]
            median = statistics.median(values)
            medians.append(median)
            cells.append(f"{median:.2f} ({min(values):.2f}..{max(values):.2f})")
        ratio = medians[1] / medians[0] if medians[0] > 0 else float("nan")
        print(f"| {label} | {cells[0]} | {cells[1]} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
