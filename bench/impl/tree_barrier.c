/* A tree barrier (Mellor-Crummey and Scott, 1991, their "tree-based barrier"):
 * members arrive up a 4-ary tree and are released down a binary one. Member
 * i waits until its (up to four) arrival children have cleared their bytes
 * in its child_not_ready word, re-arms the word for the next episode, clears
 * its own byte in its parent's word (parent (i - 1) / 4), and waits for its
 * wake-up parent ((i - 1) / 2) to write the episode's sense into its
 * parent_sense; then it wakes its wake-up children 2i + 1 and 2i + 2. Member
 * 0, the root, arrives last and releases first. Every member spins on words
 * of its own, written by at most four others (arrival) or one (release); a
 * round costs about log4 count serial transfers up and log2 count down,
 * instead of count transfers into one central counter. Spins only (pause);
 * member numbers come from the harness. Works in MAP_SHARED memory. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "barrier_impl.h"

#define MAX_MEMBERS 256

struct tree_member {
  /* Byte j is non-zero until arrival child 4i + j + 1 has arrived. */
  _Alignas(64) _Atomic uint32_t child_not_ready;
  uint32_t have_child; /* the bytes to re-arm with: the children that exist */
  /* Written by the wake-up parent with the episode's sense. */
  _Alignas(64) _Atomic unsigned parent_sense;
  unsigned sense; /* this member's sense for its next episode */
};

struct tree_barrier {
  unsigned count;
  _Alignas(64) struct tree_member members[MAX_MEMBERS];
};

static int tree_init(void *storage, unsigned count, bool process_shared) {
  (void)process_shared;
  struct tree_barrier *barrier = storage;
  if (count == 0 || count > MAX_MEMBERS) return EINVAL;
  barrier->count = count;
  for (unsigned i = 0; i < count; i++) {
    uint32_t have_child = 0;
    for (unsigned j = 0; j < 4; j++) {
      if (4 * i + j + 1 < count) have_child |= UINT32_C(0xff) << (8 * j);
    }
    barrier->members[i].have_child = have_child;
    atomic_init(&barrier->members[i].child_not_ready, have_child);
    atomic_init(&barrier->members[i].parent_sense, 0);
    barrier->members[i].sense = 1;
  }
  return 0;
}

static int tree_wait(void *storage, unsigned index) {
  struct tree_barrier *barrier = storage;
  struct tree_member *self = &barrier->members[index];
  /* acquire: pairs with each child's release clear, so their subtrees'
   * writes before the barrier are ours to pass on. */
  while (atomic_load_explicit(&self->child_not_ready, memory_order_acquire) != 0) {
    __builtin_ia32_pause();
  }
  /* Re-armed before this member's own arrival is announced: no child can
   * arrive for the next episode before the root has released this one,
   * which needs that announcement first. relaxed: ordered by the release
   * below. */
  atomic_store_explicit(&self->child_not_ready, self->have_child, memory_order_relaxed);
  const unsigned sense = self->sense;
  if (index != 0) {
    struct tree_member *parent = &barrier->members[(index - 1) / 4];
    const uint32_t my_byte = UINT32_C(0xff) << (8 * ((index - 1) % 4));
    /* release: this subtree's writes travel up with the arrival. */
    atomic_fetch_and_explicit(&parent->child_not_ready, ~my_byte, memory_order_release);
    /* acquire: pairs with the wake-up parent's release. */
    while (atomic_load_explicit(&self->parent_sense, memory_order_acquire) != sense) {
      __builtin_ia32_pause();
    }
  }
  for (unsigned child = 2 * index + 1; child <= 2 * index + 2 && child < barrier->count; child++) {
    /* release: everything the root collected travels down with the wake. */
    atomic_store_explicit(&barrier->members[child].parent_sense, sense, memory_order_release);
  }
  self->sense = !sense;
  return index == 0;
}

static void tree_destroy(void *storage) { (void)storage; }

const struct barrier_impl bench_barrier_impl = {
    .name = "tree",
    .storage_size = sizeof(struct tree_barrier),
    .reports_serial = true,
    .supports_processes = true,
    .init = tree_init,
    .wait = tree_wait,
    .destroy = tree_destroy,
    .run_team = NULL,
    .describe = NULL,
};
