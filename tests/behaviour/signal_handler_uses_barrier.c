/* Behaviour: a signal handler that runs on a thread blocked in
 * pthread_barrier_wait may itself use another barrier, and both work:
 *   count1: the handler waits on a count-1 barrier and gets
 *           PTHREAD_BARRIER_SERIAL_THREAD;
 *   peer:   the handler meets a second thread, which is not blocked in the
 *           first barrier, at a count-2 barrier; exactly one of the two
 *           gets PTHREAD_BARRIER_SERIAL_THREAD.
 * Done three times; then the outer round completes normally (nobody leaves
 * it early, exactly one SERIAL).
 * Sub-case: count1 | count1-shared | peer | peer-shared (-shared: both
 * barriers are PTHREAD_PROCESS_SHARED in MAP_SHARED pages). */
#include "barrier_kind.h"

enum { HANDLER_RUNS = 3 };

static pthread_barrier_t *outer;  /* the blocked thread waits here */
static pthread_barrier_t *inner;  /* the handler waits here */
static bool with_peer;
static _Atomic pid_t waiter_tid, peer_tid;
static atomic_int handled;
static atomic_int handler_serials, peer_serials;
static atomic_int bad_inner_result = 0x7fffffff;
static atomic_int second_arrived;
static int waiter_result;

static void on_signal(int sig)
{
    (void)sig;
    int saved_errno = errno;
    int rc = pthread_barrier_wait(inner);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        atomic_fetch_add(&handler_serials, 1);
    else if (rc != 0 || !with_peer)
        atomic_store(&bad_inner_result, rc);
    atomic_fetch_add(&handled, 1);
    errno = saved_errno;
}

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_tid, gettid());
    int rc = pthread_barrier_wait(outer);
    if (!atomic_load(&second_arrived))
        bh_fail("the waiter left the outer barrier (%s) before the other participant arrived",
                bh_err_name(rc));
    waiter_result = rc;
    return NULL;
}

static void *peer(void *arg)
{
    (void)arg;
    atomic_store(&peer_tid, gettid());
    for (int i = 0; i < HANDLER_RUNS; i++) {
        int rc = pthread_barrier_wait(inner);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&peer_serials, 1);
        else if (rc != 0)
            bh_fail("the peer's wait on the handler's barrier returned %s", bh_err_name(rc));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *cases[] = {"count1", "count1-shared", "peer", "peer-shared"};
    int which = -1;
    for (int i = 0; argc == 2 && i < 4; i++)
        if (strcmp(argv[1], cases[i]) == 0)
            which = i;
    if (which < 0) {
        fprintf(stderr, "usage: %s count1 | count1-shared | peer | peer-shared\n", argv[0]);
        return BH_SETUP;
    }
    bool shared = which % 2 == 1;
    with_peer = which >= 2;
    bh_start("setup", 8);
    install_handler_without_restart(SIGUSR1, on_signal);
    outer = new_barrier(shared, 2);
    inner = new_barrier(shared, with_peer ? 2 : 1);

    pthread_t w, p;
    if (pthread_create(&w, NULL, waiter, NULL) != 0)
        bh_setup_error("pthread_create failed");
    while (atomic_load(&waiter_tid) == 0)
        bh_sleep_ms(1);
    if (with_peer && pthread_create(&p, NULL, peer, NULL) != 0)
        bh_setup_error("pthread_create failed");

    for (int i = 0; i < HANDLER_RUNS; i++) {
        bh_phase_set("waiting for the waiter to block in the outer barrier");
        if (bh_wait_until_asleep(atomic_load(&waiter_tid), 3000) != 0)
            bh_setup_error("the waiter never went to sleep inside pthread_barrier_wait");
        bh_phase_set(with_peer ? "handler on the blocked thread meeting a free peer at a second barrier"
                               : "handler on the blocked thread waiting on a count-1 barrier");
        pthread_kill(w, SIGUSR1);
        while (atomic_load(&handled) == i)
            bh_sleep_ms(1);
        if (atomic_load(&bad_inner_result) != 0x7fffffff)
            bh_fail("the handler's wait on the %s barrier returned %s", with_peer ? "peer" : "count-1",
                    bh_err_name(atomic_load(&bad_inner_result)));
    }
    if (with_peer) {
        pthread_join(p, NULL);
        int serials = atomic_load(&handler_serials) + atomic_load(&peer_serials);
        if (serials != HANDLER_RUNS)
            bh_fail("%d rounds between handler and peer produced %d PTHREAD_BARRIER_SERIAL_THREAD, expected %d",
                    HANDLER_RUNS, serials, HANDLER_RUNS);
    } else if (atomic_load(&handler_serials) != HANDLER_RUNS) {
        bh_fail("the handler's count-1 waits gave %d SERIAL results in %d runs",
                atomic_load(&handler_serials), HANDLER_RUNS);
    }

    bh_phase_set("completing the outer round after the handlers");
    atomic_store(&second_arrived, 1);
    int mine = pthread_barrier_wait(outer);
    pthread_join(w, NULL);
    if (!bh_wait_ok(mine) || !bh_wait_ok(waiter_result))
        bh_fail("outer wait results: interrupted waiter %s, second participant %s",
                bh_err_name(waiter_result), bh_err_name(mine));
    if ((mine == PTHREAD_BARRIER_SERIAL_THREAD) + (waiter_result == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
        bh_fail("the outer round did not produce exactly one PTHREAD_BARRIER_SERIAL_THREAD");
    bh_pass("%s: a handler used a second barrier %d times while its thread was blocked in the first",
            argv[1], HANDLER_RUNS);
}
