/* Smoke mode: a few rounds that check the barrier instead of timing it.
 * Every member counts its arrival before each wait and, after it, reads the
 * count: all members of this round must have arrived (nobody left early),
 * and nobody can be more than one round ahead. The serial waiter of each
 * round adds one to that round's counter, which the harness checks is
 * exactly one once the team has finished. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

#include "member.h"

/* Prints the first few problems; counts all of them. */
static void report_problem(struct run_state *state, unsigned index, const char *what,
                           uint64_t round, uint64_t seen, uint64_t expected) {
  /* Relaxed: a counter, read once the team has finished. */
  unsigned earlier = atomic_fetch_add_explicit(&state->errors, 1, memory_order_relaxed);
  if (earlier < 5) {
    fprintf(stderr, "member %u, round %" PRIu64 ": %s (%" PRIu64 " arrivals seen, expected %" PRIu64 ")\n",
            index, round, what, seen, expected);
  }
}

void run_checked(const struct member_context *member, unsigned index) {
  struct run_state *state = member->state;
  const uint64_t members = member->options->members;
  _Atomic unsigned *serial_counts = run_serial_counts(state);
  for (uint64_t round = 0; round < member->options->smoke_rounds; ++round) {
    arrive_late_if_skewed(member, index);
    /* Relaxed on purpose: only the barrier may order this increment before
     * the other members' loads after the wait; that is what is checked. */
    atomic_fetch_add_explicit(&state->arrivals, 1, memory_order_relaxed);
    int serial = wait_or_die(member, index);
    /* Relaxed: see the increment above. */
    uint64_t seen = atomic_load_explicit(&state->arrivals, memory_order_relaxed);
    if (seen < (round + 1) * members) {
      report_problem(state, index, "left the round before all arrived", round, seen,
                     (round + 1) * members);
    } else if (seen >= (round + 2) * members) {
      report_problem(state, index, "others ran more than a round ahead", round, seen,
                     (round + 1) * members);
    }
    /* Relaxed: read once the team has finished (join or waitpid orders it). */
    if (serial) atomic_fetch_add_explicit(&serial_counts[round], 1, memory_order_relaxed);
  }
}
