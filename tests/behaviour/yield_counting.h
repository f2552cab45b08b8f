/* For the behaviour tests that count a thread's sched_yield calls: the
 * counter is libyield-counter.so (yield_counter.c), preloaded after the
 * shim, found here by name. */
#ifndef YIELD_COUNTING_H
#define YIELD_COUNTING_H

#include "behaviour.h"

#include <dlfcn.h>
#include <sched.h>

static void (*follow_yields_of)(int tid);
static int (*yields_counted)(void);

/* Runs the process, and the threads it creates afterwards, on CPU 0, finds
 * the yield counter (a setup error without it) and counts nobody's yields
 * yet. */
static void on_cpu_zero_with_yield_counter(void)
{
    cpu_set_t one_cpu;
    CPU_ZERO(&one_cpu);
    CPU_SET(0, &one_cpu);
    if (sched_setaffinity(0, sizeof one_cpu, &one_cpu) != 0) bh_setup_error("sched_setaffinity");
    /* (POSIX: a dlsym result may be converted to a function pointer.) */
    *(void **)&follow_yields_of = dlsym(RTLD_DEFAULT, "yield_counter_follow");
    *(void **)&yields_counted = dlsym(RTLD_DEFAULT, "yield_counter_count");
    if (follow_yields_of == NULL || yields_counted == NULL) {
        bh_setup_error("preload libyield-counter.so after the shim");
    }
    follow_yields_of(-1);
}

#endif
