#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "team.h"

struct thread_start {
  team_body *body;
  void *context;
  unsigned index;
};

static void *thread_main(void *argument) {
  const struct thread_start *start = argument;
  start->body(start->index, start->context);
  return NULL;
}

int run_thread_team(unsigned count, team_body *body, void *context) {
  pthread_t *threads = calloc(count, sizeof(*threads));
  struct thread_start *starts = calloc(count, sizeof(*starts));
  if (threads == NULL || starts == NULL) return ENOMEM;
  for (unsigned i = 1; i < count; ++i) {
    starts[i] = (struct thread_start){body, context, i};
    int error = pthread_create(&threads[i], NULL, thread_main, &starts[i]);
    if (error != 0) {
      fprintf(stderr, "cannot start thread %u of %u: %s\n", i, count, strerror(error));
      _exit(3);
    }
  }
  body(0, context);
  for (unsigned i = 1; i < count; ++i) pthread_join(threads[i], NULL);
  free(starts);
  free(threads);
  return 0;
}
