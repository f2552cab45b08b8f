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
//  - Helgrind and DRD: the barrier itself, with the requests their own
//    wrappers of glibc's pthread_barrier_* make, at the same points (before
//    and after init, destroy and wait, whatever the outcome). Each tool then
//    runs its own barrier model, with round semantics: a thread that leaves
//    round r late is ordered after round r's arrivals only, never after
//    arrivals of round r+1, so the races of round r+1 are reported as under
//    glibc; and each tool's misuse checks (init over a barrier in use,
//    destroy while a thread waits, wait on a destroyed barrier, a count of 0)
//    see what they see under glibc. Helgrind's requests are public
//    (helgrind.h). DRD's barrier requests are internal to DRD
//    (drd/drd_clientreq.h in Valgrind's source: an enum at DRD's tool base
//    'D','r'); their numbers, and the arguments DRD's intercept passes, were
//    read from that header and checked against the installed DRD's own
//    wrapper of pthread_barrier_wait (Valgrind 3.19, disassembled:
//    0x4472002d before the call, 0x4472002e after). They are sent only when
//    the shim is built against Valgrind 3.16 or later headers; a DRD of a
//    release whose enum differs would misread them, so tests/tools compares
//    the counts on every build.
//  - TSan: a happens-before "send" (__tsan_release) on the barrier's tag
//    before a waiter arrives, and a "receive" (__tsan_acquire) after its wait
//    returned a completed round. A waiter may also receive sends of a later
//    round that came first: extra edges, never a false race.
//  - announce_internal_memory(p, n): p..p+n holds only the shim's atomic words
//    (a barrier object, the wake slot table, the unmap lock, the thread
//    records). Synchronisation
//    objects, not data: Helgrind and DRD stop checking the range.
//  - announce_destroyed_barrier(b): destroy gives a barrier's bytes back to
//    the program; the tools check them again, forgetting the shim's accesses.
//
// Tags (TSan). The happens-before edges are keyed by an address, and TSan
// drops what it knows about an address when its memory is freed or unmapped
// (measured: keyed by the barrier's own address, it reports races in
// tests/tools' release modes), which the program may do the instant its own
// wait returns, while other waiters have not yet received. So the tag is not the barrier's address but
// an element of a static table here, picked by hashing that address: it lives
// as long as the library. Two live barriers that share a tag get edges between
// each other too, which can hide a race between their users, never report one.
//
// Cost outside the tools: about twenty instructions per request, on
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

#include <pthread.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "barrier/arrival_tree.h"
#include "barrier/wake_slots.h"
#include "contract/barrier_layout.h"
#include "unmap_lock/unmap_lock.h"
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
// The two tools' "clean memory" requests are the same number: one request
// serves both. (The two headers declare them in different enums: compared as
// numbers.)
static_assert(unsigned{VG_USERREQ__HG_CLEAN_MEMORY} == unsigned{VG_USERREQ__DRD_CLEAN_MEMORY});

// One client request; a tool that does not know its number ignores it
// (Helgrind those outside its base 'H','G', DRD those it does not handle).
inline void valgrind_request(unsigned request, const void* first, uintptr_t second = 0,
                             uintptr_t third = 0, uintptr_t fourth = 0) {
  VALGRIND_DO_CLIENT_REQUEST_STMT(request, first, second, third, fourth, 0);
}

#if __VALGRIND_MAJOR__ > 3 || (__VALGRIND_MAJOR__ == 3 && __VALGRIND_MINOR__ >= 16)
#define BSHIM_DRD_BARRIER_REQUESTS 1
// DRD's barrier requests (see the top of this file): positions 41 to 44 of
// the enum at its tool base, and the barrier type DRD's pthread intercepts
// pass (1: a POSIX barrier, 2: a GNU OpenMP one).
inline constexpr unsigned kDrdRequestBase = VG_USERREQ_TOOL_BASE('D', 'r');
inline constexpr unsigned kDrdPreBarrierInit = kDrdRequestBase + 41;
inline constexpr unsigned kDrdPostBarrierInit = kDrdRequestBase + 42;
inline constexpr unsigned kDrdPreBarrierDestroy = kDrdRequestBase + 43;
inline constexpr unsigned kDrdPostBarrierDestroy = kDrdRequestBase + 44;
inline constexpr uintptr_t kDrdPosixBarrier = 1;
// DRD 3.19's own wrapper of pthread_barrier_wait sends position 45 as
// 0x4472002d: the base and the positions agree with the installed DRD.
static_assert(kDrdRequestBase + 45 == 0x4472002dU, "DRD's tool base");
#else
#define BSHIM_DRD_BARRIER_REQUESTS 0
#endif
#endif

