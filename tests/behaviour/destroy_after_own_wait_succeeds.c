/* Behaviour: a participant may destroy a barrier as soon as its own
 * pthread_barrier_wait has returned, while its peers may still be on their
 * way out of the same wait: destroy returns 0, never EBUSY ("blocked" means
 * waiting in an incomplete round, not leaving a completed one).
 *
 * Three threads (more than the two CPUs, so peers are often still leaving)
 * pass through a fresh barrier per round; one of them destroys it right
 * after its own wait returns.  Every round must also produce exactly one
 * PTHREAD_BARRIER_SERIAL_THREAD.
 * Sub-case: <private|shared>-<serial|rotating>: the barrier kind, and who
 * destroys (the thread that got SERIAL, usually the first back; or thread
 * round % 3, which is often still asleep when the others left). */
#include "behaviour.h"
#include <sys/mman.h>

enum { THREADS = 3, ROUNDS = 3000 };

static pthread_barrier_t *barriers;
static atomic_int serials[ROUNDS];
static bool serial_destroys;

static void *participant(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        int rc = pthread_barrier_wait(&barriers[r]);
        if (!bh_wait_ok(rc))
            bh_fail("round %d: thread %d's wait returned %s", r, me, bh_err_name(rc));
        bool serial = rc == PTHREAD_BARRIER_SERIAL_THREAD;
        if (serial)
            atomic_fetch_add(&serials[r], 1);
        if (serial_destroys ? serial : r % THREADS == me) {
            rc = pthread_barrier_destroy(&barriers[r]);
            if (rc != 0)
                bh_fail("round %d: destroy right after the destroyer's own wait returned %s, expected 0",
                        r, bh_err_name(rc));
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *cases[] = {"private-serial", "private-rotating", "shared-serial", "shared-rotating"};
    int which = -1;
    for (int i = 0; argc == 2 && i < 4; i++)
        if (strcmp(argv[1], cases[i]) == 0)
            which = i;
    if (which < 0) {
        fprintf(stderr, "usage: %s private-serial | private-rotating | shared-serial | shared-rotating\n",
                argv[0]);
        return BH_SETUP;
    }
    bool shared = which >= 2;
    serial_destroys = which % 2 == 0;
    bh_start("rounds with a destroy right after the destroyer's own wait", 8);

    size_t bytes = sizeof(pthread_barrier_t) * ROUNDS;
    barriers = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    if (barriers == MAP_FAILED)
        bh_setup_error("mmap failed");
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    pthread_barrierattr_setpshared(&attr, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
    for (int r = 0; r < ROUNDS; r++)
        if (pthread_barrier_init(&barriers[r], &attr, THREADS) != 0)
            bh_setup_error("pthread_barrier_init failed");

    pthread_t t[THREADS];
    for (int i = 1; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, participant, (void *)(intptr_t)i) != 0)
            bh_setup_error("pthread_create failed");
    participant((void *)0);
    for (int i = 1; i < THREADS; i++)
        pthread_join(t[i], NULL);

    for (int r = 0; r < ROUNDS; r++)
        if (atomic_load(&serials[r]) != 1)
            bh_fail("round %d produced %d PTHREAD_BARRIER_SERIAL_THREAD, expected 1", r,
                    atomic_load(&serials[r]));
    bh_pass("%s: %d rounds, each destroyed right after the destroyer's own wait with result 0",
            argv[1], ROUNDS);
}
