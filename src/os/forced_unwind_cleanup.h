// A routine that runs if this frame is left by forced unwinding: a
// cancellation acted on, or pthread_exit called, in a signal handler that
// interrupted the frame. The library is built without exceptions, so no
// destructor of ours runs then; the program's own cleanup handlers run, and
// may block or unmap, while whatever this frame held stays held.
//
// glibc's unwinder (nptl/unwind.c, unwind_stop) runs, frame by frame as it
// leaves them, every handler registered with _pthread_cleanup_push (the
// compatibility interface behind LinuxThreads-era macros, still exported by
// libc.so.6 at GLIBC_2.34) whose buffer lies in a frame being left: no setjmp,
// a few stores to the thread descriptor, no system call. Checked here: the
// routine runs before the program's outer cleanup handlers, also when the
// thread was interrupted in a loop without call sites, in C and in C++
// without exceptions (tests/windows/leaving_window_without_return_*).
#pragma once

#include <pthread.h>

extern "C" {
void _pthread_cleanup_push(struct _pthread_cleanup_buffer* buffer, void (*routine)(void*),
                           void* arg);
void _pthread_cleanup_pop(struct _pthread_cleanup_buffer* buffer, int execute);
}

namespace bshim {

class RunOnForcedUnwind {
 public:
  RunOnForcedUnwind(void (*routine)(void*), void* arg) {
    _pthread_cleanup_push(&buffer_, routine, arg);
  }
  ~RunOnForcedUnwind() { _pthread_cleanup_pop(&buffer_, 0); }  // a normal exit: no run
  RunOnForcedUnwind(const RunOnForcedUnwind&) = delete;
  RunOnForcedUnwind& operator=(const RunOnForcedUnwind&) = delete;

 private:
  struct _pthread_cleanup_buffer buffer_;
};

}  // namespace bshim
