// The libunwind entry points the watchdog's backtraces use, as function
// pointers. The preload layer loads libunwind.so.8 with dlopen only when the
// watchdog is on (preload/load_unwinder.cc), so the shim itself depends on
// libc alone and loads into programs on machines without libunwind; the unit
// tests, linked with libunwind, install its functions directly.
#pragma once

#define UNW_LOCAL_ONLY
#include <libunwind.h>

namespace bshim {

// The local-only unwinder's functions (x86-64 names: _Ux86_64_getcontext,
// _ULx86_64_init_local, _ULx86_64_step, _ULx86_64_get_reg,
// _ULx86_64_is_signal_frame).
struct Unwinder {
  int (*getcontext)(unw_context_t*);
  int (*init_local)(unw_cursor_t*, unw_context_t*);
  int (*step)(unw_cursor_t*);
  int (*get_reg)(unw_cursor_t*, unw_regnum_t, unw_word_t*);
  int (*is_signal_frame)(unw_cursor_t*);
};

// Before any wait can report (load time). Not thread-safe.
void install_unwinder(const Unwinder& unwinder);

// The installed unwinder, or null when libunwind could not be loaded.
const Unwinder* installed_unwinder();

}  // namespace bshim
