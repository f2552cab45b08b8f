/* A program that hangs at a barrier on purpose, for the watchdog tests.
 *
 * A barrier of count 3: two participants block in
 * wait_for_missing_participant() while the third, main, sleeps about a second
 * before it arrives, so the round completes late but completes.
 *   hang_at_barrier private   both blocked participants are threads of this
 *                             process; a private barrier
 *   hang_at_barrier shared    a process-shared barrier in MAP_SHARED memory;
 *                             one blocked participant is a thread of this
 *                             process, the other a forked child process
 * Prints "pid N" (and "child pid N") first, then, if a malloc counter is
 * preloaded (malloc_counter.c), "mallocs while stuck: N": calls of the malloc
 * family from when both blocked participants were started until the round
 * completed. Exits 0 if every wait returned correctly and exactly one got
 * PTHREAD_BARRIER_SERIAL_THREAD; 1 otherwise; 3 if it bounded itself.
 * Checked by check_watchdog_report.py. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { COUNT = 3, SELF_LIMIT_SECONDS = 30 };
static const long LATE_ARRIVAL_NS = 1000L * 1000 * 1000;

struct shared_page {
    pthread_barrier_t barrier;
    atomic_int serials;
    atomic_int bad_results;
};
static struct shared_page *shared;

/* Not static and never inlined: the watchdog's backtrace must name it. */
__attribute__((noinline)) int wait_for_missing_participant(pthread_barrier_t *barrier)
{
    int result = pthread_barrier_wait(barrier);
    __asm__ __volatile__("" ::: "memory"); /* keeps this frame: no tail call */
    return result;
}

static void count_result(int result)
{
    if (result == PTHREAD_BARRIER_SERIAL_THREAD)
        atomic_fetch_add(&shared->serials, 1);
    else if (result != 0)
        atomic_fetch_add(&shared->bad_results, 1);
}

static void *blocked_participant(void *unused)
{
    (void)unused;
    count_result(wait_for_missing_participant(&shared->barrier));
    return NULL;
}

static void sleep_ns(long nanoseconds)
{
    struct timespec left = {nanoseconds / 1000000000L, nanoseconds % 1000000000L};
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

/* The malloc counter's total, or -1 when no counter is preloaded. */
static long malloc_calls(void)
{
    long (*counter)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "malloc_counter_calls");
    return counter == NULL ? -1 : counter();
}

static int setup_failed(const char *what, int error)
{
    printf("SETUP: %s: %s\n", what, strerror(error));
    return 2;
}

int main(int argc, char **argv)
{
    const int process_shared = argc > 1 && strcmp(argv[1], "shared") == 0;
    if (argc != 2 || (!process_shared && strcmp(argv[1], "private") != 0)) {
        fprintf(stderr, "usage: %s private|shared\n", argv[0]);
        return 2;
    }
    alarm(SELF_LIMIT_SECONDS); /* SIGALRM ends a program that hangs for good */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("pid %d\n", (int)getpid());

    shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return setup_failed("mmap", errno);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, process_shared ? PTHREAD_PROCESS_SHARED
                                                         : PTHREAD_PROCESS_PRIVATE);
    int error = pthread_barrier_init(&shared->barrier, &attr, COUNT);
    pthread_barrierattr_destroy(&attr);
    if (error != 0)
        return setup_failed("pthread_barrier_init", error);

    pid_t child = -1;
    pthread_t threads[2];
    int thread_count = 0;
    if (process_shared) {
        child = fork();
        if (child < 0)
            return setup_failed("fork", errno);
        if (child == 0) {
            count_result(wait_for_missing_participant(&shared->barrier));
            _exit(0);
        }
        printf("child pid %d\n", (int)child);
    }
    for (; thread_count < (process_shared ? 1 : 2); ++thread_count) {
        error = pthread_create(&threads[thread_count], NULL, blocked_participant, NULL);
        if (error != 0)
            return setup_failed("pthread_create", error);
    }
    const long mallocs_before = malloc_calls();

    sleep_ns(LATE_ARRIVAL_NS);
    count_result(pthread_barrier_wait(&shared->barrier)); /* the missing participant */
    const long mallocs_after = malloc_calls();

    for (int i = 0; i < thread_count; ++i)
        pthread_join(threads[i], NULL);
    int child_status = 0;
    if (child > 0 && waitpid(child, &child_status, 0) != child)
        return setup_failed("waitpid", errno);
    if (mallocs_before >= 0)
        printf("mallocs while stuck: %ld\n", mallocs_after - mallocs_before);

    const int serials = atomic_load(&shared->serials);
    const int bad = atomic_load(&shared->bad_results);
    if (serials != 1 || bad != 0 || (child > 0 && child_status != 0)) {
        printf("FAIL: %d serial results, %d bad results, child status %d\n", serials, bad,
               child_status);
        return 1;
    }
    printf("PASS: the round completed once the missing participant arrived\n");
    return 0;
}
