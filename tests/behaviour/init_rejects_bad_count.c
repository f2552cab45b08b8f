/* Behaviour: pthread_barrier_init refuses a count of 0 and counts too large
 * to represent (2^31 and UINT_MAX) with EINVAL, for private and
 * process-shared attributes alike, while small counts are accepted. */
#include "behaviour.h"
#include <limits.h>

static void expect_init(const pthread_barrierattr_t *attr, const char *attr_name,
                        unsigned count, int want)
{
    pthread_barrier_t b;
    memset(&b, 0, sizeof b);
    int rc = pthread_barrier_init(&b, attr, count);
    if (rc != want)
        bh_fail("pthread_barrier_init(count=%u, attr=%s) returned %s, expected %s",
                count, attr_name, bh_err_name(rc), bh_err_name(want));
    if (rc == 0) {
        rc = pthread_barrier_destroy(&b);
        if (rc != 0)
            bh_fail("destroy of a fresh count=%u barrier returned %s", count, bh_err_name(rc));
    }
}

int main(void)
{
    bh_start("pthread_barrier_init with a bad count", 5);

    pthread_barrierattr_t shared;
    if (pthread_barrierattr_init(&shared) != 0 ||
        pthread_barrierattr_setpshared(&shared, PTHREAD_PROCESS_SHARED) != 0)
        bh_setup_error("cannot build a PTHREAD_PROCESS_SHARED attribute");

    const struct { const pthread_barrierattr_t *attr; const char *name; } attrs[] = {
        {NULL, "NULL"},
        {&shared, "PTHREAD_PROCESS_SHARED"},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        expect_init(attrs[i].attr, attrs[i].name, 0, EINVAL);
        expect_init(attrs[i].attr, attrs[i].name, 1u << 31, EINVAL);
        expect_init(attrs[i].attr, attrs[i].name, UINT_MAX, EINVAL);
        expect_init(attrs[i].attr, attrs[i].name, 1, 0);
        expect_init(attrs[i].attr, attrs[i].name, 2, 0);
    }
    pthread_barrierattr_destroy(&shared);
    bh_pass("count 0, 2^31 and UINT_MAX are rejected with EINVAL; 1 and 2 are accepted");
}
