/* Behaviour: a longjmp or siglongjmp of a thread that holds nothing of the
 * shim (no wait in progress, no exit window, no unmap section) costs no
 * system call: the wrappers ask sigaltstack(2) where the signal stack lies
 * only when there is a hold to give up. A seccomp filter turns every
 * sigaltstack call into SIGSYS, which this program counts; jumps out of a
 * handler included (SIGUSR1 handler that siglongjmps back).
 * Argument: 'longjmp', 'siglongjmp' or 'from-handler'. */
#include "behaviour.h"
#include "trap_system_call.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <sys/syscall.h>

#define JUMPS 1000

static volatile sig_atomic_t sigaltstack_calls;
static sigjmp_buf jump_target;

static void count_sigaltstack(int sig) { (void)sig; sigaltstack_calls++; }

static void jump_back(int sig)
{
    (void)sig;
    siglongjmp(jump_target, 1);
}


static int shim_is_loaded(void)
{
    Dl_info info;
    void *wait = dlsym(RTLD_DEFAULT, "pthread_barrier_wait");
    return wait != NULL && dladdr(wait, &info) != 0 && info.dli_fname != NULL &&
           strstr(info.dli_fname, "barrier-shim") != NULL;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "longjmp";
    bh_start("setup", 20);
    if (!shim_is_loaded()) bh_setup_error("run it with libbarrier-shim.so preloaded");
    /* A wait first: the thread has a record, and its wait is over. */
    pthread_barrier_t barrier;
    if (pthread_barrier_init(&barrier, NULL, 1) != 0 ||
        !bh_wait_ok(pthread_barrier_wait(&barrier)) || pthread_barrier_destroy(&barrier) != 0) {
        bh_setup_error("a count-1 barrier did not work");
    }
    struct sigaction on_sigsys = {0};
    on_sigsys.sa_handler = count_sigaltstack;
    sigemptyset(&on_sigsys.sa_mask);
    struct sigaction on_usr1 = {0};
    on_usr1.sa_handler = jump_back;
    sigemptyset(&on_usr1.sa_mask);
    if (sigaction(SIGSYS, &on_sigsys, NULL) != 0 || sigaction(SIGUSR1, &on_usr1, NULL) != 0) {
        bh_setup_error("sigaction: %s", strerror(errno));
    }
    if (trap_system_call(__NR_sigaltstack) != 0) bh_setup_error("seccomp: %s", strerror(errno));
    bh_phase_set("jumping");
    for (volatile int i = 0; i < JUMPS; i++) {
        if (sigsetjmp(jump_target, 1) != 0) continue;
        if (strcmp(how, "from-handler") == 0) {
            raise(SIGUSR1);
        } else if (strcmp(how, "siglongjmp") == 0) {
            siglongjmp(jump_target, 1);
        } else {
            longjmp(jump_target, 1);
        }
    }
    if (sigaltstack_calls != 0) {
        bh_fail("%d jumps with nothing held made %d sigaltstack calls", JUMPS,
                (int)sigaltstack_calls);
    }
    bh_pass("%d %s jumps with nothing held made no sigaltstack call", JUMPS, how);
    return BH_PASS;
}
