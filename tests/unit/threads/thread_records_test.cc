// The per-thread records: which barrier each thread is waiting in, exactly,
// and freed when the thread exits (src/threads/thread_records.h).
#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <thread>

#include "threads/thread_records.h"

namespace {

int g_barrier_a;  // stand-ins: only the addresses matter to the records
int g_barrier_b;

// How many tracked waits on (barrier, generation) are in progress, and the
// rounds they noted.
int waits_on(const void* barrier, uint32_t generation) {
  int found = 0;
  bshim::any_tracked_wait_on(barrier, generation, [&](uint32_t) {
    ++found;
    return false;
  });
  return found;
}

TEST(ThreadRecords, AWaitIsVisibleToOtherThreadsUntilItEnds) {
  bshim::prepare_thread_records();
  {
    bshim::TrackedWait wait(&g_barrier_a, 7, __builtin_frame_address(0));
    wait.arrived_in(42);
    int seen = 0;
    uint32_t round = 0;
    std::thread([&] {
      bshim::any_tracked_wait_on(&g_barrier_a, 7, [&](uint32_t r) {
        ++seen;
        round = r;
        return false;
      });
    }).join();
    EXPECT_EQ(seen, 1);
    EXPECT_EQ(round, 42U);
    EXPECT_EQ(waits_on(&g_barrier_a, 8), 0) << "another generation is another barrier";
    EXPECT_EQ(waits_on(&g_barrier_b, 7), 0);
  }
  EXPECT_EQ(waits_on(&g_barrier_a, 7), 0);
}

TEST(ThreadRecords, NestedWaitsOfAHandlerAreTrackedSeparately) {
  bshim::TrackedWait outer(&g_barrier_a, 1, __builtin_frame_address(0));
  {
    bshim::TrackedWait inner(&g_barrier_b, 2, __builtin_frame_address(0));
    EXPECT_EQ(waits_on(&g_barrier_a, 1), 1);
    EXPECT_EQ(waits_on(&g_barrier_b, 2), 1);
  }
  EXPECT_EQ(waits_on(&g_barrier_a, 1), 1);
  EXPECT_EQ(waits_on(&g_barrier_b, 2), 0);
}

TEST(ThreadRecords, AThreadThatExitsInsideAWaitNoLongerCounts) {
  bshim::prepare_thread_records();
  std::atomic<bool> inside{false};
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, nullptr,
                [](void* flag) -> void* {
                  // Never destroyed: the thread leaves by pthread_exit, as a
                  // cancelled waiter would.
                  alignas(bshim::TrackedWait) static thread_local unsigned char storage
                      [sizeof(bshim::TrackedWait)];
                  auto* wait = new (storage) bshim::TrackedWait(&g_barrier_a, 9, storage);
                  wait->arrived_in(3);
                  static_cast<std::atomic<bool>*>(flag)->store(true);
                  pthread_exit(nullptr);
                },
                &inside),
            0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  EXPECT_TRUE(inside.load());
  EXPECT_EQ(waits_on(&g_barrier_a, 9), 0) << "the key destructor frees the record at exit";
}

TEST(ThreadRecords, AbandoningFramesDropsTheWaitsTheyHeld) {
  alignas(bshim::TrackedWait) unsigned char storage[sizeof(bshim::TrackedWait)] = {};
  // Placement-new: the jump the test stands for skips the destructor.
  auto* wait = new (storage) bshim::TrackedWait(&g_barrier_b, 5, storage);
  (void)wait;
  ASSERT_EQ(waits_on(&g_barrier_b, 5), 1);
  // A jump to a frame above `storage` discards it.
  bshim::abandon_waits_below(
      bshim::DiscardedFrames{reinterpret_cast<uintptr_t>(storage) + 1, 0, 0});
  EXPECT_EQ(waits_on(&g_barrier_b, 5), 0);
}

}  // namespace
