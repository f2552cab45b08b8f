#include "threads/thread_records.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "os/cancel_type.h"
#include "os/saturating_decrement.h"

namespace bshim {
namespace {

// The table lives in this library's zero-initialised static memory: usable
// before any constructor ran, never freed. Page-aligned, so that the pages it
// spans can be marked MADV_WIPEONFORK (only whole pages of an anonymous
// private mapping can; a shared object's .bss past its file is one).
struct alignas(4096) ThreadTable {
  ThreadRecord records[kMaxThreadRecords];
  std::atomic<uint32_t> untracked_waits;
  std::atomic<uint32_t> untracked_windows;
};
ThreadTable g_table;
ThreadRecord* const g_records = g_table.records;
std::atomic<uint32_t>& g_untracked = g_table.untracked_waits;
// Records [0, g_high_water) have been claimed at some time; scans stop there.
// Not wiped at fork: a high mark only costs a longer scan.
std::atomic<size_t> g_high_water{0};
std::atomic<uint64_t> g_next_token{0};
std::atomic<void (*)(ThreadRecord&)> g_exit_hook{nullptr};

pthread_key_t g_exit_key;
// True once g_exit_key exists and pthread_setspecific on it cannot allocate
// (keys below PTHREAD_KEY_2NDLEVEL_SIZE live in the thread descriptor).
std::atomic<bool> g_exit_key_usable{false};
constexpr unsigned kKeysWithoutAllocation = 32;


// Frees the record: its waits end with the thread. release: a reader that
// sees the record free (acquire) or reused sees depth 0 first.
void free_record(ThreadRecord* record) {
  const uint32_t depth = record->depth.load(std::memory_order_relaxed);
  for (uint32_t i = kTrackedWaits; i < depth; ++i) saturating_decrement(g_untracked);
  record->depth.store(0, std::memory_order_relaxed);
  // A window left open by a thread that never ran its exit hook (a fork
  // child's record of a parent thread, where the kernel could not wipe it).
  for (WaitEntry& entry : record->waits) {
    entry.barrier.store(entry.barrier.load(std::memory_order_relaxed) & ~kWindowOpenBit,
                        std::memory_order_relaxed);
  }
  record->owner.store(0, std::memory_order_release);
}

// The pthread key destructor: runs in the exiting thread, whatever way it
// exits through pthread_exit (return from the start routine, cancellation).
void free_record_at_thread_exit(void* value) {
  ThreadRecord* record = static_cast<ThreadRecord*>(value);
  if (record == t_thread_record && this_thread_owns(record)) {
    if (auto* hook = g_exit_hook.load(std::memory_order_acquire)) hook(*record);
    free_record(record);
  }
  t_thread_record = nullptr;
}

}  // namespace

__thread ThreadRecord* t_thread_record __attribute__((tls_model("initial-exec")));
__thread uint64_t t_thread_token __attribute__((tls_model("initial-exec")));
__thread uintptr_t t_wait_holders[kTrackedWaits] __attribute__((tls_model("initial-exec")));

ThreadRecord* claim_thread_record() {
  // Between taking a record (the owner CAS) and registering the destructor
  // that frees it at thread exit (pthread_setspecific), an asynchronous
  // cancellation would leak the record for good: after 4096 such leaks every
  // new thread waits untracked (review 11: 33 leaks in 400 instants of a
  // first wait). Deferred for the claim, which happens once per thread.
  AsyncCancellationDeferred no_cancellation_while_claiming;
  if (t_thread_token == 0) t_thread_token = g_next_token.fetch_add(1, std::memory_order_relaxed) + 1;
  for (size_t i = 0; i < kMaxThreadRecords; ++i) {
    uint64_t expected = 0;
    // relaxed: a record is only ever handed from a thread that exited (its
    // release store of 0) to one that claims it; the claimant writes every
    // field it reads before using it.
    if (g_records[i].owner.load(std::memory_order_relaxed) != 0 ||
        !g_records[i].owner.compare_exchange_strong(expected, t_thread_token,
                                                    std::memory_order_acquire)) {
      continue;
    }
    g_records[i].depth.store(0, std::memory_order_relaxed);
    // One system call per thread, on its first wait: unmappers that lend
    // it their priority need its kernel id.
    g_records[i].tid.store(static_cast<int32_t>(syscall(SYS_gettid)), std::memory_order_relaxed);
    // A wrap-aware maximum is not needed: the mark only grows.
    size_t high = g_high_water.load(std::memory_order_relaxed);
    while (high < i + 1 &&
           !g_high_water.compare_exchange_weak(high, i + 1, std::memory_order_release,
                                               std::memory_order_relaxed)) {
    }
    if (g_exit_key_usable.load(std::memory_order_acquire)) {
      pthread_setspecific(g_exit_key, &g_records[i]);
    }
    t_thread_record = &g_records[i];
    return t_thread_record;
  }
  return nullptr;  // table full: this thread waits untracked
}

std::atomic<uint32_t>& untracked_windows() { return g_table.untracked_windows; }

void set_thread_exit_hook(void (*hook)(ThreadRecord& record)) {
  g_exit_hook.store(hook, std::memory_order_release);
}

void prepare_thread_records() {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] {
#ifdef MADV_WIPEONFORK
    // Linux 4.14 and later. Without it a fork child keeps the parent's
    // records: its init and destroy may then answer EBUSY for the parent's
    // blocked threads, as before records existed.
    madvise(&g_table, sizeof(g_table), MADV_WIPEONFORK);
#endif
    if (pthread_key_create(&g_exit_key, free_record_at_thread_exit) == 0 &&
        g_exit_key < kKeysWithoutAllocation) {
      g_exit_key_usable.store(true, std::memory_order_release);
    }
  });
}

