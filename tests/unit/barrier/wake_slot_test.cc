#include <gtest/gtest.h>
#include <pthread.h>

#include <time.h>

#include <thread>
#include <vector>

#include "barrier/barrier.h"
#include "barrier/barrier_object_access.h"
#include "barrier/wait_on_wake_slot.h"
#include "barrier/wait_policy.h"
#include "os/monotonic_clock.h"
#include "scratch_slot.h"
#include "test_support.h"
#include "barrier/wake_slots.h"

namespace {

int slot_of(pthread_barrier_t* barrier) {
  return bshim::wake_slot_index(bshim::as_object(barrier)->flags.load());
}

TEST(WakeSlots, PrivateBarrierGetsASlotAndSharedOneInSharedMemoryDoesNot) {
  pthread_barrier_t private_barrier;
  pthread_barrier_t* shared_barrier = bshim_test::map_barrier_page(/*shared=*/true);
  ASSERT_NE(shared_barrier, nullptr);
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
  ASSERT_EQ(bshim::barrier_init(&private_barrier, nullptr, 2), 0);
  ASSERT_EQ(bshim::barrier_init(shared_barrier, &attr, 2), 0);
  EXPECT_GE(slot_of(&private_barrier), 0);
  EXPECT_LT(slot_of(shared_barrier), 0);
  EXPECT_EQ(bshim::barrier_destroy(&private_barrier), 0);
  EXPECT_EQ(bshim::barrier_destroy(shared_barrier), 0);
  bshim_test::unmap_barrier_page(shared_barrier);
}

TEST(WakeSlots, SharedBarrierInPrivateMemoryGetsASlot) {
  // Heap, stack and MAP_PRIVATE memory cannot be shared with another process,
  // so only this process's threads can use the barrier: the slot path serves.
  pthread_barrier_t* private_page = bshim_test::map_barrier_page(/*shared=*/false);
  ASSERT_NE(private_page, nullptr);
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
  ASSERT_EQ(bshim::barrier_init(private_page, &attr, 2), 0);
  EXPECT_GE(slot_of(private_page), 0);
  EXPECT_EQ(bshim::barrier_destroy(private_page), 0);
  bshim_test::unmap_barrier_page(private_page);
}

TEST(WakeSlots, ReinitAtTheSameAddressKeepsTheSameSlot) {
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 2), 0);
  const int first = slot_of(&barrier);
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 3), 0);  // no destroy in between
  EXPECT_EQ(slot_of(&barrier), first);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(WakeSlots, TwoLiveBarriersNeverShareASlot) {
  std::vector<pthread_barrier_t> barriers(200);
  std::vector<bool> used(bshim::kWakeSlotCount, false);
  for (auto& barrier : barriers) {
    ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 2), 0);
    const int slot = slot_of(&barrier);
    ASSERT_GE(slot, 0);
    EXPECT_FALSE(used[slot]) << "slot " << slot << " given out twice";
    used[slot] = true;
  }
  for (auto& barrier : barriers) EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(WakeSlots, BarrierWithoutAFreeSlotFallsBackToTheObjectPathAndStillWorks) {
  // Occupy every free slot with fake owners (earlier tests may hold some),
  // then initialise a real barrier.
  std::vector<int> taken;
  for (uintptr_t fake = 0x1000; fake < 0x1000 + 8 * 100000; fake += 8) {
    const int slot = bshim::claim_wake_slot(fake, 1);
    if (slot >= 0) taken.push_back(slot);
  }
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 4), 0);
  EXPECT_LT(slot_of(&barrier), 0);
  std::atomic<int> serials{0};
  bshim_test::run_threads(4, [&](unsigned) {
    for (int round = 0; round < 1000; ++round) {
      if (bshim::barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) serials++;
    }
  });
  EXPECT_EQ(serials.load(), 1000);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
  for (int slot : taken) bshim::release_wake_slot(slot, bshim::wake_slot_owner(slot).address.load(), 1);
}

