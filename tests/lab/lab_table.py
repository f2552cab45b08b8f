#!/usr/bin/env python3
"""The race lab's table: reads OUT/cells.txt (one line a cell, written by
scripts/race-lab from lab_cell's output) and OUT/meta.txt, writes
OUT/results.csv and OUT/results.md, and prints the table.

usage: lab_table.py OUT"""
import csv
import os
import sys

CSV_FIELDS = [
    "case", "column", "label", "flags", "verdict", "rounds", "failed", "covered", "entered",
    "trials", "crashes", "in_released", "offsets", "signals", "hangs", "exits", "kinds",
    "setup_error", "seconds", "first",
]
NUMBERS = ["rounds", "failed", "covered", "entered", "trials", "crashes", "in_released", "hangs",
           "exits", "setup_error"]


def parse_cell(line):
    """'key=value ... first=TEXT WITH SPACES' into a dict."""
    head, _, first = line.rstrip("\n").partition(" first=")
    cell = dict(item.split("=", 1) for item in head.split() if "=" in item)
    cell["first"] = first
    for key in NUMBERS:
        cell[key] = int(cell.get(key, 0))
    cell["flags"] = "" if cell.get("flags") == "-" else cell.get("flags", "")
    return cell


def has(cell, flag):
    return flag in cell["flags"].split(",")


def verdict(cell):
    if cell["setup_error"] and cell["rounds"] == 0:
        return "error"
    if cell["failed"] > 0:
        return "FAIL"
    if cell["rounds"] == 0:
        return "error"
    if has(cell, "window") and cell["entered"] == 0:
        return "pass-window-not-hit"
    if has(cell, "window") and cell["covered"] == 0:
        return "pass-no-overlap"
    return "pass"


def pairs(text):
    """'SIGSEGV:3,SIGABRT:1' -> [('SIGSEGV', 3), ...]"""
    if not text or text == "-":
        return []
    return [(name, int(count)) for name, count in
            (item.rsplit(":", 1) for item in text.split(","))]


def how(cell):
    """What went wrong, in a few words."""
    parts = []
    for name, count in pairs(cell.get("signals")):
        parts.append(f"{name} {count}")
    if cell["in_released"]:
        offsets = "/".join(f"+{name}" for name, _ in pairs(cell.get("offsets")))
        parts.append(f"{cell['in_released']} in freed barrier {offsets}")
    if cell["hangs"]:
        parts.append(f"hang {cell['hangs']}")
    for name, count in pairs(cell.get("kinds")):
        parts.append(f"{name} {count}")
    if cell["exits"]:
        parts.append(f"bad exit {cell['exits']}")
    return ", ".join(parts)


def cell_text(cell):
    v = cell["verdict"]
    if v == "error":
        return "error: " + cell["first"][:40]
    text = f"{cell['failed']}/{cell['rounds']}"
    if v == "FAIL":
        return f"{text} {how(cell)}"
    if v == "pass-window-not-hit":
        return f"{text} window NOT hit"
    if v == "pass-no-overlap":
        return f"{text} entered {cell['entered']}, overlap 0"
    if cell["column"] == "control" and not has(cell, "control"):
        text += " (need not fail)"
    elif has(cell, "window"):
        text += f" hit {cell['covered']}"
    return text


def read_meta(path):
    header, labels = "", {}
    with open(path) as meta:
        for line in meta:
            if line.startswith("column "):
                _, column, label = line.rstrip("\n").split(" ", 2)
                labels[column] = label
            else:
                header += line
    return header.strip(), labels


def table_rows(cells, columns):
    cases = []
    for cell in cells:
        if cell["case"] not in cases:
            cases.append(cell["case"])
    by_key = {(c["case"], c["column"]): c for c in cells}
    rows = []
    for case in cases:
        row = [case]
        for column in columns:
            cell = by_key.get((case, column))
            row.append(cell_text(cell) if cell else "")
        rows.append(row)
    return rows


def print_table(header, rows):
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    line = lambda row: "  ".join(text.ljust(width) for text, width in zip(row, widths))
    print(line(header).rstrip())
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row).rstrip())


LEGEND = """\
Cells: failed/rounds, then how. A failed round is one with a failed check
(stray: a write into released memory; early: a wait returned before all had
arrived; serial: not exactly one PTHREAD_BARRIER_SERIAL_THREAD; count: not
every participant returned once; error, not-einval, not-ebusy: a call's
result), or a crash (signal; "in freed barrier +16": the fault address lay in
barrier memory released in a recent round, 16 bytes into the barrier) or a
hang (no progress; killed), each of which ends a trial, after which the next
trial starts. "hit N": rounds in which the release began and completed while
another waiter had not yet left its wait (the race window). "entered N,
overlap 0": the release began inside the window in N rounds but never
completed before the waiters had left: the implementation made it wait (the
shim's unmap lock does so for barriers in shared memory while waiters still
read them). "window NOT hit": the release never even began inside the window,
a pass that proves little. Cases without a window (bad memory) show
failed/rounds only; "(need not fail)": the control has no late writer there."""


def write_markdown(path, meta_header, header, rows):
    with open(path, "w") as md:
        md.write(f"<!-- race-lab: {meta_header} -->\n\n")
        md.write("| " + " | ".join(header) + " |\n")
        md.write("|" + "---|" * len(header) + "\n")
        for row in rows:
            md.write("| " + " | ".join(text.replace("|", "\\|") for text in row) + " |\n")
        md.write("\n" + LEGEND + "\n")


def main():
    out = sys.argv[1]
    meta_header, labels = read_meta(os.path.join(out, "meta.txt"))
    with open(os.path.join(out, "cells.txt")) as lines:
        cells = [parse_cell(line) for line in lines if line.strip()]
    for cell in cells:
        cell["verdict"] = verdict(cell)
        cell["label"] = labels.get(cell["column"], cell["column"])
    with open(os.path.join(out, "results.csv"), "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(cells)
    columns = [c for c in labels if any(cell["column"] == c for cell in cells)]
    header = ["case"] + [labels[c] for c in columns]
    rows = table_rows(cells, columns)
    write_markdown(os.path.join(out, "results.md"), meta_header, header, rows)
    print(f"race-lab: {meta_header}")
    print_table(header, rows)
    print(f"race-lab: wrote {os.path.join(out, 'results.csv')} and results.md")


if __name__ == "__main__":
    main()
