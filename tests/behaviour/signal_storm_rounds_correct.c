/* Behaviour: under a storm of signals (handler installed without
 * SA_RESTART; one thread sends a signal to every participant every few tens
 * of microseconds) thousands of barrier rounds all stay correct: every wait
 * returns 0 or PTHREAD_BARRIER_SERIAL_THREAD (never EINTR), nobody leaves a
 * round before all participants have arrived, and each round has exactly one
 * PTHREAD_BARRIER_SERIAL_THREAD.
 * Sub-case: private | shared, or private-handler-remaps | shared-handler-remaps
 * where the handler also munmaps and mmap(MAP_FIXED)s a page of its own
 * (wrapped calls made from a handler that may have interrupted a barrier's
 * exit; not async-signal-safe by POSIX, but real programs do it). */
#include "barrier_kind.h"
#include <limits.h>

enum { PARTICIPANTS = 3, MAX_ROUNDS = 200000, MIN_ROUNDS = 2000, MIN_SIGNALS_EACH = 500 };
static const double RUN_SECONDS = 1.5, MAX_SECONDS = 5.0;

static pthread_barrier_t *barrier;
static bool handler_remaps;
static atomic_int arrivals[MAX_ROUNDS];
static atomic_int serials[MAX_ROUNDS];
static atomic_int stop_after = INT_MAX;
static atomic_int rounds_done[PARTICIPANTS];
static atomic_int handled[PARTICIPANTS];
static atomic_int participants_done;
static atomic_int storm_over;
static _Atomic pid_t tids[PARTICIPANTS];
static double started;

static __thread int my_index = -1;
static __thread char *my_page;
static __thread unsigned my_remaps;

static void on_signal(int sig)
{
    (void)sig;
    int saved_errno = errno;
    if (my_index >= 0) {
        atomic_fetch_add(&handled[my_index], 1);
        if (handler_remaps && my_page) {
            if (my_remaps++ % 2 == 0 && munmap(my_page, 4096) != 0)
                bh_fail("munmap in the handler failed");
            if (mmap(my_page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
                my_page)
                bh_fail("mmap(MAP_FIXED) in the handler failed");
        }
    }
    errno = saved_errno;
}

static int least_handled(void)
{
    int least = INT_MAX;
    for (int i = 0; i < PARTICIPANTS; i++)
        if (atomic_load(&handled[i]) < least)
            least = atomic_load(&handled[i]);
    return least;
}

static void *participant(void *arg)
{
    int me = (int)(intptr_t)arg;
    if (handler_remaps) {
        my_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (my_page == MAP_FAILED)
            bh_setup_error("mmap failed");
    }
    my_index = me;
    atomic_store(&tids[me], gettid());
    int r;
    for (r = 0; r < MAX_ROUNDS; r++) {
        atomic_fetch_add(&arrivals[r], 1);
        int rc = pthread_barrier_wait(barrier);
        int arrived = atomic_load(&arrivals[r]);
        if (rc == EINTR)
            bh_fail("round %d: participant %d's wait returned EINTR", r, me);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: participant %d's wait returned %s", r, me, bh_err_name(rc));
        if (arrived != PARTICIPANTS)
            bh_fail("round %d: participant %d left after only %d of %d participants arrived", r, me,
                    arrived, PARTICIPANTS);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            atomic_fetch_add(&serials[r], 1);
            /* Everyone reads stop_after after the next round, so all stop together. */
            if (atomic_load(&stop_after) == INT_MAX &&
                bh_time_to_stop(started, RUN_SECONDS, MAX_SECONDS,
                                r + 1 >= MIN_ROUNDS && least_handled() >= MIN_SIGNALS_EACH))
                atomic_store(&stop_after, r + 1);
        }
        if (r >= atomic_load(&stop_after))
            break;
    }
    atomic_store(&rounds_done[me], r < MAX_ROUNDS ? r + 1 : MAX_ROUNDS);
    atomic_fetch_add(&participants_done, 1);
    return NULL;
}

static void *storm(void *arg)
{
    pthread_t *threads = arg;
    while (!atomic_load(&storm_over)) {
        for (int i = 0; i < PARTICIPANTS; i++)
            pthread_kill(threads[i], SIGUSR1);
        struct timespec pause = {0, 20000};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *cases[] = {"private", "shared", "private-handler-remaps", "shared-handler-remaps"};
    int which = -1;
    for (int i = 0; argc == 2 && i < 4; i++)
        if (strcmp(argv[1], cases[i]) == 0)
            which = i;
    if (which < 0) {
        fprintf(stderr, "usage: %s private | shared | private-handler-remaps | shared-handler-remaps\n",
                argv[0]);
        return BH_SETUP;
    }
    bool shared = which % 2 == 1;
    handler_remaps = which >= 2;
    bh_start("barrier rounds under a signal storm", 12);
    install_handler_without_restart(SIGUSR1, on_signal);
    barrier = new_barrier(shared, PARTICIPANTS);

    pthread_t threads[PARTICIPANTS], stormer;
    started = bh_now();
    for (int i = 0; i < PARTICIPANTS; i++)
        if (pthread_create(&threads[i], NULL, participant, (void *)(intptr_t)i) != 0)
            bh_setup_error("pthread_create failed");
    for (int i = 0; i < PARTICIPANTS; i++)
        while (atomic_load(&tids[i]) == 0)
            bh_sleep_ms(1);
    if (pthread_create(&stormer, NULL, storm, threads) != 0)
        bh_setup_error("pthread_create failed");

    /* Participants stay joinable (not reaped) until the storm has stopped. */
    while (atomic_load(&participants_done) < PARTICIPANTS)
        bh_sleep_ms(5);
    double elapsed = bh_now() - started;
    atomic_store(&storm_over, 1);
    pthread_join(stormer, NULL);
    for (int i = 0; i < PARTICIPANTS; i++)
        pthread_join(threads[i], NULL);

    int rounds = atomic_load(&rounds_done[0]);
    for (int i = 1; i < PARTICIPANTS; i++)
        if (atomic_load(&rounds_done[i]) != rounds)
            bh_fail("participants completed different numbers of rounds (%d vs %d)", rounds,
                    atomic_load(&rounds_done[i]));
    for (int r = 0; r < rounds; r++)
        if (atomic_load(&serials[r]) != 1)
            bh_fail("round %d produced %d PTHREAD_BARRIER_SERIAL_THREAD, expected 1", r,
                    atomic_load(&serials[r]));
    int least = least_handled();
    if (least < MIN_SIGNALS_EACH || rounds < MIN_ROUNDS)
        bh_setup_error("the storm was too weak: %d rounds, a participant handled only %d signals "
                       "(want >= %d rounds, >= %d signals each)",
                       rounds, least, MIN_ROUNDS, MIN_SIGNALS_EACH);
    bh_pass("%s: %d rounds in %.2f s, each correct, with >= %d signals handled by every participant (%.0f/s)",
            argv[1], rounds, elapsed, least, least / elapsed);
}