// An asynchronously cancellable thread whose arrival is the round's last
// returns from it with cancellation still deferred, and the type to put back
// once it has released the round: a request made meanwhile acts only after
// the release (acted on in between, it would leave every other member
// waiting for ever). An arrival that is not the last puts the type back
// itself, so the rest of its wait stays cancellable as the caller chose.
TEST(WakeSlotArrival, TheLastArrivalKeepsAsynchronousCancellationDeferredUntilItsRelease) {
  constexpr uint32_t kRound = 500;
  bshim_test::ScratchSlot scratch(0x7e57'0000'0080, 78);
  ASSERT_TRUE(scratch.claimed());
  bshim::WakeSlot& slot = scratch.open_at(kRound);
  int before = 0;
  ASSERT_EQ(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &before), 0);
  const auto first = bshim::wake_slot_detail::arrive_on_slot(slot, 2, nullptr);
  const int type_after_first = bshim_test::cancel_type_now();
  const auto last = bshim::wake_slot_detail::arrive_on_slot(slot, 2, nullptr);
  const int type_after_last = bshim_test::cancel_type_now();
  pthread_setcanceltype(before, nullptr);
  EXPECT_EQ(bshim::arrivals_of(first.before), 0u);
  EXPECT_EQ(type_after_first, PTHREAD_CANCEL_ASYNCHRONOUS) << "put back by the arrival";
  EXPECT_EQ(first.cancel_type, PTHREAD_CANCEL_DEFERRED) << "nothing left to put back";
  EXPECT_EQ(bshim::arrivals_of(last.before), 1u);
  EXPECT_EQ(type_after_last, PTHREAD_CANCEL_DEFERRED) << "still deferred for the release";
  EXPECT_EQ(last.cancel_type, PTHREAD_CANCEL_ASYNCHRONOUS) << "the caller puts it back";
}

// A waiter of `round` on the slot `index` (count 2, may spin), while this
// thread completes the round only once the waiter sleeps, and `late_ns`
// after that: the waiter's spin always fails, and its sleep lasts at least
// `late_ns`.
// `last_sleep`: what the waiter thread has done before (its last sleep).
// Returns the waiter thread's last sleep after the wait.
bshim::LastSleep one_round_completed_after_the_waiter_sleeps(
    const bshim_test::ScratchSlot& scratch, uint32_t round, uint64_t late_ns,
    bshim::LastSleep last_sleep = {nullptr, 0}) {
  bshim::WakeSlot& slot = scratch.slot();
  const bshim::BarrierConstants constants = scratch.spinning_constants(2);
  bshim::LastSleep after{};
  std::thread waiter([&] {
    bshim::t_last_sleep = last_sleep;
    bshim::WaitRecord record;
    bshim::wait_for_round_on_slot(slot, constants, round, record);
    after = bshim::t_last_sleep;
  });
  while (slot.sleepers.load() == 0) sched_yield();
  // (Not even a nanosleep of 0 when not late: it lasts the timer slack, 50 us.)
  if (late_ns != 0) {
    const struct timespec late = {0, static_cast<long>(late_ns)};
    nanosleep(&late, nullptr);
  }
  bshim::wake_slot_detail::complete_round(slot, round);
  waiter.join();
  return after;
}

// Rounds in which the waiter sleeps long (a member 1 ms late), one after the
// other, make the next rounds' waiters skip the spin and sleep at once
// (wait_policy.h: slow rounds in a row). The spin's budget shows it: a
// waiter that spins and fails halves it; one that skips leaves it alone.
TEST(WakeSlotWaiting, LongSleepsRoundAfterRoundMakeTheNextWaiterSkipItsSpin) {
  constexpr uint32_t kFirstRound = 700;
  constexpr uint64_t kLateNs = 1'000'000;
  bshim_test::ScratchSlot scratch(0x7e57'0000'00c0, 79);
  ASSERT_TRUE(scratch.claimed());
  bshim::WakeSlot& slot = scratch.open_at(kFirstRound);
  // At the minimum already, as after a few rounds that slept.
  slot.spin_budget.store(bshim::wait_policy().min_spin_iterations);
  uint32_t round = kFirstRound;
  for (uint32_t i = 0; i < bshim::kSlowRoundsBeforeSpinless; ++i) {
    one_round_completed_after_the_waiter_sleeps(scratch, round, kLateNs);
    round = bshim::next_round(round);
  }
  const bshim::SlowRounds slow{slot.slow_last.load(), slot.slow_in_a_row.load()};
  EXPECT_EQ(slow.in_a_row, bshim::kSlowRoundsBeforeSpinless);
  const uint32_t probe_budget = bshim::wait_policy().max_spin_iterations;
  slot.spin_budget.store(probe_budget);
  one_round_completed_after_the_waiter_sleeps(scratch, round, kLateNs);
  EXPECT_EQ(slot.spin_budget.load(), probe_budget) << "the waiter spun (and halved its budget)";
}

