// pthread_barrier_wait: validation, the choice of wait path, and the
// diagnostics around it (one branch when they are off).
#include <cerrno>

#include "barrier/barrier.h"
#include "contract/diagnostic_hooks.h"
#include "barrier/tool_annotations.h"
#include "barrier/wait_paths.h"
#include "robust/broken_generations.h"

namespace bshim {
namespace {

// Both inlined into barrier_wait: a call less per wait (about 1.4 ns here).
__attribute__((always_inline)) inline int dispatch(pthread_barrier_t* barrier,
                                                   const BarrierConstants& constants,
                                                   WaitRecord* record) {
  // This thread is inside a wait on this barrier until it returns (or its
  // record is abandoned by a longjmp, or freed at its exit).
  TrackedWait tracked(barrier, constants.generation, __builtin_frame_address(0));
  record->tracked = &tracked;
  // Only the barrier that owns the slot waits on it; a moved or copied one
  // waits on its own bytes (barrier_object_access.h).
  WakeSlot* const slot = owned_wake_slot(barrier, constants);
  const int result = slot != nullptr
                         ? wait_on_wake_slot(as_object(barrier), constants, *slot, record)
                         : wait_on_object(as_object(barrier), constants, record);
  if (result == EOWNERDEAD) {
    // Before returning, so before this thread can unmap the barrier: a
    // sibling whose view is then gone learns the round broke.
    remember_broken_generation(constants.generation);
  }
  return result;
}

// The wait with a diagnostic on: out of line, so that the plain wait's
// frame holds nothing of it.
__attribute__((noinline)) int wait_with_diagnostics(pthread_barrier_t* barrier,
                                                    const BarrierConstants& constants,
                                                    const void* call_site) {
  const DiagnosticsConfig& diagnostics = diagnostics_config();
  WaitRecord record;
  record.barrier = barrier;
  announce_arrival(as_object(barrier));
  record.entered_ns = monotonic_ns();
  const int result = dispatch(barrier, constants, &record);
  announce_departure(as_object(barrier), record.round, result);
  const uint64_t returned_ns = monotonic_ns();
  const bool process_shared = (constants.flags & kFlagProcessShared) != 0;
  if (diagnostics.stats) {
    stats_record_wait(barrier, process_shared, record.outcome, returned_ns - record.entered_ns);
  }
  if (diagnostics.profile) {
    profile_record_wait({barrier, call_site, constants.generation, record.round, record.arrival,
                         constants.count, process_shared, record.outcome, record.entered_ns,
                         returned_ns});
  }
  return result;
}

__attribute__((always_inline)) inline int wait_on_live(pthread_barrier_t* barrier,
                                                      const BarrierConstants& constants,
                                                      const void* call_site) {
  if (__builtin_expect(any_diagnostic(diagnostics_config()), 0)) {
    return wait_with_diagnostics(barrier, constants, call_site);
  }
  WaitRecord record;
  record.barrier = barrier;
  announce_arrival(as_object(barrier));
  const int result = dispatch(barrier, constants, &record);
  announce_departure(as_object(barrier), record.round, result);
  return result;
}

}  // namespace

int barrier_wait(pthread_barrier_t* barrier, const void* call_site) {
  // Race detectors see a wait as with glibc: announced before anything is
  // checked, its outcome after (tool_annotations.h).
  announce_wait(barrier);
  BarrierConstants constants;
  if (!load_live_barrier(barrier, &constants)) {
    announce_wait_on_dead_barrier(barrier);
    return EINVAL;
  }
  return wait_on_live(barrier, constants, call_site);
}

}  // namespace bshim
