/* The situations a barrier is measured in. */
#ifndef BENCH_SCENARIO_H
#define BENCH_SCENARIO_H

#include <stdbool.h>

struct scenario {
  const char *name;
  /* Members are processes (fork, MAP_SHARED) rather than threads. */
  bool processes;
  /* The barrier is initialised PTHREAD_PROCESS_SHARED. */
  bool process_shared;
  /* The last member arrives late every round (it sleeps before arriving). */
  bool skewed;
};

/* The scenario called name, or NULL. */
const struct scenario *find_scenario(const char *name);

/* All scenario names, separated by '|', for usage messages. */
const char *scenario_names(void);

#endif
