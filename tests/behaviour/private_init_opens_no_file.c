/* Behaviour: initialising and destroying a private barrier opens no file,
 * whatever its count and whether it gets an arrival tree (run once as is and
 * once with BARRIER_SHIM_ARRIVAL_TREE=1): what init needs to know about the
 * machine it learns once, not per barrier. (A program may create a barrier
 * per task; a file read costs it several microseconds per init.) A seccomp
 * filter turns every openat(2) into SIGSYS, which this program counts, after
 * a first round of inits that may look things up once. */
#include "behaviour.h"
#include "trap_system_call.h"

#include <dlfcn.h>
#include <sys/syscall.h>

#define PAIRS 200

static volatile sig_atomic_t openat_calls;

static void count_openat(int sig) { (void)sig; openat_calls++; }

static int shim_is_loaded(void)
{
    Dl_info info;
    void *init = dlsym(RTLD_DEFAULT, "pthread_barrier_init");
    return init != NULL && dladdr(init, &info) != 0 && info.dli_fname != NULL &&
           strstr(info.dli_fname, "barrier-shim") != NULL;
}

/* Counts 1 (never a tree), 2 and 3 (the smallest trees), 9 and 17 (trees of
 * 3 and 5 leaves), 64 (16 leaves). */
static const unsigned counts[] = {1, 2, 3, 9, 17, 64};
#define COUNTS (sizeof counts / sizeof counts[0])

static int init_and_destroy_each(void)
{
    pthread_barrier_t barrier;
    for (size_t i = 0; i < COUNTS; i++) {
        if (pthread_barrier_init(&barrier, NULL, counts[i]) != 0) return -1;
        if (pthread_barrier_destroy(&barrier) != 0) return -1;
    }
    return 0;
}

int main(void)
{
    bh_start("setup", 20);
    if (!shim_is_loaded()) bh_setup_error("run it with libbarrier-shim.so preloaded");
    if (init_and_destroy_each() != 0) bh_setup_error("init or destroy failed before the filter");
    if (count_system_call(__NR_openat, count_openat) != 0) bh_setup_error("sigaction or seccomp: %s", strerror(errno));
    bh_phase_set("init and destroy");
    for (int i = 0; i < PAIRS; i++) {
        if (init_and_destroy_each() != 0) bh_fail("init or destroy failed (pair %d)", i);
    }
    if (openat_calls != 0) {
        bh_fail("%d openat calls in %d inits and destroys of private barriers",
                (int)openat_calls, PAIRS * (int)COUNTS);
    }
    bh_pass("%d inits and destroys of private barriers (counts 1 to 64) opened no file",
            PAIRS * (int)COUNTS);
}
