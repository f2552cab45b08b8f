#include "barrier/generation.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "os/monotonic_clock.h"

namespace bshim {
namespace {

// Inits made by this process so far. relaxed: only uniqueness matters, and a
// fetch_add hands out each value once.
std::atomic<uint64_t> g_inits{0};

uint64_t mix64(uint64_t value) {  // the finaliser of splitmix64
  value ^= value >> 30;
  value *= 0xbf58476d1ce4e5b9ULL;
  value ^= value >> 27;
  value *= 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

// 8 of the 16 random bytes the kernel gives every process at exec (AT_RANDOM,
// getauxval(3)); a fork child shares them with its parent, hence the pid.
uint64_t process_random_bits() {
  uint64_t bits = 0;
  const auto* random_bytes = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM));
  if (random_bytes != nullptr) std::memcpy(&bits, random_bytes + 8, sizeof(bits));
  return bits;
}

}  // namespace

uint32_t new_generation(uint32_t previous) {
  const uint64_t seed = process_random_bits() ^
                        (static_cast<uint64_t>(getpid()) << 40) ^ monotonic_ns();
  for (;;) {
    const uint64_t mixed = mix64(seed + g_inits.fetch_add(1, std::memory_order_relaxed) *
                                            0x9e3779b97f4a7c15ULL);
    const uint32_t generation = static_cast<uint32_t>(mixed ^ (mixed >> 32));
    if (generation != 0 && generation != previous &&
        generation != successor_after_break(previous)) {
      return generation;
    }
  }
}

}  // namespace bshim
