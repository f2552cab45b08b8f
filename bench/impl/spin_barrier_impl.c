/* The sense-reversing spin barrier as a benchmark implementation. It works
 * in MAP_SHARED memory too (its atomics are lock-free and address-free). */
#include "barrier_impl.h"
#include "spin_barrier.h"

static int spin_init(void *storage, unsigned count, bool process_shared) {
  (void)process_shared;
  spin_barrier_init(storage, count);
  return 0;
}

static int spin_wait(void *storage, unsigned index) {
  (void)index;
  return spin_barrier_wait(storage);
}

static void spin_destroy(void *storage) { (void)storage; }

const struct barrier_impl bench_barrier_impl = {
#ifdef SPIN_BARRIER_ONE_LINE
    .name = "spin-one-line",
#else
    .name = "spin",
#endif
    .storage_size = sizeof(struct spin_barrier),
    .reports_serial = true,
    .supports_processes = true,
    .init = spin_init,
    .wait = spin_wait,
    .destroy = spin_destroy,
    .run_team = NULL,
    .describe = NULL,
};
