#define _GNU_SOURCE
#include "race_memory.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include "race_fault.h"
#include "race_report.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Filled into fresh memory put where the barrier was. */
#define PROBE_BYTE 0xa5
/* Written over the barrier by --release=overwrite. */
#define OVERWRITE_BYTE 0xff
/* Large enough that glibc's free() hands it back with munmap. */
#define LARGE_BLOCK (256 * 1024)
/* --release=reinit initialises again with this count, so the leader can
   later check the re-initialised barrier still works on its own. */
#define REINIT_COUNT 1
/* Per process: the view (up to 2 pages), where mremap-move moves it, and
   a page that stays PROT_NONE between neighbouring processes. */
#define REGION_PAGES 4

static const struct race_options *options;
static const pthread_barrierattr_t *reinit_attr;
static size_t page;
static unsigned char *regions; /* REGION_PAGES per process, PROT_NONE */
static unsigned char *region;  /* this process's */
static int shared_object = -1; /* POSIX shm, for views with --procs > 1 */
static int sysv_segment = -1;  /* for --release=shmdt */

static bool is_heap_kind(void)
{
    switch (options->release) {
    case RELEASE_FREE_SMALL:
    case RELEASE_FREE_LARGE:
        return true;
    case RELEASE_OVERWRITE:
    case RELEASE_REINIT:
        return options->procs == 1; /* a plain heap block, as in most programs */
    default:
        return false;
    }
}

