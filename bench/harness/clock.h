/* Wall time, CPU time and sleeping, in nanoseconds. */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC (vDSO, no system call). */
uint64_t monotonic_ns(void);

/* User plus system time from getrusage(who): RUSAGE_SELF covers every thread
 * of this process, RUSAGE_CHILDREN the children already reaped. */
uint64_t cpu_time_ns(int who);

/* Sleeps for ns, resuming after signals. */
void sleep_ns(uint64_t ns);

#endif
