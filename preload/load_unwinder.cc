// Loads libunwind for the watchdog's backtraces, at load time and only when
// the watchdog is on: a program run without BARRIER_SHIM_WATCHDOG never maps
// libunwind, and a machine without it still runs the shim (reports then say
// that no backtrace is available).
#include "load_unwinder.h"

#include <dlfcn.h>

#include "diagnostics/unwinder.h"

namespace bshim_preload {
namespace {

template <typename Fn>
bool look_up(void* library, const char* name, Fn* function) {
  *function = reinterpret_cast<Fn>(dlsym(library, name));
  return *function != nullptr;
}

}  // namespace

void load_unwinder() {
  // RTLD_LOCAL: libunwind's symbols (it also defines backtrace()) must not
  // join the program's global scope.
  void* library = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return;
  bshim::Unwinder unwinder;
  // The local-only unwinder of x86-64, under the names libunwind.h maps
  // unw_getcontext, unw_init_local, ... to with UNW_LOCAL_ONLY.
  if (look_up(library, "_Ux86_64_getcontext", &unwinder.getcontext) &&
      look_up(library, "_ULx86_64_init_local", &unwinder.init_local) &&
      look_up(library, "_ULx86_64_step", &unwinder.step) &&
      look_up(library, "_ULx86_64_get_reg", &unwinder.get_reg) &&
      look_up(library, "_ULx86_64_is_signal_frame", &unwinder.is_signal_frame)) {
    bshim::install_unwinder(unwinder);
  }
}

}  // namespace bshim_preload
