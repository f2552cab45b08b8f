/* For the behaviour tests of barriers with more members than CPUs: the
 * process on two of its CPUs, members run as threads, and their sleeps
 * counted as voluntary context switches (a sched_yield that switches is an
 * involuntary one). */
#ifndef OVERSUBSCRIBED_H
#define OVERSUBSCRIBED_H

#include "behaviour.h"

#include <sched.h>
#include <sys/resource.h>

/* The calling thread's voluntary context switches so far. */
static long voluntary_switches(void)
{
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
}

/* Runs the process, and the threads it creates afterwards, on the first
 * two CPUs it may use; a setup error without two. */
static void run_on_two_cpus(void)
{
    cpu_set_t allowed, two_cpus;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) bh_setup_error("sched_getaffinity");
    CPU_ZERO(&two_cpus);
    for (int cpu = 0; cpu < CPU_SETSIZE && CPU_COUNT(&two_cpus) < 2; cpu++) {
        if (CPU_ISSET(cpu, &allowed)) CPU_SET(cpu, &two_cpus);
    }
    if (CPU_COUNT(&two_cpus) < 2) bh_setup_error("needs 2 CPUs");
    if (sched_setaffinity(0, sizeof two_cpus, &two_cpus) != 0) bh_setup_error("sched_setaffinity");
}

/* Runs `member(id)` in `count` threads, ids 0 to count - 1, and joins them. */
static void run_members(int count, void *(*member)(void *))
{
    pthread_t threads[count];
    for (long i = 0; i < count; i++) {
        if (pthread_create(&threads[i], NULL, member, (void *)i) != 0) {
            bh_setup_error("pthread_create");
        }
    }
    bh_phase_set("rounds");
    for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
}

#endif
