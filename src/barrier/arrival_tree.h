// The arrival tree: how a private barrier with many members counts its
// arrivals without making every one of them a read-modify-write of one
// shared cache line (issue 16).
//
// A flat barrier counts every arrival in its wake slot's arrival word: with
// T members, T serialised transfers of that line per round, each a few
// hundred nanoseconds across the cores of a large machine. A tree barrier
// spreads them over 2..kMaxLeaves leaves, each on a line of its own in
// library memory beside the slot, and only the arrival that fills a leaf
// goes on to the slot's word (the root), adding the leaf to the set of full
// leaves it holds (bits 0..15 of its arrivals field): T
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
//      arrival that makes it full carries it: a CAS that adds the leaf to
//      the root's set while the root still names r (acq_rel). The carry that
//      completes the set completes round r, exactly as a flat completer
//      (reset of the root, advance of the slot's open round, wake:
//      wait_on_wake_slot.h, complete_round).
//   3. Every leaf full in round r: the round is complete but its root not yet
//      reset, or more threads than `count` use the barrier. Wait for the
//      root's reset (wait_for_slot_reset) and start again at 1.
// Carrying is idempotent (a leaf already in the set is not added again), so
// a full leaf may be carried twice: a thread that a signal handler's
// longjmp or pthread_exit takes out of its wait between its filling CAS and
// its carry has it carried by the wrapper (finish_interrupted_tree_arrival;
// only if the jump discards the wait, and only a leaf this thread filled,
// which the full leaf's word names), and its round completes with the
// arrivals it has, as on a flat barrier, where an arrival is one fetch_add;
// asynchronous cancellation is deferred over that stretch, and for the
// completer until its release. (Not covered: a thread without a record
// (more than 4096 at once) whose jump lands between its note and its CAS
// while another thread fills the same leaf: its finish cannot tell the two
// fills apart and carries the other's, whose wait then returns 0 instead of
// PTHREAD_BARRIER_SERIAL_THREAD if that completed the round; a thread that leaves that window
// by a cancellation acted on in a handler, or a jump that discards a
// handler's filling nested inside another filling: the outer one stays
// uncarried, and its round waits for ever, as a flat barrier's round whose
// completer leaves before its release does.)
// Why the completer has every member's writes: each arrival's CAS is a
// release on its leaf, and the filler's CAS reads the last of them (a
// release sequence of read-modify-writes), so it acquires them; the
// carry's CAS on the root releases them again, and the completing carry
// reads the last of those. Waiters wait for the slot's open round as on a
// flat barrier: nothing changes after the arrival.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "barrier/wait_policy.h"
#include "barrier/wake_slots.h"
#include "threads/discarded_frames.h"
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
// filler << 19 | arrivals) with arrivals <= the leaf's capacity; the round
// only moves forward, and only to the round the root names. `filler` is 0
// until the leaf is full in that round, then the filling thread's tag
// (this_thread_filler_tag): the finish of a jump out of a fill carries only a
// leaf its own thread filled (review10: carrying another thread's took that
// thread's completion, and the round had no PTHREAD_BARRIER_SERIAL_THREAD).
struct alignas(64) ArrivalLeaf {
  std::atomic<uint64_t> word;
};
struct ArrivalTree {
  ArrivalLeaf leaves[kMaxLeaves];
};

inline constexpr int kLeafFillerShift = 19;
inline constexpr uint32_t kLeafArrivalsMask = (1U << kLeafFillerShift) - 1;
// The largest count that gets a tree: its leaves' capacities stay below
// kLeafArrivalsMask (a barrier of more members counts flat).
inline constexpr uint32_t kMaxTreeCount = kMaxLeaves * (kLeafArrivalsMask / 2);

inline constexpr uint64_t leaf_word(uint32_t round, uint32_t arrivals, uint32_t filler = 0) {
  return (static_cast<uint64_t>(round) << 32) | (static_cast<uint64_t>(filler) << kLeafFillerShift) |
         arrivals;
}
inline constexpr uint32_t leaf_round(uint64_t word) { return static_cast<uint32_t>(word >> 32); }
inline constexpr uint32_t leaf_arrivals(uint64_t word) {
  return static_cast<uint32_t>(word) & kLeafArrivalsMask;
}
inline constexpr uint32_t leaf_filler(uint64_t word) {
  return static_cast<uint32_t>(word) >> kLeafFillerShift;
}
// This thread's tag in the leaves it fills: 1 + the index of its record
// (threads/thread_records.h), unique among live threads; 0 for a thread
// without a record (more than 4096 at once), whose finish cannot tell its
// own fill from another's and carries a full leaf whoever filled it.
uint32_t this_thread_filler_tag();
static_assert(kMaxThreadRecords < (1U << (32 - kLeafFillerShift)), "every record has a tag");

