// The real munmap, mmap, mremap, shmdt, the longjmp family, pthread_exit and
// the scheduling calls,
// behind the wrappers.
//
// resolve_real_functions() looks them up once, from the library constructor,
// with dlvsym/dlsym(RTLD_NEXT). A call that arrives before that (from the
// loader, or another library's constructor that runs first) or if a lookup
// failed goes to the raw system call: never to dlsym, which takes the loader
// lock and may allocate. (The longjmp family has no system call: a jump
// before the constructor resolved it looks it up then, once.)
#pragma once

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/types.h>

#include <cstddef>

namespace bshim_preload {

void resolve_real_functions();

void* call_real_mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset);
void* call_real_mmap64(void* addr, size_t length, int prot, int flags, int fd, off_t offset);
int call_real_munmap(void* addr, size_t length);
void* call_real_mremap(void* old_address, size_t old_size, size_t new_size, int flags,
                       void* new_address);
int call_real_shmdt(const void* shmaddr);

enum class JumpKind { kLongjmp, kUnderscoreLongjmp, kSiglongjmp, kLongjmpChk };
[[noreturn]] void call_real_jump(JumpKind kind, struct __jmp_buf_tag* env, int value);

[[noreturn]] void call_real_pthread_exit(void* value);

// The scheduling calls (export_scheduling.cc). Before the constructor
// resolved them, the sched_* ones make the system call; the pthread_* ones
// look libc's up then, once.
int call_real_pthread_setschedparam(pthread_t thread, int policy, const sched_param* param);
int call_real_pthread_setschedprio(pthread_t thread, int priority);
int call_real_sched_setscheduler(pid_t pid, int policy, const sched_param* param);
int call_real_sched_setparam(pid_t pid, const sched_param* param);

// Load time: can the wrappers read the stack pointer a jmp_buf restores?
void check_jump_buffer_layout();

// Load time: the byte offset of `cancelhandling` in glibc's struct pthread,
// from the descriptor libc exports for libthread_db
// (_thread_db_pthread_cancelhandling, GLIBC_PRIVATE: bits, count, offset);
// 0 when libc has none of the expected shape (src/os/cancel_type.h).
size_t glibc_cancelhandling_offset();

}  // namespace bshim_preload
