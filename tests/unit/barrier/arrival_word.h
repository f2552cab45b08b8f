// Where a live barrier counts its arrivals, for tests that watch them: its
// wake slot's arrival word when it owns a slot (the private path), else its
// own state word (src/barrier/wake_slots.h).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "barrier/barrier_object_access.h"
#include "contract/barrier_layout.h"

namespace bshim_test {

inline std::atomic<uint64_t>& arrival_word_of(pthread_barrier_t* barrier) {
  bshim::BarrierConstants constants;
  if (bshim::load_live_barrier(barrier, &constants)) {
    if (bshim::WakeSlot* slot = bshim::owned_wake_slot(barrier, constants)) return slot->arrivals;
  }
  return bshim::as_object(barrier)->state;
}

}  // namespace bshim_test
