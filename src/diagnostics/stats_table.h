// The statistics table (BARRIER_SHIM_STATS), as it lies in memory and in its
// live file: the library counts into it, and both the report at exit and the
// renderer (barrier-shim-stats, for a process that ended without one or is
// still running) read it. One layout, one version: a file of another
// version is refused, not misread.
//
// The table is static memory of the library, page-aligned and a whole number
// of pages, so that the live file can be mapped over it (MAP_SHARED |
// MAP_FIXED, stats_file.h) at load time: the wait counts into it with the
// very instructions it used on private memory, and whatever becomes of the
// process, SIGKILL included, the file holds the counts up to its end.
//
// Rows are keyed by barrier address with open addressing; waits on barriers
// that find no free row go to `other_barriers`. Rows are per process: a
// process-shared barrier has a row in each process that used it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bshim {

inline constexpr char kStatsMagic[8] = {'B', 'S', 'H', 'I', 'M', 'S', 'T', 'A'};
inline constexpr uint32_t kStatsLayoutVersion = 1;
inline constexpr size_t kStatsRows = 256;
// Objects (the program, its libraries) that barriers were initialised from.
inline constexpr size_t kStatsObjects = 32;
inline constexpr size_t kStatsPathBytes = 1000;  // a longer path is cut
inline constexpr size_t kStatsPage = 4096;

// Invariants: `barrier` is 0 (free) or the address of the barrier the row
// counts; it changes from 0 once, by CAS, and back only when the table is
// reset. Each counter is a relaxed atomic, correct on its own; nothing
// orders one counter against another. A wait is counted, under exactly one
// outcome, when it returns: there is no separate count of waits, which
// are the sum of the outcomes (so they always add up).
// Two cache lines: a row's counters do not share a line with another's, and
// the wait finds a row with a shift (its stride is a power of two).
struct alignas(64) StatsRow {
  std::atomic<uint64_t> barrier;
  std::atomic<uint64_t> rounds;   // waits that completed their round (the last arriver)
  std::atomic<uint64_t> spun;     // released while spinning
  std::atomic<uint64_t> yielded;  // released while yielding
  std::atomic<uint64_t> slept;    // released after at least one futex sleep
  std::atomic<uint64_t> broken;   // robust mode: EOWNERDEAD
  std::atomic<uint64_t> longest_wait_ns;
  // Where the barrier was initialised (only with stats or the watchdog on):
  // the return address in the caller of pthread_barrier_init, and that
  // address less its object's load base, in objects[init_object - 1].
  std::atomic<uint64_t> init_site;
  std::atomic<uint64_t> init_offset;
  std::atomic<uint32_t> init_object;  // 0: not known
  std::atomic<uint32_t> inits;        // pthread_barrier_init calls at this address
  std::atomic<uint32_t> count;        // the count of the latest of them
  std::atomic<uint8_t> kinds;         // kKindPrivate | kKindShared, as waited on
  std::atomic<uint8_t> init_flags;    // kCountsDiffer | kSitesDiffer
};

inline constexpr uint8_t kKindPrivate = 1;
inline constexpr uint8_t kKindShared = 2;
inline constexpr uint8_t kCountsDiffer = 1;  // inits here gave different counts
inline constexpr uint8_t kSitesDiffer = 2;   // inits here came from different call sites

// An object file that barriers were initialised from. `ready` is set (release)
// once `load_base` and `path` are written, and never cleared; a reader
// ignores an entry that is not ready.
struct StatsObject {
  std::atomic<uint32_t> claimed;
  std::atomic<uint32_t> ready;
  uint64_t load_base = 0;
  char path[kStatsPathBytes] = {};
};

struct StatsUnmap {
  std::atomic<uint64_t> calls;           // wrapped unmap calls (and destroy's waits)
  std::atomic<uint64_t> waited;          // of those, how many found exit windows open
  std::atomic<uint64_t> total_wait_ns;   // time they spent waiting, summed
  std::atomic<uint64_t> longest_wait_ns;
};

// Written once per process (at load, or in a fork child) before any wait.
struct StatsHeader {
  char magic[8] = {};
  uint32_t version = 0;
  uint32_t table_bytes = 0;  // sizeof(StatsTable)
  uint32_t rows = 0;
  uint32_t row_bytes = 0;
  uint32_t objects = 0;
  uint32_t object_bytes = 0;
  int32_t pid = 0;
  std::atomic<uint32_t> report_written;  // 1 once the report at exit went out
  uint64_t started_unix_ns = 0;          // CLOCK_REALTIME at load (or fork)
  char program[kStatsPathBytes] = {};    // the main program's file
};

struct alignas(kStatsPage) StatsTable {
  StatsHeader header;
  StatsUnmap unmap;
  StatsRow rows[kStatsRows];
  StatsRow other_barriers;
  StatsObject objects[kStatsObjects];
};

static_assert(sizeof(StatsTable) % kStatsPage == 0, "the table is whole pages");
static_assert(sizeof(StatsRow) == 128, "a row is two cache lines");
static_assert(std::atomic<uint64_t>::is_always_lock_free &&
                  std::atomic<uint32_t>::is_always_lock_free &&
                  std::atomic<uint8_t>::is_always_lock_free,
              "the counters live in a file other processes read");

// True if `table` (of `size` bytes, from a file) is a table of this layout.
inline bool is_stats_table(const void* memory, size_t size) {
  if (size < sizeof(StatsTable)) return false;
  const StatsHeader& header = static_cast<const StatsTable*>(memory)->header;
  for (size_t i = 0; i < sizeof(kStatsMagic); ++i) {
    if (header.magic[i] != kStatsMagic[i]) return false;
  }
  return header.version == kStatsLayoutVersion && header.table_bytes == sizeof(StatsTable) &&
         header.rows == kStatsRows && header.row_bytes == sizeof(StatsRow) &&
         header.objects == kStatsObjects && header.object_bytes == sizeof(StatsObject);
}

// The process's table (wait_stats.cc).
extern StatsTable g_stats_table;

}  // namespace bshim
