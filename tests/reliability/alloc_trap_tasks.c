/* alloc_trap: calls that create a thread, a process, a timer or load code,
 * checked (alloc_trap_core.c): each allocates and can fail with EAGAIN or
 * ENOMEM.  (vfork is left alone: a wrapper's own stack frame would break
 * it.) */
#include "alloc_trap_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>

TRAP_SLOT(pthread_create);
TRAP_SLOT(fork);
TRAP_SLOT(posix_spawn);
TRAP_SLOT(posix_spawnp);
TRAP_SLOT(timer_create);
TRAP_SLOT(dlopen);

TRAP_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attributes,
                               void *(*start)(void *), void *argument)
{
    trap_check("pthread_create");
    return TRAP_NEXT(pthread_create)(thread, attributes, start, argument);
}

TRAP_EXPORT pid_t fork(void)
{
    trap_check("fork");
    return TRAP_NEXT(fork)();
}

TRAP_EXPORT int posix_spawn(pid_t *pid, const char *path,
                            const posix_spawn_file_actions_t *actions,
                            const posix_spawnattr_t *attributes, char *const argv[],
                            char *const envp[])
{
    trap_check("posix_spawn");
    return TRAP_NEXT(posix_spawn)(pid, path, actions, attributes, argv, envp);
}

TRAP_EXPORT int posix_spawnp(pid_t *pid, const char *file,
                             const posix_spawn_file_actions_t *actions,
                             const posix_spawnattr_t *attributes, char *const argv[],
                             char *const envp[])
{
    trap_check("posix_spawnp");
    return TRAP_NEXT(posix_spawnp)(pid, file, actions, attributes, argv, envp);
}

TRAP_EXPORT int timer_create(clockid_t clock, struct sigevent *event, timer_t *timer)
{
    trap_check("timer_create");
    return TRAP_NEXT(timer_create)(clock, event, timer);
}

TRAP_EXPORT void *dlopen(const char *file, int mode)
{
    trap_check("dlopen");
    return TRAP_NEXT(dlopen)(file, mode);
}
