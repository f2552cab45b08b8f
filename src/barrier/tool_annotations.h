// Telling race detectors what the shim synchronises: Valgrind's Helgrind and
// DRD (client requests) and ThreadSanitizer (its runtime's interface).
//
// Why they must be told. The tools learn about pthread_barrier_wait by
// intercepting glibc's: Helgrind and DRD redirect the functions of the object
// whose soname is libc.so.*, TSan's runtime defines its own interceptor. A
// program run with the shim binds the shim's definition instead (a preloaded
// object comes first in lookup order), so without these calls the tools see
//  - no synchronisation at the barrier: every value one thread writes before
//    the wait and another reads after it is reported as a data race;
//  - (Helgrind and DRD) the shim's own atomic words as plain memory accessed
//    by several threads without a lock: races inside the shim.
// TSan sees nothing of the shim's code at all (it is not instrumented), so
// for TSan only the first point applies.
//
// What the shim tells them:
//  - announce_arrival(barrier) before a waiter arrives, a happens-before
//    "send" on the barrier's tag, and announce_departure(barrier) after its
//    wait returned, the "receive". Every arrival of a round comes before the
//    round's release, which comes before every departure of the round, so each
//    departing thread receives every send of its round. It may also receive
//    sends of a later round that came first: extra edges, never a false race.
//  - announce_internal_memory(p, n): p..p+n holds only the shim's atomic words
//    (a barrier object, the wake slot table, the unmap lock, the thread
//    records). Synchronisation
//    objects, not data: Helgrind and DRD stop checking the range.
//  - announce_user_memory(p, n): destroy gives a barrier's 32 bytes back to
//    the program; the tools check them again, forgetting the shim's accesses.
//
// Tags. The happens-before edges are keyed by an address, and DRD and TSan
// drop what they know about an address when its memory is freed or unmapped
// (measured: keyed by the barrier's own address, both report races in
// tests/tools' release modes), which the program may do the instant its own
// wait returns, while other waiters have not yet received. So the tag is not the barrier's address but
// an element of a static table here, picked by hashing that address: it lives
// as long as the library. Two live barriers that share a tag get edges between
// each other too, which can hide a race between their users, never report one.
//
// Cost outside the tools: about twenty instructions per announcement, on
// registers and the thread's own stack, no atomic operation. A Valgrind client
// request is a fixed sequence (six stores to the stack, four register
// rotations that cancel out, an xchg of a register with itself; valgrind.h)
// that the tool recognises and the processor just executes; its "memory"
// clobber is a compiler barrier. The TSan hooks are a compare of a weak
// symbol's address with null: the references are weak and undefined, and the
// dynamic loader resolves them when it loads the library (GLOB_DAT
// relocations) to libtsan's definitions when the program links libtsan, and
// to null otherwise. Nothing here allocates, blocks or fails; all of it is
// async-signal-safe.
//
// What it gives up: under a tool, these edges stand in for the shim's own
// atomics, so a missing acquire or release inside the shim would go unseen
// there. The shim's ordering is checked elsewhere: the unit tests built with
// -fsanitize=thread, where the core is instrumented and everything below is
// compiled out (__SANITIZE_THREAD__), so TSan judges the real atomics.
// BSHIM_NO_TOOL_ANNOTATIONS compiles everything out as well: a build
// configured with -Dcpp_args=-DBSHIM_NO_TOOL_ANNOTATIONS shows what the tools
// report without it (meson test --suite tools there fails).
#pragma once

#include <cstddef>
#include <cstdint>

#include "unmap_lock/unmap_lock.h"
#include "barrier/wake_slots.h"
#include "threads/thread_records.h"

#if defined(BSHIM_NO_TOOL_ANNOTATIONS) || defined(__SANITIZE_THREAD__)
#define BSHIM_TSAN_ANNOTATIONS 0
#define BSHIM_VALGRIND_ANNOTATIONS 0
#else
#define BSHIM_TSAN_ANNOTATIONS 1
// Debian ships the headers with valgrind itself; without them, no requests.
#if __has_include(<valgrind/helgrind.h>) && __has_include(<valgrind/drd.h>)
#define BSHIM_VALGRIND_ANNOTATIONS 1
// Both headers together: drd.h redefines some of helgrind.h's ANNOTATE_*
// macros when both are included, so this file uses none of those macros, only
// the numbered requests below, whose meaning does not depend on the order.
#include <valgrind/drd.h>
#include <valgrind/helgrind.h>
#else
#define BSHIM_VALGRIND_ANNOTATIONS 0
#endif
#endif

#if BSHIM_TSAN_ANNOTATIONS
// libtsan's interface (sanitizer/tsan_interface.h): a release on an address
// happens-before every later acquire on the same address. Weak: null unless
// the program links libtsan.
extern "C" void __tsan_acquire(void* address) __attribute__((weak));
extern "C" void __tsan_release(void* address) __attribute__((weak));
#endif

