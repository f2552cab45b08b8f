/* A signal handler running on an alternate signal stack that lies above the
 * interrupted thread's stack does a sigsetjmp/siglongjmp within itself. The
 * jump leaves nothing but handler frames, so the interrupted waiter's exit
 * window must stay held: a munmap of the barrier's page by another thread
 * meanwhile still waits for it. (An unmap of other memory need not wait.) (Comparing the jump target with the window's address across the two
 * stacks once released the live window: the munmap went ahead at once, and
 * the window's real release later dropped the count a second time.)
 *
 * The waiter is held inside its window by a round that is full but not yet
 * released: the test adds the round's last arrival to the state word itself,
 * as a completer between its arrival and its release would have, and releases
 * it later by writing the reset (barrier_layout.h: arrivals in the low bits,
 * the round number from bit 33). */
#include <setjmp.h>
#include <sys/mman.h>

#include "barrier_kind.h"

static pthread_barrier_t *barrier;
static void *altstack;
static atomic_int waiter_inside;
static atomic_int round_released;

static uint64_t *state_word(void) { return (uint64_t *)barrier; }

static void jump_within_handler(int sig)
{
    (void)sig;
    sigjmp_buf here;
    if (sigsetjmp(here, 0) == 0)
        siglongjmp(here, 1);
}

static void *waiter(void *unused)
{
    (void)unused;
    stack_t stack = {.ss_sp = altstack, .ss_size = 65536, .ss_flags = 0};
    sigaltstack(&stack, NULL);
    atomic_store(&waiter_inside, 1);
    pthread_barrier_wait(barrier); /* a full round: waits inside its window */
    return NULL;
}

static void *releaser(void *unused)
{
    (void)unused;
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL); /* long enough for a munmap that does not wait */
    uint64_t round = (__atomic_load_n(state_word(), __ATOMIC_SEQ_CST) >> 33) & 0x7fffffff;
    atomic_store(&round_released, 1);
    __atomic_store_n(state_word(), (round + 1) << 33, __ATOMIC_SEQ_CST);
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    /* Mapped before the waiter's thread stack, so above it (mmap grows down). */
    altstack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (altstack == MAP_FAILED)
        bh_setup_error("mmap: %s", strerror(errno));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_within_handler;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    barrier = new_barrier(true, 1);
    __atomic_fetch_add(state_word(), 1, __ATOMIC_SEQ_CST); /* the round is full */

    pthread_t waiting, releasing;
    pthread_create(&waiting, NULL, waiter, NULL);
    while (!atomic_load(&waiter_inside)) {
    }
    struct timespec settle = {0, 20 * 1000 * 1000};
    nanosleep(&settle, NULL);
    pthread_kill(waiting, SIGUSR1);
    nanosleep(&settle, NULL);

    pthread_create(&releasing, NULL, releaser, NULL);
    bh_phase_set("munmap of the barrier's page while the waiter is inside its window");
    munmap((void *)barrier, 4096); /* the releaser writes it only before its release */
    int released_first = atomic_load(&round_released);
    pthread_join(releasing, NULL);
    pthread_join(waiting, NULL);
    if (!released_first)
        bh_fail("munmap returned while the waiter was still inside its exit window: the jump "
                "inside the handler released the window");
    bh_pass("the jump inside a handler on a higher signal stack left the interrupted "
            "waiter's exit window held; munmap waited for it");
}
