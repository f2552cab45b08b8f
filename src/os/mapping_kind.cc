#include "os/mapping_kind.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace bshim {
namespace {

// Parses one line of /proc/self/maps ("start-end perms offset ..."): true and
// the kind if the line's range contains `address`.
bool line_covers(const char* line, const char* end, uintptr_t address, MappingKind* kind) {
  uintptr_t start = 0, stop = 0;
  const char* p = line;
  auto hex_digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (; p < end && hex_digit(*p) >= 0; ++p) start = start * 16 + hex_digit(*p);
  if (p >= end || *p != '-') return false;
  for (++p; p < end && hex_digit(*p) >= 0; ++p) stop = stop * 16 + hex_digit(*p);
  if (p + 5 > end || *p != ' ') return false;
  if (address < start || address >= stop) return false;
  // perms are four characters, the last 'p' (private) or 's' (shared).
  *kind = p[4] == 's' ? MappingKind::kShared : MappingKind::kPrivate;
  return true;
}

}  // namespace

MappingKind mapping_kind_of(const void* address) {
  const int saved_errno = errno;
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errno = saved_errno;
    return MappingKind::kUnknown;
  }
  // Lines are well under 4 KiB (a path is at most PATH_MAX); keep a partial
  // line at the front of the buffer between reads.
  char buffer[8192];
  size_t filled = 0;
  MappingKind kind = MappingKind::kUnknown;
  bool found = false;
  while (!found) {
    const ssize_t got = read(fd, buffer + filled, sizeof(buffer) - filled);
    if (got <= 0) break;
    filled += static_cast<size_t>(got);
    size_t line_start = 0;
    for (size_t i = 0; i < filled && !found; ++i) {
      if (buffer[i] != '\n') continue;
      found = line_covers(buffer + line_start, buffer + i,
                          reinterpret_cast<uintptr_t>(address), &kind);
      line_start = i + 1;
    }
    if (line_start == 0 && filled == sizeof(buffer)) break;  // an absurd line
    std::memmove(buffer, buffer + line_start, filled - line_start);
    filled -= line_start;
  }
  close(fd);
  errno = saved_errno;
  return found ? kind : MappingKind::kUnknown;
}

}  // namespace bshim
