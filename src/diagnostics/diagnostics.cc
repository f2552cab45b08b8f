// The diagnostics settings: BARRIER_SHIM_STATS and BARRIER_SHIM_WATCHDOG,
// read once by the preload constructor, constant afterwards.
//
//   BARRIER_SHIM_STATS     unset, empty or "0": off; "1": report on stderr at
//                          exit; anything else: the path of a file the report
//                          is appended to at exit (stderr if it cannot be
//                          opened then).
//   BARRIER_SHIM_WATCHDOG  seconds, decimals allowed ("0.5"); unset, empty or
//                          0: off. Anything else: off, and one warning line.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <ctime>

#include "diagnostics/backtrace_writer.h"
#include "contract/diagnostic_hooks.h"
#include "diagnostics/diagnostics_internal.h"
#include "diagnostics/profile.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"
#include "diagnostics/watchdog_claims.h"

namespace bshim {
namespace {

// Written only by configure_diagnostics(), before any thread can wait, and
// read plainly afterwards: constant after load, like the wait policy.
// The stats path, copied out of the environment (a later setenv may free it).
constinit char g_stats_path[PATH_MAX];
constinit bool g_stats_to_file = false;

constexpr uint64_t kNanosecondsPerSecond = 1'000'000'000ULL;
constexpr uint64_t kLongestWatchdogSeconds = 1'000'000'000ULL;  // ~31 years

void warn(const char* variable, const char* value, const char* problem) {
  FixedText<PATH_MAX + 256> line;
  line.text("barrier-shim: ").text(variable).text("=\"").text(value).text("\" ");
  line.text(problem).character('\n');
  write_all(STDERR_FILENO, line);
}

void configure_stats(const char* value) {
  if (value == nullptr || value[0] == '\0' || (value[0] == '0' && value[1] == '\0')) return;
  g_diagnostics_config.stats = true;
  if (value[0] == '1' && value[1] == '\0') return;  // stderr
  size_t length = 0;
  while (value[length] != '\0') ++length;
  if (length >= sizeof(g_stats_path)) {
    warn("BARRIER_SHIM_STATS", value, "is too long a path; the report goes to stderr");
    return;
  }
  for (size_t i = 0; i <= length; ++i) g_stats_path[i] = value[i];
  g_stats_to_file = true;
}

void configure_watchdog(const char* value) {
  if (value == nullptr || value[0] == '\0') return;
  uint64_t nanoseconds = 0;
  if (!parse_seconds_as_ns(value, &nanoseconds)) {
    warn("BARRIER_SHIM_WATCHDOG", value,
         "is not a number of seconds (like 2 or 0.5); the watchdog is off");
    return;
  }
  g_diagnostics_config.watchdog_ns = nanoseconds;
}

}  // namespace

// Constant after configure_diagnostics(), which runs in the preload
// constructor before any thread can wait.
constinit DiagnosticsConfig g_diagnostics_config;

void configure_diagnostics() {
  configure_stats(getenv("BARRIER_SHIM_STATS"));
  configure_watchdog(getenv("BARRIER_SHIM_WATCHDOG"));
  configure_profile(getenv("BARRIER_SHIM_PROFILE"));
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
  stats_reset();
  watchdog_claims_reset();
  profile_reset_in_child();
}

}  // namespace bshim
