// Lowering a count that must never wrap below zero.
#pragma once

#include <atomic>
#include <cstdint>

namespace bshim {

// Lowers `count` by one, never below zero, and returns the old value. For
// counts that a fork child resets while the forking thread still holds a
// share of them, which it later gives back. `order` is the ordering of the
// successful decrement; the loads before it are relaxed (a failed CAS reloads).
inline uint32_t saturating_decrement(std::atomic<uint32_t>& count,
                                     std::memory_order order = std::memory_order_relaxed) {
  uint32_t value = count.load(std::memory_order_relaxed);
  while (value != 0 &&
         !count.compare_exchange_weak(value, value - 1, order, std::memory_order_relaxed)) {
  }
  return value;
}

}  // namespace bshim
