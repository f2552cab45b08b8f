// The CPU the calling thread runs on, as a hint: it may have moved by the
// time the caller uses it. For spreading arrivals over the leaves of an
// arrival tree (barrier/arrival_tree.h), where a wrong answer only costs
// speed.
#pragma once

#include <sched.h>
#include <sys/rseq.h>

#include <cstdint>

namespace bshim {

// glibc 2.35 and later register an rseq area for every thread, and the
// kernel keeps its cpu_id current on every return to user space: one load
// from the thread's own memory (rseq(2); glibc's manual, "Restartable
// Sequences"). Without registration (__rseq_size 0: the glibc.pthread.rseq
// tunable off, or a library that registered its own area first), glibc's
// sched_getcpu, which uses the vDSO. Never fails: 0 when neither answers.
inline uint32_t current_cpu() {
  if (__rseq_size != 0) {
    const auto* area = reinterpret_cast<const volatile struct rseq*>(
        static_cast<const char*>(__builtin_thread_pointer()) + __rseq_offset);
    // volatile: the kernel rewrites it between any two instructions of ours.
    // RSEQ_CPU_ID_UNINITIALIZED and _REGISTRATION_FAILED are "negative".
    const uint32_t cpu = area->cpu_id;
    if (static_cast<int32_t>(cpu) >= 0) return cpu;
  }
  const int cpu = sched_getcpu();
  return cpu >= 0 ? static_cast<uint32_t>(cpu) : 0;
}

}  // namespace bshim
