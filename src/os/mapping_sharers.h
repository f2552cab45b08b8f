// Whether another process has the page behind an address in its page tables.
//
// For init and destroy of a process-shared barrier whose state word counts
// arrivals that no thread of this process, and no sleeper the kernel knows
// of, accounts for. A thread of another process that is stopped (SIGSTOP, a
// debugger) or preempted before its sleep is on no futex queue; but it wrote
// the barrier's page when it arrived, so its process maps that page. A
// process that died maps nothing. So the arrivals are of dead processes only
// if this process maps the page exclusively.
#pragma once

namespace bshim {

enum class PageSharing {
  kExclusive,  // mapped by this process alone (and only once)
  kShared,     // mapped by another process too, or twice here
  kUnknown,    // no /proc, an old kernel, or the page is not present
};

// Bit 56 of the page's /proc/self/pagemap entry ("page exclusively mapped",
// Linux 4.2 and later; Documentation/admin-guide/mm/pagemap.rst), with bit 63
// (present). One pread, no allocation, no privileges needed. A page the
// kernel swapped out is mapped by nobody until touched again: the caller
// reads the barrier just before, which brings it back here, but another
// process's mapping of it returns only when that process touches it.
PageSharing page_sharing_of(const void* address);

}  // namespace bshim
