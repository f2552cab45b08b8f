// pthread_barrier_wait: validation, the choice of wait path, and the
// diagnostics around it (one branch when they are off).
#include <cerrno>

#include "barrier/barrier.h"
#include "contract/diagnostic_hooks.h"
#include "barrier/tool_annotations.h"
#include "barrier/wait_paths.h"

namespace bshim {
namespace {

int dispatch(pthread_barrier_t* barrier, const BarrierConstants& constants,
             WaitRecord* record) {
  announce_arrival(barrier);  // for race detectors: tool_annotations.h
  const int slot = wake_slot_index(constants.flags);
  const int result =
      slot >= 0 ? wait_on_wake_slot(as_object(barrier), constants, wake_slot(slot), record)
                : wait_on_object(as_object(barrier), constants, record);
  // Only a completed round orders anything (not robust mode's EOWNERDEAD).
  if (result == 0 || result == PTHREAD_BARRIER_SERIAL_THREAD) announce_departure(barrier);
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
