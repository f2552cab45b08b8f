/* release_race's command line: which release, how many participants, how long. */
#ifndef RACE_OPTIONS_H
#define RACE_OPTIONS_H

#include <stdbool.h>

#define RACE_MAX_THREADS 64
#define RACE_MAX_PROCS 16

enum release_kind {
    RELEASE_FREE_SMALL,    /* free() a small heap block */
    RELEASE_FREE_LARGE,    /* free() a >= 256 KiB block: glibc unmaps it inside free() */
    RELEASE_MUNMAP,        /* munmap, then fresh memory is mapped at the same address */
    RELEASE_MUNMAP_HOLE,   /* munmap and leave the address unmapped */
    RELEASE_MMAP_FIXED,    /* mmap(MAP_FIXED) a fresh page over it */
    RELEASE_MREMAP_SHRINK, /* mremap 2 pages to 1, dropping the barrier's page */
    RELEASE_MREMAP_MOVE,   /* mremap(MREMAP_FIXED) the page elsewhere */
    RELEASE_SHMDT,         /* shmdt a System V segment */
    RELEASE_MADVISE,       /* madvise(MADV_DONTNEED) a private page: reads back as zeros */
    RELEASE_OVERWRITE,     /* memset a pattern over the barrier */
    RELEASE_REINIT,        /* pthread_barrier_init again, with another count */
};

enum releaser_choice {
    RELEASER_FIRST,  /* the first thread to return (in each process, for per-view releases) */
    RELEASER_SERIAL, /* the thread that got PTHREAD_BARRIER_SERIAL_THREAD */
};

struct race_options {
    enum release_kind release;
    bool destroy;           /* the releaser calls pthread_barrier_destroy first */
    bool pshared;           /* PTHREAD_PROCESS_SHARED barrier */
    int threads;            /* per process */
    int procs;              /* processes */
    enum releaser_choice releaser;
    unsigned long rounds;   /* at most this many rounds ... */
    double seconds;         /* ... and no new round after this long */
    bool keep_going;        /* count failed rounds and go on (the race lab) */
    unsigned progress_ms;   /* a status line at most this often; 0: none */
};

/* Fills *options from argv; prints the reason and the usage and returns
   false on a usage error. */
bool parse_race_options(int argc, char **argv, struct race_options *options);

const char *release_kind_name(enum release_kind kind);

/* With --procs > 1 each process releases its own view of the shared object
   (true), or one releaser changes the object itself for everyone (false). */
bool release_is_per_view(enum release_kind kind);

#endif
