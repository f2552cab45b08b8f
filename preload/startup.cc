// What runs once when the library is loaded: resolve the real functions, and
// register the fork hook, before any thread can wait or unmap.
#include <pthread.h>

#include <cstdlib>

#include "barrier/arrival_tree.h"
#include "check_unmap_binding.h"
#include "diagnostics/backtrace_writer.h"
#include "contract/diagnostic_hooks.h"
#include "diagnostics/diagnostics_internal.h"
#include "load_unwinder.h"
#include "os/cancel_type.h"
#include "os/environment.h"
#include "os/realtime_policy.h"
#include "real_functions.h"
#include "robust/robust_membership.h"
#include "barrier/tool_annotations.h"
#include "threads/thread_records.h"
#include "unmap_lock/unmap_lock.h"
#include "barrier/wait_policy.h"

namespace {

// In the child of fork() only the forking thread survives; whatever other
// threads held of the unmap lock is gone with them. (vfork and posix_spawn
// children only exec or exit; _Fork and raw clone run no handlers: see doc/design.md.)
// Nor has the child joined any robust barrier's membership: its parent's
// SEM_UNDO adjustments are not inherited. (The thread records were wiped by
// the kernel already, before any library's handler ran; this covers kernels
// without MADV_WIPEONFORK.) The forking thread asks its scheduling policy
// again: SCHED_RESET_ON_FORK gives the child SCHED_OTHER where the parent
// thread was real-time (os/realtime_policy.h).
void reset_unmap_lock_in_child() {
  bshim::note_scheduling_change();
  bshim::reset_thread_records_in_child();
  bshim::process_unmap_lock().reset_in_child_after_fork();
  bshim::forget_memberships_in_child();
  bshim::reset_diagnostics_in_child_after_fork();  // its own statistics, its own reports
}

// BARRIER_SHIM_STATS: the report runs from exit(), whether main returned or
// the program called exit(); registered before the program's own atexit
// handlers and static destructors, so it runs after them and counts their
// waits too. A process that ends by _exit() or a signal writes none; its
// counts are in its live file (diagnostics/stats_file.h). No signal
// handler is installed for it: one would change what the program sees
// (a runtime that installs its own SIGINT handler only over SIG_DFL, as
// Python does, would not).
void write_stats_report_at_exit() { bshim::stats_write_report(); }
void write_profile_at_exit() { bshim::profile_write_report(); }

// Priority 101: ahead of default-priority constructors of this library.
__attribute__((constructor(101))) void start_barrier_shim() {
  bshim_preload::resolve_real_functions();
  bshim_preload::check_jump_buffer_layout();
  // Reads the cancellation type without libc calls (os/cancel_type.h).
  bshim::prepare_cancel_type_probe(bshim_preload::glibc_cancelhandling_offset());
  bshim::prepare_thread_records();  // fork wipe, and freeing at thread exit
  bshim::prepare_unmap_lock();      // windows of an exiting thread close
  bshim_preload::warn_if_unmap_calls_bypass_the_shim();  // looks, calls nothing
  bshim::report_unknown_settings();  // a misspelt BARRIER_SHIM_* name: one line each
  bshim::configure_wait_policy();  // calibrates spinning, reads BARRIER_SHIM_*
  bshim::configure_arrival_tree();  // BARRIER_SHIM_ARRIVAL_TREE
  bshim::configure_robust_mode();  // BARRIER_SHIM_ROBUST, BARRIER_SHIM_ROBUST_MS
  bshim::configure_diagnostics();  // BARRIER_SHIM_STATS, BARRIER_SHIM_WATCHDOG
  if (bshim::diagnostics_config().watchdog_ns != 0) {
    bshim_preload::load_unwinder();
    // libunwind's one-time set-up now, not in the first report.
    bshim::prepare_backtraces();
  }
  bshim::announce_internal_tables();  // for race detectors: tool_annotations.h
  if (bshim::diagnostics_config().stats) atexit(write_stats_report_at_exit);
  if (bshim::diagnostics_config().profile) atexit(write_profile_at_exit);
  // Registering can fail only for lack of memory, here at load time; the
  // child then keeps the parent's counts, as without the shim's fix.
  pthread_atfork(nullptr, nullptr, reset_unmap_lock_in_child);
}

}  // namespace
