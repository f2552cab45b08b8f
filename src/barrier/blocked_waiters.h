// Whether a barrier has a participant that is really blocked: what init and
// destroy answer EBUSY for, and nothing else.
//
// Not the arrival count in the state word alone: free() writes its list
// pointer over those bytes, and an arrival stays counted after its thread was
// cancelled and joined, jumped out of its handler, was forked away from or
// killed with its process. Instead:
//  - threads of this process: their records (threads/thread_records.h) say
//    exactly which barrier, generation and round each is inside; a round is
//    incomplete while the barrier's wake slot has not passed it (private
//    path) or the state word still shows it (object path);
//  - threads of other processes (process-shared barriers in shared memory):
//    the kernel's count of sleepers on the barrier's futex word, which drops
//    a sleeper whose process died. Arrivals of other processes that the
//    kernel does not count (stopped, preempted before their sleep, or dead)
//    are taken for dead ones only when no other process maps the barrier's
//    page, or, for a robust barrier, no other participant process is alive.
#pragma once

#include <pthread.h>

#include <cstdint>

#include "barrier/barrier_object_access.h"

namespace bshim {

// True if a thread of a live process is inside a wait on `barrier` (whose
// constant fields are `constants`, state word `state`) in a round that has
// not completed. Reads /proc (every process's maps) only when the state word
// counts arrivals that neither this process's records nor the kernel's
// sleepers account for.
bool has_blocked_waiters(const pthread_barrier_t* barrier, const BarrierConstants& constants,
                         uint64_t state);

}  // namespace bshim
