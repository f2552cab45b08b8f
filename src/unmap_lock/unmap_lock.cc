#include "unmap_lock/unmap_lock.h"

#include "os/cpu_relax.h"
#include "contract/diagnostic_hooks.h"
#include "os/asymmetric_fence.h"
#include "os/futex.h"
#include "os/priority_boost.h"
#include "os/saturating_decrement.h"
#include "threads/discarded_frames.h"

namespace bshim {
namespace {

constinit UnmapLock g_unmap_lock;

// This thread's own holds, for signal handlers that nest one side inside the
// other (see the header): its untracked windows (a tracked window is a bit in
// its wait's entry, and nothing else) and its unmap sections. initial-exec: a
// plain %fs-relative access, no allocation and no call into the dynamic
// loader, even on first use.
__thread uint32_t t_exit_depth __attribute__((tls_model("initial-exec")));
__thread uint32_t t_unmap_depth __attribute__((tls_model("initial-exec")));
// Where each of this thread's holds lives on its stack, innermost last, for
// abandon_holds_below(); entries beyond kTrackedHolds are not kept.
__thread uintptr_t t_exit_holders[UnmapLock::kTrackedHolds]
    __attribute__((tls_model("initial-exec")));
__thread uintptr_t t_unmap_holders[UnmapLock::kTrackedHolds]
    __attribute__((tls_model("initial-exec")));
// How much of untracked_windows() this thread has raised and not yet
// lowered. Raised right after the shared count and lowered right before it,
// so a thread that exits between the two (pthread_exit in a handler) can only
// leave the shared count one too high (unmappers then wait in vain: a hang,
// where one too low would let them unmap under a window); the exit hook
// lowers the shared count by exactly this.
__thread uint32_t t_counted_untracked __attribute__((tls_model("initial-exec")));


// A barrier object's size: the bytes a window may touch from its object.
constexpr uintptr_t kObjectBytes = 32;
// How long a sleeping unmapper sleeps at most before it scans again.
constexpr uint64_t kUnmapperRecheckNs = 10'000'000;

// Records (or, with null, forgets) the holder of this thread's hold number
// `index`. A record exists only while the hold's shared count is raised:
// set after the increment, cleared before the decrement, each separated from
// it by a signal fence (only this thread's handlers read the records).
void track_holder(uintptr_t* holders, uint32_t index, const void* holder) {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (index < UnmapLock::kTrackedHolds) holders[index] = reinterpret_cast<uintptr_t>(holder);
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

// True if this thread's innermost hold on a side is recorded and discarded.
bool innermost_hold_discarded(const uintptr_t* holders, uint32_t depth,
                              const DiscardedFrames& frames) {
  return depth != 0 && depth <= UnmapLock::kTrackedHolds && holders[depth - 1] != 0 &&
         frames.discards(holders[depth - 1]);
}

// How long an unmapper polls before it sleeps: exit windows are short, so a
// brief spin avoids a futex round trip in the common contended case.
constexpr int kUnmapperSpinIterations = 200;
// How long an exiter defers to a waiting unmapper before it opens its window
// anyway. Bounded: deferring is for fairness, never needed for safety.
constexpr int kExiterDeferIterations = 100;

}  // namespace

UnmapLock& process_unmap_lock() { return g_unmap_lock; }

namespace {
void close_windows_at_thread_exit(ThreadRecord& record) {
  g_unmap_lock.close_windows_of_exiting_thread(record);
}
}  // namespace

void prepare_unmap_lock() {
  set_thread_exit_hook(close_windows_at_thread_exit);
  // Fails only on kernels or sandboxes without membarrier: closes then pay a
  // fence each (os/asymmetric_fence.h).
  prepare_asymmetric_fence();
}

namespace {
// True if this thread holds a window, tracked or not (then deferring to an
// unmapper would be deferring to itself, if it is the one that waits).
bool this_thread_holds_a_window() {
  if (t_exit_depth != 0) return true;
  const ThreadRecord* record = this_thread_record_if_any();
  if (record == nullptr) return false;
  uint32_t depth = record->depth.load(std::memory_order_relaxed);
  if (depth > kTrackedWaits) depth = kTrackedWaits;
  for (uint32_t e = 0; e < depth; ++e) {
    if ((record->waits[e].barrier.load(std::memory_order_relaxed) & kWindowOpenBit) != 0) {
      return true;
    }
  }
  return false;
}

// Clears the window bit of `entry` if it is set: a release store, which hands
// everything read inside the window to the unmapper whose scan (acquire)
// sees the bit clear. Returns whether it was set. Only the entry's thread
// calls this, so a plain load and store suffice; clearing a clear bit is
// harmless, so a signal anywhere around it leaves the entry consistent.
bool close_window_of(WaitEntry& entry) {
  const uintptr_t value = entry.barrier.load(std::memory_order_relaxed);
  if ((value & kWindowOpenBit) == 0) return false;
  entry.barrier.store(value & ~kWindowOpenBit, std::memory_order_release);
  return true;
}
}  // namespace

void UnmapLock::enter_exit_window(TrackedWait* wait, const void* holder) {
  // relaxed, stored once: the unmappers this window matters to are ordered
  // after it by happens-before (see the header), so they see the flag too.
  if (!windows_opened_.load(std::memory_order_relaxed)) {
    windows_opened_.store(true, std::memory_order_relaxed);
  }
  // Defer briefly to an unmapper that is waiting for windows to drain, unless
  // this thread holds either side already (then it would defer to itself).
  if (unmapper_waiting() && t_unmap_depth == 0 && !this_thread_holds_a_window()) {
    for (int i = 0; i < kExiterDeferIterations && unmapper_waiting(); ++i) cpu_relax();
  }
  WaitEntry* entry = wait != nullptr ? wait->entry() : nullptr;
  if (entry != nullptr) {
    // The window is a bit in the wait's own entry, which holds the barrier's
    // address already: one store, nothing else to keep (a longjmp wrapper
    // finds the window through the wait's holder: abandon_holds_below).
    // relaxed: the unmappers that must see this window are ordered after it
    // by happens-before (the window opens before the arrival's release RMW,
    // which every later return of that round acquires); see the header.
    // Only this thread writes the entry; a handler nesting a wait of its own
    // uses the next one.
    entry->barrier.store(entry->barrier.load(std::memory_order_relaxed) | kWindowOpenBit,
                         std::memory_order_relaxed);
    return;
  }
  // Untracked: counted, for every unmapper to wait for.
  const uint32_t level = t_exit_depth++;
  untracked_windows().fetch_add(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ++t_counted_untracked;
  track_holder(t_exit_holders, level, holder);
}

void UnmapLock::leave_exit_window(TrackedWait* wait) {
  WaitEntry* entry = wait != nullptr ? wait->entry() : nullptr;
  if (entry != nullptr) {
    // Fork may have wiped the record under this window (the child's forking
    // thread finishing a window a handler interrupted): nothing to close.
    if (wait->still_owned()) close_window_of(*entry);
    wake_sleeping_unmappers();
    return;
  }
  leave_untracked_window();
}

void UnmapLock::leave_untracked_window() {
  track_holder(t_exit_holders, t_exit_depth - 1, nullptr);
  if (t_counted_untracked != 0) {
    --t_counted_untracked;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    // release: as a tracked window's close, for the unmappers that wait for
    // untracked windows.
    saturating_decrement(untracked_windows(), std::memory_order_release);
    wake_sleeping_unmappers();
  }
  --t_exit_depth;
}

void UnmapLock::wake_sleeping_unmappers() {
  // The window's close (a store) comes before the load of
  // sleeping_unmappers_: Dekker with wait_for_windows_on, which stores its
  // count there before it scans. The hot side of an asymmetric fence
  // (os/asymmetric_fence.h): a compiler barrier here, and a membarrier on
  // the sleeping unmapper's side, so that either its scan sees this window
  // closed, or this load sees it counted and we bump its futex word. Every
  // close does: the unmapper may be waiting for this window only.
  light_fence();
  // relaxed: the fence pair above orders it.
  if (sleeping_unmappers_.load(std::memory_order_relaxed) != 0) {
    // release: the unmapper that sees the bump sees this window closed.
    window_closes_.fetch_add(1, std::memory_order_release);
    futex_wake_all(reinterpret_cast<const uint32_t*>(&window_closes_), FutexScope::kPrivate);
  }
}

void UnmapLock::begin_unmap(const void* holder, uintptr_t begin, uintptr_t end) {
  ++t_unmap_depth;
  // relaxed: only the hint that makes exiters cut their spin and defer.
  unmappers_.fetch_add(1, std::memory_order_relaxed);
  track_holder(t_unmap_holders, t_unmap_depth - 1, holder);
  // seq_cst: pairs with the fence of a window opened after its arrival
  // (a robust sleeper breaking a round, wait_on_object.cc): one of the two
  // sees the other. Arrival windows need no fence (see the header).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!diagnostics_config().stats) {
    wait_for_windows_on(begin, end);
    return;
  }
  // BARRIER_SHIM_STATS: the same wait, timed when there is one.
  if (!must_wait_for_a_window_on(begin, end)) {
    stats_record_unmap(false, 0);
    return;
  }
  const uint64_t started_ns = monotonic_ns();
  wait_for_windows_on(begin, end);
  stats_record_unmap(true, monotonic_ns() - started_ns);
}

void UnmapLock::end_unmap() {
  track_holder(t_unmap_holders, t_unmap_depth - 1, nullptr);
  saturating_decrement(unmappers_, std::memory_order_relaxed);
  --t_unmap_depth;
}

bool UnmapLock::must_wait_for_a_window_on(uintptr_t begin, uintptr_t end,
                                          pid_t* owner_tid) const {
  if (owner_tid != nullptr) *owner_tid = 0;
  // No window was ever opened in this process: nothing to scan. relaxed: a
  // window that matters happens-before this unmap (see the header), and so
  // does its store of the flag.
  if (!windows_opened_.load(std::memory_order_relaxed)) return false;
  // Untracked windows of other threads: their objects are unknown. This
  // thread's own untracked ones (exactly what it counted there) are skipped,
  // like its tracked ones. acquire: pairs with the release decrement of an
  // untracked window.
  if (untracked_windows().load(std::memory_order_acquire) > t_counted_untracked) return true;
  const ThreadRecord* own = this_thread_record_if_any();
  const ThreadRecord* table = thread_record_table();
  const size_t used = thread_records_in_use_high_water();
  for (size_t i = 0; i < used; ++i) {
    const ThreadRecord& record = table[i];
    if (&record == own) continue;
    // acquire (depth): a wait that ended (release) closed its window first.
    // An entry past the depth, and every entry of a free record (its
    // thread's exit closed them; a fork child's table was wiped), has its
    // bit clear. The depth shares the first line with the first entries: the
    // second line is read only for a thread nested deeper.
    uint32_t depth = record.depth.load(std::memory_order_acquire);
    if (depth > kTrackedWaits) depth = kTrackedWaits;
    for (uint32_t e = 0; e < depth; ++e) {
      // acquire: a window closed (release) has finished reading.
      const uintptr_t barrier = record.waits[e].barrier.load(std::memory_order_acquire);
      if ((barrier & kWindowOpenBit) == 0) continue;
      const uintptr_t object = barrier & ~kWindowOpenBit;
      if (object < end && object + kObjectBytes > begin) {
        if (owner_tid != nullptr) *owner_tid = record.tid.load(std::memory_order_relaxed);
        return true;
      }
    }
  }
  return false;
}

void UnmapLock::wait_for_windows_on(uintptr_t begin, uintptr_t end) {
  for (int i = 0; i < kUnmapperSpinIterations; ++i) {
    if (!must_wait_for_a_window_on(begin, end)) return;
    cpu_relax();
  }
  PriorityBoost boost;  // ends (gives the priority back) when the wait does
  for (;;) {
    // The increment, then the heavy side of the asymmetric fence, then the
    // read of window_closes_ and the scan: pairs with wake_sleeping_unmappers'
    // close-then-load (Dekker), so either the scan sees a window closed, or
    // its close sees this sleeper, bumps window_closes_ past `seen` and wakes
    // us. (acquire on `seen`: a bump already made carries its close to the
    // scan.) The model check found the lost wake-up of sleeping on a count of
    // open windows instead: an open and a close in between leave it at the
    // value read. The timeout is only a fallback, and lets a real-time boost
    // be re-aimed.
    sleeping_unmappers_.fetch_add(1, std::memory_order_relaxed);
    heavy_fence();
    const uint32_t seen = window_closes_.load(std::memory_order_acquire);
    pid_t owner = 0;
    const bool must_wait = must_wait_for_a_window_on(begin, end, &owner);
    if (must_wait) {
      // A real-time unmapper lends its priority to the owner it waits for,
      // so that a thread of middle priority cannot keep that owner (and so
      // this unmapper) from running; taken back when the wait ends.
      boost.lend_to(owner);
      futex_wait_bitset_until(reinterpret_cast<const uint32_t*>(&window_closes_), seen,
                              FUTEX_BITSET_MATCH_ANY, FutexScope::kPrivate,
                              deadline_after(kUnmapperRecheckNs));
    }
    saturating_decrement(sleeping_unmappers_, std::memory_order_relaxed);
    if (!must_wait) return;
  }
}

void UnmapLock::close_windows_of_exiting_thread(ThreadRecord& record) {
  // The exiting thread's record loses its windows; the untracked count loses
  // exactly what this thread counted in it (see t_counted_untracked).
  for (WaitEntry& entry : record.waits) close_window_of(entry);
  for (; t_counted_untracked != 0; --t_counted_untracked) {
    saturating_decrement(untracked_windows(), std::memory_order_release);
  }
  wake_sleeping_unmappers();
  t_exit_depth = 0;
}

bool UnmapLock::this_thread_may_hold_anything() {
  if (t_exit_depth != 0 || t_unmap_depth != 0) return true;
  // A tracked window is a bit in an entry of a wait in progress; a wait
  // without a record is untracked and holds its window through t_exit_depth.
  // relaxed: only this thread (or a handler on it) writes its depth.
  const ThreadRecord* record = this_thread_record_if_any();
  return record != nullptr && record->depth.load(std::memory_order_relaxed) != 0;
}

void UnmapLock::abandon_holds_below(uintptr_t stack_pointer, uintptr_t altstack_begin,
                                    uintptr_t altstack_end) {
  const DiscardedFrames frames{stack_pointer, altstack_begin, altstack_end};
  // Innermost first, as their destructors would have run. Only this thread's
  // own holds: the counts stay exact for everyone else. Untracked windows
  // are nested inside the tracked ones (deeper waits), so they go first.
  while (innermost_hold_discarded(t_exit_holders, t_exit_depth, frames)) {
    leave_untracked_window();
  }
  // Tracked windows: the windows of the waits whose frames the jump
  // discards (the waits themselves are abandoned next, by the caller).
  if (ThreadRecord* record = this_thread_record_if_any()) {
    uint32_t depth = record->depth.load(std::memory_order_relaxed);
    if (depth > kTrackedWaits) depth = kTrackedWaits;
    bool closed = false;
    for (uint32_t e = depth; e-- > 0 && frames.discards(t_wait_holders[e]);) {
      closed |= close_window_of(record->waits[e]);
    }
    if (closed) wake_sleeping_unmappers();
  }
  while (innermost_hold_discarded(t_unmap_holders, t_unmap_depth, frames)) {
    end_unmap();
  }
}

void UnmapLock::reset_in_child_after_fork() {
  // Single-threaded here, on the forking thread. Its own open window, if fork
  // ran in a handler inside one, is skipped by its own unmaps (its record);
  // it counts in nothing any more, so its later close lowers no shared count
  // (another child thread's window may be counted there by then), and its
  // entry, wiped with the table, is not written (still_owned()).
  t_counted_untracked = 0;
  unmappers_.store(0, std::memory_order_relaxed);
  sleeping_unmappers_.store(0, std::memory_order_relaxed);
}

}  // namespace bshim
