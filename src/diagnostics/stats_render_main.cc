// barrier-shim-stats: renders the live file of a process's statistics
// (stats_file.h) as the report that process writes at exit, in text or JSON,
// at any time: while it runs, or after it ended without writing one (killed
// by a signal, SIGKILL included, or ended by _exit or exec).
//
//   barrier-shim-stats [--json] FILE...
//
// Exit status: 0, 1 if a FILE could not be read as a statistics file of this
// version, 2 for a usage error.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "diagnostics/stats_format.h"
#include "diagnostics/stats_table.h"
#include "diagnostics/text_buffer.h"

namespace {

// A note on what the file is: whose, since when, and whether that process
// reported at exit (then it removes the file, so this is rarely seen).
void append_source_line(bshim::TextBuffer& out, const char* file, const bshim::StatsTable& table) {
  const time_t started = static_cast<time_t>(table.header.started_unix_ns / 1'000'000'000ULL);
  struct tm local;
  char when[64] = "?";
  if (localtime_r(&started, &local) != nullptr) {
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &local);
  }
  out.text("barrier-shim: stats: from ").text(file).text(": pid ");
  out.decimal(static_cast<uint64_t>(table.header.pid)).text(" (").text(table.header.program);
  out.text("), counting since ").text(when).text("; ");
  out.text(table.header.report_written.load(std::memory_order_relaxed) != 0
               ? "it wrote its report at exit\n"
               : "no report at exit from it (still running, or ended without exit())\n");
}

bool render(const char* file, bool json) {
  const int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);  // a FIFO must not block
  if (fd < 0) {
    fprintf(stderr, "barrier-shim-stats: %s: %s\n", file, strerror(errno));
    return false;
  }
  struct stat status;
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) ||
      static_cast<size_t>(status.st_size) < sizeof(bshim::StatsTable)) {
    fprintf(stderr, "barrier-shim-stats: %s: not a barrier-shim statistics file (%s)\n", file,
            S_ISREG(status.st_mode) ? "too short" : "not a regular file");
    close(fd);
    return false;
  }
  void* mapped = mmap(nullptr, sizeof(bshim::StatsTable), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED) {
    fprintf(stderr, "barrier-shim-stats: %s: %s\n", file, strerror(errno));
    return false;
  }
  const bshim::StatsTable& table = *static_cast<const bshim::StatsTable*>(mapped);
  bool ok = bshim::is_stats_table(mapped, sizeof(bshim::StatsTable));
  if (!ok) {
    fprintf(stderr,
            "barrier-shim-stats: %s: not a barrier-shim statistics file of this version "
            "(layout %u)\n",
            file, bshim::kStatsLayoutVersion);
  } else {
    std::vector<char> storage(bshim::kStatsReportBytes + 4096);
    bshim::TextBuffer out(storage.data(), storage.size());
    if (!json) append_source_line(out, file, table);
    bshim::append_stats_report(out, table,
                               json ? bshim::StatsFormat::kJson : bshim::StatsFormat::kText);
    ok = bshim::write_all(STDOUT_FILENO, out);
  }
  munmap(mapped, sizeof(bshim::StatsTable));
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  int first = 1;
  if (first < argc && strcmp(argv[first], "--json") == 0) {
    json = true;
    ++first;
  }
  if (first >= argc || strcmp(argv[first], "-h") == 0 || strcmp(argv[first], "--help") == 0) {
    fprintf(first >= argc ? stderr : stdout,
            "usage: barrier-shim-stats [--json] FILE...\n"
            "Renders the live statistics file of a process run with BARRIER_SHIM_STATS\n"
            "(barrier-shim-stats.PID.live, in the directory of the report's path, or in\n"
            "$TMPDIR or /tmp) as the report that process writes at exit.\n");
    return first >= argc ? 2 : 0;
  }
  bool all_ok = true;
  for (int i = first; i < argc; ++i) all_ok = render(argv[i], json) && all_ok;
  return all_ok ? 0 : 1;
}
