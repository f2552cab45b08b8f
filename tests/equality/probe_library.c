/* A library that a probe loads with dlopen (behaviour_probe.c,
 * dlopen-binding): says which object its own calls of pthread_barrier_wait
 * bind to, and runs a few rounds of a barrier of its own. */
#define _GNU_SOURCE
#include <pthread.h>

/* The address its reference resolved to (its GOT entry). */
void *probe_bound_barrier_wait(void) { return (void *)&pthread_barrier_wait; }

static pthread_barrier_t barrier;
static void *worker(void *rounds)
{
    for (long r = 0; r < (long)rounds; r++) pthread_barrier_wait(&barrier);
    return 0;
}

int probe_run_rounds(int rounds)
{
    if (pthread_barrier_init(&barrier, 0, 2) != 0) return -1;
    pthread_t thread;
    pthread_create(&thread, 0, worker, (void *)(long)rounds);
    worker((void *)(long)rounds);
    pthread_join(thread, 0);
    return pthread_barrier_destroy(&barrier);
}
