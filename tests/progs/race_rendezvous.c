#define _GNU_SOURCE
#include "race_rendezvous.h"

#include <limits.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(atomic_uint) == 4, "the futex word is 32 bits");

/* The kernel's numbers, spelt out: musl's headers (the lab's static musl
   build) come without <linux/futex.h>. */
enum { RENDEZVOUS_FUTEX_WAIT = 0, RENDEZVOUS_FUTEX_WAKE = 1 };

/* Yields before sleeping: peers are usually a few microseconds away, and a
   futex sleep costs tens of microseconds on an oversubscribed machine. */
#define YIELDS_BEFORE_SLEEP 32

/* Not FUTEX_PRIVATE: the meeting point is shared between processes. */
static void futex_wait(atomic_uint *word, unsigned expected)
{
    syscall(SYS_futex, word, RENDEZVOUS_FUTEX_WAIT, expected, NULL, NULL, 0);
}

static void futex_wake_all(atomic_uint *word)
{
    syscall(SYS_futex, word, RENDEZVOUS_FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void rendezvous_wait(struct rendezvous *meeting, unsigned parties)
{
    /* acquire: pairs with the release bump that opened this generation, so
       the reset of `arrived` below is seen before we add to it. The
       generation cannot move on before we arrive, so this is ours. */
    unsigned generation = atomic_load_explicit(&meeting->generation, memory_order_acquire);

    /* acq_rel: the release half hands what we did in this phase on along
       the chain of increments; the acquire half lets the last arrival
       collect what every earlier arrival handed on. */
    unsigned arrived = atomic_fetch_add_explicit(&meeting->arrived, 1, memory_order_acq_rel) + 1;
    if (arrived == parties) {
        /* relaxed: nobody arrives for the next generation before seeing
           the bump below, which is a release after this store. */
        atomic_store_explicit(&meeting->arrived, 0, memory_order_relaxed);
        /* release: publishes the reset and everything collected above to
           the waiters' acquire loads of the generation. */
        atomic_fetch_add_explicit(&meeting->generation, 1, memory_order_release);
        futex_wake_all(&meeting->generation);
        return;
    }
    /* acquire: pairs with the release bump; after it we see every
       participant's work of this phase. */
    for (int tries = 0;
         atomic_load_explicit(&meeting->generation, memory_order_acquire) == generation;
         tries++) {
        if (tries < YIELDS_BEFORE_SLEEP)
            sched_yield();
        else
            futex_wait(&meeting->generation, generation);
    }
}
