#include "wait_policy.h"

#include <sched.h>

namespace bshim {
namespace {
constinit WaitPolicy g_policy{};
}  // namespace

const WaitPolicy& wait_policy() { return g_policy; }

unsigned usable_cpu_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  const int count = CPU_COUNT(&set);
  return count > 0 ? static_cast<unsigned>(count) : 1U;
}

}  // namespace bshim
