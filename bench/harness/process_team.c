#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "team.h"

static void kill_all(const pid_t *children, unsigned count) {
  for (unsigned i = 0; i < count; ++i) {
    if (children[i] > 0) kill(children[i], SIGKILL);
  }
}

static int reap_all(pid_t *children, unsigned count) {
  int failed = 0;
  for (unsigned left = count; left > 0;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (unsigned i = 0; i < count; ++i) {
      if (children[i] == pid) children[i] = 0;
    }
    --left;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      /* The others would wait for the dead member for ever. */
      if (!failed) kill_all(children, count);
      failed = 1;
    }
  }
  return failed ? -1 : 0;
}

int run_process_team(unsigned count, team_body *body, void *context) {
  pid_t *children = calloc(count, sizeof(*children));
  if (children == NULL) return -1;
  fflush(NULL);
  for (unsigned i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      body(i, context);
      _exit(0);
    }
    if (pid < 0) {
      fprintf(stderr, "cannot fork member %u of %u: %s\n", i, count, strerror(errno));
      kill_all(children, i);
      reap_all(children, i);
      free(children);
      return -1;
    }
    children[i] = pid;
  }
  int result = reap_all(children, count);
  free(children);
  return result;
}