void count_untracked_wait() { g_untracked.fetch_add(1, std::memory_order_relaxed); }

void uncount_untracked_wait() {
  // Saturates: the child of fork reset the count under a wait in progress.
  saturating_decrement(g_untracked);
}

void reset_thread_records_in_child() {
  const size_t used = thread_records_in_use_high_water();
  for (size_t i = 0; i < used; ++i) {
    if (&g_records[i] != t_thread_record) free_record(&g_records[i]);
  }
  // The forking thread has a new kernel id in the child.
  if (t_thread_record != nullptr) {
    t_thread_record->tid.store(static_cast<int32_t>(syscall(SYS_gettid)), std::memory_order_relaxed);
  }
  g_untracked.store(0, std::memory_order_relaxed);
  g_table.untracked_windows.store(0, std::memory_order_relaxed);
}

uint32_t untracked_waits() { return g_untracked.load(std::memory_order_relaxed); }

void abandon_waits_below(const DiscardedFrames& frames) {
  ThreadRecord* record = t_thread_record;
  if (!this_thread_owns(record)) return;
  uint32_t depth = record->depth.load(std::memory_order_relaxed);
  // Untracked waits nested above the innermost tracked one ran in handlers
  // that interrupted it: if the jump discards its frame, it discards theirs.
  if (depth > kTrackedWaits && frames.discards(t_wait_holders[kTrackedWaits - 1])) {
    for (; depth > kTrackedWaits; --depth) saturating_decrement(g_untracked);
    // release: as in ~TrackedWait.
    record->depth.store(depth, std::memory_order_release);
  }
  // Innermost first, as their destructors would have run.
  for (;;) {
    depth = record->depth.load(std::memory_order_relaxed);
    if (depth == 0 || depth > kTrackedWaits || !frames.discards(t_wait_holders[depth - 1])) {
      return;
    }
    record->depth.store(depth - 1, std::memory_order_release);
  }
}

ThreadRecord* thread_record_table() { return g_records; }

size_t thread_records_in_use_high_water() {
  // acquire: pairs with the claim's release, so the records below the mark
  // are initialised.
  return g_high_water.load(std::memory_order_acquire);
}

}  // namespace bshim
