// The barrier-shim core: a POSIX barrier that is process-shared, destroy- and
// unmap-safe, and cannot fail once initialised. Same contracts as the POSIX
// functions of the same names; the preload layer exports them under those names.
//
// Contract of wait: it returns PTHREAD_BARRIER_SERIAL_THREAD in exactly one
// participant of each round and 0 in the others, only after all `count`
// participants have arrived. The instant it returns in any thread, that thread
// may destroy the barrier and release its memory (free, munmap, mmap over it,
// mremap, shmdt, overwrite, init again), while the round's other waiters are
// still leaving. It never returns EINTR (a signal handler runs and the wait
// resumes), never allocates, and fails only with EINVAL for memory that is not
// a live barrier, and, for robust barriers (robust_membership.h), with
// EOWNERDEAD once a participant process has died: at most the configured
// bound after the death for waiters already blocked, at once for later ones,
// until the barrier is initialised again.
//
// Contract of destroy: EBUSY while a thread of a live process is blocked in
// an incomplete round (that round still completes normally); otherwise 0,
// also right after one's own wait returned while peers are still leaving, on
// a broken robust barrier, and when the only arrivals left are of threads
// that no longer wait (cancelled, jumped out by longjmp, not in this fork
// child, killed with their process: blocked_waiters.h). Destroy removes a
// robust barrier's semaphore set.
//
// Contract of init: EINVAL for a bad count or attribute (an all-zero
// attribute is the private default, as in glibc); EBUSY over a live barrier
// of which a thread of a live process is blocked in an incomplete round
// (unless it is broken); any other bytes, including freed, copied or stale
// barriers, are initialised. For a robust barrier, the errors of semget(2)
// (EAGAIN when the system is out of semaphore sets, ENOMEM). Every init
// gives the barrier a new generation (generation.h): waiters still leaving
// an earlier barrier at this address know their round is over.
#pragma once

#include <pthread.h>

namespace bshim {

// `call_site`: where the program called it (the statistics and the watchdog
// name the barrier by it, when on); optional.
int barrier_init(pthread_barrier_t* barrier, const pthread_barrierattr_t* attr,
                 unsigned count, const void* call_site = nullptr);
// `call_site`: where the program called it (the profile names it); optional.
int barrier_wait(pthread_barrier_t* barrier, const void* call_site = nullptr);
int barrier_destroy(pthread_barrier_t* barrier);

int barrierattr_init(pthread_barrierattr_t* attr);
int barrierattr_destroy(pthread_barrierattr_t* attr);
int barrierattr_getpshared(const pthread_barrierattr_t* attr, int* pshared);
int barrierattr_setpshared(pthread_barrierattr_t* attr, int pshared);

}  // namespace bshim
