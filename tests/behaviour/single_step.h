/* Single-stepping a stretch of code: with the x86 trap flag set, the CPU
 * raises SIGTRAP after every instruction, so a SIGTRAP handler can act (jump,
 * cancel) at instruction n of a wait, for every n in turn. Elsewhere the
 * flag is not set and nothing is stepped. */
#ifndef SINGLE_STEP_H
#define SINGLE_STEP_H
#include <stdbool.h>

static inline void trap_flag(bool on)
{
#if defined(__x86_64__)
    if (on)
        __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
    else
        __asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
#else
    (void)on;
#endif
}

#endif
