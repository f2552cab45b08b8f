/* A waiter that gets stuck at a barrier on a small stack, for the watchdog's
 * stack-room check (the watchdog report runs on the stuck waiter's own stack).
 *
 * A barrier of count 2: one participant waits on the stack MODE names, and
 * main, the missing participant, arrives once a line comes on stdin (the
 * checker, check_small_stack_report.py, sends it when the report is out, or
 * at its deadline) or stdin closes.
 *   minimum-thread-stack    a thread with a PTHREAD_STACK_MIN stack, and
 *                           WORK_AREA bytes of locals on it, waits
 *   alternate-signal-stack  a SIGUSR1 handler of a thread waits, running on
 *                           a SIGSTKSZ alternate stack that lies in the
 *                           middle of a malloc'ed block; the rest of the block
 *                           is filled with a pattern, so any write below (or
 *                           above) the alternate stack shows, and free() then
 *                           checks the heap
 *   default-thread-stack    the same on a thread with the default stack
 *   nearly-full-stack       a thread on a 64 KiB stack uses all but about
 *                           NEARLY_FULL_LEFT bytes of it, then waits
 * Prints "pid N", then "stack left about N" for nearly-full-stack, then
 * "waiting" once the waiter is about to wait. Exits 0 (PASS) if the wait
 * returned correctly, exactly one got PTHREAD_BARRIER_SERIAL_THREAD and the
 * pattern around the alternate stack is intact; 1 (FAIL) otherwise; 2 (SETUP)
 * if it could not set itself up; 3 (HANG) if it bounded itself. A crash is
 * the checker's to see. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { COUNT = 2, SELF_LIMIT_SECONDS = 20 };
/* nearly-full-stack: a stack of this size, of which about this much is left
 * when the waiter calls pthread_barrier_wait: more than a wait and a report
 * without backtrace need, less than a backtrace does. (The program is linked
 * with -z now: no lazy binding of pthread_barrier_wait on that little room.) */
enum { NEARLY_FULL_STACK = 64 * 1024, NEARLY_FULL_LEFT = 3 * 1024 };
/* minimum-thread-stack, default-thread-stack: the waiter's own locals. */
enum { WORK_AREA = 1024 };
/* The pattern below and above the alternate stack inside its block. */
enum { PATTERN_BYTES = 16 * 1024, PATTERN = 0xa5 };

static pthread_barrier_t barrier;
static atomic_int serials;
static atomic_int bad_results;
static atomic_int waiting_announced;

static void count_result(int result)
{
    if (result == PTHREAD_BARRIER_SERIAL_THREAD)
        atomic_fetch_add(&serials, 1);
    else if (result != 0)
        atomic_fetch_add(&bad_results, 1);
}

static void announce_waiting(void)
{
    static const char line[] = "waiting\n";
    if (atomic_exchange(&waiting_announced, 1) == 0)
        (void)!write(STDOUT_FILENO, line, sizeof(line) - 1);
}

/* Not static and never inlined: the watchdog's backtrace must name it. */
__attribute__((noinline)) int wait_for_missing_participant(pthread_barrier_t *b)
{
    announce_waiting();
    int result = pthread_barrier_wait(b);
    __asm__ __volatile__("" ::: "memory"); /* keeps this frame: no tail call */
    return result;
}

/* A worker with a work area of its own on its stack, as real ones have;
 * the area must come back from the wait as it went in. */
static void *waiter_on_its_stack(void *unused)
{
    (void)unused;
    volatile unsigned char work[WORK_AREA];
    for (size_t i = 0; i < sizeof(work); ++i)
        work[i] = (unsigned char)i;
    count_result(wait_for_missing_participant(&barrier));
    for (size_t i = 0; i < sizeof(work); ++i)
        if (work[i] != (unsigned char)i) {
            atomic_fetch_add(&bad_results, 1);
            break;
        }
    return NULL;
}

/* nearly-full-stack: takes all but NEARLY_FULL_LEFT bytes of the stack, whose
 * lowest usable address is `stack_low`, then waits. */
__attribute__((noinline)) static void wait_with_the_stack_nearly_full(uintptr_t stack_low)
{
    char here;
    const uintptr_t sp = (uintptr_t)&here;
    const size_t take = sp - stack_low - NEARLY_FULL_LEFT;
    printf("stack left about %d\n", NEARLY_FULL_LEFT); /* printf while there is room */
    volatile char *taken = __builtin_alloca(take);
    taken[0] = 1; /* the block is used: the compiler keeps it */
    count_result(wait_for_missing_participant(&barrier));
    taken[0] = 0;
}

