// How each wait path moves its adaptive spin budget (wait_policy.h): rounds
// seen in phase 0 bring a shrunken budget back, and a round that completes
// soon after the spin gave up raises it instead of halving it. The wake
// slot keeps one budget per barrier, the object path one per thread.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <ucontext.h>

#include <atomic>
#include <thread>

#include "barrier/barrier.h"
#include "barrier/barrier_object_access.h"
#include "barrier/wait_on_wake_slot.h"
#include "barrier/wait_paths.h"
#include "barrier/wait_policy.h"
#include "barrier/wake_slots.h"
#include "contract/barrier_layout.h"
#include "os/monotonic_clock.h"
#include "scratch_slot.h"
#include "test_support.h"
#include "../../behaviour/single_step.h"

namespace {

using bshim::wait_policy;

// Rounds of two threads in the tests below: enough quick rounds to climb
// from the minimum to the initial budget (an eighth at a time: about 20)
// many times over.
constexpr int kRounds = 400;

// What the balanced rounds must bring a budget at the minimum back to at
// least: six quick rounds' growth (1.125^6 = 2.03). Not the initial budget
// itself: on a loaded machine most rounds sleep long, each halving it
// again, and between them the climb rarely goes all the way; but without
// the phase-0 growth an unloaded run stays at the minimum exactly.
uint32_t grown_back_enough() { return 2 * wait_policy().min_spin_iterations; }

constexpr greg_t kTrapFlag = 0x100;  // EFLAGS.TF

bool may_spin(pthread_barrier_t* barrier) {
  return (bshim::as_object(barrier)->flags.load() & bshim::kFlagSpin) != 0;
}

// A round that is already over when its waiter first polls: the waiter of
// round `round` on the slot sees it at once, in phase 0, and leaves.
TEST(SpinBudget, ARoundSeenInPhaseZeroGrowsTheWakeSlotsShrunkenBudgetBack) {
  constexpr uint32_t kRound = 900;
  bshim_test::ScratchSlot scratch(0x7e57'0000'0100, 80);
  ASSERT_TRUE(scratch.claimed());
  const uint32_t shrunken = wait_policy().min_spin_iterations;
  bshim::WakeSlot& slot = scratch.open_at(kRound, shrunken);
  slot.open_round.store(bshim::next_round(kRound));
  int result;
  bshim::WaitRecord record;
  {
    bshim::TrackedWait tracked(reinterpret_cast<const void*>(scratch.address()), scratch.generation(),
                               &record);
    record.tracked = &tracked;
    result = bshim::wait_on_wake_slot(scratch.spinning_constants(2), slot, &record);
  }
  const uint32_t after = slot.spin_budget.load();
  EXPECT_EQ(result, 0);
  EXPECT_EQ(record.outcome, bshim::WaitOutcome::kSpun) << "not seen in phase 0";
  EXPECT_EQ(after, bshim::spin_budget_after_quick_round(shrunken));
  EXPECT_GT(after, shrunken);
}

// The object path's phase 0, made deterministic: the waiter is
// single-stepped (the x86 trap flag) from its call until its arrival shows
// in the barrier's state; then its SIGTRAP handler completes the round (a
// nested wait, the last arrival) and stops the stepping, so the waiter's
// first poll sees the round over.
pthread_barrier_t* g_stepped_barrier = nullptr;
volatile sig_atomic_t g_completed_by_handler = 0;

void complete_the_round_once_arrived(int, siginfo_t*, void* context) {
  if (!g_completed_by_handler &&
      bshim::arrivals_of(bshim::as_object(g_stepped_barrier)->state.load()) == 1) {
    g_completed_by_handler = 1;
    bshim::barrier_wait(g_stepped_barrier);
  }
  if (g_completed_by_handler) {
    static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_EFL] &= ~kTrapFlag;
  }
}

TEST(SpinBudget, ARoundSeenInPhaseZeroGrowsAThreadsShrunkenObjectPathBudgetBack) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "single-stepping needs the x86 trap flag";
#elif defined(__SANITIZE_THREAD__)
  // The handler's atomics go through ThreadSanitizer's runtime, which the
  // trap may have interrupted holding the lock they need.
  GTEST_SKIP() << "single-stepping deadlocks inside ThreadSanitizer's runtime";
