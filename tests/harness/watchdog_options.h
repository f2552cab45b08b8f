// Command line of the watchdog: what to run, how often, and what to expect.
#pragma once

#include <string>
#include <vector>

namespace watchdog {

enum class Expectation {
  pass,    // every trial must exit 0
  fail,    // some trial must fail (nonzero exit, signal or hang): a control
  report,  // run every trial and only describe what happened
};

enum class PreloadMode {
  inherit,  // leave LD_PRELOAD as the caller set it
  prepend,  // --preload PATH: PATH first, then anything already there
  remove,   // --no-preload: run on the stock libraries
};

struct Options {
  double timeout_seconds = 60.0;
  int repeat = 1;
  Expectation expect = Expectation::pass;
  PreloadMode preload_mode = PreloadMode::inherit;
  std::string preload_path;  // absolute, only for PreloadMode::prepend
  std::string label;         // defaults to the program's base name
  std::vector<std::string> program;  // PROGRAM ARGS...
};

// Parses argv. On a usage error it prints why and the usage to stderr and
// returns false; the caller then exits with status 2.
bool parse_options(int argc, char** argv, Options& options);

const char* expectation_name(Expectation expect);

}  // namespace watchdog
