/* Behaviour: pthread_barrier_destroy on an object that is not a live barrier
 * (zeroed memory, 0xff memory, random garbage, an already destroyed
 * barrier) returns EINVAL: it neither crashes, nor blocks, nor succeeds.
 * Stock glibc: SIGFPE on zeroed memory; 0 on 0xff memory, on this garbage
 * and when destroying twice. */
#include "invalid_barrier.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s " INVALID_KINDS "\n", argv[0]);
        return BH_SETUP;
    }
    bh_start("pthread_barrier_destroy on an invalid barrier", 5);

    static pthread_barrier_t b;
    const char *what = make_invalid_barrier(&b, argv[1]);
    if (!what)
        bh_setup_error("unknown sub-case '%s'", argv[1]);

    bh_phase_set("pthread_barrier_destroy on an invalid barrier blocked");
    int rc = pthread_barrier_destroy(&b);
    if (rc != EINVAL)
        bh_fail("pthread_barrier_destroy on %s returned %s, expected EINVAL", what, bh_err_name(rc));
    rc = pthread_barrier_destroy(&b);
    if (rc != EINVAL)
        bh_fail("a second pthread_barrier_destroy on %s returned %s, expected EINVAL", what,
                bh_err_name(rc));
    bh_pass("pthread_barrier_destroy on %s returns EINVAL", what);
}
