/* bad_barrier: pthread_barrier_wait or pthread_barrier_destroy on memory
   that is not a live barrier must return EINVAL, round after round: no
   crash, no hang, no success. Each round fills fresh memory with the
   chosen kind of bad contents and makes one call. There is no race here,
   so no window to cover; crashes and hangs are the lab's to record.

   usage: bad_barrier --kind=zeroed|ones|garbage|destroyed --call=wait|destroy
                      [--pshared] [--rounds N] [--seconds S] [--keep-going]
                      [--progress-ms MS] */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "probe_run.h"

enum bad_kind { BAD_ZEROED, BAD_ONES, BAD_GARBAGE, BAD_DESTROYED };
static const char *const bad_names[] = {"zeroed", "ones", "garbage", "destroyed"};

enum failure { WRONG_RESULT, SETUP_ERROR };
static const char *const failure_names[] = {"not-einval", "setup"};

static const char usage[] =
    "usage: bad_barrier --kind=zeroed|ones|garbage|destroyed --call=wait|destroy\n"
    "                   [--pshared] [options]\n"
    "  zeroed, ones: the 32 bytes all 0x00 or 0xff; garbage: fixed pseudo-random\n"
    "  bytes; destroyed: a count-1 barrier after pthread_barrier_destroy. Every\n"
    "  round the call must return EINVAL.\n"
    "  --pshared  the memory is a MAP_SHARED page (destroyed: a process-shared\n"
    "             barrier)\n" PROBE_OPTIONS_USAGE
    "exit: 0 every round passed, 1 some failed, 2 usage or setup error\n";

static enum bad_kind kind;
static bool call_wait;
static bool pshared;

static bool parse(int argc, char **argv, struct probe *probe)
{
    static const struct option options[] = {
        {"kind", required_argument, NULL, 'K'}, {"call", required_argument, NULL, 'C'},
        {"pshared", no_argument, NULL, 'p'},    PROBE_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    bool have_kind = false, have_call = false;
    for (int c; (c = getopt_long(argc, argv, "", options, NULL)) != -1;) {
        if (c == 'K') {
            for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
                if (strcmp(optarg, bad_names[i]) == 0) {
                    kind = (enum bad_kind)i;
                    have_kind = true;
                }
        } else if (c == 'C') {
            call_wait = strcmp(optarg, "wait") == 0;
            have_call = call_wait || strcmp(optarg, "destroy") == 0;
        } else if (c == 'p') {
            pshared = true;
        } else if (!probe_option(probe, c, optarg)) {
            return false;
        }
    }
    return have_kind && have_call && optind == argc;
}

/* The same bytes every round and every run. */
static void fill_garbage(unsigned char *bytes, size_t size)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes[i] = (unsigned char)(x >> 24);
    }
}

/* Returns false if a live barrier could not even be made and destroyed. */
static bool make_bad(pthread_barrier_t *barrier, const pthread_barrierattr_t *attr)
{
    switch (kind) {
    case BAD_ZEROED: memset(barrier, 0, sizeof *barrier); return true;
    case BAD_ONES: memset(barrier, 0xff, sizeof *barrier); return true;
    case BAD_GARBAGE: fill_garbage((unsigned char *)barrier, sizeof *barrier); return true;
    case BAD_DESTROYED: break;
    }
    int error = pthread_barrier_init(barrier, attr, 1);
    if (error != 0) {
        probe_fail(SETUP_ERROR, "pthread_barrier_init(count 1) returned %d (%s)", error,
                   strerror(error));
        return false;
    }
    error = pthread_barrier_destroy(barrier);
    if (error != 0) {
        probe_fail(SETUP_ERROR, "destroying a fresh count-1 barrier returned %d (%s)", error,
                   strerror(error));
        return false;
    }
    return true;
}

static void run_round(unsigned char *memory, const pthread_barrierattr_t *attr)
{
    /* A different spot every round, so no state can linger at one address. */
    static unsigned spot;
    pthread_barrier_t *barrier = (pthread_barrier_t *)(memory + (spot++ % 64) * 64);
    if (!make_bad(barrier, attr))
        return;
    int result = call_wait ? pthread_barrier_wait(barrier) : pthread_barrier_destroy(barrier);
    if (result != EINVAL)
        probe_fail(WRONG_RESULT, "pthread_barrier_%s on %s memory returned %d (%s), expected "
                   "EINVAL", call_wait ? "wait" : "destroy", bad_names[kind], result,
                   result == PTHREAD_BARRIER_SERIAL_THREAD ? "PTHREAD_BARRIER_SERIAL_THREAD"
                                                           : strerror(result));
}

int main(int argc, char **argv)
{
    struct probe probe = {.name = "bad_barrier", .kind_names = failure_names, .kinds = 2,
                          .max_rounds = 1000, .max_seconds = 5};
    if (!parse(argc, argv, &probe)) {
        fputs(usage, stderr);
        return 2;
    }
    unsigned char *memory = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                 (pshared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
    pthread_barrierattr_t attr;
    pthread_barrierattr_init(&attr);
    if (memory == MAP_FAILED ||
        (pshared && pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0)) {
        fprintf(stderr, "bad_barrier: setup failed\n");
        return 2;
    }
    printf("bad_barrier: start kind=%s call=%s pshared=%s rounds<=%lu seconds<=%g\n",
           bad_names[kind], call_wait ? "wait" : "destroy", pshared ? "yes" : "no",
           probe.max_rounds, probe.max_seconds);
    fflush(stdout);
    probe_start(&probe);
    while (probe_more()) {
        run_round(memory, &attr);
        probe_round_done(false);
    }
    return probe_finish();
}
