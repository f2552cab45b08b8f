// The watchdog: one report per stuck round (watchdog_claims.h), and what the
// report and the completion line say (watchdog_report.h), including a
// backtrace that names the waiting function.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "contract/barrier_layout.h"
#include "contract/diagnostic_hooks.h"
#include "diagnostics/unwinder.h"
#include "diagnostics/watchdog_claims.h"
#include "diagnostics/watchdog_report.h"

namespace {

using bshim::watchdog_claim_round;
using bshim::watchdog_note_completed;

class WatchdogClaims : public ::testing::Test {
 protected:
  void SetUp() override { bshim::watchdog_claims_reset(); }
  void TearDown() override { bshim::watchdog_claims_reset(); }
};

const void* fake_barrier(uintptr_t index) {
  return reinterpret_cast<const void*>(0x20000 + index * 32);
}

TEST_F(WatchdogClaims, OnlyTheFirstReportOfAStuckRoundIsClaimed) {
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 4, 100, 1000));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1), 4, 100, 2000));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1), 4, 150, 3000));  // another waiter
}

TEST_F(WatchdogClaims, ALaterStuckRoundOfTheSameBarrierIsClaimedAgain) {
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 4, 100, 1000));
  watchdog_note_completed(fake_barrier(1), 4, 1500);
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 5, 1600, 3000));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1), 5, 1600, 4000));
}

TEST_F(WatchdogClaims, ANewRoundIsClaimedEvenIfTheOldOneWasNeverSeenToComplete) {
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 4, 100, 1000));
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 5, 1600, 3000));
}

TEST_F(WatchdogClaims, BarriersAreClaimedIndependently) {
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 0, 100, 1000));
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(2), 0, 100, 1000));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1), 0, 100, 1000));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(2), 0, 100, 1000));
}

TEST_F(WatchdogClaims, ALateWaiterOfACompletedRoundStaysSilent) {
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 4, 100, 1000));
  watchdog_note_completed(fake_barrier(1), 4, 1500);
  // Entered at 120, before the completion: a waiter of that very round whose
  // timed sleep expired just as it completed.
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1), 4, 120, 1501));
}

TEST_F(WatchdogClaims, TheSameRoundNumberInANewEpisodeIsClaimedAgain) {
  // A barrier re-initialised at the same address starts at round 0 again.
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 0, 100, 1000));
  watchdog_note_completed(fake_barrier(1), 0, 1500);
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1), 0, 1600, 3000));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1), 0, 1700, 3100));
}

TEST_F(WatchdogClaims, OfManyConcurrentClaimersOfARoundExactlyOneWins) {
  constexpr int kThreads = 8;
  constexpr uintptr_t kBarriers = 64;  // each a race of its own
  std::vector<std::atomic<int>> winners(kBarriers);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) {
      }
      for (uintptr_t b = 0; b < kBarriers; ++b) {
        if (watchdog_claim_round(fake_barrier(b), 3, 10, 20)) winners[b].fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (uintptr_t b = 0; b < kBarriers; ++b) EXPECT_EQ(winners[b].load(), 1) << b;
}

TEST_F(WatchdogClaims, WithTheTableFullFurtherBarriersAreReportedAtARateLimit) {
  for (uintptr_t i = 0; i < bshim::kWatchdogClaimEntries; ++i) {
    EXPECT_TRUE(watchdog_claim_round(fake_barrier(i), 0, 10, 20)) << i;
  }
  const uint64_t now = 50'000'000'000ULL;
  EXPECT_TRUE(watchdog_claim_round(fake_barrier(1000), 0, 10, now));
  EXPECT_FALSE(watchdog_claim_round(fake_barrier(1001), 0, 10, now + 1));
  EXPECT_FALSE(
      watchdog_claim_round(fake_barrier(1000), 0, 10, now + bshim::kUnclaimedReportIntervalNs - 1));
  EXPECT_TRUE(
      watchdog_claim_round(fake_barrier(1001), 0, 10, now + bshim::kUnclaimedReportIntervalNs));
}

