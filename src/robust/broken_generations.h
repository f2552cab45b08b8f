// Which robust barriers this process has seen break, by generation.
//
// A sleeper whose own process unmapped its view of the barrier (legal once a
// participant returned from the round) can no longer read how the round
// ended. The participant that returned first, in this process, recorded it
// here if the round broke; a generation not found here means the round
// completed. (Asking the membership instead would mistake a participant
// process that exited normally since then for a death.)
#pragma once

#include <atomic>
#include <cstdint>

namespace bshim {

inline constexpr unsigned kRememberedBrokenGenerations = 64;

struct BrokenGenerations {
  std::atomic<uint32_t> next{0};
  std::atomic<uint32_t> generations[kRememberedBrokenGenerations] = {};
};

inline BrokenGenerations& broken_generations() {
  constinit static BrokenGenerations table;
  return table;
}

// Called by every waiter that returns EOWNERDEAD, before it returns.
// release: whoever reads the entry after this thread's return (and so after
// any unmap it does) sees it. The last 64 broken barriers are remembered.
inline void remember_broken_generation(uint32_t generation) {
  BrokenGenerations& table = broken_generations();
  for (const auto& known : table.generations) {
    if (known.load(std::memory_order_relaxed) == generation) return;
  }
  const uint32_t index =
      table.next.fetch_add(1, std::memory_order_relaxed) % kRememberedBrokenGenerations;
  table.generations[index].store(generation, std::memory_order_release);
}

inline bool generation_broke_here(uint32_t generation) {
  for (const auto& known : broken_generations().generations) {
    // acquire: pairs with remember_broken_generation.
    if (known.load(std::memory_order_acquire) == generation) return true;
  }
  return false;
}

}  // namespace bshim
