/* Behaviour: members of a barrier with more members than CPUs that compute
 * for a while between waits (200 us here) keep meeting by yielding: a
 * waiter's yield runs a member that computes and arrives, and comes back
 * when that member waits in turn, after its computation. Such a yield is
 * long, but it ran a participant, not a thread that has nothing to do with
 * the barrier: a sleeper would not have been woken sooner, and each sleep
 * adds its wake-up to the round (wait_policy.h, long yields: with a 50 us
 * limit, 4 members on 2 CPUs took 435 us a round instead of 405 us, as
 * glibc does, and slept in most waits). Sleeps are counted as voluntary
 * context switches (a sched_yield that switches is an involuntary one). */
#include "behaviour.h"

#include <sched.h>

#define MEMBERS 4
#define ROUNDS 300
#define COMPUTE_US 200

static pthread_barrier_t barrier;
static long sleeps[MEMBERS];

static long voluntary_switches(void)
{
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
}

static void compute(void)
{
    const double until = bh_now() + COMPUTE_US * 1e-6;
    while (bh_now() < until) {
    }
}

static void *member(void *arg)
{
    const long id = (long)arg;
    pthread_barrier_wait(&barrier);
    const long before = voluntary_switches();
    for (int i = 0; i < ROUNDS; i++) {
        compute();
        pthread_barrier_wait(&barrier);
    }
    sleeps[id] = voluntary_switches() - before;
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    cpu_set_t allowed, two_cpus;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) bh_setup_error("sched_getaffinity");
    CPU_ZERO(&two_cpus);
    for (int cpu = 0; cpu < CPU_SETSIZE && CPU_COUNT(&two_cpus) < 2; cpu++) {
        if (CPU_ISSET(cpu, &allowed)) CPU_SET(cpu, &two_cpus);
    }
    if (CPU_COUNT(&two_cpus) < 2) bh_setup_error("needs 2 CPUs");
    if (sched_setaffinity(0, sizeof two_cpus, &two_cpus) != 0) bh_setup_error("sched_setaffinity");
    /* Initialised on 2 CPUs: 4 members are more than the CPUs. */
    if (pthread_barrier_init(&barrier, NULL, MEMBERS) != 0) bh_setup_error("pthread_barrier_init");
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
    /* Sleeping in every wait that waits is MEMBERS - 1 sleeps a round; an
     * outside disturbance now and then makes some. */
    if (total > ROUNDS * (MEMBERS - 1) / 3) {
        bh_fail("members computing %d us between waits slept %ld times in %d rounds", COMPUTE_US,
                total, ROUNDS);
    }
    bh_pass("members computing %d us between waits slept %ld times in %d rounds", COMPUTE_US, total,
            ROUNDS);
    return BH_PASS;
}
