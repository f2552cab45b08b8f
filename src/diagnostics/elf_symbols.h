// Names for code addresses, for the watchdog's backtraces, without malloc.
//
// libunwind's unw_get_proc_name() cannot be used: libunwind 1.6.2 (Debian
// 12) mallocs a path buffer in it for every frame ("/proc/PID/root" + the
// object's path, in _Ux86_64_get_elf_image), so a report from a waiter
// interrupted inside malloc could deadlock. This lookup does the same job
// with system calls only: it finds the loaded object that contains the
// address (dl_iterate_phdr, which libunwind's unw_step uses as well), maps
// that object's file read-only (open, fstat, mmap, close; the main program
// through /proc/self/exe), and searches its ELF symbol table (.symtab, or
// .dynsym when the file is stripped) for the function whose extent covers
// the address. An address that no sized symbol covers gets no name: a
// stripped library's nearest exported symbol would be a wrong one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "diagnostics/text_buffer.h"

namespace bshim {

// Notes the main program's file (the target of /proc/self/exe), which the
// loader names "", so that reports can name it by its path. Load time, when
// a diagnostic is on; until then the main program is "/proc/self/exe".
void remember_main_program_path();
// That path, or "/proc/self/exe" before it was remembered.
const char* main_program_path();

// The loaded object that contains `address`: appends its file's path to
// `path` (cut where `path` is full) and sets *load_base to its load bias
// (dlpi_addr), so that `address - *load_base` is the address as the file
// numbers it: what `addr2line -e PATH` takes. False, with nothing appended,
// if no loaded object contains it. Async-signal-safe, allocates nothing.
bool append_object_of(uintptr_t address, TextBuffer& path, uintptr_t* load_base);

// The function containing `file_address` (an address as the ELF file at
// `path` numbers it) in that file's symbol table, as SymbolLookup::find,
// but with the name copied into `name` (cut where it is full). For objects
// that are no longer loaded, such as those of a process that has ended.
bool find_symbol_in_file(const char* path, uintptr_t file_address, TextBuffer& name,
                         uintptr_t* offset);

// One mapped object file, reused while consecutive lookups fall in the same
// object. Invariant: `image` is nullptr or a read-only private mapping of
// `image_size` bytes of the file of the object loaded at `load_base`.
class SymbolLookup {
 public:
  SymbolLookup() = default;
  ~SymbolLookup();
  SymbolLookup(const SymbolLookup&) = delete;
  SymbolLookup& operator=(const SymbolLookup&) = delete;

  // The function containing `address`: its name, cut to at most
  // `longest_name` bytes and not terminated, pointing into the mapped file
  // (valid until the next find() or the end of this SymbolLookup; not copied,
  // so that a lookup costs no stack for it), and `address`'s offset from its
  // start. False if no symbol covers it (or the object's file cannot be read).
  bool find(uintptr_t address, size_t longest_name, const char** name, size_t* name_length,
            uintptr_t* offset);

 private:
  bool map_object_containing(uintptr_t address);
  void unmap();

  const unsigned char* image_ = nullptr;
  size_t image_size_ = 0;
  uintptr_t load_base_ = 0;  // the object's load bias (dlpi_addr)
  uintptr_t object_begin_ = 0;  // [begin, end): the object's loaded segments
  uintptr_t object_end_ = 0;
};

}  // namespace bshim
