/* --procs P: the race runs in P processes forked from one. A process that
   dies takes the race with it: process 0 ends the same way at once (same
   signal or exit status) instead of waiting for ever for its peer. */
#ifndef RACE_PROCESSES_H
#define RACE_PROCESSES_H

#include <stdbool.h>

/* Forks procs - 1 copies; returns this process's index (0 in the original),
   or -1 if a fork failed. Call while single-threaded. */
int start_processes(int procs);

/* Process 0, after its own threads finished: reaps the others. */
bool wait_for_processes(void);

#endif
