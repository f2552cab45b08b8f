/* A seccomp filter for the behaviour tests that count system calls: the
 * calling thread, and the threads it creates afterwards, get SIGSYS instead
 * of making system call `nr` (the call is skipped; a SIGSYS handler counts
 * it). Every other call is allowed. x86-64 only: other architectures' calls
 * pass. Returns 0, or -1 with errno set. */
#ifndef TRAP_SYSTEM_CALL_H
#define TRAP_SYSTEM_CALL_H

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int trap_system_call(unsigned nr)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
}

/* Installs `counter` as the SIGSYS handler, then traps system call `nr`:
 * each attempt of the call runs `counter` instead. 0, or -1 with errno. */
static inline int count_system_call(unsigned nr, void (*counter)(int))
{
    struct sigaction on_sigsys = {0};
    on_sigsys.sa_handler = counter;
    sigemptyset(&on_sigsys.sa_mask);
    if (sigaction(SIGSYS, &on_sigsys, NULL) != 0) return -1;
    return trap_system_call(nr);
}

#endif
