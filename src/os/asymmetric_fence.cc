#include "os/asymmetric_fence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bshim {

constinit std::atomic<bool> g_heavy_fence_ready{false};

namespace {
long membarrier(int command) { return syscall(SYS_membarrier, command, 0, 0); }
}  // namespace

bool prepare_asymmetric_fence() {
  if (g_heavy_fence_ready.load(std::memory_order_relaxed)) return true;
  const long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) return false;
  // relaxed: read by light_fence/heavy_fence; see the header for why the
  // registration comes before the threads that read it.
  g_heavy_fence_ready.store(true, std::memory_order_relaxed);
  return true;
}

bool heavy_fence() {
  // Orders this thread's own accesses in either case.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!g_heavy_fence_ready.load(std::memory_order_relaxed)) return false;
  // Registered, so this cannot fail with EPERM; EINVAL and ENOSYS were ruled
  // out by the query. Should it fail all the same, the light sides still
  // run compiler barriers only: the caller's wait has a timeout for that.
  return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0;
}

}  // namespace bshim
