// Bad input gets EINVAL or EBUSY, never a crash or a hang.
#include <gtest/gtest.h>
#include <pthread.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <random>
#include <thread>

#include "barrier/barrier.h"
#include "arrival_word.h"
#include "contract/barrier_layout.h"
#include "test_support.h"

namespace {

// Spins until `count` participants have arrived in the barrier's open round
// (white-box: reads the arrivals field of the state word).
void await_arrivals(pthread_barrier_t* barrier, uint32_t count) {
  while (bshim::arrivals_of(bshim_test::arrival_word_of(barrier).load()) != count) {
    std::this_thread::yield();
  }
}

TEST(BarrierErrors, InitRejectsCountZero) {
  pthread_barrier_t barrier;
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, 0), EINVAL);
}

TEST(BarrierErrors, InitRejectsCountAboveIntMax) {
  pthread_barrier_t barrier;
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, static_cast<unsigned>(INT_MAX) + 1), EINVAL);
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, UINT_MAX), EINVAL);
}

TEST(BarrierErrors, InitAcceptsCountIntMax) {
  pthread_barrier_t barrier;
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, INT_MAX), 0);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

TEST(BarrierErrors, InitRejectsMisalignedBarrier) {
  alignas(8) unsigned char storage[sizeof(pthread_barrier_t) + 8];
  auto* misaligned = reinterpret_cast<pthread_barrier_t*>(storage + 4);
  EXPECT_EQ(bshim::barrier_init(misaligned, nullptr, 2), EINVAL);
}

TEST(BarrierErrors, WaitAndDestroyRejectZeroedMemory) {
  pthread_barrier_t barrier;
  std::memset(&barrier, 0, sizeof(barrier));
  EXPECT_EQ(bshim::barrier_wait(&barrier), EINVAL);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), EINVAL);
}

TEST(BarrierErrors, WaitAndDestroyRejectAllOnesMemory) {
  pthread_barrier_t barrier;
  std::memset(&barrier, 0xff, sizeof(barrier));
  EXPECT_EQ(bshim::barrier_wait(&barrier), EINVAL);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), EINVAL);
}

TEST(BarrierErrors, WaitAndDestroyRejectRandomGarbage) {
  std::mt19937_64 random(12345);
  for (int trial = 0; trial < 1000000; ++trial) {
    pthread_barrier_t barrier;
    uint64_t words[4] = {random(), random(), random(), random()};
    std::memcpy(&barrier, words, sizeof(barrier));
    ASSERT_EQ(bshim::barrier_wait(&barrier), EINVAL) << "trial " << trial;
    ASSERT_EQ(bshim::barrier_destroy(&barrier), EINVAL) << "trial " << trial;
  }
}

TEST(BarrierErrors, WaitAndDestroyRejectDestroyedBarrier) {
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 1), 0);
  ASSERT_EQ(bshim::barrier_destroy(&barrier), 0);
  EXPECT_EQ(bshim::barrier_wait(&barrier), EINVAL);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), EINVAL);
}

TEST(BarrierErrors, WaitRejectsNull) { EXPECT_EQ(bshim::barrier_wait(nullptr), EINVAL); }

TEST(BarrierErrors, DestroyWhileOneIsBlockedReturnsEbusyAndTheRoundStillCompletes) {
  for (bool shared : {false, true}) {
    pthread_barrierattr_t attr;
    ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
    ASSERT_EQ(bshim::barrierattr_setpshared(
                  &attr, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE),
              0);
    pthread_barrier_t* barrier_memory = bshim_test::map_barrier_page(shared);
    ASSERT_NE(barrier_memory, nullptr);
    pthread_barrier_t& barrier = *barrier_memory;
    ASSERT_EQ(bshim::barrier_init(&barrier, &attr, 2), 0);
    std::atomic<int> blocked_result{1234};
    std::thread blocked([&] { blocked_result = bshim::barrier_wait(&barrier); });
    await_arrivals(&barrier, 1);
    EXPECT_EQ(bshim::barrier_destroy(&barrier), EBUSY);
    const int own_result = bshim::barrier_wait(&barrier);  // completes the round
    blocked.join();
    EXPECT_EQ((own_result == PTHREAD_BARRIER_SERIAL_THREAD) +
                  (blocked_result.load() == PTHREAD_BARRIER_SERIAL_THREAD),
              1);
    EXPECT_EQ(own_result + blocked_result.load(), PTHREAD_BARRIER_SERIAL_THREAD);
    EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
    bshim_test::unmap_barrier_page(barrier_memory);
  }
}

TEST(BarrierErrors, InitOverABarrierWithABlockedWaiterReturnsEbusy) {
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, nullptr, 2), 0);
  std::thread blocked([&] { bshim::barrier_wait(&barrier); });
  await_arrivals(&barrier, 1);
  EXPECT_EQ(bshim::barrier_init(&barrier, nullptr, 2), EBUSY);
  bshim::barrier_wait(&barrier);
  blocked.join();
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
}

}  // namespace
