#include "barrier/wake_slots.h"

namespace bshim {
namespace {

// Zero-initialised at load time (constant initialisation): usable before any
// constructor runs and never destroyed, so a wait during exit() is safe.
WakeSlot g_slots[kWakeSlotCount];
WakeSlotOwner g_owners[kWakeSlotCount];

// How far from its home slot a barrier may land. Bounded so that init stays
// cheap; a miss only costs the barrier its fast, release-proof wait path.
constexpr size_t kProbeWindow = 64;

size_t home_slot(uintptr_t address) {
  // Fibonacci hashing of the 8-aligned address; the top bits are the best mixed.
  const uint64_t mixed = static_cast<uint64_t>(address >> 3) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(mixed >> 54) % kWakeSlotCount;  // 10 bits
}

}  // namespace

int claim_wake_slot(uintptr_t barrier_address, uint32_t generation) {
  const size_t home = home_slot(barrier_address);
  // Pass 1: a slot this address already owns (a barrier re-initialised, or
  // initialised again at the same address without destroy: a stack barrier).
  for (size_t i = 0; i < kProbeWindow; ++i) {
    const size_t index = (home + i) % kWakeSlotCount;
    // relaxed: ownership is only a hint for finding our own slot again; the
    // barrier object stores the index that waiters actually use.
    if (g_owners[index].address.load(std::memory_order_relaxed) == barrier_address) {
      // relaxed: published with the barrier by init's release store.
      g_owners[index].generation.store(generation, std::memory_order_relaxed);
      return static_cast<int>(index);
    }
  }
  // Pass 2: claim a free slot. The CAS makes the claim exclusive between
  // concurrent inits of different barriers.
  for (size_t i = 0; i < kProbeWindow; ++i) {
    const size_t index = (home + i) % kWakeSlotCount;
    uintptr_t expected = 0;
    if (g_owners[index].address.compare_exchange_strong(
            expected, barrier_address, std::memory_order_relaxed)) {
      g_owners[index].generation.store(generation, std::memory_order_relaxed);
      return static_cast<int>(index);
    }
  }
  return -1;
}

void release_wake_slot(int index, uintptr_t barrier_address, uint32_t generation) {
  // relaxed: init and destroy of one barrier are ordered by the program.
  if (g_owners[index].generation.load(std::memory_order_relaxed) != generation) return;
  uintptr_t expected = barrier_address;
  // relaxed: stragglers of the destroyed barrier wait for `open_round` to be
  // after their round, which it already is (their round completed before
  // anyone could call destroy), and a new owner only moves it further on.
  g_owners[index].address.compare_exchange_strong(expected, 0,
                                               std::memory_order_relaxed);
}

WakeSlot& wake_slot(int index) { return g_slots[index]; }
const WakeSlotOwner& wake_slot_owner(int index) { return g_owners[index]; }

}  // namespace bshim
