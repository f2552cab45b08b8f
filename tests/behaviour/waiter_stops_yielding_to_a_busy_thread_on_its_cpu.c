/* Behaviour: two members of a barrier that share their one CPU with a busy
 * thread (a CPU-bound thread that never waits here) stop yielding to it.
 * A yield hands the busy thread a whole time slice (milliseconds), where
 * the last arrival's wake-up puts a sleeper back at once; glibc sleeps at
 * once (7-14 us a round here), the shim used to yield in every wait (710 us
 * a round). A few long yields show the waiter what its yields do, and it
 * then sleeps without yielding, probing now and then (wait_policy.h, long
 * yields): at most a tenth of the rounds see a yield of the followed member.
 * Everything runs on CPU 0 (so the barrier counts more members than CPUs
 * and does not spin: it yields, then sleeps); the member's sched_yield calls
 * are counted by libyield-counter.so, preloaded after the shim
 * (yield_counter.c). */
#include "yield_counting.h"

#include <sys/syscall.h>

#define ROUNDS 300

static pthread_barrier_t barrier;
static atomic_bool stop_busy;

static void *busy_thread(void *unused)
{
    (void)unused;
    while (!atomic_load_explicit(&stop_busy, memory_order_relaxed)) {
    }
    return NULL;
}

static void *followed_member(void *unused)
{
    (void)unused;
    follow_yields_of((int)syscall(SYS_gettid));
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    on_cpu_zero_with_yield_counter();
    if (pthread_barrier_init(&barrier, NULL, 2) != 0) bh_setup_error("pthread_barrier_init");
    pthread_t busy, member;
    if (pthread_create(&busy, NULL, busy_thread, NULL) != 0) bh_setup_error("pthread_create");
    if (pthread_create(&member, NULL, followed_member, NULL) != 0) bh_setup_error("pthread_create");
    bh_phase_set("rounds beside a busy thread");
    const double start = bh_now();
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    pthread_join(member, NULL);
    const double seconds = bh_now() - start;
    atomic_store(&stop_busy, true);
    pthread_join(busy, NULL);
    const int yields = yields_counted();
    if (yields > ROUNDS / 10) {
        bh_fail("a member beside a busy thread called sched_yield %d times in %d rounds "
                "(%.0f us a round)", yields, ROUNDS, seconds * 1e6 / ROUNDS);
    }
    bh_pass("a member beside a busy thread yielded %d times in %d rounds (%.0f us a round)",
            yields, ROUNDS, seconds * 1e6 / ROUNDS);
    return BH_PASS;
}
