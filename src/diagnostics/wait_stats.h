// The statistics table behind stats_record_wait(), stats_record_unmap() and
// stats_record_init() (contract/diagnostic_hooks.h): what the report and the
// unit tests read. The table itself is stats_table.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "diagnostics/stats_table.h"

namespace bshim {

// A copy of one row's counters, read with relaxed loads: while other threads
// still wait, the numbers of one row need not be from the same instant.
struct BarrierStatsSnapshot {
  uintptr_t barrier;      // 0 for the "other barriers" row
  bool seen_private;      // waited on as a private barrier
  bool seen_shared;       // waited on as a process-shared barrier
  uint64_t rounds;        // kCompletedRound outcomes
  uint64_t waits;         // all outcomes: the sum of the five
  uint64_t spun;
  uint64_t yielded;
  uint64_t slept;
  uint64_t broken;
  uint64_t longest_wait_ns;
  uint64_t init_site;     // 0 if no init at this address was recorded
  uint32_t inits;
  uint32_t count;         // of the latest init
  bool counts_differ;
  bool sites_differ;
};

struct UnmapStatsSnapshot {
  uint64_t calls;           // wrapped unmap calls (and destroy's waits)
  uint64_t waited;          // of those, how many found exit windows open
  uint64_t total_wait_ns;   // time they spent waiting, summed
  uint64_t longest_wait_ns;
};

BarrierStatsSnapshot snapshot_of(const StatsRow& row);
UnmapStatsSnapshot snapshot_of(const StatsUnmap& unmap);

// The row of `barrier` in `table`, if it has one. False if its waits went
// to the "other barriers" row or nothing of it was ever recorded.
const StatsRow* stats_row_in(const StatsTable& table, uintptr_t barrier);

// The same, as snapshots of this process's table.
bool stats_row_of(const void* barrier, BarrierStatsSnapshot* row);
// The row in table position `index` (< kStatsRows), if a barrier has it.
bool stats_row_at(size_t index, BarrierStatsSnapshot* row);
BarrierStatsSnapshot stats_other_barriers_row();
UnmapStatsSnapshot stats_unmap_totals();

// Writes the text report of this process's table to `fd` (stats_write_report()
// picks the descriptor and the form). Nothing but write(2) and, for the
// names of init sites, reading the object files; the whole report goes out
// in one call when the descriptor takes it, so reports of processes
// appending to one file do not interleave.
void stats_write_report_to(int fd);

// Empties the table (between unit tests; in a fork child through
// stats_start_in_child(), stats_file.h). Not safe while other threads record.
void stats_reset();

}  // namespace bshim
