// The adaptive spin budget: grows to cover what rounds need, shrinks when
// rounds end up sleeping, and stays within its bounds.
#include <gtest/gtest.h>

#include "barrier/wait_policy.h"

namespace {

using bshim::next_spin_budget;
using bshim::wait_policy;

TEST(WaitPolicy, BudgetGrowsToTwiceWhatASuccessfulSpinNeeded) {
  const uint32_t budget = wait_policy().initial_spin_iterations;
  const uint32_t spun = budget - 1;  // completed just before running out
  EXPECT_EQ(next_spin_budget(budget, spun, true), 2 * spun);
}

TEST(WaitPolicy, BudgetHalvesWhenTheRoundHadToSleep) {
  const uint32_t budget = wait_policy().initial_spin_iterations;
  EXPECT_EQ(next_spin_budget(budget, budget, false), budget / 2);
}

TEST(WaitPolicy, RepeatedSleepsBottomOutAtTheMinimum) {
  uint32_t budget = wait_policy().max_spin_iterations;
  for (int round = 0; round < 64; ++round) budget = next_spin_budget(budget, budget, false);
  EXPECT_EQ(budget, wait_policy().min_spin_iterations);
}

TEST(WaitPolicy, RepeatedLongSpinsTopOutAtTheMaximum) {
  uint32_t budget = wait_policy().min_spin_iterations;
  for (int round = 0; round < 64; ++round) budget = next_spin_budget(budget, budget, true);
  EXPECT_EQ(budget, wait_policy().max_spin_iterations);
}

TEST(WaitPolicy, QuickRoundsKeepALargeBudget) {
  // A large budget costs nothing while rounds complete early.
  const uint32_t budget = wait_policy().max_spin_iterations;
  EXPECT_EQ(next_spin_budget(budget, 1, true), budget);
}

TEST(WaitPolicy, QuickRoundsBringAShrunkenBudgetBackToTheInitialOne) {
  uint32_t budget = wait_policy().min_spin_iterations;
  for (int round = 0; round < 200; ++round) budget = next_spin_budget(budget, 1, true);
  EXPECT_EQ(budget, wait_policy().initial_spin_iterations);
}

TEST(WaitPolicy, ARoundSeenInPhaseZeroGrowsAShrunkenBudgetByAnEighth) {
  const uint32_t shrunken = wait_policy().min_spin_iterations;
  EXPECT_EQ(bshim::spin_budget_after_quick_round(shrunken), shrunken + shrunken / 8 + 1);
}

TEST(WaitPolicy, RoundsSeenInPhaseZeroBringAShrunkenBudgetBackToTheInitialOneAndNoFurther) {
  uint32_t budget = wait_policy().min_spin_iterations;
  for (int round = 0; round < 200; ++round) budget = bshim::spin_budget_after_quick_round(budget);
  EXPECT_EQ(budget, wait_policy().initial_spin_iterations);
}

TEST(WaitPolicy, ARoundSeenInPhaseZeroLeavesAnInitialOrLargerBudgetAlone) {
  // Nothing to store: a steady program never writes its budget.
  EXPECT_EQ(bshim::spin_budget_after_quick_round(0), 0u);  // never adjusted
  const uint32_t large = wait_policy().max_spin_iterations;
  EXPECT_EQ(bshim::spin_budget_after_quick_round(large), large);
}

// Late rounds: the budget after a round that completed `waited_ns` after the
// spin gave up. Nanoseconds from iterations with the calibrated cost of one.
uint64_t ns_of(uint64_t iterations) { return iterations * wait_policy().relax_ns; }

TEST(WaitPolicy, ARoundSoonAfterTheSpinGaveUpMakesTheBudgetTwiceTheWholeWait) {
  const uint32_t spun = wait_policy().min_spin_iterations;
  const uint32_t halved = spun;  // at the minimum, halving stays there
  const uint32_t waited = spun / 2;
  EXPECT_EQ(bshim::spin_budget_after_late_round(halved, spun, ns_of(waited)), 2 * (spun + waited));
}

TEST(WaitPolicy, ALateRoundWhoseWholeWaitExceedsHalfTheInitialBudgetKeepsTheHalvedBudget) {
  // Twice it would not fit in the initial budget.
  const uint32_t initial = wait_policy().initial_spin_iterations;
  const uint32_t spun = initial / 2;
  EXPECT_EQ(bshim::spin_budget_after_late_round(spun / 2, spun, ns_of(initial / 4)), spun / 2);
}

TEST(WaitPolicy, ALateRoundOfHalfTheInitialBudgetMakesTheBudgetTheInitialOne) {
  const uint32_t initial = wait_policy().initial_spin_iterations & ~1u;
  const uint32_t spun = wait_policy().min_spin_iterations;
  EXPECT_EQ(bshim::spin_budget_after_late_round(spun, spun, ns_of(initial / 2 - spun)), initial);
}

// A member late by a little more than the initial budget, round after
// round, and its partner, who arrives late itself by its wake-up's latency
// after each round it slept (so it measures a shorter wait then). The
// partner must keep sleeping: a spin that covered the shortened wait would
// double the budget past the lateness, and it would spin through every
// round from then on. Returns how many of the last `rounds` it spun.
int rounds_spun_waiting_for(uint64_t late_iterations, uint64_t wake_up_iterations, int rounds) {
  uint32_t budget = wait_policy().min_spin_iterations;
  uint64_t own_lateness = 0;
  int spun_rounds = 0;
  for (int round = 0; round < 2 * rounds; ++round) {
    const uint64_t wait = late_iterations - own_lateness;
    if (wait <= budget) {
      budget = bshim::next_spin_budget(budget, static_cast<uint32_t>(wait), true);
      own_lateness = 0;
      if (round >= rounds) ++spun_rounds;
    } else {
      const uint32_t halved = bshim::next_spin_budget(budget, budget, false);
      budget = bshim::spin_budget_after_late_round(halved, budget, ns_of(wait - budget));
      own_lateness = wake_up_iterations;
    }
  }
  return spun_rounds;
}

TEST(WaitPolicy, APartnerOfAMemberLateByALittleMoreThanTheInitialBudgetKeepsSleeping) {
  const uint64_t initial = wait_policy().initial_spin_iterations;
  // 55 us late, 15 us wake-ups, with the default 50 us initial budget.
  EXPECT_EQ(rounds_spun_waiting_for(initial * 11 / 10, initial * 3 / 10, 100), 0);
}

TEST(WaitPolicy, ARoundLaterThanTheInitialBudgetKeepsTheHalvedBudget) {
  // A slow member: a budget that could not cover the wait only adds a
  // failed spin to every round.
  const uint32_t initial = wait_policy().initial_spin_iterations;
  const uint32_t spun = wait_policy().min_spin_iterations;
  EXPECT_EQ(bshim::spin_budget_after_late_round(spun, spun, ns_of(initial)), spun);
}

TEST(WaitPolicy, ALateRoundAfterASkippedSpinCountsOnlyItsWait) {
  const uint32_t minimum = wait_policy().min_spin_iterations;
  EXPECT_EQ(bshim::spin_budget_after_late_round(minimum, 0, ns_of(minimum)), 2 * minimum);
}

TEST(WaitPolicy, ALateRoundNeverLowersTheBudgetBelowTheHalvedOne) {
  const uint32_t initial = wait_policy().initial_spin_iterations;
  EXPECT_EQ(bshim::spin_budget_after_late_round(initial, 1, 0), initial);
}

// Slow rounds in a row (wait_policy.h): the record a budget's owner keeps.

constexpr uint64_t kLongSleepNs = 1'000'000;  // a member 1 ms late
constexpr uint64_t kShortSleepNs = 30'000;    // a wake-up's latency on a VM

bshim::SlowRounds slow_rounds_from(uint32_t first, uint32_t rounds) {
  bshim::SlowRounds slow{bshim::kNeverRound, 0};
  for (uint32_t round = first; round != first + rounds; ++round) {
    slow = bshim::after_timed_sleep(slow, round, kLongSleepNs);
  }
  return slow;
}

TEST(SlowRounds, EnoughLongSleepsInARowMakeTheNextRoundsSkipTheSpin) {
  const uint32_t first = 100;
  const uint32_t enough = bshim::kSlowRoundsBeforeSpinless;
  EXPECT_FALSE(bshim::skips_spin(slow_rounds_from(first, enough - 1), first + enough - 1));
  EXPECT_TRUE(bshim::skips_spin(slow_rounds_from(first, enough), first + enough));
}

TEST(SlowRounds, AShortSleepStartsTheCountOver) {
  // Once the budget is at its minimum a balanced program can sleep round
  // after round, each sleep as short as a wake-up: not a slow member.
  const uint32_t first = 100;
  const uint32_t enough = bshim::kSlowRoundsBeforeSpinless;
  bshim::SlowRounds slow = slow_rounds_from(first, enough);
  slow = bshim::after_timed_sleep(slow, first + enough, kShortSleepNs);
  EXPECT_EQ(slow.in_a_row, 0u);
  EXPECT_FALSE(bshim::skips_spin(slow, first + enough + 1));
}

TEST(SlowRounds, AShortSleepEachRoundNeverSkipsTheSpin) {
  bshim::SlowRounds slow{bshim::kNeverRound, 0};
  for (uint32_t round = 0; round < 100; ++round) {
    EXPECT_FALSE(bshim::skips_spin(slow, round));
    slow = bshim::after_timed_sleep(slow, round, kShortSleepNs);
  }
}

TEST(SlowRounds, ASpinThatSawItsRoundCompleteStartsTheCountOver) {
  const uint32_t first = 100;
  const uint32_t enough = bshim::kSlowRoundsBeforeSpinless;
  const bshim::SlowRounds slow = bshim::after_completed_spin(slow_rounds_from(first, enough));
  EXPECT_FALSE(bshim::skips_spin(slow, first + enough));
}

TEST(SlowRounds, SlowRoundsThatAreNotConsecutiveDoNotAddUp) {
  // Scattered hiccups, each sending one round to sleep, never make a run.
  bshim::SlowRounds slow{bshim::kNeverRound, 0};
  for (uint32_t round = 0; round < 100; round += 2) {
    slow = bshim::after_timed_sleep(slow, round, kLongSleepNs);
  }
  EXPECT_EQ(slow.in_a_row, 1u);
  EXPECT_FALSE(bshim::skips_spin(slow, 99));
}

TEST(SlowRounds, TheWaitersOfOneRoundCountItOnce) {
  bshim::SlowRounds slow{bshim::kNeverRound, 0};
  for (int waiter = 0; waiter < 20; ++waiter) slow = bshim::after_timed_sleep(slow, 7, kLongSleepNs);
  EXPECT_EQ(slow.in_a_row, 1u);
}

TEST(SlowRounds, SkippingEndsWhenNoSlowRoundCameForAWhile) {
  // Rounds that complete within phase 0 leave the record alone.
  const uint32_t first = 100;
  const uint32_t enough = bshim::kSlowRoundsBeforeSpinless;
  const bshim::SlowRounds slow = slow_rounds_from(first, enough);
  const uint32_t last = first + enough - 1;
  EXPECT_TRUE(bshim::skips_spin(slow, last + bshim::kSpinlessRounds));
  EXPECT_FALSE(bshim::skips_spin(slow, last + bshim::kSpinlessRounds + 1));
}

TEST(SlowRounds, TheCountCarriesAcrossTheRoundNumbersWrap) {
  const uint32_t first = bshim::kNeverRound - 3;  // wraps to 0 within the run
  bshim::SlowRounds slow{bshim::kNeverRound, 0};
  uint32_t round = first;
  for (uint32_t i = 0; i < bshim::kSlowRoundsBeforeSpinless; ++i) {
    slow = bshim::after_timed_sleep(slow, round, kLongSleepNs);
    round = bshim::next_round(round);
  }
  EXPECT_TRUE(bshim::skips_spin(slow, round));
}

}  // namespace
