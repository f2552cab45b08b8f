/* Starting threads under a real-time policy, pinned to one CPU, for
 * realtime_priorities_never_starve.c; a program that cannot have real-time
 * priorities is skipped (exit 77, which meson reads as SKIP). */
#ifndef REALTIME_THREADS_H
#define REALTIME_THREADS_H

#include "reliability.h"
#include <sched.h>

enum { SKIPPED = 77 };

__attribute__((noreturn)) static inline void skip(const char *what, int error)
{
    printf("SKIP: the kernel refuses real-time priorities (%s: %s)\n", what, strerror(error));
    exit(SKIPPED);
}

/* Starts `body` at `priority` under `policy`, pinned to `cpu` (or unpinned
 * if cpu < 0). */
static inline pthread_t start_thread(void *(*body)(void *), int policy, int priority, int cpu,
                                      void *argument)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, policy);
    struct sched_param param = {.sched_priority = priority};
    pthread_attr_setschedparam(&attr, &param);
    if (cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_attr_setaffinity_np(&attr, sizeof one, &one);
    }
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, body, argument);
    if (rc == EPERM)
        skip("pthread_create with a real-time policy", rc);
    if (rc != 0)
        bh_setup_error("pthread_create failed: %s", strerror(rc));
    pthread_attr_destroy(&attr);
    return thread;
}

static inline int first_usable_cpu(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        bh_setup_error("sched_getaffinity failed");
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set))
            return cpu;
    bh_setup_error("no usable CPU");
}

#endif