// What a report written to a memory file says.
template <typename Write>
std::string written_by(Write write) {
  const int fd = memfd_create("watchdog-report", 0);
  EXPECT_GE(fd, 0);
  write(fd);
  std::string text(static_cast<size_t>(lseek(fd, 0, SEEK_END)), '\0');
  EXPECT_EQ(pread(fd, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  close(fd);
  return text;
}

// A barrier whose state word says: round `round`, `arrived` arrivals.
struct FakeBarrierState {
  alignas(8) uint64_t words[4];
  FakeBarrierState(uint32_t round, uint32_t arrived) : words{} {
    words[0] = bshim::state_for_round(round) | arrived;
  }
};

// Not static, not inlined: the backtrace must show it by name.
extern "C" __attribute__((noinline)) void watchdog_test_waiting_function(
    int fd, const bshim::StuckWait* wait) {
  bshim::watchdog_write_stuck_report(fd, *wait);
  __asm__ __volatile__("" ::: "memory");  // no tail call: keep this frame
}

// The preload library dlopens libunwind; this test binary links it, and
// installs its local unwinder the same way.
void install_linked_unwinder() {
  bshim::install_unwinder({unw_tdep_getcontext, unw_init_local, unw_step, unw_get_reg,
                           unw_is_signal_frame});
}

TEST(WatchdogReport, TheReportSaysWhoWaitsWhereForHowLongAndHowFarTheRoundGot) {
  install_linked_unwinder();
  FakeBarrierState barrier(5, 2);
  const bshim::StuckWait wait{&barrier, &barrier, -1, 3, 5, false, 1'250'000'000};
  const std::string text = written_by([&](int fd) { watchdog_test_waiting_function(fd, &wait); });
  char address[32];
  snprintf(address, sizeof(address), "0x%016lx", reinterpret_cast<unsigned long>(&barrier));
  const std::string expected_first_line =
      "barrier-shim: watchdog: pid " + std::to_string(getpid()) + " tid " +
      std::to_string(gettid()) + ": waiting 1.2s at barrier " + address +
      " (count 3, arrived 2, round 5, private)\n";
  EXPECT_EQ(text.substr(0, expected_first_line.size()), expected_first_line) << text;
  EXPECT_NE(text.find("barrier-shim: watchdog: backtrace of tid " + std::to_string(gettid())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" watchdog_test_waiting_function+0x"), std::string::npos) << text;
  EXPECT_NE(text.find("barrier-shim: watchdog: end of report for tid "), std::string::npos)
      << text;
}

TEST(WatchdogReport, ProcessSharedBarriersAreCalledSo) {
  FakeBarrierState barrier(0, 1);
  const bshim::StuckWait wait{&barrier, &barrier, -1, 2, 0, true, 300'000'000};
  const std::string text =
      written_by([&](int fd) { bshim::watchdog_write_stuck_report(fd, wait); });
  EXPECT_NE(text.find("(count 2, arrived 1, round 0, process-shared)\n"), std::string::npos)
      << text;
}

TEST(WatchdogReport, ARoundThatMovedOnIsNotCountedAsArrivals) {
  FakeBarrierState barrier(6, 1);
  const bshim::StuckWait wait{&barrier, &barrier, -1, 3, 5, false, 300'000'000};
  const std::string text =
      written_by([&](int fd) { bshim::watchdog_write_stuck_report(fd, wait); });
  EXPECT_NE(text.find("(count 3, arrived ? (the barrier is in round 6 now), round 5, private)"),
            std::string::npos)
      << text;
}

TEST(WatchdogReport, ArrivalsCountedInAnArrivalTreeAreReportedFromItsLeaves) {
  // The arrival word of a tree barrier holds only its full leaves (2 here);
  // the barrier's side counted 7 in its leaves.
  FakeBarrierState barrier(5, 2);
  const bshim::StuckWait wait{&barrier, &barrier, 7, 9, 5, false, 300'000'000};
  const std::string text =
      written_by([&](int fd) { bshim::watchdog_write_stuck_report(fd, wait); });
  EXPECT_NE(text.find("(count 9, arrived 7, round 5, private)"), std::string::npos) << text;
}

TEST(WatchdogReport, UnmappedBarrierMemoryIsReportedNotTouched) {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  ASSERT_EQ(munmap(page, 4096), 0);
  const bshim::StuckWait wait{page, page, -1, 3, 5, true, 300'000'000};
  const std::string text =
      written_by([&](int fd) { bshim::watchdog_write_stuck_report(fd, wait); });
  EXPECT_NE(text.find("arrived ? (its memory is unmapped)"), std::string::npos) << text;
}

TEST(WatchdogReport, TheCompletionLineSaysWhichRoundEndedAndWhen) {
  FakeBarrierState barrier(0, 0);
  const bshim::StuckWait wait{&barrier, &barrier, -1, 3, 9, false, 2'050'000'000};
  const std::string text =
      written_by([&](int fd) { bshim::watchdog_write_completed_line(fd, wait); });
  char address[32];
  snprintf(address, sizeof(address), "0x%016lx", reinterpret_cast<unsigned long>(&barrier));
  EXPECT_EQ(text, "barrier-shim: watchdog: pid " + std::to_string(getpid()) + ": barrier " +
                      address + " round 9 completed after 2.0s\n");
}

}  // namespace
