// Long yields (wait_policy.h): a SCHED_OTHER waiter whose yields keep giving
// its CPU away for a time slice stops yielding for a while, and one long
// yield among short ones changes nothing.
#include <gtest/gtest.h>

#include "barrier/wait_policy.h"

namespace {

using bshim::after_yield;
using bshim::kLongYieldSkipFirst;
using bshim::kLongYieldSkipMost;
using bshim::LongYields;

// Feeds `count` yields, all long or all short; returns the last answer.
uint32_t yields(LongYields& record, int count, bool long_yield) {
  uint32_t skip = 0;
  for (int i = 0; i < count; ++i) skip = after_yield(record, long_yield);
  return skip;
}

TEST(LongYields, ShortYieldsSkipNothing) {
  LongYields record{};
  EXPECT_EQ(yields(record, 100, false), 0u);
}

TEST(LongYields, OneLongYieldAmongShortOnesSkipsNothing) {
  LongYields record{};
  yields(record, 5, false);
  EXPECT_EQ(after_yield(record, true), 0u);
  EXPECT_EQ(yields(record, 20, false), 0u);
}

TEST(LongYields, TwoLongYieldsMoreThanSixteenYieldsApartSkipNothing) {
  LongYields record{};
  EXPECT_EQ(after_yield(record, true), 0u);
  yields(record, 16, false);
  EXPECT_EQ(after_yield(record, true), 0u);
}

TEST(LongYields, TwoLongYieldsAmongTheLastSixteenSkipTheYieldPhase) {
  LongYields record{};
  EXPECT_EQ(after_yield(record, true), 0u);
  yields(record, 14, false);
  EXPECT_EQ(after_yield(record, true), kLongYieldSkipFirst);
}

TEST(LongYields, EachFurtherLongYieldDoublesTheSkipUpToTheMost) {
  LongYields record{};
  after_yield(record, true);
  EXPECT_EQ(after_yield(record, true), kLongYieldSkipFirst);
  EXPECT_EQ(after_yield(record, true), 2 * kLongYieldSkipFirst);
  EXPECT_EQ(after_yield(record, false), 0u);  // a short one in between
  EXPECT_EQ(after_yield(record, true), 4 * kLongYieldSkipFirst);
  EXPECT_EQ(yields(record, 64, true), kLongYieldSkipMost);
}

TEST(LongYields, SixteenShortYieldsInARowForgetTheLongOnes) {
  LongYields record{};
  yields(record, 5, true);
  yields(record, 16, false);
  EXPECT_EQ(after_yield(record, true), 0u);
  EXPECT_EQ(after_yield(record, true), kLongYieldSkipFirst);
}

}  // namespace
