// Checking glibc's cancelhandling offset before trusting it (cancel_type.h).
#include "os/cancel_type.h"

#include <pthread.h>

namespace bshim {
namespace {

constexpr int kCancellationDisabledBit = 0x1;
// The struct pthread of glibc 2.36 is 2304 bytes; an offset past this is no
// offset into it that we understand.
constexpr size_t kLargestPlausibleOffset = 4096;

// Whether the word at `offset` shows `async` in its type bit and `disabled`
// in its state bit.
bool word_shows(size_t offset, bool async, bool disabled) {
  const int word = cancel_type_detail::cancelhandling_at(offset);
  return ((word & cancel_type_detail::kAsynchronousTypeBit) != 0) == async &&
         ((word & kCancellationDisabledBit) != 0) == disabled;
}

}  // namespace

bool prepare_cancel_type_probe(size_t offset) {
  cancel_type_detail::g_cancelhandling_offset = 0;
  if (offset == 0 || offset % alignof(int) != 0 || offset > kLargestPlausibleOffset) return false;
  // The thread pointer must be the descriptor pthread_self() names.
  if (__builtin_thread_pointer() != reinterpret_cast<void*>(pthread_self())) return false;
  // Cancellation disabled whenever the type is asynchronous: switching to
  // asynchronous with a request pending and cancellation enabled would act
  // on it here.
  int old_state = 0;
  int old_type = 0;
  if (pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old_state) != 0) return false;
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old_type);
  bool holds = word_shows(offset, false, true);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, nullptr);
  holds = holds && word_shows(offset, true, true);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, nullptr);
  holds = holds && word_shows(offset, false, true);
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, nullptr);  // deferred: nothing acts
  holds = holds && word_shows(offset, false, false);
  // Back as the caller had them: the type while disabled, then the state.
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, nullptr);
  pthread_setcanceltype(old_type, nullptr);
  pthread_setcancelstate(old_state, nullptr);
  if (holds) cancel_type_detail::g_cancelhandling_offset = offset;
  return holds;
}

}  // namespace bshim
