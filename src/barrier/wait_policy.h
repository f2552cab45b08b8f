// The waiting policy: how long a waiter spins and yields before it sleeps.
//
// Every tunable number of the barrier lives here. A waiter goes through up to
// three phases, each bounded:
//   0. poll a few times, inlined into the wait: a balanced round usually
//      completes within a few hundred nanoseconds of the arrival, and a call
//      into the adaptive phases costs more than that on the critical path
//      of the round (doc/performance.md, issue 16);
//   1. spin with cpu_relax(), only when all participants can run at once
//      (kFlagSpin: count <= CPUs in the initialiser's affinity mask), since a
//      spinner that occupies the CPU a late participant needs only delays it;
//   2. sched_yield(), a few times, which lets a runnable participant on this
//      CPU reach the barrier without a futex round trip (none for a while
//      when the yields keep handing the CPU to a thread that does not wait
//      here, or, real-time, run nobody: below);
//   3. FUTEX_WAIT, until the round's last arriver wakes it.
//
// The spin budget adapts per barrier (wake-slot path) or per thread (object
// path) to what recent rounds needed: a round that used most of the budget
// lets it grow to twice the spin it took; a round that had to yield or sleep
// halves it, unless it completed soon after the spin gave up and the waiter
// did not sleep in the round before (late rounds, LastSleep, below); quick
// rounds, those of phase 0 included, bring a shrunken budget gently back to
// the initial one. It stays between the configured minimum
// and maximum, so a balanced program spins long enough never to sleep, and a
// program whose rounds wait on a slow participant stops burning a core per
// waiter.
//
// Environment overrides, read once at load time (for experiments):
//   BARRIER_SHIM_SPIN_NS      initial spin budget      (default 50000)
//   BARRIER_SHIM_SPIN_MIN_NS  smallest adaptive budget (default 5000)
//   BARRIER_SHIM_SPIN_MAX_NS  largest adaptive budget  (default 2000000)
//   BARRIER_SHIM_YIELDS       sched_yield calls before sleeping (default 32)
#pragma once

#include <sched.h>

#include <cstdint>

#include "contract/barrier_layout.h"
#include "os/monotonic_clock.h"
#include "os/realtime_policy.h"