static int open_shared_object(size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "/release_race.%ld", (long)getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    shm_unlink(name); /* lives on through fd, inherited by fork, and the views */
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One segment for the whole run. Marked for removal at once, so a crash
   leaks nothing; a keep-alive attachment (inherited by fork) holds it, and
   Linux lets a segment marked for removal be attached again. */
static int create_sysv_segment(size_t size)
{
    int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
    if (id < 0)
        return -1;
    void *keep_alive = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    return keep_alive == (void *)-1 ? -1 : id;
}

bool setup_race_memory(const struct race_options *race_options, const pthread_barrierattr_t *attr)
{
    options = race_options;
    reinit_attr = attr;
    page = (size_t)sysconf(_SC_PAGESIZE);
    /* Reserved before fork, so every process's views sit at a different
       address while all processes see the same layout. */
    regions = mmap(NULL, (size_t)options->procs * REGION_PAGES * page, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (regions == MAP_FAILED)
        return false;
    region = regions;
    if (options->release == RELEASE_SHMDT) {
        sysv_segment = create_sysv_segment(page);
        if (sysv_segment < 0)
            return false;
    } else if (options->procs > 1) {
        shared_object = open_shared_object(2 * page);
        if (shared_object < 0)
            return false;
    }
#ifdef M_MMAP_THRESHOLD
    /* glibc raises its mmap threshold after freeing a mapped block, and
       the next 256 KiB block would come from the heap; a fixed threshold
       keeps every large block mapped, so every free() unmaps. */
    if (options->release == RELEASE_FREE_LARGE)
        mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK / 2);
#endif
    return true;
}

void select_memory_process(int process)
{
    region = regions + (size_t)process * REGION_PAGES * page;
}

static unsigned char *map_view(size_t size)
{
    void *view;
    if (options->release == RELEASE_SHMDT) {
        view = shmat(sysv_segment, region, SHM_REMAP);
        return view == (void *)-1 ? NULL : view;
    }
    if (shared_object >= 0)
        view = mmap(region, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, shared_object, 0);
    else if (options->release == RELEASE_MADVISE) /* only private pages read back as zeros */
        view = mmap(region, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                    -1, 0);
    else
        view = mmap(region, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
                    -1, 0);
    return view == MAP_FAILED ? NULL : view;
}

bool prepare_round_memory(struct round_memory *m)
{
    *m = (struct round_memory){0};
    if (is_heap_kind()) {
        m->block_size = options->release == RELEASE_FREE_LARGE ? LARGE_BLOCK
                                                                 : sizeof(pthread_barrier_t);
        m->block = malloc(m->block_size);
        m->barrier = m->block;
        return m->block != NULL;
    }
    /* mremap-shrink keeps the barrier in the second page, the one it drops. */
    bool two_pages = options->release == RELEASE_MREMAP_SHRINK;
    m->view_size = two_pages ? 2 * page : page;
    m->view = map_view(m->view_size);
    if (!m->view)
        return false;
    m->barrier = (pthread_barrier_t *)(m->view + (two_pages ? page : 0));
    return true;
}

/* Fresh anonymous memory exactly at the released address, if it is free. */
static void probe_page(struct round_memory *m, struct race_control *control, unsigned char *address)
{
    void *fresh = mmap(address, page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (fresh == MAP_FAILED)
        return; /* something else sits there already: nothing to probe */
    if (fresh != address) { /* a kernel that took the flag as a mere hint */
        munmap(fresh, page);
        return;
    }
    memset(fresh, PROBE_BYTE, page);
    m->probe = fresh;
    m->probe_size = page;
    /* relaxed: a statistic, read after the race ended. */
    atomic_fetch_add_explicit(&control->probes_at_released_address, 1, memory_order_relaxed);
}

/* The allocator usually hands the released block straight back. */
static void probe_heap(struct round_memory *m, struct race_control *control, uintptr_t released)
{
    m->probe_size = m->block_size < page ? m->block_size : page;
    m->probe = malloc(m->block_size);
    m->probe_is_heap = true;
    if (!m->probe)
        return;
    memset(m->probe, PROBE_BYTE, m->probe_size);
    if ((uintptr_t)m->probe == released)
        /* relaxed: a statistic, read after the race ended. */
        atomic_fetch_add_explicit(&control->probes_at_released_address, 1, memory_order_relaxed);
}

/* mincore() fails with ENOMEM on an address that is not mapped. */
static bool is_unmapped(uintptr_t address)
{
    unsigned char resident;
    void *start = (void *)(address & ~(uintptr_t)(page - 1));
    return mincore(start, page, &resident) != 0 && errno == ENOMEM;
}

static void release_failed(struct race_control *control, unsigned long round, const char *call)
{
    report_failure(control, round, FAILURE_ERROR, "%s failed: %s (release=%s)", call,
                   strerror(errno), release_kind_name(options->release));
}

static void release_content(struct round_memory *m, struct race_control *control,
                            unsigned long round)
{
    if (options->release == RELEASE_OVERWRITE) {
        memset(m->barrier, OVERWRITE_BYTE, sizeof *m->barrier);
    } else {
        int error = pthread_barrier_init(m->barrier, reinit_attr, REINIT_COUNT);
        if (error != 0) {
            report_failure(control, round, FAILURE_ERROR,
                           "re-init right after the wait returned %d (%s)", error,
                           strerror(error));
            return;
        }
        memcpy(control->reinit_image, m->barrier, sizeof control->reinit_image);
    }
    /* relaxed: read by the leader after the phase meeting that ends the
       round, which orders it (and the image above). */
    atomic_store_explicit(&control->content_released_round, round + 1, memory_order_relaxed);
}

/* What a late waiter could fault on once this round's release is done. */
static void note_release(const struct round_memory *m, unsigned long round)
{
    if (m->block)
        fault_note_release(m->block, m->block_size, m->barrier, round);
    else if (options->release == RELEASE_MREMAP_SHRINK)
        fault_note_release(m->view + page, page, m->barrier, round);
    else
        fault_note_release(m->view, m->view_size, m->barrier, round);
}

void release_round_memory(struct round_memory *m, struct race_control *control,
                          unsigned long round)
{
    note_release(m, round);
    m->released = true;
    switch (options->release) {
    case RELEASE_FREE_SMALL:
    case RELEASE_FREE_LARGE: {
        uintptr_t address = (uintptr_t)m->block; /* no use of the pointer after free() */
        free(m->block);
        if (options->release == RELEASE_FREE_LARGE && is_unmapped(address))
            /* relaxed: a statistic, read after the race ended. */
            atomic_fetch_add_explicit(&control->frees_that_unmapped, 1, memory_order_relaxed);
        probe_heap(m, control, address);
        break;
    }
    case RELEASE_MUNMAP:
        if (munmap(m->view, m->view_size) != 0) {
            release_failed(control, round, "munmap");
            return;
        }
        probe_page(m, control, m->view);
        break;
    case RELEASE_MUNMAP_HOLE:
        if (munmap(m->view, m->view_size) != 0) {
            release_failed(control, round, "munmap");
            return;
        }
        break;
    case RELEASE_MMAP_FIXED:
        if (mmap(m->view, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0) == MAP_FAILED) {
            release_failed(control, round, "mmap(MAP_FIXED)");
            return;
        }
        memset(m->view, PROBE_BYTE, page);
        m->probe = m->view;
        m->probe_size = page;
        break;
    case RELEASE_MREMAP_SHRINK:
        if (mremap(m->view, 2 * page, page, 0) == MAP_FAILED) {
            release_failed(control, round, "mremap(shrink)");
            return;
        }
        probe_page(m, control, m->view + page);
        break;
    case RELEASE_MREMAP_MOVE:
        if (mremap(m->view, page, page, MREMAP_MAYMOVE | MREMAP_FIXED, region + 2 * page) ==
            MAP_FAILED) {
            release_failed(control, round, "mremap(MREMAP_FIXED)");
            return;
        }
        probe_page(m, control, m->view);
        break;
    case RELEASE_SHMDT:
        if (shmdt(m->view) != 0) {
            release_failed(control, round, "shmdt");
            return;
        }
        probe_page(m, control, m->view);
        break;
    case RELEASE_MADVISE:
        if (madvise(m->view, page, MADV_DONTNEED) != 0) {
            release_failed(control, round, "madvise(MADV_DONTNEED)");
            return;
        }
        break;
    case RELEASE_OVERWRITE:
    case RELEASE_REINIT:
        release_content(m, control, round);
        break;
    }
}

/* Reports the first byte that differs from `expected`, and how many do. */
static void expect_bytes(struct race_control *control, unsigned long round,
                         const unsigned char *bytes, size_t size, unsigned char expected,
                         const char *what)
{
    size_t first = size, differing = 0;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != expected) {
            if (first == size)
                first = i;
            differing++;
        }
    }
    if (differing > 0)
        report_failure(control, round, FAILURE_STRAY,
                       "stray write into released memory: %s has %zu changed byte(s), "
                       "first at offset %zu: 0x%02x, expected 0x%02x (release=%s)",
                       what, differing, first, bytes[first], expected,
                       release_kind_name(options->release));
}

