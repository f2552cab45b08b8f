/* The contract between the benchmark harness and one barrier implementation.
 * Each benchmark program links the harness with exactly one implementation,
 * which defines bench_barrier_impl. */
#ifndef BENCH_BARRIER_IMPL_H
#define BENCH_BARRIER_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The body a team member runs; index 0 is the member that keeps time. */
typedef void team_body(unsigned index, void *context);

struct barrier_impl {
  const char *name;
  /* Bytes of storage the barrier needs; the harness gives it 64-byte aligned,
   * zeroed memory on cache lines of its own. */
  size_t storage_size;
  /* wait() tells the one serial waiter per round (pthread semantics), so the
   * smoke check can count them. */
  bool reports_serial;
  /* The barrier may live in MAP_SHARED memory and be used by processes. */
  bool supports_processes;
  /* 0 or an errno value. */
  int (*init)(void *storage, unsigned count, bool process_shared);
  /* 1 for the serial waiter (when reports_serial), 0 for the others, a
   * negative errno value on failure. `index` is the member's own number,
   * 0 to count - 1, the same in every round: barriers built on a fixed
   * pattern of members (dissemination, trees) use it; a pthread barrier
   * has no such number and ignores it. */
  int (*wait)(void *storage, unsigned index);
  void (*destroy)(void *storage);
  /* Optional: runs body on count threads of the implementation's own team
   * and returns 0, or an errno value. NULL means plain pthreads. */
  int (*run_team)(unsigned count, team_body *body, void *context);
  /* Optional: what actually implements the barrier in this process (for
   * pthread: the library that pthread_barrier_wait was bound to). */
  const char *(*describe)(void);
};

extern const struct barrier_impl bench_barrier_impl;

#ifdef __cplusplus
}
#endif

#endif
