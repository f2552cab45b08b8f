// Whether an address lies in a private mapping (MAP_PRIVATE: the heap, stacks,
// private anonymous or file mappings), which no other process can share.
#pragma once

namespace bshim {

enum class MappingKind { kPrivate, kShared, kUnknown };

// Asks /proc/self/maps about the one mapping that holds the address: the
// PROCMAP_QUERY ioctl (Linux 6.11), which costs the same however many
// mappings the process has, else a scan of the file's text, which costs
// about a microsecond per mapping listed before the address (30000
// mappings: 20 ms). Allocates nothing (a stack buffer), but opens a file:
// for init only, never for wait. kUnknown when /proc is not mounted or the
// address is not mapped.
MappingKind mapping_kind_of(const void* address);

// The scan alone, whatever the kernel offers: for tests that compare the two.
MappingKind mapping_kind_by_scan(const void* address);

// True iff the address lies in a shared mapping that this process cannot
// read: one that mprotect(2) made PROT_NONE (or execute-only). A read of such
// memory faults as a read of unmapped memory does, but the memory, and a
// barrier in it, is still there. False when the page is not mapped, is
// readable (a shared file shrunk under the mapping faults too), lies in a
// private mapping, or /proc cannot be read. Opens a file: for the rare path
// where a read through the kernel has just faulted.
bool in_unreadable_shared_mapping(const void* address);

}  // namespace bshim
