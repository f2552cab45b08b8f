// Reading memory that this process mapped but may not access (mprotect
// PROT_NONE), so that a sleeper can tell its own protected barrier from a
// protected page that is no longer its barrier.
#pragma once

#include <cstddef>

#include "os/read_without_fault.h"

namespace bshim {

// Copies `size` bytes at `address` into `buffer` through /proc/self/mem,
// which the kernel reads with force: a page mapped PROT_NONE is read as it
// is (process_vm_readv and the futex calls fault on it). kUnmapped when the
// range is not mapped (or lies past the end of a shrunk file), kUnavailable
// when the file cannot be opened or read (/proc not mounted, no descriptor
// left, seccomp). Raw system calls (no cancellation point), errno as it was,
// no allocation; opens a file: for the rare path where a read has faulted.
FaultFreeRead read_protected_memory(const void* address, void* buffer, size_t size);

}  // namespace bshim
