// A record per thread of this process that waits at a barrier: what the
// other threads must know of it, exactly, instead of inferring it from bytes
// the program may have freed, copied or re-initialised.
//
// A record says in which barriers (address, generation, round) its thread is
// inside pthread_barrier_wait, so that init and destroy answer EBUSY only
// while a thread that still exists is blocked in an incomplete round
// (barrier/blocked_waiters.h); and, by a bit in the same entry, which of
// those waits has its exit window open on the barrier's object, so that an
// unmapper waits exactly for the windows of live threads on the memory it
// unmaps (unmap_lock/unmap_lock.h). One cache line per thread, written only
// by its thread.
//
// Lifetime of a record, and why a dead thread's never counts:
//  - claimed by its thread on first use, lock-free (one CAS on a free record);
//  - cleared and freed when the thread exits, by a pthread key destructor
//    (pthread_exit, cancellation and a return from the start routine all run
//    it), whatever the thread was doing when it went;
//  - wiped by the kernel in the child of fork (the table is MADV_WIPEONFORK
//    memory), before any atfork handler of any library can run: the parent's
//    other threads do not exist there;
//  - its wait entries whose frames a longjmp discards are dropped by the
//    preload layer's longjmp wrappers (abandon_waits_below).
// A thread that finds no free record (more than kMaxThreadRecords threads at
// once), or runs where the table could not be prepared, waits untracked; it
// is counted in untracked_waits(), and its barriers fall back to judging
// blockage from the barrier's own bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "threads/discarded_frames.h"

namespace bshim {

// The round of a wait entry whose arrival has not been counted yet.
inline constexpr uint32_t kRoundNotArrived = 0xffffffffU;
// Waits one thread can be inside at once and have tracked: the wait itself,
// and waits of signal handlers nested in it. Deeper ones are untracked (their
// windows make every unmap of the process wait for them), so there is room
// for handlers nested six deep.
inline constexpr uint32_t kTrackedWaits = 7;
// The entries on a record's first cache line: an unmapper's scan reads the
// second only for a thread nested deeper than that.
inline constexpr uint32_t kWaitsOnFirstLine = 3;

// Set in WaitEntry::barrier while the wait's exit window is open: the wait
// may still touch the barrier object at that address. Barriers are 8-aligned
// (others are refused with EINVAL), so bit 0 of the address is free.
inline constexpr uintptr_t kWindowOpenBit = 1;

struct WaitEntry {
  // The caller's pthread_barrier_t*, with kWindowOpenBit while its exit
  // window is open; 0: never used.
  std::atomic<uintptr_t> barrier;
  std::atomic<uint32_t> generation;   // of the barrier, when the wait began
  std::atomic<uint32_t> round;        // the round it arrived in, or kRoundNotArrived
};

// Invariants: `owner` is 0 (free) or the token of the one live thread that
// owns the record; only that thread writes its entries and `depth`, other
// threads only read them. Wait entries [0, min(depth, kTrackedWaits)) are in
// use; an entry not in use, and every entry of a free record, has its window
// bit clear (a window is closed before its wait ends, or at the thread's exit
// before the record is freed, or by a longjmp wrapper before the wait is
// abandoned).
struct alignas(64) ThreadRecord {
  std::atomic<uint64_t> owner;
  std::atomic<uint32_t> depth;   // waits in progress, nested ones included
  std::atomic<int32_t> tid;      // the owner's kernel thread id (priority boosts)
  WaitEntry waits[kTrackedWaits];
};
static_assert(sizeof(ThreadRecord) == 128, "two cache lines per thread");
static_assert(offsetof(ThreadRecord, waits) + kWaitsOnFirstLine * sizeof(WaitEntry) == 64,
              "the first entries share the line of owner and depth");

inline constexpr size_t kMaxThreadRecords = 4096;

// Prepares the table (MADV_WIPEONFORK) and the key whose destructor frees a
// thread's record at exit. Called by the library constructor; idempotent.
// Without it records still work, but survive fork and thread exit.
void prepare_thread_records();

// One wait of this thread, from before its arrival until it returns. The
// constructor claims the record on the thread's first wait. `holder` is an
// address in the caller's frame (for abandon_waits_below).
class TrackedWait {
 public:
  // Inlined into the wait: a call less, and fewer registers saved around it.
  __attribute__((always_inline)) inline TrackedWait(const void* barrier, uint32_t generation,
                                                    const void* holder);
  __attribute__((always_inline)) inline ~TrackedWait();
  TrackedWait(const TrackedWait&) = delete;
  TrackedWait& operator=(const TrackedWait&) = delete;
  // This wait's entry in its thread's record (null when untracked), and
  // whether this thread still owns that record (fork wipes the table).
  WaitEntry* entry() const { return entry_; }
  inline bool still_owned() const;
  // The round this wait's arrival joined.
  void arrived_in(uint32_t round) {
    // relaxed: readers (init, destroy) that must see it are ordered after the
    // arrival by the program; a stale kRoundNotArrived only makes them count
    // this wait as blocked, which it is.
    if (entry_ != nullptr) entry_->round.store(round, std::memory_order_relaxed);
  }

