/* Scaffolding of the exit-window tests (issue 13, part B), on top of the
 * behaviour tests' own (tests/behaviour/behaviour.h: exit codes 0 PASS,
 * 1 FAIL, 2 SETUP, 3 HANG, one report line, a self-imposed alarm).
 *
 * A waiter of a process-shared barrier in MAP_SHARED memory (the object
 * wait path) holds an exit window of the shim's unmap lock from before its
 * arrival until it sees the round released or goes to sleep. meson.build
 * runs these programs with long spin budgets (BARRIER_SHIM_SPIN_NS and its
 * bounds), so a waiter whose round is still open keeps spinning, inside its
 * window, until the test completes the round: whatever interrupts it then
 * interrupts it inside the window. Without the shim the same programs run
 * against glibc's barrier, which holds no windows. */
#ifndef WINDOW_TESTS_H
#define WINDOW_TESTS_H

#include <sys/mman.h>

#include "../behaviour/spinning_victim.h"

/* How long a test waits for another thread to reach a step it announces. */
static const double kStepLimitSeconds = 5.0;

__attribute__((noreturn)) static inline void window_hang(const char *what)
{
    bh_write_str("HANG: ");
    bh_write_str(what);
    bh_write_str("\n");
    _exit(BH_HANG);
}

/* Polls until *flag == value: at most `limit_s`, then a HANG report naming
 * `what`. Async-signal-safe. */
static inline void await_value(atomic_int *flag, int value, double limit_s, const char *what)
{
    const double started = bh_now();
    for (unsigned long polls = 1; atomic_load(flag) != value; polls++) {
        if (polls % 1024 == 0 && bh_now() - started > limit_s)
            window_hang(what);
        sched_yield();
    }
}

/* A private anonymous page that holds no barrier: "unrelated memory". */
static inline char *unrelated_page(void)
{
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        bh_setup_error("mmap of an unrelated page failed");
    page[0] = 1;
    return page;
}

/* A fresh MAP_SHARED page that holds a process-shared barrier of count 1:
 * every wait on it is the object path's, with an exit window. */
static inline pthread_barrier_t *count1_shared_barrier_page(void)
{
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (pthread_barrier_init(page, &attr, 1) != 0)
        bh_setup_error("pthread_barrier_init failed");
    pthread_barrierattr_destroy(&attr);
    return page;
}

/* Busy-waits a random number of iterations below `bound`: so that whatever
 * main does next lands at a random instant of a looping victim's wait. */
static inline void spin_a_random_while(int bound)
{
    for (volatile int spin = 0, until = rand() % bound; spin < until; spin++) {
    }
}

/* Unmaps `page` (HANG names `what` through the alarm if it never returns). */
static inline void unmap_or_fail(void *page, size_t length, const char *what)
{
    bh_phase_set(what);
    if (munmap(page, length) != 0)
        bh_fail("munmap (%s): %s", what, strerror(errno));
}

/* A fault of any thread is reported as FAIL with this explanation. */
static const char *volatile fault_meaning = "a thread faulted";

static inline void on_fault(int sig)
{
    bh_write_str("FAIL: ");
    bh_write_str(fault_meaning);
    bh_write_str(sig == SIGBUS ? " (SIGBUS)\n" : " (SIGSEGV)\n");
    _exit(BH_FAIL);
}

static inline void report_faults_as(const char *meaning)
{
    fault_meaning = meaning;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
        bh_setup_error("sigaction for SIGSEGV/SIGBUS failed");
}

/* Waits (bounded) until `barrier`'s open round counts an arrival: the thread
 * that announced its wait has arrived (spinning_victim.h's layout note). */
static inline void await_arrival(pthread_barrier_t *barrier, const char *what)
{
    const double started = bh_now();
    for (unsigned long polls = 1; arrivals_in(barrier) == 0; polls++) {
        if (polls % 1024 == 0 && bh_now() - started > kStepLimitSeconds)
            window_hang(what);
        sched_yield();
    }
}

#endif
