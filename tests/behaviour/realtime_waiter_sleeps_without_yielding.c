/* Behaviour: a waiter under a real-time policy (SCHED_FIFO) that must wait
 * goes to sleep without calling sched_yield(): its yields would let only
 * threads of its own priority run, so a lower participant on its CPU could
 * not arrive until they ended (pi_stress of rt-tests lost up to 30% of its
 * inversions to them). The waiter first runs rounds under SCHED_OTHER (where
 * yielding is allowed and its answer is cached), then switches itself to
 * SCHED_FIFO with pthread_setschedparam: the cached answer must not
 * outlive the switch. Everything runs on one CPU; a seccomp filter turns
 * each sched_yield into SIGSYS, counted per thread.
 * Exit 77 (skip) without the privilege to use SCHED_FIFO. */
#include "behaviour.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define ROUNDS 20

static pthread_barrier_t barrier;
static atomic_int waiter_tid;
static atomic_int waiter_yields;
static atomic_int phase; /* 0: SCHED_OTHER rounds, 1: SCHED_FIFO rounds */

static void count_yield(int sig)
{
    (void)sig;
    if ((int)syscall(SYS_gettid) == atomic_load(&waiter_tid)) atomic_fetch_add(&waiter_yields, 1);
}

static int trap_sched_yield(void)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sched_yield, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
}

/* Arrives first in every round (the main thread works before arriving). */
static void *waiter(void *unused)
{
    (void)unused;
    atomic_store(&waiter_tid, (int)syscall(SYS_gettid));
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    struct sched_param param = {.sched_priority = 20};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) return (void *)1;
    atomic_store(&waiter_yields, 0);
    atomic_store(&phase, 1);
    for (int i = 0; i < ROUNDS; i++) pthread_barrier_wait(&barrier);
    return NULL;
}

static void busy_ms(double ms)
{
    const double until = bh_now() + ms / 1e3;
    while (bh_now() < until) {
    }
}

int main(void)
{
    bh_start("setup", 20);
    struct sched_param probe = {.sched_priority = 1};
    if (sched_setscheduler(0, SCHED_FIFO, &probe) != 0) {
        printf("SKIP: no privilege for SCHED_FIFO (%s)\n", strerror(errno));
        return 77;
    }
    struct sched_param normal = {.sched_priority = 0};
    sched_setscheduler(0, SCHED_OTHER, &normal);
    cpu_set_t one_cpu;
    CPU_ZERO(&one_cpu);
    CPU_SET(0, &one_cpu);
    if (sched_setaffinity(0, sizeof one_cpu, &one_cpu) != 0) bh_setup_error("sched_setaffinity");
    struct sigaction on_sigsys = {0};
    on_sigsys.sa_handler = count_yield;
    sigemptyset(&on_sigsys.sa_mask);
    if (sigaction(SIGSYS, &on_sigsys, NULL) != 0) bh_setup_error("sigaction");
    if (trap_sched_yield() != 0) bh_setup_error("seccomp: %s", strerror(errno));
    if (pthread_barrier_init(&barrier, NULL, 2) != 0) bh_setup_error("pthread_barrier_init");
    pthread_t thread;
    if (pthread_create(&thread, NULL, waiter, NULL) != 0) bh_setup_error("pthread_create");
    bh_phase_set("rounds");
    for (int i = 0; i < 2 * ROUNDS; i++) {
        busy_ms(1); /* the waiter arrives first and has to wait */
        pthread_barrier_wait(&barrier);
    }
    void *result;
    pthread_join(thread, &result);
    if (result != NULL) bh_setup_error("pthread_setschedparam(SCHED_FIFO) failed");
    const int yields = atomic_load(&waiter_yields);
    if (yields != 0) {
        bh_fail("a SCHED_FIFO waiter called sched_yield %d times in %d rounds", yields, ROUNDS);
    }
    bh_pass("a SCHED_FIFO waiter slept without yielding in %d rounds", ROUNDS);
    return BH_PASS;
}
