#include "real_functions.h"

#include <dlfcn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace bshim_preload {
namespace {

using MmapFn = void* (*)(void*, size_t, int, int, int, off_t);
using MunmapFn = int (*)(void*, size_t);
using MremapFn = void* (*)(void*, size_t, size_t, int, ...);
using ShmdtFn = int (*)(const void*);
using JumpFn = void (*)(struct __jmp_buf_tag*, int);

// Null until the constructor resolved them. relaxed everywhere: a function
// pointer is self-contained (the code it points to is already mapped), and a
// reader that still sees null simply makes the system call itself.
constinit std::atomic<MmapFn> g_mmap{nullptr};
constinit std::atomic<MmapFn> g_mmap64{nullptr};
constinit std::atomic<MunmapFn> g_munmap{nullptr};
constinit std::atomic<MremapFn> g_mremap{nullptr};
constinit std::atomic<ShmdtFn> g_shmdt{nullptr};
constinit std::atomic<JumpFn> g_jumps[4] = {};
using ThreadExitFn = void (*)(void*);
constinit std::atomic<ThreadExitFn> g_pthread_exit{nullptr};
using SetSchedParamFn = int (*)(pthread_t, int, const sched_param*);
using SetSchedPrioFn = int (*)(pthread_t, int);
using SchedSetSchedulerFn = int (*)(pid_t, int, const sched_param*);
using SchedSetParamFn = int (*)(pid_t, const sched_param*);
constinit std::atomic<SetSchedParamFn> g_pthread_setschedparam{nullptr};
constinit std::atomic<SetSchedPrioFn> g_pthread_setschedprio{nullptr};
constinit std::atomic<SchedSetSchedulerFn> g_sched_setscheduler{nullptr};
constinit std::atomic<SchedSetParamFn> g_sched_setparam{nullptr};

struct JumpSymbol {
  const char* name;
  const char* version;  // glibc x86-64; plain dlsym elsewhere
};
constexpr JumpSymbol kJumpSymbols[4] = {
    {"longjmp", "GLIBC_2.2.5"},
    {"_longjmp", "GLIBC_2.2.5"},
    {"siglongjmp", "GLIBC_2.2.5"},
    {"__longjmp_chk", "GLIBC_2.11"},
};

// glibc 2.36 exports all five at version GLIBC_2.2.5 only (nm -D --dyn-syms);
// asking for the version avoids BZ 14932's wrong-version pick. Plain dlsym
// serves other libcs and architectures.
void* lookup_next(const char* name, const char* version = "GLIBC_2.2.5") {
  void* symbol = dlvsym(RTLD_NEXT, name, version);
  return symbol != nullptr ? symbol : dlsym(RTLD_NEXT, name);
}

void resolve_jump(int index) {
  void* symbol = lookup_next(kJumpSymbols[index].name, kJumpSymbols[index].version);
  if (symbol != nullptr && symbol != dlsym(RTLD_DEFAULT, kJumpSymbols[index].name)) {
    g_jumps[index].store(reinterpret_cast<JumpFn>(symbol), std::memory_order_relaxed);
  }
}

// The next definition whatever its version comes first: a sanitizer runtime
// (libtsan, libasan) defines unversioned mmap and munmap interceptors that keep
// its shadow memory in step with the mappings before calling libc, and a lookup
// by version skips them (tests/tools, tsan/mapping-reused-by-another-thread).
// Without one, this is libc's only version of each of the five.
void* lookup_next_interposable(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  return symbol != nullptr ? symbol : lookup_next(name);
}

// pthread_exit: GLIBC_2.34 in libc.so.6 since glibc 2.34 (libpthread before).
void resolve_thread_exit() {
  void* symbol = dlvsym(RTLD_NEXT, "pthread_exit", "GLIBC_2.34");
  if (symbol == nullptr) symbol = lookup_next("pthread_exit");
  if (symbol != nullptr && symbol != dlsym(RTLD_DEFAULT, "pthread_exit")) {
    g_pthread_exit.store(reinterpret_cast<ThreadExitFn>(symbol), std::memory_order_relaxed);
  }
}

template <typename Fn>
void resolve(std::atomic<Fn>& slot, const char* name, void* own_wrapper) {
  void* symbol = lookup_next_interposable(name);
  // A lookup that finds our own wrapper would recurse for ever: keep the
  // system call instead.
  if (symbol == nullptr || symbol == own_wrapper) return;
  slot.store(reinterpret_cast<Fn>(symbol), std::memory_order_relaxed);
}

}  // namespace

void resolve_real_functions() {
  resolve(g_mmap, "mmap", dlsym(RTLD_DEFAULT, "mmap"));
  resolve(g_mmap64, "mmap64", dlsym(RTLD_DEFAULT, "mmap64"));
  resolve(g_munmap, "munmap", dlsym(RTLD_DEFAULT, "munmap"));
  resolve(g_mremap, "mremap", dlsym(RTLD_DEFAULT, "mremap"));
  resolve(g_shmdt, "shmdt", dlsym(RTLD_DEFAULT, "shmdt"));
  for (int index = 0; index < 4; ++index) resolve_jump(index);
  resolve_thread_exit();
  resolve(g_pthread_setschedparam, "pthread_setschedparam",
          dlsym(RTLD_DEFAULT, "pthread_setschedparam"));
  resolve(g_pthread_setschedprio, "pthread_setschedprio",
          dlsym(RTLD_DEFAULT, "pthread_setschedprio"));
  resolve(g_sched_setscheduler, "sched_setscheduler", dlsym(RTLD_DEFAULT, "sched_setscheduler"));
  resolve(g_sched_setparam, "sched_setparam", dlsym(RTLD_DEFAULT, "sched_setparam"));
}

