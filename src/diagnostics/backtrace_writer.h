// The calling thread's backtrace, symbolised, for the watchdog report.
//
// Frames come from libunwind's local unwinder (UNW_LOCAL_ONLY), which its
// manual declares safe in signal handlers: unw_getcontext copies the
// registers; unw_init_local and unw_step find each caller through the
// .eh_frame unwind tables of the loaded objects (dl_iterate_phdr), checking
// addresses with system calls (mincore, or a write to a pipe) before reading
// them, and keep their caches in memory from mmap. Seen on Debian 12's
// libunwind 1.6.2 with a malloc-counting preload (tests/diagnostics,
// watchdog_report_allocates_nothing): no malloc in them, even on first use.
// Names come from elf_symbols.h, not from unw_get_proc_name, which mallocs
// in that version (the same test counted one malloc per frame with it).
#pragma once

#include "diagnostics/text_buffer.h"

namespace bshim {

// Notes where barrier-shim's own code lies, so reports can leave out its
// frames, and runs one backtrace, so that libunwind's one-time set-up (a
// lock, mmap'ed caches) happens at load time rather than in the first
// report. Called at load time when the watchdog is on, after
// install_unwinder() (unwinder.h); not async-signal-safe.
void prepare_backtraces();

// Appends the calling thread's stack to `out`, one line per frame:
//   "  #5 0x000055d0c0de1234 wait_for_missing_participant+0x1a (/bin/prog+0x1234)\n"
// or, where no symbol covers the address (a stripped program),
//   "  #5 0x000055d0c0de1234 ?? (/bin/prog+0x1234)\n"
// The path and offset name the object file and the address as that file
// numbers it: `addr2line -f -e PATH 0x1234` finds the function and line (of
// a stripped program, with its unstripped twin).
// The innermost frames that lie in barrier-shim's own code (the watchdog and
// the wait path, up to pthread_barrier_wait) are left out and counted in one
// line; the frame of pthread_barrier_wait's caller is always shown. Whenever
// a line might not fit, `out` is written to `fd` and emptied first.
void append_backtrace(TextBuffer& out, int fd);

}  // namespace bshim
