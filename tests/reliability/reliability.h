/* Scaffolding of the reliability tests, on top of the behaviour tests' own
 * (tests/behaviour/behaviour.h: exit codes 0 PASS, 1 FAIL, 2 SETUP, 3 HANG,
 * one report line, a self-imposed alarm).
 *
 * Every stress test has an iteration bound and a time bound.  With
 * BSHIM_SOAK set to anything but "" or "0" (scripts/test --soak), both
 * are multiplied by SOAK_FACTOR, and so is the alarm. */
#ifndef RELIABILITY_H
#define RELIABILITY_H

#include "behaviour.h"

enum { SOAK_FACTOR = 10 };

static inline unsigned soak_factor(void)
{
    const char *soak = getenv("BSHIM_SOAK");
    return (soak && *soak && strcmp(soak, "0") != 0) ? SOAK_FACTOR : 1;
}

/* bh_start with the alarm scaled for soak runs. */
static inline void rel_start(const char *phase, unsigned seconds)
{
    bh_start(phase, seconds * soak_factor());
}

static inline void rel_sleep_us(long microseconds)
{
    struct timespec ts = {microseconds / 1000000, (microseconds % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A command-line sub-case: the index of argv[1] in `cases` (NULL-terminated),
 * or a usage message and exit 2. */
static inline int rel_sub_case(int argc, char **argv, const char *const *cases)
{
    for (int i = 0; argc == 2 && cases[i]; i++)
        if (strcmp(argv[1], cases[i]) == 0)
            return i;
    fprintf(stderr, "usage: %s", argv[0]);
    for (int i = 0; cases[i]; i++)
        fprintf(stderr, "%s%s", i ? " | " : " ", cases[i]);
    fprintf(stderr, "\n");
    exit(BH_SETUP);
}

/* The usual sub-case, the barrier's kind: private | shared.  Returns whether
 * it is shared. */
static inline bool rel_shared_sub_case(int argc, char **argv)
{
    static const char *const cases[] = {"private", "shared", NULL};
    return rel_sub_case(argc, argv, cases) == 1;
}

#endif