namespace bshim {

struct WaitPolicy {
  // Budgets in cpu_relax() iterations; configure_wait_policy() converts the
  // nanosecond settings with the measured cost of one iteration.
  uint32_t initial_spin_iterations;
  uint32_t min_spin_iterations;
  uint32_t max_spin_iterations;
  uint32_t yield_iterations;
  // Phase 0: polls before the adaptive phases, on barriers that may spin;
  // kQuickPollNs worth, never more than the smallest spin budget (0 when
  // spinning is switched off by BARRIER_SHIM_SPIN_MIN_NS=0).
  uint32_t quick_polls;
  // What one cpu_relax() iteration costs, in nanoseconds (at least 1).
  uint32_t relax_ns;
};

// Phase 0's length: a round of 2-16 balanced members completes well within
// it (90-1600 ns per round measured, doc/performance.md), and a waiter that
// the adaptive policy would send to sleep at once wastes at most this.
inline constexpr uint64_t kQuickPollNs = 1'000;

// Defaults, in nanoseconds. 50 us covers the arrival skew of a balanced round
// on a loaded machine (measured, doc/performance.md: budgets below the skew make one
// sleeper delay the next round, and budgets of 20 us and more reached the
// floor); 5 us keeps an imbalanced program's waste near one futex round trip;
// 2 ms is where spinning stops paying against a sleep-and-wake (~40 us on a
// VM) even for long, regular waits.
inline constexpr uint64_t kDefaultSpinNs = 50'000;
inline constexpr uint64_t kDefaultMinSpinNs = 5'000;
inline constexpr uint64_t kDefaultMaxSpinNs = 2'000'000;
// Enough yields for the descheduled participants of an oversubscribed round
// to run and arrive. Measured on 16 CPUs with 32 threads (bench-pthread,
// private-threads, 3 trials each): 0 or 8 yields left every round to futex
// sleeps, 31-34 us per round like glibc; 32, 128 and 512 gave 2.7-4.3 us.
// On 2 CPUs with 4 threads, 8 to 128 made no difference (4.9-5.1 us). When
// rounds keep ending in sleep anyway, the adaptive yield budget drops to one.
inline constexpr uint32_t kDefaultYields = 32;

// The policy in force. Constant after configure_wait_policy().
const WaitPolicy& wait_policy();

// Measures the cost of cpu_relax() and reads the environment overrides. Called
// once from the preload constructor; without it the defaults apply, assuming
// 25 ns per iteration. Not async-signal-safe (getenv); never called by wait.
void configure_wait_policy();

// The adaptive step: the next budget after a wait that was satisfied after
// `spun` iterations (`satisfied_by_spin`), or that had to yield or sleep.
uint32_t next_spin_budget(uint32_t budget, uint32_t spun, bool satisfied_by_spin);

// The budget after a round that completed while its waiter polled in phase
// 0, from `stored` (0: never adjusted, the initial one): a shrunken budget
// grows by an eighth towards the initial one, as after a quick spin, and any
// other stays. Phase 0 sees most rounds of a balanced program, so without
// this a budget that a few disturbances had halved to the minimum stayed
// there for good (the spin that would raise it hardly ever ran), and every
// later disturbance longer than the minimum sent a waiter to sleep.
inline uint32_t spin_budget_after_quick_round(uint32_t stored) {
  const uint32_t initial = wait_policy().initial_spin_iterations;
  if (stored == 0 || stored >= initial) return stored;
  const uint32_t grown = stored + stored / 8 + 1;
  return grown < initial ? grown : initial;
}

// Late rounds. A waiter whose spin of `spun_budget` iterations failed (0:
// it skipped the spin), which left the budget `halved`, saw its round
// complete `waited_ns` later, yielding or asleep. A round whose whole wait
// (the spin and the rest) fits in half the initial budget was only a little
// late: the yields or the sleep and wake-up cost more than spinning on
// would have (a wake-up's latency lands on the round: 4-16 us on the 2-CPU
// VM), and halving again would make the next such round sleep too. The
// budget becomes twice the whole wait instead (so at most the initial
// budget). Why it matters: a woken member arrives late in the next round by
// its wake-up's latency, so once the budget is below that latency, each
// round's sleeper sends a waiter of the next round to sleep (a convoy:
// 4000-5000 sleeps in 200 ms of a balanced 2-thread benchmark, issue 16).
// A round later than that keeps the halved budget: a budget that could not
// cover its wait would only add a failed spin to every such round. Why half
// and not the whole initial budget: a waiter that slept arrives late itself
// by its wake-up's latency, so the wait it measures in the next round is
// that much shorter than the slow member's lateness. With the whole initial
// budget as the limit, a member late by a little more than it (55-70 us)
// measured 40-55 us, the raised budget covered the next (shortened) wait,
// that spin doubled the budget past the lateness, and the partner then spun
// through every round instead of sleeping: 4 times the CPU per round of
// the halving it replaced, at 2 threads or processes on 2 CPUs.
uint32_t spin_budget_after_late_round(uint32_t halved, uint32_t spun_budget, uint64_t waited_ns);

// The round this thread last slept in, and the barrier's wake slot or object
// it slept on (null: none yet). A waiter that slept in the round just
// before arrived late itself, by its own wake-up's latency, and measures
// this round's wait that much short: a late round then says nothing about
// its members, and leaves the halved budget. Without this, a member late by
// a little more than the late-round limit (55 us, by busy-waiting) was
// measured under it often enough that its partner's budget was raised, a
// spin then covered the next wait and doubled the budget past the lateness,
// and the partner spun through every round: 33-55 us of CPU per round
// against 12-16 us with halving (glibc 6.5). Of 6 runs at 55 us, threads
// locked in so in 2 without this rule and none with it, processes in 6 and
// 3: the rest comes from the doubling after a spin that used most of its
// budget (doc/performance.md). In a convoy the waiter did not sleep in the
// round before (it was that round's late completer), so convoys are still
// broken. Written on the sleep path only, after the round is over, and plain:
// only its own thread reads or writes it, so nothing needs ordering. `where`
// is compared, never dereferenced: by then an object may be unmapped or
// reused (wait_on_object.cc, rule 2). A wrong record (a signal handler's wait
// nested in a wait overwrote it or left it half-written, a fork child
// inherited it, a new barrier lives at the same address) only keeps one late
// round's halved budget, or raises it as without this rule: a budget choice
// between the minimum and the maximum, never a wake-up.
struct LastSleep {
  const void* where;
  uint32_t round;
};
extern __thread LastSleep t_last_sleep __attribute__((tls_model("initial-exec")));

inline bool slept_in_round_before(const void* where, uint32_t round) {
  return t_last_sleep.where == where && next_round(t_last_sleep.round) == round;
}

// Slow rounds in a row. A waiter that spun its minimum budget (it got
// there by halving after at least four waits that slept; a round that
// completed while spinning would have raised it) and then slept more than
// kSlowRoundNs waited for a slow round. When kSlowRoundsBeforeSpinless such
// rounds come one after the other, one participant is much later than the
// rest every round, and the minimum spin only burns CPU (about 5 us per
// waiter per round: skewed rounds cost 1.3-1.4x glibc's CPU at 2 members
// here, 2-2.5x at 4-16 processes on 16 cores, issue 16). Waiters of the
// next rounds then skip the spin (phase 0's short poll still runs) and sleep
// at once, for as long as each sleep turns out long again: a round that
// completes within phase 0 leaves the record alone (and after
// kSpinlessRounds of them skipping ends), one whose sleep was short starts
// the count over, and the waiters spin again.
//
// Why the sleep's length and not only that it slept: once the budget is at
// its minimum, waking a sleeper takes longer on a VM (tens of us) than the
// minimum spin, so the woken member's next arrival comes late, its partner
// sleeps in turn, and a balanced program can sleep round after round for a
// while (a convoy); skipping the spin there made it sleep 3-4 times as often.
// Its sleeps are wake-up latencies, far below kSlowRoundNs. Kept per budget
// owner: the wake slot (the barrier) or, on the object path, the thread.
inline constexpr uint32_t kSlowRoundsBeforeSpinless = 8;
inline constexpr uint32_t kSpinlessRounds = 15;
inline constexpr uint64_t kSlowRoundNs = 250'000;

struct SlowRounds {
  uint32_t last;      // the latest slow round (kNeverRound: none yet)
  uint32_t in_a_row;  // slow rounds in a row up to `last`
};

// Rounds from `earlier` to `later`, modulo the round space (one more across
// the wrap, where next_round skips kNeverRound: harmless here).
inline uint32_t rounds_between(uint32_t earlier, uint32_t later) {
  return (later - earlier) & kRoundMask;
}

// Whether a waiter of `round` skips the spin.
inline bool skips_spin(const SlowRounds& slow, uint32_t round) {
  if (slow.in_a_row < kSlowRoundsBeforeSpinless) return false;
  const uint32_t distance = rounds_between(slow.last, round);
  return distance >= 1 && distance <= kSpinlessRounds;
}

// Whether a waiter that is about to sleep after spinning `budget`
// iterations (or skipping the spin) times its sleep for the record.
inline bool times_its_sleep(uint32_t budget, bool skipped_spin) {
  return skipped_spin || budget <= wait_policy().min_spin_iterations;
}

// The record after a spin that saw its round complete.
inline SlowRounds after_completed_spin(SlowRounds slow) { return {slow.last, 0}; }

// The record after a timed sleep of `slept_ns` in `round`.
inline SlowRounds after_timed_sleep(SlowRounds slow, uint32_t round, uint64_t slept_ns) {
  if (slept_ns < kSlowRoundNs) return {slow.last, 0};
  if (round == slow.last) return slow;  // another waiter of this round counted it
  return {round, round == next_round(slow.last) ? slow.in_a_row + 1 : 1};
}

// How many sched_yield() calls come before sleeping. When all participants
// can run at once and the spin budget has shrunk to its minimum, recent rounds
// all ended in sleep (one participant is slow): yielding would only burn CPU,
// so the waiter sleeps at once. Otherwise the adaptive yield budget.
inline uint32_t yields_before_sleeping(bool spins, uint32_t spin_budget, uint32_t yield_budget) {
  const WaitPolicy& policy = wait_policy();
  if (spins && spin_budget <= policy.min_spin_iterations) return 0;
  return yield_budget;
}

// A real-time waiter's yield that comes back sooner than this ran no other
// thread: a yield that does not switch takes about 0.5 us on the 2-CPU VM
// (FIFO, nothing else runnable), one that lets a peer run and comes back
// takes two context switches at least.
inline constexpr uint64_t kYieldThatRanNobodyNs = 2'000;

// Real-time waiters: a quick yield ran nobody. sched_yield lets only
// threads of the waiter's own real-time priority run, so a real-time waiter
// whose participant of lower priority is runnable on its CPU gets the CPU
// straight back, and its yields only keep that participant off the CPU
// (pi_stress of rt-tests lost up to 30% of its inversions to them): such a
// yield, quick, ends the phase. Peers of equal real-time priority that
// outnumber the CPUs do run in its yields (slow ones), and keep meeting
// without a futex round trip, as SCHED_OTHER waiters do
// (os/realtime_policy.h says whether it is real-time).
//
// A quick yield still costs a system call per wait (about 0.5 us: 16% of
// pi_stress's inversions), so after kQuickYieldsInARow quick ones in a row
// (across waits; a slow one resets the run) the thread's next
// kRealtimeWaitsWithoutYields waits sleep without yielding at all, and the
// wait after them probes again. One quick yield is not enough: peers of
// equal priority that outnumber the CPUs meet a quick yield now and then
// (its CPU's peer was asleep), and skipping on every one let their rounds
// fall into sleeping for good (4 FIFO threads on 2 CPUs: 2.3 us per round,
// 51 us with skips after any quick yield; glibc 36 us).
inline constexpr uint32_t kQuickYieldsInARow = 3;
inline constexpr uint32_t kRealtimeWaitsWithoutYields = 15;

// SCHED_OTHER waiters: a long yield ran a time slice of a thread that does
// not wait here. A yield that lets a participant run comes back when that
// participant waits in turn: within a few microseconds when it only
// arrives (4 threads on 2 CPUs meet in 2.2-2.7 us a round), after its work
// when it computes between waits; either way a sleeper would not have been
// woken sooner. One that comes back after more than kLongYieldNs ran
// something else for a while: a CPU-bound thread or process sharing the CPU
// gets a whole time slice from every yield (EEVDF pushes the yielder's
// deadline back by a slice; 1.5-4 ms here), while the last arrival's
// wake-up puts a sleeper back at once. The limit sits below the slice and
// above the work of most barrier programs' rounds: at 50 us, members that
// compute between waits were taken for outsiders and slept in most waits
// (4 on 2 CPUs computing 100, 200 and 500 us: 235, 435 and 1040 us a round
// instead of 205, 405 and 1010; glibc 435 at 200 us); at 500 us, yields
// spanning two members' 200 us still made a third of the waits sleep in
// half the runs. Members that compute 1 ms or more between waits are still
// taken for outsiders (2 ms, at the 50 us limit: 4130 us a round instead
// of 4000). Measured on the 2-CPU VM (Linux 6.18), two members and a busy
// thread on one CPU: 710 us per round, every wait yielding into the busy
// thread's slice, against glibc's 7-14 us (it sleeps at once). So a
// long yield ends the wait's yield phase (it sleeps now), and when 2 of the
// thread's last 16 yields were long, its next waits skip the phase
// altogether and sleep after the spin: kLongYieldSkipFirst waits, twice as
// many after each further long yield (a probe at the end of each skip), up
// to kLongYieldSkipMost; 16 short yields in a row forget it all. One long
// yield alone is not enough: an interrupt or another process now and then
// makes one long where yielding pays (4 threads on 2 CPUs, 2.2-2.7 us a
// round: skipping after any long yield made some runs 3-7.6 us).
inline constexpr uint64_t kLongYieldNs = 1'000'000;
inline constexpr uint32_t kLongYieldsToSkip = 2;
inline constexpr uint32_t kYieldHistoryMask = 0xffff;  // the last 16 yields
inline constexpr uint32_t kLongYieldSkipFirst = 64;
inline constexpr uint32_t kLongYieldSkipMost = 4096;

// A thread's record of its SCHED_OTHER yields: bit i of `history` set if
// its (i+1)-th latest yield was long; `skip` the waits it skipped the yield
// phase for last time (0: none since history was last clear).
struct LongYields {
  uint32_t history;
  uint32_t skip;
};

// After a yield that took `long_yield` (more than kLongYieldNs) or not:
// updates the record, and returns the waits to skip the yield phase for
// from now on (0: go on as before).
inline uint32_t after_yield(LongYields& yields, bool long_yield) {
  yields.history = ((yields.history << 1) | (long_yield ? 1U : 0U)) & kYieldHistoryMask;
  if (yields.history == 0) yields.skip = 0;
  if (!long_yield || __builtin_popcount(yields.history) < kLongYieldsToSkip) return 0;
  yields.skip = yields.skip == 0 ? kLongYieldSkipFirst
                : yields.skip < kLongYieldSkipMost ? yields.skip * 2
                                                   : kLongYieldSkipMost;
  return yields.skip;
}

// This thread's waits left to skip the yield phase in (either rule above),
// its real-time quick yields in a row, and its record of SCHED_OTHER yields.
// Plain thread-locals: only their own thread reads or writes them. A signal
// handler's wait nested in a wait, or a fork child, may leave them as
// another wait had them: that costs yields or a sleep of at most
// kLongYieldSkipMost waits, never a wake-up.
extern __thread uint32_t t_waits_without_yields __attribute__((tls_model("initial-exec")));
extern __thread uint32_t t_quick_yields_in_a_row __attribute__((tls_model("initial-exec")));
extern __thread LongYields t_long_yields __attribute__((tls_model("initial-exec")));

// The yields a waiter tries in this wait: `yields`, or none within the
// waits that a rule above said to skip.
inline uint32_t yields_to_try(uint32_t yields) {
  // Read once: a signal handler's wait nested between a read and the
  // store may have set it meanwhile, and a second read could then count
  // down from 0 to four billion waits without yields.
  const uint32_t left = t_waits_without_yields;
  if (yields == 0 || left == 0) return yields;
  t_waits_without_yields = left - 1;
  return 0;
}

// One yield of the yield phase; false when yielding cannot help and the
// waiter should sleep now (the rules above). Two clock reads around each
// yield, a system call anyway.
inline bool yield_may_help(bool realtime) {
  const uint64_t before = monotonic_ns();
  sched_yield();
  const uint64_t took_ns = monotonic_ns() - before;
  if (!realtime) {
    const bool long_yield = took_ns >= kLongYieldNs;
    const uint32_t skip = after_yield(t_long_yields, long_yield);
    if (skip != 0) t_waits_without_yields = skip;
    return !long_yield;
  }
  if (took_ns >= kYieldThatRanNobodyNs) {
    t_quick_yields_in_a_row = 0;
    return true;
  }
  if (++t_quick_yields_in_a_row >= kQuickYieldsInARow) {
    t_quick_yields_in_a_row = 0;
    t_waits_without_yields = kRealtimeWaitsWithoutYields;
  }
  return false;
}

// The adaptive yield budget, for barriers with more participants than CPUs:
// a round that completed while yielding restores the full budget (yielding
// lets the descheduled participants run, several times cheaper than a futex
// round trip); a round that still had to sleep lowers it by an eighth of the
// full budget, down to one probe. Steps of an eighth, not halving, keep the
// occasional sleeper of a balanced oversubscribed program from collapsing the
// budget (halving measured 10 us per round instead of 4 us at 4 threads on 2
// CPUs), while rounds that always sleep (a slow participant) stop yielding
// within eight rounds. The waiter checks its round after its last yield
// too: without that check a budget of one yield could never see a round
// complete while yielding and stayed at one for good, so a few slow rounds
// left a balanced oversubscribed barrier sleeping in most waits (4 threads
// on 2 CPUs after 12 rounds with a member 2 ms late: 4.4-18.6 us a round
// instead of 2.2 us, tests/behaviour/oversubscribed_barrier_yields_again_
// after_slow_rounds.c).
inline uint32_t next_yield_budget(uint32_t budget, bool satisfied_by_yield) {
  const uint32_t full = wait_policy().yield_iterations;
  if (satisfied_by_yield) return full;
  const uint32_t step = full / 8 > 0 ? full / 8 : 1;
  if (full == 0) return 0;
  return budget > step + 1 ? budget - step : 1;
}

// The CPUs this thread may run on (its affinity mask): how many (at least
// 1), and the lowest and highest of their numbers. A system call: used by
// init only, never by wait.
struct UsableCpus {
  unsigned count;
  unsigned lowest;
  unsigned highest;
};
UsableCpus usable_cpus();

}  // namespace bshim
