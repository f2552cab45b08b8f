// One polite iteration of a spin loop: tells the core that this thread is
// waiting, so a sibling hyper-thread gets the pipeline.
#pragma once

namespace bshim {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  __asm__ __volatile__("" ::: "memory");
#endif
}

}  // namespace bshim