/* The single releaser's work on the shared barrier must still be intact. */
static void check_content(struct round_memory *m, struct race_control *control,
                          unsigned long round)
{
    /* relaxed: written before the meeting that ended the round. */
    if (atomic_load_explicit(&control->content_released_round, memory_order_relaxed) != round + 1)
        return; /* nobody released: the round's own checks say why */
    if (options->release == RELEASE_OVERWRITE) {
        expect_bytes(control, round, (const unsigned char *)m->barrier, sizeof *m->barrier,
                     OVERWRITE_BYTE, "the overwritten barrier");
        return;
    }
    if (memcmp(m->barrier, control->reinit_image, sizeof control->reinit_image) != 0) {
        report_failure(control, round, FAILURE_STRAY,
                       "stray write into released memory: the re-initialised barrier changed "
                       "after its re-init (release=reinit)");
        return;
    }
    int serial = pthread_barrier_wait(m->barrier);
    if (serial != PTHREAD_BARRIER_SERIAL_THREAD)
        report_failure(control, round, FAILURE_ERROR,
                       "the re-initialised barrier (count %d) returned %d from its own wait, "
                       "expected PTHREAD_BARRIER_SERIAL_THREAD", REINIT_COUNT, serial);
    int error = pthread_barrier_destroy(m->barrier);
    if (error != 0)
        report_failure(control, round, FAILURE_ERROR,
                       "destroying the re-initialised barrier returned %d (%s)", error,
                       strerror(error));
}

void check_round_memory(struct round_memory *m, struct race_control *control,
                        unsigned long round, bool leader)
{
    if (m->probe)
        expect_bytes(control, round, m->probe, m->probe_size, PROBE_BYTE,
                     "the fresh memory that took the barrier's address");
    if (options->release == RELEASE_MADVISE && m->released)
        expect_bytes(control, round, m->view, page, 0, "the page emptied by MADV_DONTNEED");
    if (leader && !release_is_per_view(options->release))
        check_content(m, control, round);
}

void clean_round_memory(struct round_memory *m)
{
    if (m->probe_is_heap)
        free(m->probe);
    if (is_heap_kind()) {
        bool freed_by_release = options->release == RELEASE_FREE_SMALL ||
                                options->release == RELEASE_FREE_LARGE;
        if (!freed_by_release || !m->released)
            free(m->block);
        return;
    }
    /* Reserve the whole region again: drops the view, the probe and the
       moved page, whatever is left of them. */
    mmap(region, REGION_PAGES * page, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}
