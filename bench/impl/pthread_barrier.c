/* The POSIX barrier, through the plain pthread_barrier_* API. One program:
 * run as it is it measures glibc, under LD_PRELOAD the shim; built with
 * musl-gcc it measures musl. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "barrier_impl.h"

static int pthread_init(void *storage, unsigned count, bool process_shared) {
  pthread_barrierattr_t attributes;
  int error = pthread_barrierattr_init(&attributes);
  if (error != 0) return error;
  error = pthread_barrierattr_setpshared(
      &attributes, process_shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE);
  if (error == 0) error = pthread_barrier_init(storage, &attributes, count);
  pthread_barrierattr_destroy(&attributes);
  return error;
}

static int pthread_wait(void *storage, unsigned index) {
  (void)index;
  int result = pthread_barrier_wait(storage);
  if (result == PTHREAD_BARRIER_SERIAL_THREAD) return 1;
  return result == 0 ? 0 : -result;
}

static void pthread_destroy(void *storage) { pthread_barrier_destroy(storage); }

/* The file that defines the pthread_barrier_wait this program is bound to:
 * libc.so.6 alone, the shim's .so when preloaded; "static" without a
 * dynamic loader. */
static const char *pthread_describe(void) {
  Dl_info info;
  void *address = __extension__(void *) & pthread_barrier_wait;
  if (dladdr(address, &info) != 0 && info.dli_fname != NULL && info.dli_fname[0] != '\0') {
    return info.dli_fname;
  }
  return "static";
}

const struct barrier_impl bench_barrier_impl = {
    .name = "pthread",
    .storage_size = sizeof(pthread_barrier_t),
    .reports_serial = true,
    .supports_processes = true,
    .init = pthread_init,
    .wait = pthread_wait,
    .destroy = pthread_destroy,
    .run_team = NULL,
    .describe = pthread_describe,
};
