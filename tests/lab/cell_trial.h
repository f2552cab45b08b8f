/* One trial of a lab cell: run a program in its own process group with
   its output (stdout and stderr together) in a pipe, hand each line to a
   reader, and end it as a hang once no progress line came for a while. */
#ifndef CELL_TRIAL_H
#define CELL_TRIAL_H

#include <stdbool.h>
#include <stdio.h>

struct trial_outcome {
    enum { TRIAL_EXITED, TRIAL_KILLED, TRIAL_HANG, TRIAL_NOT_STARTED } how;
    int code;       /* exit status, signal number, or errno when not started */
    double seconds;
};

/* Gets every line the trial prints, without its newline; returns true if
   the line shows progress (that resets the hang timer). */
typedef bool trial_line_fn(void *context, const char *line);

struct trial_setup {
    char *const *argv;     /* PROGRAM ARGS..., NULL-terminated */
    const char *preload;   /* LD_PRELOAD for the program; NULL: none */
    double hang_seconds;   /* no progress for this long: a hang */
    trial_line_fn *on_line;
    void *context;
    FILE *log;             /* where a hang's thread dump goes; NULL: nowhere */
};

struct trial_outcome run_trial(const struct trial_setup *setup);

/* On SIGINT, SIGTERM or SIGHUP: kill the running trial's process group
   (it is not in ours, so the terminal's ^C does not reach it) and exit. */
void kill_trials_on_interrupt(void);

#endif
