#include "diagnostics/backtrace_writer.h"

#include <link.h>
#include <unistd.h>

#include <cstdint>

#include "diagnostics/elf_symbols.h"
#include "diagnostics/unwinder.h"

namespace bshim {
namespace {

constexpr unsigned kMostFrames = 64;
// Longest symbol name printed; longer names are cut.
constexpr size_t kNameCapacity = 256;
// Room kept for the object's path; a longer one may be cut.
constexpr size_t kPathRoom = 400;
// A frame line: indentation, number, address, name, offset, object, offset.
constexpr size_t kLongestFrameLine = kNameCapacity + kPathRoom + 80;

// The address range of barrier-shim's executable segments: [begin, end).
// Written by prepare_backtraces() in the library constructor, before any
// thread waits; empty (nothing omitted) until then.
constinit uintptr_t g_own_code_begin = 0;
constinit uintptr_t g_own_code_end = 0;

// Written once at load time, before any thread waits (unwinder.h).
constinit Unwinder g_unwinder = {};
constinit bool g_unwinder_installed = false;

bool in_own_code(uintptr_t address) {
  return address >= g_own_code_begin && address < g_own_code_end;
}

// dl_iterate_phdr callback: if this object contains `data` (an address of
// our own code), record its executable segments.
int find_own_code(struct dl_phdr_info* info, size_t, void* data) {
  const uintptr_t probe = reinterpret_cast<uintptr_t>(data);
  uintptr_t begin = UINTPTR_MAX;
  uintptr_t end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0) continue;
    const uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (start < begin) begin = start;
    if (start + segment.p_memsz > end) end = start + segment.p_memsz;
  }
  if (probe < begin || probe >= end) return 0;  // not this object: go on
  g_own_code_begin = begin;
  g_own_code_end = end;
  return 1;
}

// One frame's line. `ip_is_return_address`: the frame called the next one
// in, so its IP points after the call, which may be the first byte of the
// next function; its name is that of the byte before (as debuggers do).
void append_frame(TextBuffer& out, SymbolLookup& symbols, unsigned depth, uintptr_t ip,
                  bool ip_is_return_address) {
  const char* name = nullptr;
  size_t name_length = 0;
  uintptr_t offset = 0;
  const uintptr_t looked_up = ip_is_return_address ? ip - 1 : ip;
  out.text("  #").decimal(depth).character(' ').hex(ip, 16).character(' ');
  if (symbols.find(looked_up, kNameCapacity, &name, &name_length, &offset)) {
    out.text(name, name_length).character('+').hex(offset + (ip - looked_up));
  } else {
    out.text("??");  // no symbol covers it: stripped, static in a stripped library, JIT
  }
  // Where it lies in its file, for addr2line, symbols or not: " (PATH+0xOFFSET)".
  const size_t without_object = out.size();
  uintptr_t load_base = 0;
  out.text(" (");
  if (append_object_of(ip, out, &load_base)) {
    out.character('+').hex(ip - load_base).character(')');
  } else {
    out.cut_back_to(without_object);  // JIT code, or an object unloaded meanwhile
  }
  out.character('\n');
}

void make_room_for_a_line(TextBuffer& out, int fd) {
  if (out.remaining() >= kLongestFrameLine) return;
  write_all(fd, out);
  out.clear();
}

}  // namespace

void install_unwinder(const Unwinder& unwinder) {
  g_unwinder = unwinder;
  g_unwinder_installed = true;
}

const Unwinder* installed_unwinder() { return g_unwinder_installed ? &g_unwinder : nullptr; }

void prepare_backtraces() {
  remember_main_program_path();
  dl_iterate_phdr(find_own_code, reinterpret_cast<void*>(&prepare_backtraces));
  char scratch[4096];
  TextBuffer discarded(scratch, sizeof(scratch));
  const int nowhere = -1;  // writes to -1 fail harmlessly (EBADF)
  append_backtrace(discarded, nowhere);
}

void append_backtrace(TextBuffer& out, int fd) {
  const Unwinder* unwind = installed_unwinder();
  if (unwind == nullptr) {
    make_room_for_a_line(out, fd);
    out.text("  (no backtrace: libunwind.so.8 could not be loaded)\n");
    return;
  }
  unw_context_t context;
  unw_cursor_t cursor;
  // getcontext records this function's registers; the cursor starts at
  // this frame and step walks to the callers.
  if (unwind->getcontext(&context) != 0 || unwind->init_local(&cursor, &context) != 0) {
    make_room_for_a_line(out, fd);
    out.text("  (no backtrace: libunwind could not read this thread's registers)\n");
    return;
  }
  SymbolLookup symbols;
  unsigned omitted = 0;
  bool leading = true;        // still in the innermost run of our own frames
  bool ip_is_return = false;  // the innermost IP is where this thread is
  for (unsigned depth = 0; depth < kMostFrames; ++depth) {
    unw_word_t ip = 0;
    if (unwind->get_reg(&cursor, UNW_REG_IP, &ip) != 0) break;
    if (leading && in_own_code(ip)) {
      ++omitted;
    } else {
      if (leading && omitted != 0) {
        make_room_for_a_line(out, fd);
        out.text("  (").decimal(omitted).text(" frames inside barrier-shim left out)\n");
      }
      leading = false;
      make_room_for_a_line(out, fd);
      append_frame(out, symbols, depth, ip, ip_is_return);
    }
    // The caller's IP is a return address, unless this frame is a signal
    // handler's trampoline: then it is where the signal interrupted it.
    ip_is_return = unwind->is_signal_frame(&cursor) <= 0;
    if (unwind->step(&cursor) <= 0) break;  // 0: the outermost frame; < 0: lost
  }
}

}  // namespace bshim
