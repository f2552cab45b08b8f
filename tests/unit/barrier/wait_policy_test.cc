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

}  // namespace
