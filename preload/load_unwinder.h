// dlopen of libunwind.so.8 for the watchdog (see load_unwinder.cc).
#pragma once

namespace bshim_preload {

// Installs libunwind's local unwinder in the core if it can be loaded;
// otherwise leaves none installed. Load time only.
void load_unwinder();

}  // namespace bshim_preload
