/* What a cell's trials said, line by line, and their totals. The lines are
   those of release_race and the probes (race_fault.h, probe_run.h):
   progress and RESULT carry "rounds= covered= entered= failed= kinds=", CRASH the
   signal and where the fault address lies, "FAIL round R: ..." the first
   failures. */
#ifndef CELL_TALLY_H
#define CELL_TALLY_H

#include <stdbool.h>
#include <stdio.h>

#include "cell_trial.h"

#define TALLY_NAMES 16
#define TALLY_TEXT 300

/* name:count pairs, in order of first sight ("stray:3,early:1"). */
struct counts {
    int used;
    char name[TALLY_NAMES][24];
    unsigned long count[TALLY_NAMES];
};

struct status {
    unsigned long rounds, covered, entered, failed;
    struct counts kinds;
};

/* What one trial printed. */
struct trial_lines {
    bool have_status, have_result, have_crash;
    struct status status;          /* the last progress or RESULT line */
    char crash_signal[24];
    bool crash_in_released;
    long crash_offset;
    char first_failure[TALLY_TEXT]; /* the first FAIL line's text */
    char crash_line[TALLY_TEXT];    /* the first CRASH line */
    char last_line[TALLY_TEXT];     /* the last line that is no status */
};

struct tally {
    unsigned long trials, rounds, failed, covered, entered;
    unsigned long crashes, crashes_in_released, hangs, exits;
    struct counts kinds, signals, offsets;
    bool setup_error;
    char first[TALLY_TEXT]; /* the first failure's words, or a setup error */
};

/* trial_line_fn for run_trial: context is a struct trial_lines. */
bool tally_read_line(void *lines, const char *line);

/* Adds a finished trial; returns true if it failed somehow. */
bool tally_add_trial(struct tally *tally, const struct trial_lines *lines,
                     const struct trial_outcome *outcome);

/* "trials=.. rounds=.. ... first=TEXT" on one line. */
void tally_print(const struct tally *tally, double seconds, FILE *out);

#endif
