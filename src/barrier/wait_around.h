// What every wait does around its path (the wake slot's or the object's):
// the entry in its thread's record, the race detectors' view of the arrival
// and departure, and the note of a broken generation. Inlined into each
// path's caller, so that neither path pays a call for it.
#pragma once

#include <cerrno>

#include "barrier/tool_annotations.h"
#include "barrier/wait_paths.h"
#include "robust/broken_generations.h"
#include "threads/thread_records.h"

namespace bshim {

// Runs `path(record)` as a tracked wait: this thread is inside a wait on this
// barrier until it returns (or its record is abandoned by a longjmp, or freed
// at its exit).
template <typename Path>
__attribute__((always_inline)) inline int tracked_wait(pthread_barrier_t* barrier,
                                                       const BarrierConstants& constants,
                                                       WaitRecord* record, Path path) {
  // The frame of the function this is inlined into: what a longjmp that
  // discards it must find (abandon_waits_below).
  TrackedWait tracked(barrier, constants.generation, __builtin_frame_address(0));
  record->tracked = &tracked;
  const int result = path(record);
  if (result == EOWNERDEAD) {
    // Before returning, so before this thread can unmap the barrier: a
    // sibling whose view is then gone learns the round broke.
    remember_broken_generation(constants.generation);
  }
  return result;
}

// A wait without diagnostics: a record of its own, and the tracked wait.
// `arrival_word`: where the barrier counts its arrivals (for the race
// detectors' round tags).
template <typename Path>
__attribute__((always_inline)) inline int plain_wait(pthread_barrier_t* barrier,
                                                     const BarrierConstants& constants,
                                                     const std::atomic<uint64_t>& arrival_word,
                                                     Path path) {
  WaitRecord record;
  record.barrier = barrier;
  announce_arrival(as_object(barrier), arrival_word);
  const int result = tracked_wait(barrier, constants, &record, path);
  announce_departure(as_object(barrier), record.round, result);
  return result;
}

}  // namespace bshim
