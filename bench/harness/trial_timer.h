/* The trial's clock: a thread of its own that sleeps through the warm-up,
 * moves run_state.timer_phase to TIMER_TIMING, waits for the timekeeper to
 * start timing, sleeps through the timed part and moves it to TIMER_DONE.
 * The timekeeper only reads that word once per round, so a trial lasts about
 * as long as asked whether a round takes 50 ns or 50 ms, and costs the hot
 * loop no clock reads. For process teams it runs in the parent. */
#ifndef BENCH_TRIAL_TIMER_H
#define BENCH_TRIAL_TIMER_H

#include <pthread.h>
#include <stdint.h>

#include "run_state.h"

struct trial_timer {
  pthread_t thread;
  struct run_state *state;
  uint64_t warmup_ns;
  uint64_t measure_ns;
};

/* 0, or an errno value. */
int start_trial_timer(struct trial_timer *timer, struct run_state *state,
                      uint64_t warmup_ns, uint64_t measure_ns);
void join_trial_timer(struct trial_timer *timer);

#endif
