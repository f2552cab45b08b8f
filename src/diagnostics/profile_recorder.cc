#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>

#include "diagnostics/profile.h"
#include "diagnostics/text_buffer.h"
#include "os/environment.h"

namespace bshim {
namespace {

// 2^18 waits (16 MiB, populated at load when the profile is on).
constexpr size_t kTableEvents = size_t{1} << 18;
// Taken by a thread at a time: one atomic add per 256 waits.
constexpr size_t kChunkEvents = 256;

// Written by configure_profile() before any thread waits, then constant.
constinit ProfileEvent* g_table = nullptr;
constinit char g_prefix[PATH_MAX];
constinit bool g_has_prefix = false;
// Chunks handed out so far (in events: a multiple of kChunkEvents).
constinit std::atomic<size_t> g_taken{0};

// This thread's chunk: the next free event and the end. initial-exec: a
// plain %fs-relative access, no allocation, even on first use.
__thread ProfileEvent* t_next __attribute__((tls_model("initial-exec")));
__thread ProfileEvent* t_end __attribute__((tls_model("initial-exec")));
__thread int32_t t_tid __attribute__((tls_model("initial-exec")));
// Set once the table had no chunk left for this thread: later waits only
// count as dropped (no atomic add on the table's index for each).
__thread bool t_table_full __attribute__((tls_model("initial-exec")));
// The overflow entry this thread last counted in, and its barrier.
__thread OverflowCounts* t_overflow __attribute__((tls_model("initial-exec")));
constinit OverflowCounts g_overflow[kOverflowEntries];
constinit std::atomic<uint64_t> g_overflow_lost{0};  // no free entry either
// Which table generation this thread's chunk belongs to (a fork child
// starts a new one: the chunk it inherited is the parent's).
__thread uint32_t t_epoch __attribute__((tls_model("initial-exec")));
constinit std::atomic<uint32_t> g_epoch{1};

// This thread's overflow entry for `barrier`: found, or claimed with one CAS
// (only when the thread starts overflowing on a barrier). Null: none free.
OverflowCounts* overflow_entry(uint64_t barrier) {
  if (t_overflow != nullptr && t_overflow->barrier.load(std::memory_order_relaxed) == barrier) {
    return t_overflow;
  }
  for (OverflowCounts& entry : g_overflow) {
    uint64_t owner = entry.barrier.load(std::memory_order_acquire);
    if (owner == barrier && entry.tid.load(std::memory_order_relaxed) == t_tid) {
      return t_overflow = &entry;
    }
    // acq_rel: the claim publishes the tid stored right after to the report
    // (read at exit, after the program's own synchronisation anyway).
    if (owner == 0 &&
        entry.barrier.compare_exchange_strong(owner, barrier, std::memory_order_acq_rel)) {
      entry.tid.store(t_tid, std::memory_order_relaxed);
      return t_overflow = &entry;
    }
  }
  return nullptr;
}

// Counts a wait that found the table full. Single writer per entry: plain
// relaxed loads and stores, no shared read-modify-write per wait.
void count_overflow(const ProfiledWait& wait) {
  OverflowCounts* entry = overflow_entry(reinterpret_cast<uintptr_t>(wait.barrier));
  if (entry == nullptr) {
    g_overflow_lost.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t waited = wait.returned_ns - wait.entered_ns;
  entry->waits.store(entry->waits.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (wait.arrival == wait.count) {
    entry->last.store(entry->last.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  entry->waited_ns.store(entry->waited_ns.load(std::memory_order_relaxed) + waited,
                         std::memory_order_relaxed);
  if (waited > entry->longest_ns.load(std::memory_order_relaxed)) {
    entry->longest_ns.store(waited, std::memory_order_relaxed);
  }
}

ProfileEvent* next_free_event() {
  const uint32_t epoch = g_epoch.load(std::memory_order_relaxed);
  if (t_epoch != epoch) {
    // This thread's first wait since load (or since fork): one system call.
    t_epoch = epoch;
    t_tid = static_cast<int32_t>(syscall(SYS_gettid));
    t_next = t_end = nullptr;
    t_table_full = false;
    t_overflow = nullptr;
  }
  if (t_next == t_end) {
    if (t_table_full) return nullptr;
    // relaxed: the chunk is this thread's alone from here; the report reads
    // at exit, after the program's own synchronisation with this thread.
    const size_t first = g_taken.fetch_add(kChunkEvents, std::memory_order_relaxed);
    if (first + kChunkEvents > kTableEvents) {
      t_table_full = true;
      return nullptr;
    }
    t_next = g_table + first;
    t_end = t_next + kChunkEvents;
  }
  return t_next++;
}

}  // namespace

void configure_profile(const char* value) {
  if (value == nullptr || value[0] == '\0' || (value[0] == '0' && value[1] == '\0')) return;
  if (!(value[0] == '1' && value[1] == '\0') && !looks_like_path(value)) {
    warn_about_setting("BARRIER_SHIM_PROFILE", value,
                       "is not 0, 1 or a path prefix (a path has a '/' or a '.': ./run)",
                       "the profile is off");
    return;
  }
  if (!(value[0] == '1' && value[1] == '\0')) {
    size_t length = 0;
    while (value[length] != '\0') ++length;
    if (length + 32 >= sizeof(g_prefix)) {
      FixedText<256> line;
      line.text("barrier-shim: BARRIER_SHIM_PROFILE is too long a path; the profile is off\n");
      write_all(STDERR_FILENO, line);
      return;
    }
    for (size_t i = 0; i <= length; ++i) g_prefix[i] = value[i];
    g_has_prefix = true;
  }
  // Populated now: a wait never faults a page of it in.
  void* table = mmap(nullptr, kTableEvents * sizeof(ProfileEvent), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (table == MAP_FAILED) {
    FixedText<256> line;
    line.text("barrier-shim: BARRIER_SHIM_PROFILE: no memory for the profile; it is off\n");
    write_all(STDERR_FILENO, line);
    return;
  }
  g_table = static_cast<ProfileEvent*>(table);
  g_diagnostics_config.profile = true;
}

void profile_record_wait(const ProfiledWait& wait) {
  ProfileEvent* event = next_free_event();
  if (event == nullptr) {
    count_overflow(wait);
    return;
  }
  event->barrier = reinterpret_cast<uintptr_t>(wait.barrier);
  event->call_site = reinterpret_cast<uintptr_t>(wait.call_site);
  event->entered_ns = wait.entered_ns;
  event->returned_ns = wait.returned_ns;
  event->generation = wait.generation;
  event->round = wait.round;
  event->arrival = wait.arrival;
  event->count = wait.count;
  event->process_shared = wait.process_shared ? 1 : 0;
  event->outcome = static_cast<uint8_t>(wait.outcome);
  event->tid = t_tid;  // last: a slot with tid 0 is unused
}

const ProfileEvent* profile_events(size_t* count) {
  const size_t taken = g_taken.load(std::memory_order_relaxed);
  *count = taken < kTableEvents ? taken : kTableEvents;
  return g_table;
}

uint64_t profile_dropped_events() {
  uint64_t dropped = g_overflow_lost.load(std::memory_order_relaxed);
  for (const OverflowCounts& entry : g_overflow) {
    if (entry.barrier.load(std::memory_order_relaxed) != 0) {
      dropped += entry.waits.load(std::memory_order_relaxed);
    }
  }
  return dropped;
}

const OverflowCounts* profile_overflow_counts() { return g_overflow; }

const char* profile_path_prefix() { return g_has_prefix ? g_prefix : nullptr; }

void profile_reset_in_child() {
  if (g_table == nullptr) return;
  // Single-threaded: the parent's events are the parent's to report.
  for (size_t i = 0, n = g_taken.load(std::memory_order_relaxed); i < n && i < kTableEvents; ++i) {
    g_table[i].tid = 0;
  }
  g_taken.store(0, std::memory_order_relaxed);
  for (OverflowCounts& entry : g_overflow) {
    entry.barrier.store(0, std::memory_order_relaxed);
    entry.waits.store(0, std::memory_order_relaxed);
    entry.last.store(0, std::memory_order_relaxed);
    entry.waited_ns.store(0, std::memory_order_relaxed);
    entry.longest_ns.store(0, std::memory_order_relaxed);
  }
  g_overflow_lost.store(0, std::memory_order_relaxed);
  g_epoch.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bshim
