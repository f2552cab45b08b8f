/* The interface between alloc_trap.c (a preloaded test library) and the test
 * programs that read its tally.  A program finds alloc_trap_read_tally with
 * dlsym(RTLD_DEFAULT, ...): not finding it means the trap is not preloaded,
 * and then the program cannot prove anything. */
#ifndef ALLOC_TRAP_H
#define ALLOC_TRAP_H

/* The calls the shim promises to make without allocating or using anything
 * that can run out: while a thread is inside one of them it is "in the
 * trapped region". */
enum alloc_trap_region {
    TRAP_REGION_WAIT,        /* pthread_barrier_wait */
    TRAP_REGION_DESTROY,     /* pthread_barrier_destroy */
    TRAP_REGION_MUNMAP,      /* munmap */
    TRAP_REGION_MMAP_FIXED,  /* mmap / mmap64 with MAP_FIXED */
    TRAP_REGION_MREMAP,      /* mremap */
    TRAP_REGION_SHMDT,       /* shmdt */
    TRAP_REGION_COUNT
};

struct alloc_trap_tally {
    /* Outermost entries into each region, by this process since it started
     * (a forked child starts from its parent's numbers). */
    unsigned long entries[TRAP_REGION_COUNT];
    /* Calls made from inside a region to a function that allocates or can
     * fail for lack of resources. */
    unsigned long violations;
    /* The first violation, "FUNCTION inside REGION", or "" if none. */
    char first_violation[96];
};

typedef void alloc_trap_read_tally_fn(struct alloc_trap_tally *tally);

static const char *const alloc_trap_region_names[TRAP_REGION_COUNT] = {
    "pthread_barrier_wait", "pthread_barrier_destroy", "munmap",
    "mmap(MAP_FIXED)",      "mremap",                  "shmdt",
};

#endif
