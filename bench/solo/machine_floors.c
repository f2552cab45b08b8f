/* What this machine charges for the two things every barrier round is made
 * of when it cannot simply spin, measured without any barrier: the floors
 * below which no barrier implementation can go here (doc/performance.md
 * quotes them beside the targets they bound).
 *
 *   yield_switch_ns  one sched_yield that hands the CPU to another runnable
 *                    thread: two threads pinned to CPU 0 yield to each other
 *                    in turn; total time over the number of yields. With
 *                    more runnable members than CPUs, every member must run
 *                    once per round, so each CPU switches at least once per
 *                    round (members per CPU - 1 times in the best order).
 *   pause_ns         one CPU relax instruction (x86 `pause`), back to back:
 *                    the step of every spin loop, so a spinner notices a
 *                    release up to this much late.
 *
 * Best of TRIALS runs (default 5) of about 200 ms each.
 * Usage: bench-machine-floors [TRIALS]   Prints one line of key=value pairs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

struct yielder {
    atomic_bool *stop;
    long yields;
};

static void *yield_until_stopped(void *arg)
{
    struct yielder *self = arg;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) return NULL;
    /* relaxed: only a flag to stop; the join orders the count. */
    while (!atomic_load_explicit(self->stop, memory_order_relaxed)) {
        sched_yield();
        self->yields++;
    }
    return NULL;
}

/* ns per yield of two threads sharing CPU 0, or -1 if they could not run. */
static double yield_switch_ns(void)
{
    atomic_bool stop = false;
    struct yielder yielders[2] = {{&stop, 0}, {&stop, 0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) {
        if (pthread_create(&threads[i], NULL, yield_until_stopped, &yielders[i]) != 0) return -1;
    }
    const double start = now_ns();
    const struct timespec length = {0, 200000000};
    nanosleep(&length, NULL);
    atomic_store_explicit(&stop, true, memory_order_relaxed);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    const double elapsed = now_ns() - start;
    const long yields = yielders[0].yields + yielders[1].yields;
    return yields > 0 ? elapsed / yields : -1;
}

static double pause_ns(void)
{
    const long pauses = 5000000;
    const double start = now_ns();
    for (long i = 0; i < pauses; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#else
        __asm__ __volatile__("" ::: "memory");
#endif
    }
    return (now_ns() - start) / pauses;
}

int main(int argc, char **argv)
{
    const int trials = argc > 1 ? atoi(argv[1]) : 5;
    if (trials <= 0) {
        fprintf(stderr, "usage: %s [TRIALS]\n", argv[0]);
        return 2;
    }
    double best_switch = -1, best_pause = -1;
    for (int trial = 0; trial < trials; trial++) {
        const double switch_ns = yield_switch_ns();
        const double relax_ns = pause_ns();
        if (switch_ns > 0 && (best_switch < 0 || switch_ns < best_switch)) best_switch = switch_ns;
        if (best_pause < 0 || relax_ns < best_pause) best_pause = relax_ns;
    }
    if (best_switch < 0) {
        fprintf(stderr, "bench-machine-floors: two threads could not share CPU 0\n");
        return 1;
    }
    printf("yield_switch_ns=%.0f pause_ns=%.1f trials=%d\n", best_switch, best_pause, trials);
    return 0;
}
