#define _GNU_SOURCE
#include "probe_run.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "race_fault.h"
#include "race_line.h"

#define FAILURES_PRINTED 8

static const struct probe *probe;
static struct timespec started;
static double last_progress;
static unsigned long round_now;
static bool round_failed;
static bool kind_failed[PROBE_MAX_KINDS];
static unsigned long failures_seen;
/* Read by the crash reporter's status line, hence atomic. */
static atomic_ulong rounds_done, rounds_covered, rounds_failed;
static atomic_ulong kind_rounds[PROBE_MAX_KINDS];

static double seconds_since_start(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
}

bool probe_option(struct probe *p, int option, const char *value)
{
    char *end;
    switch (option) {
    case 'n':
        p->max_rounds = strtoul(value, &end, 10);
        if (end != value && *end == '\0' && p->max_rounds > 0 && value[0] != '-')
            return true;
        break;
    case 's':
        p->max_seconds = strtod(value, &end);
        if (end != value && *end == '\0' && p->max_seconds > 0 && p->max_seconds <= 3600)
            return true;
        break;
    case 'g': {
        long ms = strtol(value, &end, 10);
        p->progress_ms = (unsigned)ms;
        if (end != value && *end == '\0' && ms >= 1 && ms <= 60000)
            return true;
        break;
    }
    case 'k':
        p->keep_going = true;
        return true;
    default:
        return false;
    }
    fprintf(stderr, "%s: bad value '%s'\n", p->name, value);
    return false;
}

/* Async-signal-safe: the crash reporter calls it. */
static void append_status(struct line *line)
{
    line_add(line, " rounds=");
    line_add_unsigned(line, atomic_load(&rounds_done));
    line_add(line, " covered=");
    line_add_unsigned(line, atomic_load(&rounds_covered));
    line_add(line, " entered=");
    line_add_unsigned(line, atomic_load(&rounds_covered));
    line_add(line, " failed=");
    line_add_unsigned(line, atomic_load(&rounds_failed));
    line_add(line, " kinds=");
    const char *separator = "";
    for (int kind = 0; kind < probe->kinds; kind++) {
        unsigned long rounds = atomic_load(&kind_rounds[kind]);
        if (rounds == 0)
            continue;
        line_add(line, separator);
        line_add(line, probe->kind_names[kind]);
        line_add(line, ":");
        line_add_unsigned(line, rounds);
        separator = ",";
    }
    if (*separator == '\0')
        line_add(line, "-");
}

void probe_start(struct probe *p)
{
    probe = p;
    if (p->kinds > PROBE_MAX_KINDS)
        abort();
    clock_gettime(CLOCK_MONOTONIC, &started);
    fault_reporter_install(p->name, append_status);
}

bool probe_more(void)
{
    if (round_now >= probe->max_rounds || seconds_since_start() >= probe->max_seconds)
        return false;
    return probe->keep_going || atomic_load(&rounds_failed) == 0;
}

void probe_fail(int kind, const char *format, ...)
{
    char what[300];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    if (failures_seen++ < FAILURES_PRINTED) {
        struct line line = {.length = 0};
        line_add(&line, probe->name);
        line_add(&line, ": FAIL round ");
        line_add_unsigned(&line, round_now);
        line_add(&line, ": ");
        line_add(&line, what);
        line_write(&line);
    }
    if (!round_failed) {
        round_failed = true;
        atomic_fetch_add(&rounds_failed, 1);
    }
    if (!kind_failed[kind]) {
        kind_failed[kind] = true;
        atomic_fetch_add(&kind_rounds[kind], 1);
    }
}

void probe_round_done(bool covered)
{
    if (covered)
        atomic_fetch_add(&rounds_covered, 1);
    atomic_store(&rounds_done, ++round_now);
    round_failed = false;
    memset(kind_failed, 0, sizeof kind_failed);
    if (probe->progress_ms > 0) {
        double now = seconds_since_start();
        if (now - last_progress >= probe->progress_ms / 1000.0) {
            last_progress = now;
            fault_write_status("progress");
        }
    }
}

int probe_finish(void)
{
    fault_write_status("RESULT");
    unsigned long failed = atomic_load(&rounds_failed);
    printf("%s: %s rounds=%lu failed=%lu window_covered=%lu\n", probe->name,
           failed ? "FAIL" : "PASS", round_now, failed, atomic_load(&rounds_covered));
    fflush(stdout);
    return failed ? 1 : 0;
}
