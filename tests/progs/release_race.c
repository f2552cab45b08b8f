/* release_race: the moment pthread_barrier_wait returns in one thread,
   that thread releases the barrier's memory (free, munmap, mmap over it,
   mremap, shmdt, madvise, overwrite, re-init) while the other waiters of
   the round are still leaving. Nobody may crash, hang, return early, or
   write into the released memory.

   Written like a legacy program: it uses only the POSIX barrier API.
   Every round:
     1. each process's steward (its thread 0) prepares fresh memory; the
        leader (process 0's steward) initialises a barrier there with
        count T*P;
     2. all T*P participants count their arrival and wait;
     3. the releaser releases the memory right after its wait returns;
     4. everybody meets at the test's own rendezvous in the control page,
        which is never released and is never a pthread_barrier;
     5. stewards check that nothing was written into released memory.
   Crashes and hangs are left to the watchdog. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "race_control.h"
#include "race_fault.h"
#include "race_memory.h"
#include "race_options.h"
#include "race_processes.h"
#include "race_report.h"

struct participant {
    int process;
    int thread;
};

static struct race_options options;
static struct race_control *control;
static pthread_barrierattr_t barrier_attr;
static unsigned parties; /* threads * procs: everyone in a round */
static int this_process;
static struct timespec started;

/* This process's memory for the current round (see race_memory.h). */
static struct round_memory memory;
/* Running total of this process's returns, to find its first thread back. */
static atomic_ulong returned_here;

/* Leader only. */
static unsigned long rounds_done;
static unsigned long window_covered;
static unsigned long window_entered;
static double last_progress; /* seconds since start */

static double seconds_since_start(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
}

static void stop_race(void)
{
    /* relaxed: written only before a round's start meeting and read after
       it; the meeting orders it. Nobody ever clears it. */
    atomic_store_explicit(&control->stop, true, memory_order_relaxed);
}

/* Steward of each process, before the round's start meeting. */
static void prepare_round(unsigned long round, bool leader)
{
    if (leader) {
        /* relaxed: set before some earlier meeting, which ordered it; one
           set after the last meeting is seen a round later. */
        bool failed = atomic_load_explicit(&control->failed, memory_order_relaxed);
        if ((failed && !options.keep_going) || round >= options.rounds ||
            seconds_since_start() >= options.seconds) {
            stop_race();
            return;
        }
    }
    if (!prepare_round_memory(&memory)) {
        report_failure(control, round, FAILURE_ERROR,
                       "could not get fresh memory for the barrier: %s", strerror(errno));
        stop_race();
        return;
    }
    if (round == 0)
        control->view_address[this_process] = (uintptr_t)memory.barrier;
    if (leader) {
        int error = pthread_barrier_init(memory.barrier, &barrier_attr, parties);
        if (error != 0) {
            report_failure(control, round, FAILURE_ERROR,
                           "pthread_barrier_init(count %u) returned %d (%s)", parties, error,
                           strerror(error));
            stop_race();
        }
    }
}

/* Who releases, given the order of returns and the wait's result. */
struct roles {
    bool destroys;
    bool releases;
};

static struct roles roles_of(unsigned long global_order, unsigned long local_order, int result)
{
    bool serial = result == PTHREAD_BARRIER_SERIAL_THREAD;
    bool the_releaser = options.releaser == RELEASER_SERIAL ? serial : global_order == 0;
    struct roles roles = {.destroys = options.destroy && the_releaser, .releases = the_releaser};
    /* Several processes: each releases its own view, as soon as its first
       thread is back. The destroyer must be the one that releases its
       process's view (destroying a view that a sibling thread may already
       have unmapped is the program's bug, not the barrier's): process 0's
       first thread back destroys, then unmaps, while the last leaver may be
       in another process. (The first thread back of all, used before, could
       lose the per-process election to a sibling, which unmapped the view
       under its destroy: EINVAL or SIGSEGV in the test, not in the shim.) */
    if (options.procs > 1 && release_is_per_view(options.release)) {
        roles.releases = local_order == 0;
        roles.destroys = options.destroy && roles.releases && this_process == 0;
    }
    return roles;
}

/* One participant's part of a round: arrive, wait, release if it is its
   turn, and check what it can see on its own. */
