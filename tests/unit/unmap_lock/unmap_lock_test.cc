// The unmap lock: unmappers wait for the exit windows opened before them,
// exiters never wait for unmappers, neither side excludes itself, and a thread
// that holds one side can take the other (signal-handler nesting).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <new>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "threads/thread_records.h"
#include "unmap_lock/unmap_lock.h"

namespace {

using namespace std::chrono_literals;

void bshim_test_relax() { std::this_thread::yield(); }
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

TEST(UnmapLock, AnUnmapOfOtherMemoryDoesNotWaitForAWindow) {
  // Windows name the barrier they may touch (their wait's); an unmap of
  // pages that do not hold it goes ahead while the window is open.
  UnmapLock lock;
  alignas(64) static char barrier_bytes[64];
  alignas(4096) static char other_page[4096];
  bshim::TrackedWait wait(barrier_bytes, 1, nullptr);
  ASSERT_NE(wait.entry(), nullptr) << "no thread record: the window would be untracked";
  lock.enter_exit_window(&wait);
  std::thread unmapper([&] {
    lock.begin_unmap(nullptr, reinterpret_cast<uintptr_t>(other_page),
                     reinterpret_cast<uintptr_t>(other_page) + sizeof(other_page));
    lock.end_unmap();
  });
  unmapper.join();  // hangs if the unmapper waited for the unrelated window
  lock.leave_exit_window(&wait);
}

TEST(UnmapLock, AnUnmapOfTheWindowsBarrierWaitsForIt) {
  UnmapLock lock;
  alignas(64) static char barrier_bytes[64];
  std::atomic<bool> unmap_done{false};
  bshim::TrackedWait wait(barrier_bytes, 1, nullptr);
  ASSERT_NE(wait.entry(), nullptr);
  lock.enter_exit_window(&wait);
  std::thread unmapper([&] {
    const auto begin = reinterpret_cast<uintptr_t>(barrier_bytes);
    lock.begin_unmap(nullptr, begin + 16, begin + 17);  // one byte of the 32
    unmap_done = true;
    lock.end_unmap();
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(unmap_done.load());  // an ordering assertion, as above
  lock.leave_exit_window(&wait);
  unmapper.join();
  EXPECT_TRUE(unmap_done.load());
}

TEST(UnmapLock, ExiterNeverWaitsForAnUnmapInProgress) {
  // Exiters defer to unmappers only for a bounded spin: a window must open
  // even while an unmap is held for ever (a signal handler on the unmapping
  // thread may be waiting for this very exiter at a barrier).
  UnmapLock lock;
  lock.begin_unmap();
  std::thread exiter([&] {
    lock.enter_exit_window();
    lock.leave_exit_window();
  });
  exiter.join();  // hangs if exiters wait for unmappers
  lock.end_unmap();
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

TEST(UnmapLock, UnmapperNeverProceedsWhileAWindowOpenedBeforeItIsOpen) {
  // Windows get sequence numbers as they open; an unmapper notes how many had
  // opened before it began, and once begin_unmap returns, every one of those
  // must have closed. Windows opened later may overlap the unmap (src/unmap_lock/unmap_lock.h).
  UnmapLock lock;
  constexpr uint32_t kMaxWindows = 1 << 18;
  std::vector<std::atomic<bool>> closed(kMaxWindows);
  std::atomic<uint32_t> opened{0};
  std::atomic<int> violations{0};
  std::atomic<bool> stop{false};
  auto exiter = [&] {
    while (!stop) {
      lock.enter_exit_window();
      const uint32_t id = opened.fetch_add(1);  // seq_cst, after entering
      if (id >= kMaxWindows) {
        lock.leave_exit_window();
        break;
      }
      for (int spin = 0; spin < 50; ++spin) bshim_test_relax();
      closed[id].store(true);  // before leaving
      lock.leave_exit_window();
    }
  };
  auto unmapper = [&] {
    while (!stop) {
      const uint32_t opened_before = std::min(opened.load(), kMaxWindows);
      lock.begin_unmap();
      for (uint32_t id = 0; id < opened_before; ++id) {
        if (!closed[id].load()) violations++;
      }
      lock.end_unmap();
    }
  };
  std::thread a(exiter), b(exiter), c(unmapper);
  std::this_thread::sleep_for(300ms);
  stop = true;
  a.join(); b.join(); c.join();
  EXPECT_GT(opened.load(), 100u) << "too few windows opened to prove anything";
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

namespace {

// A frame that opens a window and "leaves by longjmp": returns without
// closing it, as a jump out of a signal handler would. Returns the window's
// address on the stack.
__attribute__((noinline)) uintptr_t open_window_and_jump_out(UnmapLock& lock) {
  volatile char holder = 0;
  lock.enter_exit_window(nullptr, const_cast<const char*>(&holder));
  return reinterpret_cast<uintptr_t>(&holder);
}

TEST(UnmapLock, AbandonedWindowBelowAJumpTargetIsReleased) {
  UnmapLock lock;
  const uintptr_t window_at = open_window_and_jump_out(lock);
  // The jump target lies above the discarded frame.
  lock.abandon_holds_below(window_at + 64);
  std::thread unmapper([&] {
    lock.begin_unmap();  // hangs if the abandoned window were still counted
    lock.end_unmap();
  });
  unmapper.join();
}

TEST(UnmapLock, WindowAboveAJumpTargetStaysHeld) {
  // A jump within a handler (target deeper than the window) leaves the
  // interrupted wait, and its window, in place.
  UnmapLock lock;
  volatile char holder = 0;
  lock.enter_exit_window(nullptr, const_cast<const char*>(&holder));
  lock.abandon_holds_below(reinterpret_cast<uintptr_t>(&holder) - 256);
  std::atomic<bool> unmap_done{false};
  std::thread unmapper([&] {
    lock.begin_unmap();
    unmap_done = true;
    lock.end_unmap();
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(unmap_done.load());  // ordering, not timing: see the first test
  lock.leave_exit_window();
  unmapper.join();
}

}  // namespace

namespace {

// A frame that begins a wait, opens its window, and "leaves by longjmp":
// returns without closing either, as a jump out of a signal handler would.
// The wait's holder (and so its window) lives in this frame.
__attribute__((noinline)) uintptr_t open_tracked_window_and_jump_out(UnmapLock& lock,
                                                                     const void* barrier) {
  alignas(bshim::TrackedWait) static unsigned char storage[sizeof(bshim::TrackedWait)];
  volatile char holder = 0;
  // Placement: the TrackedWait's destructor must not run (the jump skips it).
  auto* wait = new (storage) bshim::TrackedWait(barrier, 1, const_cast<const char*>(&holder));
  lock.enter_exit_window(wait);
  return reinterpret_cast<uintptr_t>(&holder);
}

TEST(UnmapLock, TrackedWindowOfAWaitBelowAJumpTargetIsClosed) {
  UnmapLock lock;
  alignas(64) static char barrier_bytes[64];
  const uintptr_t holder_at = open_tracked_window_and_jump_out(lock, barrier_bytes);
  lock.abandon_holds_below(holder_at + 64);
  bshim::abandon_waits_below(bshim::DiscardedFrames{holder_at + 64, 0, 0});
  std::thread unmapper([&] {
    const auto begin = reinterpret_cast<uintptr_t>(barrier_bytes);
    lock.begin_unmap(nullptr, begin, begin + 32);  // hangs if the window stayed open
    lock.end_unmap();
  });
  unmapper.join();
}

TEST(UnmapLock, WindowsOfWaitsNestedSixDeepStayTracked) {
  // A wait and five handlers' waits nested in it, each with its window open:
  // all are tracked, so an unmap of other memory waits for none of them
  // (an untracked window would make it wait: any memory).
  UnmapLock lock;
  alignas(64) static char barriers[6][64];
  alignas(4096) static char other_page[4096];
  std::vector<std::unique_ptr<bshim::TrackedWait>> waits;
  for (auto& barrier : barriers) {
    waits.push_back(std::make_unique<bshim::TrackedWait>(barrier, 1, nullptr));
    ASSERT_NE(waits.back()->entry(), nullptr) << "wait " << waits.size() << " is untracked";
    lock.enter_exit_window(waits.back().get());
  }
  std::thread unmapper([&] {
    lock.begin_unmap(nullptr, reinterpret_cast<uintptr_t>(other_page),
                     reinterpret_cast<uintptr_t>(other_page) + sizeof(other_page));
    lock.end_unmap();
  });
  unmapper.join();  // hangs if a nested window fell back to untracked
  for (auto it = waits.rbegin(); it != waits.rend(); ++it) lock.leave_exit_window(it->get());
  while (!waits.empty()) waits.pop_back();  // innermost first
}

}  // namespace
