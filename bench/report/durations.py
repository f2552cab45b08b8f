"""Nanoseconds as people read them: 81 ns, 21.3 µs, 1.13 ms."""

UNITS = ((1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def unit_for(ns):
    for scale, name in UNITS:
        if ns >= scale:
            return scale, name
    return UNITS[-1]


def number(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def duration(ns):
    scale, name = unit_for(ns)
    return f"{number(ns / scale)} {name}"


def spread_cell(spread):
    """Median [min–max], all three in the median's unit."""
    scale, name = unit_for(spread.median)
    return (f"{number(spread.median / scale)} "
            f"[{number(spread.low / scale)}–{number(spread.high / scale)}] {name}")


def ratio(value):
    return f"{number(value)}×"
