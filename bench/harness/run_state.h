/* Everything the members of one run share: the barrier itself, the stop
 * signal, the timekeeper's result and the smoke check's counters. One
 * mapping, MAP_SHARED when the members are processes, so that it is the same
 * memory at the same address in every member. */
#ifndef BENCH_RUN_STATE_H
#define BENCH_RUN_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Two cache lines: adjacent-line prefetch pairs lines, so fields that
 * different members write stay this far apart. */
#define RUN_STATE_SPACING 128

struct timed_result {
  uint64_t timed_rounds;  /* rounds between the two clock reads */
  uint64_t elapsed_ns;    /* wall time of those rounds */
  uint64_t cpu_ns;        /* RUSAGE_SELF over them (threads only) */
  uint64_t total_rounds;  /* warm-up and timed rounds together */
};

/* Where the trial timer is: the timekeeper reads it before every arrival. */
enum timer_phase { TIMER_WARMUP = 0, TIMER_TIMING = 1, TIMER_DONE = 2 };

struct run_state {
  /* An enum timer_phase, stored by the trial timer (twice per trial). */
  _Alignas(RUN_STATE_SPACING) _Atomic unsigned timer_phase;
  /* Set by the timekeeper once it has read the clock at the start of the
   * timed part: the timer measures the timed part's length from then. */
  _Alignas(RUN_STATE_SPACING) _Atomic unsigned timing_started;
  /* The last round: the timekeeper stores it before it arrives in that
   * round, every member loads it after each wait. */
  _Alignas(RUN_STATE_SPACING) _Atomic uint64_t stop_round;
  /* Smoke check: arrivals so far, over all members and rounds. */
  _Alignas(RUN_STATE_SPACING) _Atomic uint64_t arrivals;
  /* Smoke check: errors found by any member. */
  _Alignas(RUN_STATE_SPACING) _Atomic unsigned errors;
  /* Written by the timekeeper only, read once the team has finished. */
  _Alignas(RUN_STATE_SPACING) struct timed_result result;
  /* Then: the barrier's storage, then one serial-waiter count per smoke
   * round, each part starting on its own RUN_STATE_SPACING boundary. */
};

/* Maps a zeroed run state with room for a barrier of barrier_size bytes and
 * serial_rounds counters; NULL (errno set) on failure. */
struct run_state *map_run_state(size_t barrier_size, uint64_t serial_rounds, bool shared);
void unmap_run_state(struct run_state *state);

void *run_barrier(struct run_state *state);
_Atomic unsigned *run_serial_counts(struct run_state *state);

#endif
