// The two ways a waiter waits; barrier_wait.cc picks one per barrier.
#pragma once

#include "barrier_object_access.h"

namespace bshim {

// Barriers with a wake slot (private ones, and process-shared ones in private
// memory): after the arrival, nothing but the slot is touched, so the
// barrier's memory may be released by any means.
int wait_on_wake_slot(BarrierObject* object, const BarrierConstants& constants,
                      WakeSlot& slot);

// Process-shared barriers in shared memory (and barriers without a slot):
// waiters poll and sleep on the object itself, inside exit windows of the
// unmap lock.
int wait_on_object(BarrierObject* object, const BarrierConstants& constants);

}  // namespace bshim