namespace bshim {
namespace tool_detail {

#if BSHIM_VALGRIND_ANNOTATIONS
// Helgrind's user-defined happens-before requests and DRD's
// ANNOTATE_HAPPENS_BEFORE / _AFTER are the same request numbers, and so are
// the two tools' "clean memory" requests: one request serves both tools.
// (The two headers declare them in different enums: compared as numbers.)
static_assert(unsigned{_VG_USERREQ__HG_USERSO_SEND_PRE} ==
              unsigned{VG_USERREQ__DRD_ANNOTATE_HAPPENS_BEFORE});
static_assert(unsigned{_VG_USERREQ__HG_USERSO_RECV_POST} ==
              unsigned{VG_USERREQ__DRD_ANNOTATE_HAPPENS_AFTER});
static_assert(unsigned{VG_USERREQ__HG_CLEAN_MEMORY} == unsigned{VG_USERREQ__DRD_CLEAN_MEMORY});

// One client request; a tool that does not know its number ignores it.
inline void valgrind_request(unsigned request, const void* first, size_t second = 0) {
  VALGRIND_DO_CLIENT_REQUEST_STMT(request, first, second, 0, 0, 0);
}
#endif

// Names of happens-before edges: only the addresses of the elements are used
// (never their contents), so the table costs no memory that is ever touched.
struct SyncTag {
  uint64_t never_accessed;
};
inline constexpr size_t kSyncTagCount = 1024;
inline SyncTag g_sync_tags[kSyncTagCount];

inline void* sync_tag_of(const void* barrier) {
  // Fibonacci hashing of the 8-aligned address; the top 10 bits mix best.
  const uint64_t mixed =
      static_cast<uint64_t>(reinterpret_cast<uintptr_t>(barrier) >> 3) * 0x9e3779b97f4a7c15ULL;
  return &g_sync_tags[(mixed >> 54) % kSyncTagCount];
}

}  // namespace tool_detail

// Before this thread's arrival: everything it did so far happens-before
// whatever any thread of this round does after its wait returns.
inline void announce_arrival([[maybe_unused]] const void* barrier) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_USERSO_SEND_PRE,
                                tool_detail::sync_tag_of(barrier));
#endif
#if BSHIM_TSAN_ANNOTATIONS
  if (__tsan_release != nullptr) __tsan_release(tool_detail::sync_tag_of(barrier));
#endif
}

// After this thread's wait returned a round's completion (0 or SERIAL): it
// receives the arrivals of every participant of the round.
inline void announce_departure([[maybe_unused]] const void* barrier) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_USERSO_RECV_POST,
                                tool_detail::sync_tag_of(barrier));
#endif
#if BSHIM_TSAN_ANNOTATIONS
  if (__tsan_acquire != nullptr) __tsan_acquire(tool_detail::sync_tag_of(barrier));
#endif
}

// The range holds only the shim's atomic words: not checked from now on.
// (Helgrind checks it again once the memory is freed and allocated anew,
// DRD once it is freed or unmapped; announce_user_memory does it at destroy.)
inline void announce_internal_memory([[maybe_unused]] const void* start,
                                     [[maybe_unused]] size_t length) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_ARANGE_MAKE_UNTRACKED, start, length);
  tool_detail::valgrind_request(VG_USERREQ__DRD_START_SUPPRESSION, start, length);
#endif
}

// The range is the program's data again (a destroyed barrier): checked from
// now on, as if freshly allocated by this thread, with the shim's earlier
// accesses forgotten. They were ordered by the shim's atomics, which the
// tools do not see: without the "clean", DRD reports the program's first
// write after destroy as racing with other waiters' arrivals.
inline void announce_user_memory([[maybe_unused]] const void* start,
                                 [[maybe_unused]] size_t length) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_ARANGE_MAKE_TRACKED, start, length);
  tool_detail::valgrind_request(VG_USERREQ__DRD_FINISH_SUPPRESSION, start, length);
  tool_detail::valgrind_request(VG_USERREQ__HG_CLEAN_MEMORY, start, length);
#endif
}

// Once, from the library's constructor: the shim's static tables of atomic
// words that every wait uses. (Thread-local counters need nothing: one thread
// each. Tables that only diagnostics or robust mode use are not covered.)
inline void announce_internal_tables() {
  // wake_slot(i) is element i of one static array.
  announce_internal_memory(&wake_slot(0), kWakeSlotCount * sizeof(WakeSlot));
  announce_internal_memory(&process_unmap_lock(), sizeof(UnmapLock));
  // The thread records and the counters beside them: one static table.
  announce_internal_memory(thread_record_table(),
                           kMaxThreadRecords * sizeof(ThreadRecord) + sizeof(uint64_t));
  announce_internal_memory(&untracked_windows(), sizeof(uint32_t));
}

}  // namespace bshim
