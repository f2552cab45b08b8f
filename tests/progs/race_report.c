#define _GNU_SOURCE
#include "race_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Enough to see what went wrong without flooding the log. */
#define FAILURES_PRINTED 8

static void write_line(const char *text)
{
    char line[512];
    int length = snprintf(line, sizeof line, "%s\n", text);
    if (length > (int)sizeof line - 1) {
        length = sizeof line - 1;
        line[length - 1] = '\n';
    }
    for (int done = 0; done < length;) {
        ssize_t written = write(STDOUT_FILENO, line + done, (size_t)(length - done));
        if (written <= 0)
            return;
        done += (int)written;
    }
}

void say(const char *format, ...)
{
    char text[480];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    write_line(text);
}

static const char *const kind_names[FAILURE_KINDS] = {
    [FAILURE_EARLY] = "early", [FAILURE_SERIAL] = "serial", [FAILURE_COUNT] = "count",
    [FAILURE_STRAY] = "stray", [FAILURE_ERROR] = "error",
};

const char *failure_kind_name(enum failure_kind kind)
{
    return kind_names[kind];
}

/* Counts `round` in *rounds unless *mark says it is counted already. */
static void count_round(atomic_ulong *mark, atomic_ulong *rounds, unsigned long round)
{
    /* relaxed: the exchange alone decides who counts; the totals are read
       after a phase meeting or as a snapshot. */
    if (atomic_exchange_explicit(mark, round + 1, memory_order_relaxed) != round + 1)
        atomic_fetch_add_explicit(rounds, 1, memory_order_relaxed);
}

void append_race_status(struct line *line, struct race_control *control)
{
    /* relaxed, all: a snapshot for a status line. */
    const memory_order snapshot = memory_order_relaxed;
    line_add(line, " rounds=");
    line_add_unsigned(line, atomic_load_explicit(&control->rounds_published, snapshot));
    line_add(line, " covered=");
    line_add_unsigned(line, atomic_load_explicit(&control->covered_published, snapshot));
    line_add(line, " entered=");
    line_add_unsigned(line, atomic_load_explicit(&control->entered_published, snapshot));
    line_add(line, " failed=");
    line_add_unsigned(line, atomic_load_explicit(&control->failed_rounds, snapshot));
    line_add(line, " kinds=");
    const char *separator = "";
    for (int kind = 0; kind < FAILURE_KINDS; kind++) {
        unsigned long rounds = atomic_load_explicit(&control->kind_rounds[kind], snapshot);
        if (rounds == 0)
            continue;
        line_add(line, separator);
        line_add(line, kind_names[kind]);
        line_add(line, ":");
        line_add_unsigned(line, rounds);
        separator = ",";
    }
    if (*separator == '\0')
        line_add(line, "-");
}

void report_failure(struct race_control *control, unsigned long round, enum failure_kind kind,
                    const char *format, ...)
{
    char what[300];
    char text[480];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    snprintf(text, sizeof text, "round %lu: %s", round, what);

    /* relaxed: only picks who reports; the message itself reaches the
       final reporter through the phase meetings that end the race. */
    unsigned earlier = atomic_fetch_add_explicit(&control->failures, 1, memory_order_relaxed);
    if (earlier == 0)
        snprintf(control->first_failure, sizeof control->first_failure, "%s", text);
    if (earlier < FAILURES_PRINTED)
        say("release_race: FAIL %s", text);
    count_round(&control->failed_mark, &control->failed_rounds, round);
    count_round(&control->kind_mark[kind], &control->kind_rounds[kind], round);
    /* relaxed: read by the leader after the next phase meeting, which
       orders it. */
    atomic_store_explicit(&control->failed, true, memory_order_relaxed);
}
