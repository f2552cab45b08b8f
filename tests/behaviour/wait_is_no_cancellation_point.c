/* pthread_barrier_wait is not a cancellation point (POSIX), and a wait that
 * returns normally leaves errno alone. Six threads, each with a deferred
 * cancellation request pending, wait on a count-1 barrier in a loop: their
 * arrivals keep landing in a full round (between a round's last arrival and
 * its reset), where a waiter polls and naps. None may be cancelled there (a
 * nap through nanosleep was a cancellation point, and the cancelled waiter
 * left the unmap lock's window open: the munmap at the end then hung), and
 * errno must be unchanged after every wait although SIGALRM interrupts the
 * naps every millisecond.
 * Argument: private | shared. */
#include <sys/mman.h>
#include <sys/time.h>

#include "behaviour.h"

enum { kThreads = 6 };
static pthread_barrier_t *barrier;
static atomic_long errno_changes;
static atomic_int wrong_results;
static volatile double stop_at;

static void on_alarm(int sig) { (void)sig; }

static void *waiter(void *unused)
{
    (void)unused;
    pthread_cancel(pthread_self()); /* pending: acts at the next cancellation point */
    while (bh_now() < stop_at) {
        for (int i = 0; i < 1000; i++) {
            errno = 0;
            int rc = pthread_barrier_wait(barrier);
            if (errno != 0)
                atomic_fetch_add(&errno_changes, 1);
            if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
                atomic_fetch_add(&wrong_results, 1);
        }
    }
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL); /* leave normally */
    return NULL;
}

int main(int argc, char **argv)
{
    bh_start("setup", 30);
    bool shared = argc > 1 && strcmp(argv[1], "shared") == 0;
    barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED)
        bh_setup_error("mmap: %s", strerror(errno));
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
    if (pthread_barrier_init(barrier, &attr, 1) != 0)
        bh_setup_error("pthread_barrier_init failed");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every_ms = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &every_ms, NULL);
    stop_at = bh_now() + 1.5;
    pthread_t threads[kThreads];
    for (int i = 0; i < kThreads; i++)
        if (pthread_create(&threads[i], NULL, waiter, NULL) != 0)
            bh_setup_error("pthread_create failed");
    int cancelled = 0;
    for (int i = 0; i < kThreads; i++) {
        void *result;
        pthread_join(threads[i], &result);
        cancelled += result == PTHREAD_CANCELED;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    bh_arm_alarm(10);
    bh_phase_set("munmap after the waits (a window left open by a cancelled waiter hangs here)");
    if (munmap(barrier, 4096) != 0)
        bh_fail("munmap: %s", strerror(errno));
    if (cancelled != 0)
        bh_fail("%d of %d threads were cancelled inside pthread_barrier_wait", cancelled, kThreads);
    if (atomic_load(&wrong_results) != 0)
        bh_fail("%d waits on a count-1 barrier did not return PTHREAD_BARRIER_SERIAL_THREAD",
                atomic_load(&wrong_results));
    if (atomic_load(&errno_changes) != 0)
        bh_fail("%ld successful waits changed errno", atomic_load(&errno_changes));
    bh_pass("%s: %d threads with a pending cancellation request waited 1.5 s on a count-1 "
            "barrier under SIGALRM every ms: none cancelled, errno never changed",
            argv[1], kThreads);
}
