/* The cost of one pthread_barrier_wait with nobody to wait for: a count-1
 * barrier, private and process-shared (in MAP_SHARED memory), waited on by
 * one thread pinned to CPU 0; best of TRIALS timings of WAITS waits each.
 * The path length of the shim's wait without any contention: the figure
 * doc/performance.md quotes with and without a change (run the same binary
 * with each library in LD_PRELOAD).
 *
 * Usage: bench-uncontended-wait [WAITS [TRIALS]]   (2000000 and 7) */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    const long waits = argc > 1 ? atol(argv[1]) : 2000000;
    const int trials = argc > 2 ? atoi(argv[2]) : 7;
    if (waits <= 0 || trials <= 0) {
        fprintf(stderr, "usage: %s [WAITS [TRIALS]]\n", argv[0]);
        return 2;
    }
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    sched_setaffinity(0, sizeof(cpus), &cpus);
    pthread_barrier_t *barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED) return 1;
    for (int pshared = 0; pshared < 2; pshared++) {
        pthread_barrierattr_t attr;
        pthread_barrierattr_init(&attr);
        pthread_barrierattr_setpshared(&attr, pshared ? PTHREAD_PROCESS_SHARED
                                                      : PTHREAD_PROCESS_PRIVATE);
        if (pthread_barrier_init(barrier, &attr, 1) != 0) return 1;
        double best = 1e300;
        for (int trial = 0; trial < trials; trial++) {
            const double started = now_ns();
            for (long i = 0; i < waits; i++) pthread_barrier_wait(barrier);
            const double per_wait = (now_ns() - started) / waits;
            if (per_wait < best) best = per_wait;
        }
        printf("uncontended %s wait: %.2f ns (best of %d x %ld)\n",
               pshared ? "process-shared" : "private", best, trials, waits);
        pthread_barrier_destroy(barrier);
    }
    return 0;
}
