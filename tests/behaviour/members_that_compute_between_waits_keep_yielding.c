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
#include "oversubscribed.h"

#define MEMBERS 4
#define ROUNDS 300
#define COMPUTE_US 200

static pthread_barrier_t barrier;
static long sleeps[MEMBERS];

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
    run_on_two_cpus();
    /* Initialised on 2 CPUs: 4 members are more than the CPUs. */
    if (pthread_barrier_init(&barrier, NULL, MEMBERS) != 0) bh_setup_error("pthread_barrier_init");
    run_members(MEMBERS, member);
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
