/* Allocating a barrier of the kind a sub-case names: "private" (ordinary
 * memory, PTHREAD_PROCESS_PRIVATE) or "shared" (a MAP_SHARED page,
 * PTHREAD_PROCESS_SHARED). */
#ifndef BARRIER_KIND_H
#define BARRIER_KIND_H
#include "behaviour.h"
#include <sys/mman.h>

static inline pthread_barrier_t *new_barrier(bool shared, unsigned count)
{
    pthread_barrier_t *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                                (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        bh_setup_error("mmap for a barrier failed");
    pthread_barrierattr_t attr;
    if (pthread_barrierattr_init(&attr) != 0 ||
        pthread_barrierattr_setpshared(&attr, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE) != 0)
        bh_setup_error("cannot build a barrier attribute");
    int rc = pthread_barrier_init(b, &attr, count);
    if (rc != 0)
        bh_setup_error("pthread_barrier_init(count=%u, %s) returned %s", count,
                       shared ? "shared" : "private", bh_err_name(rc));
    pthread_barrierattr_destroy(&attr);
    return b;
}

/* Parses "private" / "shared"; returns -1 for anything else. */
static inline int parse_kind(const char *s)
{
    if (strcmp(s, "private") == 0)
        return 0;
    if (strcmp(s, "shared") == 0)
        return 1;
    return -1;
}

/* A signal handler installed WITHOUT SA_RESTART: an interrupted blocking
 * call that honoured it would fail with EINTR instead of resuming. */
static inline void install_handler_without_restart(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(sig, &sa, NULL) != 0)
        bh_setup_error("sigaction failed");
}

#endif
