// One trial: run a program in its own process group, pass its output
// through, remember its last line, and kill the whole group at the deadline.
#pragma once

#include <string>
#include <vector>

namespace watchdog {

struct TrialResult {
  enum class Outcome {
    exited,       // code = exit status
    killed,       // code = signal number
    hang,         // still running at the deadline; its group was SIGKILLed
    not_started,  // exec failed; code = errno
  };
  Outcome outcome = Outcome::not_started;
  int code = 0;
  double seconds = 0;
  std::string last_line;  // last non-empty line the program group printed

  bool passed() const { return outcome == Outcome::exited && code == 0; }
  // "exited 1", "killed by SIGSEGV", "HANG" ...
  std::string describe() const;
};

TrialResult run_trial(const std::vector<std::string>& program, double timeout_seconds);

}  // namespace watchdog
