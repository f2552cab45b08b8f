// What runs once when the library is loaded: resolve the real functions, and
// register the fork hook, before any thread can wait or unmap.
#include <pthread.h>

#include "real_functions.h"
#include "unmap_lock.h"
#include "wait_policy.h"

namespace {

// In the child of fork() only the forking thread survives; whatever other
// threads held of the unmap lock is gone with them. (vfork and posix_spawn
// children only exec or exit; _Fork and raw clone run no handlers: see README.)
void reset_unmap_lock_in_child() { bshim::process_unmap_lock().reset_in_child_after_fork(); }

// Priority 101: ahead of default-priority constructors of this library.
__attribute__((constructor(101))) void start_barrier_shim() {
  bshim_preload::resolve_real_functions();
  bshim::configure_wait_policy();  // calibrates spinning, reads BARRIER_SHIM_*
  // Registering can fail only for lack of memory, here at load time; the
  // child then keeps the parent's counts, as without the shim's fix.
  pthread_atfork(nullptr, nullptr, reset_unmap_lock_in_child);
}

}  // namespace