// BARRIER_SHIM_ARRIVAL_TREE: unset, the automatic choice above; 1, a tree
// for every private barrier of count 2 or more (tests and measurements);
// 0, none. Read once, at load time, by the preload constructor.
enum class ArrivalTreeMode { kAutomatic, kAlways, kNever };
void configure_arrival_tree();
ArrivalTreeMode arrival_tree_mode();
// For unit tests: the mode without the environment.
void set_arrival_tree_mode_for_test(ArrivalTreeMode mode);

// Whether the barrier that owns slot `slot_index` arrives through a tree.
// relaxed: the shape is constant while the barrier lives, published with it
// (plan_arrival_tree); the owner's line is read-only and already cached.
inline bool has_arrival_tree(int slot_index) {
  return wake_slot_owner(slot_index).leaves.load(std::memory_order_relaxed) != 0;
}

// The leaves (of the wake slot at the same index).
ArrivalTree& arrival_tree(int slot_index);

// Init, for the barrier of `count` members that now owns slot `slot_index`,
// whose first round is `first_round`: chooses its tree's shape (or none),
// writes it beside the slot's owner and empties the leaves. `cpus`: the
// CPUs the initialising thread may run on; the leaves are spread over the
// range of their numbers (a program bound to CPUs 32-47 of 64 uses all its
// leaves, not a quarter of them).
void plan_arrival_tree(int slot_index, uint32_t count, uint32_t first_round,
                       const UsableCpus& cpus);
// The leaf at which an arrival on CPU `cpu` starts (slot_index's tree).
uint32_t first_leaf_of_cpu(int slot_index, uint32_t cpu);

// What an arrival on a tree learnt: its round, and its place in it: count
// if it completed the round, else 0 (not known: no counter sees every
// arrival; the profile reports it so).
// A completing arrival also keeps asynchronous cancellation deferred until
// its caller has completed the round (a request made during the fill and
// carry would otherwise act between the completing carry and the round's
// release, and the round would never be released): `cancel_type` is the
// type to put back then (PTHREAD_CANCEL_DEFERRED: nothing to do).
struct TreeArrival {
  uint32_t round;
  uint32_t place;
  int cancel_type;
};

// Counts this thread's arrival in slot `slot_index`'s tree, as steps 1-3
// above. `tracked`'s entry names the next round while it waits for a reset
// (wait_on_wake_slot.h says why). Out of line: the tree is for large
// barriers, whose rounds cost far more than a call.
TreeArrival arrive_on_tree(int slot_index, uint32_t count, TrackedWait* tracked);

// For the preload layer's longjmp and pthread_exit wrappers, before the
// thread leaves the frames `frames` discards: if a signal interrupted this
// thread between the CAS that filled a leaf and that leaf's carry, and the
// jump discards that wait's frame, carries the leaf (and completes the round
// if that was the last leaf), so that the round still completes with the
// arrivals it has. A jump that keeps the frame (one inside the handler)
// changes nothing: the wait resumes and carries the leaf itself.
// Async-signal-safe; a few loads when there is nothing to finish.
void finish_interrupted_tree_arrival(const DiscardedFrames& frames);
// Whether this thread has a fill that finish_interrupted_tree_arrival might
// have to finish (one load): the wrappers skip working out the discarded
// frames when it has none and holds nothing.
bool this_thread_is_filling_a_leaf();

// For unit tests: what the filler of leaf `leaf` of slot `slot_index` in
// round `round`, whose frame holds address `frame`, notes just before its
// filling CAS (the CAS itself is the test's to play).
void note_filling_for_test(int slot_index, uint32_t leaf, uint32_t round, uintptr_t frame);

// Arrivals counted in round `round` of slot `slot_index`'s tree, from its
// leaves (exact, including leaves full but not yet carried to the root).
// For destroy, init and the watchdog.
uint32_t tree_arrivals_in_round(int slot_index, uint32_t round);

}  // namespace bshim
