// Which stack frames a longjmp out of a signal handler discards: those below
// the target stack pointer on the same stack, and every frame on the signal
// stack the handler runs on when the jump leaves it. Shared by the unmap
// lock's holds and the records of blocked waits, whose bookkeeping a jump
// skips.
#pragma once

#include <cstdint>

namespace bshim {

struct DiscardedFrames {
  uintptr_t target;          // the stack pointer the jump restores
  uintptr_t altstack_begin;  // the signal stack the handler runs on,
  uintptr_t altstack_end;    // [begin, end), empty if none

  bool on_altstack(uintptr_t address) const {
    return address >= altstack_begin && address < altstack_end;
  }
  // True if the frame holding `holder` (an address on some stack of this
  // thread) is discarded by the jump. Stacks grow down.
  bool discards(uintptr_t holder) const {
    if (on_altstack(target)) return on_altstack(holder) && holder < target;
    return on_altstack(holder) || holder < target;
  }
};

// Every frame of every stack of this thread: a jump "above everything", on
// no signal stack (pthread_exit, or a longjmp whose target is unknown).
inline constexpr DiscardedFrames kEveryFrame{UINTPTR_MAX, 0, 0};

}  // namespace bshim