// A round completed as soon as its waiter sleeps, after a failed spin at the
// minimum budget: the whole wait is the minimum spin and a wake-up, far
// within the initial budget, so the budget rises instead of staying halved
// at the minimum (wait_policy.h, late rounds). Only a wake-up slower than
// the initial budget keeps the minimum: on a loaded machine most are, hence
// tries for up to bshim_test::kRetryForNs.
TEST(WakeSlotWaiting, ARoundThatCompletesSoonAfterTheSpinGaveUpRaisesTheBudget) {
  constexpr uint32_t kFirstRound = 800;
  bshim_test::ScratchSlot scratch(0x7e57'0000'0140, 81);
  ASSERT_TRUE(scratch.claimed());
  bshim::WakeSlot& slot = scratch.open_at(kFirstRound);
  const uint32_t minimum = bshim::wait_policy().min_spin_iterations;
  uint32_t round = kFirstRound;
  uint32_t after = minimum;
  const uint64_t give_up_ns = bshim::monotonic_ns() + bshim_test::kRetryForNs;
  while (after <= minimum && bshim::monotonic_ns() < give_up_ns) {
    slot.spin_budget.store(minimum);
    one_round_completed_after_the_waiter_sleeps(scratch, round, 0);
    after = slot.spin_budget.load();
    round = bshim::next_round(round);
  }
  EXPECT_GT(after, minimum) << "halved again, at the minimum";
  EXPECT_LE(after, bshim::wait_policy().initial_spin_iterations);
}

// The same round, but the waiter slept in the round before on this slot:
// it arrived late itself, so its short wait says nothing about the members,
// and the budget stays halved (wait_policy.h, LastSleep). Each such round
// comes with one whose waiter did not sleep before (the control), until the
// control's budget has risen a few times: only a wake-up as prompt as those
// makes a late round look short, and on a loaded machine most are not.
TEST(WakeSlotWaiting, AWaiterThatSleptInTheRoundBeforeLeavesTheBudgetHalvedAfterALateRound) {
  constexpr uint32_t kFirstRound = 820;
  constexpr int kControlsRaised = 5;
  const uint32_t minimum = bshim::wait_policy().min_spin_iterations;
  bshim_test::ScratchSlot scratch(0x7e57'0000'0180, 82);
  ASSERT_TRUE(scratch.claimed());
  bshim::WakeSlot& slot = scratch.open_at(kFirstRound, minimum);
  uint32_t round = kFirstRound;
  uint32_t previous = kFirstRound - 1;
  uint32_t largest_after_a_sleep = 0;
  int controls_raised = 0;
  const uint64_t give_up_ns = bshim::monotonic_ns() + bshim_test::kRetryForNs;
  while (controls_raised < kControlsRaised && bshim::monotonic_ns() < give_up_ns) {
    slot.spin_budget.store(minimum);
    one_round_completed_after_the_waiter_sleeps(scratch, round, 0, {&slot, previous});
    if (slot.spin_budget.load() > largest_after_a_sleep) {
      largest_after_a_sleep = slot.spin_budget.load();
    }
    previous = round;
    round = bshim::next_round(round);
    slot.spin_budget.store(minimum);
    one_round_completed_after_the_waiter_sleeps(scratch, round, 0);
    if (slot.spin_budget.load() > minimum) ++controls_raised;
    previous = round;
    round = bshim::next_round(round);
  }
  EXPECT_GT(controls_raised, 0) << "no wake-up was prompt: nothing was tested";
  EXPECT_EQ(largest_after_a_sleep, minimum);
}

// A wait that sleeps records the slot and the round (wait_policy.h,
// LastSleep).
TEST(WakeSlotWaiting, AWaitThatSleptBecomesItsThreadsLastSleep) {
  constexpr uint32_t kRound = 840;
  bshim_test::ScratchSlot scratch(0x7e57'0000'01c0, 83);
  ASSERT_TRUE(scratch.claimed());
  bshim::WakeSlot& slot = scratch.open_at(kRound);
  const bshim::LastSleep waiter = one_round_completed_after_the_waiter_sleeps(scratch, kRound, 0);
  EXPECT_EQ(waiter.where, &slot);
  EXPECT_EQ(waiter.round, kRound);
}

}  // namespace
