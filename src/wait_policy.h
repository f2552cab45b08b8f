// The waiting policy: how long a waiter spins and yields before it sleeps.
//
// Every tunable number of the barrier lives here. A waiter goes through up to
// three phases, each bounded:
//   1. spin with cpu_relax(), only when all participants can run at once
//      (kFlagSpin: count <= CPUs in the initialiser's affinity mask), since a
//      spinner that occupies the CPU a late participant needs only delays it;
//   2. sched_yield(), a few times, which lets a runnable participant on this
//      CPU reach the barrier without a futex round trip;
//   3. FUTEX_WAIT, until the round's last arriver wakes it.
#pragma once

#include <cstdint>

namespace bshim {

struct WaitPolicy {
  // Phase 1 length, in cpu_relax() iterations (one `pause` is 16-30 ns on
  // current x86 cores, design-facts 4.1): 4096 is about 60-120 us, well above
  // the arrival skew of a balanced round and far below a scheduler tick.
  uint32_t spin_iterations = 4096;
  // Phase 2 length, in sched_yield() calls.
  uint32_t yield_iterations = 8;
};

// The policy in force. Read on every wait that does not complete at once.
const WaitPolicy& wait_policy();

// CPUs this thread may run on (its affinity mask), at least 1. A system call:
// used by init only, never by wait.
unsigned usable_cpu_count();

}  // namespace bshim
