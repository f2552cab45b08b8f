// The barrier's basic promise, round after round: nobody leaves before all
// have arrived, and exactly one participant per round is the serial thread.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cerrno>

#include "barrier/arrival_tree.h"
#include "barrier/barrier.h"
#include "test_support.h"

namespace {

using bshim_test::RoundLedger;
using bshim_test::run_threads;

struct RoundsCase {
  unsigned threads;
  bool process_shared;
  // Private barriers with an arrival tree (barrier/arrival_tree.h), which
  // the automatic choice gives only on 8 CPUs or more.
  bool tree = false;
};

class BarrierRounds : public ::testing::TestWithParam<RoundsCase> {};

TEST_P(BarrierRounds, ExactlyOneSerialPerRoundAndNobodyLeavesEarly) {
  const RoundsCase param = GetParam();
  constexpr unsigned kRounds = 3000;
  bshim::set_arrival_tree_mode_for_test(param.tree ? bshim::ArrivalTreeMode::kAlways
                                                   : bshim::ArrivalTreeMode::kAutomatic);
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, param.process_shared
                                                     ? PTHREAD_PROCESS_SHARED
                                                     : PTHREAD_PROCESS_PRIVATE),
            0);
  // Shared barriers live in a MAP_SHARED page, where they take the object
  // wait path (in private memory they would get a wake slot).
  pthread_barrier_t* barrier_memory = bshim_test::map_barrier_page(param.process_shared);
  ASSERT_NE(barrier_memory, nullptr);
  pthread_barrier_t& barrier = *barrier_memory;
  ASSERT_EQ(bshim::barrier_init(&barrier, &attr, param.threads), 0);
  RoundLedger ledger(kRounds);
  std::atomic<unsigned> bad_results{0};
  run_threads(param.threads, [&](unsigned) {
    for (unsigned round = 0; round < kRounds; ++round) {
      ledger.arrived[round].fetch_add(1);
      const int result = bshim::barrier_wait(&barrier);
      if (ledger.arrived[round].load() != param.threads) ledger.early.fetch_add(1);
      if (result == PTHREAD_BARRIER_SERIAL_THREAD) {
        ledger.serials[round].fetch_add(1);
      } else if (result != 0) {
        bad_results.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(ledger.early.load(), 0u);
  EXPECT_EQ(bad_results.load(), 0u);
  for (unsigned round = 0; round < kRounds; ++round) {
    ASSERT_EQ(ledger.serials[round].load(), 1u) << "round " << round;
  }
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
  bshim_test::unmap_barrier_page(barrier_memory);
  bshim::set_arrival_tree_mode_for_test(bshim::ArrivalTreeMode::kAutomatic);
}

// 2 threads spin (count <= CPUs on any machine that runs this); 8 and 33
// exceed the CPUs of a 2-core machine and go through yield and futex sleep.
INSTANTIATE_TEST_SUITE_P(
    ThreadCounts, BarrierRounds,
    ::testing::Values(RoundsCase{2, false}, RoundsCase{8, false}, RoundsCase{33, false},
                      RoundsCase{2, true}, RoundsCase{8, true}, RoundsCase{33, true},
                      RoundsCase{2, false, true}, RoundsCase{3, false, true},
                      RoundsCase{9, false, true}, RoundsCase{17, false, true}),
    [](const auto& info) {
      return std::to_string(info.param.threads) + "threads_" +
             (info.param.process_shared ? "shared" : "private") +
             (info.param.tree ? "_tree" : "");
    });

TEST(BarrierRounds, CountOneReturnsSerialEveryTime) {
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 1), 0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(bshim::barrier_wait(&barrier), PTHREAD_BARRIER_SERIAL_THREAD);
  }
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(BarrierRounds, WritesBeforeTheWaitAreVisibleAfterIt) {
  constexpr unsigned kThreads = 4;
  constexpr unsigned kRounds = 2000;
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, kThreads), 0);
  // Plain (non-atomic) data: each thread writes its own cell before the wait
  // and reads the others' after it. Any missing ordering is a data race that
  // shows up as a stale value (and under TSan as a report).
  unsigned cells[kThreads] = {};
  std::atomic<unsigned> stale{0};
  run_threads(kThreads, [&](unsigned self) {
    for (unsigned round = 1; round <= kRounds; ++round) {
      cells[self] = round;
      bshim::barrier_wait(&barrier);
      for (unsigned other = 0; other < kThreads; ++other) {
        if (cells[other] != round) stale.fetch_add(1);
      }
      bshim::barrier_wait(&barrier);  // nobody writes the next round's value early
    }
  });
  EXPECT_EQ(stale.load(), 0u);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(BarrierRounds, DestroyRightAfterOwnReturnSucceedsWhilePeersAreLeaving) {
  constexpr unsigned kThreads = 4;
  for (int trial = 0; trial < 500; ++trial) {
    auto* barrier = new pthread_barrier_t;
    ASSERT_EQ(bshim::barrier_init(barrier, nullptr, kThreads), 0);
    std::atomic<int> destroy_result{-1};
    std::atomic<bool> destroyed{false};
    run_threads(kThreads, [&](unsigned) {
      bshim::barrier_wait(barrier);
      if (!destroyed.exchange(true)) {
        destroy_result = bshim::barrier_destroy(barrier);
        delete barrier;  // peers may still be inside wait
      }
    });
    ASSERT_EQ(destroy_result.load(), 0) << "trial " << trial;
  }
}

}  // namespace