static void take_part(unsigned long round)
{
    const unsigned long everyone_so_far = (round + 1) * parties;
    pthread_barrier_t *barrier = memory.barrier; /* set before the start meeting */

    /* relaxed on purpose: only the barrier's own synchronisation makes the
       others' arrivals visible after the wait; a short count below means
       the barrier returned early or did not order memory. */
    atomic_fetch_add_explicit(&control->arrived, 1, memory_order_relaxed);
    int result = pthread_barrier_wait(barrier);
    /* relaxed: only the order of returns matters (an RMW chain is totally
       ordered); the end-of-round meeting orders the totals for the leader. */
    unsigned long global_order =
        atomic_fetch_add_explicit(&control->returned, 1, memory_order_relaxed) -
        (everyone_so_far - parties);
    /* relaxed: as above, within this process. */
    unsigned long local_order =
        atomic_fetch_add_explicit(&returned_here, 1, memory_order_relaxed) -
        round * (unsigned long)options.threads;

    struct roles roles = roles_of(global_order, local_order, result);
    /* relaxed: as for the snapshot below. */
    if (roles.releases &&
        atomic_load_explicit(&control->returned, memory_order_relaxed) < everyone_so_far)
        /* relaxed: read by the leader after the end-of-round meeting. */
        atomic_store_explicit(&control->entered_round, round + 1, memory_order_relaxed);
    int destroy_result = roles.destroys ? pthread_barrier_destroy(barrier) : 0;
    if (roles.releases) {
        release_round_memory(&memory, control, round);
        /* relaxed: a snapshot of how many have returned by now; coherence
           makes it no older than our own increment above. */
        if (atomic_load_explicit(&control->returned, memory_order_relaxed) < everyone_so_far)
            /* relaxed: read by the leader after the end-of-round meeting. */
            atomic_store_explicit(&control->covered_round, round + 1, memory_order_relaxed);
    }

    if (destroy_result != 0)
        report_failure(control, round, FAILURE_ERROR,
                       "pthread_barrier_destroy right after the wait returned %d (%s)",
                       destroy_result, strerror(destroy_result));
    if (result != 0 && result != PTHREAD_BARRIER_SERIAL_THREAD)
        report_failure(control, round, FAILURE_ERROR, "pthread_barrier_wait returned %d (%s)",
                       result, strerror(result));
    if (result == PTHREAD_BARRIER_SERIAL_THREAD)
        /* relaxed: totalled by the leader after the end-of-round meeting. */
        atomic_fetch_add_explicit(&control->serials, 1, memory_order_relaxed);
    /* relaxed: see the increment before the wait. */
    unsigned long arrived = atomic_load_explicit(&control->arrived, memory_order_relaxed);
    if (arrived < everyone_so_far)
        report_failure(control, round, FAILURE_EARLY,
                       "a wait returned before everyone had arrived: %lu of %u arrivals seen",
                       arrived - (everyone_so_far - parties), parties);
}

/* Leader, after everybody left the round: totals over all processes. */
static void check_round_totals(unsigned long round)
{
    const unsigned long everyone_so_far = (round + 1) * parties;
    /* relaxed, all three: written before the end-of-round meeting. */
    unsigned long serials = atomic_load_explicit(&control->serials, memory_order_relaxed);
    unsigned long returned = atomic_load_explicit(&control->returned, memory_order_relaxed);
    unsigned long covered = atomic_load_explicit(&control->covered_round, memory_order_relaxed);
    unsigned long entered = atomic_load_explicit(&control->entered_round, memory_order_relaxed);
    if (serials != round + 1)
        report_failure(control, round, FAILURE_SERIAL,
                       "%ld waits returned PTHREAD_BARRIER_SERIAL_THREAD, expected exactly 1",
                       (long)(serials - round));
    if (returned != everyone_so_far)
        report_failure(control, round, FAILURE_COUNT, "%lu of %u participants returned",
                       returned - (everyone_so_far - parties), parties);
    if (covered == round + 1)
        window_covered++;
    if (entered == round + 1)
        window_entered++;
    rounds_done = round + 1;
    /* relaxed: snapshots for status lines, which may be a round behind. */
    atomic_store_explicit(&control->rounds_published, rounds_done, memory_order_relaxed);
    atomic_store_explicit(&control->covered_published, window_covered, memory_order_relaxed);
    atomic_store_explicit(&control->entered_published, window_entered, memory_order_relaxed);
    if (options.progress_ms > 0) {
        double now = seconds_since_start();
        if (now - last_progress >= options.progress_ms / 1000.0) {
            last_progress = now;
            fault_write_status("progress");
        }
    }
}

