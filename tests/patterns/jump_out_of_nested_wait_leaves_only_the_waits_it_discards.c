/* Behaviour: a thread blocked in pthread_barrier_wait on barrier A takes a
 * signal whose handler blocks in a wait on barrier B; a second signal's
 * handler jumps (siglongjmp) out of B's wait. The thread lives on. Exactly
 * the waits whose frames the jump discards stop counting as blocked:
 *
 *  to-handler  the jump lands in the first handler, before its wait on B:
 *              B is no longer busy (destroy and init return 0), A still is
 *              (init and destroy return EBUSY and leave it be); the handler
 *              returns into A's wait, and the round completes normally when
 *              the main thread arrives (one PTHREAD_BARRIER_SERIAL_THREAD).
 *  to-thread   the jump lands in the thread itself, before its wait on A:
 *              neither barrier is busy (destroy and init return 0), and
 *              munmap of their memory returns (no exit window left open).
 *
 * Memory: private (PTHREAD_PROCESS_PRIVATE in a private page: the wake-slot
 * path) or shared (PTHREAD_PROCESS_SHARED in a MAP_SHARED page: the object
 * path). With -altstack the handlers run on a signal stack (SA_ONSTACK).
 *
 * Stock glibc's init over a barrier in use returns 0 (to-handler fails at
 * once); its destroy waits for ever for a waiter that left (to-thread hangs,
 * so it has no glibc control). */
#include "patterns.h"
#include <setjmp.h>

static bool shared, to_handler;
static pthread_barrier_t *outer, *inner; /* A and B */
static sigjmp_buf thread_jump, handler_jump;
static _Atomic pid_t jumper_tid;
static atomic_int in_inner, left_inner, left_outer, outer_returned, may_end;
static int outer_result;

/* SIGUSR1: a wait on B, nested in the interrupted wait on A. */
static void wait_on_inner(int sig)
{
    (void)sig;
    if (sigsetjmp(handler_jump, 1)) {
        atomic_store(&left_inner, 1);
        return; /* back into the wait on A */
    }
    atomic_store(&in_inner, 1);
    pthread_barrier_wait(inner);
    bh_fail("the wait on B returned although nobody else arrived");
}

/* SIGUSR2: leaves the wait on B, to the handler or to the thread. */
static void jump_out(int sig)
{
    (void)sig;
    siglongjmp(to_handler ? handler_jump : thread_jump, 1);
}

static void *jumper(void *arg)
{
    (void)arg;
    if (sigsetjmp(thread_jump, 1)) {
        atomic_store(&left_outer, 1);
    } else {
        atomic_store(&jumper_tid, gettid());
        outer_result = pthread_barrier_wait(outer);
        atomic_store(&outer_returned, 1);
    }
    /* Alive while the main thread checks: its record stays in use. */
    while (!atomic_load(&may_end))
        bh_sleep_ms(1);
    return NULL;
}

static void use_signal_stack(void)
{
    static char stack[1 << 16];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0)
        bh_setup_error("sigaltstack failed: %s", strerror(errno));
}

static void *jumper_on_signal_stack(void *arg)
{
    use_signal_stack();
    return jumper(arg);
}

static void init_or_fail(pthread_barrier_t *b, const char *name)
{
    pthread_barrierattr_t attr = pt_attr(shared);
    int rc = pthread_barrier_init(b, &attr, 2);
    pthread_barrierattr_destroy(&attr);
    if (rc != 0)
        bh_fail("init of %s returned %s, expected 0", name, bh_err_name(rc));
}

static void destroy_or_fail(pthread_barrier_t *b, const char *name)
{
    int rc = pthread_barrier_destroy(b);
    if (rc != 0)
        bh_fail("destroy of %s returned %s, expected 0", name, bh_err_name(rc));
}

static void expect_busy(pthread_barrier_t *b, const char *name)
{
    pthread_barrierattr_t attr = pt_attr(shared);
    int rc = pthread_barrier_init(b, &attr, 2);
    pthread_barrierattr_destroy(&attr);
    if (rc != EBUSY)
        bh_fail("init of %s, whose waiter is still blocked, returned %s, expected EBUSY", name,
                bh_err_name(rc));
    rc = pthread_barrier_destroy(b);
    if (rc != EBUSY)
        bh_fail("destroy of %s, whose waiter is still blocked, returned %s, expected EBUSY", name,
                bh_err_name(rc));
}

