/* Runs one body on each member of a team and waits for all of them. */
#ifndef BENCH_TEAM_H
#define BENCH_TEAM_H

#include "barrier_impl.h"

/* count threads: this thread is member 0, the others are new pthreads.
 * Returns 0, or an errno value when a thread could not be started (the
 * process then exits, since started members would wait for ever). */
int run_thread_team(unsigned count, team_body *body, void *context);

/* count child processes made with fork; the caller is not a member. Returns
 * 0 when every child exited with status 0; otherwise kills the rest and
 * returns -1. */
int run_process_team(unsigned count, team_body *body, void *context);

#endif
