/* Behaviour: a barrier with more members than CPUs whose rounds had to
 * sleep for a while (one member came late) meets by yielding again once
 * its members arrive together. Rounds that end in sleep lower the barrier's
 * yield budget down to one probe yield (wait_policy.h, next_yield_budget);
 * a round that completes while its waiter yields restores it. The probe
 * must be able to see that: a waiter that checked its round only before
 * each yield never saw it complete during the last one, so at one yield the
 * budget stayed at one for good, and 4 balanced members on 2 CPUs slept in
 * most waits (11-18 us a round instead of 2.2 us) after 12 slow rounds.
 * Sleeps are counted as voluntary context switches (a sched_yield that
 * switches is an involuntary one). Argument: private or shared (the wake-slot
 * and the object path keep the budget each). A CPU-bound process on those 2
 * CPUs makes the members sleep by design (long yields, wait_policy.h): 2 of
 * 10 runs failed beside one, none of 20 without. */
#include "behaviour.h"

#include <sched.h>

#define MEMBERS 4
#define SLOW_ROUNDS 12
#define ROUNDS 3000

static pthread_barrier_t barrier;
static long sleeps[MEMBERS];

static long voluntary_switches(void)
{
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
}

static void *member(void *arg)
{
    const long id = (long)arg;
    /* Member 0 comes 2 ms late: the others yield in vain and sleep. */
    for (int i = 0; i < SLOW_ROUNDS; i++) {
        if (id == 0) bh_sleep_ms(2);
        pthread_barrier_wait(&barrier);
    }
    pthread_barrier_wait(&barrier);
    const long before = voluntary_switches();
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    sleeps[id] = voluntary_switches() - before;
    return NULL;
}

int main(int argc, char **argv)
{
    bh_start("setup", 20);
    const bool shared = argc > 1 && strcmp(argv[1], "shared") == 0;
    cpu_set_t allowed, two_cpus;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) bh_setup_error("sched_getaffinity");
    CPU_ZERO(&two_cpus);
    for (int cpu = 0; cpu < CPU_SETSIZE && CPU_COUNT(&two_cpus) < 2; cpu++) {
        if (CPU_ISSET(cpu, &allowed)) CPU_SET(cpu, &two_cpus);
    }
    if (CPU_COUNT(&two_cpus) < 2) bh_setup_error("needs 2 CPUs");
    if (sched_setaffinity(0, sizeof two_cpus, &two_cpus) != 0) bh_setup_error("sched_setaffinity");
    /* Initialised on 2 CPUs: 4 members are more than the CPUs. */
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr,
                                   shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
    if (pthread_barrier_init(&barrier, &attr, MEMBERS) != 0) bh_setup_error("pthread_barrier_init");
    pthread_t threads[MEMBERS];
    for (long i = 0; i < MEMBERS; i++) {
        if (pthread_create(&threads[i], NULL, member, (void *)i) != 0) {
            bh_setup_error("pthread_create");
        }
    }
    bh_phase_set("rounds");
    for (int i = 0; i < MEMBERS; i++) pthread_join(threads[i], NULL);
    long total = 0;
    for (int i = 0; i < MEMBERS; i++) total += sleeps[i];
    /* Balanced, they sleep a few times in thousands of rounds. */
    if (total > ROUNDS / 10) {
        bh_fail("members slept %ld times in %d balanced rounds after %d slow ones", total, ROUNDS,
                SLOW_ROUNDS);
    }
    bh_pass("members slept %ld times in %d balanced rounds after %d slow ones", total, ROUNDS,
            SLOW_ROUNDS);
    return BH_PASS;
}
