/* What the lab's probe programs (destroy_blocked, bad_barrier) share with
   release_race: round and time bounds, failed rounds counted by kind, and
   the lines the lab reads:

     NAME: FAIL round R: what went wrong          (the first few failures)
     NAME: progress rounds=.. covered=.. entered=.. failed=.. kinds=a:1,b:2
     NAME: RESULT rounds=.. covered=.. entered=.. failed=.. kinds=..

   A probe's window is entered exactly when it is covered.
     NAME: CRASH signal=..                         (see race_fault.h)

   A probe runs its rounds on one thread, which alone calls these. */
#ifndef PROBE_RUN_H
#define PROBE_RUN_H

#include <getopt.h>
#include <stdbool.h>

#define PROBE_MAX_KINDS 8

/* Options every probe takes; the parser hands the values to probe_option. */
#define PROBE_LONG_OPTIONS                                                                    \
    {"rounds", required_argument, NULL, 'n'}, {"seconds", required_argument, NULL, 's'},     \
    {"progress-ms", required_argument, NULL, 'g'}, {"keep-going", no_argument, NULL, 'k'}
#define PROBE_OPTIONS_USAGE                                                                   \
    "  --rounds N --seconds S  stop at whichever comes first (default 1000, 5)\n"           \
    "  --keep-going            go on after a failed round (default: stop)\n"                \
    "  --progress-ms MS        a progress line at most every MS ms\n"

struct probe {
    const char *name;                      /* "destroy_blocked" */
    const char *const *kind_names;         /* what a failed check found */
    int kinds;
    unsigned long max_rounds;
    double max_seconds;
    unsigned progress_ms;
    bool keep_going;
};

/* Takes one of PROBE_LONG_OPTIONS; false (after saying why) if the value
   is bad or `option` is none of them. */
bool probe_option(struct probe *probe, int option, const char *value);

/* Before the first round: installs the crash reporter, starts the clock. */
void probe_start(struct probe *probe);

/* Whether another round may start. */
bool probe_more(void);

/* Marks the current round failed with `kind` (an index into kind_names). */
void probe_fail(int kind, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Ends the current round; `covered`: it hit the case's window. */
void probe_round_done(bool covered);

/* After the last round: the RESULT line and a PASS or FAIL line. Returns
   the exit status: 0 no failed round, 1 some. */
int probe_finish(void);

#endif
