// The statistics table behind stats_record_wait() and stats_record_unmap()
// (contract/diagnostic_hooks.h): what the report and the unit tests read.
//
// One process-global table of kStatsRows rows, keyed by barrier address with
// open addressing; waits on barriers that find no free row are counted in one
// extra "other barriers" row. Rows are per process: a process-shared barrier
// gets a row in every process that waited on it, each counting that
// process's waits only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bshim {

inline constexpr size_t kStatsRows = 256;

// A copy of one row's counters, read with relaxed loads: while other threads
// still wait, the numbers of one row need not be from the same instant.
struct BarrierStatsSnapshot {
  uintptr_t barrier;      // 0 for the "other barriers" row
  bool seen_private;      // waited on as a private barrier
  bool seen_shared;       // waited on as a process-shared barrier
  uint64_t rounds;        // kCompletedRound outcomes
  uint64_t waits;         // all outcomes
  uint64_t spun;
  uint64_t yielded;
  uint64_t slept;
  uint64_t broken;
  uint64_t longest_wait_ns;
};

struct UnmapStatsSnapshot {
  uint64_t calls;           // wrapped unmap calls (and destroy's waits)
  uint64_t waited;          // of those, how many found exit windows open
  uint64_t total_wait_ns;   // time they spent waiting, summed
  uint64_t longest_wait_ns;
};

// The row of `barrier`, if it has one. False if its waits went to the
// "other barriers" row or it was never recorded.
bool stats_row_of(const void* barrier, BarrierStatsSnapshot* row);
// The row in table position `index` (< kStatsRows), if a barrier has it.
bool stats_row_at(size_t index, BarrierStatsSnapshot* row);
BarrierStatsSnapshot stats_other_barriers_row();
UnmapStatsSnapshot stats_unmap_totals();

// Writes the report to `fd` (stats_write_report() picks the descriptor).
// Nothing but write(2); the whole report goes out in one call when the
// descriptor takes it, so reports of processes appending to one file do not
// interleave.
void stats_write_report_to(int fd);

// Empties the table: in the child after fork (see diagnostics_internal.h)
// and between unit tests. Not safe while other threads record.
void stats_reset();

}  // namespace bshim
