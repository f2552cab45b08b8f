// The statistics report at exit (stats_write_report): where it goes, in
// which form, and what becomes of the live file.
//
// Where: BARRIER_SHIM_STATS=1, the program's standard error as it was at
// load time, through a copy of its descriptor taken then (a program that
// closes fd 2 before exiting, as ls does, still gets its report; a
// descriptor that no longer refers to that file, after a program closed
// every descriptor and opened others, is never written); a path, the file
// at that path with %p replaced by the pid and %% by %, appended to. A
// path that ends in ".json" gets the JSON form, anything else the text.
// Once the report is out, the live file (stats_file.h) is removed: it is
// only kept for processes that wrote no report.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "contract/diagnostic_hooks.h"
#include "diagnostics/diagnostics_internal.h"
#include "diagnostics/stats_file.h"
#include "diagnostics/stats_format.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"

namespace bshim {
namespace {

constexpr const char* kPrefix = "barrier-shim: stats: ";

// Static, so that writing at exit needs no stack to speak of; used once
// (g_report_written).
char g_report_storage[kStatsReportBytes];
std::atomic<bool> g_report_written{false};

// The copy of stderr taken at load, and which file it was then.
constinit int g_stderr_copy = -1;
constinit dev_t g_stderr_device = 0;
constinit ino_t g_stderr_inode = 0;

bool is_load_time_stderr(int fd) {
  struct stat status;
  return fd >= 0 && fstat(fd, &status) == 0 && status.st_dev == g_stderr_device &&
         status.st_ino == g_stderr_inode;
}

// The descriptor of the load-time stderr, or -1 if neither the copy nor fd 2
// refers to it any more.
int load_time_stderr() {
  if (is_load_time_stderr(g_stderr_copy)) return g_stderr_copy;
  if (is_load_time_stderr(STDERR_FILENO)) return STDERR_FILENO;
  return -1;
}

bool ends_with(const char* text, size_t length, const char* suffix) {
  size_t suffix_length = 0;
  while (suffix[suffix_length] != '\0') ++suffix_length;
  if (length < suffix_length) return false;
  for (size_t i = 0; i < suffix_length; ++i) {
    if (text[length - suffix_length + i] != suffix[i]) return false;
  }
  return true;
}

// Writes the report of this process's table in `format` to `fd`.
bool write_report(int fd, StatsFormat format) {
  TextBuffer out(g_report_storage, sizeof(g_report_storage));
  append_stats_report(out, g_stats_table, format);
  return fd >= 0 && write_all(fd, out);
}

}  // namespace

void stats_keep_stderr() {
  struct stat status;
  if (fstat(STDERR_FILENO, &status) != 0) return;  // started without stderr
  g_stderr_device = status.st_dev;
  g_stderr_inode = status.st_ino;
  // Above the descriptors programs usually use, below the usual limit of 1024.
  const int copy = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 700);
  g_stderr_copy = copy >= 0 ? copy : fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
}

void stats_forget_stderr_copy_in_child() {
  // The child of fork inherits the copy (close-on-exec acts only at exec):
  // kept, it would hold the parent's stderr open for as long as the child
  // lives, and a caller reading that pipe to its end (out=$(prog 2>&1))
  // would wait for a daemon that redirected its own stderr long ago (review
  // 5). The child reports to its fd 2 if that is still the load-time file.
  if (g_stderr_copy >= 0) close(g_stderr_copy);
  g_stderr_copy = -1;
}

bool expand_stats_path(const char* pattern, char* path, size_t size) {
  TextBuffer out(path, size - 1);
  for (const char* cursor = pattern; *cursor != '\0'; ++cursor) {
    if (cursor[0] == '%' && cursor[1] == 'p') {
      out.decimal(static_cast<uint64_t>(getpid()));
      ++cursor;
    } else if (cursor[0] == '%' && cursor[1] == '%') {
      out.character('%');
      ++cursor;
    } else {
      out.character(*cursor);
    }
  }
  path[out.size()] = '\0';
  return !out.truncated();
}

void stats_write_report_to(int fd) { write_report(fd, StatsFormat::kText); }

void stats_write_report() {
  // Once per process, even if exit is called from two threads. relaxed: the
  // exchange only elects the writer; it publishes nothing.
  if (g_report_written.exchange(true, std::memory_order_relaxed)) return;
  const int saved_errno = errno;
  const char* pattern = stats_report_path();
  bool written = false;
  if (pattern == nullptr) {
    written = write_report(load_time_stderr(), StatsFormat::kText);
  } else {
    char path[PATH_MAX];
    const bool expanded = expand_stats_path(pattern, path, sizeof(path));
    size_t length = 0;
    while (path[length] != '\0') ++length;
    const int fd =
        expanded ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    if (fd >= 0) {
      written = write_report(fd, ends_with(path, length, ".json") ? StatsFormat::kJson
                                                                  : StatsFormat::kText);
      close(fd);
    } else {
      const int error = expanded ? errno : ENAMETOOLONG;
      const int stderr_fd = load_time_stderr();
      FixedText<PATH_MAX + 128> note;
      note.text(kPrefix).text("cannot open ").text(path).text(" (errno ");
      note.decimal(static_cast<uint64_t>(error)).text("); the report follows on stderr\n");
      if (stderr_fd >= 0) write_all(stderr_fd, note);
      written = write_report(stderr_fd, StatsFormat::kText);
    }
  }
  if (written) {
    g_stats_table.header.report_written.store(1, std::memory_order_relaxed);
    stats_remove_live_file();
  }
  errno = saved_errno;
}

}  // namespace bshim
