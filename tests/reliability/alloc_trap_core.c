/* alloc_trap: a test library, NOT part of the product.
 *
 * Preloaded ahead of the shim (LD_PRELOAD="liballoc-trap.so
 * libbarrier-shim.so"), it wraps the calls that the shim promises make no
 * allocation and use nothing that can run out: pthread_barrier_wait,
 * pthread_barrier_destroy, munmap, mmap/mmap64 with MAP_FIXED, mremap and
 * shmdt (alloc_trap_regions.c).  While a thread is inside one of them, any
 * call it makes to a function that allocates memory, creates a descriptor, a
 * thread, a process or a mapping (alloc_trap_memory.c,
 * alloc_trap_descriptors.c, alloc_trap_tasks.c, alloc_trap_syscall.c) is a
 * violation: counted, printed on stderr, and still carried out.  Whatever
 * the shim calls by symbol reaches these wrappers first, because this
 * library comes first in the global lookup scope.
 *
 * This file: the per-thread "inside" depth, the tally, and the lookup of
 * the next definitions.  Test programs read the tally through
 * alloc_trap_read_tally (alloc_trap.h).
 *
 * Not seen: system calls glibc makes inline (its internal __mmap etc.), and
 * anything a signal handler does inside a region counts as the region's. */
#include "alloc_trap_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* This thread's nesting depth of regions, and its outermost region.
 * initial-exec: a plain thread-pointer access, which never allocates (a
 * dynamic TLS access could, on first use). */
static __thread unsigned t_depth __attribute__((tls_model("initial-exec")));
static __thread enum alloc_trap_region t_region __attribute__((tls_model("initial-exec")));

/* relaxed everywhere below: plain event counts, read by the test program
 * after it joined or reaped everyone who could have added to them. */
static atomic_ulong g_entries[TRAP_REGION_COUNT];
static atomic_ulong g_violations;
/* The first violation's text, written once by the thread that counted it
 * first; g_first_ready (release/acquire) publishes the text. */
static char g_first_violation[96];
static atomic_int g_first_ready;

enum { PRINTED_VIOLATIONS = 20 };

void trap_enter(enum alloc_trap_region region)
{
    if (t_depth++ == 0) {
        t_region = region;
        atomic_fetch_add_explicit(&g_entries[region], 1, memory_order_relaxed);
    }
}

void trap_leave(void)
{
    --t_depth;
}

/* Appends `text` to buffer[*used..size-1], always leaving it terminated. */
static void append(char *buffer, size_t size, size_t *used, const char *text)
{
    while (*text && *used + 1 < size)
        buffer[(*used)++] = *text++;
    buffer[*used] = '\0';
}

void trap_check(const char *function)
{
    if (t_depth == 0)
        return;
    const int saved_errno = errno;
    char line[sizeof g_first_violation];
    size_t used = 0;
    append(line, sizeof line, &used, function);
    append(line, sizeof line, &used, " inside ");
    append(line, sizeof line, &used, alloc_trap_region_names[t_region]);
    const unsigned long earlier =
        atomic_fetch_add_explicit(&g_violations, 1, memory_order_relaxed);
    if (earlier == 0) {
        memcpy(g_first_violation, line, sizeof line);
        atomic_store_explicit(&g_first_ready, 1, memory_order_release);
    }
    if (earlier < PRINTED_VIOLATIONS) {
        char message[sizeof line + 32];
        size_t length = 0;
        append(message, sizeof message, &length, "alloc_trap: violation: ");
        append(message, sizeof message, &length, line);
        append(message, sizeof message, &length, "\n");
        ssize_t ignored = write(STDERR_FILENO, message, length);
        (void)ignored;
    }
    errno = saved_errno;
}

trap_function trap_next(const char *name, trap_function _Atomic *slot)
{
    /* relaxed: a function address is valid for as long as the library that
     * holds it, which is the whole run; two racing lookups agree. */
    trap_function next = atomic_load_explicit(slot, memory_order_relaxed);
    if (next == NULL) {
        void *symbol = dlsym(RTLD_NEXT, name);
        if (symbol == NULL) {
            static const char text[] = "alloc_trap: no next definition of a wrapped function\n";
            ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
            (void)ignored;
            _exit(2);
        }
        memcpy(&next, &symbol, sizeof next); /* POSIX: dlsym's result is callable */
        atomic_store_explicit(slot, next, memory_order_relaxed);
    }
    return next;
}

TRAP_EXPORT void alloc_trap_read_tally(struct alloc_trap_tally *tally)
{
    for (int region = 0; region < TRAP_REGION_COUNT; region++)
        tally->entries[region] = atomic_load_explicit(&g_entries[region], memory_order_relaxed);
    tally->violations = atomic_load_explicit(&g_violations, memory_order_relaxed);
    tally->first_violation[0] = '\0';
    if (atomic_load_explicit(&g_first_ready, memory_order_acquire))
        memcpy(tally->first_violation, g_first_violation, sizeof g_first_violation);
}
