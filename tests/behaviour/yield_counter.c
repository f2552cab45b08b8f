/* A preloadable library for the real-time yield tests: its sched_yield
 * counts the calls made by one chosen thread, then makes the system call.
 * Preloaded after the shim, it receives the shim's calls (the shim defines
 * no sched_yield of its own), at the cost of a compare and an increment: no
 * signal, so a yield takes as long as without it (a seccomp trap would make
 * every yield look like one that ran another thread). */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int counted_tid;
static atomic_int counted;

__attribute__((visibility("default"))) int sched_yield(void)
{
    if ((int)syscall(SYS_gettid) == atomic_load_explicit(&counted_tid, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&counted, 1, memory_order_relaxed);
    }
    return (int)syscall(SYS_sched_yield);
}

/* Counts the yields of thread `tid` from now on, from 0. */
__attribute__((visibility("default"))) void yield_counter_follow(int tid)
{
    atomic_store(&counted, 0);
    atomic_store(&counted_tid, tid);
}

__attribute__((visibility("default"))) int yield_counter_count(void)
{
    return atomic_load(&counted);
}
