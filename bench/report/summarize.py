#!/usr/bin/env python3
"""Turns scripts/bench's trials.csv into results.csv, results.md and the
gnuplot script latency.gp (which draws latency.png)."""

import argparse
import os
import sys

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True

# pylint: disable=wrong-import-position
import gnuplot_script
import machine
import markdown_report
import stats
import targets


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", required=True, help="per-trial CSV from scripts/bench")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--cpus", type=int, required=True)
    parser.add_argument("--mode", default="full")
    parser.add_argument("--trial-ms", type=int, required=True)
    parser.add_argument("--seconds", type=int, default=0, help="how long measuring took")
    parser.add_argument("--commit", default="unknown")
    parser.add_argument("--floors", default="",
                        help="bench-machine-floors' output line (key=value pairs)")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    configurations = stats.read_trials(arguments.trials)
    if not configurations:
        print("summarize: no trials", file=sys.stderr)
        return 1
    thread_counts = sorted({key[2] for key in configurations})
    trials = max(c.trials + c.failed for c in configurations.values())
    verdicts = targets.evaluate(configurations, arguments.cpus, thread_counts)
    header = {
        "machine": machine.describe(arguments.cpus),
        "cpus": arguments.cpus,
        "commit": arguments.commit,
        "mode": arguments.mode,
        "trials": trials,
        "trial_ms": arguments.trial_ms,
        "duration": f"{arguments.seconds // 60}:{arguments.seconds % 60:02d} (m:ss)",
        "floors": dict(pair.split("=", 1) for pair in arguments.floors.split() if "=" in pair),
    }

    out = arguments.out_dir
    stats.write_results_csv(os.path.join(out, "results.csv"), configurations)
    with open(os.path.join(out, "results.md"), "w") as report:
        report.write(markdown_report.render(configurations, verdicts, header))
    subtitle = (f"median of {trials} trials, {arguments.cpus} CPUs "
                f"({arguments.mode} mode)")
    with open(os.path.join(out, "latency.gp"), "w") as script:
        script.write(gnuplot_script.render(configurations, markdown_report.IMPLEMENTATION_ORDER,
                                           os.path.join(out, "latency.png"), subtitle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
