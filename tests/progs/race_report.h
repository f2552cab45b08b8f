/* Output of release_race. Every line is written with a single write(), so
   lines of threads and processes never interleave and nothing is left in a
   stdio buffer when a process crashes. */
#ifndef RACE_REPORT_H
#define RACE_REPORT_H

#include "race_control.h"

void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Prints "release_race: FAIL round R: ..." (the first few of them), keeps
   the first message for the final line, and marks the race as failed so
   the leader stops it after this round. */
void report_failure(struct race_control *control, unsigned long round, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif
