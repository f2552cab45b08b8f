/* The benchmark program's command line. */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

#include <stdint.h>

#include "scenario.h"

struct bench_options {
  const struct scenario *scenario;
  unsigned members;         /* --threads: threads or processes */
  uint64_t measure_ns;      /* --time-ms: length of the timed part */
  uint64_t warmup_ns;       /* --warmup-ms: untimed rounds first */
  uint64_t skew_ns;         /* --skew-us: how late the late member is */
  uint64_t smoke_rounds;    /* --smoke N: check N rounds instead of timing */
};

/* Fills options from argv. Returns -1 when the program should go on, else the
 * exit status (0 after --help, 2 after a usage error, reported on stderr). */
int parse_options(int argc, char **argv, const char *program_name,
                  struct bench_options *options);

#endif
