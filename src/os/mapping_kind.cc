#include "os/mapping_kind.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "os/page_size.h"
#include "os/proc_self_file.h"

namespace bshim {
namespace {

// What /proc/self/maps says of the mapping that holds an address.
struct MappingFacts {
  MappingKind kind = MappingKind::kUnknown;  // kUnknown: not found
  bool readable = false;
};

// Parses one line of /proc/self/maps ("start-end perms offset ..."): true and
// the facts if the line's range contains `address`.
bool line_covers(const char* line, const char* end, uintptr_t address, MappingFacts* facts) {
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
  // perms are four characters ("rwxs"), the first 'r' if readable, the last
  // 'p' (private) or 's' (shared).
  facts->kind = p[4] == 's' ? MappingKind::kShared : MappingKind::kPrivate;
  facts->readable = p[1] == 'r';
  return true;
}

// The PROCMAP_QUERY ioctl's argument (include/uapi/linux/fs.h, Linux 6.11;
// the kernel takes a shorter or longer struct by its `size`). Declared here
// because the installed headers may predate it.
struct ProcmapQuery {
  uint64_t size;
  uint64_t query_flags;  // 0: only the mapping that contains query_addr
  uint64_t query_addr;
  uint64_t vma_start;
  uint64_t vma_end;
  uint64_t vma_flags;
  uint64_t vma_page_size;
  uint64_t vma_offset;
  uint64_t inode;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint32_t vma_name_size;  // 0: no name wanted
  uint32_t build_id_size;  // 0: no build id wanted
  uint64_t vma_name_addr;
  uint64_t build_id_addr;
};
static_assert(sizeof(ProcmapQuery) == 104, "the kernel's struct procmap_query");
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr uint64_t kVmaReadable = 0x01;  // PROCMAP_QUERY_VMA_READABLE: the 'r'
constexpr uint64_t kVmaShared = 0x08;  // PROCMAP_QUERY_VMA_SHARED: the 's' of the text

enum class QueryAnswer { kFound, kNotMapped, kUnsupported };

QueryAnswer query_mapping(int fd, const void* address, MappingFacts* facts) {
  ProcmapQuery query{};
  query.size = sizeof(query);
  query.query_addr = reinterpret_cast<uintptr_t>(address);
  if (ioctl(fd, kProcmapQuery, &query) == 0) {
    facts->kind =
        (query.vma_flags & kVmaShared) != 0 ? MappingKind::kShared : MappingKind::kPrivate;
    facts->readable = (query.vma_flags & kVmaReadable) != 0;
    return QueryAnswer::kFound;
  }
  return errno == ENOENT ? QueryAnswer::kNotMapped : QueryAnswer::kUnsupported;
}

MappingFacts scan_for(int fd, const void* address) {
  // Lines are well under 4 KiB (a path is at most PATH_MAX); keep a partial
  // line at the front of the buffer between reads.
  char buffer[8192];
  size_t filled = 0;
  MappingFacts facts;
  bool found = false;
  while (!found) {
    const ssize_t got = syscall(SYS_read, fd, buffer + filled, sizeof(buffer) - filled);
    if (got <= 0) break;
    filled += static_cast<size_t>(got);
    size_t line_start = 0;
    for (size_t i = 0; i < filled && !found; ++i) {
      if (buffer[i] != '\n') continue;
      found = line_covers(buffer + line_start, buffer + i,
                          reinterpret_cast<uintptr_t>(address), &facts);
      line_start = i + 1;
    }
    if (line_start == 0 && filled == sizeof(buffer)) break;  // an absurd line
    std::memmove(buffer, buffer + line_start, filled - line_start);
    filled -= line_start;
  }
  return found ? facts : MappingFacts{};
}

// Opens /proc/self/maps, asks `lookup(fd)`, closes it (with_proc_self_file:
// no cancellation point, errno as it was). Nothing found (kUnknown) when the
// file cannot be opened (/proc not mounted).
template <typename Lookup>
MappingFacts with_maps_file(Lookup lookup) {
  MappingFacts facts;
  with_proc_self_file("/proc/self/maps", [&](int fd) { facts = lookup(fd); });
  return facts;
}

MappingFacts mapping_facts_of(const void* address) {
  return with_maps_file([address](int fd) {
    MappingFacts facts;
    if (query_mapping(fd, address, &facts) == QueryAnswer::kUnsupported) {
      facts = scan_for(fd, address);
    }
    return facts;
  });
}

}  // namespace

MappingKind mapping_kind_of(const void* address) { return mapping_facts_of(address).kind; }

MappingKind mapping_kind_by_scan(const void* address) {
  return with_maps_file([address](int fd) { return scan_for(fd, address); }).kind;
}

bool in_unreadable_shared_mapping(const void* address) {
  // mincore first: a page no longer mapped (the usual reason a read of
  // barrier memory faults) answers ENOMEM without opening anything.
  const int saved_errno = errno;
  const uintptr_t page = reinterpret_cast<uintptr_t>(address) & ~(page_size() - 1);
  unsigned char resident;
  const bool mapped = mincore(reinterpret_cast<void*>(page), 1, &resident) == 0;
  errno = saved_errno;
  if (!mapped) return false;
  const MappingFacts facts = mapping_facts_of(address);
  return facts.kind == MappingKind::kShared && !facts.readable;
}

}  // namespace bshim
