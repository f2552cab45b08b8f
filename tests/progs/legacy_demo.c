/* legacy_demo: an old-style program that frees a barrier's memory as soon
   as it is done with it.

   Four worker threads meet at a barrier in a freshly mapped page, a new
   page every round. The first worker back from the wait unmaps the page
   at once -- the round is over, so the program thinks nobody needs it --
   without pthread_barrier_destroy, and leaves the address unmapped.

   On stock glibc the other workers are still inside pthread_barrier_wait,
   reading the page, and the program dies of SIGSEGV (or hangs). With the
   barrier shim preloaded it runs to the end.

   usage: legacy_demo [MAX_ROUNDS [MAX_SECONDS]]   (default 20000 rounds, 5 s) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t round_changed = PTHREAD_COND_INITIALIZER;
static long current_round;              /* 0: none yet, -1: go home */
static pthread_barrier_t *round_barrier; /* in this round's page */
static int back_from_wait;              /* workers back from this round's wait */
static int finished_round;              /* workers done with this round */
static size_t page_size;

static void *worker(void *unused)
{
    long last_round = 0;
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (current_round == last_round)
            pthread_cond_wait(&round_changed, &lock);
        last_round = current_round;
        pthread_barrier_t *barrier = round_barrier;
        pthread_mutex_unlock(&lock);
        if (last_round < 0)
            return NULL;

        pthread_barrier_wait(barrier);

        pthread_mutex_lock(&lock);
        int first_back = back_from_wait++ == 0;
        pthread_mutex_unlock(&lock);
        if (first_back && munmap(barrier, page_size) != 0) {
            perror("legacy_demo: munmap");
            exit(1);
        }

        pthread_mutex_lock(&lock);
        finished_round++;
        pthread_cond_broadcast(&round_changed);
        pthread_mutex_unlock(&lock);
    }
}

static void start_round(long round, pthread_barrier_t *barrier)
{
    pthread_mutex_lock(&lock);
    round_barrier = barrier;
    back_from_wait = 0;
    finished_round = 0;
    current_round = round;
    pthread_cond_broadcast(&round_changed);
    while (round > 0 && finished_round < WORKERS)
        pthread_cond_wait(&round_changed, &lock);
    pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv)
{
    long max_rounds = argc > 1 ? atol(argv[1]) : 20000;
    long max_seconds = argc > 2 ? atol(argv[2]) : 5;
    pthread_t workers[WORKERS];
    time_t start = time(NULL), last_report = start;
    long round;

    setvbuf(stdout, NULL, _IOLBF, 0); /* keep every line if we crash */
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    printf("legacy_demo: %d threads, a fresh page per round, first thread back unmaps it "
           "(up to %ld rounds or %ld s)\n", WORKERS, max_rounds, max_seconds);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, worker, NULL);

    for (round = 1; round <= max_rounds && time(NULL) - start < max_seconds; round++) {
        pthread_barrier_t *barrier = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
                                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (barrier == MAP_FAILED) {
            perror("legacy_demo: mmap");
            return 1;
        }
        pthread_barrier_init(barrier, NULL, WORKERS);
        start_round(round, barrier);
        if (time(NULL) != last_report) {
            last_report = time(NULL);
            printf("legacy_demo: %ld rounds so far\n", round);
        }
    }
    start_round(-1, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    printf("legacy_demo: completed %ld rounds without error\n", round - 1);
    return 0;
}
