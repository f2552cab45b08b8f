// The statistics table (wait_stats.h): one row per barrier, each wait counted
// under its outcome, the longest wait kept, overflow into one extra row, and
// the report that lists them.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "contract/diagnostic_hooks.h"
#include "diagnostics/stats_file.h"
#include "diagnostics/stats_format.h"
#include "diagnostics/wait_stats.h"

namespace {

using bshim::BarrierStatsSnapshot;
using bshim::stats_record_unmap;
using bshim::stats_record_wait;
using bshim::WaitOutcome;

class WaitStats : public ::testing::Test {
 protected:
  void SetUp() override {
    bshim::stats_reset();
    bshim::stats_write_header();  // as at load: this process's pid
  }
  void TearDown() override { bshim::stats_reset(); }

  static BarrierStatsSnapshot row_of(const void* barrier) {
    BarrierStatsSnapshot row{};
    EXPECT_TRUE(bshim::stats_row_of(barrier, &row));
    return row;
  }
};

// Distinct, barrier-aligned fake addresses: the table only keys on them.
const void* fake_barrier(uintptr_t index) {
  return reinterpret_cast<const void*>(0x10000 + index * 32);
}

TEST_F(WaitStats, EachWaitIsCountedUnderItsOutcome) {
  const void* barrier = fake_barrier(1);
  stats_record_wait(barrier, false, WaitOutcome::kCompletedRound, 10);
  stats_record_wait(barrier, false, WaitOutcome::kSpun, 10);
  stats_record_wait(barrier, false, WaitOutcome::kSpun, 10);
  stats_record_wait(barrier, false, WaitOutcome::kYielded, 10);
  stats_record_wait(barrier, false, WaitOutcome::kSlept, 10);
  stats_record_wait(barrier, false, WaitOutcome::kBroken, 10);
  const BarrierStatsSnapshot row = row_of(barrier);
  EXPECT_EQ(row.barrier, reinterpret_cast<uintptr_t>(barrier));
  EXPECT_EQ(row.waits, 6u);
  EXPECT_EQ(row.rounds, 1u);
  EXPECT_EQ(row.spun, 2u);
  EXPECT_EQ(row.yielded, 1u);
  EXPECT_EQ(row.slept, 1u);
  EXPECT_EQ(row.broken, 1u);
}

TEST_F(WaitStats, BarriersHaveSeparateRows) {
  stats_record_wait(fake_barrier(1), false, WaitOutcome::kCompletedRound, 1);
  stats_record_wait(fake_barrier(2), true, WaitOutcome::kSlept, 1);
  stats_record_wait(fake_barrier(2), true, WaitOutcome::kCompletedRound, 1);
  EXPECT_EQ(row_of(fake_barrier(1)).waits, 1u);
  EXPECT_EQ(row_of(fake_barrier(2)).waits, 2u);
  BarrierStatsSnapshot unused{};
  EXPECT_FALSE(bshim::stats_row_of(fake_barrier(3), &unused));
}

TEST_F(WaitStats, TheLongestWaitIsTheMaximumNotTheLatest) {
  const void* barrier = fake_barrier(1);
  for (uint64_t waited : {300u, 9000u, 20u, 8999u}) {
    stats_record_wait(barrier, false, WaitOutcome::kSlept, waited);
  }
  EXPECT_EQ(row_of(barrier).longest_wait_ns, 9000u);
}

TEST_F(WaitStats, ARowTellsWhetherTheBarrierWasPrivateOrProcessShared) {
  stats_record_wait(fake_barrier(1), false, WaitOutcome::kSpun, 1);
  stats_record_wait(fake_barrier(2), true, WaitOutcome::kSpun, 1);
  EXPECT_TRUE(row_of(fake_barrier(1)).seen_private);
  EXPECT_FALSE(row_of(fake_barrier(1)).seen_shared);
  EXPECT_FALSE(row_of(fake_barrier(2)).seen_private);
  EXPECT_TRUE(row_of(fake_barrier(2)).seen_shared);
}

TEST_F(WaitStats, BarriersBeyondTheTableShareTheOtherBarriersRow) {
  for (uintptr_t i = 0; i < bshim::kStatsRows; ++i) {
    stats_record_wait(fake_barrier(i), false, WaitOutcome::kSpun, 1);
  }
  for (uintptr_t i = 0; i < bshim::kStatsRows; ++i) {
    EXPECT_EQ(row_of(fake_barrier(i)).waits, 1u) << i;
  }
  EXPECT_EQ(bshim::stats_other_barriers_row().waits, 0u);
  stats_record_wait(fake_barrier(bshim::kStatsRows), false, WaitOutcome::kSlept, 5);
  stats_record_wait(fake_barrier(bshim::kStatsRows + 1), true, WaitOutcome::kCompletedRound, 7);
  const BarrierStatsSnapshot other = bshim::stats_other_barriers_row();
  EXPECT_EQ(other.waits, 2u);
  EXPECT_EQ(other.slept, 1u);
  EXPECT_EQ(other.rounds, 1u);
  EXPECT_EQ(other.longest_wait_ns, 7u);
  BarrierStatsSnapshot unused{};
  EXPECT_FALSE(bshim::stats_row_of(fake_barrier(bshim::kStatsRows), &unused));
}

TEST_F(WaitStats, ConcurrentRecordsAreAllCounted) {
  constexpr unsigned kThreads = 4;
  constexpr unsigned kWaitsEach = 20000;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (unsigned i = 0; i < kWaitsEach; ++i) {
        // Every thread also claims rows of its own, racing for free rows.
        stats_record_wait(fake_barrier(100 + t * 1000 + i % 8), false, WaitOutcome::kSpun, i);
        stats_record_wait(fake_barrier(1), false, WaitOutcome::kSlept, t * kWaitsEach + i);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const BarrierStatsSnapshot shared_row = row_of(fake_barrier(1));
  EXPECT_EQ(shared_row.waits, kThreads * kWaitsEach);
  EXPECT_EQ(shared_row.slept, kThreads * kWaitsEach);
  EXPECT_EQ(shared_row.longest_wait_ns, kThreads * kWaitsEach - 1);
  for (unsigned t = 0; t < kThreads; ++t) {
    for (unsigned k = 0; k < 8; ++k) {
      EXPECT_EQ(row_of(fake_barrier(100 + t * 1000 + k)).waits, kWaitsEach / 8);
    }
  }
  EXPECT_EQ(bshim::stats_other_barriers_row().waits, 0u);
}

TEST_F(WaitStats, UnmapTotalsCountCallsAndOnlyTheWaitsThatHappened) {
  stats_record_unmap(false, 0);
  stats_record_unmap(true, 400);
  stats_record_unmap(false, 0);
  stats_record_unmap(true, 100);
  const bshim::UnmapStatsSnapshot totals = bshim::stats_unmap_totals();
  EXPECT_EQ(totals.calls, 4u);
  EXPECT_EQ(totals.waited, 2u);
  EXPECT_EQ(totals.total_wait_ns, 500u);
  EXPECT_EQ(totals.longest_wait_ns, 400u);
}

// The report written to a memory file, as text.
std::string report_text() {
  const int fd = memfd_create("stats-report", 0);
  EXPECT_GE(fd, 0);
  bshim::stats_write_report_to(fd);
  std::string text(static_cast<size_t>(lseek(fd, 0, SEEK_END)), '\0');
  EXPECT_EQ(pread(fd, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  close(fd);
  return text;
}

std::vector<std::string> words_of_line_with(const std::string& text, const std::string& marker) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(marker) == std::string::npos) continue;
    std::istringstream words(line);
    std::vector<std::string> result;
    for (std::string word; words >> word;) result.push_back(word);
    return result;
  }
  return {};
}

TEST_F(WaitStats, TheReportHasOneLineForEachUsedBarrierWithItsCounts) {
  stats_record_wait(fake_barrier(1), false, WaitOutcome::kCompletedRound, 1'500'000);
  stats_record_wait(fake_barrier(1), false, WaitOutcome::kSpun, 2000);
  stats_record_wait(fake_barrier(1), false, WaitOutcome::kSlept, 3000);
  stats_record_wait(fake_barrier(2), true, WaitOutcome::kYielded, 10);
  stats_record_unmap(true, 2'000'000'000);
  const std::string text = report_text();
  const std::string pid = std::to_string(getpid());
  EXPECT_NE(text.find("barrier-shim: stats: pid " + pid + ":"), std::string::npos) << text;
  // prefix words (2), address, kind, count, rounds, waits, spun, yielded, slept, broken,
  // longest, initialised at (count and site "-": no init recorded)
  EXPECT_EQ(words_of_line_with(text, "0x0000000000010020"),
            (std::vector<std::string>{"barrier-shim:", "stats:", "0x0000000000010020", "private",
                                      "-", "1", "3", "1", "0", "1", "0", "0.001500", "-"}))
      << text;
  EXPECT_EQ(words_of_line_with(text, "0x0000000000010040"),
            (std::vector<std::string>{"barrier-shim:", "stats:", "0x0000000000010040", "shared",
                                      "-", "0", "1", "0", "1", "0", "0", "0.000000", "-"}))
      << text;
  EXPECT_TRUE(words_of_line_with(text, "other-barriers").empty()) << text;
  EXPECT_NE(text.find("unmap lock: 1 calls, 1 had to wait, 2.000000 s waiting in total, "
                      "longest 2.000000 s\n"),
            std::string::npos)
      << text;
}

TEST_F(WaitStats, WaitsAreTheSumOfTheOutcomesSoARowAlwaysAddsUp) {
  const void* barrier = fake_barrier(1);
  for (WaitOutcome outcome : {WaitOutcome::kCompletedRound, WaitOutcome::kSpun,
                              WaitOutcome::kYielded, WaitOutcome::kSlept, WaitOutcome::kBroken}) {
    stats_record_wait(barrier, false, outcome, 1);
  }
  const BarrierStatsSnapshot row = row_of(barrier);
  EXPECT_EQ(row.waits, row.rounds + row.spun + row.yielded + row.slept + row.broken);
  EXPECT_EQ(row.waits, 5u);
}

TEST_F(WaitStats, AnInitRecordsTheCountAndTheCallSite) {
  const void* barrier = fake_barrier(1);
  const void* site = reinterpret_cast<const void*>(&fake_barrier);
  bshim::stats_record_init(barrier, site, 3);
  const BarrierStatsSnapshot row = row_of(barrier);
  EXPECT_EQ(row.count, 3u);
  EXPECT_EQ(row.inits, 1u);
  EXPECT_EQ(row.init_site, reinterpret_cast<uintptr_t>(site));
  EXPECT_FALSE(row.sites_differ);
  EXPECT_FALSE(row.counts_differ);
  bshim::stats_record_init(barrier, nullptr, 4);
  const BarrierStatsSnapshot again = row_of(barrier);
  EXPECT_EQ(again.count, 4u);
  EXPECT_EQ(again.inits, 2u);
  EXPECT_TRUE(again.sites_differ);
  EXPECT_TRUE(again.counts_differ);
}

// Released waiters counted with no round: their last arriver had not yet
// returned (counted) when the row was read.
TEST_F(WaitStats, RoundsWhoseLastArriverWasNotCountedAreInferredForPrivateBarriers) {
  const void* barrier = fake_barrier(1);
  bshim::stats_record_init(barrier, nullptr, 4);
  stats_record_wait(barrier, false, WaitOutcome::kSlept, 1);
  stats_record_wait(barrier, false, WaitOutcome::kSlept, 1);
  EXPECT_EQ(bshim::rounds_missing_their_last_arriver(row_of(barrier)), 1u);
  stats_record_wait(barrier, false, WaitOutcome::kCompletedRound, 1);
  EXPECT_EQ(bshim::rounds_missing_their_last_arriver(row_of(barrier)), 0u);
  for (int i = 0; i < 4; ++i) stats_record_wait(barrier, false, WaitOutcome::kSpun, 1);
  // 6 released, 3 per round: at least 2 rounds, 1 counted.
  EXPECT_EQ(bshim::rounds_missing_their_last_arriver(row_of(barrier)), 1u);
  // A process-shared barrier's rounds complete in whichever process: no inference.
  const void* shared = fake_barrier(2);
  bshim::stats_record_init(shared, nullptr, 2);
  stats_record_wait(shared, true, WaitOutcome::kSlept, 1);
  EXPECT_EQ(bshim::rounds_missing_their_last_arriver(row_of(shared)), 0u);
}

TEST_F(WaitStats, AReportWithoutWaitsSaysSo) {
  const std::string text = report_text();
  EXPECT_NE(text.find("no barrier waits"), std::string::npos) << text;
  EXPECT_NE(text.find("unmap lock: 0 calls"), std::string::npos) << text;
}

}  // namespace
