// pthread_barrier_wait: validation, the choice of wait path, and the
// diagnostics around it (one branch when they are off).
#include <cerrno>

#include "barrier.h"
#include "diagnostics.h"
#include "wait_paths.h"

namespace bshim {
namespace {

int dispatch(pthread_barrier_t* barrier, const BarrierConstants& constants,
             WaitRecord* record) {
  const int slot = wake_slot_index(constants.flags);
  if (slot >= 0) {
    return wait_on_wake_slot(as_object(barrier), constants, wake_slot(slot), record);
  }
  return wait_on_object(as_object(barrier), constants, record);
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
