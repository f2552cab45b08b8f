// The exported pthread_barrier_* and pthread_barrierattr_*: each forwards to
// the core. The anonymous version script (exports.map) makes these unversioned
// definitions match references to both glibc versions, GLIBC_2.34 and the
// compat GLIBC_2.2.5 / GLIBC_2.3.3 (check_match() in glibc's elf/dl-lookup.c;
// tests/behaviour/check_symbol_versions.sh checks both bindings).
#include <pthread.h>

#include "barrier/barrier.h"

#define BSHIM_EXPORT extern "C" __attribute__((visibility("default")))

BSHIM_EXPORT int pthread_barrier_init(pthread_barrier_t* __restrict barrier,
                                      const pthread_barrierattr_t* __restrict attr,
                                      unsigned int count) noexcept {
  return bshim::barrier_init(barrier, attr, count, __builtin_return_address(0));
}

BSHIM_EXPORT int pthread_barrier_wait(pthread_barrier_t* barrier) noexcept {
  return bshim::barrier_wait(barrier, __builtin_return_address(0));
}

BSHIM_EXPORT int pthread_barrier_destroy(pthread_barrier_t* barrier) noexcept {
  return bshim::barrier_destroy(barrier);
}

BSHIM_EXPORT int pthread_barrierattr_init(pthread_barrierattr_t* attr) noexcept {
  return bshim::barrierattr_init(attr);
}

BSHIM_EXPORT int pthread_barrierattr_destroy(pthread_barrierattr_t* attr) noexcept {
  return bshim::barrierattr_destroy(attr);
}

BSHIM_EXPORT int pthread_barrierattr_getpshared(
    const pthread_barrierattr_t* __restrict attr, int* __restrict pshared) noexcept {
  return bshim::barrierattr_getpshared(attr, pshared);
}

BSHIM_EXPORT int pthread_barrierattr_setpshared(pthread_barrierattr_t* attr,
                                                int pshared) noexcept {
  return bshim::barrierattr_setpshared(attr, pshared);
}