namespace {
// A pthread_* scheduling call before the constructor ran: look it up now.
template <typename Fn>
Fn resolved_now(std::atomic<Fn>& slot, const char* name) {
  Fn real = slot.load(std::memory_order_relaxed);
  if (real == nullptr) {
    resolve(slot, name, dlsym(RTLD_DEFAULT, name));
    real = slot.load(std::memory_order_relaxed);
  }
  return real;
}
}  // namespace

int call_real_pthread_setschedparam(pthread_t thread, int policy, const sched_param* param) {
  SetSchedParamFn real = resolved_now(g_pthread_setschedparam, "pthread_setschedparam");
  return real != nullptr ? real(thread, policy, param) : ENOSYS;
}

int call_real_pthread_setschedprio(pthread_t thread, int priority) {
  SetSchedPrioFn real = resolved_now(g_pthread_setschedprio, "pthread_setschedprio");
  return real != nullptr ? real(thread, priority) : ENOSYS;
}

int call_real_sched_setscheduler(pid_t pid, int policy, const sched_param* param) {
  if (SchedSetSchedulerFn real = g_sched_setscheduler.load(std::memory_order_relaxed)) {
    return real(pid, policy, param);
  }
  return static_cast<int>(syscall(SYS_sched_setscheduler, pid, policy, param));
}

int call_real_sched_setparam(pid_t pid, const sched_param* param) {
  if (SchedSetParamFn real = g_sched_setparam.load(std::memory_order_relaxed)) {
    return real(pid, param);
  }
  return static_cast<int>(syscall(SYS_sched_setparam, pid, param));
}

size_t glibc_cancelhandling_offset() {
  // Three 32-bit words: the field's size in bits, its element count, its
  // byte offset (glibc's nptl_db/structs.def, DB_STRUCT_FIELD).
  const auto* descriptor = static_cast<const uint32_t*>(
      dlvsym(RTLD_DEFAULT, "_thread_db_pthread_cancelhandling", "GLIBC_PRIVATE"));
  if (descriptor == nullptr || descriptor[0] != 32 || descriptor[1] != 1) return 0;
  return descriptor[2];
}

void call_real_pthread_exit(void* value) {
  ThreadExitFn real = g_pthread_exit.load(std::memory_order_relaxed);
  if (real == nullptr) {
    resolve_thread_exit();
    real = g_pthread_exit.load(std::memory_order_relaxed);
  }
  if (real == nullptr) __builtin_trap();  // no libc pthread_exit: cannot happen
  real(value);
  __builtin_unreachable();
}

void call_real_jump(JumpKind kind, struct __jmp_buf_tag* env, int value) {
  const int index = static_cast<int>(kind);
  JumpFn real = g_jumps[index].load(std::memory_order_relaxed);
  if (real == nullptr) {
    resolve_jump(index);
    real = g_jumps[index].load(std::memory_order_relaxed);
  }
  // No real function at all cannot happen with a libc that has setjmp; if it
  // did, continuing would run code the jump meant to skip.
  if (real == nullptr) __builtin_trap();
  real(env, value);
  __builtin_unreachable();
}

void* call_real_mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  if (MmapFn real = g_mmap.load(std::memory_order_relaxed)) {
    return real(addr, length, prot, flags, fd, offset);
  }
  return reinterpret_cast<void*>(syscall(SYS_mmap, addr, length, prot, flags, fd, offset));
}

void* call_real_mmap64(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  if (MmapFn real = g_mmap64.load(std::memory_order_relaxed)) {
    return real(addr, length, prot, flags, fd, offset);
  }
  return reinterpret_cast<void*>(syscall(SYS_mmap, addr, length, prot, flags, fd, offset));
}

int call_real_munmap(void* addr, size_t length) {
  if (MunmapFn real = g_munmap.load(std::memory_order_relaxed)) return real(addr, length);
  return static_cast<int>(syscall(SYS_munmap, addr, length));
}

void* call_real_mremap(void* old_address, size_t old_size, size_t new_size, int flags,
                       void* new_address) {
  if (MremapFn real = g_mremap.load(std::memory_order_relaxed)) {
    return real(old_address, old_size, new_size, flags, new_address);
  }
  return reinterpret_cast<void*>(
      syscall(SYS_mremap, old_address, old_size, new_size, flags, new_address));
}

int call_real_shmdt(const void* shmaddr) {
  if (ShmdtFn real = g_shmdt.load(std::memory_order_relaxed)) return real(shmaddr);
  return static_cast<int>(syscall(SYS_shmdt, shmaddr));
}

}  // namespace bshim_preload
