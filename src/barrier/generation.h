// A barrier's identity: the generation number that init stores in the 32
// bytes (contract/barrier_layout.h).
//
// Memory is reused under a barrier's feet: free() and malloc() hand the same
// block to a new barrier, a stack slot holds one local barrier after another,
// a program destroys, unmaps, maps again and re-initialises at the same
// address. Address, count and flags then match the old barrier; only the
// generation tells a straggler of the old barrier, a wake slot, or init's
// EBUSY check that these bytes hold a different barrier now.
#pragma once

#include <cstdint>

namespace bshim {

// A generation for a barrier about to be initialised over bytes whose
// generation field reads `previous` (0 if they held no live barrier): never
// 0, never `previous`, never successor_after_break(previous), and, between
// any two inits in the whole system, equal only by a 2^-32 chance (a
// per-process counter mixed with the process id, the load-time random bytes
// of the process and the clock). Never fails, allocates nothing.
uint32_t new_generation(uint32_t previous);

// The generation that init gives a robust barrier initialised over a broken
// one of generation `broken`: a survivor of the broken round that finds it
// knows its round was broken, not completed (a fixed permutation of the
// 32-bit numbers, never 0 for a non-zero input, never the identity).
constexpr uint32_t successor_after_break(uint32_t broken) {
  uint32_t mixed = broken ^ 0x5bd1e995U;
  mixed *= 0x9e3779b1U;  // odd: a bijection of the 32-bit numbers
  mixed ^= mixed >> 15;
  return mixed == 0 || mixed == broken ? 0x6b43a9b5U : mixed;
}

}  // namespace bshim
