// An asymmetric store-load fence: a cheap side that runs often and a costly
// side that runs rarely, which together order like a seq_cst fence on each.
//
// Dekker's pattern needs a store-load fence on both sides: A stores x then
// loads y, B stores y then loads x, and at least one must see the other's
// store. On x86-64 each fence is a locked instruction or an mfence (tens of
// cycles). When one side runs on every call of a hot path and the other only
// on a slow path, the hot side can make do with a compiler barrier, provided
// the slow side forces a full memory barrier on every running thread of the
// process: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) does that by IPI to
// each CPU that runs a thread of this process (and threads not running are
// ordered by the context switch itself); see membarrier(2) and the kernel's
// kernel/sched/membarrier.c. Either the light side's load comes after the
// heavy side's barrier, and sees the heavy side's store, or the light side's
// store was globally visible before that barrier completed, and the heavy
// side's load after it sees it.
//
// The expedited command needs a registration per process (once, in the
// library's constructor: it may fail, so it is done in init). A fork child
// inherits it (measured on this kernel: the child's call returns 0); exec
// drops it with the rest of the process. Without it (an older kernel, a
// seccomp filter, a constructor that never ran) both sides fall back to a
// seq_cst fence.
#pragma once

#include <atomic>

namespace bshim {

// True once the heavy side can use membarrier. Written once, in init.
extern std::atomic<bool> g_heavy_fence_ready;

// Registers this process for the expedited membarrier; true on success.
// Idempotent. Call before the threads that use the fences exist: a light
// fence that sees "ready" while a heavy fence of another thread still saw
// "not ready" would be unpaired.
bool prepare_asymmetric_fence();

// The hot side: a compiler barrier when the heavy side is membarrier, else a
// seq_cst fence.
inline void light_fence() {
  // relaxed: written once before any thread that calls this exists.
  if (g_heavy_fence_ready.load(std::memory_order_relaxed)) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
}

// The slow side: a seq_cst fence here, and a full barrier on every running
// thread of the process. A system call: never on a hot path. Returns false
// if only the local fence was made (not registered, or the call failed).
bool heavy_fence();

}  // namespace bshim
