#include <cerrno>

#include "barrier.h"
#include "wait_paths.h"

namespace bshim {

int barrier_wait(pthread_barrier_t* barrier) {
  BarrierConstants constants;
  if (!load_live_barrier(barrier, &constants)) return EINVAL;
  const int slot = wake_slot_index(constants.flags);
  if (slot >= 0) {
    return wait_on_wake_slot(as_object(barrier), constants, wake_slot(slot));
  }
  return wait_on_object(as_object(barrier), constants);
}

}  // namespace bshim
