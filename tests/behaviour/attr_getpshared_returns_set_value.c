/* Behaviour: pthread_barrierattr_getpshared reports PTHREAD_PROCESS_PRIVATE
 * for a fresh attribute and afterwards whatever setpshared last stored. */
#include "behaviour.h"

static int get(const pthread_barrierattr_t *attr)
{
    int value = -12345;
    int rc = pthread_barrierattr_getpshared(attr, &value);
    if (rc != 0)
        bh_fail("pthread_barrierattr_getpshared returned %s", bh_err_name(rc));
    return value;
}

static void set(pthread_barrierattr_t *attr, int value)
{
    int rc = pthread_barrierattr_setpshared(attr, value);
    if (rc != 0)
        bh_fail("pthread_barrierattr_setpshared(attr, %d) returned %s", value, bh_err_name(rc));
}

int main(void)
{
    bh_start("pthread_barrierattr_getpshared", 5);
    pthread_barrierattr_t attr;
    int rc = pthread_barrierattr_init(&attr);
    if (rc != 0)
        bh_fail("pthread_barrierattr_init returned %s", bh_err_name(rc));

    if (get(&attr) != PTHREAD_PROCESS_PRIVATE)
        bh_fail("a fresh attribute reports pshared=%d, expected PTHREAD_PROCESS_PRIVATE", get(&attr));

    const int sequence[] = {PTHREAD_PROCESS_SHARED, PTHREAD_PROCESS_SHARED, PTHREAD_PROCESS_PRIVATE,
                            PTHREAD_PROCESS_SHARED, PTHREAD_PROCESS_PRIVATE};
    for (size_t i = 0; i < sizeof sequence / sizeof sequence[0]; i++) {
        set(&attr, sequence[i]);
        int got = get(&attr);
        if (got != sequence[i])
            bh_fail("after setpshared(%d) getpshared reports %d", sequence[i], got);
    }

    rc = pthread_barrierattr_destroy(&attr);
    if (rc != 0)
        bh_fail("pthread_barrierattr_destroy returned %s", bh_err_name(rc));
    bh_pass("getpshared reports PRIVATE when fresh and then each value set");
}
