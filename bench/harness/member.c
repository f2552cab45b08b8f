#include "member.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

int wait_or_die(const struct member_context *member, unsigned index) {
  int result = member->impl->wait(run_barrier(member->state), index);
  if (result < 0) {
    fprintf(stderr, "member %u: barrier wait failed: %s\n", index, strerror(-result));
    _exit(3);
  }
  return result;
}

void arrive_late_if_skewed(const struct member_context *member, unsigned index) {
  const struct bench_options *options = member->options;
  if (options->scenario->skewed && index == options->members - 1) sleep_ns(options->skew_ns);
}

void run_member(unsigned index, void *context) {
  const struct member_context *member = context;
  if (member->options->smoke_rounds > 0) {
    run_checked(member, index);
  } else if (index == 0) {
    run_timekeeper(member);
  } else {
    run_follower(member, index);
  }
}
