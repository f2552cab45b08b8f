// Programs with and without data races across barrier rounds, and programs
// that misuse a barrier, for comparing what Helgrind and DRD report with the
// shim against what they report with glibc (tests/tools/tools_report_as_glibc.sh).
//
// Usage: round_races MODE THREADS ROUNDS
//   racy-writes    every thread writes cell[r] between wait r and wait r+1:
//                  a write-write race in every round
//   read-in-round  thread 0 writes cell[r] and the others read it between
//                  the same two waits: a write-read race in every round
//   hand-over      thread (r % THREADS) writes cell[r] before wait r+1, and
//                  every thread reads it after: ordered by the barrier, no race
//   init-in-use    init over a barrier on which a thread is blocked
//   destroy-in-use destroy of a barrier on which a thread is blocked
//   wait-destroyed a wait on a barrier that was destroyed
// (The misuse modes ignore THREADS and ROUNDS.) Prints which object its
// pthread_barrier_wait binds to, as the comparison script requires.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t barrier;
static int threads, rounds;
static volatile int* cells;
static const char* mode;

static void* participant(void* arg) {
  const int self = (int)(long)arg;
  pthread_barrier_wait(&barrier);  // round 0 starts together
  for (int r = 0; r < rounds; ++r) {
    if (strcmp(mode, "racy-writes") == 0) {
      cells[r] = self;
    } else if (strcmp(mode, "read-in-round") == 0) {
      if (self == 0) cells[r] = r; else (void)cells[r];
    } else {  // hand-over
      if (self == r % threads) cells[r] = r;
    }
    pthread_barrier_wait(&barrier);
    if (strcmp(mode, "hand-over") == 0 && cells[r] != r) {
      fprintf(stderr, "round %d: read %d\n", r, cells[r]);
      exit(1);
    }
  }
  return NULL;
}

static void* blocked_waiter(void* arg) {
  (void)arg;
  pthread_barrier_wait(&barrier);  // count 2: released by main at the end
  return NULL;
}

// Starts a waiter that blocks on a count-2 barrier, lets it block, runs
// `misuse`, then releases it with main's own wait.
static int misuse_while_blocked(void (*misuse)(void)) {
  pthread_barrier_init(&barrier, NULL, 2);
  pthread_t waiter;
  pthread_create(&waiter, NULL, blocked_waiter, NULL);
  usleep(200 * 1000);  // not for correctness: only so that the tool sees it blocked
  misuse();
  pthread_barrier_wait(&barrier);
  pthread_join(waiter, NULL);
  return 0;
}

static int unrelated_value;
static pthread_barrier_t first_barrier, second_barrier;
/* Orders the second thread's wait after the first thread's rounds in real
 * time, so that every edge the first barrier announced exists before the
 * second barrier's departure; a pipe, which the tools do not take for
 * synchronisation: the race stays a race for them. */
static int runner_done[2];

static void *long_runner(void *unused)
{
    (void)unused;
    unrelated_value = 1;
    for (int r = 0; r < rounds; ++r) pthread_barrier_wait(&first_barrier);
    if (write(runner_done[1], "x", 1) != 1) abort();
    return NULL;
}

static void *one_waiter(void *unused)
{
    (void)unused;
    char byte;
    if (read(runner_done[0], &byte, 1) != 1) abort();
    pthread_barrier_wait(&second_barrier);
    printf("unrelated value: %d\n", unrelated_value);
    return NULL;
}

static int unrelated_barriers(void)
{
    if (pipe(runner_done) != 0) return 1;
    pthread_barrier_init(&first_barrier, NULL, 1);
    pthread_barrier_init(&second_barrier, NULL, 1);
    pthread_t first, second;
    pthread_create(&first, NULL, long_runner, NULL);
    pthread_create(&second, NULL, one_waiter, NULL);
    pthread_join(first, NULL);
    pthread_join(second, NULL);
    pthread_barrier_destroy(&first_barrier);
    pthread_barrier_destroy(&second_barrier);
    return 0;
}

static void init_again(void) { (void)pthread_barrier_init(&barrier, NULL, 2); }
static void destroy_now(void) { (void)pthread_barrier_destroy(&barrier); }

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MODE THREADS ROUNDS\n", argv[0]);
    return 2;
  }
  mode = argv[1];
  threads = atoi(argv[2]);
  rounds = atoi(argv[3]);
  Dl_info info;
  void* bound = dlsym(RTLD_DEFAULT, "pthread_barrier_wait");
  printf("pthread_barrier_wait: %s\n",
         bound != NULL && dladdr(bound, &info) && info.dli_fname ? info.dli_fname : "?");
  fflush(stdout);
  if (strcmp(mode, "init-in-use") == 0) return misuse_while_blocked(init_again);
  if (strcmp(mode, "destroy-in-use") == 0) return misuse_while_blocked(destroy_now);
  if (strcmp(mode, "unrelated-barriers") == 0) return unrelated_barriers();
  if (strcmp(mode, "wait-destroyed") == 0) {
    pthread_barrier_init(&barrier, NULL, 1);
    pthread_barrier_destroy(&barrier);
    (void)pthread_barrier_wait(&barrier);  // EINVAL with the shim; glibc: undefined
    return 0;
  }
  if (threads < 2 || rounds < 1) return 2;
  cells = calloc(rounds, sizeof(int));
  pthread_barrier_init(&barrier, NULL, threads);
  pthread_t ids[64];
  if (threads > 64) return 2;
  for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, participant, (void*)(long)t);
  for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
  pthread_barrier_destroy(&barrier);
  free((void*)cells);
  return 0;
}
