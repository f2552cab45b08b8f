/* alloc_trap: the trapped regions.  Each wrapper marks the calling thread as
 * inside its region for the duration of the next definition (the shim's), so
 * that whatever that definition calls is checked (alloc_trap_core.c). */
#include "alloc_trap_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/types.h>

TRAP_SLOT(pthread_barrier_wait);
TRAP_SLOT(pthread_barrier_destroy);
TRAP_SLOT(munmap);
TRAP_SLOT(mmap);
TRAP_SLOT(mmap64);
TRAP_SLOT(mremap);
TRAP_SLOT(shmdt);

/* Calls `call` (an expression of the next definition) inside `region`. */
#define INSIDE(region, call) \
    __extension__ ({                \
        trap_enter(region);         \
        __typeof__(call) result_ = call; \
        trap_leave();               \
        result_;                    \
    })

TRAP_EXPORT int pthread_barrier_wait(pthread_barrier_t *barrier)
{
    __typeof__(&pthread_barrier_wait) next = TRAP_NEXT(pthread_barrier_wait);
    return INSIDE(TRAP_REGION_WAIT, next(barrier));
}

TRAP_EXPORT int pthread_barrier_destroy(pthread_barrier_t *barrier)
{
    __typeof__(&pthread_barrier_destroy) next = TRAP_NEXT(pthread_barrier_destroy);
    return INSIDE(TRAP_REGION_DESTROY, next(barrier));
}

TRAP_EXPORT int munmap(void *address, size_t length)
{
    __typeof__(&munmap) next = TRAP_NEXT(munmap);
    return INSIDE(TRAP_REGION_MUNMAP, next(address, length));
}

/* mmap without MAP_FIXED (or with MAP_FIXED_NOREPLACE) maps new memory: that
 * is no region but a resource, checked like malloc. */
TRAP_EXPORT void *mmap(void *address, size_t length, int prot, int flags, int fd, off_t offset)
{
    __typeof__(&mmap) next = TRAP_NEXT(mmap);
    if ((flags & MAP_FIXED) == 0) {
        trap_check("mmap without MAP_FIXED");
        return next(address, length, prot, flags, fd, offset);
    }
    return INSIDE(TRAP_REGION_MMAP_FIXED, next(address, length, prot, flags, fd, offset));
}

TRAP_EXPORT void *mmap64(void *address, size_t length, int prot, int flags, int fd,
                         off64_t offset)
{
    __typeof__(&mmap64) next = TRAP_NEXT(mmap64);
    if ((flags & MAP_FIXED) == 0) {
        trap_check("mmap64 without MAP_FIXED");
        return next(address, length, prot, flags, fd, offset);
    }
    return INSIDE(TRAP_REGION_MMAP_FIXED, next(address, length, prot, flags, fd, offset));
}

TRAP_EXPORT void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...)
{
    void *new_address = NULL;
    if (flags & MREMAP_FIXED) {
        va_list args;
        va_start(args, flags);
        new_address = va_arg(args, void *);
        va_end(args);
    }
    __typeof__(&mremap) next = TRAP_NEXT(mremap);
    return INSIDE(TRAP_REGION_MREMAP, next(old_address, old_size, new_size, flags, new_address));
}

TRAP_EXPORT int shmdt(const void *address)
{
    __typeof__(&shmdt) next = TRAP_NEXT(shmdt);
    return INSIDE(TRAP_REGION_SHMDT, next(address));
}
