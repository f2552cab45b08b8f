// The statistics report, as text or JSON, from a statistics table: this
// process's at exit (stats_report.cc), or one read from a live file by the
// renderer (barrier-shim-stats). The same code for both, so a rendered file
// reads exactly like the report the process would have written.
//
// Text, one line each, every line prefixed "barrier-shim: stats: " so it can
// be picked out of a program's own stderr:
//   pid N: one row per barrier ... (header: rows are per process)
//   barrier kind count rounds waits spun yielded slept broken longest_s initialised_at
//   0x... private|shared|both N|-|mixed <counts> <seconds> SITE   one per barrier used
//   0x...: at least N rounds completed whose last arriver ...       only when so
//   other-barriers ...                                only if the table overflowed
//   unmap lock: C calls, W had to wait, T s waiting in total, longest L s
// SITE is "function+0xOFFSET (OBJECT+0xOFFSET)" (or "?? (OBJECT+0xOFFSET)"
// where no symbol covers it, "-" where no init was recorded), with
// " (and other sites)" if inits at that address came from several.
//
// JSON: one object on one line (so reports of processes appending to one
// file form JSON Lines), fields as in doc/diagnostics.md.
#pragma once

#include "diagnostics/stats_table.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"

namespace bshim {

enum class StatsFormat { kText, kJson };

// Room for a whole report of a full table, in either form.
inline constexpr size_t kStatsReportBytes = (kStatsRows + 8) * 1280;

// Appends the report of `table` to `out`. Reads the object files of the
// init sites for their symbols (open, mmap); allocates nothing.
void append_stats_report(TextBuffer& out, const StatsTable& table, StatsFormat format);

// The fewest rounds that must have completed on a private barrier beyond
// those counted in `row`, because their released waiters were counted but
// their last arriver was not (it had not returned from the wait, or not yet
// counted it, when the row was read). 0 when nothing is missing or it
// cannot be told. From one snapshot, so that the row and its note agree.
uint64_t rounds_missing_their_last_arriver(const BarrierStatsSnapshot& row);

}  // namespace bshim
