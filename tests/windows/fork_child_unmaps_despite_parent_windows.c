/* In the child of fork, an unmap never waits for the exit windows of the
 * parent's other threads: they do not exist in the child.
 *
 * Two threads wait, each at its own process-shared barrier (count 2, a
 * MAP_SHARED page; count 2 so that the shim lets its waiters spin on two
 * CPUs), and spin there, inside the exit windows their waits hold, until
 * the main thread arrives at both at the end. Meanwhile the main thread
 * forks up to 200 children. A library the program links (atfork_unmapper.c)
 * registered, in its constructor, a pthread_atfork child handler that
 * unmaps a page; it runs in every child before fork returns there. Whether
 * it runs before or after the shim's own child handler depends on the
 * loader's constructor order, which the program does not choose (glibc 2.36
 * runs the linked library's constructor before the preloaded shim's, so
 * the library registers first and its child handler runs first). Each
 * child then exits at once. Every child must exit within 1 s: a child whose
 * handler's munmap waits for the parent's windows hangs. */
#include <sys/wait.h>

#include "atfork_unmapper.h"
#include "window_tests.h"

enum { kWaiters = 2, kMaxChildren = 200, kMinChildren = 50 };
static const double kRunSeconds = 10.0;
static const long kChildLimitMs = 1000;

static pthread_barrier_t *barriers[kWaiters];

static void *waiter(void *barrier)
{
    int rc = pthread_barrier_wait(barrier);
    if (!bh_wait_ok(rc))
        bh_fail("a waiter's wait returned %s", bh_err_name(rc));
    return NULL;
}

/* Reaps child #index within kChildLimitMs, or kills it and fails. */
static void reap(pid_t pid, int index)
{
    int status = 0;
    for (long waited_ms = 0;; waited_ms++) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0)
            bh_setup_error("waitpid failed: %s", strerror(errno));
        if (waited_ms >= kChildLimitMs) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            bh_fail("child #%d hung in fork's child handlers: the library's munmap waited for "
                    "exit windows of the parent's threads, which do not exist in the child", index);
        }
        bh_sleep_ms(1);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 40)
        bh_fail("child #%d: the library's munmap failed in the child", index);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bh_fail("child #%d ended with status 0x%x", index, status);
}

int main(void)
{
    bh_start("setup", 25);
    if (!atfork_unmapper_ready())
        bh_setup_error("the library did not register its child handler");
    pthread_t threads[kWaiters];
    for (int i = 0; i < kWaiters; i++) {
        barriers[i] = new_barrier(true, 2);
        if (pthread_create(&threads[i], NULL, waiter, barriers[i]) != 0)
            bh_setup_error("pthread_create failed");
        await_arrival(barriers[i], "a waiter never arrived at its barrier");
    }

    bh_phase_set("fork while the waiters spin");
    int children = 0;
    const double started = bh_now();
    while (children < kMaxChildren && bh_now() - started < kRunSeconds) {
        pid_t pid = fork();
        if (pid < 0)
            bh_setup_error("fork failed: %s", strerror(errno));
        if (pid == 0)
            _exit(0); /* the library's child handler has run */
        reap(pid, children);
        children++;
    }
    if (children < kMinChildren)
        bh_setup_error("only %d children in %.0f s (want >= %d)", children, kRunSeconds,
                       kMinChildren);

    bh_phase_set("release the waiters");
    for (int i = 0; i < kWaiters; i++) {
        int rc = pthread_barrier_wait(barriers[i]);
        if (!bh_wait_ok(rc))
            bh_fail("the main thread's wait returned %s", bh_err_name(rc));
        pthread_join(threads[i], NULL);
        unmap_or_fail(barriers[i], 4096, "munmap of a barrier after its round");
    }
    bh_pass("%d children forked while %d threads waited at process-shared barriers; a library's "
            "child handler unmapped a page in each, and every child exited", children, kWaiters);
}
