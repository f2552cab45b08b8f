/* A round completes, and the process exits before its last arriver has
 * returned from pthread_barrier_wait: what rt-tests' pi_stress does at its
 * end, made certain with real-time priorities on one CPU.
 *
 * Main (SCHED_FIFO 20) and a helper (SCHED_FIFO 10), both on CPU 0, and a
 * private barrier of count 2. Main waits first: the helper cannot run while
 * main can, so main's wait ends up asleep in the kernel. The helper then
 * arrives last and completes the round; waking main preempts it at once
 * (higher priority, same CPU), and main calls exit(0) before the helper runs
 * again. So the round is complete, main's wait has returned, and the
 * helper's wait, the round's last, has not.
 *
 * Prints "pid N" and "barrier ADDRESS count 2 rounds 1" (what completed).
 * Exits 0; 77 (skipped) when real-time scheduling is not permitted here;
 * 2 on another setup error. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SKIP = 77, SETUP_ERROR = 2 };

static pthread_barrier_t barrier;

static void *last_arriver(void *unused)
{
    (void)unused;
    pthread_barrier_wait(&barrier); /* completes the round; main preempts it */
    return NULL;
}

static void fail(const char *what, int error)
{
    printf("SETUP: %s: %s\n", what, strerror(error));
    exit(error == EPERM ? SKIP : SETUP_ERROR);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    cpu_set_t one_cpu;
    CPU_ZERO(&one_cpu);
    CPU_SET(0, &one_cpu);
    int error = pthread_setaffinity_np(pthread_self(), sizeof(one_cpu), &one_cpu);
    if (error != 0)
        fail("pthread_setaffinity_np", error);
    /* Initialised on one CPU, count 2: no spinning, a waiter yields, then sleeps. */
    error = pthread_barrier_init(&barrier, NULL, 2);
    if (error != 0)
        fail("pthread_barrier_init", error);
    printf("pid %d\nbarrier %p count 2 rounds 1\n", (int)getpid(), (void *)&barrier);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
    struct sched_param low = {.sched_priority = 10};
    pthread_attr_setschedparam(&attr, &low);
    pthread_attr_setaffinity_np(&attr, sizeof(one_cpu), &one_cpu);
    struct sched_param high = {.sched_priority = 20};
    error = pthread_setschedparam(pthread_self(), SCHED_FIFO, &high);
    if (error != 0)
        fail("pthread_setschedparam", error);
    pthread_t helper;
    error = pthread_create(&helper, &attr, last_arriver, NULL);
    if (error != 0)
        fail("pthread_create", error);
    pthread_barrier_wait(&barrier); /* sleeps until the helper completes the round */
    exit(0);                        /* before the helper has run again */
}
