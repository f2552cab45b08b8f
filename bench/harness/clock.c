#include "clock.h"

#include <errno.h>
#include <sys/resource.h>
#include <time.h>

static const uint64_t ns_per_s = 1000000000u;

uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * ns_per_s + (uint64_t)now.tv_nsec;
}

static uint64_t timeval_ns(struct timeval t) {
  return (uint64_t)t.tv_sec * ns_per_s + (uint64_t)t.tv_usec * 1000u;
}

uint64_t cpu_time_ns(int who) {
  struct rusage usage;
  if (getrusage(who, &usage) != 0) return 0;
  return timeval_ns(usage.ru_utime) + timeval_ns(usage.ru_stime);
}

void sleep_ns(uint64_t ns) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  uint64_t end = (uint64_t)deadline.tv_sec * ns_per_s + (uint64_t)deadline.tv_nsec + ns;
  deadline.tv_sec = (time_t)(end / ns_per_s);
  deadline.tv_nsec = (long)(end % ns_per_s);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR) {
  }
}
