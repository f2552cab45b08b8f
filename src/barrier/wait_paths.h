// The two ways a waiter waits; barrier_wait.cc picks one per barrier.
#pragma once

#include "barrier/barrier_object_access.h"
#include "contract/diagnostic_hooks.h"
#include "threads/thread_records.h"

namespace bshim {

// What a wait reports back to barrier_wait() for the diagnostics: how it
// ended, and (only when a diagnostic is on, else 0) when it began.
struct WaitRecord {
  const void* barrier = nullptr;  // the caller's pointer, for reports only
  uint64_t entered_ns = 0;
  WaitOutcome outcome = WaitOutcome::kCompletedRound;
  // This wait in its thread's record: the path tells it the round its
  // arrival joined (blocked_waiters.h reads it).
  TrackedWait* tracked = nullptr;
  // The round the arrival joined, once it has (race detectors' edges), and
  // its place in that round (1 = first; the profile).
  uint32_t round = kRoundNotArrived;
  uint32_t arrival = 0;
};

// Barriers with a wake slot: wait_on_wake_slot(), inlined from
// barrier/wait_on_wake_slot.h.

// Process-shared barriers in shared memory (and barriers without a slot):
// waiters poll and sleep on the object itself, inside exit windows of the
// unmap lock. Robust barriers (always on this path) may return EOWNERDEAD.
int wait_on_object(BarrierObject* object, const BarrierConstants& constants,
                   WaitRecord* record);
// The same wait without diagnostics, with its record and its entry in the
// thread's record (wait_around.h), with the path inlined into it.
int plain_wait_on_object(pthread_barrier_t* barrier, const BarrierConstants& constants);

// The calling thread's adaptive spin budget on the object path
// (wait_policy.h; 0: never adjusted, the initial one). For tests.
uint32_t object_path_spin_budget();
void set_object_path_spin_budget(uint32_t budget);

}  // namespace bshim
