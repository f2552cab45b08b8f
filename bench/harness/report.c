#include "report.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

static const char *bound_library(const struct barrier_impl *impl) {
  return impl->describe != NULL ? impl->describe() : impl->name;
}

void print_timed_result(const struct member_context *member, uint64_t children_cpu_ns) {
  const struct bench_options *options = member->options;
  const struct timed_result *result = &member->state->result;
  const double rounds = (double)(result->timed_rounds > 0 ? result->timed_rounds : 1);
  /* Processes: the children's whole lives, spread over all their rounds. */
  const double cpu_per_round =
      options->scenario->processes
          ? (double)children_cpu_ns / (double)(result->total_rounds > 0 ? result->total_rounds : 1)
          : (double)result->cpu_ns / rounds;
  /* barrier_library last: it is a path and may hold spaces. */
  printf("scenario=%s implementation=%s threads=%u rounds=%" PRIu64
         " ns_per_round=%.1f cpu_ns_per_round=%.1f barrier_library=%s\n",
         options->scenario->name, member->impl->name, options->members, result->timed_rounds,
         (double)result->elapsed_ns / rounds, cpu_per_round, bound_library(member->impl));
}

int report_smoke_result(const struct member_context *member) {
  const struct bench_options *options = member->options;
  struct run_state *state = member->state;
  /* Relaxed: the team has finished; join or waitpid ordered its writes. */
  unsigned problems = atomic_load_explicit(&state->errors, memory_order_relaxed);
  if (member->impl->reports_serial) {
    _Atomic unsigned *serial_counts = run_serial_counts(state);
    for (uint64_t round = 0; round < options->smoke_rounds; ++round) {
      /* Relaxed: as above. */
      unsigned serial = atomic_load_explicit(&serial_counts[round], memory_order_relaxed);
      if (serial == 1) continue;
      if (problems++ < 5) {
        fprintf(stderr, "round %" PRIu64 ": %u serial waiters, expected exactly 1\n", round, serial);
      }
    }
  }
  printf("smoke %s: scenario=%s implementation=%s threads=%u rounds=%" PRIu64
         " problems=%u barrier_library=%s\n",
         problems == 0 ? "ok" : "FAILED", options->scenario->name, member->impl->name,
         options->members, options->smoke_rounds, problems, bound_library(member->impl));
  return problems == 0 ? 0 : 1;
}
