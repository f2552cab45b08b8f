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

__attribute__((always_inline)) inline int wait_on_live(pthread_barrier_t* barrier,
                                                      const BarrierConstants& constants) {
  WaitRecord record;
  record.barrier = barrier;
  announce_arrival(as_object(barrier));
  const DiagnosticsConfig& diagnostics = diagnostics_config();
  if (!diagnostics.stats && diagnostics.watchdog_ns == 0) {
    const int result = dispatch(barrier, constants, &record);
    announce_departure(as_object(barrier), record.round, result);
    return result;
  }
  record.entered_ns = monotonic_ns();
  const int result = dispatch(barrier, constants, &record);
  announce_departure(as_object(barrier), record.round, result);
  if (diagnostics.stats) {
    stats_record_wait(barrier, (constants.flags & kFlagProcessShared) != 0, record.outcome,
                      monotonic_ns() - record.entered_ns);
  }
  return result;
}

}  // namespace

int barrier_wait(pthread_barrier_t* barrier) {
  // Race detectors see a wait as with glibc: announced before anything is
  // checked, its outcome after (tool_annotations.h).
  announce_wait(barrier);
  BarrierConstants constants;
  if (!load_live_barrier(barrier, &constants)) {
    announce_wait_on_dead_barrier(barrier);
    return EINVAL;
  }
  return wait_on_live(barrier, constants);
}

}  // namespace bshim
