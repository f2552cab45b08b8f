/* What a run prints on stdout: one line of key=value results, or the smoke
 * check's verdict. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdint.h>

#include "member.h"

/* children_cpu_ns: RUSAGE_CHILDREN over the run (used for process teams). */
void print_timed_result(const struct member_context *member, uint64_t children_cpu_ns);

/* Checks the counters of a smoke run, prints the verdict and returns the
 * exit status: 0 when no problem was found, else 1. */
int report_smoke_result(const struct member_context *member);

#endif
