/* Behaviour: a pthread_barrierattr_t that was never passed to
 * pthread_barrierattr_init but is all zero bytes (memset, or a static
 * variable) means the default attributes, as in glibc 2.36:
 * pthread_barrierattr_getpshared on it returns 0 and reports
 * PTHREAD_PROCESS_PRIVATE, pthread_barrier_init with it returns 0, and the
 * barrier works as a private barrier (3 threads, 50 rounds, one
 * PTHREAD_BARRIER_SERIAL_THREAD per round; destroy returns 0).
 *
 * glibc 2.36 reads the attribute's pshared field and nothing else, and
 * PTHREAD_PROCESS_PRIVATE is 0; programs rely on it (zeroed structs of
 * settings).  Garbage that is not all zero may still be rejected (see
 * tests/behaviour/init_rejects_garbage_attr.c). */
#include "patterns.h"

enum { kThreads = 3, kRounds = 50 };

static pthread_barrierattr_t zero_static_attr; /* zero-initialised, never initialised */
static pthread_barrier_t barrier;
static atomic_uint serials;

static void *rounds(void *arg)
{
    (void)arg;
    for (int r = 0; r < kRounds; r++) {
        int rc = pthread_barrier_wait(&barrier);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: wait returned %s", r, bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serials, 1);
    }
    return NULL;
}

static void check_zero_attr(pthread_barrierattr_t *attr, const char *which)
{
    int rc = pthread_barrier_init(&barrier, attr, kThreads);
    if (rc != 0)
        bh_fail("pthread_barrier_init with a %s zero-filled attribute returned %s", which, bh_err_name(rc));
    int pshared = -12345;
    rc = pthread_barrierattr_getpshared(attr, &pshared);
    if (rc != 0)
        bh_fail("pthread_barrierattr_getpshared on a %s zero-filled attribute returned %s", which,
                bh_err_name(rc));
    if (pshared != PTHREAD_PROCESS_PRIVATE)
        bh_fail("pthread_barrierattr_getpshared on a %s zero-filled attribute reported %d, expected "
                "PTHREAD_PROCESS_PRIVATE (%d)", which, pshared, PTHREAD_PROCESS_PRIVATE);

    atomic_store(&serials, 0);
    pthread_t threads[kThreads - 1];
    for (int i = 0; i < kThreads - 1; i++)
        if (pthread_create(&threads[i], NULL, rounds, NULL) != 0)
            bh_setup_error("pthread_create failed");
    rounds(NULL);
    for (int i = 0; i < kThreads - 1; i++)
        pthread_join(threads[i], NULL);
    if (atomic_load(&serials) != kRounds)
        bh_fail("%d rounds with a %s zero-filled attribute produced %u PTHREAD_BARRIER_SERIAL_THREAD",
                kRounds, which, atomic_load(&serials));
    rc = pthread_barrier_destroy(&barrier);
    if (rc != 0)
        bh_fail("destroy of the barrier made with a %s zero-filled attribute returned %s", which,
                bh_err_name(rc));
}

int main(void)
{
    bh_start("a zero-filled attribute", 10);
    pthread_barrierattr_t local;
    memset(&local, 0, sizeof local);
    check_zero_attr(&local, "memset");
    check_zero_attr(&zero_static_attr, "static");
    bh_pass("a zero-filled attribute reads as PTHREAD_PROCESS_PRIVATE and makes a working private barrier");
}
