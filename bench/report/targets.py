"""The performance targets (doc/performance.md), judged from the medians: each gives a verdict
(True met, False not met, None not measured) and what was measured."""

from __future__ import annotations

from dataclasses import dataclass

from durations import duration, ratio


@dataclass
class Verdict:
    target: str
    met: bool | None
    measured: str


def median_of(configurations, field, scenario, implementation, threads):
    configuration = configurations.get((scenario, implementation, threads))
    part = getattr(configuration, field, None) if configuration else None
    return part.median if part else None


def faster_than_glibc(configurations, target, scenario, threads, factor):
    glibc = median_of(configurations, "wall", scenario, "glibc", threads)
    shim = median_of(configurations, "wall", scenario, "shim", threads)
    if glibc is None or shim is None:
        return Verdict(target, None, f"{scenario} T={threads} not measured")
    speedup = glibc / shim
    return Verdict(target, speedup >= factor,
                   f"{ratio(speedup)} (glibc {duration(glibc)}, shim {duration(shim)})")


def oversubscribed(configurations, cpus):
    threads = 2 * cpus
    target = (f"{threads} threads on {cpus} CPUs, private: shim ≥ 8× faster than glibc "
              f"and no slower than libgomp")
    verdict = faster_than_glibc(configurations, target, "private-threads", threads, 8)
    if verdict.met is None:
        return verdict
    shim = median_of(configurations, "wall", "private-threads", "shim", threads)
    libgomp = median_of(configurations, "wall", "private-threads", "libgomp", threads)
    if libgomp is None:
        return Verdict(target, None, verdict.measured + "; libgomp not measured")
    return Verdict(target, verdict.met and shim <= libgomp,
                   f"{verdict.measured}; libgomp {duration(libgomp)}, "
                   f"libgomp ÷ shim {ratio(libgomp / shim)}")


def skewed_cpu(configurations, thread_counts):
    target = "skewed (one member ~1 ms late): shim's CPU time per round ≤ 1.5× glibc's"
    parts, verdicts = [], []
    for scenario in ("skewed-threads", "skewed-processes"):
        for threads in thread_counts:
            glibc = median_of(configurations, "cpu", scenario, "glibc", threads)
            shim = median_of(configurations, "cpu", scenario, "shim", threads)
            if glibc is None or shim is None or glibc <= 0:
                continue
            verdicts.append(shim <= 1.5 * glibc)
            parts.append(f"{scenario} T={threads}: {ratio(shim / glibc)} "
                         f"({duration(shim)} vs {duration(glibc)})")
    if not verdicts:
        return Verdict(target, None, "no skewed scenario measured")
    return Verdict(target, all(verdicts), "; ".join(parts))


def evaluate(configurations, cpus, thread_counts):
    return [
        faster_than_glibc(configurations, "2 threads, private: shim ≥ 100× faster than glibc",
                          "private-threads", 2, 100),
        faster_than_glibc(configurations, "2 processes, process-shared: shim ≥ 50× faster than glibc",
                          "pshared-processes", 2, 50),
        oversubscribed(configurations, cpus),
        skewed_cpu(configurations, thread_counts),
    ]
