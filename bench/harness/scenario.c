#include "scenario.h"

#include <string.h>

static const struct scenario scenarios[] = {
    {"private-threads", false, false, false},
    {"pshared-threads", false, true, false},
    {"pshared-processes", true, true, false},
    {"skewed-threads", false, false, true},
    {"skewed-processes", true, true, true},
};

const struct scenario *find_scenario(const char *name) {
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); ++i) {
    if (strcmp(scenarios[i].name, name) == 0) return &scenarios[i];
  }
  return NULL;
}

const char *scenario_names(void) {
  return "private-threads|pshared-threads|pshared-processes|skewed-threads|skewed-processes";
}
