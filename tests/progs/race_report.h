/* Output of release_race. Every line is written with a single write(), so
   lines of threads and processes never interleave and nothing is left in a
   stdio buffer when a process crashes. */
#ifndef RACE_REPORT_H
#define RACE_REPORT_H

#include "race_control.h"
#include "race_line.h"

void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prints "release_race: FAIL round R: ..." (the first few of them), keeps
   the first message for the final line, counts the round as failed (in
   all and for `kind`), and marks the race as failed so the leader stops
   it after this round (unless --keep-going). */
void report_failure(struct race_control *control, unsigned long round, enum failure_kind kind,
                    const char *format, ...) __attribute__((format(printf, 4, 5)));

/* "early", "serial", "count", "stray", "error". */
const char *failure_kind_name(enum failure_kind kind);

/* Appends " rounds=N covered=N entered=N failed=N kinds=stray:3,early:1" (kinds=-
   when none): the status line's numbers. Async-signal-safe. */
void append_race_status(struct line *line, struct race_control *control);

#endif
