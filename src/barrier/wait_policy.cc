#include "barrier/wait_policy.h"

#include <sched.h>


#include "os/cpu_relax.h"
#include "os/environment.h"
#include "os/monotonic_clock.h"

namespace bshim {
namespace {

// Assumed before calibration: one `pause` costs 16-30 ns on current x86 cores
// (measured on the 2-core and 16-core machines of doc/performance.md).
constexpr uint64_t kAssumedRelaxNs = 25;

// The longest spin budget a setting may ask for: an hour, far beyond any use
// (the windows tests spin for 30 s), and short of overflowing anything.
constexpr uint64_t kLongestSpinSettingNs = 3'600'000'000'000ULL;

constexpr uint32_t iterations_for(uint64_t nanoseconds, uint64_t relax_ns) {
  const uint64_t iterations = nanoseconds / (relax_ns == 0 ? 1 : relax_ns);
  return iterations == 0 ? 1 : iterations > UINT32_MAX ? UINT32_MAX
                                                        : static_cast<uint32_t>(iterations);
}

constinit WaitPolicy g_policy{
    iterations_for(kDefaultSpinNs, kAssumedRelaxNs),
    iterations_for(kDefaultMinSpinNs, kAssumedRelaxNs),
    iterations_for(kDefaultMaxSpinNs, kAssumedRelaxNs),
    kDefaultYields,
    iterations_for(kQuickPollNs, kAssumedRelaxNs),
    kAssumedRelaxNs,
};

// Median-free but robust enough: the fastest of a few short runs, so that a
// preemption during calibration does not inflate the estimate.
uint64_t measure_relax_ns() {
  constexpr int kRuns = 5;
  constexpr int kIterations = 2000;
  uint64_t best = UINT64_MAX;
  for (int run = 0; run < kRuns; ++run) {
    const uint64_t start = monotonic_ns();
    for (int i = 0; i < kIterations; ++i) cpu_relax();
    const uint64_t elapsed = monotonic_ns() - start;
    if (elapsed < best) best = elapsed;
  }
  const uint64_t per_iteration = best / kIterations;
  return per_iteration == 0 ? 1 : per_iteration;
}

}  // namespace

const WaitPolicy& wait_policy() { return g_policy; }

__thread uint32_t t_waits_without_yields __attribute__((tls_model("initial-exec")));
__thread LastSleep t_last_sleep __attribute__((tls_model("initial-exec"))) = {nullptr, 0};
__thread uint32_t t_quick_yields_in_a_row __attribute__((tls_model("initial-exec")));
__thread LongYields t_long_yields __attribute__((tls_model("initial-exec")));

void configure_wait_policy() {
  const uint64_t relax_ns = measure_relax_ns();
  const uint64_t min_ns =
      setting_number("BARRIER_SHIM_SPIN_MIN_NS", 0, kLongestSpinSettingNs, kDefaultMinSpinNs);
  uint64_t max_ns =
      setting_number("BARRIER_SHIM_SPIN_MAX_NS", 0, kLongestSpinSettingNs, kDefaultMaxSpinNs);
  if (max_ns < min_ns) {
    // Named by whichever of the two was set (the other is its default).
    const char* max_text = setting_text("BARRIER_SHIM_SPIN_MAX_NS");
    warn_about_setting(max_text != nullptr ? "BARRIER_SHIM_SPIN_MAX_NS" : "BARRIER_SHIM_SPIN_MIN_NS",
                       max_text != nullptr ? max_text : setting_text("BARRIER_SHIM_SPIN_MIN_NS"),
                       max_text != nullptr ? "is below BARRIER_SHIM_SPIN_MIN_NS"
                                           : "is above the default largest spin budget",
                       "the smallest budget is used as the largest too");
    max_ns = min_ns;
  }
  uint64_t initial_ns =
      setting_number("BARRIER_SHIM_SPIN_NS", 0, kLongestSpinSettingNs, kDefaultSpinNs);
  if (initial_ns < min_ns || initial_ns > max_ns) {
    const uint64_t clamped = initial_ns < min_ns ? min_ns : max_ns;
    if (setting_text("BARRIER_SHIM_SPIN_NS") != nullptr) {
      warn_about_setting("BARRIER_SHIM_SPIN_NS", setting_text("BARRIER_SHIM_SPIN_NS"),
                         initial_ns < min_ns ? "is below BARRIER_SHIM_SPIN_MIN_NS"
                                             : "is above BARRIER_SHIM_SPIN_MAX_NS",
                         initial_ns < min_ns ? "the smallest budget is used"
                                             : "the largest budget is used");
    }
    initial_ns = clamped;
  }
  g_policy.relax_ns = static_cast<uint32_t>(relax_ns < UINT32_MAX ? relax_ns : UINT32_MAX);
  g_policy.min_spin_iterations = iterations_for(min_ns, relax_ns);
  g_policy.max_spin_iterations = iterations_for(max_ns, relax_ns);
  g_policy.initial_spin_iterations = iterations_for(initial_ns, relax_ns);
  g_policy.quick_polls =
      min_ns == 0 ? 0 : iterations_for(min_ns < kQuickPollNs ? min_ns : kQuickPollNs, relax_ns);
  g_policy.yield_iterations =
      static_cast<uint32_t>(setting_number("BARRIER_SHIM_YIELDS", 0, UINT32_MAX, kDefaultYields));
}

uint32_t next_spin_budget(uint32_t budget, uint32_t spun, bool satisfied_by_spin) {
  const WaitPolicy& policy = g_policy;
  uint64_t next = budget;
  if (!satisfied_by_spin) {
    // The round ended in sleep anyway: spinning was wasted, spin half as long.
    next = budget / 2;
  } else if (2ULL * spun > budget) {
    // The round needed most of the budget: cover twice what it took.
    next = 2ULL * spun;
  } else {
    // Quick rounds after a shrink: grow back gently towards the initial
    // budget, so one preempted participant does not leave a balanced program
    // sleeping for good. A budget above the initial one costs nothing while
    // rounds complete early, and halves as soon as they stop doing so.
    next = spin_budget_after_quick_round(budget);
  }
  if (next < policy.min_spin_iterations) next = policy.min_spin_iterations;
  if (next > policy.max_spin_iterations) next = policy.max_spin_iterations;
  return static_cast<uint32_t>(next);
}

uint32_t spin_budget_after_late_round(uint32_t halved, uint32_t spun_budget, uint64_t waited_ns) {
  const WaitPolicy& policy = g_policy;
  const uint64_t waited = waited_ns / (policy.relax_ns != 0 ? policy.relax_ns : 1);
  // The whole wait since the spin began, in iterations.
  const uint64_t whole = static_cast<uint64_t>(spun_budget) + waited;
  // Twice the whole wait must fit in the initial budget (wait_policy.h: a
  // round that waited for most of it may have waited for a slow member).
  if (2 * whole > policy.initial_spin_iterations) return halved;
  uint64_t covering = 2 * whole;
  if (covering < policy.min_spin_iterations) covering = policy.min_spin_iterations;
  return covering > halved ? static_cast<uint32_t>(covering) : halved;
}

UsableCpus usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return {1, 0, 0};
  UsableCpus cpus{0, 0, 0};
  for (unsigned cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    if (cpus.count++ == 0) cpus.lowest = cpu;
    cpus.highest = cpu;
  }
  if (cpus.count == 0) return {1, 0, 0};
  return cpus;
}

}  // namespace bshim
