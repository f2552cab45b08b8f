/* The test's own meeting point between phases of a round. It never uses
   pthread_barrier (that is what is under test) and lives in a page that is
   never released, shared between the processes, so it may be touched at
   any time. A central counter plus a generation word that is the futex. */
#ifndef RACE_RENDEZVOUS_H
#define RACE_RENDEZVOUS_H

#include <stdatomic.h>

struct rendezvous {
    atomic_uint arrived;    /* participants in the current generation */
    atomic_uint generation; /* futex word; bumped by the last arrival */
};

/* Returns once `parties` participants (threads of any process) called it
   for the current generation. Whatever a participant wrote before calling
   is visible to every participant after it returns. */
void rendezvous_wait(struct rendezvous *meeting, unsigned parties);

#endif
