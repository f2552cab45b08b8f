/* Crash and kill reports, for the race lab. A fatal signal (SIGSEGV,
   SIGBUS, SIGFPE, SIGILL, SIGABRT) is reported on standard output before
   the process dies of it:

     NAME: CRASH signal=SIGSEGV addr=0x7f.. memory=released round=12 offset=16

   memory=released: the faulting address lies in barrier memory that this
   process released in one of its last few rounds (offset: from the start
   of that round's barrier); memory=other: anywhere else; no addr= for a
   signal without a fault address. Then, and also on SIGTERM (the lab ends
   a hung run that way), the program's status line:

     NAME: progress rounds=.. covered=.. entered=.. failed=.. kinds=..

   Everything here is async-signal-safe. */
#ifndef RACE_FAULT_H
#define RACE_FAULT_H

#include <stddef.h>

#include "race_line.h"

/* Appends " rounds=N covered=N entered=N failed=N kinds=..." for the status line;
   called from signal handlers, so it may only read atomics. */
typedef void race_status_fn(struct line *line);

/* Installs the handlers; `program` names the lines ("release_race"). */
void fault_reporter_install(const char *program, race_status_fn *status);

/* Writes "NAME: WORD" and the status, e.g. WORD "progress" or "RESULT". */
void fault_write_status(const char *word);

/* The releaser, just before it releases [start, start + size), which
   holds the round's barrier at `barrier`. */
void fault_note_release(const void *start, size_t size, const void *barrier,
                        unsigned long round);

#endif
