// The process-wide unmap lock.
//
//  - Exit side: held by a barrier waiter for as long as it may still read or
//    write a barrier object whose round may already be complete (object wait
//    path: process-shared barriers, and private ones without a wake slot), and
//    by the round's last arriver until its FUTEX_WAKE has been issued.
//  - Unmap side: held by munmap, mmap(MAP_FIXED), mremap and shmdt around the
//    real call, and briefly by destroy to wait out this process's exit windows.
//
// Unmappers wait for the exit windows that are open on the memory they
// unmap; exiters never wait for unmappers (they defer to one for a short,
// bounded spin, for fairness only). Neither side excludes itself: unmappers
// nest and run concurrently, and waiters never wait for each other here.
//
// Windows have owners. A window belongs to a wait, and is a bit in that
// wait's entry of its thread's record (threads/thread_records.h), which names
// the barrier object the window may touch; nowhere else: opening and closing
// one writes only the thread's own cache line (no shared count, no locked
// instruction). An unmapper scans the records in use and waits for exactly
// the windows of other live threads whose object lies in [begin, end) (and
// for untracked windows, which are counted: a wait without an entry, because
// no record was free or it is nested too deep). So:
//  - an unmap of unrelated memory waits for no window: a signal handler that
//    waits at another barrier inside a window cannot deadlock with a thread
//    that unmaps something else first;
//  - an unmap nested in its own thread's window (a handler) skips only that
//    thread's windows, and still waits for other threads' windows on the
//    range;
//  - a thread that exits with windows open (pthread_exit or cancellation
//    acted on in a handler inside a window) has them closed by its record's
//    exit hook;
//  - in a fork child the kernel has wiped the records (MADV_WIPEONFORK)
//    before any atfork handler runs: an unmap there waits for no thread of
//    the parent, whichever library's handler calls it.
//
// Why an unmapper need not be seen by exiters, and a scan suffices: an unmap
// of barrier memory is legal only after the barrier's round completed and
// some thread returned from it. Every window that can touch that memory was
// opened by a participant of that round before its arrival, so its record
// entry happens-before the completion,
// hence before the unmapper's scan: the unmapper sees it (coherence) and
// waits for its close (release store of the record's depth, acquired by the
// scan). A window opened later belongs to another barrier (or is the
// program's own bug), so it may overlap the unmap. An earlier design had
// exiters back off and wait for unmappers (the original symmetric lock);
// that deadlocks when a signal handler waits at a barrier on a thread that is
// inside munmap, or opens a window on a thread whose window an unmapper waits
// for (musl dropped it for the same reason in f08ab9e6). Since windows never
// wait for a barrier round (a bounded spin, then a CAS), an unmapper waits a
// bounded time.
//
// Real-time owners: a window owner of lower priority that is preempted inside
// its window by a thread of middle priority would keep a real-time unmapper
// waiting for as long as that thread runs. An unmapper that has to sleep lends
// the owner its own policy and priority for the wait (os/priority_boost.h).
//
// What remains: a signal handler that interrupts a thread inside its window
// on barrier P and then blocks (at another barrier, say) until a second
// thread has unmapped P itself: that unmapper must wait for the window (the
// interrupted code will read P when the handler returns), and the handler
// waits for the unmapper. A handler that unmaps the very barrier its own
// interrupted thread is leaving is not supported either: it would skip its
// own window, and the interrupted code would fault.
//
// longjmp out of a handler: the preload layer's longjmp wrappers call
// abandon_holds_below() before jumping, so a window or section whose frame
// the jump discards is released, not leaked (each hold's holder address is
// kept in thread-local storage for that).
//
// fork: the child keeps only the forking thread, whose holds may be in any
// state of their bookkeeping (fork may run in a handler). The child sets every
// count to 0 and decrements saturate at 0, so the forking thread's later
// releases cannot wrap a count; its own window is skipped as above.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "threads/thread_records.h"

namespace bshim {

class UnmapLock {
 public:
  constexpr UnmapLock() = default;
  UnmapLock(const UnmapLock&) = delete;
  UnmapLock& operator=(const UnmapLock&) = delete;

  // Exit side. Never blocks. The window may touch the barrier object of
  // `wait` (its entry's barrier; a wait without an entry, or null: any
  // memory, counted as untracked). `holder` is the holder object on the
  // caller's stack (for abandon_holds_below; null: never abandoned). Leave
  // with the same wait, innermost first.
  void enter_exit_window(TrackedWait* wait = nullptr, const void* holder = nullptr);
  void leave_exit_window(TrackedWait* wait = nullptr);
  // True while some thread holds or wants the unmap side: spinners holding the
  // exit side cut their spin short so the unmapper is not kept waiting.
  bool unmapper_waiting() const {
    // relaxed: a hint; correctness never depends on seeing it promptly.
    return unmappers_.load(std::memory_order_relaxed) != 0;
  }

