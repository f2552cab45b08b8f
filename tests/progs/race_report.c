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

void report_failure(struct race_control *control, unsigned long round, const char *format, ...)
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
    /* relaxed: read by the leader after the next phase meeting, which
       orders it. */
    atomic_store_explicit(&control->failed, true, memory_order_relaxed);
}
