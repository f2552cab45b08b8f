#include "watchdog_options.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace watchdog {
namespace {

const char kUsage[] =
    "usage: watchdog [--timeout SEC] [--repeat N] [--expect pass|fail|report]\n"
    "                [--preload PATH | --no-preload] [--label NAME]\n"
    "                -- PROGRAM ARGS...\n"
    "  --timeout SEC  per trial; then the program's process group is killed\n"
    "                 and the trial counts as a hang (default 60)\n"
    "  --repeat N     run up to N trials (default 1)\n"
    "  --expect pass  every trial must exit 0 (default)\n"
    "  --expect fail  stop at the first failing trial and succeed; fail if\n"
    "                 every trial exited 0 (the control caught nothing)\n"
    "  --expect report  run all trials, describe them, always exit 0\n"
    "  --preload PATH   put PATH in front of LD_PRELOAD\n"
    "  --no-preload     remove LD_PRELOAD\n"
    "exit status: 0 expectation met, 1 not met, 2 usage error\n";

bool usage_error(const char* why, const char* what) {
  std::fprintf(stderr, "watchdog: %s%s%s\n%s", why, what ? ": " : "",
               what ? what : "", kUsage);
  return false;
}

bool parse_seconds(const char* text, double& seconds) {
  char* end = nullptr;
  seconds = std::strtod(text, &end);
  return end != text && *end == '\0' && seconds > 0 && seconds <= 24 * 3600;
}

bool parse_count(const char* text, int& count) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > INT_MAX) return false;
  count = static_cast<int>(value);
  return true;
}

bool takes_value(const char* arg) {
  for (const char* option : {"--timeout", "--repeat", "--expect", "--preload", "--label"})
    if (std::strcmp(arg, option) == 0) return true;
  return false;
}

bool parse_expectation(const char* text, Expectation& expect) {
  if (std::strcmp(text, "pass") == 0) expect = Expectation::pass;
  else if (std::strcmp(text, "fail") == 0) expect = Expectation::fail;
  else if (std::strcmp(text, "report") == 0) expect = Expectation::report;
  else return false;
  return true;
}

// ld.so silently ignores a preload it cannot open, which would turn a shim
// test into a run on stock glibc: insist on a readable file, by absolute
// path so the program's own working directory does not matter.
bool resolve_preload(const char* path, std::string& resolved) {
  char* absolute = realpath(path, nullptr);
  if (!absolute) return false;
  resolved = absolute;
  std::free(absolute);
  return access(resolved.c_str(), R_OK) == 0;
}

std::string base_name(const std::string& path) {
  std::string::size_type slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

const char* expectation_name(Expectation expect) {
  switch (expect) {
    case Expectation::pass: return "pass";
    case Expectation::fail: return "failure";
    case Expectation::report: return "report";
  }
  return "?";
}

bool parse_options(int argc, char** argv, Options& options) {
  int i = 1;
  bool preload_chosen = false;
  for (; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--") == 0) {
      ++i;
      break;
    }
    if (std::strcmp(arg, "--no-preload") == 0) {
      if (preload_chosen) return usage_error("choose one of --preload and --no-preload", nullptr);
      preload_chosen = true;
      options.preload_mode = PreloadMode::remove;
      continue;
    }
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) {
      return usage_error("help requested", nullptr);
    }
    if (!takes_value(arg)) return usage_error("unknown option (is '--' missing?)", arg);
    if (i + 1 >= argc) return usage_error("missing value after", arg);
    const char* value = argv[++i];
    if (std::strcmp(arg, "--timeout") == 0) {
      if (!parse_seconds(value, options.timeout_seconds))
        return usage_error("--timeout needs seconds > 0", value);
    } else if (std::strcmp(arg, "--repeat") == 0) {
      if (!parse_count(value, options.repeat))
        return usage_error("--repeat needs a count >= 1", value);
    } else if (std::strcmp(arg, "--expect") == 0) {
      if (!parse_expectation(value, options.expect))
        return usage_error("--expect needs pass, fail or report", value);
    } else if (std::strcmp(arg, "--preload") == 0) {
      if (preload_chosen) return usage_error("choose one of --preload and --no-preload", nullptr);
      preload_chosen = true;
      options.preload_mode = PreloadMode::prepend;
      if (!resolve_preload(value, options.preload_path))
        return usage_error("cannot read the library to preload", value);
    } else {  // --label
      options.label = value;
    }
  }
  for (; i < argc; ++i) options.program.emplace_back(argv[i]);
  if (options.program.empty()) return usage_error("no program given after '--'", nullptr);
  if (options.label.empty()) options.label = base_name(options.program.front());
  return true;
}

}  // namespace watchdog
