// The exported munmap, mmap, mmap64, mremap and shmdt: each holds the unmap
// side of the process's unmap lock around the real call (see unmap_lock.h),
// so no barrier waiter of this process is reading a barrier object in the
// range while it disappears. mmap without MAP_FIXED replaces nothing and
// passes straight through.
//
// Meson compiles with -D_FILE_OFFSET_BITS=64, under which <sys/mman.h> renames
// mmap to mmap64 and a definition of mmap would be emitted as mmap64
// (checked with gcc 12.2 and Meson 1.0.1; check with nm -D). Undo it before the first include so both names exist.
#undef _FILE_OFFSET_BITS

#include <sys/mman.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdarg>

#include "os/page_size.h"
#include "real_functions.h"
#include "unmap_lock/unmap_lock.h"

#define BSHIM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// The bytes a call may unmap: [address, address + length) rounded out to
// whole pages, as the kernel does; everything when the length is unknown.
struct Range {
  uintptr_t begin = 0;
  uintptr_t end = UINTPTR_MAX;
};

Range pages_of(const void* address, size_t length) {
  const uintptr_t page = bshim::page_size();
  const uintptr_t begin = reinterpret_cast<uintptr_t>(address) & ~(page - 1);
  const uintptr_t last = reinterpret_cast<uintptr_t>(address) + length;
  if (last < begin || last > UINTPTR_MAX - page) return {begin, UINTPTR_MAX};
  return {begin, (last + page - 1) & ~(page - 1)};
}

// Runs `real_call` with the unmap side held for `range` (it waits for the
// exit windows of other threads on those bytes) and hands back its result
// with the errno it set: releasing the lock may make futex calls of its own.
template <typename Call>
auto with_unmap_side_held(Range range, Call real_call) {
  int saved_errno;
  decltype(real_call()) result;
  {
    bshim::UnmapSection section(range.begin, range.end);
    result = real_call();
    saved_errno = errno;
  }
  errno = saved_errno;
  return result;
}

}  // namespace

BSHIM_EXPORT int munmap(void* addr, size_t length) noexcept {
  return with_unmap_side_held(pages_of(addr, length),
                              [&] { return bshim_preload::call_real_munmap(addr, length); });
}

BSHIM_EXPORT void* mmap(void* addr, size_t length, int prot, int flags, int fd,
                        off_t offset) noexcept {
  if ((flags & MAP_FIXED) == 0) {
    return bshim_preload::call_real_mmap(addr, length, prot, flags, fd, offset);
  }
  return with_unmap_side_held(pages_of(addr, length), [&] {
    return bshim_preload::call_real_mmap(addr, length, prot, flags, fd, offset);
  });
}

BSHIM_EXPORT void* mmap64(void* addr, size_t length, int prot, int flags, int fd,
                          off64_t offset) noexcept {
  if ((flags & MAP_FIXED) == 0) {
    return bshim_preload::call_real_mmap64(addr, length, prot, flags, fd, offset);
  }
  return with_unmap_side_held(pages_of(addr, length), [&] {
    return bshim_preload::call_real_mmap64(addr, length, prot, flags, fd, offset);
  });
}

// Every mremap takes the lock: shrinking unmaps the tail, moving unmaps the
// old range, and the cost of the lock is two uncontended atomics.
BSHIM_EXPORT void* mremap(void* old_address, size_t old_size, size_t new_size, int flags,
                          ...) noexcept {
  void* new_address = nullptr;
  if ((flags & MREMAP_FIXED) != 0) {
    va_list args;
    va_start(args, flags);
    new_address = va_arg(args, void*);
    va_end(args);
  }
  // The old range: shrinking unmaps its tail, moving all of it. (MREMAP_FIXED
  // also unmaps whatever lay at new_address: that range too.)
  Range range = pages_of(old_address, old_size);
  if ((flags & MREMAP_FIXED) != 0) range = Range{};
  return with_unmap_side_held(range, [&] {
    return bshim_preload::call_real_mremap(old_address, old_size, new_size, flags, new_address);
  });
}

BSHIM_EXPORT int shmdt(const void* shmaddr) noexcept {
  // The segment's size is not known here: every window counts.
  return with_unmap_side_held(Range{}, [&] { return bshim_preload::call_real_shmdt(shmaddr); });
}
