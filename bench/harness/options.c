#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest team: far above any machine this runs on, small enough that the
 * smoke check's arrival counts cannot overflow. */
enum { max_members = 4096 };

static void print_usage(FILE *out, const char *program_name) {
  fprintf(out,
          "Usage: %s --scenario NAME --threads N [--time-ms MS] [--warmup-ms MS]\n"
          "          [--skew-us US] [--smoke ROUNDS]\n"
          "Runs one trial and prints one line of key=value results.\n"
          "  --scenario   %s\n"
          "  --threads    members of the barrier (threads or processes), >= 2\n"
          "  --time-ms    length of the timed part (default 150)\n"
          "  --warmup-ms  untimed rounds before it (default 30)\n"
          "  --skew-us    how late the late member arrives in skewed scenarios (default 1000)\n"
          "  --smoke N    run N checked rounds instead: one serial waiter per round,\n"
          "               nobody leaves early; exit status 1 on any error\n",
          program_name, scenario_names());
}

static int parse_number(const char *text, uint64_t min, uint64_t max, uint64_t *value) {
  char *end = NULL;
  errno = 0;
  unsigned long long parsed = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return -1;
  if (parsed < min || parsed > max) return -1;
  *value = parsed;
  return 0;
}

int parse_options(int argc, char **argv, const char *program_name,
                  struct bench_options *options) {
  uint64_t members = 0, measure_ms = 150, warmup_ms = 30, skew_us = 1000, smoke = 0;
  options->scenario = NULL;
  for (int i = 1; i < argc; ++i) {
    const char *flag = argv[i];
    if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
      print_usage(stdout, program_name);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s: %s needs a value (or is unknown)\n", program_name, flag);
      return 2;
    }
    const char *value = argv[++i];
    int bad = 0;
    if (strcmp(flag, "--scenario") == 0) {
      options->scenario = find_scenario(value);
      bad = options->scenario == NULL;
    } else if (strcmp(flag, "--threads") == 0) {
      bad = parse_number(value, 2, max_members, &members);
    } else if (strcmp(flag, "--time-ms") == 0) {
      bad = parse_number(value, 1, 600000, &measure_ms);
    } else if (strcmp(flag, "--warmup-ms") == 0) {
      bad = parse_number(value, 0, 600000, &warmup_ms);
    } else if (strcmp(flag, "--skew-us") == 0) {
      bad = parse_number(value, 0, 10000000, &skew_us);
    } else if (strcmp(flag, "--smoke") == 0) {
      bad = parse_number(value, 1, 100000000, &smoke);
    } else {
      fprintf(stderr, "%s: unknown option %s\n", program_name, flag);
      print_usage(stderr, program_name);
      return 2;
    }
    if (bad) {
      fprintf(stderr, "%s: bad value for %s: %s\n", program_name, flag, value);
      return 2;
    }
  }
  if (options->scenario == NULL || members == 0) {
    fprintf(stderr, "%s: --scenario and --threads are required\n", program_name);
    print_usage(stderr, program_name);
    return 2;
  }
  options->members = (unsigned)members;
  options->measure_ns = measure_ms * 1000000u;
  options->warmup_ns = warmup_ms * 1000000u;
  options->skew_ns = skew_us * 1000u;
  options->smoke_rounds = smoke;
  return -1;
}
