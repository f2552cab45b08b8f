/* A correct program that ThreadSanitizer must not report: one thread maps a
 * page, writes it and unmaps it; another thread, with no synchronisation
 * with the first (only a relaxed flag), then maps a page, which the kernel
 * usually places at the same address, and writes it. The two writes are to
 * different memory (the first mapping is gone), so there is no race, and
 * TSan knows it as long as it sees the munmap and the mmap: its interceptors
 * forget what happened at unmapped addresses. A preloaded library that wraps
 * mmap and munmap (the shim does) must pass the calls on through those
 * interceptors, not straight to libc, or TSan reports the second write.
 *
 * Usage: mapping_reused_by_another_thread TRIES. Exit 0 when some try reused
 * the address (the case was exercised) and nothing failed, 1 when no try
 * did, 2 on a setup error. TSan's own verdict comes through its exit code. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static atomic_uintptr_t first_page;  /* relaxed: an address, for the report */
static atomic_bool first_unmapped;   /* relaxed on purpose: no happens-before */

static char *map_page(void)
{
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return page;
}

static void *write_then_unmap(void *unused)
{
    (void)unused;
    char *page = map_page();
    page[0] = 1;
    atomic_store_explicit(&first_page, (uintptr_t)page, memory_order_relaxed);
    munmap(page, 4096);
    atomic_store_explicit(&first_unmapped, true, memory_order_relaxed);
    return NULL;
}

static void *map_then_write(void *reused)
{
    while (!atomic_load_explicit(&first_unmapped, memory_order_relaxed))
        sched_yield();
    char *page = map_page();
    page[0] = 2;
    *(bool *)reused = (uintptr_t)page == atomic_load_explicit(&first_page, memory_order_relaxed);
    munmap(page, 4096);
    return NULL;
}

int main(int argc, char **argv)
{
    int tries = argc == 2 ? atoi(argv[1]) : 0;
    if (tries < 1) {
        fprintf(stderr, "usage: %s TRIES\n", argv[0]);
        return 2;
    }
    int reused_tries = 0;
    for (int i = 0; i < tries; i++) {
        atomic_store_explicit(&first_unmapped, false, memory_order_relaxed);
        bool reused = false;
        pthread_t first, second;
        if (pthread_create(&second, NULL, map_then_write, &reused) != 0 ||
            pthread_create(&first, NULL, write_then_unmap, NULL) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 2;
        }
        pthread_join(first, NULL);
        pthread_join(second, NULL);
        reused_tries += reused;
    }
    printf("%s: the second thread's page was at the first one's address in %d of %d tries\n",
           reused_tries > 0 ? "PASS" : "FAIL", reused_tries, tries);
    return reused_tries > 0 ? 0 : 1;
}