#endif
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  if (!may_spin(barrier)) GTEST_SKIP() << "fewer than 2 CPUs: nobody spins";
  struct sigaction step = {}, before = {};
  step.sa_sigaction = complete_the_round_once_arrived;
  step.sa_flags = SA_SIGINFO;
  sigemptyset(&step.sa_mask);
  ASSERT_EQ(sigaction(SIGTRAP, &step, &before), 0);
  g_stepped_barrier = barrier;
  g_completed_by_handler = 0;
  const uint32_t shrunken = wait_policy().min_spin_iterations;
  bshim::set_object_path_spin_budget(shrunken);
  trap_flag(true);  // until the handler clears it in the context
  const int result = bshim::barrier_wait(barrier);
  const uint32_t after = bshim::object_path_spin_budget();
  sigaction(SIGTRAP, &before, nullptr);
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
  bshim_test::unmap_barrier_page(barrier);
  ASSERT_EQ(g_completed_by_handler, 1);
  EXPECT_EQ(result, 0) << "the handler's wait was the last arrival";
  EXPECT_EQ(after, bshim::spin_budget_after_quick_round(shrunken));
  EXPECT_GT(after, shrunken);
}

// Two threads run kRounds balanced rounds at `barrier`, each starting from
// the minimum budget (`set_budget`); returns the largest budget either saw
// (`read_budget`) after one of its waits.
template <typename Read, typename Set>
uint32_t largest_budget_over_balanced_rounds(pthread_barrier_t* barrier, Read read_budget,
                                             Set set_budget) {
  std::atomic<uint32_t> largest{0};
  set_budget(wait_policy().min_spin_iterations);
  bshim_test::run_threads(2, [&](unsigned) {
    set_budget(wait_policy().min_spin_iterations);
    bshim::barrier_wait(barrier);  // both start from the minimum
    for (int round = 0; round < kRounds; ++round) {
      bshim::barrier_wait(barrier);
      uint32_t seen = read_budget();
      uint32_t known = largest.load();
      while (seen > known && !largest.compare_exchange_weak(known, seen)) {
      }
    }
  });
  return largest.load();
}

TEST(SpinBudget, BalancedRoundsBringTheWakeSlotsShrunkenBudgetBack) {
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 2), 0);
  if (!may_spin(&barrier)) GTEST_SKIP() << "fewer than 2 CPUs: nobody spins";
  const int index = bshim::wake_slot_index(bshim::as_object(&barrier)->flags.load());
  ASSERT_GE(index, 0);
  bshim::WakeSlot& slot = bshim::wake_slot(index);
  const uint32_t largest = largest_budget_over_balanced_rounds(
      &barrier, [&] { return slot.spin_budget.load(); },
      [&](uint32_t budget) { slot.spin_budget.store(budget); });
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
  EXPECT_GE(largest, grown_back_enough());
}

TEST(SpinBudget, BalancedRoundsBringAThreadsShrunkenObjectPathBudgetBack) {
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  if (!may_spin(barrier)) GTEST_SKIP() << "fewer than 2 CPUs: nobody spins";
  ASSERT_LT(bshim::wake_slot_index(bshim::as_object(barrier)->flags.load()), 0);
  const uint32_t largest = largest_budget_over_balanced_rounds(
      barrier, [] { return bshim::object_path_spin_budget(); },
      [](uint32_t budget) { bshim::set_object_path_spin_budget(budget); });
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
  bshim_test::unmap_barrier_page(barrier);
  EXPECT_GE(largest, grown_back_enough());
}

// What the waiter of a prompt completion below ends with.
struct AfterPromptCompletion {
  uint32_t budget;              // its spin budget
  bshim::LastSleep last_sleep;  // its thread's last sleep
};

// The object path: a waiter at the minimum budget, `last_sleep` its
// thread's last sleep, whose spin fails and whose round this thread
// completes as soon as the waiter has said it will sleep.
AfterPromptCompletion after_a_prompt_completion(pthread_barrier_t* barrier,
                                                bshim::LastSleep last_sleep) {
  const uint32_t minimum = wait_policy().min_spin_iterations;
  AfterPromptCompletion after{};
  std::thread waiter([&] {
    bshim::t_last_sleep = last_sleep;
    bshim::set_object_path_spin_budget(minimum);
    bshim::barrier_wait(barrier);
    after = {bshim::object_path_spin_budget(), bshim::t_last_sleep};
  });
  while ((bshim::as_object(barrier)->state.load() & bshim::kSleepersBit) == 0) sched_yield();
  bshim::barrier_wait(barrier);
  waiter.join();
  return after;
}