  // Unmap side. begin_unmap() waits for the exit windows open at that moment
  // whose object overlaps [begin, end), except this thread's own.
  void begin_unmap(const void* holder = nullptr, uintptr_t begin = 0,
                   uintptr_t end = UINTPTR_MAX);
  void end_unmap();

  // A longjmp out of a signal handler to a frame whose stack pointer is
  // `stack_pointer` discards the frames below it on the same stack, and, if
  // the jump leaves the signal stack [altstack_begin, altstack_end) that the
  // handler runs on (empty if none), every frame on that stack: releases
  // this thread's holds of either side whose holder lives there, innermost
  // first (their destructors will never run). A tracked window is found
  // through its wait's holder (threads/thread_records.h) and closed whatever
  // instant the signal came (clearing its bit twice is harmless); call this
  // before abandon_waits_below. An untracked window or unmap section nested
  // deeper than kTrackedHolds, or caught between its count and its record by
  // the signal, stops the release there (it and those outside it stay held:
  // a leak rather than a count released twice).
  void abandon_holds_below(uintptr_t stack_pointer, uintptr_t altstack_begin = 0,
                           uintptr_t altstack_end = 0);
  // False when the calling thread holds nothing a jump could discard: no
  // window or section of either side and no wait in progress. A few loads of
  // its own thread-local state; async-signal-safe. (A jump with nothing to
  // give up then needs no sigaltstack call.)
  static bool this_thread_may_hold_anything();
  static constexpr int kTrackedHolds = 8;

  void reset_in_child_after_fork();

  // The thread-exit hook of the records: the windows `record`'s thread left
  // open (it is exiting) no longer count.
  void close_windows_of_exiting_thread(ThreadRecord& record);

 private:
  void wait_for_windows_on(uintptr_t begin, uintptr_t end);
  // After a window closed: bumps and wakes window_closes_ if an unmapper
  // may be asleep on it.
  void wake_sleeping_unmappers();
  void leave_untracked_window();
  // True if this thread must wait for a window on [begin, end); then
  // *owner_tid is the kernel id of a thread whose window it is, or 0 when
  // unknown (an untracked window).
  bool must_wait_for_a_window_on(uintptr_t begin, uintptr_t end, pid_t* owner_tid = nullptr) const;

  // Set by the first window ever opened through this lock: until then an
  // unmapper has nothing to scan (programs without process-shared barriers).
  std::atomic<bool> windows_opened_{false};
  // Threads holding or waiting for the unmap side (a hint for exiters).
  std::atomic<uint32_t> unmappers_{0};
  // Unmappers asleep (or about to sleep) on window_closes_; a closing window
  // bumps window_closes_ and issues FUTEX_WAKE only when this is nonzero.
  std::atomic<uint32_t> sleeping_unmappers_{0};
  // Futex word of sleeping unmappers: bumped by every window close that finds
  // an unmapper asleep. It only grows, so an open and a close between an
  // unmapper's read and its sleep cannot leave it at the value read (the
  // count of open windows can, which is why unmappers do not sleep on it).
  std::atomic<uint32_t> window_closes_{0};
};

// The one lock of this process. Constant-initialised, never destroyed.
UnmapLock& process_unmap_lock();

// Makes a thread that exits with windows open close them (the records' exit
// hook). Called once by the library constructor.
void prepare_unmap_lock();

// RAII holders, for the preload wrappers, destroy and the wait path.
class UnmapSection {
 public:
  // All memory (shmdt: the segment's size is not known here).
  UnmapSection() { process_unmap_lock().begin_unmap(this); }
  // Only [begin, end).
  UnmapSection(uintptr_t begin, uintptr_t end) {
    process_unmap_lock().begin_unmap(this, begin, end);
  }
  ~UnmapSection() { process_unmap_lock().end_unmap(); }
  UnmapSection(const UnmapSection&) = delete;
  UnmapSection& operator=(const UnmapSection&) = delete;
};

class ExitWindow {
 public:
  // A window that may touch the barrier object `wait` waits at.
  explicit ExitWindow(TrackedWait* wait) : wait_(wait) {
    process_unmap_lock().enter_exit_window(wait, this);
  }
  ~ExitWindow() { process_unmap_lock().leave_exit_window(wait_); }
  ExitWindow(const ExitWindow&) = delete;
  ExitWindow& operator=(const ExitWindow&) = delete;

 private:
  TrackedWait* wait_;
};

}  // namespace bshim
