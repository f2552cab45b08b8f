/* A library of another party (see atfork_unmapper.h). Linked into the test
 * program, so its constructor runs when the program starts: whether before
 * or after the preloaded shim's own constructor is the dynamic loader's
 * choice, and so is the order in which the two child handlers run. */
#include "atfork_unmapper.h"

#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

static void *page = MAP_FAILED;
static int ready;

/* In the child of fork: give up the page, as libraries do with per-process
 * caches. A failure is told by the exit status the child cannot reach. */
static void unmap_in_child(void)
{
    if (munmap(page, 4096) != 0)
        _exit(40);
}

__attribute__((constructor)) static void map_and_register(void)
{
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return;
    ready = pthread_atfork(NULL, NULL, unmap_in_child) == 0;
}

int atfork_unmapper_ready(void) { return ready; }
