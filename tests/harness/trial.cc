#include "trial.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "output_tail.h"
#include "signal_names.h"

namespace watchdog {
namespace {

using Clock = std::chrono::steady_clock;

// How often we look at the main child while its output is quiet.
constexpr int kPollMillis = 10;
// How long leftovers of a finished trial may keep the output pipe open
// after their group was killed (a member that left the group, say).
constexpr double kDrainSeconds = 1.0;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Reads what is there; returns false at end of file or on a read error.
bool read_some(int fd, OutputTail& tail) {
  char buffer[4096];
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    tail.feed(buffer, static_cast<std::size_t>(got));
    return true;
  }
}

// Waits for output up to `millis`; returns false once the pipe is closed.
bool pump_output(int fd, OutputTail& tail, int millis) {
  pollfd watched{fd, POLLIN, 0};
  int ready = poll(&watched, 1, millis);
  if (ready <= 0) return true;  // quiet (or EINTR): still open
  return read_some(fd, tail);
}

[[noreturn]] void become_program(const std::vector<std::string>& program,
                                 int output_fd, int exec_error_fd) {
  setpgid(0, 0);  // its own group, so a timeout can kill every process it forked
  dup2(output_fd, STDOUT_FILENO);
  dup2(output_fd, STDERR_FILENO);
  std::vector<char*> argv;
  for (const std::string& arg : program) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  int error = errno;
  ssize_t ignored = write(exec_error_fd, &error, sizeof error);
  (void)ignored;
  _exit(127);
}

// Orphans of the trial were reparented to us (we are a subreaper): collect
// the ones already dead so they do not pile up over many trials.
void reap_orphans() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace

std::string TrialResult::describe() const {
  switch (outcome) {
    case Outcome::exited: return "exited " + std::to_string(code);
    case Outcome::killed: return "killed by " + signal_name(code);
    case Outcome::hang: return "HANG";
    case Outcome::not_started: return std::string("could not start: ") + std::strerror(code);
  }
  return "?";
}

TrialResult run_trial(const std::vector<std::string>& program, double timeout_seconds) {
  TrialResult result;
  int output[2];
  int exec_error[2];  // closed by a successful exec, carries errno otherwise
  if (pipe2(output, O_CLOEXEC) != 0 || pipe2(exec_error, O_CLOEXEC) != 0) {
    result.code = errno;
    return result;
  }
  const Clock::time_point start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    result.code = errno;
    return result;
  }
  if (pid == 0) become_program(program, output[1], exec_error[1]);
  setpgid(pid, pid);  // also here, so the group exists before we may kill it
  close(output[1]);
  close(exec_error[1]);

  int exec_errno = 0;
  ssize_t got;
  do got = read(exec_error[0], &exec_errno, sizeof exec_errno);
  while (got < 0 && errno == EINTR);
  close(exec_error[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    waitpid(pid, nullptr, 0);
    close(output[0]);
    result.code = exec_errno;
    return result;
  }

  OutputTail tail;
  bool output_open = true;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    double left = timeout_seconds - seconds_since(start);
    if (left <= 0) {
      killpg(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.outcome = TrialResult::Outcome::hang;
      break;
    }
    int millis = std::min(kPollMillis, static_cast<int>(left * 1000) + 1);
    if (output_open) output_open = pump_output(output[0], tail, millis);
    else poll(nullptr, 0, millis);
  }
  result.seconds = seconds_since(start);

  // Processes the program forked may outlive it (a crashed parent's
  // helpers); they belong to this trial only.
  killpg(pid, SIGKILL);
  const Clock::time_point drain_start = Clock::now();
  while (output_open && seconds_since(drain_start) < kDrainSeconds)
    output_open = pump_output(output[0], tail, kPollMillis);
  close(output[0]);
  reap_orphans();

  result.last_line = tail.last_line();
  if (result.outcome == TrialResult::Outcome::hang) return result;
  if (WIFSIGNALED(status)) {
    result.outcome = TrialResult::Outcome::killed;
    result.code = WTERMSIG(status);
  } else {
    result.outcome = TrialResult::Outcome::exited;
    result.code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace watchdog
