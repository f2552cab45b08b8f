#include "os/read_protected_memory.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "os/proc_self_file.h"

namespace bshim {

FaultFreeRead read_protected_memory(const void* address, void* buffer, size_t size) {
  // The raw pread64 below takes the offset in one register only where a
  // long holds 64 bits.
  if (sizeof(long) < sizeof(uint64_t)) return FaultFreeRead::kUnavailable;
  long copied = -1;
  int error = 0;
  const bool opened = with_proc_self_file("/proc/self/mem", [&](int fd) {
    // The file's offset is the address. A range not mapped reads as EIO (or
    // short, where it starts mapped and ends unmapped).
    copied = syscall(SYS_pread64, fd, buffer, size,
                     static_cast<long>(reinterpret_cast<uintptr_t>(address)));
    error = errno;
  });
  if (!opened) return FaultFreeRead::kUnavailable;
  if (copied == static_cast<long>(size)) return FaultFreeRead::kCopied;
  if (copied >= 0 || error == EIO) return FaultFreeRead::kUnmapped;
  return FaultFreeRead::kUnavailable;
}

}  // namespace bshim
