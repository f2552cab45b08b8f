/* Test fault for bench-placement-probe (bench/solo/placement_probe_test.sh),
 * preloaded: the probe's second sched_setaffinity call (its second thread's
 * pin; the first pins the main thread) goes wrong as PROBE_PIN_FAULT says:
 *   fail    it fails with EINVAL, as for a CPU taken away before the call;
 *   ignore  it reports success but leaves the thread on the first CPU, where
 *           the two threads then share one CPU, as after a CPU taken away
 *           during the run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int calls;

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set)
{
    int (*real)(pid_t, size_t, const cpu_set_t *);
    void *symbol = dlsym(RTLD_NEXT, "sched_setaffinity");
    memcpy(&real, &symbol, sizeof real); /* ISO C has no object-to-function cast */
    const char *fault = getenv("PROBE_PIN_FAULT");
    if (atomic_fetch_add(&calls, 1) == 1 && fault != NULL) {
        if (strcmp(fault, "fail") == 0) {
            errno = EINVAL;
            return -1;
        }
        if (strcmp(fault, "ignore") == 0) return 0;
    }
    return real(pid, size, set);
}
