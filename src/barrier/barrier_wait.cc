// pthread_barrier_wait: validation, the choice of wait path, and the
// diagnostics around it (one branch when they are off).
#include <cerrno>

#include "barrier/barrier.h"
#include "contract/diagnostic_hooks.h"
#include "barrier/tool_annotations.h"
#include "barrier/wait_around.h"
#include "barrier/wait_on_wake_slot.h"
#include "barrier/wait_paths.h"

namespace bshim {
namespace {

// The path of a barrier: its own wake slot, or null: only the barrier that
// owns the slot waits on it; a moved or copied one waits on its own bytes
// (barrier_object_access.h).
__attribute__((always_inline)) inline auto path_for(pthread_barrier_t* barrier,
                                                    const BarrierConstants& constants,
                                                    WakeSlot* slot) {
  return [=, &constants](WaitRecord* record) __attribute__((always_inline)) {
    return slot != nullptr ? wait_on_wake_slot(constants, *slot, record)
                           : wait_on_object(as_object(barrier), constants, record);
  };
}

// The wait with a diagnostic on: out of line, so that the plain wait's
// frame holds nothing of it.
__attribute__((noinline)) int wait_with_diagnostics(pthread_barrier_t* barrier,
                                                    const BarrierConstants& constants,
                                                    const void* call_site) {
  const DiagnosticsConfig& diagnostics = diagnostics_config();
  WakeSlot* const slot = owned_wake_slot(barrier, constants);
  WaitRecord record;
  record.barrier = barrier;
  announce_arrival(as_object(barrier),
                   slot != nullptr ? slot->arrivals : as_object(barrier)->state);
  record.entered_ns = monotonic_ns();
  const int result = tracked_wait(barrier, constants, &record, path_for(barrier, constants, slot));
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
  WakeSlot* const slot = owned_wake_slot(barrier, constants);
  // The object path with its record and entry, built in wait_on_object.cc
  // (link-time optimisation inlines it here again; what it saves is the
  // pointer-passing between the two: callgrind, 292 to 272 instructions per
  // process-shared wait, the same with the call forced out of line).
  if (slot == nullptr) return plain_wait_on_object(barrier, constants);
  return plain_wait(barrier, constants, slot->arrivals, path_for(barrier, constants, slot));
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
