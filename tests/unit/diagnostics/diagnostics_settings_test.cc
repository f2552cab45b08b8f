// Parsing BARRIER_SHIM_WATCHDOG's number of seconds (diagnostics_internal.h).
#include <gtest/gtest.h>

#include "diagnostics/diagnostics_internal.h"

namespace {

using bshim::parse_seconds_as_ns;

uint64_t parsed(const char* text) {
  uint64_t nanoseconds = 777;
  EXPECT_TRUE(parse_seconds_as_ns(text, &nanoseconds)) << text;
  return nanoseconds;
}

TEST(WatchdogSeconds, WholeSecondsAreAccepted) {
  EXPECT_EQ(parsed("0"), 0u);
  EXPECT_EQ(parsed("2"), 2'000'000'000u);
  EXPECT_EQ(parsed("3600"), 3'600'000'000'000u);
}

TEST(WatchdogSeconds, DecimalsAreAccepted) {
  EXPECT_EQ(parsed("0.5"), 500'000'000u);
  EXPECT_EQ(parsed("1.25"), 1'250'000'000u);
  EXPECT_EQ(parsed(".2"), 200'000'000u);
  EXPECT_EQ(parsed("4."), 4'000'000'000u);
  EXPECT_EQ(parsed("0.000000001"), 1u);
}

TEST(WatchdogSeconds, DigitsBeyondNanosecondsAreIgnored) {
  EXPECT_EQ(parsed("0.0000000019"), 1u);
}

TEST(WatchdogSeconds, AnythingElseIsRejectedAndLeavesTheResultAlone) {
  for (const char* text : {"", "-1", "+1", "1s", "abc", "1.2.3", "1e3", " 1", "1 ", ".",
                           "99999999999999999999", "1000000001"}) {
    uint64_t nanoseconds = 777;
    EXPECT_FALSE(parse_seconds_as_ns(text, &nanoseconds)) << '"' << text << '"';
    EXPECT_EQ(nanoseconds, 777u) << '"' << text << '"';
  }
}

}  // namespace
