#include "os/mapping_sharers.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "os/page_size.h"

namespace bshim {

PageSharing page_sharing_of(const void* address) {
  constexpr uint64_t kPresent = 1ULL << 63;
  constexpr uint64_t kExclusivelyMapped = 1ULL << 56;
  const int saved_errno = errno;
  PageSharing answer = PageSharing::kUnknown;
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    uint64_t entry = 0;
    const off_t offset =
        static_cast<off_t>(reinterpret_cast<uintptr_t>(address) / page_size() * sizeof(entry));
    if (pread(fd, &entry, sizeof(entry), offset) == static_cast<ssize_t>(sizeof(entry)) &&
        (entry & kPresent) != 0) {
      answer = (entry & kExclusivelyMapped) != 0 ? PageSharing::kExclusive : PageSharing::kShared;
    }
    close(fd);
  }
  errno = saved_errno;
  return answer;
}

}  // namespace bshim
