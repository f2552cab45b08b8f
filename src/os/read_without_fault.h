// Reading memory that may have been unmapped meanwhile, through the kernel,
// so that a vanished page is an answer rather than SIGSEGV.
#pragma once

#include <cstddef>

namespace bshim {

enum class FaultFreeRead {
  kCopied,       // the bytes are in the buffer
  kUnmapped,     // the address range is not (fully) mapped any more
  kUnavailable,  // the kernel refused the call (seccomp, very old kernel)
};

// Copies `size` bytes at `address` into `buffer` with process_vm_readv on this
// process. Async-signal-safe, allocates nothing. For slow paths only: it is a
// system call.
FaultFreeRead read_without_fault(const void* address, void* buffer, size_t size);

}  // namespace bshim
