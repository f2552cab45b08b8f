// Which stuck rounds this process has reported (the watchdog's suppression).
//
// A small process-global table keyed by barrier address, one entry per
// barrier, holding the last round reported for it and whether that round was
// seen to complete. The first waiter to claim a (barrier, round) writes the
// report; the other waiters of that round stay silent. A later stuck round of
// the same barrier is claimed afresh, and so is a round with the same number
// on a barrier re-initialised (or reused) at the same address: a waiter that
// entered after the reported round completed belongs to a new episode.
// Lock-free and allocation-free: async-signal-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bshim {

inline constexpr size_t kWatchdogClaimEntries = 128;
// When every entry belongs to another barrier, stuck rounds of further
// barriers are reported without suppression, at most one per this interval.
inline constexpr uint64_t kUnclaimedReportIntervalNs = 10'000'000'000ULL;

// True if the caller is the first to report round `round` of `barrier`.
// `entered_ns` is when the caller entered its wait, `now_ns` the time now
// (both monotonic_ns()).
bool watchdog_claim_round(const void* barrier, uint32_t round, uint64_t entered_ns,
                          uint64_t now_ns);

// The reported round `round` of `barrier` completed at `now_ns`.
void watchdog_note_completed(const void* barrier, uint32_t round, uint64_t now_ns);

// Forgets every claim: in the child after fork, and between unit tests. Not
// safe while other threads claim.
void watchdog_claims_reset();

}  // namespace bshim
