// Whether the calling thread's cancellation type is asynchronous, read from
// glibc's own thread descriptor instead of asked for with two libc calls.
//
// glibc keeps the type in its `struct pthread`, in the word `cancelhandling`
// (bit 1 set: asynchronous; bit 0 set: cancellation disabled). libthread_db
// finds that word through a descriptor libc exports for debuggers,
// `_thread_db_pthread_cancelhandling` (GLIBC_PRIVATE: 32 bits, 1 element,
// byte offset 776 in glibc 2.36). The preload layer looks the descriptor up;
// prepare_cancel_type_probe() trusts its offset only after it has watched
// the word follow pthread_setcanceltype and pthread_setcancelstate in the
// calling thread. Without a descriptor, or when the check fails, the probe
// answers "maybe asynchronous" and callers ask libc, as before.
//
// Unlike a mirror kept by wrapping pthread_setcanceltype, the word also
// shows what glibc sets by itself: glibc 2.36's cancellation points (read,
// write, ...) switch a multithreaded program's thread to asynchronous for
// the duration of their system call (__pthread_enable_asynccancel), and a
// signal handler that interrupts one runs with that type.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bshim {

namespace cancel_type_detail {
// Written once by prepare_cancel_type_probe() in the library constructor,
// before any thread can wait; read plainly afterwards. 0: no probe.
inline constinit size_t g_cancelhandling_offset = 0;
inline constexpr int kAsynchronousTypeBit = 0x2;

// The calling thread's word at `offset` in its descriptor: glibc's thread
// pointer on x86-64 is the address of its struct pthread (checked in
// prepare). relaxed: only this thread changes its type and state bits;
// other threads' pthread_cancel sets other bits of the word (an atomic RMW),
// which nobody here reads.
inline int cancelhandling_at(size_t offset) {
  const auto* word = reinterpret_cast<const std::atomic<int>*>(
      static_cast<const char*>(__builtin_thread_pointer()) + offset);
  return word->load(std::memory_order_relaxed);
}
}  // namespace cancel_type_detail

// Checks `offset` (from glibc's descriptor; 0 when there is none) against
// the calling thread's descriptor and enables the probe if it holds.
// Returns whether it did. Load time only: it changes, and restores, the
// calling thread's cancellation state and type.
bool prepare_cancel_type_probe(size_t offset);

// False only when the calling thread's cancellation type is known to be
// deferred; true when it is asynchronous or the probe is off. One load.
inline bool maybe_asynchronously_cancellable() {
  const size_t offset = cancel_type_detail::g_cancelhandling_offset;
  if (offset == 0) return true;
  return (cancel_type_detail::cancelhandling_at(offset) &
          cancel_type_detail::kAsynchronousTypeBit) != 0;
}

// Switches this thread to deferred cancellation for its lifetime and back
// to what it was: for the stretches of a wait that must not be cut off at
// an arbitrary instruction (an exit window, an arrival tree's fill and
// carry). Two calls into libc (about 1.4 ns) only when the type may be
// asynchronous; otherwise the one load above.
class AsyncCancellationDeferred {
 public:
  AsyncCancellationDeferred() {
    if (maybe_asynchronously_cancellable()) {
      pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &previous_);
    }
  }
  ~AsyncCancellationDeferred() {
    if (previous_ != PTHREAD_CANCEL_DEFERRED) pthread_setcanceltype(previous_, nullptr);
  }
  // Keeps cancellation deferred past this object's end: returns the type to
  // put back later (PTHREAD_CANCEL_DEFERRED: nothing to put back).
  int hand_over() {
    const int previous = previous_;
    previous_ = PTHREAD_CANCEL_DEFERRED;
    return previous;
  }
  AsyncCancellationDeferred(const AsyncCancellationDeferred&) = delete;
  AsyncCancellationDeferred& operator=(const AsyncCancellationDeferred&) = delete;

 private:
  int previous_ = PTHREAD_CANCEL_DEFERRED;
};

}  // namespace bshim