// Names of happens-before edges: only the addresses of the elements are used
// (never their contents), so the table costs no memory that is ever touched.
struct SyncTag {
  uint64_t never_accessed;
};
inline constexpr size_t kSyncTagCount = 16384;
// Round tags: each barrier hashes to a bucket of kRoundTags consecutive
// tags, one per round modulo kRoundTags. A late leaver of round r receives
// on r's tag while the others can have arrived in r+1 and sent on the tags
// of r+1 and r+2 (r+2 cannot open before this leaver arrives in r+1), so
// four tags keep the rounds apart; and a barrier that runs for ever still
// touches only its own four (one tag per round number over the whole table,
// as an earlier version had, gave every other barrier's departures the
// history of a long-running one, which hid their races: review, 1 -> 0).
inline constexpr size_t kRoundTags = 4;
inline SyncTag g_sync_tags[kSyncTagCount];

// Whether this process runs under a Valgrind tool, read once by the
// library's constructor (a tool cannot attach later): the per-round edges
// cost a load and a branch outside the tools.
inline bool g_under_valgrind = false;

// The tag of round `round` of the barrier at `barrier`: consecutive rounds
// of one barrier get different tags, within the barrier's own bucket.
inline void* round_tag_of(const void* barrier, uint32_t round) {
  const uint64_t mixed =
      static_cast<uint64_t>(reinterpret_cast<uintptr_t>(barrier) >> 3) * 0x9e3779b97f4a7c15ULL;
  const size_t bucket = (mixed >> 50) % (kSyncTagCount / kRoundTags);
  return &g_sync_tags[bucket * kRoundTags + round % kRoundTags];
}

inline void* sync_tag_of(const void* barrier) {
  // Fibonacci hashing of the 8-aligned address; the top bits mix best.
  const uint64_t mixed =
      static_cast<uint64_t>(reinterpret_cast<uintptr_t>(barrier) >> 3) * 0x9e3779b97f4a7c15ULL;
  return &g_sync_tags[(mixed >> 50) % kSyncTagCount];
}

}  // namespace tool_detail

// pthread_barrier_init is about to run on `barrier` with `count`, whatever
// it will answer (Helgrind reports a count of 0 or a barrier still in use,
// DRD a re-initialisation, as their glibc wrappers make them).
inline void announce_init([[maybe_unused]] const void* barrier,
                          [[maybe_unused]] unsigned count) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_PTHREAD_BARRIER_INIT_PRE, barrier, count,
                                /*resizable=*/0);
#if BSHIM_DRD_BARRIER_REQUESTS
  tool_detail::valgrind_request(tool_detail::kDrdPreBarrierInit, barrier,
                                tool_detail::kDrdPosixBarrier, count, /*reinit=*/0);
#endif
#endif
}

// pthread_barrier_init returned.
inline void announce_init_done([[maybe_unused]] const void* barrier) {
#if BSHIM_VALGRIND_ANNOTATIONS && BSHIM_DRD_BARRIER_REQUESTS
  tool_detail::valgrind_request(tool_detail::kDrdPostBarrierInit, barrier,
                                tool_detail::kDrdPosixBarrier);
#endif
}

// pthread_barrier_destroy is about to run.
inline void announce_destroy([[maybe_unused]] const void* barrier) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_PTHREAD_BARRIER_DESTROY_PRE, barrier);
#if BSHIM_DRD_BARRIER_REQUESTS
  tool_detail::valgrind_request(tool_detail::kDrdPreBarrierDestroy, barrier,
                                tool_detail::kDrdPosixBarrier);
#endif
#endif
}

