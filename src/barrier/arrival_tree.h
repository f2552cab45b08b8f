// The arrival tree: how a private barrier with many members counts its
// arrivals without making every one of them a read-modify-write of one
// shared cache line (issue 16).
//
// A flat barrier counts every arrival in its wake slot's arrival word: with
// T members, T serialised transfers of that line per round, each a few
// hundred nanoseconds across the cores of a large machine. A tree barrier
// spreads them over 2..kMaxLeaves leaves, each on a line of its own in
// library memory beside the slot, and only the arrival that fills a leaf
// goes on to the slot's word (the root), adding the leaf's capacity: T
// arrivals become about T / leaves on each leaf, in parallel, plus `leaves`
// on the root. (A combining tree in the sense of Yew, Tzeng and Lawrie 1987
// and of Mellor-Crummey and Scott 1991, two levels deep, but with leaves
// that no thread owns: a pthread barrier's threads have no index.)
//
// Which leaf: the one of the CPU the thread runs on (os/current_cpu.h), so
// that the threads that share a leaf run on neighbouring CPUs. The leaves'
// capacities sum to `count` exactly (count / leaves each, one more for the
// first count % leaves), so a round completes when every leaf is full, and
// an arrival that finds its leaf full takes the next one: a thread's CPU is
// only a hint, and threads may crowd on a few CPUs.
//
// A leaf's word is (round << 32 | arrivals here in that round). A leaf that
// names an earlier round is empty for the current one: rounds need no reset
// of the leaves, and the completer writes no more lines than a flat one. A
// round completes only once every leaf is full, so at that moment every
// leaf names it; the next round's arrivals find them all naming an earlier
// round. A leaf that names a later round than the one the arriver read from
// the root tells it that its round is over (it is an arrival beyond `count`,
// or read the root just before a reset): it reads the root again.
//
// The protocol (tests/model/arrival_tree.pml checks it):
//   1. r = round of the root (acquire).
//   2. From the CPU's leaf on, each leaf in turn: while it holds fewer
//      than its capacity in round r, CAS it one arrival up (acq_rel). The
//      arrival that makes it full adds the capacity to the root (fetch_add,
//      acq_rel); the one that makes the root reach `count` completes round
//      r, exactly as a flat completer (reset of the root, advance of the
//      slot's open round, wake: wait_on_wake_slot.h).
//   3. Every leaf full in round r: the round is complete but its root not yet
//      reset, or more threads than `count` use the barrier. Wait for the
//      root's reset (wait_for_slot_reset) and start again at 1.
// Why the completer has every member's writes: each arrival's CAS is a
// release on its leaf, and the filler's CAS reads the last of them (a
// release sequence of read-modify-writes), so it acquires them; the
// filler's fetch_add on the root releases them again, and the completer's
// fetch_add reads the last of those. Waiters wait for the slot's open round
// as on a flat barrier: nothing changes after the arrival.
#pragma once

#include <atomic>
#include <cstdint>

#include "barrier/wake_slots.h"
#include "threads/thread_records.h"

namespace bshim {

inline constexpr uint32_t kMaxLeaves = 16;
// Arrivals per leaf that the automatic choice aims at: few enough that a
// leaf's own line is not a new bottleneck, enough that the root's line sees
// a quarter of the arrivals.
inline constexpr uint32_t kLeafFanIn = 4;
// The automatic choice: a tree only for barriers of at least kTreeMinCount
// members on a machine where at least kTreeMinCpus of the initialising
// thread's CPUs can run them at once. Below that, few arrivals meet on the
// line at the same instant, and a flat arrival (one fetch_add) is cheaper
// than a tree's (a CAS, a second line for some).
inline constexpr uint32_t kTreeMinCount = 8;
inline constexpr unsigned kTreeMinCpus = 8;

// A leaf, on its own cache line. Invariant: `word` is (round << 32 |
// arrivals) with arrivals <= the leaf's capacity; the round only moves
// forward, and only to the round the root names.
struct alignas(64) ArrivalLeaf {
  std::atomic<uint64_t> word;
};
struct ArrivalTree {
  ArrivalLeaf leaves[kMaxLeaves];
};

inline constexpr uint64_t leaf_word(uint32_t round, uint32_t arrivals) {
  return (static_cast<uint64_t>(round) << 32) | arrivals;
}
inline constexpr uint32_t leaf_round(uint64_t word) { return static_cast<uint32_t>(word >> 32); }
inline constexpr uint32_t leaf_arrivals(uint64_t word) { return static_cast<uint32_t>(word); }

// BARRIER_SHIM_ARRIVAL_TREE: unset, the automatic choice above; 1, a tree
// for every private barrier of count 2 or more (tests and measurements);
// 0, none. Read once, at load time, by the preload constructor.
enum class ArrivalTreeMode { kAutomatic, kAlways, kNever };
void configure_arrival_tree();
ArrivalTreeMode arrival_tree_mode();
// For unit tests: the mode without the environment.
void set_arrival_tree_mode_for_test(ArrivalTreeMode mode);

// The leaves (of the wake slot at the same index).
ArrivalTree& arrival_tree(int slot_index);

// Init, for the barrier of `count` members that now owns slot `slot_index`,
// whose first round is `first_round`: chooses its tree's shape (or none),
// writes it beside the slot's owner and empties the leaves. `usable_cpus`:
// the CPUs the initialising thread may run on.
void plan_arrival_tree(int slot_index, uint32_t count, uint32_t first_round,
                       unsigned usable_cpus);

// What an arrival on a tree learnt: its round, and its place in it (count:
// it completed the round; otherwise a place below count, exact within its
// leaf only).
struct TreeArrival {
  uint32_t round;
  uint32_t place;
};

// Counts this thread's arrival in slot `slot_index`'s tree, as steps 1-3
// above. `tracked`'s entry names the next round while it waits for a reset
// (wait_on_wake_slot.h says why). Out of line: the tree is for large
// barriers, whose rounds cost far more than a call.
TreeArrival arrive_on_tree(int slot_index, uint32_t count, TrackedWait* tracked);

// Arrivals counted in round `round` of slot `slot_index`'s tree, from its
// leaves (exact, including leaves full but not yet carried to the root).
// For destroy, init and the watchdog.
uint32_t tree_arrivals_in_round(int slot_index, uint32_t round);

}  // namespace bshim
