/* Behaviour: pthread_barrier_destroy on a count-2 barrier while one
 * participant is blocked in pthread_barrier_wait returns EBUSY at once and
 * leaves the barrier intact: the blocked waiter stays blocked, and when the
 * second participant arrives the round completes normally with exactly one
 * PTHREAD_BARRIER_SERIAL_THREAD.  Afterwards destroy succeeds.
 * Stock glibc: destroy blocks until the round ends, and the round can then
 * never end (this program reports HANG).
 * Sub-case: private | shared (PTHREAD_PROCESS_SHARED in a MAP_SHARED page). */
#include "behaviour.h"
#include <sys/mman.h>

static pthread_barrier_t *barrier;
static _Atomic pid_t waiter_tid;
static atomic_int waiter_returned;
static atomic_int second_arrived;
static int waiter_result;

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_tid, gettid());
    int rc = pthread_barrier_wait(barrier);
    if (!atomic_load(&second_arrived))
        bh_fail("the blocked waiter returned %s before the second participant arrived",
                bh_err_name(rc));
    waiter_result = rc;
    atomic_store(&waiter_returned, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "private") && strcmp(argv[1], "shared"))) {
        fprintf(stderr, "usage: %s private | shared\n", argv[0]);
        return BH_SETUP;
    }
    bool shared = strcmp(argv[1], "shared") == 0;
    bh_start("setup", 5);

    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    if (shared) {
        barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (barrier == MAP_FAILED)
            bh_setup_error("mmap failed");
        pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    } else {
        barrier = malloc(sizeof *barrier);
    }
    if (pthread_barrier_init(barrier, &attr, 2) != 0)
        bh_setup_error("pthread_barrier_init failed");

    pthread_t t;
    if (pthread_create(&t, NULL, waiter, NULL) != 0)
        bh_setup_error("pthread_create failed");
    while (atomic_load(&waiter_tid) == 0)
        bh_sleep_ms(1);
    bh_phase_set("waiting for the first participant to fall asleep in pthread_barrier_wait");
    if (bh_wait_until_asleep(atomic_load(&waiter_tid), 3000) != 0)
        bh_setup_error("the first participant never went to sleep inside pthread_barrier_wait");
    if (atomic_load(&waiter_returned))
        bh_fail("a count-2 wait returned with only one participant");

    bh_phase_set("pthread_barrier_destroy while one of two participants is blocked");
    for (int attempt = 1; attempt <= 2; attempt++) {
        int rc = pthread_barrier_destroy(barrier);
        if (rc != EBUSY)
            bh_fail("destroy #%d while a participant is blocked returned %s, expected EBUSY",
                    attempt, bh_err_name(rc));
        bh_sleep_ms(20);
        if (atomic_load(&waiter_returned))
            bh_fail("the blocked waiter returned (%s) after a refused destroy, before the round was complete",
                    bh_err_name(waiter_result));
    }

    bh_phase_set("completing the round after the refused destroys");
    atomic_store(&second_arrived, 1);
    int mine = pthread_barrier_wait(barrier);
    if (!bh_wait_ok(mine))
        bh_fail("the second participant's wait returned %s", bh_err_name(mine));
    pthread_join(t, NULL);
    if (!bh_wait_ok(waiter_result))
        bh_fail("the formerly blocked waiter's wait returned %s", bh_err_name(waiter_result));
    int serials = (mine == PTHREAD_BARRIER_SERIAL_THREAD) + (waiter_result == PTHREAD_BARRIER_SERIAL_THREAD);
    if (serials != 1)
        bh_fail("the round after the refused destroys produced %d PTHREAD_BARRIER_SERIAL_THREAD, expected 1",
                serials);

    bh_phase_set("pthread_barrier_destroy after the round completed");
    int rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        bh_fail("destroy after the completed round returned %s", bh_err_name(rc));
    bh_pass("%s: destroy while blocked returns EBUSY, the waiter is unharmed and the round completes",
            argv[1]);
}
