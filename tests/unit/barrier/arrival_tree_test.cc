// The arrival tree of private barriers (src/barrier/arrival_tree.h): its
// shape, how arrivals spread over its leaves and reach the root, and that a
// tree barrier keeps every promise of a flat one.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "barrier/arrival_tree.h"
#include "barrier/barrier.h"
#include "barrier/barrier_object_access.h"
#include "scratch_slot.h"
#include "barrier/wake_slots.h"
#include "test_support.h"

namespace {

using bshim::ArrivalTreeMode;

// Sets the mode for one test and puts the automatic choice back after it.
class TreeMode {
 public:
  explicit TreeMode(ArrivalTreeMode mode) { bshim::set_arrival_tree_mode_for_test(mode); }
  ~TreeMode() { bshim::set_arrival_tree_mode_for_test(ArrivalTreeMode::kAutomatic); }
  TreeMode(const TreeMode&) = delete;
  TreeMode& operator=(const TreeMode&) = delete;
};

// A wake slot of its own for a made-up barrier address, given back at the
// end, and what its arrival tree holds.
class OwnSlot : public bshim_test::ScratchSlot {
 public:
  OwnSlot() : ScratchSlot(0x7e57'0000'0040, 77) {}
  uint32_t leaves() const { return bshim::wake_slot_owner(index()).leaves.load(); }
  uint32_t capacity(uint32_t leaf) const {
    const bshim::WakeSlotOwner& owner = bshim::wake_slot_owner(index());
    return owner.leaf_capacity.load() + (leaf < owner.larger_leaves.load() ? 1 : 0);
  }
  uint32_t leaf_arrivals(uint32_t leaf, uint32_t round) const {
    const uint64_t word = bshim::arrival_tree(index()).leaves[leaf].word.load();
    return bshim::leaf_round(word) == round ? bshim::leaf_arrivals(word) : 0;
  }
};

constexpr uint32_t kFirstRound = 1000;

// CPUs 0 .. n-1.
bshim::UsableCpus cpus(unsigned n) { return {n, 0, n - 1}; }

// Pins the calling thread to `cpu` for its scope (the leaf an arrival starts
// at is its CPU's).
class PinnedTo {
 public:
  explicit PinnedTo(int cpu) {
    sched_getaffinity(0, sizeof(saved_), &saved_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned_ = sched_setaffinity(0, sizeof(one), &one) == 0;
  }
  ~PinnedTo() { sched_setaffinity(0, sizeof(saved_), &saved_); }
  PinnedTo(const PinnedTo&) = delete;
  PinnedTo& operator=(const PinnedTo&) = delete;
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

TEST(ArrivalTreeShape, LeavesHoldAboutFourArrivalsEachAndTheirCapacitiesSumToTheCount) {
  TreeMode always(ArrivalTreeMode::kAlways);
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  struct Case {
    uint32_t count;
    uint32_t leaves;
  };
  for (const Case c : {Case{2, 2}, Case{3, 2}, Case{8, 2}, Case{9, 3}, Case{17, 5}, Case{64, 16},
                       Case{1000, 16}, Case{bshim::kMaxTreeCount, 16}}) {
    bshim::plan_arrival_tree(slot.index(), c.count, kFirstRound, cpus(2));
    ASSERT_EQ(slot.leaves(), c.leaves) << "count " << c.count;
    uint64_t sum = 0;
    for (uint32_t leaf = 0; leaf < c.leaves; ++leaf) {
      EXPECT_GE(slot.capacity(leaf), 1u) << "count " << c.count << " leaf " << leaf;
      EXPECT_LE(slot.capacity(leaf), slot.capacity(0)) << "larger leaves come first";
      sum += slot.capacity(leaf);
    }
    EXPECT_EQ(sum, c.count);
  }
}

TEST(ArrivalTreeShape, TheAutomaticChoiceGivesATreeOnlyToLargeBarriersOnManyCpus) {
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  bshim::plan_arrival_tree(slot.index(), 8, kFirstRound, cpus(8));
  EXPECT_EQ(slot.leaves(), 2u) << "8 members, 8 CPUs";
  bshim::plan_arrival_tree(slot.index(), 7, kFirstRound, cpus(64));
  EXPECT_EQ(slot.leaves(), 0u) << "7 members";
  bshim::plan_arrival_tree(slot.index(), 32, kFirstRound, cpus(7));
  EXPECT_EQ(slot.leaves(), 0u) << "7 CPUs";
  bshim::plan_arrival_tree(slot.index(), 32, kFirstRound, cpus(16));
  EXPECT_EQ(slot.leaves(), 8u) << "32 members, 16 CPUs";
}

TEST(ArrivalTreeShape, LeavesSpreadOverTheCpusTheInitialiserMayUseNotAllTheMachines) {
  TreeMode always(ArrivalTreeMode::kAlways);
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  // A program bound to CPUs 40-55 of a larger machine, 16 members: 4 leaves.
  bshim::plan_arrival_tree(slot.index(), 16, kFirstRound, bshim::UsableCpus{16, 40, 55});
  ASSERT_EQ(slot.leaves(), 4u);
  for (uint32_t cpu = 40; cpu <= 55; ++cpu) {
    EXPECT_EQ(bshim::first_leaf_of_cpu(slot.index(), cpu), (cpu - 40) / 4) << "CPU " << cpu;
  }
  // A CPU outside that range (the thread moved since) still lands on a leaf.
  EXPECT_LT(bshim::first_leaf_of_cpu(slot.index(), 3), 4u);
  EXPECT_LT(bshim::first_leaf_of_cpu(slot.index(), 63), 4u);
}

TEST(ArrivalTreeShape, NoTreeWhenSwitchedOffOrForABarrierOfOne) {
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  {
    TreeMode never(ArrivalTreeMode::kNever);
    bshim::plan_arrival_tree(slot.index(), 64, kFirstRound, cpus(64));
    EXPECT_EQ(slot.leaves(), 0u) << "switched off, 64 members on 64 CPUs";
  }
  TreeMode always(ArrivalTreeMode::kAlways);
  bshim::plan_arrival_tree(slot.index(), 1, kFirstRound, cpus(64));
  EXPECT_EQ(slot.leaves(), 0u) << "always, but 1 member";
}

// One thread plays every member's arrival (an arrival only counts; the
// waiting is the caller's), so the order is known.
TEST(ArrivalTreeCounting, OnlyTheLastOfCountArrivalsCompletesTheRoundAndTheRootThenHoldsEveryLeaf) {
  TreeMode always(ArrivalTreeMode::kAlways);
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  for (const uint32_t count : {2u, 3u, 9u, 17u, 64u}) {
    bshim::wake_slot(slot.index()).arrivals.store(bshim::state_for_round(kFirstRound));
    bshim::plan_arrival_tree(slot.index(), count, kFirstRound, cpus(2));
    for (uint32_t i = 1; i <= count; ++i) {
      // No TrackedWait: only an arrival that finds the round full uses it.
      const bshim::TreeArrival arrival = bshim::arrive_on_tree(slot.index(), count, nullptr);
      ASSERT_EQ(arrival.round, kFirstRound);
      if (i < count) {
        ASSERT_LT(arrival.place, count) << "count " << count << ", arrival " << i;
      } else {
        ASSERT_EQ(arrival.place, count) << "count " << count;
      }
      EXPECT_EQ(bshim::tree_arrivals_in_round(slot.index(), kFirstRound), i);
    }
    const uint64_t root = bshim::wake_slot(slot.index()).arrivals.load();
    EXPECT_EQ(bshim::round_of(root), kFirstRound);
    EXPECT_EQ(bshim::arrivals_of(root), (1u << slot.leaves()) - 1) << "every leaf carried";
  }
}

TEST(ArrivalTreeCounting, AnArrivalStartsAtItsCpusLeafAndTakesTheNextWhenThatIsFull) {
  TreeMode always(ArrivalTreeMode::kAlways);
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  const uint32_t count = 12;  // 3 leaves of 4
  bshim::wake_slot(slot.index()).arrivals.store(bshim::state_for_round(kFirstRound));
  bshim::plan_arrival_tree(slot.index(), count, kFirstRound, cpus(2));
  ASSERT_EQ(slot.leaves(), 3u);
  PinnedTo cpu0(0);
  ASSERT_TRUE(cpu0.pinned());
  for (uint32_t i = 1; i <= 4; ++i) {
    bshim::arrive_on_tree(slot.index(), count, nullptr);
    EXPECT_EQ(slot.leaf_arrivals(0, kFirstRound), i) << "CPU 0's leaf is leaf 0";
  }
  bshim::arrive_on_tree(slot.index(), count, nullptr);
  EXPECT_EQ(slot.leaf_arrivals(1, kFirstRound), 1u) << "leaf 0 full: the next one";
  EXPECT_EQ(bshim::arrivals_of(bshim::wake_slot(slot.index()).arrivals.load()), 1u)
      << "only the full leaf 0 is in the root's set";
}

TEST(ArrivalTreeCounting, LeavesFullFromTheRoundBeforeAreEmptyForTheNext) {
  TreeMode always(ArrivalTreeMode::kAlways);
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  const uint32_t count = 5;
  bshim::WakeSlot& root = bshim::wake_slot(slot.index());
  root.arrivals.store(bshim::state_for_round(kFirstRound));
  bshim::plan_arrival_tree(slot.index(), count, kFirstRound, cpus(2));
  for (uint32_t i = 0; i < count; ++i) bshim::arrive_on_tree(slot.index(), count, nullptr);
  // The completer's reset (wait_on_wake_slot.h): the leaves keep their words.
  root.arrivals.store(bshim::state_for_round(kFirstRound + 1));
  for (uint32_t i = 1; i <= count; ++i) {
    const bshim::TreeArrival arrival = bshim::arrive_on_tree(slot.index(), count, nullptr);
    ASSERT_EQ(arrival.round, kFirstRound + 1);
    EXPECT_EQ(arrival.place == count, i == count) << "arrival " << i;
  }
}

// Where the filler's frame lies, and jumps that discard it (to a point above
// it: stacks grow down) or keep it (to a point below it, inside the handler
// that interrupted it).
constexpr uintptr_t kFillersFrame = 0x7000'0000;
constexpr bshim::DiscardedFrames kJumpAboveTheFiller{kFillersFrame + 0x100, 0, 0};
constexpr bshim::DiscardedFrames kJumpInsideTheHandler{kFillersFrame - 0x100, 0, 0};

// A tree of `count` (2 leaves) in its first round, with `arrivals` of them
// counted by this thread pinned to CPU 0 (so leaf 0 fills first); then this
// thread plays a filler of leaf 1 interrupted between its note and its
// carry, and the wrapper's finish.
class FinishOfAFill : public ::testing::Test {
 protected:
  void start(uint32_t count, int arrivals) {
    ASSERT_GE(slot.index(), 0);
    root.arrivals.store(bshim::state_for_round(kFirstRound));
    root.open_round.store(kFirstRound);
    bshim::plan_arrival_tree(slot.index(), count, kFirstRound, cpus(2));
    ASSERT_TRUE(cpu0.pinned());
    for (int i = 0; i < arrivals; ++i) bshim::arrive_on_tree(slot.index(), count, nullptr);
    ASSERT_EQ(bshim::arrivals_of(root.arrivals.load()), 1u) << "leaf 0 full and carried";
    bshim::note_filling_for_test(slot.index(), 1, kFirstRound, kFillersFrame);
  }
  // Leaf 1 holds `arrivals`, full, filled by the thread of tag `filler`.
  void fill_leaf_1(uint32_t arrivals, uint32_t filler) {
    bshim::arrival_tree(slot.index()).leaves[1].word.store(
        bshim::leaf_word(kFirstRound, arrivals, filler));
  }
  TreeMode always{ArrivalTreeMode::kAlways};
  OwnSlot slot;
  bshim::WakeSlot& root = bshim::wake_slot(slot.index() >= 0 ? slot.index() : 0);
  PinnedTo cpu0{0};
};

// A thread that a signal handler's longjmp (or pthread_exit) takes out of its
// wait between the CAS that filled its leaf and that leaf's carry: the
// preload layer's wrapper calls finish_interrupted_tree_arrival, which
// carries the leaf, and completes the round if it was the last one.
TEST_F(FinishOfAFill, ALeafFilledButNotCarriedWhenItsThreadLeftIsCarriedByTheFinish) {
  start(4, 3);  // 2 leaves of 2: leaf 0 full, one arrival in leaf 1
  fill_leaf_1(2, bshim::this_thread_filler_tag());
  bshim::finish_interrupted_tree_arrival(kJumpAboveTheFiller);
  EXPECT_EQ(root.open_round.load(), kFirstRound + 1) << "the round was completed";
  EXPECT_EQ(root.arrivals.load(), bshim::state_for_round(kFirstRound + 1))
      << "and the root reset for the next";
  // Nothing is left to finish: a second call changes nothing.
  bshim::finish_interrupted_tree_arrival(kJumpAboveTheFiller);
  EXPECT_EQ(root.open_round.load(), kFirstRound + 1);
}

TEST_F(FinishOfAFill, TheFinishCarriesNothingForAFillThatDidNotHappen) {
  start(4, 3);
  // Taken away after its note, before its CAS: leaf 1 holds one arrival.
  bshim::finish_interrupted_tree_arrival(kJumpAboveTheFiller);
  EXPECT_EQ(bshim::arrivals_of(root.arrivals.load()), 1u);
  EXPECT_EQ(root.open_round.load(), kFirstRound);
}

// This thread noted its fill, but another thread's CAS filled the leaf
// first (and carries it); a jump out of this thread's wait before its own
// CAS must not carry that leaf: the round's completion, and its
// PTHREAD_BARRIER_SERIAL_THREAD, belong to the other filler (review10).
TEST_F(FinishOfAFill, TheFinishLeavesALeafAnotherThreadFilledToThatThread) {
  ASSERT_NE(bshim::this_thread_record(), nullptr);
  const uint32_t own_tag = bshim::this_thread_filler_tag();
  ASSERT_NE(own_tag, 0u);
  start(2, 1);  // 2 leaves of 1: leaf 0 full
  fill_leaf_1(1, own_tag + 1);
  bshim::finish_interrupted_tree_arrival(kJumpAboveTheFiller);
  EXPECT_EQ(bshim::arrivals_of(root.arrivals.load()), 1u) << "leaf 1 is the other filler's";
  EXPECT_EQ(root.open_round.load(), kFirstRound);
}

// A handler that jumps to a point inside itself (or a nested handler that
// jumps back into the one it interrupted) does not leave the wait: the
// filler resumes and carries its leaf itself, and completes the round and
// returns PTHREAD_BARRIER_SERIAL_THREAD if that was the last leaf. The
// finish leaves the fill alone, and still finishes it if a later jump does
// leave the wait.
TEST_F(FinishOfAFill, AJumpThatKeepsTheFillersFrameLeavesItsLeafToTheFiller) {
  start(2, 1);
  fill_leaf_1(1, bshim::this_thread_filler_tag());
  bshim::finish_interrupted_tree_arrival(kJumpInsideTheHandler);
  EXPECT_EQ(bshim::arrivals_of(root.arrivals.load()), 1u) << "leaf 1 is not carried for it";
  EXPECT_EQ(root.open_round.load(), kFirstRound) << "nor its round completed";
  EXPECT_TRUE(bshim::this_thread_is_filling_a_leaf()) << "the fill is still noted";
  // A second jump, out of the wait this time, finishes it.
  bshim::finish_interrupted_tree_arrival(kJumpAboveTheFiller);
  EXPECT_EQ(root.open_round.load(), kFirstRound + 1);
  EXPECT_FALSE(bshim::this_thread_is_filling_a_leaf());
}

// An asynchronously cancellable thread whose carry completes the round
// returns from the arrival with cancellation still deferred, and the type
// to put back once it has released the round: a request made meanwhile acts
// only after the release (else every other member would wait for ever). A
// non-completing arrival puts the type back itself.
TEST(ArrivalTreeCounting, TheCompleterKeepsAsynchronousCancellationDeferredUntilItsRelease) {
  TreeMode always(ArrivalTreeMode::kAlways);
  OwnSlot slot;
  ASSERT_GE(slot.index(), 0);
  const uint32_t count = 2;  // 2 leaves of 1
  bshim::WakeSlot& root = bshim::wake_slot(slot.index());
  root.arrivals.store(bshim::state_for_round(kFirstRound));
  bshim::plan_arrival_tree(slot.index(), count, kFirstRound, cpus(2));
  int before = 0;
  ASSERT_EQ(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &before), 0);
  const bshim::TreeArrival first = bshim::arrive_on_tree(slot.index(), count, nullptr);
  const int type_after_first = bshim_test::cancel_type_now();
  const bshim::TreeArrival last = bshim::arrive_on_tree(slot.index(), count, nullptr);
  const int type_after_last = bshim_test::cancel_type_now();
  pthread_setcanceltype(before, nullptr);
  EXPECT_EQ(first.place, 0u);
  EXPECT_EQ(type_after_first, PTHREAD_CANCEL_ASYNCHRONOUS) << "put back by the arrival";
  EXPECT_EQ(first.cancel_type, PTHREAD_CANCEL_DEFERRED) << "nothing left to put back";
  EXPECT_EQ(last.place, count);
  EXPECT_EQ(type_after_last, PTHREAD_CANCEL_DEFERRED) << "still deferred for the completion";
  EXPECT_EQ(last.cancel_type, PTHREAD_CANCEL_ASYNCHRONOUS) << "the caller puts it back";
}

// Many rounds of tree barriers: barrier_rounds_test.cc (its tree cases).

TEST(TreeBarrier, MoreThreadsThanCountFormFullRoundsOneAfterAnother) {
  TreeMode always(ArrivalTreeMode::kAlways);
  constexpr unsigned kCount = 5;
  constexpr unsigned kThreads = 10;
  constexpr unsigned kRounds = 1000;
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, kCount), 0);
  // One ticket per arrival, taken before it: exactly kRounds full rounds,
  // whoever makes them. (Fixed waits per thread could end with the last
  // waits left to fewer threads than the count, which hangs with any
  // barrier, glibc's too.)
  std::atomic<int> tickets{static_cast<int>(kCount * kRounds)};
  std::atomic<unsigned> serials{0};
  std::atomic<unsigned> bad_results{0};
  bshim_test::run_threads(kThreads, [&](unsigned) {
    while (tickets.fetch_sub(1) > 0) {
      const int result = bshim::barrier_wait(&barrier);
      if (result == PTHREAD_BARRIER_SERIAL_THREAD) {
        serials.fetch_add(1);
      } else if (result != 0) {
        bad_results.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(serials.load(), kRounds);
  EXPECT_EQ(bad_results.load(), 0u);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

// A private barrier of 9 with a tree of 3 leaves of 3, and its slot.
class TreeOfNine : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 9), 0);
    bshim::BarrierConstants constants;
    ASSERT_TRUE(bshim::load_live_barrier(&barrier, &constants));
    index = bshim::wake_slot_index(constants.flags);
    ASSERT_EQ(bshim::wake_slot_owner(index).leaves.load(), 3u);
  }
  TreeMode always{ArrivalTreeMode::kAlways};
  pthread_barrier_t barrier;
  int index = -1;
};

TEST_F(TreeOfNine, AWaiterOnALeafThatIsNotFullMakesDestroyAndInitBusy) {
  const uint32_t round = bshim::round_of(bshim::wake_slot(index).arrivals.load());
  std::thread waiter([&] { bshim::barrier_wait(&barrier); });
  ASSERT_TRUE(
      bshim_test::eventually([&] { return bshim::tree_arrivals_in_round(index, round) == 1; }));
  // The root shows nothing yet: no leaf is full.
  EXPECT_EQ(bshim::arrivals_of(bshim::wake_slot(index).arrivals.load()), 0u);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), EBUSY);
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, 9), EBUSY);
  // The other eight, from here (they go round once; the waiter leaves).
  bshim_test::run_threads(8, [&](unsigned) { bshim::barrier_wait(&barrier); });
  waiter.join();
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

