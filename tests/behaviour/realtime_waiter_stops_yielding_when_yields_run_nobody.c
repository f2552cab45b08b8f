/* Behaviour: a waiter under a real-time policy (SCHED_FIFO) whose yields
 * run nobody (its participant has a lower priority, on the same CPU) stops
 * yielding: sched_yield() lets only threads of its own priority run, so its
 * yields would only keep the lower participant off the CPU (pi_stress of
 * rt-tests lost up to 30% of its inversions to them). It yields a few times
 * to find that out, and probes again now and then (wait_policy.h): at most a
 * third of its waits yield, where a SCHED_OTHER waiter yields in each. The
 * waiter first runs rounds under SCHED_OTHER (where yielding is allowed and
 * its answer is cached), then switches itself to
 * SCHED_FIFO with pthread_setschedparam: the cached answer must not
 * outlive the switch. Everything runs on one CPU; the waiter's sched_yield
 * calls are counted by libyield-counter.so, preloaded after the shim
 * (yield_counter.c).
 * Exit 77 (skip) without the privilege to use SCHED_FIFO. */
#include "yield_counting.h"

#include <sys/syscall.h>

#define ROUNDS 100

static pthread_barrier_t barrier;

/* Arrives first in every round (the main thread works before arriving). */
static void *waiter(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    struct sched_param param = {.sched_priority = 20};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) return (void *)1;
    follow_yields_of((int)syscall(SYS_gettid));
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    return NULL;
}

static void busy_ms(double ms)
{
    const double until = bh_now() + ms / 1e3;
    while (bh_now() < until) {
    }
}

int main(void)
{
    bh_start("setup", 20);
    struct sched_param probe = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &probe) != 0) {
        printf("SKIP: no privilege for SCHED_FIFO (%s)\n", strerror(errno));
        return 77;
    }
    struct sched_param normal = {.sched_priority = 0};
    sched_setscheduler(0, SCHED_OTHER, &normal);
    on_cpu_zero_with_yield_counter();
    if (pthread_barrier_init(&barrier, NULL, 2) != 0) bh_setup_error("pthread_barrier_init");
    pthread_t thread;
    if (pthread_create(&thread, NULL, waiter, NULL) != 0) bh_setup_error("pthread_create");
    bh_phase_set("rounds");
    for (int i = 0; i < 2 * ROUNDS; i++) {
        busy_ms(1); /* the waiter arrives first and has to wait */
        pthread_barrier_wait(&barrier);
    }
    void *result;
    pthread_join(thread, &result);
    if (result != NULL) bh_setup_error("pthread_setschedparam(SCHED_FIFO) failed");
    const int yields = yields_counted();
    if (yields > ROUNDS / 3) {
        bh_fail("a SCHED_FIFO waiter called sched_yield %d times in %d rounds", yields, ROUNDS);
    }
    bh_pass("a SCHED_FIFO waiter yielded %d times in %d rounds", yields, ROUNDS);
    return BH_PASS;
}
