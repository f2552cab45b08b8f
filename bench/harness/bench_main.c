/* One trial of one barrier implementation in one scenario: sets up the
 * shared state and the barrier, runs the team, prints the result. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "barrier_impl.h"
#include "clock.h"
#include "member.h"
#include "report.h"
#include "team.h"
#include "trial_timer.h"

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash != NULL ? slash + 1 : path;
}

static int run_team(const struct member_context *member) {
  const unsigned count = member->options->members;
  void *context = (void *)member;
  if (member->options->scenario->processes) return run_process_team(count, run_member, context);
  if (member->impl->run_team != NULL) return member->impl->run_team(count, run_member, context);
  return run_thread_team(count, run_member, context);
}

int main(int argc, char **argv) {
  const char *program = base_name(argv[0]);
  const struct barrier_impl *impl = &bench_barrier_impl;
  struct bench_options options;
  int status = parse_options(argc, argv, program, &options);
  if (status >= 0) return status;
  if (options.scenario->processes && !impl->supports_processes) {
    fprintf(stderr, "%s: %s cannot be shared between processes\n", program, impl->name);
    return 2;
  }

  struct run_state *state =
      map_run_state(impl->storage_size, options.smoke_rounds, options.scenario->processes);
  if (state == NULL) {
    fprintf(stderr, "%s: cannot map the run state: %s\n", program, strerror(errno));
    return 1;
  }
  int error = impl->init(run_barrier(state), options.members, options.scenario->process_shared);
  if (error != 0) {
    fprintf(stderr, "%s: barrier init failed: %s\n", program, strerror(error));
    return 1;
  }

  struct member_context member = {&options, impl, state};
  const int timed = options.smoke_rounds == 0;
  struct trial_timer timer;
  if (timed) {
    error = start_trial_timer(&timer, state, options.warmup_ns, options.measure_ns);
    if (error != 0) {
      fprintf(stderr, "%s: cannot start the trial timer: %s\n", program, strerror(error));
      return 1;
    }
  }
  const uint64_t children_cpu_start = cpu_time_ns(RUSAGE_CHILDREN);
  const int team_status = run_team(&member);
  const uint64_t children_cpu_ns = cpu_time_ns(RUSAGE_CHILDREN) - children_cpu_start;
  if (timed) join_trial_timer(&timer);
  impl->destroy(run_barrier(state));
  if (team_status != 0) {
    fprintf(stderr, "%s: a member of the team failed\n", program);
    return 1;
  }

  if (!timed) {
    status = report_smoke_result(&member);
  } else {
    print_timed_result(&member, children_cpu_ns);
    status = 0;
  }
  unmap_run_state(state);
  return status;
}
