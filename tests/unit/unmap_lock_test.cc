// The symmetric unmap lock: each side excludes the other, never itself, and a
// thread that holds one side can take the other (signal-handler nesting).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "unmap_lock.h"

namespace {

using namespace std::chrono_literals;
using bshim::UnmapLock;

TEST(UnmapLock, UnmapperWaitsForAnOpenExitWindow) {
  UnmapLock lock;
  std::atomic<bool> unmap_done{false};
  lock.enter_exit_window();
  std::thread unmapper([&] {
    lock.begin_unmap();
    unmap_done = true;
    lock.end_unmap();
  });
  std::this_thread::sleep_for(50ms);
  // Ordering assertion, not a timing one: the unmap cannot have happened while
  // our window is open, however long we waited.
  EXPECT_FALSE(unmap_done.load());
  lock.leave_exit_window();
  unmapper.join();
  EXPECT_TRUE(unmap_done.load());
}

TEST(UnmapLock, ExiterWaitsForAnUnmapInProgress) {
  UnmapLock lock;
  std::atomic<bool> window_opened{false};
  lock.begin_unmap();
  std::thread exiter([&] {
    lock.enter_exit_window();
    window_opened = true;
    lock.leave_exit_window();
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(window_opened.load());
  lock.end_unmap();
  exiter.join();
  EXPECT_TRUE(window_opened.load());
}

TEST(UnmapLock, UnmappersDoNotExcludeEachOther) {
  UnmapLock lock;
  lock.begin_unmap();
  std::thread other([&] {
    lock.begin_unmap();  // would hang if unmappers excluded each other
    lock.end_unmap();
  });
  other.join();
  lock.end_unmap();
}

TEST(UnmapLock, ExitersDoNotExcludeEachOther) {
  UnmapLock lock;
  lock.enter_exit_window();
  std::thread other([&] {
    lock.enter_exit_window();
    lock.leave_exit_window();
  });
  other.join();
  lock.leave_exit_window();
}

TEST(UnmapLock, UnmapNestedInsideOwnExitWindowDoesNotDeadlock) {
  // What a signal handler that calls munmap does to the thread it interrupts.
  UnmapLock lock;
  lock.enter_exit_window();
  lock.begin_unmap();
  lock.end_unmap();
  lock.leave_exit_window();
}

TEST(UnmapLock, ExitWindowNestedInsideOwnUnmapDoesNotDeadlock) {
  // A handler that waits at a barrier while its thread is inside munmap.
  UnmapLock lock;
  lock.begin_unmap();
  lock.enter_exit_window();
  lock.leave_exit_window();
  lock.end_unmap();
}

TEST(UnmapLock, NeverBothSidesAtOnceUnderContention) {
  UnmapLock lock;
  std::atomic<int> exiters_inside{0};
  std::atomic<int> unmappers_inside{0};
  std::atomic<int> violations{0};
  std::atomic<bool> stop{false};
  auto exiter = [&] {
    while (!stop) {
      lock.enter_exit_window();
      exiters_inside++;
      if (unmappers_inside.load() != 0) violations++;
      exiters_inside--;
      lock.leave_exit_window();
    }
  };
  auto unmapper = [&] {
    while (!stop) {
      lock.begin_unmap();
      unmappers_inside++;
      if (exiters_inside.load() != 0) violations++;
      unmappers_inside--;
      lock.end_unmap();
    }
  };
  std::thread a(exiter), b(exiter), c(unmapper), d(unmapper);
  std::this_thread::sleep_for(300ms);
  stop = true;
  a.join(); b.join(); c.join(); d.join();
  EXPECT_EQ(violations.load(), 0);
}

TEST(UnmapLock, ChildAfterForkKeepsOnlyTheForkingThreadsHolds) {
  UnmapLock lock;
  std::atomic<bool> holding{false}, release{false};
  std::thread holder([&] {
    lock.enter_exit_window();  // another thread's window, open across the fork
    holding = true;
    while (!release) std::this_thread::yield();
    lock.leave_exit_window();
  });
  while (!holding) std::this_thread::yield();
  const pid_t child = fork();
  if (child == 0) {
    lock.reset_in_child_after_fork();
    alarm(5);  // a hang here means the child inherited the dead thread's window
    lock.begin_unmap();
    lock.end_unmap();
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  release = true;
  holder.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

}  // namespace
