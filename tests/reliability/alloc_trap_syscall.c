/* alloc_trap: syscall(2), checked (alloc_trap_core.c) for the system calls
 * that allocate a descriptor, a mapping, a task or a kernel object.  The
 * shim makes its futex and process_vm_readv calls through syscall(), so a
 * resource-taking call hidden there would otherwise go unseen. */
#include "alloc_trap_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

TRAP_SLOT(syscall);

struct named_syscall {
    long number;
    const char *name;
};

#define NAMED(call) {SYS_##call, "syscall(SYS_" #call ")"}

/* SYS_mmap is handled apart: with MAP_FIXED it is a wrapped unmap. */
static const struct named_syscall resource_syscalls[] = {
    NAMED(brk),           NAMED(open),          NAMED(openat),
    NAMED(creat),         NAMED(socket),        NAMED(socketpair),
    NAMED(accept),        NAMED(accept4),       NAMED(pipe),
    NAMED(pipe2),         NAMED(dup),           NAMED(dup2),
    NAMED(dup3),          NAMED(eventfd),       NAMED(eventfd2),
    NAMED(signalfd),      NAMED(signalfd4),     NAMED(timerfd_create),
    NAMED(epoll_create),  NAMED(epoll_create1), NAMED(inotify_init),
    NAMED(inotify_init1), NAMED(memfd_create),  NAMED(clone),
    NAMED(fork),          NAMED(vfork),         NAMED(timer_create),
    NAMED(mq_open),       NAMED(shmget),        NAMED(shmat),
    NAMED(semget),        NAMED(msgget),        NAMED(userfaultfd),
    NAMED(perf_event_open), NAMED(io_setup),
#ifdef SYS_clone3
    NAMED(clone3),
#endif
#ifdef SYS_openat2
    NAMED(openat2),
#endif
#ifdef SYS_pidfd_open
    NAMED(pidfd_open),
#endif
};

static const char *resource_taken_by(long number, long flags_if_mmap)
{
    if (number == SYS_mmap)
        return (flags_if_mmap & MAP_FIXED) ? NULL : "syscall(SYS_mmap) without MAP_FIXED";
    for (size_t i = 0; i < sizeof resource_syscalls / sizeof resource_syscalls[0]; i++)
        if (resource_syscalls[i].number == number)
            return resource_syscalls[i].name;
    return NULL;
}

/* Every Linux system call takes at most six register-sized arguments;
 * passing six along is what syscall(2) itself does. */
TRAP_EXPORT long syscall(long number, ...)
{
    long argument[6];
    va_list args;
    va_start(args, number);
    for (int i = 0; i < 6; i++)
        argument[i] = va_arg(args, long);
    va_end(args);
    const char *what = resource_taken_by(number, argument[3]);
    if (what != NULL)
        trap_check(what);
    return TRAP_NEXT(syscall)(number, argument[0], argument[1], argument[2], argument[3],
                              argument[4], argument[5]);
}
