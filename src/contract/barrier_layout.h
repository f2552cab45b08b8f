// How a barrier lives inside the caller's 32-byte pthread_barrier_t.
//
// All state is inside the object: no pointers, no side tables that hold
// barrier state, so one barrier in shared memory works between processes that
// map it at different addresses. (Private barriers also use a process-global
// wake slot, see wake_slots.h, which counts their arrivals and carries their
// wake-ups; its index, not its address, is stored here.)
#pragma once

#include <pthread.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace bshim {

// The state word packs everything that changes per arrival, so an arrival is
// one atomic read-modify-write and its result tells the arriver its round.
// A barrier with a wake slot counts its arrivals in the slot's arrival word
// instead, laid out the same; its own state word keeps the round init gave it.
//
//   bits  0..30  arrivals so far in the current round (0 <= arrivals < count
//                between rounds; the last arriver resets it to 0)
//   bit   31     broken (robust barriers only, robust_membership.h): a
//                participant process died; set once, cleared only by init
//   bit   32     sleepers: a waiter of the current round sleeps, or is about
//                to sleep, in FUTEX_WAIT on the high half (object wait path)
//   bits 33..63  the round number, 31 bits, wrapping
//
// The high 32 bits (round << 1 | sleepers) are the futex word of the object
// wait path; on little-endian machines they sit at byte offset 4.
inline constexpr uint64_t kArrivalsMask = 0x7fffffffULL;
inline constexpr uint64_t kBrokenBit = 1ULL << 31;
inline constexpr uint64_t kSleepersBit = 1ULL << 32;
inline constexpr int kRoundShift = 33;
inline constexpr uint32_t kRoundMask = 0x7fffffffU;
// A round number that never occurs: memory filled with 0xff must not look
// like a live round with a sleeper (its futex word would equal a sleeper's
// expected value and the sleeper could miss that the memory was released).
inline constexpr uint32_t kNeverRound = kRoundMask;

inline constexpr uint32_t arrivals_of(uint64_t state) {
  return static_cast<uint32_t>(state & kArrivalsMask);
}
inline constexpr uint32_t round_of(uint64_t state) {
  return static_cast<uint32_t>(state >> kRoundShift) & kRoundMask;
}
inline constexpr uint64_t state_for_round(uint32_t round) {
  return static_cast<uint64_t>(round) << kRoundShift;
}
inline constexpr uint32_t next_round(uint32_t round) {
  const uint32_t next = (round + 1) & kRoundMask;
  return next == kNeverRound ? 0 : next;
}
// True if round `later` comes after round `earlier`, allowing for wrap-around:
// rounds less than half the number space ahead count as later.
inline constexpr bool round_is_after(uint32_t later, uint32_t earlier) {
  const uint32_t distance = (later - earlier) & kRoundMask;
  return distance != 0 && distance < (kRoundMask >> 1);
}
// The value of the futex word (high half) while `round` is open and has a
// sleeper: what a sleeper of that round passes to FUTEX_WAIT.
inline constexpr uint32_t sleeping_futex_value(uint32_t round) {
  return (round << 1) | 1U;
}
// Rounds alternate between two wake bits, so that the late FUTEX_WAKE of
// round r cannot dequeue a sleeper of round r+1. Round r+2 cannot start while
// round r's waker is still inside the wait call: it must arrive at r+1 first.
inline constexpr uint32_t wake_bit_for(uint32_t round) {
  return 1U << (round & 1U);
}

// Constant flags, set by init.
inline constexpr uint32_t kFlagProcessShared = 1U << 0;
// All participants can run at once (count <= CPUs in the initialiser's
// affinity mask), so spinning before sleeping can pay off.
inline constexpr uint32_t kFlagSpin = 1U << 1;
// Robust mode (BARRIER_SHIM_ROBUST at init): the barrier has a membership
// semaphore, whose id is in `robust_semaphore`, and honours the broken bit.
inline constexpr uint32_t kFlagRobust = 1U << 2;
inline constexpr uint32_t kKnownFlagsMask = kFlagProcessShared | kFlagSpin | kFlagRobust;
// Bits 16..31: index + 1 of the wake slot, 0 when the barrier has none
// (process-shared in shared memory, or the slot table was full at init).
inline constexpr int kSlotShift = 16;
inline constexpr uint32_t kSlotMask = 0xffffU;

// The largest count init accepts: INT_MAX, as musl. Far beyond any thread
// count the kernel allows, so `arrivals` never reaches bit 31.
inline constexpr unsigned kMaxCount = INT_MAX;

// Invariants of BarrierObject, between init and destroy:
//  - count, flags, robust_semaphore, generation and check are constant;
//    check == integrity_check(count, flags, robust_semaphore, generation).
//  - generation is never 0, and differs from the generation of whatever
//    barrier lived in these bytes before (barrier/generation.h): it is the
//    barrier's identity. A waiter remembers it, so memory re-initialised
//    under a straggler, even with the same count and flags, is a different
//    barrier to it; wake slots and the records of blocked waiters carry it.
//  - arrivals_of(state) < count, except for the instant between the last
//    arrival's fetch_add and its reset.
//  - the sleepers bit is set only by a waiter of the current round, and only
//    the reset that ends the round clears it.
//  - the broken bit is set only on robust barriers, by a waiter of an open
//    round; no round is released after it (the completer's CAS fails on it).
// After destroy, check is 0, so wait and destroy answer EINVAL.
struct BarrierObject {
  std::atomic<uint64_t> state;     // offset 0: see above
  std::atomic<uint32_t> count;     // offset 8
  std::atomic<uint32_t> flags;     // offset 12
  std::atomic<uint32_t> robust_semaphore;  // offset 16: System V semaphore id (robust), else 0
  std::atomic<uint32_t> generation;  // offset 20: identity, see above
  std::atomic<uint64_t> check;     // offset 24
};

static_assert(sizeof(BarrierObject) == sizeof(pthread_barrier_t),
              "all barrier state must fit in the caller's pthread_barrier_t");
static_assert(alignof(BarrierObject) <= alignof(pthread_barrier_t),
              "pthread_barrier_t must be aligned enough for the state word");
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the state word must be lock-free to live in shared memory");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the futex word is the high half of the state word at offset 4");

// Integrity check: mixes count, flags, the semaphore id and the generation
// with a constant, never the address (a process-shared barrier is mapped at
// different addresses in different processes). Zeroed memory and memory
// filled with one byte never match.
inline constexpr uint64_t kCheckMagic = 0x62736869'6d626172ULL;  // "bshimbar"
inline constexpr uint64_t integrity_check(uint32_t count, uint32_t flags,
                                          uint32_t robust_semaphore, uint32_t generation) {
  uint64_t mixed = (static_cast<uint64_t>(count) << 32) | flags;
  mixed *= 0x9e3779b97f4a7c15ULL;
  mixed ^= static_cast<uint64_t>(robust_semaphore) * 0xc2b2ae3d27d4eb4fULL;
  mixed ^= (static_cast<uint64_t>(generation) << 17) * 0x165667b19e3779f9ULL;
  return kCheckMagic ^ mixed ^ (mixed >> 29);
}

inline BarrierObject* as_object(pthread_barrier_t* barrier) {
  return reinterpret_cast<BarrierObject*>(barrier);
}

// The futex word of the object wait path: the high half of the state word.
inline const uint32_t* round_futex_word(const BarrierObject* object) {
  return reinterpret_cast<const uint32_t*>(&object->state) + 1;
}

}  // namespace bshim
