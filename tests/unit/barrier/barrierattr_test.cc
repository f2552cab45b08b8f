#include <gtest/gtest.h>
#include <pthread.h>

#include <cerrno>
#include <cstring>

#include "barrier/barrier.h"

namespace {

TEST(BarrierAttr, InitDefaultsToProcessPrivate) {
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  int pshared = -1;
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), 0);
  EXPECT_EQ(pshared, PTHREAD_PROCESS_PRIVATE);
}

TEST(BarrierAttr, SetPsharedRoundTrips) {
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
  int pshared = -1;
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), 0);
  EXPECT_EQ(pshared, PTHREAD_PROCESS_SHARED);
  ASSERT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_PRIVATE), 0);
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), 0);
  EXPECT_EQ(pshared, PTHREAD_PROCESS_PRIVATE);
}

TEST(BarrierAttr, SetPsharedRejectsValuesOtherThanSharedAndPrivate) {
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  EXPECT_EQ(bshim::barrierattr_setpshared(&attr, 2), EINVAL);
  EXPECT_EQ(bshim::barrierattr_setpshared(&attr, -1), EINVAL);
  int pshared = -1;
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), 0);
  EXPECT_EQ(pshared, PTHREAD_PROCESS_PRIVATE);  // unchanged by the failed calls
}

TEST(BarrierAttr, UninitialisedAttributeIsRejectedEverywhere) {
  pthread_barrierattr_t attr;
  std::memset(&attr, 0x5a, sizeof(attr));
  int pshared;
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), EINVAL);
  EXPECT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), EINVAL);
  EXPECT_EQ(bshim::barrierattr_destroy(&attr), EINVAL);
  pthread_barrier_t barrier;
  EXPECT_EQ(bshim::barrier_init(&barrier, &attr, 2), EINVAL);
}

TEST(BarrierAttr, DestroyedAttributeIsRejectedByInit) {
  pthread_barrierattr_t attr;
  ASSERT_EQ(bshim::barrierattr_init(&attr), 0);
  ASSERT_EQ(bshim::barrierattr_destroy(&attr), 0);
  pthread_barrier_t barrier;
  EXPECT_EQ(bshim::barrier_init(&barrier, &attr, 2), EINVAL);
}

// glibc reads an all-zero attribute as its default (process-private), and
// legacy code relies on it: `pthread_barrierattr_t a = {0};` without init.
TEST(BarrierAttr, ZeroFilledAttributeIsTheProcessPrivateDefault) {
  pthread_barrierattr_t attr;
  std::memset(&attr, 0, sizeof(attr));
  int pshared = -1;
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), 0);
  EXPECT_EQ(pshared, PTHREAD_PROCESS_PRIVATE);
  pthread_barrier_t barrier;
  ASSERT_EQ(bshim::barrier_init(&barrier, &attr, 1), 0);
  EXPECT_EQ(bshim::barrier_wait(&barrier), PTHREAD_BARRIER_SERIAL_THREAD);
  EXPECT_EQ(bshim::barrier_destroy(&barrier), 0);
  EXPECT_EQ(bshim::barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
  EXPECT_EQ(bshim::barrierattr_getpshared(&attr, &pshared), 0);
  EXPECT_EQ(pshared, PTHREAD_PROCESS_SHARED);
}

}  // namespace
