/* What a process holds, sampled to show that long runs leave it flat:
 * resident memory (/proc/self/statm) and open descriptors (/proc/self/fd).
 * Called outside waits only (they allocate and open files). */
#ifndef RESOURCE_USAGE_H
#define RESOURCE_USAGE_H

#include "reliability.h"
#include <dirent.h>

struct resource_usage {
    long resident_kib;
    int descriptors;
};

/* Resident-memory growth a run may show: page-table and allocator noise,
 * and stack pages touched a little deeper late in a run. */
enum { RESIDENT_SLACK_KIB = 1024 };

static inline struct resource_usage resource_usage_now(void)
{
    struct resource_usage usage = {-1, -1};
    FILE *statm = fopen("/proc/self/statm", "r");
    long size_pages, resident_pages;
    if (statm && fscanf(statm, "%ld %ld", &size_pages, &resident_pages) == 2)
        usage.resident_kib = resident_pages * (sysconf(_SC_PAGESIZE) / 1024);
    if (statm)
        fclose(statm);
    DIR *fds = opendir("/proc/self/fd");
    if (fds) {
        usage.descriptors = 0;
        for (struct dirent *entry; (entry = readdir(fds)) != NULL;)
            if (entry->d_name[0] != '.')
                usage.descriptors++;
        closedir(fds); /* its own descriptor was counted both times */
    }
    if (usage.resident_kib < 0 || usage.descriptors < 0)
        bh_setup_error("cannot read /proc/self/statm or /proc/self/fd");
    return usage;
}

/* Fails the test unless `end` holds no more descriptors than `start`, and at
 * most RESIDENT_SLACK_KIB more resident memory. */
static inline void resource_usage_check_flat(struct resource_usage start, struct resource_usage end,
                                             const char *what)
{
    if (end.descriptors > start.descriptors)
        bh_fail("%s: open descriptors grew from %d to %d", what, start.descriptors, end.descriptors);
    if (end.resident_kib > start.resident_kib + RESIDENT_SLACK_KIB)
        bh_fail("%s: resident memory grew from %ld KiB to %ld KiB (slack %d KiB)", what,
                start.resident_kib, end.resident_kib, RESIDENT_SLACK_KIB);
}

#endif
