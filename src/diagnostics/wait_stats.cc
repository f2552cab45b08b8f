// Per-barrier wait statistics and unmap-lock totals (BARRIER_SHIM_STATS),
// counted into the table of stats_table.h.
//
// Recording is lock-free and allocation-free, so it is async-signal-safe: a
// signal handler may wait at a barrier while its thread is recording. Every
// counter is a relaxed atomic (see stats_table.h).
#include "diagnostics/wait_stats.h"

#include <atomic>

#include "contract/diagnostic_hooks.h"
#include "diagnostics/elf_symbols.h"
#include "diagnostics/text_buffer.h"

namespace bshim {

// Zero-initialised static storage: no constructor runs, and the table costs
// no memory until it is touched (or the live file is mapped over it).
constinit StatsTable g_stats_table;

namespace {

size_t home_row_of(uintptr_t address) {
  // Fibonacci hashing of the address without its alignment bits.
  const uint64_t mixed = (static_cast<uint64_t>(address) >> 3) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(mixed >> 56) % kStatsRows;
}

// The row of `address`, claiming a free one on first use; the "other
// barriers" row when every row belongs to another barrier. Probes the whole
// table at worst (a few hundred relaxed loads, and only with stats on).
// Inlined, as it was before init sites shared it: the wait pays no call.
__attribute__((always_inline)) inline StatsRow& row_for(uintptr_t address) {
  StatsTable& table = g_stats_table;
  if (address == 0) return table.other_barriers;
  const size_t home = home_row_of(address);
  for (size_t probe = 0; probe < kStatsRows; ++probe) {
    StatsRow& row = table.rows[(home + probe) % kStatsRows];
    // relaxed: the key is the only thing a claimer publishes, and the
    // counters that follow are independent relaxed atomics (stats_table.h).
    uint64_t owner = row.barrier.load(std::memory_order_relaxed);
    if (owner == address) return row;
    if (owner == 0) {
      if (row.barrier.compare_exchange_strong(owner, address, std::memory_order_relaxed)) {
        return row;
      }
      if (owner == address) return row;  // another waiter claimed it for us
    }
  }
  return table.other_barriers;
}

// relaxed: a statistic, see the top of the file.
void raise_to(std::atomic<uint64_t>& maximum, uint64_t value) {
  uint64_t seen = maximum.load(std::memory_order_relaxed);
  while (value > seen &&
         !maximum.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

void count(std::atomic<uint64_t>& counter, uint64_t amount = 1) {
  counter.fetch_add(amount, std::memory_order_relaxed);  // relaxed: a statistic
}

void reset_row(StatsRow& row) {
  for (std::atomic<uint64_t>* counter :
       {&row.barrier, &row.rounds, &row.spun, &row.yielded, &row.slept, &row.broken,
        &row.longest_wait_ns, &row.init_site, &row.init_offset}) {
    counter->store(0, std::memory_order_relaxed);
  }
  row.init_object.store(0, std::memory_order_relaxed);
  row.inits.store(0, std::memory_order_relaxed);
  row.count.store(0, std::memory_order_relaxed);
  row.kinds.store(0, std::memory_order_relaxed);
  row.init_flags.store(0, std::memory_order_relaxed);
}

// The entry (index + 1) of the object loaded at `load_base` from `path`,
// added if it is not there yet; 0 when the list is full. Two threads adding
// the same object at once may add it twice, which only costs an entry.
uint32_t object_entry(uintptr_t load_base, const char* path, size_t path_length) {
  StatsObject* objects = g_stats_table.objects;
  for (uint32_t i = 0; i < kStatsObjects; ++i) {
    StatsObject& object = objects[i];
    // acquire: pairs with the release of `ready`, so the fields are complete.
    if (object.ready.load(std::memory_order_acquire) != 0) {
      if (object.load_base != load_base) continue;
      size_t same = 0;
      while (same < path_length && object.path[same] == path[same]) ++same;
      if (same == path_length && object.path[same] == '\0') return i + 1;
      continue;
    }
    uint32_t unclaimed = 0;
    // relaxed: the claim only elects the writer; `ready` publishes.
    if (!object.claimed.compare_exchange_strong(unclaimed, 1, std::memory_order_relaxed)) {
      continue;  // being written by another thread: look further
    }
    object.load_base = load_base;
    for (size_t j = 0; j < path_length; ++j) object.path[j] = path[j];
    object.path[path_length] = '\0';
    object.ready.store(1, std::memory_order_release);
    return i + 1;
  }
  return 0;
}

}  // namespace

BarrierStatsSnapshot snapshot_of(const StatsRow& row) {
  const uint8_t kinds = row.kinds.load(std::memory_order_relaxed);
  const uint8_t flags = row.init_flags.load(std::memory_order_relaxed);
  BarrierStatsSnapshot snapshot{};
  snapshot.barrier = row.barrier.load(std::memory_order_relaxed);
  snapshot.seen_private = (kinds & kKindPrivate) != 0;
  snapshot.seen_shared = (kinds & kKindShared) != 0;
  snapshot.rounds = row.rounds.load(std::memory_order_relaxed);
  snapshot.spun = row.spun.load(std::memory_order_relaxed);
  snapshot.yielded = row.yielded.load(std::memory_order_relaxed);
  snapshot.slept = row.slept.load(std::memory_order_relaxed);
  snapshot.broken = row.broken.load(std::memory_order_relaxed);
  snapshot.waits =
      snapshot.rounds + snapshot.spun + snapshot.yielded + snapshot.slept + snapshot.broken;
  snapshot.longest_wait_ns = row.longest_wait_ns.load(std::memory_order_relaxed);
  snapshot.init_site = row.init_site.load(std::memory_order_relaxed);
  snapshot.inits = row.inits.load(std::memory_order_relaxed);
  snapshot.count = row.count.load(std::memory_order_relaxed);
  snapshot.counts_differ = (flags & kCountsDiffer) != 0;
  snapshot.sites_differ = (flags & kSitesDiffer) != 0;
  return snapshot;
}

UnmapStatsSnapshot snapshot_of(const StatsUnmap& unmap) {
  return UnmapStatsSnapshot{
      unmap.calls.load(std::memory_order_relaxed),
      unmap.waited.load(std::memory_order_relaxed),
      unmap.total_wait_ns.load(std::memory_order_relaxed),
      unmap.longest_wait_ns.load(std::memory_order_relaxed),
  };
}

void stats_record_wait(const void* barrier, bool process_shared, WaitOutcome outcome,
                       uint64_t waited_ns) {
  StatsRow& row = row_for(reinterpret_cast<uintptr_t>(barrier));
  // relaxed: a statistic, see the top of the file.
  row.kinds.fetch_or(process_shared ? kKindShared : kKindPrivate, std::memory_order_relaxed);
  switch (outcome) {
    case WaitOutcome::kCompletedRound:
      count(row.rounds);
      break;
    case WaitOutcome::kSpun:
      count(row.spun);
      break;
    case WaitOutcome::kYielded:
      count(row.yielded);
      break;
    case WaitOutcome::kSlept:
      count(row.slept);
      break;
    case WaitOutcome::kBroken:
      count(row.broken);
      break;
  }
  raise_to(row.longest_wait_ns, waited_ns);
}

void stats_record_unmap(bool had_to_wait, uint64_t waited_ns) {
  StatsUnmap& unmap = g_stats_table.unmap;
  count(unmap.calls);
  if (!had_to_wait) return;
  count(unmap.waited);
  count(unmap.total_wait_ns, waited_ns);
  raise_to(unmap.longest_wait_ns, waited_ns);
}

void stats_record_init(const void* barrier, const void* call_site, unsigned count) {
  StatsRow& row = row_for(reinterpret_cast<uintptr_t>(barrier));
  if (&row == &g_stats_table.other_barriers) return;  // shared by many: no one site
  const uintptr_t site = reinterpret_cast<uintptr_t>(call_site);
  // relaxed throughout: statistics; the report reads them after the program's
  // own synchronisation, or as a snapshot that need not be of one instant.
  const uint32_t earlier_inits = row.inits.fetch_add(1, std::memory_order_relaxed);
  uint8_t flags = 0;
  if (earlier_inits != 0) {
    if (row.count.load(std::memory_order_relaxed) != count) flags |= kCountsDiffer;
    if (row.init_site.load(std::memory_order_relaxed) != site) flags |= kSitesDiffer;
  }
  if (flags != 0) row.init_flags.fetch_or(flags, std::memory_order_relaxed);
  row.count.store(count, std::memory_order_relaxed);
  uint32_t object = 0;
  uintptr_t load_base = 0;
  if (site != 0) {
    char path[kStatsPathBytes];
    TextBuffer path_text(path, sizeof(path) - 1);
    if (append_object_of(site, path_text, &load_base)) {
      object = object_entry(load_base, path_text.data(), path_text.size());
    }
  }
  row.init_offset.store(site - load_base, std::memory_order_relaxed);
  row.init_object.store(object, std::memory_order_relaxed);
  row.init_site.store(site, std::memory_order_relaxed);
}

const StatsRow* stats_row_in(const StatsTable& table, uintptr_t address) {
  if (address == 0) return nullptr;
  const size_t home = home_row_of(address);
  for (size_t probe = 0; probe < kStatsRows; ++probe) {
    const StatsRow& candidate = table.rows[(home + probe) % kStatsRows];
    const uint64_t owner = candidate.barrier.load(std::memory_order_relaxed);
    if (owner == 0) return nullptr;  // rows are claimed in probe order
    if (owner == address) return &candidate;
  }
  return nullptr;
}

bool stats_row_of(const void* barrier, BarrierStatsSnapshot* row) {
  const StatsRow* found = stats_row_in(g_stats_table, reinterpret_cast<uintptr_t>(barrier));
  if (found == nullptr) return false;
  *row = snapshot_of(*found);
  return true;
}

bool stats_row_at(size_t index, BarrierStatsSnapshot* row) {
  if (index >= kStatsRows) return false;
  const StatsRow& candidate = g_stats_table.rows[index];
  if (candidate.barrier.load(std::memory_order_relaxed) == 0) return false;
  *row = snapshot_of(candidate);
  return true;
}

BarrierStatsSnapshot stats_other_barriers_row() {
  return snapshot_of(g_stats_table.other_barriers);
}

UnmapStatsSnapshot stats_unmap_totals() { return snapshot_of(g_stats_table.unmap); }

void stats_reset() {
  for (StatsRow& row : g_stats_table.rows) reset_row(row);
  reset_row(g_stats_table.other_barriers);
  StatsUnmap& unmap = g_stats_table.unmap;
  unmap.calls.store(0, std::memory_order_relaxed);
  unmap.waited.store(0, std::memory_order_relaxed);
  unmap.total_wait_ns.store(0, std::memory_order_relaxed);
  unmap.longest_wait_ns.store(0, std::memory_order_relaxed);
  for (StatsObject& object : g_stats_table.objects) {
    object.ready.store(0, std::memory_order_relaxed);
    object.claimed.store(0, std::memory_order_relaxed);
  }
}

}  // namespace bshim
