/* Behaviour: the child of a SCHED_FIFO | SCHED_RESET_ON_FORK thread runs
 * under SCHED_OTHER, and its waits are those of a SCHED_OTHER waiter: they
 * yield before sleeping (only real-time waiters sleep at once). The forking
 * thread asked whether it is real-time before the fork, under SCHED_FIFO;
 * that answer must not outlive the fork. Everything runs on one CPU, so the
 * barrier never spins; a seccomp filter turns each sched_yield into SIGSYS,
 * counted for the child's waiting thread.
 * Exit 77 (skip) without the privilege to use SCHED_FIFO. */
#include "behaviour.h"
#include "trap_system_call.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ROUNDS 20

static pthread_barrier_t barrier;
static atomic_int counted_tid;
static atomic_int yields;

static void count_yield(int sig)
{
    (void)sig;
    if ((int)syscall(SYS_gettid) == atomic_load(&counted_tid)) atomic_fetch_add(&yields, 1);
}


static void busy_ms(double ms)
{
    const double until = bh_now() + ms / 1e3;
    while (bh_now() < until) {
    }
}

/* Arrives late in each of `rounds` rounds: the other thread has to wait. */
static void *late_partner(void *rounds)
{
    for (long i = 0; i < (long)rounds; i++) {
        busy_ms(1);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

/* The calling thread arrives first in `rounds` rounds. */
static void wait_first(long rounds)
{
    pthread_t partner;
    if (pthread_create(&partner, NULL, late_partner, (void *)rounds) != 0)
        bh_setup_error("pthread_create");
    for (long i = 0; i < rounds; i++) pthread_barrier_wait(&barrier);
    pthread_join(partner, NULL);
}

int main(void)
{
    bh_start("setup", 20);
    struct sched_param fifo = {.sched_priority = 10};
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &fifo) != 0) {
        printf("SKIP: no privilege for SCHED_FIFO (%s)\n", strerror(errno));
        return 77;
    }
    cpu_set_t one_cpu;
    CPU_ZERO(&one_cpu);
    CPU_SET(0, &one_cpu);
    if (sched_setaffinity(0, sizeof one_cpu, &one_cpu) != 0) bh_setup_error("sched_setaffinity");
    if (count_system_call(__NR_sched_yield, count_yield) != 0)
        bh_setup_error("sigaction or seccomp: %s", strerror(errno));
    if (pthread_barrier_init(&barrier, NULL, 2) != 0) bh_setup_error("pthread_barrier_init");
    bh_phase_set("rounds of the real-time parent");
    wait_first(2); /* under SCHED_FIFO: the answer "real-time" is cached */
    bh_phase_set("fork");
    const pid_t child = fork();
    if (child < 0) bh_setup_error("fork: %s", strerror(errno));
    if (child == 0) {
        if (sched_getscheduler(0) != SCHED_OTHER) {
            printf("SETUP: the child's policy is %d, not SCHED_OTHER\n", sched_getscheduler(0));
            _exit(BH_SETUP);
        }
        atomic_store(&counted_tid, (int)syscall(SYS_gettid));
        wait_first(ROUNDS);
        _exit(atomic_load(&yields) == 0 ? BH_FAIL : BH_PASS);
    }
    bh_phase_set("rounds of the SCHED_OTHER child");
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
        bh_setup_error("the child did not exit normally");
    if (WEXITSTATUS(status) == BH_SETUP) bh_setup_error("child set-up");
    if (WEXITSTATUS(status) == BH_FAIL) {
        bh_fail("the SCHED_OTHER child of a SCHED_RESET_ON_FORK parent never yielded in %d "
                "rounds it waited (a real-time waiter's answer)", ROUNDS);
    }
    bh_pass("the SCHED_OTHER child of a SCHED_RESET_ON_FORK parent yielded while it waited");
    return BH_PASS;
}
