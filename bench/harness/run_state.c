#include "run_state.h"

#include <sys/mman.h>

/* The mapping's layout, kept in the RUN_STATE_SPACING bytes just before the
 * run state (so no member writes near it). */
struct run_layout {
  size_t mapping_size;
  size_t barrier_offset;
  size_t serial_offset;
};

static size_t round_up(size_t value, size_t step) { return (value + step - 1) / step * step; }

static struct run_layout *layout_of(struct run_state *state) {
  return (struct run_layout *)((char *)state - RUN_STATE_SPACING);
}

struct run_state *map_run_state(size_t barrier_size, uint64_t serial_rounds, bool shared) {
  const size_t state_offset = RUN_STATE_SPACING;
  const size_t barrier_offset = round_up(state_offset + sizeof(struct run_state), RUN_STATE_SPACING);
  const size_t serial_offset = round_up(barrier_offset + barrier_size, RUN_STATE_SPACING);
  const size_t size = serial_offset + serial_rounds * sizeof(_Atomic unsigned);
  char *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                    (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return NULL;
  struct run_layout *layout = (struct run_layout *)base;
  layout->mapping_size = size;
  layout->barrier_offset = barrier_offset - state_offset;
  layout->serial_offset = serial_offset - state_offset;
  struct run_state *state = (struct run_state *)(base + state_offset);
  /* Plain initialisation: no member exists yet. */
  atomic_init(&state->timer_phase, TIMER_WARMUP);
  atomic_init(&state->timing_started, 0);
  atomic_init(&state->stop_round, UINT64_MAX);
  atomic_init(&state->arrivals, 0);
  atomic_init(&state->errors, 0);
  return state;
}

void unmap_run_state(struct run_state *state) {
  munmap(layout_of(state), layout_of(state)->mapping_size);
}

void *run_barrier(struct run_state *state) {
  return (char *)state + layout_of(state)->barrier_offset;
}

_Atomic unsigned *run_serial_counts(struct run_state *state) {
  return (_Atomic unsigned *)((char *)state + layout_of(state)->serial_offset);
}
