// A wake slot claimed for a made-up barrier address, for tests that drive a
// slot's arrival, waiting and budgets directly; given back when it goes out
// of scope.
#pragma once

#include <cstdint>

#include "barrier/wait_policy.h"
#include "barrier/wake_slots.h"
#include "contract/barrier_layout.h"

namespace bshim_test {

class ScratchSlot {
 public:
  ScratchSlot(uintptr_t address, uint32_t generation)
      : address_(address), generation_(generation),
        index_(bshim::claim_wake_slot(address, generation)) {}
  ~ScratchSlot() {
    if (index_ >= 0) bshim::release_wake_slot(index_, address_, generation_);
  }
  ScratchSlot(const ScratchSlot&) = delete;
  ScratchSlot& operator=(const ScratchSlot&) = delete;

  bool claimed() const { return index_ >= 0; }
  uintptr_t address() const { return address_; }
  uint32_t generation() const { return generation_; }
  int index() const { return index_; }
  bshim::WakeSlot& slot() const { return bshim::wake_slot(index_); }
  // Makes `round` the slot's open round, with no arrival, no record of slow
  // rounds yet and the spin budget `spin_budget` (0: the initial one).
  bshim::WakeSlot& open_at(uint32_t round, uint32_t spin_budget = 0) const {
    bshim::WakeSlot& slot = bshim::wake_slot(index_);
    slot.arrivals.store(bshim::state_for_round(round));
    slot.open_round.store(round);
    slot.slow_last.store(bshim::kNeverRound);
    slot.slow_in_a_row.store(0);
    slot.spin_budget.store(spin_budget);
    return slot;
  }
  // Constants of a barrier of `count` on this slot whose waiters may spin.
  bshim::BarrierConstants spinning_constants(uint32_t count) const {
    bshim::BarrierConstants constants{};
    constants.count = count;
    constants.flags = bshim::kFlagSpin | (static_cast<uint32_t>(index_ + 1) << bshim::kSlotShift);
    return constants;
  }

 private:
  uintptr_t address_;
  uint32_t generation_;
  int index_;
};

}  // namespace bshim_test
