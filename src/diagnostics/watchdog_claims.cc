#include "diagnostics/watchdog_claims.h"

#include <atomic>

namespace bshim {
namespace {

// The `reported` word of an entry: 0 before the first report, otherwise
// kReportedValid | (kReportedCompleted if seen to complete) | round.
constexpr uint64_t kReportedValid = 1ULL << 32;
constexpr uint64_t kReportedCompleted = 1ULL << 31;
constexpr uint64_t kReportedRoundMask = 0x7fffffffULL;

// Invariants: `barrier` is 0 (free) or an address, set once by CAS (back to
// 0 only by watchdog_claims_reset). `completed_at_ns` is written before
// `reported` gains kReportedCompleted for the same round, and is meaningful
// only while that bit is set.
struct WatchdogClaim {
  std::atomic<uintptr_t> barrier;
  std::atomic<uint64_t> reported;
  std::atomic<uint64_t> completed_at_ns;
};

constinit WatchdogClaim g_claims[kWatchdogClaimEntries];
// Earliest time of the next report that found no entry (table full).
constinit std::atomic<uint64_t> g_next_unclaimed_report_ns{0};

size_t home_entry_of(uintptr_t address) {
  const uint64_t mixed = (static_cast<uint64_t>(address) >> 3) * 0x9e3779b97f4a7c15ULL;
  return static_cast<size_t>(mixed >> 57) % kWatchdogClaimEntries;
}

// The entry of `address`, claiming a free one if `may_claim`; nullptr if
// there is none.
WatchdogClaim* entry_for(uintptr_t address, bool may_claim) {
  const size_t home = home_entry_of(address);
  for (size_t probe = 0; probe < kWatchdogClaimEntries; ++probe) {
    WatchdogClaim& entry = g_claims[(home + probe) % kWatchdogClaimEntries];
    // relaxed: the key orders nothing; `reported` carries its own ordering.
    uintptr_t owner = entry.barrier.load(std::memory_order_relaxed);
    if (owner == address) return &entry;
    if (owner != 0) continue;
    if (!may_claim) return nullptr;  // entries are taken in probe order
    if (entry.barrier.compare_exchange_strong(owner, address, std::memory_order_relaxed) ||
        owner == address) {
      return &entry;
    }
  }
  return nullptr;
}

// Rate limit for barriers without an entry: one report per interval.
bool claim_unclaimed_report_slot(uint64_t now_ns) {
  // relaxed: a rate limit; the CAS alone decides which caller reports.
  uint64_t next = g_next_unclaimed_report_ns.load(std::memory_order_relaxed);
  return now_ns >= next &&
         g_next_unclaimed_report_ns.compare_exchange_strong(
             next, now_ns + kUnclaimedReportIntervalNs, std::memory_order_relaxed);
}

}  // namespace

bool watchdog_claim_round(const void* barrier, uint32_t round, uint64_t entered_ns,
                          uint64_t now_ns) {
  WatchdogClaim* entry = entry_for(reinterpret_cast<uintptr_t>(barrier), true);
  if (entry == nullptr) return claim_unclaimed_report_slot(now_ns);
  const uint64_t claimed = kReportedValid | (round & kReportedRoundMask);
  // acquire: pairs with watchdog_note_completed's release, so completed_at_ns
  // is read as written for the completion we see.
  uint64_t seen = entry->reported.load(std::memory_order_acquire);
  for (;;) {
    if ((seen & ~kReportedCompleted) == claimed) {
      // This round number was reported. Still open: the report is out.
      if ((seen & kReportedCompleted) == 0) return false;
      // It completed: a waiter that entered before that was one of its
      // waiters, late; one that entered after waits in a new episode.
      if (entered_ns <= entry->completed_at_ns.load(std::memory_order_relaxed)) return false;
    }
    // Only one caller moves the word to `claimed`; a failed CAS re-reads it.
    if (entry->reported.compare_exchange_weak(seen, claimed, std::memory_order_acquire)) {
      return true;
    }
  }
}

void watchdog_note_completed(const void* barrier, uint32_t round, uint64_t now_ns) {
  WatchdogClaim* entry = entry_for(reinterpret_cast<uintptr_t>(barrier), false);
  if (entry == nullptr) return;
  const uint64_t open = kReportedValid | (round & kReportedRoundMask);
  // relaxed store, then the release CAS below publishes it.
  entry->completed_at_ns.store(now_ns, std::memory_order_relaxed);
  uint64_t expected = open;
  // release: pairs with the claimer's acquire load (see above). Fails, and
  // changes nothing, if another round has been reported meanwhile.
  entry->reported.compare_exchange_strong(expected, open | kReportedCompleted,
                                          std::memory_order_release,
                                          std::memory_order_relaxed);
}

void watchdog_claims_reset() {
  for (WatchdogClaim& entry : g_claims) {
    entry.barrier.store(0, std::memory_order_relaxed);
    entry.reported.store(0, std::memory_order_relaxed);
    entry.completed_at_ns.store(0, std::memory_order_relaxed);
  }
  g_next_unclaimed_report_ns.store(0, std::memory_order_relaxed);
}

}  // namespace bshim
