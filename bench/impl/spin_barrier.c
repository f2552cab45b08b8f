#include "spin_barrier.h"

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  __asm__ __volatile__("" ::: "memory");
#endif
}

void spin_barrier_init(struct spin_barrier *barrier, unsigned count) {
  /* Plain initialisation: nobody uses the barrier yet. */
  atomic_init(&barrier->remaining, count);
  atomic_init(&barrier->sense, 0);
  barrier->count = count;
}

int spin_barrier_wait(struct spin_barrier *barrier) {
  /* Relaxed: the sense cannot flip before this member arrives, and this
   * thread already saw (or made) the last flip, so coherence gives the
   * current value. */
  const unsigned released = !atomic_load_explicit(&barrier->sense, memory_order_relaxed);
  /* acq_rel: release publishes this member's writes; the last arriver's
   * acquire reads the whole release sequence of the round's decrements. */
  if (atomic_fetch_sub_explicit(&barrier->remaining, 1, memory_order_acq_rel) == 1) {
    /* Relaxed: published by the release store of the sense below, which
     * every member of the next round has acquired before it decrements. */
    atomic_store_explicit(&barrier->remaining, barrier->count, memory_order_relaxed);
    /* Release: hands everything the round wrote (and the reset) to the
     * waiters' acquire loads. */
    atomic_store_explicit(&barrier->sense, released, memory_order_release);
    return 1;
  }
  /* Acquire: pairs with the release store that flips the sense. */
  while (atomic_load_explicit(&barrier->sense, memory_order_acquire) != released) cpu_relax();
  return 0;
}
