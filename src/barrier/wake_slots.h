// Process-global wake slots for private barriers.
//
// A waiter of a private barrier only reads the barrier object, and only
// before its arrival: it arrives, spins and sleeps on its barrier's slot. The
// slot lives
// in this library's static memory, which is never freed or unmapped, so the
// barrier's memory may be released the instant any waiter returns, by any
// means, including ones no interposer sees (glibc's internal munmap in free()).
//
// Each slot is owned by at most one live private barrier (its address and
// generation), and carries that barrier's arrivals and its open round
// number, which only moves forward.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bshim {

// Invariants: `arrivals` is the owning barrier's arrival word, laid out as
// the object's state word (contract/barrier_layout.h: arrivals in the open
// round, round number; the sleepers and broken bits unused): a barrier with
// a slot counts its arrivals here, not in its own bytes, so that arrivals,
// release and polling share one line of library memory (a round moves one
// line between the cores, as a spin barrier's does) and no waiter ever
// writes the barrier's memory. Reset by the round's last arriver, and by
// init. A barrier with an arrival tree (arrival_tree.h) keeps here, in
// place of the arrivals, the set of its leaves carried in the open round.
// `open_round` is the owning barrier's open round as of its latest
// completion (init aligns the barrier's round with it); it is only ever
// advanced (a wrap-aware maximum), so a waiter of round r knows its round is
// complete once `open_round` is after r. Who owns the slot is kept apart, in
// WakeSlotOwner.
// `spin_budget` and `yield_budget` are the owner's adaptive budgets
// (wait_policy.h), 0 until their first adjustment, and `slow_last` and
// `slow_in_a_row` its record of slow rounds in a row (wait_policy.h);
// waiters write them only when they change, so a steady program does not
// write them every round.
struct alignas(64) WakeSlot {
  std::atomic<uint64_t> arrivals;     // the owner's arrival word (see above)
  std::atomic<uint32_t> open_round;   // futex word for sleepers
  std::atomic<uint32_t> sleepers;     // waiters that may be in FUTEX_WAIT
  std::atomic<uint32_t> spin_budget;  // cpu_relax() iterations; 0: initial
  std::atomic<uint32_t> yield_budget;  // sched_yield() calls, plus 1; 0: initial
  std::atomic<uint32_t> slow_last;      // SlowRounds::last
  std::atomic<uint32_t> slow_in_a_row;  // SlowRounds::in_a_row
};

// Invariants: `address` is 0 or the address of the one private barrier whose
// flags name this slot, and `generation` that barrier's generation (a copy
// of the barrier elsewhere has the index but another address; a new barrier
// at the same address has another generation). Written by init and destroy
// only. Kept off the WakeSlot's line: every wait reads it, and there it
// would share the line that each round's completer writes.
// `leaves` and the rest are the shape of the owner's arrival tree
// (arrival_tree.h): 0 leaves when it counts its arrivals in the slot's
// arrival word. Every wait reads the owner's line anyway, which no wait
// writes, so the shape costs no cache miss.
struct WakeSlotOwner {
  std::atomic<uintptr_t> address;     // 0 when the slot is free
  std::atomic<uint32_t> generation;
  std::atomic<uint32_t> leaves;         // 0, or 2 .. kMaxLeaves
  std::atomic<uint32_t> leaf_capacity;  // arrivals a leaf holds per round ...
  std::atomic<uint32_t> larger_leaves;  // ... plus one, in leaves [0, larger_leaves)
  std::atomic<uint32_t> cpu_lowest;     // CPU c arrives first at leaf
  std::atomic<uint32_t> cpu_scale;      // ((c - cpu_lowest) * cpu_scale) >> 16
};

// 1024 slots = 64 KiB of zero-initialised static memory, touched lazily. A
// process with more live private barriers than that falls back to the object
// wait path for the extra ones (see barrier_wait.cc).
inline constexpr size_t kWakeSlotCount = 1024;

// Finds the slot already owned by `barrier_address` (re-init at the same
// address) or claims a free one, and makes `generation` its owner's.
// Returns the slot index, or -1 if every slot in the probe window is taken.
// Called from init only.
int claim_wake_slot(uintptr_t barrier_address, uint32_t generation);

// Gives the slot back if it still belongs to that barrier; called from
// destroy. A slot whose barrier was never destroyed stays claimed until a
// barrier is initialised at the same address.
void release_wake_slot(int index, uintptr_t barrier_address, uint32_t generation);

WakeSlot& wake_slot(int index);
const WakeSlotOwner& wake_slot_owner(int index);

}  // namespace bshim