// pthread_barrier_destroy returned `result`. Helgrind and DRD forget a
// barrier at destroy, whatever it answers; with glibc a destroy of a barrier
// in use blocks, but the shim's answers EBUSY and the barrier lives on, so
// the tools are told it is still there (else the next wait of the program
// is reported as a wait on an uninitialised barrier by Helgrind, and aborts
// DRD). Their models then lack the thread still blocked in the round: the
// program's misuse has been reported already.
inline void announce_destroy_done([[maybe_unused]] const void* barrier,
                                  [[maybe_unused]] int result,
                                  [[maybe_unused]] unsigned count) {
#if BSHIM_VALGRIND_ANNOTATIONS
#if BSHIM_DRD_BARRIER_REQUESTS
  tool_detail::valgrind_request(tool_detail::kDrdPostBarrierDestroy, barrier,
                                tool_detail::kDrdPosixBarrier);
#endif
  if (result == EBUSY) {
    announce_init(barrier, count);
    announce_init_done(barrier);
    if (RUNNING_ON_VALGRIND) {
      VALGRIND_PRINTF_BACKTRACE(
          "barrier-shim: pthread_barrier_destroy(%p): a thread is blocked in an incomplete "
          "round: EBUSY, the barrier lives on\n",
          barrier);
    }
  }
#endif
}

// pthread_barrier_wait is about to run, before anything is checked: Helgrind
// reports a wait on a barrier it does not know as initialised, as with glibc.
inline void announce_wait([[maybe_unused]] const void* barrier) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_PTHREAD_BARRIER_WAIT_PRE, barrier);
#endif
}

// The wait found no live barrier and answers EINVAL. DRD is not told of the
// wait at all: DRD 3.19 aborts on an assertion when a wait names a barrier it
// does not know (with glibc too); a message with a backtrace says what
// happened instead (under any Valgrind tool; not counted as an error).
inline void announce_wait_on_dead_barrier([[maybe_unused]] const void* barrier) {
#if BSHIM_VALGRIND_ANNOTATIONS
  if (RUNNING_ON_VALGRIND) {
    VALGRIND_PRINTF_BACKTRACE(
        "barrier-shim: pthread_barrier_wait(%p): not a live barrier (never initialised, "
        "destroyed or overwritten): EINVAL\n",
        barrier);
  }
#endif
}

// A live barrier's wait is about to arrive: everything this thread did so far
// happens-before whatever any thread of the round it joins does after its
// wait returns. For DRD, an edge per round (DRD's own barrier model does not
// allow a destroy right after one's own wait, which POSIX and the shim do:
// tests/tools' release modes): sent on the tags of the round open now and of
// the next (which this arrival joins if the open round fills first: an extra
// edge, never a missing one), received at departure on the round joined. A
// thread that leaves round r late so receives nothing of round r+1. Helgrind
// sees these edges too (the same request numbers): they agree with its own
// barrier model. For TSan, one tag per barrier, as before.
// `arrival_word` is where the barrier counts its arrivals (its state word, or
// its wake slot's arrival word): the open round is read there.
inline void announce_arrival([[maybe_unused]] const BarrierObject* object,
                             [[maybe_unused]] const std::atomic<uint64_t>& arrival_word) {
#if BSHIM_VALGRIND_ANNOTATIONS
  if (tool_detail::g_under_valgrind) {
    // relaxed: a round number to name the tag; see above for a stale one.
    const uint32_t open_round = round_of(arrival_word.load(std::memory_order_relaxed));
    tool_detail::valgrind_request(_VG_USERREQ__HG_USERSO_SEND_PRE,
                                  tool_detail::round_tag_of(object, open_round));
    tool_detail::valgrind_request(_VG_USERREQ__HG_USERSO_SEND_PRE,
                                  tool_detail::round_tag_of(object, next_round(open_round)));
  }
#endif
#if BSHIM_TSAN_ANNOTATIONS
  if (__tsan_release != nullptr) __tsan_release(tool_detail::sync_tag_of(object));
#endif
}

// A live barrier's wait that joined `round` returns `result`. A completed
// round (0 or SERIAL): this thread receives the arrivals of every
// participant of the round.
inline void announce_departure([[maybe_unused]] const BarrierObject* object,
                               [[maybe_unused]] uint32_t round, int result) {
  if (result != 0 && result != PTHREAD_BARRIER_SERIAL_THREAD) return;
#if BSHIM_VALGRIND_ANNOTATIONS
  if (tool_detail::g_under_valgrind) {
    tool_detail::valgrind_request(_VG_USERREQ__HG_USERSO_RECV_POST,
                                  tool_detail::round_tag_of(object, round));
  }
#endif
#if BSHIM_TSAN_ANNOTATIONS
  if (__tsan_acquire != nullptr) __tsan_acquire(tool_detail::sync_tag_of(object));
#endif
}

