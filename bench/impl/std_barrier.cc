// C++20 std::barrier (libstdc++), one object for the whole team.
#include <barrier>
#include <cerrno>
#include <new>

#include "barrier_impl.h"

namespace {

using StdBarrier = std::barrier<>;
static_assert(alignof(StdBarrier) <= 64, "the harness aligns storage to 64 bytes");

int std_init(void *storage, unsigned count, bool /*process_shared*/) {
  if (count > static_cast<unsigned long>(StdBarrier::max())) return EINVAL;
  new (storage) StdBarrier(static_cast<std::ptrdiff_t>(count));
  return 0;
}

int std_wait(void *storage, unsigned /*index*/) {
  static_cast<StdBarrier *>(storage)->arrive_and_wait();
  return 0;
}

void std_destroy(void *storage) { static_cast<StdBarrier *>(storage)->~StdBarrier(); }

}  // namespace

extern "C" const barrier_impl bench_barrier_impl = {
    .name = "std::barrier",
    .storage_size = sizeof(StdBarrier),
    .reports_serial = false,
    .supports_processes = false,
    .init = std_init,
    .wait = std_wait,
    .destroy = std_destroy,
    .run_team = nullptr,
    .describe = nullptr,
};
