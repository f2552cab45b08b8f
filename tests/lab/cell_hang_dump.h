/* Before a hung trial is killed: where each of its threads sleeps (state
   and kernel wait channel of every thread of every process in its group),
   written to the cell's log. */
#ifndef CELL_HANG_DUMP_H
#define CELL_HANG_DUMP_H

#include <stdio.h>
#include <sys/types.h>

void dump_hung_group(FILE *log, pid_t group);

#endif
