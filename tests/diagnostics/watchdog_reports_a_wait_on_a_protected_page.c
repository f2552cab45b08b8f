/* The watchdog reports a waiter stuck while its barrier's page is
 * PROT_NONE: a process-shared barrier in shared memory, whose page another
 * thread protects for PROTECTED_MS (several times the watchdog's threshold,
 * BARRIER_SHIM_WATCHDOG, which the test sets) while the main thread sleeps
 * in an open round, then makes accessible again and arrives.  The sleeper
 * naps while it cannot sleep on the futex; its naps must count as wake-ups
 * for the watchdog, as its timed futex sleeps do.
 *
 * The program sends its own standard error to a pipe and looks there for
 * the watchdog's "waiting" line once the round is over.  Exits 0 if found,
 * 1 if not, 2 on a setup error, 3 if it bounded itself. */
#define _GNU_SOURCE
/* bh_sleep_ms and bh_wait_until_asleep only (this program keeps its own
 * exit codes, without the behaviour harness). */
#include "../behaviour/behaviour.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

enum { PROTECTED_MS = 1500, SELF_LIMIT_SECONDS = 20 };

static pthread_barrier_t *barrier;
static size_t page;
static atomic_int sleeper_tid;

static void *protector(void *arg)
{
    (void)arg;
    while (atomic_load(&sleeper_tid) == 0)
        bh_sleep_ms(1);
    if (bh_wait_until_asleep(atomic_load(&sleeper_tid), 5000) != 0)
        _exit(2);
    if (mprotect(barrier, page, PROT_NONE) != 0)
        _exit(2);
    bh_sleep_ms(PROTECTED_MS);
    if (mprotect(barrier, page, PROT_READ | PROT_WRITE) != 0)
        _exit(2);
    pthread_barrier_wait(barrier);
    return NULL;
}

int main(void)
{
    alarm(SELF_LIMIT_SECONDS);
    page = (size_t)sysconf(_SC_PAGESIZE);
    barrier = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED)
        return 2;
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (pthread_barrier_init(barrier, &attr, 2) != 0)
        return 2;
    int report[2];
    int saved_stderr = dup(STDERR_FILENO);
    if (pipe2(report, O_NONBLOCK) != 0 || saved_stderr < 0 ||
        dup2(report[1], STDERR_FILENO) < 0)
        return 2;
    pthread_t other;
    if (pthread_create(&other, NULL, protector, NULL) != 0)
        return 2;
    atomic_store(&sleeper_tid, (int)syscall(SYS_gettid));
    pthread_barrier_wait(barrier);
    pthread_join(other, NULL);
    dup2(saved_stderr, STDERR_FILENO);
    static char text[65536];
    ssize_t n = read(report[0], text, sizeof text - 1);
    text[n > 0 ? n : 0] = '\0';
    fputs(text, stderr);
    if (strstr(text, "watchdog: pid ") == NULL || strstr(text, ": waiting ") == NULL) {
        printf("FAIL: no watchdog report of the wait that slept %d ms on a PROT_NONE page\n",
               PROTECTED_MS);
        return 1;
    }
    printf("PASS: the watchdog reported the wait stuck on a PROT_NONE page\n");
    return 0;
}
