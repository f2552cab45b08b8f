/* Behaviour: pthread_barrier_init refuses, with EINVAL, an attribute object
 * that pthread_barrierattr_init never initialised and whose contents are not
 * a valid attribute (garbage such as 0x12345678).  Attributes that did come
 * from pthread_barrierattr_init are accepted.
 * (Stock glibc does not look at the contents and returns 0.) */
#include "behaviour.h"
#include <stdint.h>

static void expect_garbage_rejected(uint32_t garbage)
{
    pthread_barrierattr_t attr;
    memset(&attr, 0, sizeof attr);
    memcpy(&attr, &garbage, sizeof garbage < sizeof attr ? sizeof garbage : sizeof attr);

    pthread_barrier_t b;
    memset(&b, 0, sizeof b);
    int rc = pthread_barrier_init(&b, &attr, 2);
    if (rc != EINVAL)
        bh_fail("pthread_barrier_init with a garbage attribute (0x%08x) returned %s, expected EINVAL",
                (unsigned)garbage, bh_err_name(rc));
}

static void expect_initialised_accepted(int pshared)
{
    pthread_barrierattr_t attr;
    if (pthread_barrierattr_init(&attr) != 0 || pthread_barrierattr_setpshared(&attr, pshared) != 0)
        bh_setup_error("cannot build an attribute with pshared=%d", pshared);
    pthread_barrier_t b;
    int rc = pthread_barrier_init(&b, &attr, 2);
    if (rc != 0)
        bh_fail("pthread_barrier_init with an initialised attribute (pshared=%d) returned %s",
                pshared, bh_err_name(rc));
    pthread_barrier_destroy(&b);
    pthread_barrierattr_destroy(&attr);
}

int main(void)
{
    bh_start("pthread_barrier_init with a garbage attribute", 5);
    expect_initialised_accepted(PTHREAD_PROCESS_PRIVATE);
    expect_initialised_accepted(PTHREAD_PROCESS_SHARED);
    expect_garbage_rejected(0x12345678u);
    expect_garbage_rejected(0xdeadbeefu);
    bh_pass("garbage attributes (0x12345678, 0xdeadbeef) are rejected with EINVAL");
}
