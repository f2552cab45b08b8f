// The process-wide unmap lock: a symmetric lock with two sides.
//
//  - Exit side: held by a barrier waiter for as long as it may still read or
//    write a barrier object whose round may already be complete (object wait
//    path: process-shared barriers, and private ones without a wake slot), and
//    by the round's last arriver from its release store to its FUTEX_WAKE.
//  - Unmap side: held by munmap, mmap(MAP_FIXED), mremap and shmdt around the
//    real call, and briefly by destroy to wait out this process's exit windows.
//
// Each side excludes the other and never itself: any number of exiters, or any
// number of unmappers, may hold their side at once. Neither side ever waits
// for the progress of a barrier round: an exit window is a bounded spin plus a
// few atomic operations, so an unmapper waits at most that long, and a waiter
// blocked in an incomplete round holds nothing (it sleeps in the kernel, which
// reads the futex word itself and reports EFAULT if the page is gone).
//
// Why a count is enough for unmappers to wait on: an exiter announces itself
// (increments `exiters_`) before it looks at the barrier and before it checks
// for unmappers; an unmapper announces itself before it reads `exiters_`. With
// both sides sequentially consistent, at least one of the two sees the other
// (Dekker). An exiter that sees an unmapper backs off completely and retries,
// so an unmapper never waits for an exiter that started after it; it waits
// only for windows already open, which close in bounded time.
//
// Signal handlers: a thread's own nesting depth of each side is kept in
// thread-local storage, raised before the shared count and lowered after it.
// A handler that unmaps while its thread holds the exit side (or waits at a
// barrier while its thread holds the unmap side) does not wait for the other
// side at all: it cannot tell its own contribution to the shared count from
// other threads' in every instant, and waiting would deadlock on itself. The
// exclusion is given up for that one nested call; a handler that unmaps the
// very barrier its own interrupted thread is leaving is not supported.
#pragma once

#include <atomic>
#include <cstdint>

namespace bshim {

class UnmapLock {
 public:
  constexpr UnmapLock() = default;
  UnmapLock(const UnmapLock&) = delete;
  UnmapLock& operator=(const UnmapLock&) = delete;

  // Exit side. enter_exit_window() waits only while another thread holds the
  // unmap side; it never waits for a barrier round.
  void enter_exit_window();
  void leave_exit_window();
  // True while some thread holds or wants the unmap side: spinners holding the
  // exit side cut their spin short so the unmapper is not kept waiting.
  bool unmapper_waiting() const {
    // relaxed: a hint; correctness never depends on seeing it promptly.
    return unmappers_.load(std::memory_order_relaxed) != 0;
  }

  // Unmap side. begin_unmap() waits for the exit windows open at that moment.
  void begin_unmap();
  void end_unmap();

  // In the child of fork(): only the forking thread survives, so the counts
  // are exactly that thread's own depths.
  void reset_in_child_after_fork();

 private:
  void wait_for_no_other_unmappers();
  void wait_for_no_exiters();

  // Futex words. exiters_: threads holding the exit side. unmappers_: threads
  // holding (or waiting to hold) the unmap side.
  std::atomic<uint32_t> exiters_{0};
  std::atomic<uint32_t> unmappers_{0};
  // Threads asleep (or about to sleep) on the other side's futex word; the
  // side that releases issues FUTEX_WAKE only when this is nonzero.
  std::atomic<uint32_t> sleeping_unmappers_{0};
  std::atomic<uint32_t> sleeping_exiters_{0};
};

// The one lock of this process. Constant-initialised, never destroyed.
UnmapLock& process_unmap_lock();

// RAII holders, for the preload wrappers and destroy.
class UnmapSection {
 public:
  UnmapSection() { process_unmap_lock().begin_unmap(); }
  ~UnmapSection() { process_unmap_lock().end_unmap(); }
  UnmapSection(const UnmapSection&) = delete;
  UnmapSection& operator=(const UnmapSection&) = delete;
};

class ExitWindow {
 public:
  ExitWindow() { process_unmap_lock().enter_exit_window(); }
  ~ExitWindow() { process_unmap_lock().leave_exit_window(); }
  ExitWindow(const ExitWindow&) = delete;
  ExitWindow& operator=(const ExitWindow&) = delete;
};

}  // namespace bshim
