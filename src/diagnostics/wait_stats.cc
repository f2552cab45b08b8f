// Per-barrier wait statistics and unmap-lock totals (BARRIER_SHIM_STATS).
//
// Recording is lock-free and allocation-free, so it is async-signal-safe: a
// signal handler may wait at a barrier while its thread is recording. Every
// counter is a relaxed atomic: the numbers are only read by the report at
// exit (or by a test after joining its threads), and each counter is
// correct on its own; nothing orders one counter against another.
#include "diagnostics/wait_stats.h"

#include <atomic>

#include "contract/diagnostic_hooks.h"
#include "diagnostics/text_buffer.h"

namespace bshim {
namespace {

// Invariants: `barrier` is 0 (free) or the address of the barrier the row
// counts; it changes from 0 once, by CAS, and back only in stats_reset().
// The counters belong to that barrier from then on.
struct BarrierStatsRow {
  std::atomic<uintptr_t> barrier;
  std::atomic<uint8_t> kinds;  // kKindPrivate | kKindShared, as seen
  std::atomic<uint64_t> rounds;
  std::atomic<uint64_t> waits;
  std::atomic<uint64_t> spun;
  std::atomic<uint64_t> yielded;
  std::atomic<uint64_t> slept;
  std::atomic<uint64_t> broken;
  std::atomic<uint64_t> longest_wait_ns;
};

constexpr uint8_t kKindPrivate = 1;
constexpr uint8_t kKindShared = 2;

struct UnmapStats {
  std::atomic<uint64_t> calls;
  std::atomic<uint64_t> waited;
  std::atomic<uint64_t> total_wait_ns;
  std::atomic<uint64_t> longest_wait_ns;
};

// Zero-initialised static storage: no constructor runs, and the table costs
// no memory until it is touched.
constinit BarrierStatsRow g_rows[kStatsRows];
constinit BarrierStatsRow g_other_barriers;
constinit UnmapStats g_unmap;

size_t home_row_of(uintptr_t address) {
  // Fibonacci hashing of the address without its alignment bits.
  const uint64_t mixed = (static_cast<uint64_t>(address) >> 3) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(mixed >> 56) % kStatsRows;
}

// The row of `address`, claiming a free one on first use; the "other
// barriers" row when every row belongs to another barrier. Probes the whole
// table at worst (a few hundred relaxed loads, and only with stats on).
BarrierStatsRow& row_for(uintptr_t address) {
  if (address == 0) return g_other_barriers;
  const size_t home = home_row_of(address);
  for (size_t probe = 0; probe < kStatsRows; ++probe) {
    BarrierStatsRow& row = g_rows[(home + probe) % kStatsRows];
    // relaxed: the key is the only thing a claimer publishes, and the
    // counters that follow are independent relaxed atomics (see the top).
    uintptr_t owner = row.barrier.load(std::memory_order_relaxed);
    if (owner == address) return row;
    if (owner == 0) {
      if (row.barrier.compare_exchange_strong(owner, address, std::memory_order_relaxed)) {
        return row;
      }
      if (owner == address) return row;  // another waiter claimed it for us
    }
  }
  return g_other_barriers;
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

BarrierStatsSnapshot snapshot_of(const BarrierStatsRow& row) {
  const uint8_t kinds = row.kinds.load(std::memory_order_relaxed);
  return BarrierStatsSnapshot{
      row.barrier.load(std::memory_order_relaxed),
      (kinds & kKindPrivate) != 0,
      (kinds & kKindShared) != 0,
      row.rounds.load(std::memory_order_relaxed),
      row.waits.load(std::memory_order_relaxed),
      row.spun.load(std::memory_order_relaxed),
      row.yielded.load(std::memory_order_relaxed),
      row.slept.load(std::memory_order_relaxed),
      row.broken.load(std::memory_order_relaxed),
      row.longest_wait_ns.load(std::memory_order_relaxed),
  };
}

void reset_row(BarrierStatsRow& row) {
  row.barrier.store(0, std::memory_order_relaxed);
  row.kinds.store(0, std::memory_order_relaxed);
  row.rounds.store(0, std::memory_order_relaxed);
  row.waits.store(0, std::memory_order_relaxed);
  row.spun.store(0, std::memory_order_relaxed);
  row.yielded.store(0, std::memory_order_relaxed);
  row.slept.store(0, std::memory_order_relaxed);
  row.broken.store(0, std::memory_order_relaxed);
  row.longest_wait_ns.store(0, std::memory_order_relaxed);
}

}  // namespace

void stats_record_wait(const void* barrier, bool process_shared, WaitOutcome outcome,
                       uint64_t waited_ns) {
  BarrierStatsRow& row = row_for(reinterpret_cast<uintptr_t>(barrier));
  // relaxed: a statistic, see the top of the file.
  row.kinds.fetch_or(process_shared ? kKindShared : kKindPrivate, std::memory_order_relaxed);
  count(row.waits);
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
  count(g_unmap.calls);
  if (!had_to_wait) return;
  count(g_unmap.waited);
  count(g_unmap.total_wait_ns, waited_ns);
  raise_to(g_unmap.longest_wait_ns, waited_ns);
}

bool stats_row_of(const void* barrier, BarrierStatsSnapshot* row) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(barrier);
  if (address == 0) return false;
  const size_t home = home_row_of(address);
  for (size_t probe = 0; probe < kStatsRows; ++probe) {
    const BarrierStatsRow& candidate = g_rows[(home + probe) % kStatsRows];
    const uintptr_t owner = candidate.barrier.load(std::memory_order_relaxed);
    if (owner == 0) return false;  // rows are claimed in probe order
    if (owner == address) {
      *row = snapshot_of(candidate);
      return true;
    }
  }
  return false;
}

bool stats_row_at(size_t index, BarrierStatsSnapshot* row) {
  if (index >= kStatsRows) return false;
  if (g_rows[index].barrier.load(std::memory_order_relaxed) == 0) return false;
  *row = snapshot_of(g_rows[index]);
  return true;
}

BarrierStatsSnapshot stats_other_barriers_row() { return snapshot_of(g_other_barriers); }

UnmapStatsSnapshot stats_unmap_totals() {
  return UnmapStatsSnapshot{
      g_unmap.calls.load(std::memory_order_relaxed),
      g_unmap.waited.load(std::memory_order_relaxed),
      g_unmap.total_wait_ns.load(std::memory_order_relaxed),
      g_unmap.longest_wait_ns.load(std::memory_order_relaxed),
  };
}

void stats_reset() {
  for (BarrierStatsRow& row : g_rows) reset_row(row);
  reset_row(g_other_barriers);
  g_unmap.calls.store(0, std::memory_order_relaxed);
  g_unmap.waited.store(0, std::memory_order_relaxed);
  g_unmap.total_wait_ns.store(0, std::memory_order_relaxed);
  g_unmap.longest_wait_ns.store(0, std::memory_order_relaxed);
}

}  // namespace bshim
