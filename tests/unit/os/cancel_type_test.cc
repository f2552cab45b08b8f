// The cancellation-type probe reads glibc's own word, checked before it is
// trusted (os/cancel_type.h): it follows pthread_setcanceltype, refuses an
// offset that does not, and sees the asynchronous type glibc sets by itself
// inside a cancellation point, which a mirror of pthread_setcanceltype calls
// would miss.
#include "os/cancel_type.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace {

// What the preload layer passes: libthread_db's descriptor of the field.
size_t offset_from_glibc() {
  const auto* descriptor = static_cast<const uint32_t*>(
      dlvsym(RTLD_DEFAULT, "_thread_db_pthread_cancelhandling", "GLIBC_PRIVATE"));
  return descriptor != nullptr ? descriptor[2] : 0;
}

class CancelTypeProbe : public testing::Test {
 protected:
  void SetUp() override {
    offset_ = offset_from_glibc();
    ASSERT_NE(offset_, 0u) << "this glibc exports no _thread_db_pthread_cancelhandling";
    ASSERT_TRUE(bshim::prepare_cancel_type_probe(offset_));
  }
  void TearDown() override { bshim::prepare_cancel_type_probe(offset_); }
  size_t offset_ = 0;
};

void* type_seen_after_each_switch(void* results) {
  auto* seen = static_cast<bool*>(results);
  seen[0] = bshim::maybe_asynchronously_cancellable();
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, nullptr);
  seen[1] = bshim::maybe_asynchronously_cancellable();
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, nullptr);
  seen[2] = bshim::maybe_asynchronously_cancellable();
  return nullptr;
}

TEST_F(CancelTypeProbe, FollowsPthreadSetcanceltypeInEachThread) {
  bool seen[3] = {true, false, true};
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, nullptr, type_seen_after_each_switch, seen), 0);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  EXPECT_FALSE(seen[0]) << "a new thread's type is deferred";
  EXPECT_TRUE(seen[1]) << "after pthread_setcanceltype(ASYNCHRONOUS)";
  EXPECT_FALSE(seen[2]) << "after pthread_setcanceltype(DEFERRED)";
}

TEST_F(CancelTypeProbe, LeavesTheCallersStateAndTypeAsTheyWere) {
  int state = 0;
  int type = 0;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
  ASSERT_TRUE(bshim::prepare_cancel_type_probe(offset_));
  int state_after = 0;
  int type_after = 0;
  pthread_setcanceltype(type, &type_after);
  pthread_setcancelstate(state, &state_after);
  EXPECT_EQ(type_after, PTHREAD_CANCEL_ASYNCHRONOUS);
  EXPECT_EQ(state_after, PTHREAD_CANCEL_DISABLE);
}

TEST_F(CancelTypeProbe, RefusesAnOffsetThatDoesNotFollowTheTypeAndAsksLibcInstead) {
  EXPECT_FALSE(bshim::prepare_cancel_type_probe(offset_ + sizeof(int)));
  EXPECT_TRUE(bshim::maybe_asynchronously_cancellable()) << "no probe: 'maybe', so callers ask libc";
  EXPECT_FALSE(bshim::prepare_cancel_type_probe(0));
  EXPECT_FALSE(bshim::prepare_cancel_type_probe(offset_ + 1)) << "misaligned";
}

// A handler that interrupts read(): glibc 2.36 runs the system call of a
// cancellation point with the asynchronous type (__pthread_enable_asynccancel),
// so a barrier wait in the handler must defer cancellation itself.
std::atomic<int> g_seen_in_handler{-1};
void record_type_in_handler(int) {
  g_seen_in_handler.store(bshim::maybe_asynchronously_cancellable() ? 1 : 0);
}

struct BlockedReader {
  int fd;
  std::atomic<bool> about_to_read{false};
};

void* read_one_byte(void* argument) {
  auto* reader = static_cast<BlockedReader*>(argument);
  char byte;
  reader->about_to_read.store(true);
  while (read(reader->fd, &byte, 1) < 0) {
  }
  return nullptr;
}

TEST_F(CancelTypeProbe, SeesTheAsynchronousTypeGlibcSetsInsideACancellationPoint) {
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer holds a signal back until the intercepted read() has
  // returned, so no handler runs inside glibc's asynchronous window.
  GTEST_SKIP() << "ThreadSanitizer delivers signals outside read()";
#endif
  struct sigaction action = {};
  action.sa_handler = record_type_in_handler;
  sigemptyset(&action.sa_mask);
  struct sigaction previous;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  BlockedReader reader{pipe_fds[0]};
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, nullptr, read_one_byte, &reader), 0);
  while (!reader.about_to_read.load()) sched_yield();
  // Signals until one lands while the reader is inside read(): the handler
  // then sees the asynchronous type (one that lands before read() sees
  // deferred and is simply repeated; bounded).
  for (int attempt = 0; attempt < 2000 && g_seen_in_handler.load() != 1; ++attempt) {
    g_seen_in_handler.store(-1);
    pthread_kill(thread, SIGUSR1);
    while (g_seen_in_handler.load() == -1) sched_yield();
    if (g_seen_in_handler.load() != 1) usleep(1000);
  }
  const char byte = 1;
  ASSERT_EQ(write(pipe_fds[1], &byte, 1), 1);
  ASSERT_EQ(pthread_join(thread, nullptr), 0);
  sigaction(SIGUSR1, &previous, nullptr);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(g_seen_in_handler.load(), 1)
      << "a handler interrupting read() was told the type is deferred";
}

}  // namespace
