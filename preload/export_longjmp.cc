// longjmp, _longjmp, siglongjmp and __longjmp_chk: a non-local exit out of a
// signal handler that interrupted this thread inside an exit window (or an
// unmap section) of the unmap lock, or inside a wait, skips the holder's
// destructor. Left alone,
// the window would stay open for good and every later munmap of the process
// would wait for it. So before jumping, the wrapper gives up the holds whose
// frames the jump discards, then jumps with the real function.
//
// Which frames the jump discards: those below the stack pointer that the
// jmp_buf restores (stacks grow down on every platform this supports). glibc
// stores that pointer mangled (PTR_MANGLE: xor with the thread's pointer
// guard, rotate left 17 bits on x86-64), so reading it is platform glue, and
// it lives here, checked once at load time against a setjmp of our own; on
// any other platform, or if the check fails, the wrapper only forwards.
//
// This file defines longjmp and __longjmp_chk themselves: with
// _FORTIFY_SOURCE (Debian's and Ubuntu's default build flags), <setjmp.h>
// would rename longjmp to __longjmp_chk and the two definitions would clash.
#undef _FORTIFY_SOURCE
#include <setjmp.h>
#include <signal.h>

#include <cstdint>

#include "barrier/arrival_tree.h"
#include "real_functions.h"
#include "threads/thread_records.h"
#include "unmap_lock/unmap_lock.h"

namespace bshim_preload {
namespace {

// glibc x86-64: __jmpbuf[6] holds the mangled stack pointer (JB_RSP).
constexpr int kJmpBufStackPointer = 6;

uintptr_t demangled_stack_pointer(const struct __jmp_buf_tag* env) {
#if defined(__x86_64__) && defined(__GLIBC__)
  uintptr_t guard;
  // tcbhead_t.pointer_guard, at %fs:0x30 in every glibc x86-64 release.
  asm("mov %%fs:0x30, %0" : "=r"(guard));
  const uintptr_t mangled = static_cast<uintptr_t>(env->__jmpbuf[kJmpBufStackPointer]);
  const uintptr_t rotated = (mangled >> 17) | (mangled << (64 - 17));
  return rotated ^ guard;
#else
  (void)env;
  return 0;
#endif
}

bool g_stack_pointer_readable = false;  // set once by the constructor

}  // namespace

void check_jump_buffer_layout() {
  jmp_buf probe;
  if (setjmp(probe) != 0) return;  // never taken: nobody jumps to it
  const uintptr_t saved = demangled_stack_pointer(probe);
  const uintptr_t frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  // setjmp saved our stack pointer at its call: just below this frame.
  g_stack_pointer_readable = saved != 0 && saved <= frame && frame - saved < 4096;
}

namespace {

void give_up_discarded_holds(const struct __jmp_buf_tag* env) {
  // An arrival caught between filling an arrival tree's leaf and carrying
  // it: carried now if the jump discards its wait (a load otherwise).
  const bool filling = bshim::this_thread_is_filling_a_leaf();
  if (!g_stack_pointer_readable) {
    // Which frames the jump discards is not known: the leaf is carried
    // whatever (a round that completes without its serial thread, rather
    // than one that never completes).
    if (filling) bshim::finish_interrupted_tree_arrival(bshim::kEveryFrame);
    return;
  }
  // The common jump: nothing held, nothing to give up, no system call.
  const bool may_hold = bshim::UnmapLock::this_thread_may_hold_anything();
  if (!filling && !may_hold) return;
  // A handler on a signal stack: addresses there do not compare with the
  // thread's stack, so the core is told where that stack lies.
  // sigaltstack(2) is async-signal-safe.
  uintptr_t altstack_begin = 0;
  uintptr_t altstack_end = 0;
  stack_t current;
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_ONSTACK) != 0) {
    altstack_begin = reinterpret_cast<uintptr_t>(current.ss_sp);
    altstack_end = altstack_begin + current.ss_size;
  }
  const uintptr_t target = demangled_stack_pointer(env);
  const bshim::DiscardedFrames discarded{target, altstack_begin, altstack_end};
  if (filling) bshim::finish_interrupted_tree_arrival(discarded);
  if (!may_hold) return;
  bshim::process_unmap_lock().abandon_holds_below(target, altstack_begin, altstack_end);
  // The waits the jump leaves no longer block anyone's init or destroy.
  bshim::abandon_waits_below(discarded);
}

}  // namespace
}  // namespace bshim_preload

extern "C" {

__attribute__((visibility("default"), noreturn)) void longjmp(struct __jmp_buf_tag env[1],
                                                               int value) noexcept {
  bshim_preload::give_up_discarded_holds(env);
  bshim_preload::call_real_jump(bshim_preload::JumpKind::kLongjmp, env, value);
}

__attribute__((visibility("default"), noreturn)) void _longjmp(struct __jmp_buf_tag env[1],
                                                                int value) noexcept {
  bshim_preload::give_up_discarded_holds(env);
  bshim_preload::call_real_jump(bshim_preload::JumpKind::kUnderscoreLongjmp, env, value);
}

__attribute__((visibility("default"), noreturn)) void siglongjmp(struct __jmp_buf_tag env[1],
                                                                  int value) noexcept {
  bshim_preload::give_up_discarded_holds(env);
  bshim_preload::call_real_jump(bshim_preload::JumpKind::kSiglongjmp, env, value);
}

// What longjmp and siglongjmp become under _FORTIFY_SOURCE.
__attribute__((visibility("default"), noreturn)) void __longjmp_chk(struct __jmp_buf_tag env[1],
                                                                     int value) noexcept {
  bshim_preload::give_up_discarded_holds(env);
  bshim_preload::call_real_jump(bshim_preload::JumpKind::kLongjmpChk, env, value);
}

}  // extern "C"
