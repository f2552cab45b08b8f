/* Wrapped unmaps of scratch memory: munmap, mmap(MAP_FIXED), mremap and
 * shmdt, one kind per call.  The tests have a round's serial waiter do one
 * right after its wait returns, while the round's other waiters are still
 * leaving (and may be holding the unmap lock's exit side).  Each call leaves
 * the scratch as it found it, and needs no more than one page of address
 * space and no descriptor beyond what the scratch holds. */
#ifndef SCRATCH_UNMAPS_H
#define SCRATCH_UNMAPS_H

#include "reliability.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

enum { SCRATCH_PAGE = 4096, SCRATCH_KINDS = 4 };

struct scratch {
    char *fixed_page;  /* replaced by mmap(MAP_FIXED) */
    char *shrink_area; /* two pages: mremap shrinks it, mmap(MAP_FIXED) restores the tail */
    int shm_id;        /* a SysV segment, kept attached once so that it lives on */
};

static inline void scratch_prepare(struct scratch *s)
{
    s->fixed_page = mmap(NULL, SCRATCH_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    s->shrink_area = mmap(NULL, 2 * SCRATCH_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->fixed_page == MAP_FAILED || s->shrink_area == MAP_FAILED)
        bh_setup_error("mmap for scratch memory failed: %s", strerror(errno));
    s->shm_id = shmget(IPC_PRIVATE, SCRATCH_PAGE, IPC_CREAT | 0600);
    if (s->shm_id < 0)
        bh_setup_error("shmget failed: %s", strerror(errno));
    void *keeper = shmat(s->shm_id, NULL, 0);
    shmctl(s->shm_id, IPC_RMID, NULL); /* removed once the last attachment goes */
    if (keeper == (void *)-1)
        bh_setup_error("shmat failed: %s", strerror(errno));
}

/* Does wrapped unmap number `kind % SCRATCH_KINDS`; NULL, or what failed. */
static inline const char *scratch_unmap(struct scratch *s, unsigned kind)
{
    switch (kind % SCRATCH_KINDS) {
    case 0: {
        void *page = mmap(NULL, SCRATCH_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED)
            return "mmap of a page to munmap";
        return munmap(page, SCRATCH_PAGE) == 0 ? NULL : "munmap";
    }
    case 1:
        return mmap(s->fixed_page, SCRATCH_PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == s->fixed_page
                   ? NULL : "mmap(MAP_FIXED)";
    case 2:
        if (mremap(s->shrink_area, 2 * SCRATCH_PAGE, SCRATCH_PAGE, 0) != s->shrink_area)
            return "mremap shrinking two pages to one";
        return mmap(s->shrink_area + SCRATCH_PAGE, SCRATCH_PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == s->shrink_area + SCRATCH_PAGE
                   ? NULL : "mmap(MAP_FIXED) restoring the page mremap cut off";
    default: {
        void *attached = shmat(s->shm_id, NULL, 0);
        if (attached == (void *)-1)
            return "shmat of a segment to shmdt";
        return shmdt(attached) == 0 ? NULL : "shmdt";
    }
    }
}

#endif
