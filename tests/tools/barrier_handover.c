/* A correct program whose only synchronisation between threads is
 * pthread_barrier_wait: a race detector that understands the barrier reports
 * nothing on it.
 *
 * Every round each of THREADS threads writes its own cell (plain memory, no
 * atomics), waits, reads every other thread's cell, and waits again so that
 * the next round's writes cannot overlap this round's reads. Thread 0 also
 * decides, before the first wait, whether another round follows, and in the
 * release modes creates the next round's barrier: both are plain variables
 * that the barrier hands over like the cells.
 *
 *   private         one private barrier for all rounds (wake-slot path)
 *   shared          one process-shared barrier in a MAP_SHARED mapping
 *                   (object path, exit windows of the unmap lock)
 *   private-munmap  a fresh barrier in its own mapping every round; the
 *   shared-munmap   thread that gets PTHREAD_BARRIER_SERIAL_THREAD from the
 *                   round's last wait destroys it, overwrites it and unmaps
 *                   the memory at once, while the others may still be leaving
 *
 * Usage: barrier_handover MODE ROUNDS SECONDS  (stops at whichever bound
 * comes first). Prints which object pthread_barrier_wait binds to, so that a
 * test can tell a run with the shim from one without it. Exit status 0 when
 * every value read was the one written and every wait had exactly one serial
 * thread; 1 otherwise; 2 on a setup error. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { THREADS = 3 };

struct mode {
    const char *name;
    bool process_shared;  /* PTHREAD_PROCESS_SHARED in MAP_SHARED memory */
    bool release_each_round;
};

static const struct mode modes[] = {
    {"private", false, false},
    {"shared", true, false},
    {"private-munmap", false, true},
    {"shared-munmap", true, true},
};

static const struct mode *mode;
static long max_rounds;
static double max_seconds;
static struct timespec started;

/* Written by one thread before a wait, read by the others after it. */
static long cells[THREADS];
static pthread_barrier_t *first_barrier;  /* main writes it before the threads */
static pthread_barrier_t *next_barrier;   /* thread 0 writes it */
static bool another_round;               /* thread 0 writes it */

/* Each thread's own tallies, read by main after the joins. */
static long wrong_values[THREADS];
static long serial_returns[THREADS];
static long waits_done[THREADS];

static void die(const char *what, int error)
{
    fprintf(stderr, "SETUP: %s: %s\n", what, strerror(error));
    exit(2);
}

static pthread_barrier_t *new_barrier(void)
{
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      (mode->process_shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        die("mmap", errno);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, mode->process_shared ? PTHREAD_PROCESS_SHARED
                                                               : PTHREAD_PROCESS_PRIVATE);
    int rc = pthread_barrier_init(page, &attr, THREADS);
    pthread_barrierattr_destroy(&attr);
    if (rc != 0)
        die("pthread_barrier_init", rc);
    return page;
}

static void release_barrier(pthread_barrier_t *barrier)
{
    int rc = pthread_barrier_destroy(barrier);
    if (rc != 0)
        die("pthread_barrier_destroy", rc);
    memset(barrier, 0x5a, sizeof *barrier);  /* the program's memory again */
    if (munmap(barrier, 4096) != 0)
        die("munmap", errno);
}

static double seconds_since_start(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
}

static long value_of(long round, int thread) { return round * THREADS + thread + 1; }

/* Returns true if this thread got PTHREAD_BARRIER_SERIAL_THREAD. */
static bool wait_at(pthread_barrier_t *barrier, int self)
{
    int rc = pthread_barrier_wait(barrier);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die("pthread_barrier_wait", rc);
    waits_done[self]++;
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        serial_returns[self]++;
    return rc == PTHREAD_BARRIER_SERIAL_THREAD;
}

static void *participant(void *arg)
{
    const int self = (int)(long)arg;
    pthread_barrier_t *barrier = first_barrier;
    for (long round = 0;; round++) {
        cells[self] = value_of(round, self);
        if (self == 0) {
            another_round = round + 1 < max_rounds && seconds_since_start() < max_seconds;
            if (mode->release_each_round)
                next_barrier = another_round ? new_barrier() : NULL;
        }
        wait_at(barrier, self);
        for (int other = 0; other < THREADS; other++) {
            if (cells[other] != value_of(round, other))
                wrong_values[self]++;
        }
        const bool go_on = another_round;
        pthread_barrier_t *following = mode->release_each_round ? next_barrier : barrier;
        const bool serial = wait_at(barrier, self);
        if (mode->release_each_round && serial)
            release_barrier(barrier);  /* the others may still be leaving */
        if (!go_on)
            return NULL;
        barrier = following;
    }
}

static void print_binding(void)
{
    Dl_info info;
    /* In a PIE the address comes from the GOT: the definition the loader bound. */
    if (dladdr((void *)(uintptr_t)pthread_barrier_wait, &info) != 0 && info.dli_fname != NULL)
        printf("pthread_barrier_wait: %s\n", info.dli_fname);
    else
        printf("pthread_barrier_wait: unknown\n");
}

int main(int argc, char **argv)
{
    for (size_t i = 0; argc == 4 && i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(argv[1], modes[i].name) == 0)
            mode = &modes[i];
    }
    if (mode == NULL) {
        fprintf(stderr,
                "usage: %s private|shared|private-munmap|shared-munmap ROUNDS SECONDS\n",
                argv[0]);
        return 2;
    }
    max_rounds = atol(argv[2]);
    max_seconds = atof(argv[3]);
    if (max_rounds < 1 || max_seconds <= 0) {
        fprintf(stderr, "SETUP: ROUNDS and SECONDS must be positive\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_binding();
    clock_gettime(CLOCK_MONOTONIC, &started);

    first_barrier = new_barrier();
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        int rc = pthread_create(&threads[i], NULL, participant, (void *)(long)i);
        if (rc != 0)
            die("pthread_create", rc);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    if (!mode->release_each_round)
        release_barrier(first_barrier);

    long wrong = 0, serials = 0, waits = 0;
    for (int i = 0; i < THREADS; i++) {
        wrong += wrong_values[i];
        serials += serial_returns[i];
        waits += waits_done[i];
    }
    const long rounds = waits / (2 * THREADS);
    const bool ok = wrong == 0 && serials == 2 * rounds && waits == 2 * THREADS * rounds;
    printf("%s: %s, %ld rounds, %ld wrong values, %ld serial returns for %ld waits\n",
           ok ? "PASS" : "FAIL", mode->name, rounds, wrong, serials, 2 * rounds);
    return ok ? 0 : 1;
}
