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

int dispatch(pthread_barrier_t* barrier, const BarrierConstants& constants,
             WaitRecord* record) {
  // This thread is inside a wait on this barrier until it returns (or its
  // record is abandoned by a longjmp, or freed at its exit).
  TrackedWait tracked(barrier, constants.generation, __builtin_frame_address(0));
  record->tracked = &tracked;
  announce_arrival(barrier);  // for race detectors: tool_annotations.h
  // Only the barrier that owns the slot waits on it; a moved or copied one
  // waits on its own bytes (barrier_object_access.h).
  WakeSlot* const slot = owned_wake_slot(barrier, constants);
  const int result = slot != nullptr
                         ? wait_on_wake_slot(as_object(barrier), constants, *slot, record)
                         : wait_on_object(as_object(barrier), constants, record);
  // Only a completed round orders anything (not robust mode's EOWNERDEAD).
  if (result == 0 || result == PTHREAD_BARRIER_SERIAL_THREAD) {
    announce_departure(barrier);
  } else if (result == EOWNERDEAD) {
    // Before returning, so before this thread can unmap the barrier: a
    // sibling whose view is then gone learns the round broke.
    remember_broken_generation(constants.generation);
  }
  return result;
}

}  // namespace

int barrier_wait(pthread_barrier_t* barrier) {
  BarrierConstants constants;
  if (!load_live_barrier(barrier, &constants)) return EINVAL;
  WaitRecord record;
  record.barrier = barrier;
  const DiagnosticsConfig& diagnostics = diagnostics_config();
  if (!diagnostics.stats && diagnostics.watchdog_ns == 0) {
    return dispatch(barrier, constants, &record);
  }
  record.entered_ns = monotonic_ns();
  const int result = dispatch(barrier, constants, &record);
  if (diagnostics.stats) {
    stats_record_wait(barrier, (constants.flags & kFlagProcessShared) != 0, record.outcome,
                      monotonic_ns() - record.entered_ns);
  }
  return result;
}

}  // namespace bshim
