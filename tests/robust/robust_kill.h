/* Scaffolding shared by the robust-mode tests: a team of participant
 * processes on one process-shared barrier in MAP_SHARED memory, and counts of
 * the System V semaphores and descriptors that must not leak. */
#ifndef ROBUST_KILL_H
#define ROBUST_KILL_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline int64_t rk_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Lines of /proc/sysvipc/sem after its header: the semaphore sets that exist. */
static inline int rk_semaphore_sets(void)
{
    FILE *file = fopen("/proc/sysvipc/sem", "r");
    if (file == NULL)
        return -1;
    int lines = 0, c;
    while ((c = fgetc(file)) != EOF)
        if (c == '\n')
            lines++;
    fclose(file);
    return lines - 1;
}

/* Entries of /proc/self/fd, not counting the one opendir uses. */
#include <dirent.h>
static inline int rk_open_descriptors(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        return -1;
    int entries = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (entry->d_name[0] != '.')
            entries++;
    closedir(dir);
    return entries - 1;
}

#endif
