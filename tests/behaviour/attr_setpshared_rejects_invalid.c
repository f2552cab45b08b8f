/* Behaviour: pthread_barrierattr_setpshared accepts only
 * PTHREAD_PROCESS_PRIVATE and PTHREAD_PROCESS_SHARED; other values (2, -1)
 * give EINVAL and leave the attribute's previous setting in place. */
#include "behaviour.h"

static void expect_rejected_keeps(int previous, int bad)
{
    pthread_barrierattr_t attr;
    if (pthread_barrierattr_init(&attr) != 0 || pthread_barrierattr_setpshared(&attr, previous) != 0)
        bh_setup_error("cannot build an attribute with pshared=%d", previous);

    int rc = pthread_barrierattr_setpshared(&attr, bad);
    if (rc != EINVAL)
        bh_fail("pthread_barrierattr_setpshared(attr, %d) returned %s, expected EINVAL",
                bad, bh_err_name(rc));

    int got = -12345;
    rc = pthread_barrierattr_getpshared(&attr, &got);
    if (rc != 0)
        bh_fail("getpshared after a rejected setpshared(%d) returned %s", bad, bh_err_name(rc));
    if (got != previous)
        bh_fail("rejected setpshared(%d) changed the setting from %d to %d", bad, previous, got);
    pthread_barrierattr_destroy(&attr);
}

int main(void)
{
    bh_start("pthread_barrierattr_setpshared with invalid values", 5);
    const int bad[] = {2, -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_rejected_keeps(PTHREAD_PROCESS_PRIVATE, bad[i]);
        expect_rejected_keeps(PTHREAD_PROCESS_SHARED, bad[i]);
    }
    bh_pass("setpshared(2) and setpshared(-1) give EINVAL and keep the previous value");
}