// The range holds only the shim's atomic words: not checked from now on.
// (Helgrind checks it again once the memory is freed and allocated anew,
// DRD once it is freed or unmapped; announce_destroyed_barrier does it at
// destroy.)
inline void announce_internal_memory([[maybe_unused]] const void* start,
                                     [[maybe_unused]] size_t length) {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::valgrind_request(_VG_USERREQ__HG_ARANGE_MAKE_UNTRACKED, start, length);
  tool_detail::valgrind_request(VG_USERREQ__DRD_START_SUPPRESSION, start, length);
#endif
}

// A destroyed barrier's 32 bytes are the program's data again: checked from
// now on, as if freshly allocated by this thread, with the shim's earlier
// accesses forgotten (they were ordered by the shim's atomics, which the
// tools do not see: without the "clean", DRD reports the program's first
// write after destroy as racing with other waiters' arrivals); but for the
// 4 bytes of its futex word, which DRD keeps ignoring: a sleeper
// of the object path that wakes after the release lets the kernel read that
// word (FUTEX_WAIT), and Valgrind counts it as the sleeper's load, while the
// program may legally have destroyed and overwritten the memory already
// (wait_on_object.cc, rule 2). DRD reported such an overwrite as a conflict,
// once in a CI run of tools/drd/shared-munmap. (Turning DRD's load recording
// off around the sleep instead hid races in signal handlers that ran during
// it, and stayed off after a longjmp out of it: review 3.) The cost: a race of
// the program's own on those 4 bytes of reused memory goes unseen by DRD.
inline void announce_destroyed_barrier([[maybe_unused]] const BarrierObject* object) {
#if BSHIM_VALGRIND_ANNOTATIONS
  const char* start = reinterpret_cast<const char*>(object);
  const char* word = reinterpret_cast<const char*>(round_futex_word(object));
  const char* end = start + sizeof(BarrierObject);
  tool_detail::valgrind_request(_VG_USERREQ__HG_ARANGE_MAKE_TRACKED, start, end - start);
  tool_detail::valgrind_request(VG_USERREQ__DRD_FINISH_SUPPRESSION, start, word - start);
  tool_detail::valgrind_request(VG_USERREQ__DRD_FINISH_SUPPRESSION, word + sizeof(uint32_t),
                                end - word - sizeof(uint32_t));
  tool_detail::valgrind_request(VG_USERREQ__HG_CLEAN_MEMORY, start, end - start);
#endif
}

// True under Valgrind: its futex wrapper counts FUTEX_WAIT as a read of the
// word by the calling thread, so a sleeper that waits again after its round
// was released (wait_on_object.cc) would be reported racing with whoever
// reuses the memory; it reads through process_vm_readv instead, which
// Valgrind does not attribute to the barrier's memory.
inline bool futex_waits_count_as_reads() {
#if BSHIM_VALGRIND_ANNOTATIONS
  return tool_detail::g_under_valgrind;
#else
  return false;
#endif
}

// Once, from the library's constructor: the shim's static tables of atomic
// words that every wait uses. (Thread-local counters need nothing: one thread
// each. Tables that only diagnostics or robust mode use are not covered.)
inline void announce_internal_tables() {
#if BSHIM_VALGRIND_ANNOTATIONS
  tool_detail::g_under_valgrind = RUNNING_ON_VALGRIND != 0;
#endif
  // wake_slot(i) and wake_slot_owner(i) are elements i of two static arrays.
  announce_internal_memory(&wake_slot(0), kWakeSlotCount * sizeof(WakeSlot));
  announce_internal_memory(&wake_slot_owner(0), kWakeSlotCount * sizeof(WakeSlotOwner));
  // The arrival trees beside the slots (arrival_tree(i) is element i of a
  // third): init empties a tree that the slot's previous owner's arrivals
  // read without any edge the tools are told of.
  announce_internal_memory(&arrival_tree(0), kWakeSlotCount * sizeof(ArrivalTree));
  announce_internal_memory(&process_unmap_lock(), sizeof(UnmapLock));
  // The thread records and the counters beside them: one static table.
  announce_internal_memory(thread_record_table(),
                           kMaxThreadRecords * sizeof(ThreadRecord) + sizeof(uint64_t));
  announce_internal_memory(&untracked_windows(), sizeof(uint32_t));
}

}  // namespace bshim
