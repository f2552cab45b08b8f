// watchdog: runs a race-test program for a number of trials, turns crashes
// and hangs into verdicts, and decides whether the expectation was met.
//
//   watchdog [--timeout SEC] [--repeat N] [--expect pass|fail|report]
//            [--preload PATH | --no-preload] [--label NAME] -- PROGRAM ARGS...
//
// exit status: 0 expectation met, 1 not met, 2 usage error.

#include <sys/prctl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "signal_names.h"
#include "trial.h"
#include "watchdog_options.h"

namespace watchdog {
namespace {

void set_preload(const Options& options) {
  switch (options.preload_mode) {
    case PreloadMode::inherit:
      return;
    case PreloadMode::remove:
      unsetenv("LD_PRELOAD");
      return;
    case PreloadMode::prepend: {
      std::string value = options.preload_path;
      const char* existing = std::getenv("LD_PRELOAD");
      if (existing && *existing) value += std::string(":") + existing;
      setenv("LD_PRELOAD", value.c_str(), 1);
      return;
    }
  }
}

std::string preload_summary() {
  const char* value = std::getenv("LD_PRELOAD");
  return value ? std::string("LD_PRELOAD=") + value : "no LD_PRELOAD";
}

std::string command_line(const std::vector<std::string>& program) {
  std::string line;
  for (const std::string& arg : program) line += (line.empty() ? "" : " ") + arg;
  return line;
}

// "caught SIGSEGV", "caught a hang", "caught exit status 1"
std::string what_was_caught(const TrialResult& result, double timeout_seconds) {
  switch (result.outcome) {
    case TrialResult::Outcome::killed: return "caught " + signal_name(result.code);
    case TrialResult::Outcome::hang: {
      char text[64];
      std::snprintf(text, sizeof text, "caught a hang (no exit within %gs)", timeout_seconds);
      return text;
    }
    default: return "caught exit status " + std::to_string(result.code);
  }
}

class Verdicts {
 public:
  explicit Verdicts(const Options& options) : options_(options) {}

  void start() const {
    std::printf("watchdog[%s]: running `%s` (expect %s, up to %d trial%s, timeout %gs, %s)\n",
                label(), command_line(options_.program).c_str(),
                expectation_name(options_.expect), options_.repeat,
                options_.repeat == 1 ? "" : "s", options_.timeout_seconds,
                preload_summary().c_str());
    std::fflush(stdout);
  }

  void trial(int number, const TrialResult& result) const {
    std::printf("watchdog[%s]: trial %d/%d: %s after %.2fs; last output: \"%s\"\n", label(),
                number, options_.repeat, result.describe().c_str(), result.seconds,
                result.last_line.c_str());
    std::fflush(stdout);
  }

  // Prints the one verdict line and returns the exit status that goes with it.
  int final(const std::string& verdict, int status) const {
    std::printf("watchdog[%s]: %s\n", label(), verdict.c_str());
    std::fflush(stdout);
    return status;
  }

 private:
  const char* label() const { return options_.label.c_str(); }
  const Options& options_;
};

std::string tally(const std::vector<TrialResult>& results) {
  std::vector<std::pair<std::string, int>> counts;  // in order of first sight
  for (const TrialResult& result : results) {
    std::string what = result.describe();
    auto seen = std::find_if(counts.begin(), counts.end(),
                             [&](const auto& count) { return count.first == what; });
    if (seen == counts.end()) counts.emplace_back(what, 1);
    else ++seen->second;
  }
  std::string text;
  for (const auto& count : counts)
    text += (text.empty() ? "" : ", ") + std::to_string(count.second) + " " + count.first;
  return text;
}

int run(const Options& options) {
  Verdicts verdicts(options);
  verdicts.start();
  std::vector<TrialResult> results;
  for (int number = 1; number <= options.repeat; ++number) {
    TrialResult result = run_trial(options.program, options.timeout_seconds);
    if (result.outcome == TrialResult::Outcome::not_started)
      return verdicts.final("cannot run the program: " + result.describe(), 2);
    verdicts.trial(number, result);
    results.push_back(result);
    if (result.passed()) continue;
    std::string where = what_was_caught(result, options.timeout_seconds) + " on trial " +
                        std::to_string(number) + "/" + std::to_string(options.repeat);
    if (options.expect == Expectation::pass)
      return verdicts.final("FAILED: " + where + " (expected pass); last output: \"" +
                                result.last_line + "\"",
                            1);
    if (options.expect == Expectation::fail)
      return verdicts.final(where + " (expected failure)", 0);
  }
  std::string summary = std::to_string(results.size()) +
                        (results.size() == 1 ? " trial: " : " trials: ") + tally(results);
  switch (options.expect) {
    case Expectation::pass: return verdicts.final("passed: " + summary + " (expected pass)", 0);
    case Expectation::fail:
      return verdicts.final("FAILED: control caught nothing: " + summary + " (expected failure)",
                            1);
    case Expectation::report: return verdicts.final("report: " + summary + " (report only)", 0);
  }
  return 1;
}

}  // namespace
}  // namespace watchdog

int main(int argc, char** argv) {
  watchdog::Options options;
  if (!watchdog::parse_options(argc, argv, options)) return 2;
  watchdog::set_preload(options);
  // Orphans of a crashed program come back to us, so no trial leaves any.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  return watchdog::run(options);
}
