#include "os/read_protected_memory.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace bshim {

FaultFreeRead read_protected_memory(const void* address, void* buffer, size_t size) {
  // The raw pread64 below takes the offset in one register only where a
  // long holds 64 bits.
  if (sizeof(long) < sizeof(uint64_t)) return FaultFreeRead::kUnavailable;
  const int saved_errno = errno;
  const int fd =
      static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDONLY | O_CLOEXEC));
  if (fd < 0) {
    errno = saved_errno;
    return FaultFreeRead::kUnavailable;
  }
  // The file's offset is the address. A range not mapped reads as EIO (or
  // short, where it starts mapped and ends unmapped).
  const long copied = syscall(SYS_pread64, fd, buffer, size,
                              static_cast<long>(reinterpret_cast<uintptr_t>(address)));
  const int error = errno;
  syscall(SYS_close, fd);
  errno = saved_errno;
  if (copied == static_cast<long>(size)) return FaultFreeRead::kCopied;
  if (copied >= 0 || error == EIO) return FaultFreeRead::kUnmapped;
  return FaultFreeRead::kUnavailable;
}

}  // namespace bshim
