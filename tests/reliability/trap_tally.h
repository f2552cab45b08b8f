/* Reading the alloc_trap library's tally from a test program (alloc_trap.h). */
#ifndef TRAP_TALLY_H
#define TRAP_TALLY_H

#include "reliability.h"
#include "alloc_trap.h"
#include <dlfcn.h>

/* This process's tally.  Without the trap preloaded the test would check
 * nothing: that is a setup error. */
static inline struct alloc_trap_tally trap_tally(void)
{
    void *symbol = dlsym(RTLD_DEFAULT, "alloc_trap_read_tally");
    alloc_trap_read_tally_fn *read_tally;
    memcpy(&read_tally, &symbol, sizeof symbol); /* ISO C has no such cast */
    if (read_tally == NULL)
        bh_setup_error("liballoc-trap.so is not preloaded: nothing would be checked");
    struct alloc_trap_tally tally;
    read_tally(&tally);
    return tally;
}

/* Fails on any violation, and unless every region in `required` (a bit per
 * enum alloc_trap_region) was entered: a region never entered proves
 * nothing.  `who` names the process in the report. */
static inline struct alloc_trap_tally trap_tally_check(unsigned required, const char *who)
{
    struct alloc_trap_tally tally = trap_tally();
    if (tally.violations != 0)
        bh_fail("%s: %lu calls that allocate or can run out of resources inside the trapped "
                "region; the first: %s", who, tally.violations, tally.first_violation);
    for (int region = 0; region < TRAP_REGION_COUNT; region++)
        if ((required & (1u << region)) && tally.entries[region] == 0)
            bh_setup_error("%s: %s was never called through the trap", who,
                           alloc_trap_region_names[region]);
    return tally;
}

#define TRAP_ALL_UNMAPS ((1u << TRAP_REGION_MUNMAP) | (1u << TRAP_REGION_MMAP_FIXED) | \
                         (1u << TRAP_REGION_MREMAP) | (1u << TRAP_REGION_SHMDT))

#endif
