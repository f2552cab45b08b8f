/* What one member of the team does: timed rounds, or checked rounds in smoke
 * mode. */
#ifndef BENCH_MEMBER_H
#define BENCH_MEMBER_H

#include "barrier_impl.h"
#include "options.h"
#include "run_state.h"

struct member_context {
  const struct bench_options *options;
  const struct barrier_impl *impl;
  struct run_state *state;
};

/* A team_body: context is a struct member_context. */
void run_member(unsigned index, void *context);

/* Waits once; a failed wait ends the whole process (the team could only hang
 * after it). Returns 1 for the serial waiter, else 0. */
int wait_or_die(const struct member_context *member, unsigned index);

/* Sleeps before arriving when this member is the late one of a skewed run. */
void arrive_late_if_skewed(const struct member_context *member, unsigned index);

void run_timekeeper(const struct member_context *member);
void run_follower(const struct member_context *member, unsigned index);
void run_checked(const struct member_context *member, unsigned index);

#endif
