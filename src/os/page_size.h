// The page size, as the kernel told the process at exec (AT_PAGESZ): a read
// of the auxiliary vector, no system call, no lazily initialised static, so
// safe in a signal handler and before any constructor ran.
#pragma once

#include <sys/auxv.h>

#include <cstdint>

namespace bshim {

inline uintptr_t page_size() {
  const uintptr_t size = getauxval(AT_PAGESZ);
  return size != 0 ? size : 4096;
}

}  // namespace bshim
