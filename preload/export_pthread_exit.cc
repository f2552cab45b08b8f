// pthread_exit: a thread that exits from a signal handler which interrupted
// it inside an exit window (or a wait) of this library leaves frames that
// will never run again. Before the real pthread_exit unwinds (running the
// program's cleanup handlers, which may block or unmap), every hold and wait
// entry of this thread is given up: all its frames are discarded. The
// records' thread-exit hook would close them too, but only after the
// program's cleanup handlers ran.
#include <pthread.h>

#include <cstdint>

#include "barrier/arrival_tree.h"
#include "real_functions.h"
#include "threads/thread_records.h"
#include "unmap_lock/unmap_lock.h"

extern "C" __attribute__((visibility("default"), noreturn)) void pthread_exit(void* value) {
  // Every frame of every stack of this thread is discarded.
  bshim::finish_interrupted_tree_arrival(bshim::kEveryFrame);
  bshim::process_unmap_lock().abandon_holds_below(bshim::kEveryFrame.target);
  bshim::abandon_waits_below(bshim::kEveryFrame);
  bshim_preload::call_real_pthread_exit(value);
}
