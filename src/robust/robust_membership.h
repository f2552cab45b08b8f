// Robust mode: survivors of a dead participant process get EOWNERDEAD instead
// of waiting for ever (BARRIER_SHIM_ROBUST=1, read at load time).
//
// Who is a participant: a process that has entered pthread_barrier_wait on
// the barrier at least once since its init ("joined"). Every robust barrier
// (process-shared, in shared memory) owns a System V semaphore set, created
// by init and removed by destroy, with two counters:
//   [kLiveMembers]   +1 per join, with SEM_UNDO: the kernel takes the +1 back
//                    when the joining process ends, however it ends;
//   [kJoinedMembers] +1 per join, without SEM_UNDO: never taken back.
// In one semop(2), so the pair moves atomically. A process has ended after
// joining exactly when joined > live; a waiter that sleeps in an incomplete
// round checks that every check interval and, if so, breaks the barrier
// (broken bit in the state word, barrier_layout.h) and wakes every sleeper.
//
// Why System V semaphores: the kernel's undo is the only death notice that
// needs no process to stay alive, no descriptor per participant in every
// other process, and no allocation by the shim after init (the kernel does
// allocate a small undo record on a process's first join; if that fails, the
// process stays unjoined: the wait goes on, that process's death is simply not
// detected). The idea: a System V semaphore whose SEM_UNDO adjustment the
// kernel reverts when a process dies (semop(2)).
//
// What cannot be detected: a process that dies before its first wait; a
// thread (not process) that ends; a participant that is alive but stuck or
// stopped (the watchdog reports those); a process whose join failed
// (EACCES: the semaphore is mode 0600, so only processes of the initialiser's
// user can join; ENOMEM; a full joined-barriers table, kJoinedTableSize).
// A participant that exits normally while others still wait breaks the
// barrier too: robust mode assumes the set of participant processes stays
// fixed from their first wait until destroy or re-init.
#pragma once

#include <cstdint>

namespace bshim {

struct RobustConfig {
  bool enabled = false;            // BARRIER_SHIM_ROBUST=1
  uint64_t bound_ns = 1'000'000'000;  // BARRIER_SHIM_ROBUST_MS: detection bound
  // How often a sleeper of a robust barrier checks the membership: a quarter
  // of the bound, leaving the rest for the wake-up and the breaking itself.
  uint64_t check_interval_ns = 250'000'000;
};

// Constant after configure_robust_mode(); disabled before it.
const RobustConfig& robust_config();

// Reads BARRIER_SHIM_ROBUST and BARRIER_SHIM_ROBUST_MS. Preload constructor
// only (getenv).
void configure_robust_mode();

// init: creates the semaphore set. 0 and the id, or an errno value for init
// to return (EAGAIN when the system is out of semaphores, ENOMEM, ...).
int create_membership(uint32_t* semaphore_id);

// destroy (and init over a live robust barrier): removes the set, and this
// process's record of having joined it. Errors are ignored: a set removed
// already needs nothing more.
void remove_membership(uint32_t semaphore_id);

// Every wait of a robust barrier, before arriving: joins this process the
// first time; later calls cost a look at a thread-local cache. Never fails
// the wait (see above for what an unsuccessful join means).
void join_membership(uint32_t semaphore_id);

// True iff a process that joined has ended since (joined > live). A removed
// set reads as "no": the barrier is gone and its round is over anyway.
bool membership_lost_a_member(uint32_t semaphore_id);

// How many processes other than this one have joined and are alive (live
// minus this process's own membership), or -1 if the set cannot be read.
// Zero proves that arrivals of other processes are of processes that died
// (a participant arrives only after joining; see above for failed joins).
int other_live_members(uint32_t semaphore_id);

// fork child: the child has not joined anything (SEM_UNDO adjustments are not
// inherited), whatever the parent's records say.
void forget_memberships_in_child();

}  // namespace bshim
