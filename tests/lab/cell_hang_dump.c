#define _GNU_SOURCE
#include "cell_hang_dump.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The first line of a /proc file, without its newline; "" if unreadable. */
static void read_line(const char *path, char *text, size_t size)
{
    FILE *file = fopen(path, "r");
    text[0] = '\0';
    if (!file)
        return;
    if (fgets(text, (int)size, file))
        text[strcspn(text, "\n")] = '\0';
    fclose(file);
}

/* From a stat line: the state letter and the process group. */
static bool parse_stat(const char *stat, char *state, long *group)
{
    const char *paren = strrchr(stat, ')');
    long parent;
    return paren && sscanf(paren + 1, " %c %ld %ld", state, &parent, group) == 3;
}

static void dump_threads(FILE *log, const char *pid)
{
    char path[600], stat[512], wchan[128]; /* two names of up to 255 bytes */
    snprintf(path, sizeof path, "/proc/%s/task", pid);
    DIR *tasks = opendir(path);
    if (!tasks)
        return;
    for (struct dirent *task; (task = readdir(tasks));) {
        if (!isdigit((unsigned char)task->d_name[0]))
            continue;
        char state = '?';
        long group;
        snprintf(path, sizeof path, "/proc/%s/task/%s/stat", pid, task->d_name);
        read_line(path, stat, sizeof stat);
        parse_stat(stat, &state, &group);
        snprintf(path, sizeof path, "/proc/%s/task/%s/wchan", pid, task->d_name);
        read_line(path, wchan, sizeof wchan);
        fprintf(log, "== hung: process %s thread %s state %c in %s\n", pid, task->d_name, state,
                wchan[0] ? wchan : "?");
    }
    closedir(tasks);
}

void dump_hung_group(FILE *log, pid_t group)
{
    if (!log)
        return;
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    for (struct dirent *entry; (entry = readdir(proc));) {
        if (!isdigit((unsigned char)entry->d_name[0]))
            continue;
        char path[300], stat[512], state;
        long in_group;
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        read_line(path, stat, sizeof stat);
        if (parse_stat(stat, &state, &in_group) && in_group == group)
            dump_threads(log, entry->d_name);
    }
    closedir(proc);
    fflush(log);
}
