"""results.md: the headline glibc ÷ shim ratios, the targets, then one table
per scenario (rows: implementations, columns: thread counts)."""

from durations import ratio, spread_cell
from stats import CLOSE_BELOW_NS

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


def placement_cell(part, trials):
    return f"{spread_cell(part)} ({trials})" if part else "—"


def placement_ratio(shim, peer, placement):
    """shim ÷ peer in one placement, from the medians of its trials."""
    shim_part, peer_part = getattr(shim, placement), getattr(peer, placement)
    if shim_part is None or peer_part is None or peer_part.median <= 0:
        return None
    return f"{shim_part.median / peer_part.median:.2f}× {placement}"


def placement_section(configurations, scenarios):
    """2-member trials by where the host had placed the two CPUs, when
    scripts/bench probed them (2 CPUs only)."""
    probed = [c for c in configurations.values() if c.close_trials or c.far_trials]
    if not probed:
        return []
    lines = [
        "## Two members, by placement",
        "",
        "On 2 CPUs the host may place them close or far from minute to minute, and a "
        "2-member round costs two cache-line transfers between them, so the medians above "
        "can mix the two speeds. bench-placement-probe timed a cache line's pass between "
        "the two CPUs just before each 2-member trial; a trial whose pass took under "
        f"{CLOSE_BELOW_NS:.0f} ns was placed close (about 30-55 ns close and 165-190 ns far on "
        "the VM of doc/performance.md). Medians of the trials in each placement [min–max] "
        "(trials):",
        "",
        "| scenario | implementation | placed close | placed far |",
        "|---|---|---|---|",
    ]
    ratios = []
    for scenario in scenarios:
        for implementation in IMPLEMENTATION_ORDER:
            c = configurations.get((scenario, implementation, 2))
            if c is None or not (c.close_trials or c.far_trials):
                continue
            lines.append(f"| {scenario} | {implementation} | "
                         f"{placement_cell(c.close, c.close_trials)} | "
                         f"{placement_cell(c.far, c.far_trials)} |")
        shim = configurations.get((scenario, "shim", 2))
        peer = configurations.get((scenario, "spin-one-line", 2))
        if shim and peer:
            both = [placement_ratio(shim, peer, p) for p in ("close", "far")]
            both = [r for r in both if r]
            if both:
                ratios.append(f"- {scenario}: shim ÷ spin-one-line " + ", ".join(both) + ".")
    return lines + ([""] + ratios if ratios else []) + [""]


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
        *placement_section(configurations, scenarios),
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
