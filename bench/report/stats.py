"""Reads the per-trial CSV and summarises each configuration: median, min
and max of the wall time and of the CPU time per round, and of the wall time
of the trials placed close and placed far (2-member trials on 2 CPUs, which
scripts/bench probes)."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass


@dataclass
class Spread:
    median: float
    low: float
    high: float


# A pass of a cache line between the two CPUs below this (bench-placement-
# probe, just before the trial) means they were placed close: 30-55 ns on
# the 2-CPU VM of doc/performance.md, against 165-190 ns placed far.
CLOSE_BELOW_NS = 100.0


@dataclass
class Configuration:
    scenario: str
    implementation: str
    threads: int
    trials: int = 0
    failed: int = 0
    wall: Spread | None = None
    cpu: Spread | None = None
    # Wall time of the probed trials, by placement, and how many of each.
    close: Spread | None = None
    far: Spread | None = None
    close_trials: int = 0
    far_trials: int = 0


def spread(values):
    if not values:
        return None
    return Spread(statistics.median(values), min(values), max(values))


def read_trials(path):
    """Returns {(scenario, implementation, threads): Configuration}, in the
    order the configurations first appear."""
    wall, cpu, close, far, configurations = {}, {}, {}, {}, {}
    with open(path, newline="") as trials:
        for row in csv.DictReader(trials):
            key = (row["scenario"], row["implementation"], int(row["threads"]))
            configuration = configurations.setdefault(key, Configuration(*key))
            if row["status"] != "ok":
                configuration.failed += 1
                continue
            configuration.trials += 1
            wall.setdefault(key, []).append(float(row["ns_per_round"]))
            cpu.setdefault(key, []).append(float(row["cpu_ns_per_round"]))
            transfer = row.get("line_pass_ns") or ""
            if transfer:
                placed = close if float(transfer) < CLOSE_BELOW_NS else far
                placed.setdefault(key, []).append(float(row["ns_per_round"]))
    for key, configuration in configurations.items():
        configuration.wall = spread(wall.get(key, []))
        configuration.cpu = spread(cpu.get(key, []))
        configuration.close = spread(close.get(key, []))
        configuration.far = spread(far.get(key, []))
        configuration.close_trials = len(close.get(key, []))
        configuration.far_trials = len(far.get(key, []))
    return configurations


def write_results_csv(path, configurations):
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["scenario", "implementation", "threads", "trials", "failed",
                         "median_ns", "min_ns", "max_ns",
                         "median_cpu_ns", "min_cpu_ns", "max_cpu_ns"])
        for c in configurations.values():
            numbers = []
            for part in (c.wall, c.cpu):
                numbers += [f"{part.median:.1f}", f"{part.low:.1f}", f"{part.high:.1f}"] if part else ["", "", ""]
            writer.writerow([c.scenario, c.implementation, c.threads, c.trials, c.failed] + numbers)
