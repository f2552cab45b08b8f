// The diagnostics settings: BARRIER_SHIM_STATS, BARRIER_SHIM_WATCHDOG and
// BARRIER_SHIM_PROFILE, read once by the preload constructor, constant
// afterwards. Invalid values are ignored with a warning (os/environment.h).
//
//   BARRIER_SHIM_STATS     unset, empty or "0": off; "1": report on stderr at
//                          exit; a path (a value with a '/' or a '.'): the
//                          report is appended to that file at exit, %p
//                          replaced by the pid, JSON if it ends in ".json"
//                          (stderr if it cannot be opened then). Anything
//                          else ("yes"): off, with a warning. With stats on,
//                          the counts live in a file from load time on
//                          (stats_file.h).
//   BARRIER_SHIM_WATCHDOG  seconds, decimals allowed ("0.5"); unset, empty or
//                          0: off. Anything else: off, and one warning line.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <ctime>

#include "diagnostics/backtrace_writer.h"
#include "contract/diagnostic_hooks.h"
#include "diagnostics/diagnostics_internal.h"
#include "diagnostics/elf_symbols.h"
#include "diagnostics/profile.h"
#include "diagnostics/stats_file.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"
#include "diagnostics/watchdog_claims.h"
#include "os/environment.h"

namespace bshim {
namespace {

// Written only by configure_diagnostics(), before any thread can wait, and
// read plainly afterwards: constant after load, like the wait policy.
// The stats path, copied out of the environment (a later setenv may free it).
constinit char g_stats_path[PATH_MAX];
constinit bool g_stats_to_file = false;

constexpr uint64_t kNanosecondsPerSecond = 1'000'000'000ULL;
constexpr uint64_t kLongestWatchdogSeconds = 1'000'000'000ULL;  // ~31 years

// The directory of the live file: that of the report's path when one is
// given (where the user looks for it), else $TMPDIR, else /tmp.
void open_live_file() {
  char directory[PATH_MAX];
  bool mapped = false;
  if (g_stats_to_file && expand_stats_path(g_stats_path, directory, sizeof(directory))) {
    size_t slash = 0;
    for (size_t i = 0; directory[i] != '\0'; ++i) {
      if (directory[i] == '/') slash = i;
    }
    directory[slash == 0 ? 1 : slash] = '\0';  // "/x" keeps "/"
    mapped = stats_map_live_file(directory);
  }
  const char* temporary = getenv("TMPDIR");
  if (temporary == nullptr || temporary[0] != '/') temporary = "/tmp";
  if (!mapped) mapped = stats_map_live_file(temporary);
  if (!mapped) {
    warn_about_setting("BARRIER_SHIM_STATS", g_stats_to_file ? g_stats_path : "1",
                       "asks for statistics, but no live file could be made in $TMPDIR or /tmp",
                       "they are kept in memory only, and lost if the process ends without exit()");
  }
}

void configure_stats(const char* value) {
  if (value == nullptr || (value[0] == '0' && value[1] == '\0')) return;
  if (!(value[0] == '1' && value[1] == '\0')) {
    if (!looks_like_path(value)) {
      warn_about_setting("BARRIER_SHIM_STATS", value,
                         "is not 0, 1 or a path (a path has a '/' or a '.': ./stats, stats.txt)",
                         "statistics are off");
      return;
    }
    // Absolute from here on, so that a chdir does not move the report.
    TextBuffer path(g_stats_path, sizeof(g_stats_path) - 1);
    if (value[0] != '/') {
      char directory[PATH_MAX];
      if (getcwd(directory, sizeof(directory)) != nullptr) {
        // The directory's own % signs are not patterns: doubled, they stay.
        for (const char* cursor = directory; *cursor != '\0'; ++cursor) {
          if (*cursor == '%') path.character('%');
          path.character(*cursor);
        }
        path.character('/');
      }
    }
    path.text(value);
    if (path.truncated()) {
      warn_about_setting("BARRIER_SHIM_STATS", value, "is too long a path",
                         "the report goes to stderr");
      g_stats_path[0] = '\0';
    } else {
      g_stats_path[path.size()] = '\0';
      g_stats_to_file = true;
      for (const char* cursor = value; *cursor != '\0'; ++cursor) {
        if (cursor[0] != '%') continue;
        if (cursor[1] == 'p' || cursor[1] == '%') {
          ++cursor;
          continue;
        }
        warn_about_setting("BARRIER_SHIM_STATS", value,
                           "has a % that is not part of %p (the pid) or %% (a %)",
                           "it is kept as it is");
        break;
      }
    }
  }
  g_diagnostics_config.stats = true;
  remember_main_program_path();
  stats_keep_stderr();
  open_live_file();
  stats_write_header();
}

void configure_watchdog(const char* value) {
  if (value == nullptr) return;
  uint64_t nanoseconds = 0;
  if (!parse_seconds_as_ns(value, &nanoseconds)) {
    warn_about_setting("BARRIER_SHIM_WATCHDOG", value,
                       "is not a number of seconds (like 2 or 0.5)", "the watchdog is off");
    return;
  }
  g_diagnostics_config.watchdog_ns = nanoseconds;
}

}  // namespace

// Constant after configure_diagnostics(), which runs in the preload
// constructor before any thread can wait.
constinit DiagnosticsConfig g_diagnostics_config;

void configure_diagnostics() {
  configure_stats(setting_text("BARRIER_SHIM_STATS"));
  configure_watchdog(setting_text("BARRIER_SHIM_WATCHDOG"));
  configure_profile(setting_text("BARRIER_SHIM_PROFILE"));
  g_diagnostics_config.init_sites =
      g_diagnostics_config.stats || g_diagnostics_config.watchdog_ns != 0;
  g_diagnostics_config.any = g_diagnostics_config.stats ||
                             g_diagnostics_config.watchdog_ns != 0 ||
                             g_diagnostics_config.profile;
}

bool parse_seconds_as_ns(const char* text, uint64_t* nanoseconds) {
  uint64_t whole = 0;
  uint64_t fraction = 0;
  // Divided by 10 before each decimal: that decimal's place value in ns.
  uint64_t fraction_scale = kNanosecondsPerSecond;
  bool any_digit = false;
  const char* cursor = text;
  for (; *cursor >= '0' && *cursor <= '9'; ++cursor) {
    whole = whole * 10 + static_cast<uint64_t>(*cursor - '0');
    if (whole > kLongestWatchdogSeconds) return false;
    any_digit = true;
  }
  if (*cursor == '.') {
    for (++cursor; *cursor >= '0' && *cursor <= '9'; ++cursor) {
      fraction_scale /= 10;  // reaches 0 after the ninth decimal: ignored
      fraction += fraction_scale * static_cast<uint64_t>(*cursor - '0');
      any_digit = true;
    }
  }
  if (!any_digit || *cursor != '\0') return false;
  *nanoseconds = whole * kNanosecondsPerSecond + fraction;
  return true;
}

const char* stats_report_path() { return g_stats_to_file ? g_stats_path : nullptr; }

void reset_diagnostics_in_child_after_fork() {
  if (g_diagnostics_config.stats) stats_forget_stderr_copy_in_child();
  if (g_diagnostics_config.stats && !stats_start_in_child()) {
    // No table of its own (no memory to map one): the child counts nothing
    // rather than into its parent's file.
    g_diagnostics_config.stats = false;
    g_diagnostics_config.any = g_diagnostics_config.watchdog_ns != 0 || g_diagnostics_config.profile;
  } else if (!g_diagnostics_config.stats) {
    stats_reset();  // the init sites the watchdog names: the parent's are not the child's
  }
  watchdog_claims_reset();
  profile_reset_in_child();
}

}  // namespace bshim
