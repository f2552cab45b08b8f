// The statistics report, written once at exit (stats_write_report).
//
// Format, one line each, every line prefixed "barrier-shim: stats: " so it
// can be picked out of a program's own stderr:
//   pid N: ... (header: rows are per process)
//   barrier kind rounds waits spun yielded slept broken longest_s
//   0x... private|shared|both <counts> <seconds>    one per barrier used
//   other-barriers ...                              only if the table overflowed
//   unmap lock: C calls, W had to wait, T s waiting in total, longest L s
// waits = rounds + spun + yielded + slept + broken in every row: each wait
// has exactly one outcome, and "rounds" counts the completing waits.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "contract/diagnostic_hooks.h"
#include "diagnostics/diagnostics_internal.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"

namespace bshim {
namespace {

constexpr const char* kPrefix = "barrier-shim: stats: ";
constexpr unsigned kCountWidth = 11;
constexpr size_t kKindColumn = 21 + 20;  // after the prefix and a padded address

// Room for every row: the header lines, kStatsRows + 1 rows of about 150
// characters, and the unmap line. Static, so that writing at exit needs no
// stack to speak of; used once (g_report_written).
char g_report_storage[(kStatsRows + 8) * 160];
std::atomic<bool> g_report_written{false};

const char* kind_name(const BarrierStatsSnapshot& row) {
  if (row.seen_private && row.seen_shared) return "both";
  return row.seen_shared ? "shared" : "private";
}

void append_row(TextBuffer& out, const BarrierStatsSnapshot& row) {
  out.text(kPrefix);
  if (row.barrier == 0) {
    out.text("other-barriers");
  } else {
    out.hex(row.barrier, 16);
  }
  out.pad_to(kKindColumn).text(row.barrier == 0 ? "-" : kind_name(row));
  out.pad_to(kKindColumn + 7);
  out.decimal(row.rounds, kCountWidth).decimal(row.waits, kCountWidth);
  out.decimal(row.spun, kCountWidth).decimal(row.yielded, kCountWidth);
  out.decimal(row.slept, kCountWidth).decimal(row.broken, kCountWidth);
  out.text("   ").seconds(row.longest_wait_ns, 6).character('\n');
}

void append_report(TextBuffer& out) {
  out.text(kPrefix).text("pid ").decimal(static_cast<uint64_t>(getpid()));
  out.text(": one row per barrier this process waited on; a process-shared barrier has a row"
           " in each process that used it, counting that process's waits\n");
  out.text(kPrefix).text("barrier");
  out.pad_to(kKindColumn).text("kind").pad_to(kKindColumn + 7);
  out.text("     rounds      waits       spun    yielded      slept     broken   longest_s\n");
  size_t rows = 0;
  for (size_t index = 0; index < kStatsRows; ++index) {
    BarrierStatsSnapshot row;
    if (!stats_row_at(index, &row) || row.waits == 0) continue;
    append_row(out, row);
    ++rows;
  }
  const BarrierStatsSnapshot other = stats_other_barriers_row();
  if (other.waits != 0) {
    append_row(out, other);
    ++rows;
  }
  if (rows == 0) out.text(kPrefix).text("no barrier waits\n");
  const UnmapStatsSnapshot unmap = stats_unmap_totals();
  out.text(kPrefix).text("unmap lock: ").decimal(unmap.calls).text(" calls, ");
  out.decimal(unmap.waited).text(" had to wait, ").seconds(unmap.total_wait_ns, 6);
  out.text(" s waiting in total, longest ").seconds(unmap.longest_wait_ns, 6).text(" s\n");
}

}  // namespace

void stats_write_report_to(int fd) {
  TextBuffer out(g_report_storage, sizeof(g_report_storage));
  append_report(out);
  write_all(fd, out);
}

void stats_write_report() {
  // Once per process, even if exit is called from two threads. relaxed: the
  // exchange only elects the writer; it publishes nothing.
  if (g_report_written.exchange(true, std::memory_order_relaxed)) return;
  const char* path = stats_report_path();
  if (path == nullptr) {
    stats_write_report_to(STDERR_FILENO);
    return;
  }
  const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    FixedText<512> note;
    note.text(kPrefix).text("cannot open ").text(path).text(" (errno ");
    note.decimal(static_cast<uint64_t>(error)).text("); the report follows on stderr\n");
    write_all(STDERR_FILENO, note);
    stats_write_report_to(STDERR_FILENO);
    return;
  }
  stats_write_report_to(fd);
  close(fd);
}

}  // namespace bshim
