/* Three SCHED_FIFO threads of one priority, all on CPU 0, wait ROUNDS
 * rounds at a private barrier of count 3: more participants than CPUs, so
 * each waiter's yields are what let its peers run and arrive. Run by
 * realtime_peers_of_equal_priority_meet_by_yielding.sh, which reads the
 * shim's statistics. Exit 77 (skip) without the privilege to use SCHED_FIFO. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 2000
#define THREADS 3

static pthread_barrier_t barrier;

static void *run_rounds(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    return NULL;
}

int main(void)
{
    struct sched_param param = {.sched_priority = 10};
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
        printf("SKIP: no privilege for SCHED_FIFO (%s)\n", strerror(errno));
        return 77;
    }
    cpu_set_t one_cpu;
    CPU_ZERO(&one_cpu);
    CPU_SET(0, &one_cpu);
    if (sched_setaffinity(0, sizeof one_cpu, &one_cpu) != 0) return 2;
    if (pthread_barrier_init(&barrier, NULL, THREADS) != 0) return 2;
    pthread_t threads[THREADS]; /* created with the policy and CPU inherited */
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&threads[i], NULL, run_rounds, NULL) != 0) return 2;
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    return 0;
}
