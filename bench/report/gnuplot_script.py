"""latency.gp: a gnuplot script, data inline, that draws latency.png: one
panel per scenario, median time per round against thread count (log-log,
bars from min to max), and CPU time per round for the skewed scenarios."""

COLOURS = {"glibc": "#d62728", "shim": "#1f77b4", "shim-flat": "#17becf", "musl": "#8c564b",
           "std::barrier": "#ff7f0e", "libgomp": "#2ca02c", "spin": "#7f7f7f",
           "spin-one-line": "#bcbd22", "dissemination": "#9467bd", "tree": "#e377c2"}


def data_block(name, configurations, scenario, field, implementations, thread_counts):
    """Columns: threads, then median, min and max (µs) per implementation."""
    lines = [f"${name} << EOD"]
    for threads in thread_counts:
        values = []
        for implementation in implementations:
            configuration = configurations.get((scenario, implementation, threads))
            part = getattr(configuration, field, None) if configuration else None
            values += ([f"{v / 1000:.6g}" for v in (part.median, part.low, part.high)]
                       if part else ["NaN"] * 3)
        lines.append(f"{threads} " + " ".join(values))
    lines.append("EOD")
    return lines


def panels(scenarios):
    """(scenario, field, title) for each panel."""
    result = []
    for scenario in scenarios:
        if scenario.startswith("skewed"):
            result.append((scenario, "cpu", f"{scenario}: CPU time per round"))
        else:
            result.append((scenario, "wall", f"{scenario}: time per round"))
    return result


def render(configurations, implementation_order, png_path, subtitle):
    scenarios = list(dict.fromkeys(key[0] for key in configurations))
    thread_counts = sorted({key[2] for key in configurations})
    chosen = panels(scenarios)
    columns = 3 if len(chosen) > 4 else 2 if len(chosen) > 1 else 1
    rows = (len(chosen) + columns - 1) // columns
    lines = [
        f"set terminal pngcairo enhanced size {columns * 520},{rows * 420 + 40} font ',9'",
        f"set output '{png_path}'",
        "set datafile missing 'NaN'",
        "set logscale x 2",
        "set logscale y 10",
        "set format y '10^{%L}'",
        "set xtics (" + ", ".join(str(t) for t in thread_counts) + ")",
        f"set xrange [{thread_counts[0] / 1.2}:{thread_counts[-1] * 1.2}]",
        "set xlabel 'threads (or processes)'",
        "set ylabel 'µs per round (median)'",
        "set grid",
        "set key top left opaque font ',8'",
        f"set multiplot layout {rows},{columns} title '{subtitle}'",
    ]
    for index, (scenario, field, title) in enumerate(chosen):
        implementations = [i for i in implementation_order
                           if any((scenario, i, t) in configurations for t in thread_counts)]
        name = f"panel{index}"
        lines += data_block(name, configurations, scenario, field, implementations, thread_counts)
        lines.append(f"set title '{title}'")
        # Each implementation a little to the side, so that the bars stay apart.
        shift = [2 ** (0.04 * (column - (len(implementations) - 1) / 2))
                 for column in range(len(implementations))]
        plots = [f"${name} using ($1*{shift[column]:.4f}):{3 * column + 2}:{3 * column + 3}:{3 * column + 4} "
                 f"with yerrorlines pt 7 ps 0.8 lw 2 "
                 f"lc rgb '{COLOURS.get(implementation, '#000000')}' title '{implementation}'"
                 for column, implementation in enumerate(implementations)]
        lines.append("plot " + ", \\\n     ".join(plots))
    lines.append("unset multiplot")
    return "\n".join(lines) + "\n"