namespace {

// More threads than `count` share one barrier: every `count` arrivals form a
// round, in whatever order they come. The waits come from a shared pool of
// tickets (a multiple of `count`), so the last rounds can always fill up; a
// return is early if fewer arrivals than its round needs had been counted.
void run_overfull(bool process_shared, unsigned count, unsigned threads, unsigned waits_each) {
  const unsigned long total_waits = static_cast<unsigned long>(threads) * waits_each;
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, process_shared ? PTHREAD_PROCESS_SHARED
                                                                 : PTHREAD_PROCESS_PRIVATE),
            0);
  pthread_barrier_t* barrier_memory = bshim_test::map_barrier_page(process_shared);
  ASSERT_NE(barrier_memory, nullptr);
  pthread_barrier_t& barrier = *barrier_memory;
  ASSERT_EQ(bshim::barrier_init(&barrier, &attr, count), 0);
  std::atomic<unsigned long> tickets{0}, arrived{0}, returned{0}, serials{0}, early{0};
  run_threads(threads, [&](unsigned) {
    while (tickets.fetch_add(1) < total_waits) {
      arrived.fetch_add(1);
      const int result = bshim::barrier_wait(&barrier);
      const unsigned long my_return = returned.fetch_add(1) + 1;
      const unsigned long needed = (my_return + count - 1) / count * count;
      if (arrived.load() < needed) early.fetch_add(1);
      if (result == PTHREAD_BARRIER_SERIAL_THREAD) serials.fetch_add(1);
    }
  });
  EXPECT_EQ(early.load(), 0u);
  EXPECT_EQ(returned.load(), total_waits);
  EXPECT_EQ(serials.load(), total_waits / count);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
  bshim_test::unmap_barrier_page(barrier_memory);
  bshim::set_arrival_tree_mode_for_test(bshim::ArrivalTreeMode::kAutomatic);
}

TEST(BarrierRounds, MoreThreadsThanCountFormRoundsOfCountPrivate) {
  run_overfull(false, 2, 6, 3000);
  run_overfull(false, 3, 9, 1000);
}

TEST(BarrierRounds, MoreThreadsThanCountFormRoundsOfCountShared) {
  run_overfull(true, 2, 6, 3000);
  run_overfull(true, 3, 9, 1000);
}

}  // namespace
