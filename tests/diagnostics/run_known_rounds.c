/* A program that waits a known number of rounds on known barriers and
 * unmaps a known number of times, for the statistics tests
 * (check_stats_report.py). It prints what the report must say:
 *   pid N
 *   barrier ADDRESS kind private|shared rounds R waits W     one per barrier
 *   unmap-lock calls C                      its munmap calls and destroys of
 *                                           process-shared barriers
 * Barrier A: private, count 2, 300 rounds. Barrier B: process-shared in a
 * MAP_SHARED page, count 3, 200 rounds. Then 5 scratch mappings and B's page
 * are unmapped (B destroyed first).
 * Each barrier is initialised in a function of its own, init_barrier_A,
 * _B, _C, which the report must name as its call site ("init" on its line).
 * Modes say how the process ends:
 *   return        main returns
 *   exit          another thread calls exit(0) while main waits to join it
 *   fork-child    main forks; the child runs 100 rounds on its own barrier C
 *                 (private, count 2), prints "child pid N" and its own
 *                 lines, and calls exit(0); the parent waits for it and
 *                 returns
 *   close-stderr  main closes descriptor 2, then returns (as ls does)
 *   sigterm, sigint, sigkill
 *                 main sends itself that signal (default action: the
 *                 process is killed without exit())
 *   pause         main prints "waiting for stdin", reads standard input to
 *                 its end, then returns
 * Exits 0 if every wait returned correctly; 1 otherwise; 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ROUNDS_A = 300, ROUNDS_B = 200, ROUNDS_C = 100, SCRATCH_UNMAPS = 5 };
enum { SELF_LIMIT_SECONDS = 50 };

struct round_run {
    pthread_barrier_t *barrier;
    int rounds;
};

static atomic_int bad_results;

static void *run_rounds(void *argument)
{
    const struct round_run *run = argument;
    for (int round = 0; round < run->rounds; ++round) {
        const int result = pthread_barrier_wait(run->barrier);
        if (result != 0 && result != PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&bad_results, 1);
    }
    return NULL;
}

static void setup_failed(const char *what, int error)
{
    printf("SETUP: %s: %s\n", what, strerror(error));
    exit(2);
}

typedef int (*initialiser)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned);

/* One call site of pthread_barrier_init per barrier, for the report to name. */
#define INITIALISER(NAME)                                                                     \
    __attribute__((noinline)) static int init_barrier_##NAME(                                 \
        pthread_barrier_t *barrier, const pthread_barrierattr_t *attr, unsigned count)        \
    {                                                                                         \
        int error = pthread_barrier_init(barrier, attr, count);                               \
        __asm__ __volatile__("" ::: "memory"); /* a call, not a tail jump */                  \
        return error;                                                                         \
    }
INITIALISER(A)
INITIALISER(B)
INITIALISER(C)

/* `count` participants (this thread and count - 1 others) run `rounds`
 * rounds on `barrier`, initialised with `pshared` by `init`. */
static void run_barrier(const char *name, pthread_barrier_t *barrier, int pshared, int count,
                        int rounds, initialiser init, const char *init_name)
{
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, pshared);
    int error = init(barrier, &attr, (unsigned)count);
    pthread_barrierattr_destroy(&attr);
    if (error != 0)
        setup_failed("pthread_barrier_init", error);
    struct round_run run = {barrier, rounds};
    pthread_t helpers[8];
    for (int i = 0; i < count - 1; ++i) {
        error = pthread_create(&helpers[i], NULL, run_rounds, &run);
        if (error != 0)
            setup_failed("pthread_create", error);
    }
    run_rounds(&run);
    for (int i = 0; i < count - 1; ++i)
        pthread_join(helpers[i], NULL);
    printf("barrier %s %p kind %s rounds %d waits %d init %s\n", name, (void *)barrier,
           pshared == PTHREAD_PROCESS_SHARED ? "shared" : "private", rounds, rounds * count,
           init_name);
}

