// Whether an address lies in a private mapping (MAP_PRIVATE: the heap, stacks,
// private anonymous or file mappings), which no other process can share.
#pragma once

namespace bshim {

enum class MappingKind { kPrivate, kShared, kUnknown };

// Looks the address up in /proc/self/maps. Allocates nothing (a stack buffer),
// but opens a file: for init only, never for wait. kUnknown when /proc is not
// mounted or the address is not mapped.
MappingKind mapping_kind_of(const void* address);

}  // namespace bshim
