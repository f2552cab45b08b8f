/* Behaviour: pthread_barrier_wait on an object that is not a live barrier
 * (zeroed memory, 0xff memory, random garbage, a destroyed barrier) returns
 * EINVAL at once: it neither crashes, nor blocks, nor reports success.
 * Stock glibc: SIGFPE on zeroed memory, SIGABRT on 0xff memory and on this
 * garbage ("The futex facility returned an unexpected error code"),
 * PTHREAD_BARRIER_SERIAL_THREAD on a destroyed count-1 barrier, and blocks
 * for ever (HANG) on a destroyed count-2 barrier. */
#include "invalid_barrier.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s " INVALID_KINDS "\n", argv[0]);
        return BH_SETUP;
    }
    bh_start("pthread_barrier_wait on an invalid barrier", 5);

    static pthread_barrier_t b;
    const char *what = make_invalid_barrier(&b, argv[1]);
    if (!what)
        bh_setup_error("unknown sub-case '%s'", argv[1]);

    bh_phase_set("pthread_barrier_wait on an invalid barrier blocked");
    int rc = pthread_barrier_wait(&b);
    if (rc != EINVAL)
        bh_fail("pthread_barrier_wait on %s returned %s, expected EINVAL", what, bh_err_name(rc));
    rc = pthread_barrier_wait(&b);
    if (rc != EINVAL)
        bh_fail("a second pthread_barrier_wait on %s returned %s, expected EINVAL", what,
                bh_err_name(rc));
    bh_pass("pthread_barrier_wait on %s returns EINVAL", what);
}
