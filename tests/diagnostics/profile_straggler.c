/* A program whose straggler is known, for the imbalance profile's accuracy
 * test (profile_accuracy.py): in round r of ROUNDS, member (r + SHIFT) mod
 * MEMBERS sleeps DELAY_US before it arrives; the others arrive at once.
 * Members are threads of this process (private barrier) or processes
 * (process-shared barrier in MAP_SHARED memory, one thread each).
 * Each member reads CLOCK_MONOTONIC (the profile's clock) just before it
 * calls pthread_barrier_wait; at the end the program prints each round's
 * imbalance as it saw it (first to last of those readings), the truth the
 * profile is checked against: on a loaded machine a round's imbalance is
 * the delay plus however late the straggler was woken from the round
 * before, and nanosleep's overshoot.
 * Usage: profile_straggler threads|processes MEMBERS ROUNDS DELAY_US SHIFT */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* glibc 2.30+ declares gettid in <unistd.h> with _GNU_SOURCE. */

static pthread_barrier_t *barrier;
static int members, rounds, shift;
static long delay_us;
/* arrived_ns[r * members + m]: when member m called the wait of round r.
 * MAP_SHARED, so that member processes write it too. */
static long long *arrived_ns;

static long long monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void print_imbalances(void)
{
    for (int r = 0; r < rounds; r++) {
        long long first = arrived_ns[r * members], last = first;
        for (int m = 1; m < members; m++) {
            const long long t = arrived_ns[r * members + m];
            if (t < first) first = t;
            if (t > last) last = t;
        }
        printf("round %d imbalance_ns %lld\n", r, last - first);
    }
}

static void run_member(int self)
{
    /* Who is who, for the checker: the profile names threads by tid. */
    printf("member %d pid %d tid %d\n", self, (int)getpid(), (int)gettid());
    fflush(stdout);
    for (int r = 0; r < rounds; r++) {
        if ((r + shift) % members == self) {
            struct timespec pause = {delay_us / 1000000, (delay_us % 1000000) * 1000};
            nanosleep(&pause, NULL);
        }
        arrived_ns[r * members + self] = monotonic_ns();
        pthread_barrier_wait(barrier);
    }
}

static void *thread_member(void *arg)
{
    run_member((int)(long)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s threads|processes MEMBERS ROUNDS DELAY_US SHIFT\n", argv[0]);
        return 2;
    }
    const int processes = strcmp(argv[1], "processes") == 0;
    members = atoi(argv[2]);
    rounds = atoi(argv[3]);
    delay_us = atol(argv[4]);
    shift = atoi(argv[5]);
    if (members < 2 || members > 64 || rounds < 1 || delay_us < 0) return 2;
    barrier = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    arrived_ns = mmap(NULL, sizeof *arrived_ns * (size_t)rounds * members,
                      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barrier == MAP_FAILED || arrived_ns == MAP_FAILED) return 1;
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, processes ? PTHREAD_PROCESS_SHARED
                                                    : PTHREAD_PROCESS_PRIVATE);
    if (pthread_barrier_init(barrier, &attr, members) != 0) return 1;
    if (processes) {
        for (int m = 1; m < members; m++) {
            if (fork() == 0) {
                run_member(m);
                exit(0);  /* exit, not _exit: the profile is written at exit */
            }
        }
        run_member(0);
        int status, failures = 0;
        while (wait(&status) > 0) failures += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        print_imbalances();
        return failures != 0;
    }
    pthread_t threads[64];
    for (long m = 1; m < members; m++) pthread_create(&threads[m], NULL, thread_member, (void *)m);
    run_member(0);
    for (int m = 1; m < members; m++) pthread_join(threads[m], NULL);
    print_imbalances();
    return 0;
}
