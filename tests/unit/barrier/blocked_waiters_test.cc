// EBUSY from init and destroy exactly while a thread of a live process is
// blocked in an incomplete round, whatever the barrier's bytes say
// (src/barrier/blocked_waiters.h).
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "arrival_word.h"
#include "barrier/barrier.h"
#include "test_support.h"
#include "barrier/barrier_object_access.h"
#include "contract/barrier_layout.h"
#include "threads/thread_records.h"

namespace {

using namespace std::chrono_literals;

bshim::BarrierObject* object_of(pthread_barrier_t* barrier) {
  return reinterpret_cast<bshim::BarrierObject*>(barrier);
}

// Polls (bounded) until `barrier` counts `arrivals` in its open round.
bool wait_for_arrivals(pthread_barrier_t* barrier, uint32_t arrivals) {
  for (int i = 0; i < 5000; ++i) {
    if (bshim::arrivals_of(bshim_test::arrival_word_of(barrier).load()) == arrivals) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

TEST(BlockedWaiters, ARealWaiterMakesInitAndDestroyBusy) {
  bshim::prepare_thread_records();
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 2), 0);
  std::thread waiter([&] { bshim::barrier_wait(&barrier); });
  ASSERT_TRUE(wait_for_arrivals(&barrier, 1));
  EXPECT_EQ(bshim::barrier_destroy(&barrier), EBUSY);
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, 2), EBUSY);
  bshim::barrier_wait(&barrier);  // completes the round the waiter is in
  waiter.join();
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(BlockedWaiters, ArrivalsWithoutAWaitingThreadAreNotBusy) {
  // The arrivals of threads that left (counted in the slot), or what free()
  // leaves (a pointer over the state word): arrivals counted, no thread is
  // inside a wait.
  bshim::prepare_thread_records();
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 3), 0);
  bshim_test::arrival_word_of(&barrier).fetch_add(2);
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, 3), 0);
  object_of(&barrier)->state.store(0x00005555deadbeefULL);  // a heap pointer's worth
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(BlockedWaiters, AnAsynchronouslyCancelledWaiterIsNotBlocked) {
  bshim::prepare_thread_records();
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 2), 0);
  pthread_t thread;
  ASSERT_TRUE(bshim_test::start_asynchronously_cancellable_waiter(&barrier, &thread));
  ASSERT_TRUE(wait_for_arrivals(&barrier, 1));
  ASSERT_EQ(pthread_cancel(thread), 0);
  void* result = nullptr;
  ASSERT_EQ(pthread_join(thread, &result), 0);
  EXPECT_EQ(result, PTHREAD_CANCELED);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(BlockedWaiters, ASleeperOfAnotherProcessIsBusyUntilItIsKilled) {
  bshim::prepare_thread_records();
  pthread_barrier_t* barrier = bshim_test::shared_barrier_in_page(2);
  ASSERT_NE(barrier, nullptr);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    bshim::barrier_wait(barrier);
    _exit(0);
  }
  ASSERT_TRUE(wait_for_arrivals(barrier, 1));
  // destroy gives an arrival of another process time to fall asleep (its
  // spin and yields are bounded), then asks the kernel who sleeps.
  EXPECT_EQ(bshim::barrier_destroy(barrier), EBUSY)
      << "a live sleeper of another process must make destroy busy";
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(bshim::barrier_destroy(barrier), 0) << "a killed sleeper is no longer blocked";
  bshim_test::unmap_barrier_page(barrier);
}

TEST(BlockedWaiters, AMovedBarrierDoesNotUseItsOriginalsWakeSlot) {
  pthread_barrier_t original;
  ASSERT_EQ(bshim::barrier_init(&original, nullptr, 2), 0);
  bshim::BarrierConstants constants;
  ASSERT_TRUE(bshim::load_live_barrier(&original, &constants));
  ASSERT_NE(bshim::owned_wake_slot(&original, constants), nullptr);
  pthread_barrier_t copy;
  std::memcpy(&copy, &original, sizeof(copy));
  ASSERT_TRUE(bshim::load_live_barrier(&copy, &constants));
  EXPECT_EQ(bshim::owned_wake_slot(&copy, constants), nullptr);
  // The copy still works, on its own bytes.
  std::thread partner([&] { bshim::barrier_wait(&copy); });
  bshim::barrier_wait(&copy);
  partner.join();
  EXPECT_EQ(bshim::barrier_destroy(&copy), 0);
  EXPECT_EQ(bshim::barrier_destroy(&original), 0);
}

}  // namespace
