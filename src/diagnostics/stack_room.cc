// How the room is measured, and why this way.
//
// On an alternate signal stack: sigaltstack(NULL, &current) says whether
// this thread runs on it (SS_ONSTACK) and where it begins; the room is the
// distance from the stack pointer down to that beginning. Nothing else can
// tell: the memory below an alternate stack is often more heap (the stack
// is commonly malloc'ed), readable and writable, and writing there is the
// heap corruption this check exists to prevent.
//
// On any other stack, the end is the first page below the stack pointer
// that cannot be read: the guard page glibc puts below every thread stack it
// allocates (PROT_NONE, or a guard region on newer kernels), or unmapped
// address space. One process_vm_readv on this process, reading one byte of
// each page below the stack pointer (one remote iovec per page), answers it
// without a fault: the kernel copies iovec by iovec and stops at the first
// it cannot read, so the count of bytes copied is the count of readable
// pages in a row. Untouched stack pages read as the shared zero page and
// cost no memory. The alternatives were worse:
//  - pthread_getattr_np allocates (its CPU set) and takes the thread's lock,
//    and for the main thread reads /proc/self/maps with stdio;
//  - mincore says "mapped" for a PROT_NONE guard page, so it cannot see the
//    end of a glibc thread stack;
//  - reading /proc/self/maps with raw open/read costs a descriptor, a parse
//    and time growing with the number of mappings, fails without /proc, and
//    knows no more: a guard page is its own mapping there too;
//  - recording each thread's bounds would need a hook at thread start.
// Limits: a stack in ordinary memory with nothing unreadable below it (a
// thread or coroutine stack the program malloc'ed itself, a glibc thread
// with guard size 0 next to other memory) looks bigger than it is; an
// alternate stack set up with SS_AUTODISARM reads as disarmed while in use,
// so it is probed like any other stack; and the main thread's stack, which
// the kernel grows on demand, counts only as far as it is mapped already
// (at least 128 KiB at start: a report is refused there only at the deepest
// point the thread ever reached).
//
// Cost: one sigaltstack, one getpid and one process_vm_readv of a few bytes,
// 2 to 4 microseconds on a busy x86-64 (Debian 12, Linux 6.18); about 300
// bytes of stack. It runs only when a message is due.
#include "diagnostics/stack_room.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace bshim {
namespace {

constexpr uintptr_t kPage = 4096;  // the smallest page; larger ones only probe more finely
constexpr size_t kMostProbedPages = kMostStackProbed / kPage;

// The stack pointer, near enough: the address of a local of this function's
// caller's callee, a few dozen bytes below the caller's frame.
__attribute__((noinline)) uintptr_t stack_pointer_here() {
  char here = 0;
  __asm__ __volatile__("" : : "r"(&here) : "memory");
  return reinterpret_cast<uintptr_t>(&here);
}

// Readable bytes below `sp`, up to `wanted`: the rest of sp's own page (in
// use, so readable) and then whole pages.
StackRoom readable_below(uintptr_t sp, size_t wanted) {
  const uintptr_t page_of_sp = sp & ~(kPage - 1);
  const size_t in_own_page = sp - page_of_sp;
  if (in_own_page >= wanted) return {true, wanted};
  size_t pages = (wanted - in_own_page + kPage - 1) / kPage;
  if (pages > kMostProbedPages) pages = kMostProbedPages;
  struct iovec remote[kMostProbedPages];
  for (size_t i = 0; i < pages; ++i) {
    remote[i].iov_base = reinterpret_cast<void*>(page_of_sp - (i + 1) * kPage);
    remote[i].iov_len = 1;
  }
  char sink[kMostProbedPages];
  struct iovec local = {sink, pages};
  const int saved_errno = errno;
  const long copied = syscall(SYS_process_vm_readv, static_cast<long>(getpid()), &local, 1UL,
                              remote, static_cast<unsigned long>(pages), 0UL);
  const int error = errno;
  errno = saved_errno;
  if (copied < 0 && error != EFAULT) return {false, 0};  // refused: unknown
  const size_t readable_pages = copied < 0 ? 0 : static_cast<size_t>(copied);
  const size_t bytes = in_own_page + readable_pages * kPage;
  return {true, bytes < wanted ? bytes : wanted};
}

}  // namespace

StackRoom stack_room_below_caller(size_t wanted) {
  if (wanted > kMostStackProbed) wanted = kMostStackProbed;
  const uintptr_t sp = stack_pointer_here();
  stack_t current;
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_ONSTACK) != 0) {
    const uintptr_t low = reinterpret_cast<uintptr_t>(current.ss_sp);
    if (sp > low && sp - low <= current.ss_size) {
      const size_t bytes = sp - low;
      return {true, bytes < wanted ? bytes : wanted};
    }
  }
  return readable_below(sp, wanted);
}

}  // namespace bshim