 private:
  ThreadRecord* record_;
  WaitEntry* entry_;  // null when untracked
  // The holder slot's value before this wait took it, put back when the
  // wait ends: an outer wait whose constructor this one interrupted (a
  // signal handler's wait, between the outer's holder and depth stores)
  // finds its own holder there again.
  uintptr_t saved_holder_ = 0;
};

// Waits in progress that have no entry (no record, or nested too deep).
uint32_t untracked_waits();
// Counts one more or one fewer untracked wait (the slow paths of TrackedWait).
void count_untracked_wait();
void uncount_untracked_wait();
// Where each tracked wait's holder lives on the stack, for abandon_waits_below.
extern __thread uintptr_t t_wait_holders[kTrackedWaits] __attribute__((tls_model("initial-exec")));

// This thread's record and the token that proves it still owns it (after
// fork the kernel wiped the table under it). initial-exec: a plain
// %fs-relative access, no allocation, even on first use in a signal handler.
extern __thread ThreadRecord* t_thread_record __attribute__((tls_model("initial-exec")));
extern __thread uint64_t t_thread_token __attribute__((tls_model("initial-exec")));

// True while this thread owns `record` (fork wipes the table).
inline bool this_thread_owns(const ThreadRecord* record) {
  // relaxed: only this thread ever stores its own token; the load sees it,
  // or, after fork wiped the table, 0 or another child thread's token. A
  // thread has a record only after its token (never 0) was drawn, so a free
  // record's 0 never matches.
  return record != nullptr && record->owner.load(std::memory_order_relaxed) == t_thread_token;
}
// This thread's record if it has claimed one and still owns it, else nullptr.
inline ThreadRecord* this_thread_record_if_any() {
  ThreadRecord* record = t_thread_record;
  return this_thread_owns(record) ? record : nullptr;
}
ThreadRecord* claim_thread_record();  // the slow path: first use, or after fork
// This thread's record, claimed on first use; nullptr when none is free.
inline ThreadRecord* this_thread_record() {
  ThreadRecord* record = this_thread_record_if_any();
  return record != nullptr ? record : claim_thread_record();
}

// Exit windows open without a tracked wait entry, in this process; kept in
// the table's fork-wiped memory, so a fork child starts at 0.
std::atomic<uint32_t>& untracked_windows();

// Called in an exiting thread, with its record, just before the record is
// freed (the unmap lock closes the windows the thread left open).
void set_thread_exit_hook(void (*hook)(ThreadRecord& record));

// Calls `visit(round)` for every tracked wait in progress, in any live thread
// of this process, on the barrier at `barrier` of generation `generation`;
// stops early and returns true when a visit returns true.
template <typename Visit>
bool any_tracked_wait_on(const void* barrier, uint32_t generation, Visit visit);

// The longjmp wrappers: this thread's wait entries whose holders lie in
// frames the jump discards are dropped, innermost first.
void abandon_waits_below(const DiscardedFrames& frames);

// The child of fork, single-threaded, from the atfork child handler: forgets
// the records of the parent's other threads where the kernel could not wipe
// them, and the untracked waits.
void reset_thread_records_in_child();

// For tests: the table and how many records have ever been used.
ThreadRecord* thread_record_table();
size_t thread_records_in_use_high_water();

TrackedWait::TrackedWait(const void* barrier, uint32_t generation, const void* holder)
    : record_(this_thread_record()), entry_(nullptr) {
  if (record_ == nullptr) {
    count_untracked_wait();
    return;
  }
  const uint32_t depth = record_->depth.load(std::memory_order_relaxed);
  // The holder before the depth: a longjmp out of a handler that interrupts
  // this thread once the depth counts this wait finds this wait's holder,
  // not a stale one of an earlier wait at this depth (which could stop the
  // abandoning walk and leave an outer window open: review, 8/8 hangs).
  if (depth < kTrackedWaits) {
    saved_holder_ = t_wait_holders[depth];
    t_wait_holders[depth] = reinterpret_cast<uintptr_t>(holder);
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  // Then the depth: a signal handler that interrupts this thread from here
  // on nests its wait one entry further and cannot overwrite ours. relaxed:
  // a reader that matters (init or destroy of this barrier) is ordered after
  // this wait's arrival, which comes after every store here; one that reads
  // in between may see the entry's previous contents, a wait that is over.
  record_->depth.store(depth + 1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (depth >= kTrackedWaits) {
    count_untracked_wait();
    return;
  }
  entry_ = &record_->waits[depth];
  entry_->barrier.store(reinterpret_cast<uintptr_t>(barrier), std::memory_order_relaxed);
  entry_->generation.store(generation, std::memory_order_relaxed);
  entry_->round.store(kRoundNotArrived, std::memory_order_relaxed);
  // Again: a handler nested before the depth's store used the same slot.
  t_wait_holders[depth] = reinterpret_cast<uintptr_t>(holder);
}

bool TrackedWait::still_owned() const { return this_thread_owns(record_); }

TrackedWait::~TrackedWait() {
  if (record_ == nullptr) {
    uncount_untracked_wait();
    return;
  }
  // Fork may have wiped the record under this wait (the child's forking
  // thread finishing a wait its handler interrupted): nothing of ours left.
  if (!this_thread_owns(record_)) return;
  const uint32_t depth = record_->depth.load(std::memory_order_relaxed);
  if (depth > kTrackedWaits) uncount_untracked_wait();
  // A reader that still sees the old depth sees an entry whose round is
  // complete, which it does not count as blocked. A handler nested before
  // this store uses the entry again only after its own wait has ended.
  // release: an unmapper whose scan sees the lower depth (acquire) skips the
  // entry, and so must see the window's close that came before.
  if (depth != 0) record_->depth.store(depth - 1, std::memory_order_release);
  // After the depth no longer counts this wait (review 3: a handler's wait
  // ending between an outer constructor's holder and depth stores left its
  // own holder in the outer's slot, and a jump in the next instant dropped
  // the live outer wait).
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (entry_ != nullptr && depth != 0 && depth <= kTrackedWaits) {
    t_wait_holders[depth - 1] = saved_holder_;
  }
}

template <typename Visit>
bool any_tracked_wait_on(const void* barrier, uint32_t generation, Visit visit) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(barrier);
  ThreadRecord* table = thread_record_table();
  const size_t used = thread_records_in_use_high_water();
  for (size_t i = 0; i < used; ++i) {
    ThreadRecord& record = table[i];
    // acquire: an owner's entry stores before its arrival are visible to a
    // reader ordered after that arrival; the loads of a free record only
    // read zeros.
    if (record.owner.load(std::memory_order_acquire) == 0) continue;
    uint32_t depth = record.depth.load(std::memory_order_acquire);
    if (depth > kTrackedWaits) depth = kTrackedWaits;
    for (uint32_t e = 0; e < depth; ++e) {
      const WaitEntry& entry = record.waits[e];
      if ((entry.barrier.load(std::memory_order_relaxed) & ~kWindowOpenBit) == address &&
          entry.generation.load(std::memory_order_relaxed) == generation &&
          visit(entry.round.load(std::memory_order_relaxed))) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace bshim