static void *waiter_on_a_nearly_full_stack(void *unused)
{
    (void)unused;
    pthread_attr_t attr;
    void *stack_low = NULL;
    size_t stack_size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
        pthread_attr_getstack(&attr, &stack_low, &stack_size) != 0) {
        atomic_fetch_add(&bad_results, 1);
        return NULL;
    }
    pthread_attr_destroy(&attr);
    wait_with_the_stack_nearly_full((uintptr_t)stack_low);
    return NULL;
}

static void wait_in_handler(int signal_number)
{
    (void)signal_number;
    count_result(wait_for_missing_participant(&barrier));
}

static int pattern_intact(const unsigned char *bytes, size_t size)
{
    for (size_t i = 0; i < size; ++i)
        if (bytes[i] != PATTERN)
            return 0;
    return 1;
}

static atomic_int pattern_broken;

/* alternate-signal-stack: the handler waits on an alternate stack of
 * SIGSTKSZ bytes between two patterned zones of one malloc'ed block. */
static void *waiter_on_an_alternate_stack(void *unused)
{
    (void)unused;
    const size_t stack_size = SIGSTKSZ;
    unsigned char *block = malloc(PATTERN_BYTES + stack_size + PATTERN_BYTES);
    if (block == NULL) {
        atomic_fetch_add(&bad_results, 1);
        return NULL;
    }
    memset(block, PATTERN, PATTERN_BYTES + stack_size + PATTERN_BYTES);
    stack_t alternate = {.ss_sp = block + PATTERN_BYTES, .ss_size = stack_size, .ss_flags = 0};
    if (sigaltstack(&alternate, NULL) != 0) {
        atomic_fetch_add(&bad_results, 1);
        free(block);
        return NULL;
    }
    pthread_kill(pthread_self(), SIGUSR1); /* runs wait_in_handler before it returns */
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    if (!pattern_intact(block, PATTERN_BYTES) ||
        !pattern_intact(block + PATTERN_BYTES + stack_size, PATTERN_BYTES))
        atomic_store(&pattern_broken, 1);
    free(block); /* glibc checks the chunk's header here */
    return NULL;
}

static int setup_failed(const char *what, int error)
{
    printf("SETUP: %s: %s\n", what, strerror(error));
    return 2;
}

static void on_alarm(int signal_number)
{
    static const char line[] = "HANG: the round never completed\n";
    (void)signal_number;
    (void)!write(STDOUT_FILENO, line, sizeof(line) - 1);
    _exit(3);
}

int main(int argc, char **argv)
{
    const char *mode = argc == 2 ? argv[1] : "";
    void *(*waiter)(void *) = NULL;
    size_t stack_size = 0; /* 0: the default */
    if (strcmp(mode, "minimum-thread-stack") == 0) {
        waiter = waiter_on_its_stack;
        stack_size = PTHREAD_STACK_MIN;
    } else if (strcmp(mode, "alternate-signal-stack") == 0) {
        waiter = waiter_on_an_alternate_stack;
    } else if (strcmp(mode, "default-thread-stack") == 0) {
        waiter = waiter_on_its_stack;
    } else if (strcmp(mode, "nearly-full-stack") == 0) {
        waiter = waiter_on_a_nearly_full_stack;
        stack_size = NEARLY_FULL_STACK;
    } else {
        fprintf(stderr,
                "usage: %s minimum-thread-stack|alternate-signal-stack|"
                "default-thread-stack|nearly-full-stack\n",
                argv[0]);
        return 2;
    }
    signal(SIGALRM, on_alarm);
    alarm(SELF_LIMIT_SECONDS);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("pid %d\n", (int)getpid());

    int error = pthread_barrier_init(&barrier, NULL, COUNT);
    if (error != 0)
        return setup_failed("pthread_barrier_init", error);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = wait_in_handler;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR1, &action, NULL) != 0)
        return setup_failed("sigaction", errno);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_size != 0 && (error = pthread_attr_setstacksize(&attr, stack_size)) != 0)
        return setup_failed("pthread_attr_setstacksize", error);
    pthread_t thread;
    error = pthread_create(&thread, &attr, waiter, NULL);
    pthread_attr_destroy(&attr);
    if (error != 0)
        return setup_failed("pthread_create", error);

    /* The missing participant: arrives on the checker's word. */
    char word;
    while (read(STDIN_FILENO, &word, 1) < 0 && errno == EINTR) {
    }
    count_result(pthread_barrier_wait(&barrier));
    pthread_join(thread, NULL);

    const int serial_count = atomic_load(&serials);
    const int bad = atomic_load(&bad_results);
    if (serial_count != 1 || bad != 0) {
        printf("FAIL: %d serial results, %d bad results\n", serial_count, bad);
        return 1;
    }
    if (atomic_load(&pattern_broken)) {
        printf("FAIL: something wrote outside the alternate signal stack\n");
        return 1;
    }
    printf("PASS: the round completed once the missing participant arrived\n");
    return 0;
}
