/* Timed rounds. The timekeeper (member 0) reads the trial timer's phase
 * before each arrival: when timing starts it reads the clock after that
 * round's wait; when time is up it stores that round's number in stop_round
 * before arriving, and every member leaves the loop after the wait of the
 * round whose number it then reads there. The barrier makes the store
 * visible to all of them by then; a member that reads it a round early sees
 * a number that is not its own round and goes on. */
#include <stdatomic.h>
#include <sys/resource.h>

#include "clock.h"
#include "member.h"

void run_timekeeper(const struct member_context *member) {
  struct run_state *state = member->state;
  const int cpu_of_threads = !member->options->scenario->processes;
  uint64_t first_timed_round = 0, start_ns = 0, cpu_start = 0;
  int timing = 0;
  for (uint64_t round = 0;; ++round) {
    /* Relaxed: a signal from the timer; nothing else is read through it. */
    const unsigned phase = atomic_load_explicit(&state->timer_phase, memory_order_relaxed);
    const int start_now = !timing && phase >= TIMER_TIMING;
    const int stop_now = timing && phase == TIMER_DONE;
    if (stop_now) {
      /* Relaxed: this member's arrival in this round, which comes after
       * the store, orders it before every member's load after the wait. */
      atomic_store_explicit(&state->stop_round, round, memory_order_relaxed);
    }
    wait_or_die(member, 0);
    if (start_now) {
      timing = 1;
      first_timed_round = round + 1;
      if (cpu_of_threads) cpu_start = cpu_time_ns(RUSAGE_SELF);
      start_ns = monotonic_ns();
      /* Relaxed: tells the timer to start counting the timed part. */
      atomic_store_explicit(&state->timing_started, 1, memory_order_relaxed);
    }
    if (stop_now) {
      const uint64_t end_ns = monotonic_ns();
      state->result.timed_rounds = round + 1 - first_timed_round;
      state->result.elapsed_ns = end_ns - start_ns;
      state->result.cpu_ns = cpu_of_threads ? cpu_time_ns(RUSAGE_SELF) - cpu_start : 0;
      state->result.total_rounds = round + 1;
      return;
    }
  }
}

void run_follower(const struct member_context *member, unsigned index) {
  struct run_state *state = member->state;
  for (uint64_t round = 0;; ++round) {
    arrive_late_if_skewed(member, index);
    wait_or_die(member, index);
    /* Relaxed: the barrier orders the timekeeper's store before this load in
     * the last round; in earlier rounds any value read is harmless. */
    if (atomic_load_explicit(&state->stop_round, memory_order_relaxed) == round) return;
  }
}