static void wait_until_asleep(const char *where)
{
    if (bh_wait_until_asleep(atomic_load(&jumper_tid), 3000) != 0)
        bh_setup_error("the jumper never fell asleep %s", where);
}

int main(int argc, char **argv)
{
    const char *usage = "(to-handler|to-thread)-(private|shared)[-altstack]";
    if (argc != 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    char target[16], memory[16], stack[16] = "";
    if (sscanf(argv[1], "to-%15[a-z]-%15[a-z]-%15[a-z]", target, memory, stack) < 2 ||
        (strcmp(target, "handler") != 0 && strcmp(target, "thread") != 0) ||
        (strcmp(memory, "private") != 0 && strcmp(memory, "shared") != 0) ||
        (stack[0] != '\0' && strcmp(stack, "altstack") != 0)) {
        fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        return BH_SETUP;
    }
    to_handler = strcmp(target, "handler") == 0;
    shared = strcmp(memory, "shared") == 0;
    const bool altstack = stack[0] != '\0';
    bh_start("setup", 10);
    pt_install_handler(SIGUSR1, wait_on_inner, altstack ? SA_ONSTACK : 0);
    pt_install_handler(SIGUSR2, jump_out, altstack ? SA_ONSTACK : 0);
    char *memory_page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                             (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (memory_page == MAP_FAILED)
        bh_setup_error("mmap failed");
    outer = (pthread_barrier_t *)memory_page;
    inner = (pthread_barrier_t *)(memory_page + 4096);
    pt_init_or_setup(outer, shared, 2);
    pt_init_or_setup(inner, shared, 2);

    bh_phase_set("the jumper blocks in A, then in B in a handler");
    pthread_t thread;
    if (pthread_create(&thread, NULL, altstack ? jumper_on_signal_stack : jumper, NULL) != 0)
        bh_setup_error("pthread_create failed");
    for (int i = 0; i < 3000 && atomic_load(&jumper_tid) == 0; i++)
        bh_sleep_ms(1);
    wait_until_asleep("in its wait on A");
    pthread_kill(thread, SIGUSR1);
    if (!pt_poll_until_set(&in_inner, 3000))
        bh_setup_error("the handler never started its wait on B");
    wait_until_asleep("in its wait on B");

    bh_phase_set("the jump out of the wait on B");
    pthread_kill(thread, SIGUSR2);
    if (!pt_poll_until_set(to_handler ? &left_inner : &left_outer, 3000))
        bh_setup_error("the jumper did not jump");

    if (to_handler) {
        wait_until_asleep("in its wait on A again");
        bh_phase_set("A, whose wait the jump did not discard");
        expect_busy(outer, "A");
        if (atomic_load(&outer_returned))
            bh_fail("the wait on A returned (%s) before its round was complete",
                    bh_err_name(outer_result));
        bh_phase_set("B, whose wait the jump discarded");
        destroy_or_fail(inner, "B");
        init_or_fail(inner, "B");
        bh_phase_set("completing A's round");
        int mine = pthread_barrier_wait(outer);
        if (!pt_poll_until_set(&outer_returned, 3000))
            bh_fail("the jumper's wait on A never returned after its round completed");
        if (!bh_wait_ok(mine) || !bh_wait_ok(outer_result))
            bh_fail("A's round returned %s (main) and %s (jumper)", bh_err_name(mine),
                    bh_err_name(outer_result));
        if ((mine == PTHREAD_BARRIER_SERIAL_THREAD) +
                (outer_result == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
            bh_fail("A's round returned %s and %s: not one PTHREAD_BARRIER_SERIAL_THREAD",
                    bh_err_name(mine), bh_err_name(outer_result));
    } else {
        bh_phase_set("A and B, both of whose waits the jump discarded");
        destroy_or_fail(outer, "A");
        destroy_or_fail(inner, "B");
        init_or_fail(outer, "A");
        init_or_fail(inner, "B");
    }
    destroy_or_fail(outer, "A at the end");
    destroy_or_fail(inner, "B at the end");
    bh_phase_set("munmap of the barriers' memory (an exit window left open hangs here)");
    if (munmap(memory_page, 8192) != 0)
        bh_setup_error("munmap failed: %s", strerror(errno));
    atomic_store(&may_end, 1);
    pthread_join(thread, NULL);
    bh_pass("%s: the jump left exactly the waits whose frames it discarded", argv[1]);
}
