#include "trial_timer.h"

#include <stdatomic.h>

#include "clock.h"

static void *run_timer(void *argument) {
  struct trial_timer *timer = argument;
  sleep_ns(timer->warmup_ns);
  /* Relaxed: a signal only; the timekeeper acts on whatever it reads. */
  atomic_store_explicit(&timer->state->timer_phase, TIMER_TIMING, memory_order_relaxed);
  /* The timed part starts when the timekeeper gets there, which on a busy
   * machine can be long after the warm-up. Relaxed: a signal only. */
  while (!atomic_load_explicit(&timer->state->timing_started, memory_order_relaxed)) {
    sleep_ns(200000);
  }
  sleep_ns(timer->measure_ns);
  /* Relaxed: as above. */
  atomic_store_explicit(&timer->state->timer_phase, TIMER_DONE, memory_order_relaxed);
  return NULL;
}

int start_trial_timer(struct trial_timer *timer, struct run_state *state,
                      uint64_t warmup_ns, uint64_t measure_ns) {
  timer->state = state;
  timer->warmup_ns = warmup_ns;
  timer->measure_ns = measure_ns;
  return pthread_create(&timer->thread, NULL, run_timer, timer);
}

void join_trial_timer(struct trial_timer *timer) {
  /* A team that failed never started timing: let the timer finish anyway.
   * Relaxed: a signal only. */
  atomic_store_explicit(&timer->state->timing_started, 1, memory_order_relaxed);
  pthread_join(timer->thread, NULL);
}
