// Reading a caller's pthread_barrier_t as a BarrierObject: validation of the
// constant fields, and the slot index carried in the flags.
#pragma once

#include <pthread.h>

#include <cstdint>

#include "contract/barrier_layout.h"
#include "barrier/wake_slots.h"

namespace bshim {

// The fields of a live barrier that stay constant between init and destroy,
// loaded once so that a waiter never has to read them again.
struct BarrierConstants {
  uint32_t count;
  uint32_t flags;
  uint32_t robust_semaphore;  // 0 unless flags has kFlagRobust
  uint32_t generation;        // the barrier's identity, never 0
};

inline bool is_robust(const BarrierConstants& constants) {
  return (constants.flags & kFlagRobust) != 0;
}

// The integrity check these constants must find in the object.
inline uint64_t expected_check(const BarrierConstants& constants) {
  return integrity_check(constants.count, constants.flags, constants.robust_semaphore,
                         constants.generation);
}

inline int wake_slot_index(uint32_t flags) {
  return static_cast<int>((flags >> kSlotShift) & kSlotMask) - 1;
}

inline uint32_t flags_with_wake_slot(uint32_t flags, int index) {
  return flags | (static_cast<uint32_t>(index + 1) << kSlotShift);
}

// True iff `barrier` is a live barrier: aligned, count in range, only known
// flags, a slot index inside the table, a semaphore id only on robust
// barriers, a generation, and the integrity check matching. Zeroed, garbage and destroyed
// memory fail.
inline bool load_live_barrier(const pthread_barrier_t* barrier,
                              BarrierConstants* constants) {
  if (barrier == nullptr ||
      reinterpret_cast<uintptr_t>(barrier) % alignof(uint64_t) != 0) {
    return false;
  }
  const BarrierObject* object = reinterpret_cast<const BarrierObject*>(barrier);
  // relaxed: these fields are constant while the barrier is live; whoever
  // hands the barrier to this thread (thread creation, a lock, fork) already
  // ordered init before this call.
  const uint32_t count = object->count.load(std::memory_order_relaxed);
  const uint32_t flags = object->flags.load(std::memory_order_relaxed);
  const uint32_t robust_semaphore = object->robust_semaphore.load(std::memory_order_relaxed);
  const uint32_t generation = object->generation.load(std::memory_order_relaxed);
  const uint64_t check = object->check.load(std::memory_order_relaxed);
  if (count == 0 || count > kMaxCount || generation == 0) return false;
  if ((flags & kFlagRobust) == 0 && robust_semaphore != 0) return false;
  if ((flags & ~(kKnownFlagsMask | (kSlotMask << kSlotShift))) != 0) return false;
  const int slot = wake_slot_index(flags);
  if (slot >= static_cast<int>(kWakeSlotCount)) return false;
  if (check != integrity_check(count, flags, robust_semaphore, generation)) return false;
  constants->count = count;
  constants->flags = flags;
  constants->robust_semaphore = robust_semaphore;
  constants->generation = generation;
  return true;
}

// The wake slot this barrier may use, or nullptr: the slot named in its flags,
// if that slot still belongs to this very barrier (its address and
// generation). A barrier that was moved (realloc) or copied (memcpy into
// shared memory) carries its original's slot index, but is not its original:
// it waits on the object instead of sharing the original's wake-ups. relaxed:
// the slot's owner is written by init and destroy only, which the program
// orders before and after every wait on the barrier.
inline WakeSlot* owned_wake_slot(const pthread_barrier_t* barrier,
                                 const BarrierConstants& constants) {
  const int index = wake_slot_index(constants.flags);
  if (index < 0) return nullptr;
  const WakeSlotOwner& owner = wake_slot_owner(index);
  if (owner.address.load(std::memory_order_relaxed) != reinterpret_cast<uintptr_t>(barrier) ||
      owner.generation.load(std::memory_order_relaxed) != constants.generation) {
    return nullptr;
  }
  return &wake_slot(index);
}

}  // namespace bshim
