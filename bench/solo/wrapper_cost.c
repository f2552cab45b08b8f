/* What the shim's wrappers cost a program that never blocks in them: the
 * same binary is run with and without LD_PRELOAD (scripts/bench --wrappers).
 *
 *   jump      ns per sigsetjmp + siglongjmp, nothing held (the common jump):
 *             best of TRIALS runs of 200000 jumps.
 *   munmap    latency of munmap of a private page (mapped and touched first,
 *             not timed), by one thread,
 *             while MEMBERS other threads run process-shared rounds on a
 *             barrier in MAP_SHARED memory (their exit windows are open most
 *             of the time), and once more without them: mean, 99th
 *             percentile and worst, in microseconds, over SECONDS.
 *
 * Usage: bench-wrapper-cost jump [TRIALS]
 *        bench-wrapper-cost munmap [MEMBERS [SECONDS]]     (7; 2 and 1)
 * Prints one line of key=value pairs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int measure_jumps(int trials)
{
    enum { JUMPS = 200000 };
    static sigjmp_buf target;
    double best = 1e300;
    for (volatile int trial = 0; trial < trials; trial++) {
        const double started = now_ns();
        for (volatile int i = 0; i < JUMPS; i++) {
            if (sigsetjmp(target, 0) == 0) siglongjmp(target, 1);
        }
        const double per_jump = (now_ns() - started) / JUMPS;
        if (per_jump < best) best = per_jump;
    }
    printf("jump_ns=%.1f\n", best);
    return 0;
}

static pthread_barrier_t *g_barrier;
static atomic_bool g_stop;
static bool g_members_stop; /* written by a round's serial thread only */

/* Rounds until g_stop: the serial thread of one round copies the flag, and
 * every member reads the copy after the next round, so all leave together. */
static void *run_rounds(void *unused)
{
    (void)unused;
    for (;;) {
        if (pthread_barrier_wait(g_barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
            g_members_stop = atomic_load(&g_stop);
        }
        pthread_barrier_wait(g_barrier);
        if (g_members_stop) return NULL;
    }
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mmap + munmap latencies for `seconds`; prints mean, p99, worst (us). */
static void time_unmaps(const char *label, double seconds)
{
    enum { MAX_SAMPLES = 1 << 20 };
    double *samples = malloc(sizeof(double) * MAX_SAMPLES);
    if (samples == NULL) exit(1);
    size_t count = 0;
    double sum = 0;
    const double end = now_ns() + seconds * 1e9;
    while (count < MAX_SAMPLES && now_ns() < end) {
        void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED) exit(1);
        *(volatile char *)page = 1;
        const double started = now_ns();
        munmap(page, 4096);
        const double took = now_ns() - started;
        samples[count++] = took;
        sum += took;
    }
    qsort(samples, count, sizeof(double), compare_doubles);
    printf("%s_unmaps=%zu %s_mean_us=%.2f %s_p99_us=%.2f %s_worst_us=%.1f\n", label, count, label,
           sum / count / 1e3, label, samples[count * 99 / 100] / 1e3, label,
           samples[count - 1] / 1e3);
    free(samples);
}

static int measure_unmaps(int members, double seconds)
{
    time_unmaps("idle", seconds);
    g_barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_barrier == MAP_FAILED) return 1;
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (pthread_barrier_init(g_barrier, &attr, (unsigned)members) != 0) return 1;
    pthread_t threads[64];
    if (members > 64) members = 64;
    for (int i = 0; i < members; i++) pthread_create(&threads[i], NULL, run_rounds, NULL);
    time_unmaps("rounds", seconds);
    atomic_store(&g_stop, true);
    for (int i = 0; i < members; i++) pthread_join(threads[i], NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "jump") == 0) {
        return measure_jumps(argc > 2 ? atoi(argv[2]) : 7);
    }
    if (argc > 1 && strcmp(argv[1], "munmap") == 0) {
        return measure_unmaps(argc > 2 ? atoi(argv[2]) : 2, argc > 3 ? atof(argv[3]) : 1.0);
    }
    fprintf(stderr, "usage: %s jump [TRIALS] | munmap [MEMBERS [SECONDS]]\n", argv[0]);
    return 2;
}
