/* alloc_trap: memory allocation, checked (alloc_trap_core.c).  malloc,
 * calloc, realloc and free forward to glibc's __libc_* entry points rather
 * than to a dlsym lookup, because dlsym itself may call calloc. */
#include "alloc_trap_internal.h"

#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

TRAP_SLOT(posix_memalign);
TRAP_SLOT(aligned_alloc);
TRAP_SLOT(memalign);
TRAP_SLOT(valloc);
TRAP_SLOT(pvalloc);
TRAP_SLOT(reallocarray);
TRAP_SLOT(sbrk);
TRAP_SLOT(brk);

TRAP_EXPORT void *malloc(size_t size)
{
    trap_check("malloc");
    return __libc_malloc(size);
}

TRAP_EXPORT void *calloc(size_t count, size_t size)
{
    trap_check("calloc");
    return __libc_calloc(count, size);
}

TRAP_EXPORT void *realloc(void *pointer, size_t size)
{
    trap_check("realloc");
    return __libc_realloc(pointer, size);
}

/* free can unmap, trim the heap and take the arena lock: no call of it
 * belongs inside a wait either. */
TRAP_EXPORT void free(void *pointer)
{
    trap_check("free");
    __libc_free(pointer);
}

TRAP_EXPORT int posix_memalign(void **result, size_t alignment, size_t size)
{
    trap_check("posix_memalign");
    return TRAP_NEXT(posix_memalign)(result, alignment, size);
}

TRAP_EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
    trap_check("aligned_alloc");
    return TRAP_NEXT(aligned_alloc)(alignment, size);
}

TRAP_EXPORT void *memalign(size_t alignment, size_t size)
{
    trap_check("memalign");
    return TRAP_NEXT(memalign)(alignment, size);
}

TRAP_EXPORT void *valloc(size_t size)
{
    trap_check("valloc");
    return TRAP_NEXT(valloc)(size);
}

TRAP_EXPORT void *pvalloc(size_t size)
{
    trap_check("pvalloc");
    return TRAP_NEXT(pvalloc)(size);
}

TRAP_EXPORT void *reallocarray(void *pointer, size_t count, size_t size)
{
    trap_check("reallocarray");
    return TRAP_NEXT(reallocarray)(pointer, count, size);
}

TRAP_EXPORT void *sbrk(intptr_t increment)
{
    trap_check("sbrk");
    return TRAP_NEXT(sbrk)(increment);
}

TRAP_EXPORT int brk(void *end)
{
    trap_check("brk");
    return TRAP_NEXT(brk)(end);
}