static int unmap_scratch_mappings(void)
{
    for (int i = 0; i < SCRATCH_UNMAPS; ++i) {
        void *scratch = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (scratch == MAP_FAILED)
            setup_failed("mmap", errno);
        if (munmap(scratch, 4096) != 0)
            setup_failed("munmap", errno);
    }
    return SCRATCH_UNMAPS;
}

static int finish(void)
{
    if (atomic_load(&bad_results) != 0) {
        printf("FAIL: %d waits returned an error\n", atomic_load(&bad_results));
        return 1;
    }
    return 0;
}

static void *exit_from_this_thread(void *unused)
{
    (void)unused;
    exit(finish());
}

static void run_child(void)
{
    printf("child pid %d\n", (int)getpid());
    pthread_barrier_t barrier_c;
    run_barrier("C", &barrier_c, PTHREAD_PROCESS_PRIVATE, 2, ROUNDS_C, init_barrier_C,
                "init_barrier_C");
    pthread_barrier_destroy(&barrier_c);
    printf("unmap-lock calls 0\n");
    exit(finish());
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"return", "exit",   "fork-child", "close-stderr",
                                        "sigterm", "sigint", "sigkill",    "pause"};
    int known = 0;
    for (size_t i = 0; argc == 2 && i < sizeof(modes) / sizeof(modes[0]); ++i)
        known |= strcmp(argv[1], modes[i]) == 0;
    if (!known) {
        fprintf(stderr, "usage: %s return|exit|fork-child|close-stderr|sigterm|sigint|sigkill|"
                        "pause\n", argv[0]);
        return 2;
    }
    alarm(SELF_LIMIT_SECONDS); /* SIGALRM ends a program that hangs for good */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("pid %d\n", (int)getpid());

    pthread_barrier_t barrier_a;
    run_barrier("A", &barrier_a, PTHREAD_PROCESS_PRIVATE, 2, ROUNDS_A, init_barrier_A,
                "init_barrier_A");
    pthread_barrier_destroy(&barrier_a);

    pthread_barrier_t *barrier_b = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (barrier_b == MAP_FAILED)
        setup_failed("mmap", errno);
    run_barrier("B", barrier_b, PTHREAD_PROCESS_SHARED, 3, ROUNDS_B, init_barrier_B,
                "init_barrier_B");
    /* A process-shared destroy waits out exit windows: one unmap-lock call. */
    pthread_barrier_destroy(barrier_b);
    int unmap_lock_calls = 1;
    unmap_lock_calls += unmap_scratch_mappings();
    if (munmap(barrier_b, 4096) != 0)
        setup_failed("munmap", errno);
    unmap_lock_calls += 1;
    printf("unmap-lock calls %d\n", unmap_lock_calls);

    if (strcmp(argv[1], "exit") == 0) {
        pthread_t exiter;
        if (pthread_create(&exiter, NULL, exit_from_this_thread, NULL) != 0)
            setup_failed("pthread_create", errno);
        pthread_join(exiter, NULL); /* never returns: the process exits */
        return 1;
    }
    const int signals[] = {SIGTERM, SIGINT, SIGKILL};
    const char *signal_modes[] = {"sigterm", "sigint", "sigkill"};
    for (int i = 0; i < 3; ++i) {
        if (strcmp(argv[1], signal_modes[i]) == 0 && finish() == 0) {
            fflush(stdout);
            signal(signals[i], SIG_DFL); /* a background job may have inherited SIG_IGN */
            kill(getpid(), signals[i]);
            pause(); /* the signal's default action ends the process */
        }
    }
    if (strcmp(argv[1], "close-stderr") == 0)
        close(STDERR_FILENO);
    if (strcmp(argv[1], "pause") == 0) {
        printf("waiting for stdin\n");
        char buffer[64];
        while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
        }
    }
    if (strcmp(argv[1], "fork-child") == 0) {
        fflush(stdout);
        const pid_t child = fork();
        if (child < 0)
            setup_failed("fork", errno);
        if (child == 0)
            run_child();
        int status = 0;
        if (waitpid(child, &status, 0) != child)
            setup_failed("waitpid", errno);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("FAIL: the child ended with status %d\n", status);
            return 1;
        }
    }
    return finish();
}
