// How much stack is left below the caller, for the watchdog report, which
// runs on whatever stack the stuck waiter is on: a small thread stack, or an
// alternate signal stack when the wait is inside a signal handler.
// Async-signal-safe and allocation-free: two or three system calls, no
// locks. For slow paths only (it runs when a report is due).
#pragma once

#include <cstddef>

namespace bshim {

struct StackRoom {
  // False if the room could not be measured (process_vm_readv refused, as
  // under some seccomp filters); `bytes` is then 0.
  bool known;
  // Bytes between the caller's stack pointer and the end of its stack, if
  // fewer than the `wanted` asked for; otherwise at least `wanted` (the probe
  // looks no further).
  size_t bytes;
};

// At most this much is probed: wanted is capped to it.
inline constexpr size_t kMostStackProbed = 32 * 1024;

StackRoom stack_room_below_caller(size_t wanted);

}  // namespace bshim
