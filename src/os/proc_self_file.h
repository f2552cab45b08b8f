// One look at a file of /proc/self from inside the barrier's own calls.
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace bshim {

// Opens `path` (a file of /proc/self) read-only, calls `use(fd)`, closes it;
// errno as it was before. Raw system calls: open, read and close of the C
// library are cancellation points, and neither pthread_barrier_init nor
// pthread_barrier_wait is one (`use` reads with raw calls too). Allocates
// nothing. False, without calling `use`, when the file cannot be opened
// (/proc not mounted, no descriptor left, a seccomp filter).
template <typename Use>
bool with_proc_self_file(const char* path, Use use) {
  const int saved_errno = errno;
  const int fd = static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
  if (fd >= 0) {
    use(fd);
    syscall(SYS_close, fd);
  }
  errno = saved_errno;
  return fd >= 0;
}

}  // namespace bshim
