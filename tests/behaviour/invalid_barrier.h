/* Barrier objects that were never initialised, or were destroyed, for the
 * *_rejects_invalid programs.  Each kind is named by the argv sub-case. */
#ifndef INVALID_BARRIER_H
#define INVALID_BARRIER_H
#include "behaviour.h"
#include <stdint.h>

static pthread_barrier_t *two_party_barrier;

static void *two_party_peer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        if (!bh_wait_ok(pthread_barrier_wait(two_party_barrier)))
            bh_fail("setup: a round of a valid barrier failed");
    return NULL;
}

/* Fill *b according to `kind`; returns a description, or NULL if unknown. */
static inline const char *make_invalid_barrier(pthread_barrier_t *b, const char *kind)
{
    if (strcmp(kind, "zeroed") == 0) {
        memset(b, 0, sizeof *b);
        return "zero-filled memory";
    }
    if (strcmp(kind, "ones") == 0) {
        memset(b, 0xff, sizeof *b);
        return "0xff-filled memory";
    }
    if (strcmp(kind, "garbage") == 0) {
        /* Fixed seed: the same "random" bytes every run. */
        uint64_t x = 0x9e3779b97f4a7c15ull;
        unsigned char *p = (unsigned char *)b;
        for (size_t i = 0; i < sizeof *b; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            p[i] = (unsigned char)(x >> 24);
        }
        return "pseudo-random garbage";
    }
    if (strcmp(kind, "destroyed") == 0) {
        if (pthread_barrier_init(b, NULL, 1) != 0 || pthread_barrier_destroy(b) != 0)
            bh_setup_error("cannot init and destroy a count-1 barrier");
        return "a destroyed, never used count-1 barrier";
    }
    if (strcmp(kind, "destroyed-after-use") == 0) {
        if (pthread_barrier_init(b, NULL, 2) != 0)
            bh_setup_error("cannot init a count-2 barrier");
        two_party_barrier = b;
        pthread_t t;
        if (pthread_create(&t, NULL, two_party_peer, NULL) != 0)
            bh_setup_error("pthread_create failed");
        two_party_peer(NULL);
        pthread_join(t, NULL);
        int rc = pthread_barrier_destroy(b);
        if (rc != 0)
            bh_fail("destroy of a quiescent, used barrier returned %s", bh_err_name(rc));
        return "a count-2 barrier destroyed after 100 rounds";
    }
    return NULL;
}

#define INVALID_KINDS "zeroed | ones | garbage | destroyed | destroyed-after-use"

#endif