uint32_t budget_after_a_prompt_completion(pthread_barrier_t* barrier, bshim::LastSleep last_sleep) {
  return after_a_prompt_completion(barrier, last_sleep).budget;
}

// The round whose next round is `round`.
uint32_t round_before(uint32_t round) { return round == 0 ? bshim::kNeverRound - 1 : round - 1; }

// The object path: a waiter at the minimum budget whose spin fails, and
// whose round this thread completes as soon as the waiter has said it will
// sleep (the sleepers bit). Its whole wait is the minimum spin and a
// wake-up, far within the initial budget, so its budget rises; only a
// wake-up slower than the initial budget keeps the minimum: on a loaded
// machine most are, hence tries for up to bshim_test::kRetryForNs.
TEST(SpinBudget, ARoundThatCompletesSoonAfterTheSpinGaveUpRaisesAThreadsObjectPathBudget) {
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  if (!may_spin(barrier)) GTEST_SKIP() << "fewer than 2 CPUs: nobody spins";
  const uint32_t minimum = wait_policy().min_spin_iterations;
  uint32_t after = minimum;
  const uint64_t give_up_ns = bshim::monotonic_ns() + bshim_test::kRetryForNs;
  while (after <= minimum && bshim::monotonic_ns() < give_up_ns) {
    after = budget_after_a_prompt_completion(barrier, {nullptr, 0});
  }
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
  bshim_test::unmap_barrier_page(barrier);
  EXPECT_GT(after, minimum) << "halved again, at the minimum";
  EXPECT_LE(after, wait_policy().initial_spin_iterations);
}

// The same, but the waiter slept in the round before at this barrier: its
// own late arrival shortened its wait, and the budget stays halved
// (wait_policy.h, LastSleep). Each such round comes with one whose waiter
// did not sleep before (the control), until the control's budget has risen
// a few times: only a wake-up as prompt as those makes a late round look
// short, and on a loaded machine most are not.
TEST(SpinBudget, AThreadThatSleptInTheRoundBeforeKeepsItsHalvedObjectPathBudget) {
  constexpr int kControlsRaised = 5;
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  if (!may_spin(barrier)) GTEST_SKIP() << "fewer than 2 CPUs: nobody spins";
  const bshim::BarrierObject* object = bshim::as_object(barrier);
  const uint32_t minimum = wait_policy().min_spin_iterations;
  uint32_t largest_after_a_sleep = 0;
  int controls_raised = 0;
  const uint64_t give_up_ns = bshim::monotonic_ns() + bshim_test::kRetryForNs;
  while (controls_raised < kControlsRaised && bshim::monotonic_ns() < give_up_ns) {
    const uint32_t round = bshim::round_of(object->state.load());
    const uint32_t after = budget_after_a_prompt_completion(barrier, {object, round_before(round)});
    if (after > largest_after_a_sleep) largest_after_a_sleep = after;
    if (budget_after_a_prompt_completion(barrier, {nullptr, 0}) > minimum) ++controls_raised;
  }
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
  bshim_test::unmap_barrier_page(barrier);
  EXPECT_GT(controls_raised, 0) << "no wake-up was prompt: nothing was tested";
  EXPECT_EQ(largest_after_a_sleep, minimum);
}

// A wait that sleeps records where and in which round (wait_policy.h,
// LastSleep); the round's completer, which does not sleep, leaves its own
// record alone (in a convoy it was the round before's late completer).
TEST(SpinBudget, AnObjectPathWaitThatSleptBecomesItsThreadsLastSleep) {
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  const bshim::BarrierObject* object = bshim::as_object(barrier);
  const uint32_t round = bshim::round_of(object->state.load());
  const int elsewhere = 0;
  bshim::t_last_sleep = {&elsewhere, 7};
  const AfterPromptCompletion after = after_a_prompt_completion(barrier, {nullptr, 0});
  const bshim::LastSleep completer = bshim::t_last_sleep;
  bshim::t_last_sleep = {nullptr, 0};
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
  bshim_test::unmap_barrier_page(barrier);
  EXPECT_EQ(after.last_sleep.where, object);
  EXPECT_EQ(after.last_sleep.round, round);
  EXPECT_EQ(completer.where, &elsewhere);
  EXPECT_EQ(completer.round, 7u);
}

}  // namespace