static void *participant_main(void *argument)
{
    const struct participant *me = argument;
    const bool steward = me->thread == 0;
    const bool leader = steward && me->process == 0;
    for (unsigned long round = 0;; round++) {
        if (steward)
            prepare_round(round, leader);
        rendezvous_wait(&control->phase, parties);
        /* relaxed: set before the meeting just passed (prepare_round). */
        if (atomic_load_explicit(&control->stop, memory_order_relaxed))
            break;
        take_part(round);
        rendezvous_wait(&control->phase, parties);
        if (steward) {
            check_round_memory(&memory, control, round, leader);
            clean_round_memory(&memory);
        }
        if (leader)
            check_round_totals(round);
    }
    return NULL;
}

static void run_threads(void)
{
    pthread_t threads[RACE_MAX_THREADS];
    struct participant participants[RACE_MAX_THREADS];
    for (int t = 0; t < options.threads; t++) {
        participants[t] = (struct participant){.process = this_process, .thread = t};
        int error = pthread_create(&threads[t], NULL, participant_main, &participants[t]);
        if (error != 0) {
            say("release_race: cannot create thread %d: %s", t, strerror(error));
            exit(2);
        }
    }
    for (int t = 0; t < options.threads; t++)
        pthread_join(threads[t], NULL);
}

static const char *yes_no(bool value)
{
    return value ? "yes" : "no";
}

static bool view_addresses_differ(void)
{
    for (int p = 1; p < options.procs; p++)
        if (control->view_address[p] == control->view_address[0])
            return false;
    return true;
}

/* Process 0, after every process finished. Returns the exit status. */
static int final_report(void)
{
    /* Plain (seq_cst) loads from here on: every thread has been joined
       and every other process reaped, so nothing races with them. */
    unsigned long probes = atomic_load(&control->probes_at_released_address);
    unsigned long unmapped_by_free = atomic_load(&control->frees_that_unmapped);
    fault_write_status("RESULT");
    say("release_race: release=%s rounds=%lu window_covered=%lu window_entered=%lu "
        "probes_at_released_address=%lu",
        release_kind_name(options.release), rounds_done, window_covered, window_entered, probes);
    if (options.release == RELEASE_FREE_LARGE)
        say("release_race: free() unmapped the block in %lu of %lu rounds", unmapped_by_free,
            rounds_done);
    if (options.procs > 1)
        say("release_race: the processes mapped the barrier at %s addresses",
            view_addresses_differ() ? "distinct" : "the SAME");
    if (atomic_load(&control->failed)) {
        say("release_race: FAIL after %lu rounds (%u failure(s)); first: %s", rounds_done,
            atomic_load(&control->failures), control->first_failure);
        return 1;
    }
    if (options.release == RELEASE_FREE_LARGE && rounds_done > 0 && unmapped_by_free == 0) {
        say("release_race: FAIL free() never unmapped the large block: the case was not "
            "exercised");
        return 1;
    }
    say("release_race: PASS rounds=%lu window_covered=%lu", rounds_done, window_covered);
    return 0;
}

static bool set_up(void)
{
    control = create_race_control();
    if (!control)
        return false;
    pthread_barrierattr_init(&barrier_attr);
    if (options.pshared &&
        pthread_barrierattr_setpshared(&barrier_attr, PTHREAD_PROCESS_SHARED) != 0)
        return false;
    parties = (unsigned)(options.threads * options.procs);
    return setup_race_memory(&options, &barrier_attr);
}

static void race_status(struct line *line)
{
    append_race_status(line, control);
}

int main(int argc, char **argv)
{
    if (!parse_race_options(argc, argv, &options))
        return 2;
    if (!set_up()) {
        say("release_race: setup failed: %s", strerror(errno));
        return 2;
    }
    say("release_race: start release=%s destroy=%s pshared=%s threads=%d procs=%d "
        "releaser=%s rounds<=%lu seconds<=%g",
        release_kind_name(options.release), yes_no(options.destroy), yes_no(options.pshared),
        options.threads, options.procs,
        options.releaser == RELEASER_SERIAL ? "serial" : "first", options.rounds,
        options.seconds);
    clock_gettime(CLOCK_MONOTONIC, &started);
    fault_reporter_install("release_race", race_status); /* inherited by fork */

    this_process = start_processes(options.procs);
    if (this_process < 0) {
        say("release_race: fork failed: %s", strerror(errno));
        return 2;
    }
    select_memory_process(this_process);
    run_threads();
    if (this_process != 0)
        exit(0);
    if (!wait_for_processes()) {
        say("release_race: FAIL a forked process did not exit cleanly");
        return 1;
    }
    return final_report();
}
