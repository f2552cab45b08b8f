#include "os/read_without_fault.h"

#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace bshim {

FaultFreeRead read_without_fault(const void* address, void* buffer, size_t size) {
  const int saved_errno = errno;
  struct iovec local = {buffer, size};
  struct iovec remote = {const_cast<void*>(address), size};
  const long copied = syscall(SYS_process_vm_readv, static_cast<long>(getpid()), &local, 1UL,
                              &remote, 1UL, 0UL);
  const int error = errno;
  errno = saved_errno;
  if (copied == static_cast<long>(size)) return FaultFreeRead::kCopied;
  if (copied >= 0 || error == EFAULT) return FaultFreeRead::kUnmapped;
  return FaultFreeRead::kUnavailable;
}

}  // namespace bshim
