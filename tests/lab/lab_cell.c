/* lab_cell: one cell of the race lab. Runs a race program (release_race,
   destroy_blocked, bad_barrier) in forked trials until the cell's round
   or time bound is used up. Each trial gets what is left of both bounds,
   --keep-going and --progress-ms; a crash or a hang ends the trial, is
   counted as a failed round, and the next trial starts. Prints one line:

     trials=.. rounds=.. failed=.. covered=.. entered=.. crashes=.. in_released=..
     hangs=.. exits=.. setup_error=0|1 seconds=.. signals=SIGSEGV:3
     offsets=16:3 kinds=stray:8 first=TEXT

   usage: lab_cell [--rounds N] [--seconds S] [--hang S] [--progress-ms MS]
                   [--preload LIB] [--first-failure] [--log FILE]
                   -- PROGRAM ARGS...
   exit: 0 the cell ran (whatever it found), 2 usage error. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cell_tally.h"
#include "cell_trial.h"

/* Below this much time left no trial is worth starting. */
#define MIN_TRIAL_SECONDS 0.02
#define MAX_ARGS 96

struct cell_options {
    unsigned long rounds;
    double seconds, hang_seconds;
    unsigned progress_ms;
    const char *preload, *log_path;
    bool first_failure; /* stop at the first failed round (no --keep-going) */
    char **program;     /* PROGRAM ARGS..., NULL-terminated */
    int program_args;
};

static const char usage[] =
    "usage: lab_cell [--rounds N] [--seconds S] [--hang S] [--progress-ms MS]\n"
    "                [--preload LIB] [--first-failure] [--log FILE] -- PROGRAM ARGS...\n"
    "  --rounds N, --seconds S  the cell's bounds over all trials (default 20000, 1)\n"
    "  --hang S          no progress line for S seconds: a hang (default 2)\n"
    "  --progress-ms MS  asked of the program (default 100)\n"
    "  --preload LIB     LD_PRELOAD for the program (default: none, removed)\n"
    "  --first-failure   stop at the first failed round\n"
    "  --log FILE        append every trial's output to FILE\n";

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static bool parse(int argc, char **argv, struct cell_options *o)
{
    static const struct option options[] = {
        {"rounds", required_argument, NULL, 'n'}, {"seconds", required_argument, NULL, 's'},
        {"hang", required_argument, NULL, 'H'},   {"progress-ms", required_argument, NULL, 'g'},
        {"preload", required_argument, NULL, 'p'}, {"first-failure", no_argument, NULL, 'f'},
        {"log", required_argument, NULL, 'l'},    {NULL, 0, NULL, 0},
    };
    *o = (struct cell_options){.rounds = 20000, .seconds = 1, .hang_seconds = 2,
                               .progress_ms = 100};
    for (int c; (c = getopt_long(argc, argv, "+", options, NULL)) != -1;) {
        switch (c) {
        case 'n': o->rounds = strtoul(optarg, NULL, 10); break;
        case 's': o->seconds = strtod(optarg, NULL); break;
        case 'H': o->hang_seconds = strtod(optarg, NULL); break;
        case 'g': o->progress_ms = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'p': o->preload = optarg; break;
        case 'f': o->first_failure = true; break;
        case 'l': o->log_path = optarg; break;
        default: return false;
        }
    }
    o->program = argv + optind;
    o->program_args = argc - optind;
    return o->program_args > 0 && o->program_args < MAX_ARGS - 8 && o->rounds > 0 &&
           o->seconds > 0 && o->hang_seconds > 0 && o->progress_ms > 0 &&
           o->progress_ms < o->hang_seconds * 1000;
}

/* PROGRAM ARGS --rounds R --seconds S --progress-ms P [--keep-going] */
static void trial_argv(const struct cell_options *o, unsigned long rounds, double seconds,
                       char *argv[MAX_ARGS], char numbers[3][32])
{
    int n = 0;
    for (int i = 0; i < o->program_args; i++)
        argv[n++] = o->program[i];
    snprintf(numbers[0], 32, "%lu", rounds);
    snprintf(numbers[1], 32, "%.3f", seconds);
    snprintf(numbers[2], 32, "%u", o->progress_ms);
    argv[n++] = "--rounds";
    argv[n++] = numbers[0];
    argv[n++] = "--seconds";
    argv[n++] = numbers[1];
    argv[n++] = "--progress-ms";
    argv[n++] = numbers[2];
    if (!o->first_failure)
        argv[n++] = "--keep-going";
    argv[n] = NULL;
}

/* What a trial printed, but the progress lines. */
struct logged_lines {
    struct trial_lines lines;
    FILE *log;
};

static bool read_and_log(void *context, const char *line)
{
    struct logged_lines *logged = context;
    bool progress = tally_read_line(&logged->lines, line);
    if (logged->log && !progress)
        fprintf(logged->log, "%s\n", line);
    return progress;
}

static void log_outcome(FILE *log, const struct trial_outcome *outcome,
                        const struct trial_lines *lines)
{
    static const char *const how[] = {"exited", "killed by signal", "HANG", "not started"};
    if (!log)
        return;
    if (lines->have_status)
        fprintf(log, "== last status: rounds=%lu covered=%lu entered=%lu failed=%lu\n",
                lines->status.rounds, lines->status.covered, lines->status.entered,
                lines->status.failed);
    fprintf(log, "== %s %d after %.2fs\n", how[outcome->how], outcome->code, outcome->seconds);
}

int main(int argc, char **argv)
{
    struct cell_options o;
    if (!parse(argc, argv, &o)) {
        fputs(usage, stderr);
        return 2;
    }
    kill_trials_on_interrupt();
    FILE *log = o.log_path ? fopen(o.log_path, "ae") : NULL; /* not inherited */
    struct tally tally;
    memset(&tally, 0, sizeof tally);
    double start = now_seconds();
    for (;;) {
        double left = o.seconds - (now_seconds() - start);
        if (tally.rounds >= o.rounds || left < MIN_TRIAL_SECONDS)
            break;
        char *args[MAX_ARGS];
        char numbers[3][32];
        trial_argv(&o, o.rounds - tally.rounds, left, args, numbers);
        struct logged_lines logged = {.log = log};
        struct trial_setup setup = {.argv = args, .preload = o.preload,
                                    .hang_seconds = o.hang_seconds, .on_line = read_and_log,
                                    .context = &logged, .log = log};
        if (log) {
            fprintf(log, "== trial %lu:", tally.trials + 1);
            for (char **arg = args; *arg; arg++)
                fprintf(log, " %s", *arg);
            fprintf(log, "%s%s\n", o.preload ? " with LD_PRELOAD=" : "",
                    o.preload ? o.preload : "");
            fflush(log);
        }
        struct trial_outcome outcome = run_trial(&setup);
        log_outcome(log, &outcome, &logged.lines);
        unsigned long rounds_before = tally.rounds;
        bool failed = tally_add_trial(&tally, &logged.lines, &outcome);
        if (tally.setup_error || tally.rounds == rounds_before || (failed && o.first_failure))
            break;
    }
    if (log)
        fclose(log);
    tally_print(&tally, now_seconds() - start, stdout);
    return 0;
}
