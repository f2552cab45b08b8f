/* Behaviour: a sleeper whose round completed, and whose barrier's memory was
 * then unmapped and replaced by a new shared mapping that happens to be
 * PROT_NONE at the same address, returns: its memory is gone (a participant
 * returned, so the memory could be released), and what lies there now is
 * not its barrier.  Likewise when the participant that returned made the
 * memory PROT_NONE in place (reused as a guard page).  A sleeper that took
 * any unreadable shared page for its own barrier, protected while its round
 * is open, would wait for that page to become readable: for ever.
 *
 * The sleeper is the main thread; the round completes while it runs a
 * signal handler inside the wait, so that it can see the round only after
 * the memory changed.  The other thread waits until the sleeper is asleep,
 * signals it, waits until the handler runs, arrives (completing the round),
 * replaces or protects the page, then lets the handler return.  The
 * sleeper's wait must return within a few seconds.  (glibc 2.36 reads the
 * barrier after its futex wait and dies of SIGSEGV here.) */
#include "behaviour.h"
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

enum { REPLACE, PROTECT_IN_PLACE, WAYS };

static pthread_barrier_t *barrier;
static size_t page;
static atomic_int sleeper_tid;
static sem_t handler_running, handler_may_return;
static int way;

static pid_t own_tid(void) { return (pid_t)syscall(SYS_gettid); }

static void hold_the_sleeper(int sig)
{
    (void)sig;
    sem_post(&handler_running);
    while (sem_wait(&handler_may_return) != 0) {
    }
}

static void *completer(void *arg)
{
    (void)arg;
    while (atomic_load(&sleeper_tid) == 0)
        bh_sleep_ms(1);
    if (bh_wait_until_task_asleep(bh_thread_state, atomic_load(&sleeper_tid), 5000) != 0)
        bh_setup_error("the sleeper never went to sleep");
    if (syscall(SYS_tgkill, getpid(), atomic_load(&sleeper_tid), SIGUSR1) != 0)
        bh_setup_error("tgkill failed");
    while (sem_wait(&handler_running) != 0) {
    }
    bh_phase_set("last arrival");
    int rc = pthread_barrier_wait(barrier);
    if (!bh_wait_ok(rc))
        bh_fail("the last arrival's wait returned %s", bh_err_name(rc));
    if (way == REPLACE) {
        bh_phase_set("memory replaced by a protected shared mapping");
        if (munmap(barrier, page) != 0)
            bh_setup_error("munmap failed");
        void *again = mmap(barrier, page, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (again != (void *)barrier)
            bh_setup_error("mmap at the released address failed");
    } else {
        bh_phase_set("memory protected after the round");
        if (mprotect(barrier, page, PROT_NONE) != 0)
            bh_setup_error("mprotect failed");
    }
    sem_post(&handler_may_return);
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    page = (size_t)sysconf(_SC_PAGESIZE);
    sem_init(&handler_running, 0, 0);
    sem_init(&handler_may_return, 0, 0);
    struct sigaction action = {.sa_handler = hold_the_sleeper};
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR1, &action, NULL) != 0)
        bh_setup_error("sigaction failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    for (way = 0; way < WAYS; way++) {
        barrier = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (barrier == MAP_FAILED)
            bh_setup_error("mmap failed");
        if (pthread_barrier_init(barrier, &attr, 2) != 0)
            bh_setup_error("pthread_barrier_init failed");
        pthread_t other;
        if (pthread_create(&other, NULL, completer, NULL) != 0)
            bh_setup_error("pthread_create failed");
        bh_phase_set(way == REPLACE ? "sleeping; then the page is replaced by a PROT_NONE one"
                                    : "sleeping; then the page is made PROT_NONE after the round");
        bh_arm_alarm(10);
        atomic_store(&sleeper_tid, own_tid());
        int rc = pthread_barrier_wait(barrier);
        atomic_store(&sleeper_tid, 0);
        if (!bh_wait_ok(rc))
            bh_fail("the sleeper's wait returned %s", bh_err_name(rc));
        pthread_join(other, NULL);
        munmap(barrier, page);
    }
    bh_pass("the sleeper returned after its completed round's page was replaced by a "
            "PROT_NONE shared mapping, and after it was made PROT_NONE in place");
}
