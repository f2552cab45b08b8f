/* OpenMP's `#pragma omp barrier` (libgomp, default settings). The barrier
 * belongs to the parallel team, so this implementation also runs the team:
 * the master thread is member 0. */
#include <errno.h>
#include <omp.h>
#include <stdio.h>

#include "barrier_impl.h"

static int openmp_init(void *storage, unsigned count, bool process_shared) {
  (void)storage, (void)count, (void)process_shared;
  return 0;
}

/* An orphaned barrier: it binds to the parallel region that calls it. */
static int openmp_wait(void *storage, unsigned index) {
  (void)index;
  (void)storage;
#pragma omp barrier
  return 0;
}

static void openmp_destroy(void *storage) { (void)storage; }

static int openmp_run_team(unsigned count, team_body *body, void *context) {
  int short_team = 0;
  omp_set_dynamic(0);
#pragma omp parallel num_threads((int)count) shared(short_team)
  {
    /* Every thread sees the same team size, so all run or none does. */
    if (omp_get_num_threads() == (int)count) {
      body((unsigned)omp_get_thread_num(), context);
    } else if (omp_get_thread_num() == 0) {
      short_team = omp_get_num_threads();
    }
  }
  if (short_team != 0) {
    fprintf(stderr, "OpenMP gave %d threads, not %u\n", short_team, count);
    return EAGAIN;
  }
  return 0;
}

const struct barrier_impl bench_barrier_impl = {
    .name = "libgomp",
    .storage_size = 1,
    .reports_serial = false,
    .supports_processes = false,
    .init = openmp_init,
    .wait = openmp_wait,
    .destroy = openmp_destroy,
    .run_team = openmp_run_team,
    .describe = NULL,
};
