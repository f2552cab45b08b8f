/* Behaviour: pthread_barrier_wait is no cancellation point, not even while
 * its shared barrier's page is inaccessible (mprotect PROT_NONE). A sleeper
 * whose periodic re-check faults then asks the kernel what the page is
 * (os/mapping_kind.h) and naps; the C library's open, read, close and
 * clock_nanosleep are cancellation points, and with them a cancellation
 * requested earlier acted inside the wait: the thread ended there, its
 * wait never returned. Here the sleeper is cancelled (deferred) while it
 * sleeps, the page is protected for 300 ms (longer than a sleeper's first
 * re-check, 100 ms) and restored, and the last participant arrives: the
 * sleeper's wait must return, and the cancellation act only at the
 * sleeper's next cancellation point, after it. */
#include "behaviour.h"
#include <sys/mman.h>
#include <sys/syscall.h>

enum { PROTECTED_MS = 300 };

static pthread_barrier_t *barrier;
static size_t page;
static atomic_int sleeper_tid;
static atomic_bool wait_returned;

static void *sleeper(void *arg)
{
    (void)arg;
    atomic_store(&sleeper_tid, (int)syscall(SYS_gettid));
    const int rc = pthread_barrier_wait(barrier);
    atomic_store(&wait_returned, bh_wait_ok(rc));
    pthread_testcancel(); /* the pending cancellation acts here */
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    page = (size_t)sysconf(_SC_PAGESIZE);
    barrier = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED) bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (pthread_barrier_init(barrier, &attr, 2) != 0) bh_setup_error("pthread_barrier_init");
    pthread_t thread;
    if (pthread_create(&thread, NULL, sleeper, NULL) != 0) bh_setup_error("pthread_create");
    while (atomic_load(&sleeper_tid) == 0) bh_sleep_ms(1);
    if (bh_wait_until_task_asleep(bh_thread_state, atomic_load(&sleeper_tid), 5000) != 0)
        bh_setup_error("the sleeper never went to sleep");
    bh_phase_set("a cancellation pending while the barrier's page is protected");
    if (pthread_cancel(thread) != 0) bh_setup_error("pthread_cancel");
    if (mprotect(barrier, page, PROT_NONE) != 0) bh_setup_error("mprotect(PROT_NONE)");
    bh_sleep_ms(PROTECTED_MS);
    if (mprotect(barrier, page, PROT_READ | PROT_WRITE) != 0) bh_setup_error("mprotect back");
    bh_phase_set("last arrival");
    const int rc = pthread_barrier_wait(barrier);
    if (!bh_wait_ok(rc)) bh_fail("the last arrival's wait returned %s", bh_err_name(rc));
    void *result;
    pthread_join(thread, &result);
    if (!atomic_load(&wait_returned)) {
        bh_fail("the cancelled sleeper ended inside pthread_barrier_wait (%s)",
                result == PTHREAD_CANCELED ? "cancelled there" : "its wait failed");
    }
    if (result != PTHREAD_CANCELED) bh_fail("the sleeper was not cancelled after its wait");
    bh_pass("the sleeper's wait returned though cancelled while its barrier's page was "
            "PROT_NONE for %d ms; the cancellation acted after it", PROTECTED_MS);
}
