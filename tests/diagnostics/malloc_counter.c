/* A preload library that counts calls of the malloc family, for
 * watchdog_report_allocates_nothing: hang_at_barrier asks for the count
 * (malloc_counter_calls, found with dlsym) before and after its stuck round.
 *
 * Each wrapper counts, then calls glibc's allocator through its public
 * __libc_* entry points: no dlsym, which may itself allocate. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static atomic_long calls;

/* relaxed: a tally read after the threads it counts are quiet or joined. */
static void count_call(void) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); }

long malloc_counter_calls(void) { return atomic_load_explicit(&calls, memory_order_relaxed); }

void *malloc(size_t size)
{
    count_call();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    count_call();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
    count_call();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size)
{
    count_call();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count_call();
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size)
{
    count_call();
    return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
    count_call();
    return __libc_pvalloc(size);
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
    count_call();
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    void *memory = __libc_memalign(alignment, size);
    if (memory == NULL)
        return ENOMEM;
    *result = memory;
    return 0;
}
