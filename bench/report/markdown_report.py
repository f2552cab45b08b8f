"""results.md: the headline glibc ÷ shim ratios, the targets, then one table
per scenario (rows: implementations, columns: thread counts)."""

from durations import ratio, spread_cell

IMPLEMENTATION_ORDER = ["glibc", "shim", "shim-flat", "musl", "std::barrier", "libgomp", "spin",
                        "spin-one-line", "dissemination", "tree"]

SCENARIO_NOTES = {
    "private-threads": "private barrier, threads",
    "pshared-threads": "PTHREAD_PROCESS_SHARED barrier, threads",
    "pshared-processes": "PTHREAD_PROCESS_SHARED barrier in MAP_SHARED memory, processes (fork)",
    "skewed-threads": "private barrier, threads; the last thread sleeps ~1 ms before every "
                      "arrival; CPU time: getrusage(RUSAGE_SELF) over the timed rounds",
    "skewed-processes": "process-shared barrier, processes; the last process sleeps ~1 ms before "
                        "every arrival; CPU time: getrusage(RUSAGE_CHILDREN) over all rounds",
}


def cell(configuration, field):
    if configuration is None:
        return "—"
    part = getattr(configuration, field)
    if part is None:
        return f"failed ({configuration.failed})"
    failed = f" ({configuration.failed} failed)" if configuration.failed else ""
    return spread_cell(part) + failed


def scenario_table(configurations, scenario, field, thread_counts):
    lines = ["| implementation | " + " | ".join(f"T={t}" for t in thread_counts) + " |",
             "|---|" + "---|" * len(thread_counts)]
    for implementation in IMPLEMENTATION_ORDER:
        row = [configurations.get((scenario, implementation, t)) for t in thread_counts]
        if all(c is None for c in row):
            continue
        lines.append(f"| {implementation} | " + " | ".join(cell(c, field) for c in row) + " |")
    return lines


def glibc_over_shim(configurations, scenario, field, threads):
    glibc = configurations.get((scenario, "glibc", threads))
    shim = configurations.get((scenario, "shim", threads))
    glibc_part = getattr(glibc, field, None) if glibc else None
    shim_part = getattr(shim, field, None) if shim else None
    if glibc_part is None or shim_part is None or shim_part.median <= 0:
        return "—"
    return ratio(glibc_part.median / shim_part.median)


def headline_table(configurations, scenarios, thread_counts):
    lines = ["| scenario | " + " | ".join(f"T={t}" for t in thread_counts) + " |",
             "|---|" + "---|" * len(thread_counts)]
    for scenario in scenarios:
        fields = [("wall", scenario)]
        if scenario.startswith("skewed"):
            fields = [("wall", f"{scenario}, wall time"), ("cpu", f"{scenario}, CPU time")]
        for field, label in fields:
            cells = [glibc_over_shim(configurations, scenario, field, t) for t in thread_counts]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def verdict_line(verdict):
    status = {True: "**met**", False: "**NOT met**", None: "not measured"}[verdict.met]
    return f"- {status}: {verdict.target}. Measured: {verdict.measured}."


def floors_paragraph(floors):
    """What bench-machine-floors measured, if it ran: the costs no barrier here goes below."""
    if "yield_switch_ns" not in floors or "pause_ns" not in floors:
        return []
    switch_us = float(floors["yield_switch_ns"]) / 1000
    return [
        "",
        f"Floors of this machine (bench-machine-floors, best of its trials): a context switch "
        f"by sched_yield to another thread on the same CPU costs {switch_us:.2f} µs, so an "
        f"oversubscribed round, in which every CPU must switch at least once, costs at least "
        f"that; one pause (the step of every spin loop) takes {float(floors['pause_ns']):.1f} ns.",
    ]


def render(configurations, verdicts, header):
    scenarios = list(dict.fromkeys(key[0] for key in configurations))
    thread_counts = sorted({key[2] for key in configurations})
    lines = [
        "# Barrier benchmark",
        "",
        f"Machine: {header['machine']}. Commit {header['commit']}. {header['mode']} mode: "
        f"{header['trials']} trials of about {header['trial_ms']} ms per configuration; "
        f"measuring took {header['duration']}. With {header['cpus']} CPUs, "
        f"T above {header['cpus']} is oversubscribed.",
        *floors_paragraph(header.get("floors", {})),
        "",
        "A round: every member arrives and every member leaves. A cell: the median time "
        "per round over the trials [min–max]. glibc and shim are the same dynamically "
        "linked program (bench-pthread), run without and with LD_PRELOAD, back to back "
        "in every trial; all implementations take turns trial by trial.",
        "",
        "## Headline: glibc ÷ shim (median per round; above 1× the shim is faster or cheaper)",
        "",
        *headline_table(configurations, scenarios, thread_counts),
        "",
        "## Targets",
        "",
        *[verdict_line(v) for v in verdicts],
        "",
    ]
    for scenario in scenarios:
        lines += [f"## {scenario}", "", SCENARIO_NOTES.get(scenario, scenario) + ".", ""]
        if scenario.startswith("skewed"):
            lines += ["Wall time per round:", ""]
        lines += scenario_table(configurations, scenario, "wall", thread_counts) + [""]
        if scenario.startswith("skewed"):
            lines += ["CPU time per round (all members together):", ""]
            lines += scenario_table(configurations, scenario, "cpu", thread_counts) + [""]
    return "\n".join(lines)
