/* Behaviour: with a count of 1 every pthread_barrier_wait completes a round
 * by itself and returns PTHREAD_BARRIER_SERIAL_THREAD, every time.
 * Sub-case: private | shared. */
#include "behaviour.h"
#include <sys/mman.h>

enum { WAITS = 200000 };

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "private") && strcmp(argv[1], "shared"))) {
        fprintf(stderr, "usage: %s private | shared\n", argv[0]);
        return BH_SETUP;
    }
    bool shared = strcmp(argv[1], "shared") == 0;
    bh_start("waiting on a count-1 barrier", 8);

    pthread_barrier_t *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
    int rc = pthread_barrier_init(b, &attr, 1);
    if (rc != 0)
        bh_fail("pthread_barrier_init(count=1) returned %s", bh_err_name(rc));

    for (int i = 0; i < WAITS; i++) {
        rc = pthread_barrier_wait(b);
        if (rc != PTHREAD_BARRIER_SERIAL_THREAD)
            bh_fail("wait #%d on a count-1 barrier returned %s, expected PTHREAD_BARRIER_SERIAL_THREAD",
                    i, bh_err_name(rc));
    }
    rc = pthread_barrier_destroy(b);
    if (rc != 0)
        bh_fail("destroy after the last wait returned %s", bh_err_name(rc));
    bh_pass("%s: %d waits on a count-1 barrier all returned PTHREAD_BARRIER_SERIAL_THREAD", argv[1],
            WAITS);
}
