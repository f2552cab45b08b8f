/* Behaviour: an idle private barrier inside a struct that realloc() moves
 * keeps working at its new address as the same barrier, and a new barrier
 * initialised at the old address (malloc hands the old block to a new
 * struct) is a different barrier: the new barrier's rounds never release a
 * thread waiting on the moved one.
 *
 * POSIX leaves the use of a copied barrier undefined; stock glibc 2.36 copes
 * (its barrier holds no address), and so must a replacement.
 *
 * Per trial: struct A with a barrier (count 2) is used for a round, then
 * realloc'ed to a size that forces a move (a neighbour block keeps it from
 * growing in place).  malloc returns the old block for struct B, whose
 * barrier is initialised with count 2 or 3.  A lone thread L waits on the
 * moved barrier; meanwhile the main thread and helpers do 1-4 rounds of B's
 * barrier.  L must still be blocked (bounded polling of a flag L sets when
 * its wait returns); then the main thread arrives at the moved barrier as
 * L's partner, and both return, one of them with
 * PTHREAD_BARRIER_SERIAL_THREAD. */
#include "patterns.h"

enum { kTrials = 8 };

struct record {
    pthread_barrier_t barrier;
    unsigned payload[8];
};

static pthread_barrier_t *new_barrier_ptr;
static atomic_uint new_serials;

static void *helper(void *arg)
{
    unsigned rounds = (unsigned)(uintptr_t)arg;
    for (unsigned r = 0; r < rounds; r++) {
        int rc = pthread_barrier_wait(new_barrier_ptr);
        if (!bh_wait_ok(rc))
            bh_fail("a round of the new barrier: wait returned %s", bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&new_serials, 1);
    }
    return NULL;
}

static void *partner_for_first_round(void *arg)
{
    int rc = pthread_barrier_wait(arg);
    if (!bh_wait_ok(rc))
        bh_fail("the first round of the barrier before the move: wait returned %s", bh_err_name(rc));
    return NULL;
}

int main(void)
{
    bh_start("setup", 20);
    for (unsigned trial = 0; trial < kTrials; trial++) {
        bh_phase_set("building and moving the first barrier");
        struct record *a = malloc(sizeof *a);
        void *neighbour = malloc(sizeof *a); /* keeps realloc from growing `a` in place */
        if (a == NULL || neighbour == NULL)
            bh_setup_error("malloc failed");
        if (pthread_barrier_init(&a->barrier, NULL, 2) != 0)
            bh_setup_error("the first barrier's init failed");
        pthread_t p;
        if (pthread_create(&p, NULL, partner_for_first_round, &a->barrier) != 0)
            bh_setup_error("pthread_create failed");
        int rc = pthread_barrier_wait(&a->barrier);
        if (!bh_wait_ok(rc))
            bh_fail("the first round of the barrier before the move: wait returned %s", bh_err_name(rc));
        pthread_join(p, NULL);

        struct record *old_address = a;
        struct record *moved = realloc(a, 4096 + 512 * trial);
        if (moved == NULL)
            bh_setup_error("realloc failed");
        if (moved == old_address)
            bh_setup_error("realloc did not move the block");

        void *extras[16];
        int n_extras;
        struct record *b = pt_malloc_until(old_address, sizeof *b, extras, &n_extras, 16);
        pt_free_all(extras, n_extras);
        if (b == NULL)
            bh_setup_error("malloc never handed the old block back");
        unsigned count = 2 + trial % 2, rounds = 1 + trial % 4;
        bh_phase_set("a new barrier at the old address");
        rc = pthread_barrier_init(&b->barrier, NULL, count);
        if (rc != 0)
            bh_fail("trial %u: init of a new barrier at the old address returned %s", trial,
                    bh_err_name(rc));

        bh_phase_set("a lone waiter on the moved barrier");
        struct pt_waiter lone;
        pt_start_blocked_waiter(&lone, &moved->barrier, "the lone waiter on the moved barrier");

        bh_phase_set("rounds of the new barrier at the old address");
        new_barrier_ptr = &b->barrier;
        atomic_store(&new_serials, 0);
        pthread_t helpers[2];
        for (unsigned i = 0; i + 1 < count; i++)
            if (pthread_create(&helpers[i], NULL, helper, (void *)(uintptr_t)rounds) != 0)
                bh_setup_error("pthread_create failed");
        helper((void *)(uintptr_t)rounds);
        for (unsigned i = 0; i + 1 < count; i++)
            pthread_join(helpers[i], NULL);
        if (atomic_load(&new_serials) != rounds)
            bh_fail("trial %u: %u rounds of the new barrier produced %u PTHREAD_BARRIER_SERIAL_THREAD",
                    trial, rounds, atomic_load(&new_serials));

        bh_phase_set("checking that the lone waiter is still blocked");
        if (!pt_stays_clear(&lone.returned, 100))
            bh_fail("trial %u: the lone waiter on the moved barrier (count 2) returned %s after %u rounds "
                    "of the new barrier at the old address (count %u), before its partner arrived",
                    trial, bh_err_name(lone.result), rounds, count);

        bh_phase_set("the partner arrives at the moved barrier");
        rc = pthread_barrier_wait(&moved->barrier);
        if (!bh_wait_ok(rc))
            bh_fail("trial %u: the partner's wait on the moved barrier returned %s", trial, bh_err_name(rc));
        pthread_join(lone.thread, NULL);
        if (!bh_wait_ok(lone.result))
            bh_fail("trial %u: the lone waiter's wait returned %s", trial, bh_err_name(lone.result));
        if ((rc == PTHREAD_BARRIER_SERIAL_THREAD) + (lone.result == PTHREAD_BARRIER_SERIAL_THREAD) != 1)
            bh_fail("trial %u: the moved barrier's round produced %d PTHREAD_BARRIER_SERIAL_THREAD", trial,
                    (rc == PTHREAD_BARRIER_SERIAL_THREAD) + (lone.result == PTHREAD_BARRIER_SERIAL_THREAD));
        if (pthread_barrier_destroy(&moved->barrier) != 0 || pthread_barrier_destroy(&b->barrier) != 0)
            bh_fail("trial %u: destroy of an idle barrier failed", trial);
        free(moved);
        free(b);
        free(neighbour);
    }
    bh_pass("%d trials: a lone waiter on a realloc-moved barrier stayed blocked through the rounds of a new "
            "barrier at the old address, and was released by its partner", kTrials);
}
