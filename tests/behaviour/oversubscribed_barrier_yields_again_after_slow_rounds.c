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
#include "oversubscribed.h"

#define MEMBERS 4
#define SLOW_ROUNDS 12
#define ROUNDS 3000

static pthread_barrier_t barrier;
static long sleeps[MEMBERS];

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
    run_on_two_cpus();
    /* Initialised on 2 CPUs: 4 members are more than the CPUs. */
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr,
                                   shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
    if (pthread_barrier_init(&barrier, &attr, MEMBERS) != 0) bh_setup_error("pthread_barrier_init");
    run_members(MEMBERS, member);
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