// A thread without a record (more than 4096 at once) is judged from the
// barrier's counts: on a tree barrier those are in the leaves, and the root
// shows nothing until a leaf is full.
TEST_F(TreeOfNine, AnUntrackedArrivalOnALeafThatIsNotFullMakesDestroyBusy) {
  // Played here: an untracked thread's arrival, counted, and its wait.
  bshim::count_untracked_wait();
  bshim::arrive_on_tree(index, 9, nullptr);
  ASSERT_EQ(bshim::arrivals_of(bshim::wake_slot(index).arrivals.load()), 0u);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), EBUSY);
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, 9), EBUSY);
  // The untracked thread gone: its arrival is nobody's any more.
  bshim::uncount_untracked_wait();
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(TreeBarrier, ReinitialisedWithAnotherCountItTakesTheNewShape) {
  TreeMode always(ArrivalTreeMode::kAlways);
  pthread_barrier_t barrier;
  for (const unsigned count : {9u, 3u, 17u, 2u}) {
    ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, count), 0);
    std::atomic<unsigned> serials{0};
    bshim_test::run_threads(count, [&](unsigned) {
      for (int i = 0; i < 200; ++i) {
        if (bshim::barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) serials.fetch_add(1);
      }
    });
    EXPECT_EQ(serials.load(), 200u) << "count " << count;
    ASSERT_EQ(bshim::barrier_destroy(&barrier), 0);
  }
}

}  // namespace
