// Destroy- and unmap-safety at the core level (no preload): the first thread
// back from a round unmaps the barrier's page at once, leaving the address
// unmapped, while its peers are still inside wait. A peer that touched the
// object after the release would die with SIGSEGV.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "barrier/barrier.h"
#include "contract/barrier_layout.h"
#include "test_support.h"
#include "unmap_lock/unmap_lock.h"
#include "barrier/wake_slots.h"

namespace {

using bshim_test::map_barrier_page;
using bshim_test::run_threads;

enum class Release { kUnmapRaw, kUnmapLocked, kOverwrite };

// Runs `rounds` rounds; in each, the first participant to return releases the
// page. Returns the number of rounds in which some peer was still inside wait
// when the release finished (the race window was open).
unsigned run_release_rounds(unsigned threads, unsigned rounds, bool process_shared,
                            Release release, bool destroy_first) {
  pthread_barrierattr_t attr;
  bshim::barrierattr_init(&attr);
  bshim::barrierattr_setpshared(&attr, process_shared ? PTHREAD_PROCESS_SHARED
                                                      : PTHREAD_PROCESS_PRIVATE);
  unsigned window_covered = 0;
  for (unsigned round = 0; round < rounds; ++round) {
    pthread_barrier_t* barrier = map_barrier_page(process_shared);
    EXPECT_NE(barrier, nullptr);
    EXPECT_EQ(bshim::barrier_init(barrier, &attr, threads), 0);
    std::atomic<unsigned> returned{0};
    std::atomic<bool> window_open{false};
    run_threads(threads, [&](unsigned) {
      bshim::barrier_wait(barrier);
      if (returned.fetch_add(1) != 0) return;
      if (destroy_first) {
        EXPECT_EQ(bshim::barrier_destroy(barrier), 0);
      }
      switch (release) {
        case Release::kUnmapRaw:
          munmap(barrier, 4096);
          break;
        case Release::kUnmapLocked: {
          bshim::UnmapSection section;  // what the preload's munmap does
          munmap(barrier, 4096);
          break;
        }
        case Release::kOverwrite:
          memset(barrier, 0xa5, 4096);
          break;
      }
      if (returned.load() < threads) window_open = true;
    });
    if (window_open) ++window_covered;
    if (release == Release::kOverwrite) {
      const auto* bytes = reinterpret_cast<const unsigned char*>(barrier);
      for (size_t i = 0; i < sizeof(pthread_barrier_t); ++i) {
        EXPECT_EQ(bytes[i], 0xa5) << "stray write at offset " << i << " in round " << round;
      }
      munmap(barrier, 4096);
    }
  }
  return window_covered;
}

TEST(BarrierRelease, PrivateBarrierSurvivesRawUnmapRightAfterWaitWithoutDestroy) {
  const unsigned covered = run_release_rounds(4, 2000, false, Release::kUnmapRaw, false);
  RecordProperty("window_covered", covered);
  EXPECT_GT(covered, 0u) << "the race window was never open: the test proved nothing";
}

TEST(BarrierRelease, PrivateBarrierGetsNoStrayWriteWhenOverwrittenRightAfterWait) {
  const unsigned covered = run_release_rounds(4, 2000, false, Release::kOverwrite, false);
  EXPECT_GT(covered, 0u);
}

TEST(BarrierRelease, SharedBarrierSurvivesLockedUnmapRightAfterWait) {
  const unsigned covered = run_release_rounds(4, 2000, true, Release::kUnmapLocked, false);
  EXPECT_GT(covered, 0u);
}

TEST(BarrierRelease, SharedBarrierSurvivesDestroyThenLockedUnmap) {
  const unsigned covered = run_release_rounds(4, 2000, true, Release::kUnmapLocked, true);
  EXPECT_GT(covered, 0u);
}

TEST(BarrierRelease, SharedBarrierGetsNoStrayWriteWhenDestroyedAndOverwritten) {
  const unsigned covered = run_release_rounds(4, 2000, true, Release::kOverwrite, true);
  EXPECT_GT(covered, 0u);
}

TEST(BarrierRelease, SharedBarrierGetsNoStrayWriteWhenOverwrittenWithoutDestroy) {
  const unsigned covered = run_release_rounds(4, 2000, true, Release::kOverwrite, false);
  EXPECT_GT(covered, 0u);
}

TEST(BarrierRelease, PrivateBarrierCanBeReinitialisedWithAnotherCountRightAfterWait) {
  pthread_barrier_t barrier;
  for (unsigned round = 0; round < 2000; ++round) {
    const unsigned threads = 2 + round % 3;
    ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, threads), 0);
    std::atomic<unsigned> returned{0};
    std::atomic<int> serials{0};
    run_threads(threads, [&](unsigned) {
      if (bshim::barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) serials++;
      // The first back re-initialises with a different count at once.
      if (returned.fetch_add(1) == 0) {
        EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, threads + 1), 0);
      }
    });
    ASSERT_EQ(serials.load(), 1) << "round " << round;
    ASSERT_EQ(bshim::barrier_destroy(&barrier), 0);
  }
}

}  // namespace
