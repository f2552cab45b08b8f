/* faulty_layer: a deliberately broken layer, NOT part of the product: the
 * negative control of the reliability tests.  Preloaded between the trap (if
 * any) and the shim, it wraps pthread_barrier_wait and munmap with one of the
 * faults that a barrier implementation could have, chosen by the environment
 * variable FAULTY_LAYER, and otherwise forwards to the shim:
 *
 *   malloc-in-wait    every wait mallocs and frees 1 MiB (glibc maps it
 *                     afresh each time); a failed malloc fails the wait with
 *                     ENOMEM
 *   open-in-wait      every wait opens and closes /dev/null; a failed open
 *                     fails the wait with its errno
 *   open-in-munmap    likewise in every munmap, which then fails with -1
 *   leak-memory       every 256th wait leaks 4 KiB of touched memory
 *   leak-descriptors  every 16384th wait leaks a descriptor
 *   early-return      every 1000th wait returns 0 at once, without arriving
 *   extra-serial      every 1000th wait that returns 0 returns
 *                     PTHREAD_BARRIER_SERIAL_THREAD instead
 *
 * A reliability test that still passes with its matching fault proves
 * nothing; meson.build registers each pairing as a should_fail test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum fault {
    FAULT_NONE,
    FAULT_MALLOC_IN_WAIT,
    FAULT_OPEN_IN_WAIT,
    FAULT_OPEN_IN_MUNMAP,
    FAULT_LEAK_MEMORY,
    FAULT_LEAK_DESCRIPTORS,
    FAULT_EARLY_RETURN,
    FAULT_EXTRA_SERIAL,
};

static const struct {
    const char *name;
    enum fault fault;
} fault_names[] = {
    {"malloc-in-wait", FAULT_MALLOC_IN_WAIT},     {"open-in-wait", FAULT_OPEN_IN_WAIT},
    {"open-in-munmap", FAULT_OPEN_IN_MUNMAP},     {"leak-memory", FAULT_LEAK_MEMORY},
    {"leak-descriptors", FAULT_LEAK_DESCRIPTORS}, {"early-return", FAULT_EARLY_RETURN},
    {"extra-serial", FAULT_EXTRA_SERIAL},
};

/* Set once by the constructor, before main and before any thread. */
static enum fault g_fault;
static int (*g_next_wait)(pthread_barrier_t *);
static int (*g_next_munmap)(void *, size_t);
/* Calls so far, to space out the periodic faults. relaxed: only a rhythm. */
static atomic_ulong g_waits;
/* The leaked blocks, chained so that the compiler cannot drop the mallocs.
 * seq_cst exchange: nothing reads the chain; atomic only to be race-free. */
static void *_Atomic g_leaked;

__attribute__((constructor)) static void choose_fault(void)
{
    const char *wanted = getenv("FAULTY_LAYER");
    for (size_t i = 0; wanted && i < sizeof fault_names / sizeof fault_names[0]; i++)
        if (strcmp(wanted, fault_names[i].name) == 0)
            g_fault = fault_names[i].fault;
    if (wanted && g_fault == FAULT_NONE) {
        static const char text[] = "faulty_layer: unknown FAULTY_LAYER value\n";
        ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
        (void)ignored;
        _exit(2);
    }
    /* memcpy: ISO C has no cast from dlsym's object pointer to a function. */
    void *wait = dlsym(RTLD_NEXT, "pthread_barrier_wait");
    void *unmap = dlsym(RTLD_NEXT, "munmap");
    memcpy(&g_next_wait, &wait, sizeof wait);
    memcpy(&g_next_munmap, &unmap, sizeof unmap);
}

/* Opens and closes /dev/null; 0, or the errno of the failed open. */
static int use_a_descriptor(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

int pthread_barrier_wait(pthread_barrier_t *barrier)
{
    const unsigned long call = atomic_fetch_add_explicit(&g_waits, 1, memory_order_relaxed) + 1;
    switch (g_fault) {
    case FAULT_MALLOC_IN_WAIT: {
        char *block = malloc(1 << 20);
        if (block == NULL)
            return ENOMEM;
        block[0] = 1;
        free(block);
        break;
    }
    case FAULT_OPEN_IN_WAIT: {
        int error = use_a_descriptor();
        if (error != 0)
            return error;
        break;
    }
    case FAULT_LEAK_MEMORY:
        if (call % 256 == 0) {
            void **leaked = malloc(4096);
            if (leaked) {
                memset(leaked, 1, 4096);
                *leaked = atomic_exchange(&g_leaked, (void *)leaked);
            }
        }
        break;
    case FAULT_LEAK_DESCRIPTORS:
        if (call % 16384 == 0) {
            int leaked = open("/dev/null", O_RDONLY);
            (void)leaked;
        }
        break;
    case FAULT_EARLY_RETURN:
        if (call % 1000 == 0)
            return 0;
        break;
    default:
        break;
    }
    int result = g_next_wait(barrier);
    if (g_fault == FAULT_EXTRA_SERIAL && result == 0 && call % 1000 == 0)
        result = PTHREAD_BARRIER_SERIAL_THREAD;
    return result;
}

int munmap(void *address, size_t length)
{
    if (g_fault == FAULT_OPEN_IN_MUNMAP) {
        int error = use_a_descriptor();
        if (error != 0) {
            errno = error;
            return -1;
        }
    }
    return g_next_munmap(address, length);
}
