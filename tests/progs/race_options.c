#define _GNU_SOURCE
#include "race_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const release_names[] = {
    [RELEASE_FREE_SMALL] = "free-small",       [RELEASE_FREE_LARGE] = "free-large",
    [RELEASE_MUNMAP] = "munmap",               [RELEASE_MUNMAP_HOLE] = "munmap-hole",
    [RELEASE_MMAP_FIXED] = "mmap-fixed",       [RELEASE_MREMAP_SHRINK] = "mremap-shrink",
    [RELEASE_MREMAP_MOVE] = "mremap-move",     [RELEASE_SHMDT] = "shmdt",
    [RELEASE_MADVISE] = "madvise",             [RELEASE_OVERWRITE] = "overwrite",
    [RELEASE_REINIT] = "reinit",
};
#define RELEASE_KIND_COUNT (sizeof release_names / sizeof release_names[0])

static const char usage[] =
    "usage: release_race --release=KIND [--destroy] [--pshared] [--threads T]\n"
    "                    [--procs P] [--releaser=first|serial] [--rounds N] [--seconds S]\n"
    "                    [--keep-going] [--progress-ms MS]\n"
    "  KIND: free-small free-large munmap munmap-hole mmap-fixed mremap-shrink\n"
    "        mremap-move shmdt madvise overwrite reinit\n"
    "  Every round: fresh barrier memory, init with count T*P, everybody waits, and\n"
    "  the releaser releases the memory the moment its wait returns.\n"
    "  --destroy    the releaser calls pthread_barrier_destroy first (must return 0)\n"
    "  --pshared    PTHREAD_PROCESS_SHARED (required with --procs > 1)\n"
    "  --threads T  threads per process (default 4)\n"
    "  --procs P    forked processes sharing the barrier (default 1); each process\n"
    "               releases its own view, only one releaser destroys/overwrites/re-inits\n"
    "  --releaser   first: the first thread back (per process for views; default)\n"
    "               serial: the PTHREAD_BARRIER_SERIAL_THREAD thread\n"
    "  --rounds N --seconds S  stop at whichever comes first (default 20000, 5)\n"
    "  --keep-going       count failed rounds and go on instead of stopping at the\n"
    "                     first one\n"
    "  --progress-ms MS   print \"progress rounds=.. covered=.. entered=.. failed=..\n"
    "                     kinds=..\" at most every MS ms (the race lab's hang detection)\n"
    "output: before the final PASS or FAIL line, \"RESULT rounds=.. covered=.. entered=..\n"
    "  failed=.. kinds=..\" (failed: rounds with a failed check; entered: the release\n"
    "  began, covered: it also ended, while a waiter was still inside its wait); on a\n"
    "  fatal signal a status line and \"CRASH signal=.. addr=.. memory=released|other ...\"\n"
    "exit: 0 all rounds passed, 1 a check failed, 2 usage or setup error\n";

const char *release_kind_name(enum release_kind kind)
{
    return release_names[kind];
}

bool release_is_per_view(enum release_kind kind)
{
    return kind != RELEASE_OVERWRITE && kind != RELEASE_REINIT;
}

static bool usage_error(const char *why, const char *what)
{
    fprintf(stderr, "release_race: %s%s%s\n%s", why, what ? ": " : "", what ? what : "", usage);
    return false;
}

static bool parse_kind(const char *text, enum release_kind *kind)
{
    for (size_t i = 0; i < RELEASE_KIND_COUNT; i++) {
        if (strcmp(text, release_names[i]) == 0) {
            *kind = (enum release_kind)i;
            return true;
        }
    }
    return false;
}

static bool parse_int(const char *text, int low, int high, int *value)
{
    char *end;
    long parsed = strtol(text, &end, 10);
    if (end == text || *end != '\0' || parsed < low || parsed > high)
        return false;
    *value = (int)parsed;
    return true;
}

/* Which combinations make sense: the memory must be shareable between the
   processes, and a per-view release needs a releaser in every process. */
static bool check_combination(const struct race_options *o)
{
    bool heap = o->release == RELEASE_FREE_SMALL || o->release == RELEASE_FREE_LARGE;
    if (o->procs > 1 && !o->pshared)
        return usage_error("--procs > 1 needs --pshared", NULL);
    if (o->procs > 1 && (heap || o->release == RELEASE_MADVISE))
        return usage_error("this release works on process-private memory; use --procs 1",
                           release_kind_name(o->release));
    if (o->procs > 1 && o->releaser == RELEASER_SERIAL && release_is_per_view(o->release))
        return usage_error("--releaser=serial with --procs > 1 needs a release of the shared "
                           "object itself (overwrite, reinit)", NULL);
    return true;
}

bool parse_race_options(int argc, char **argv, struct race_options *o)
{
    static const struct option long_options[] = {
        {"release", required_argument, NULL, 'r'}, {"destroy", no_argument, NULL, 'd'},
        {"pshared", no_argument, NULL, 'p'},       {"threads", required_argument, NULL, 't'},
        {"procs", required_argument, NULL, 'P'},   {"releaser", required_argument, NULL, 'R'},
        {"rounds", required_argument, NULL, 'n'},  {"seconds", required_argument, NULL, 's'},
        {"keep-going", no_argument, NULL, 'k'},    {"progress-ms", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    bool have_release = false;
    char *end;
    *o = (struct race_options){
        .threads = 4, .procs = 1, .releaser = RELEASER_FIRST, .rounds = 20000, .seconds = 5,
    };
    for (int c; (c = getopt_long(argc, argv, "", long_options, NULL)) != -1;) {
        switch (c) {
        case 'r':
            if (!parse_kind(optarg, &o->release))
                return usage_error("unknown release kind", optarg);
            have_release = true;
            break;
        case 'd': o->destroy = true; break;
        case 'p': o->pshared = true; break;
        case 't':
            if (!parse_int(optarg, 1, RACE_MAX_THREADS, &o->threads))
                return usage_error("--threads must be 1..64", optarg);
            break;
        case 'P':
            if (!parse_int(optarg, 1, RACE_MAX_PROCS, &o->procs))
                return usage_error("--procs must be 1..16", optarg);
            break;
        case 'R':
            if (strcmp(optarg, "first") == 0) o->releaser = RELEASER_FIRST;
            else if (strcmp(optarg, "serial") == 0) o->releaser = RELEASER_SERIAL;
            else return usage_error("--releaser must be first or serial", optarg);
            break;
        case 'n':
            o->rounds = strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0' || o->rounds == 0 || optarg[0] == '-')
                return usage_error("--rounds must be a count >= 1", optarg);
            break;
        case 's':
            o->seconds = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(o->seconds > 0 && o->seconds <= 3600))
                return usage_error("--seconds must be in (0, 3600]", optarg);
            break;
        case 'k': o->keep_going = true; break;
        case 'g': {
            int ms;
            if (!parse_int(optarg, 1, 60000, &ms))
                return usage_error("--progress-ms must be 1..60000", optarg);
            o->progress_ms = (unsigned)ms;
            break;
        }
        default:
            return usage_error("see usage", NULL);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument", argv[optind]);
    if (!have_release)
        return usage_error("--release=KIND is required", NULL);
    return check_combination(o);
}
