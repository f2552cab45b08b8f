#include "barrier/arrival_tree.h"

#include "barrier/barrier_object_access.h"
#include "barrier/wait_on_wake_slot.h"

#include "os/cancel_type.h"
#include "os/current_cpu.h"
#include "os/environment.h"

namespace bshim {
namespace {

// Beside the wake slots, one tree per slot: 1 KiB each, zero-initialised
// static memory that only the slots of tree barriers ever touch (a page is
// committed when first written). Never freed, like the slots: a waiter may
// still be on its way out of a leaf's CAS when the barrier's memory goes.
ArrivalTree g_trees[kWakeSlotCount];

// Relaxed: written once by the preload constructor, before any thread could
// initialise a barrier through the shim.
std::atomic<ArrivalTreeMode> g_mode{ArrivalTreeMode::kAutomatic};

// The leaf that holds arrivals of CPU `cpu` first: the CPUs from `lowest`
// on map onto the leaves in contiguous runs (neighbouring CPU numbers mostly
// share a cache); a CPU outside the initialiser's range wraps.
uint32_t first_leaf(uint32_t cpu, uint32_t lowest, uint32_t cpu_scale, uint32_t leaves) {
  const uint32_t offset = cpu - lowest;  // wraps for a CPU below the range
  const uint64_t leaf = (static_cast<uint64_t>(offset) * cpu_scale) >> 16;
  return leaf < leaves ? static_cast<uint32_t>(leaf) : static_cast<uint32_t>(leaf % leaves);
}

uint32_t capacity_of(uint32_t leaf, uint32_t leaf_capacity, uint32_t larger_leaves) {
  return leaf_capacity + (leaf < larger_leaves ? 1 : 0);
}

}  // namespace

void configure_arrival_tree() {
  const char* text = setting_text("BARRIER_SHIM_ARRIVAL_TREE");
  ArrivalTreeMode mode = ArrivalTreeMode::kAutomatic;
  if (text != nullptr) {
    if (text[0] == '1' && text[1] == '\0') {
      mode = ArrivalTreeMode::kAlways;
    } else if (text[0] == '0' && text[1] == '\0') {
      mode = ArrivalTreeMode::kNever;
    } else {
      warn_about_setting("BARRIER_SHIM_ARRIVAL_TREE", text, "is not 0 or 1",
                         "barriers get an arrival tree by their count and the CPUs");
    }
  }
  g_mode.store(mode, std::memory_order_relaxed);
}

ArrivalTreeMode arrival_tree_mode() { return g_mode.load(std::memory_order_relaxed); }

void set_arrival_tree_mode_for_test(ArrivalTreeMode mode) {
  g_mode.store(mode, std::memory_order_relaxed);
}

ArrivalTree& arrival_tree(int slot_index) { return g_trees[slot_index]; }

void plan_arrival_tree(int slot_index, uint32_t count, uint32_t first_round,
                       const UsableCpus& cpus) {
  uint32_t leaves = 0;
  switch (arrival_tree_mode()) {
    case ArrivalTreeMode::kNever:
      break;
    case ArrivalTreeMode::kAutomatic:
      if (count < kTreeMinCount || cpus.count < kTreeMinCpus) break;
      [[fallthrough]];
    case ArrivalTreeMode::kAlways: {
      if (count < 2 || count > kMaxTreeCount) break;
      const uint64_t wanted = (static_cast<uint64_t>(count) + kLeafFanIn - 1) / kLeafFanIn;
      leaves = wanted < 2 ? 2 : wanted > kMaxLeaves ? kMaxLeaves : static_cast<uint32_t>(wanted);
      break;
    }
  }
  // relaxed, all: published with the barrier, as its constants are: init's
  // release store of its state word, then whatever hands the barrier to a
  // waiting thread (load_live_barrier).
  WakeSlotOwner& owner = const_cast<WakeSlotOwner&>(wake_slot_owner(slot_index));
  owner.leaves.store(leaves, std::memory_order_relaxed);
  if (leaves == 0) return;
  owner.leaf_capacity.store(count / leaves, std::memory_order_relaxed);
  owner.larger_leaves.store(count % leaves, std::memory_order_relaxed);
  // The CPUs' numbers from lowest to highest, spread over the leaves.
  const uint64_t span = cpus.highest >= cpus.lowest ? cpus.highest - cpus.lowest + 1 : 1;
  owner.cpu_lowest.store(cpus.lowest, std::memory_order_relaxed);
  owner.cpu_scale.store(
      static_cast<uint32_t>(((static_cast<uint64_t>(leaves) << 16) + span - 1) / span),
      std::memory_order_relaxed);
  // Every leaf empty in the first round. relaxed: as above. (No thread of an
  // earlier owner is still arriving here: init found none blocked.)
  for (ArrivalLeaf& leaf : g_trees[slot_index].leaves) {
    leaf.word.store(leaf_word(first_round, 0), std::memory_order_relaxed);
  }
}

namespace {

// The set of all `leaves` leaves, as the root holds it when its round is
// complete.
uint32_t all_leaves(uint32_t leaves) { return leaves >= 32 ? ~0U : (1U << leaves) - 1; }

// The shape as a wait reads it. relaxed: constant while the barrier lives
// (see plan_arrival_tree). Clamped, so that even a program that waits on a
// barrier while it re-initialises it never indexes past the tree.
struct Shape {
  explicit Shape(const WakeSlotOwner& owner)
      : leaves(clamp(owner.leaves.load(std::memory_order_relaxed))),
        leaf_capacity(owner.leaf_capacity.load(std::memory_order_relaxed)),
        larger_leaves(owner.larger_leaves.load(std::memory_order_relaxed)) {}
  static uint32_t clamp(uint32_t leaves) {
    return leaves > kMaxLeaves ? kMaxLeaves : leaves == 0 ? 1 : leaves;
  }
  uint32_t capacity(uint32_t leaf) const { return capacity_of(leaf, leaf_capacity, larger_leaves); }
  uint32_t leaves;
  uint32_t leaf_capacity;
  uint32_t larger_leaves;
};

// Adds leaf `leaf`, full in round `round`, to the root's set; true if that
// completed the round (the caller completes it). Idempotent: a leaf already
// in the set, or a root that moved on, changes nothing and answers false;
// so whoever carries a full leaf, the filler or the finish below, it counts
// once.
bool carry_leaf(WakeSlot& slot, uint32_t leaf, uint32_t round, uint32_t leaves) {
  // acquire: as the CAS's failure order.
  uint64_t root = slot.arrivals.load(std::memory_order_acquire);
  for (;;) {
    if (round_of(root) != round || (arrivals_of(root) & (1U << leaf)) != 0) return false;
    const uint64_t carried = root | (1ULL << leaf);
    // acq_rel: release hands on everything this leaf's arrivals wrote (which
    // the carrier acquired: the filler by its CAS on the leaf, the finish by
    // its acquire load of the full leaf, both reading the last of the leaf's
    // read-modify-writes); acquire, if this completes the round, takes every
    // other leaf's from their carries.
    if (slot.arrivals.compare_exchange_weak(root, carried, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      return arrivals_of(carried) == all_leaves(leaves);
    }
  }
}

// The leaf this thread is filling, from just before its filling CAS until its
// carry returned: what a jump out of a signal handler that interrupts it in
// between must finish (finish_interrupted_tree_arrival). slot + 1; 0: none.
// `frame`: an address in the filler's frame, so that a jump that does not
// discard it (one inside the handler, or back into an outer handler) leaves
// the filler to carry its leaf itself when it resumes.
// initial-exec: a plain %fs-relative access, usable in a signal handler.
struct FillingLeaf {
  int32_t slot_plus_1;
  uint32_t leaf;
  uint32_t round;
  uintptr_t frame;
};
__thread FillingLeaf t_filling __attribute__((tls_model("initial-exec")));

}  // namespace

TreeArrival arrive_on_tree(int slot_index, uint32_t count, TrackedWait* tracked) {
  WakeSlot& slot = wake_slot(slot_index);
  const WakeSlotOwner& owner = wake_slot_owner(slot_index);
  ArrivalTree& tree = g_trees[slot_index];
  const Shape shape(owner);
  const uint32_t all = all_leaves(shape.leaves);
  const uint32_t tag = this_thread_filler_tag();
  const uint32_t start = first_leaf(current_cpu(), owner.cpu_lowest.load(std::memory_order_relaxed),
                                    owner.cpu_scale.load(std::memory_order_relaxed), shape.leaves);
  for (;;) {
    // Step 1. acquire is more than needed: a thread back from the previous
    // round acquired its writes through the slot's open round, and an
    // arrival discarded from a full round needs none of them (as in
    // complete_round); the round number is all that is read here.
    const uint64_t root = slot.arrivals.load(std::memory_order_acquire);
    const uint32_t round = round_of(root);
    const bool root_full = arrivals_of(root) == all;
    bool round_is_over = root_full;
    // Step 2: from this CPU's leaf on, every leaf once.
    for (uint32_t probe = 0; probe < shape.leaves && !round_is_over; ++probe) {
      const uint32_t index =
          start + probe < shape.leaves ? start + probe : start + probe - shape.leaves;
      const uint32_t capacity = shape.capacity(index);
      std::atomic<uint64_t>& leaf = tree.leaves[index].word;
      // acquire: a leaf that names a later round was written by an arrival
      // that had read the root's reset to that round (it happened before
      // that arrival's CAS, a release); reading the root again after
      // acquiring this leaf therefore sees the reset too.
      uint64_t word = leaf.load(std::memory_order_acquire);
      for (;;) {
        const uint32_t named = leaf_round(word);
        uint32_t here;
        if (named == round) {
          here = leaf_arrivals(word);
        } else if (round_is_after(round, named)) {
          here = 0;  // last filled in an earlier round: empty in this one
        } else {
          round_is_over = true;  // a later round's arrivals: ours is over
          break;
        }
        if (here >= capacity) break;  // full: the next leaf
        if (here + 1 < capacity) {
          // acq_rel: release hands our writes on to whoever fills this
          // leaf. A failure re-reads with acquire (step 1).
          if (!leaf.compare_exchange_weak(word, leaf_word(round, here + 1),
                                          std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
            continue;
          }
          // Counted; someone else fills this leaf and carries it. Our place
          // in the round is not known (0; only the completer's is).
          return {round, 0, PTHREAD_CANCEL_DEFERRED};
        }
        // This CAS would fill the leaf. Until its carry returns, a jump out
        // of a signal handler that interrupts us must carry it for us, or
        // the round could never complete (a handler's wait of its own saves
        // and puts back what was here).
        // Nor may an asynchronous cancellation end us in between.
        AsyncCancellationDeferred no_cancellation_between_fill_and_carry;
        const FillingLeaf outer = t_filling;
        t_filling = {slot_index + 1, index, round,
                     reinterpret_cast<uintptr_t>(__builtin_frame_address(0))};
        std::atomic_signal_fence(std::memory_order_seq_cst);
        // acq_rel: release as above; acquire takes the writes of every
        // arrival before us here (release sequence), which the carry hands on.
        const bool filled = leaf.compare_exchange_weak(word, leaf_word(round, capacity, tag),
                                                       std::memory_order_acq_rel,
                                                       std::memory_order_acquire);
        const bool completed = filled && carry_leaf(slot, index, round, shape.leaves);
        std::atomic_signal_fence(std::memory_order_seq_cst);
        t_filling = outer;
        if (!filled) continue;
        if (!completed) return {round, 0, PTHREAD_CANCEL_DEFERRED};
        return {round, count, no_cancellation_between_fill_and_carry.hand_over()};
      }
    }
    if (round_is_over && !root_full) continue;  // read the root again
    // Step 3: round `round` is full without us. Our entry names the next
    // round while we wait for its reset (wait_on_wake_slot.h:
    // arrive_on_slot).
    tracked->arrived_in(next_round(round));
    wait_for_slot_reset(slot, root);
  }
}

void finish_interrupted_tree_arrival(const DiscardedFrames& frames) {
  const FillingLeaf filling = t_filling;
  if (filling.slot_plus_1 == 0) return;
  // A jump that keeps the filler's frame: it resumes, and carries its leaf
  // itself (carrying it here would take the round's completion, and its
  // PTHREAD_BARRIER_SERIAL_THREAD, from the filler).
  if (!frames.discards(filling.frame)) return;
  t_filling = {};
  std::atomic_signal_fence(std::memory_order_seq_cst);
  const int slot_index = filling.slot_plus_1 - 1;
  if (slot_index >= static_cast<int>(kWakeSlotCount)) return;
  WakeSlot& slot = wake_slot(slot_index);
  const Shape shape(wake_slot_owner(slot_index));
  if (filling.leaf >= shape.leaves) return;
  // acquire: the leaf's arrivals' writes, handed on by the carry. A leaf not
  // full in that round, or filled by another thread, was not filled by this
  // one (its CAS had not run, or failed): its arrival was not counted, and
  // the other filler carries the leaf.
  const uint64_t word = g_trees[slot_index].leaves[filling.leaf].word.load(std::memory_order_acquire);
  if (leaf_round(word) != filling.round || leaf_arrivals(word) < shape.capacity(filling.leaf)) {
    return;
  }
  const uint32_t tag = this_thread_filler_tag();
  if (tag != 0 && leaf_filler(word) != tag) return;
  if (carry_leaf(slot, filling.leaf, filling.round, shape.leaves)) {
    wake_slot_detail::complete_round(slot, filling.round);
  }
}

uint32_t this_thread_filler_tag() {
  const ThreadRecord* record = this_thread_record_if_any();
  return record != nullptr ? static_cast<uint32_t>(record - thread_record_table()) + 1 : 0;
}

bool this_thread_is_filling_a_leaf() { return t_filling.slot_plus_1 != 0; }

uint32_t first_leaf_of_cpu(int slot_index, uint32_t cpu) {
  const WakeSlotOwner& owner = wake_slot_owner(slot_index);
  return first_leaf(cpu, owner.cpu_lowest.load(std::memory_order_relaxed),
                    owner.cpu_scale.load(std::memory_order_relaxed),
                    Shape::clamp(owner.leaves.load(std::memory_order_relaxed)));
}

void note_filling_for_test(int slot_index, uint32_t leaf, uint32_t round, uintptr_t frame) {
  t_filling = {slot_index + 1, leaf, round, frame};
}

uint32_t tree_arrivals_in_round(int slot_index, uint32_t round) {
  const WakeSlotOwner& owner = wake_slot_owner(slot_index);
  uint32_t leaves = owner.leaves.load(std::memory_order_relaxed);
  if (leaves > kMaxLeaves) leaves = kMaxLeaves;
  uint32_t arrivals = 0;
  for (uint32_t i = 0; i < leaves; ++i) {
    // acquire: as has_blocked_waiters' loads of the slot.
    const uint64_t word = g_trees[slot_index].leaves[i].word.load(std::memory_order_acquire);
    if (leaf_round(word) == round) arrivals += leaf_arrivals(word);
  }
  return arrivals;
}

}  // namespace bshim
