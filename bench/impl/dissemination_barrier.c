/* A dissemination barrier (Hensgen, Finkel and Manber, 1988, in the form
 * with two flag sets and a sense that Mellor-Crummey and Scott give, 1991):
 * no central counter. In round k of ceil(log2 count) rounds, member i
 * signals member (i + 2^k) mod count and waits for the signal of member
 * (i - 2^k) mod count; after the last round every member has heard, through
 * some chain, from every other. Each member spins only on flags of its own
 * cache line, and the log2 count signals of a round travel in parallel.
 *
 * A flag is written once per use with the sense of that use; the two flag
 * sets alternate between episodes and the sense flips every second episode,
 * so a flag never needs resetting and a fast member's signal for the next
 * episode cannot be mistaken for this one's. Spins only (pause), no sleep:
 * the peer for spinning barriers at scale; member numbers come from the
 * harness (a pthread barrier has none). Works in MAP_SHARED memory. */
#include <errno.h>
#include <stdatomic.h>

#include "barrier_impl.h"

#define MAX_MEMBERS 256
#define MAX_ROUNDS 8 /* ceil(log2(256)) */

struct dissemination_member {
  /* Written by the members that signal this one; read only by this one. */
  _Alignas(64) _Atomic unsigned flags[2][MAX_ROUNDS];
  /* This member's own state; its own line. */
  _Alignas(64) unsigned parity;
  unsigned sense;
};

struct dissemination_barrier {
  unsigned count;
  unsigned rounds;
  _Alignas(64) struct dissemination_member members[MAX_MEMBERS];
};

static int dissemination_init(void *storage, unsigned count, bool process_shared) {
  (void)process_shared;
  struct dissemination_barrier *barrier = storage;
  if (count == 0 || count > MAX_MEMBERS) return EINVAL;
  barrier->count = count;
  barrier->rounds = 0;
  while ((1u << barrier->rounds) < count) barrier->rounds++;
  for (unsigned i = 0; i < count; i++) {
    for (unsigned set = 0; set < 2; set++) {
      for (unsigned k = 0; k < MAX_ROUNDS; k++) atomic_init(&barrier->members[i].flags[set][k], 0);
    }
    barrier->members[i].parity = 0;
    barrier->members[i].sense = 1;
  }
  return 0;
}

static int dissemination_wait(void *storage, unsigned index) {
  struct dissemination_barrier *barrier = storage;
  struct dissemination_member *self = &barrier->members[index];
  const unsigned parity = self->parity;
  const unsigned sense = self->sense;
  for (unsigned k = 0; k < barrier->rounds; k++) {
    const unsigned partner = (index + (1u << k)) % barrier->count;
    /* release: this member's writes before the barrier, and those it heard
     * of in earlier rounds, travel with the signal. */
    atomic_store_explicit(&barrier->members[partner].flags[parity][k], sense,
                          memory_order_release);
    /* acquire: pairs with the signaller's release. */
    while (atomic_load_explicit(&self->flags[parity][k], memory_order_acquire) != sense) {
      __builtin_ia32_pause();
    }
  }
  if (parity == 1) self->sense = !sense;
  self->parity = 1 - parity;
  return index == 0; /* one serial member per episode */
}

static void dissemination_destroy(void *storage) { (void)storage; }

const struct barrier_impl bench_barrier_impl = {
    .name = "dissemination",
    .storage_size = sizeof(struct dissemination_barrier),
    .reports_serial = true,
    .supports_processes = true,
    .init = dissemination_init,
    .wait = dissemination_wait,
    .destroy = dissemination_destroy,
    .run_team = NULL,
    .describe = NULL,
};
