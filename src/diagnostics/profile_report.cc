// The imbalance profile's report, written once at exit from the recorded
// waits (profile.h): a summary table and a timeline in the Trace Event
// Format. Here, unlike in a wait, memory may be allocated and stdio used.
//
// What the two times of a wait are. Within a round, the last arriver's entry
// is when the round could complete. For every wait of the round:
//  - waiting for the last arriver = last arrival - this wait's entry (the
//    program's load imbalance; 0 for the last arriver itself);
//  - release latency = this wait's return - last arrival (the barrier's own
//    cost: the release, the wake-up, the way out).
// When the last arriver of a round is in another process (a process-shared
// barrier), this process does not know its time: the earliest return of the
// round here stands in for it (a little late: the release latency of that
// wait counts as imbalance). scripts/barrier-profile merges the processes'
// timelines and computes it exactly.
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "diagnostics/elf_symbols.h"
#include "diagnostics/profile.h"
#include "diagnostics/text_buffer.h"

namespace bshim {
namespace {

const char* outcome_name(uint8_t outcome) {
  switch (static_cast<WaitOutcome>(outcome)) {
    case WaitOutcome::kCompletedRound: return "completed";
    case WaitOutcome::kSpun: return "spun";
    case WaitOutcome::kYielded: return "yielded";
    case WaitOutcome::kSlept: return "slept";
    case WaitOutcome::kBroken: return "broken";
  }
  return "?";
}

// A recorded wait and what the report derives for it.
struct Wait {
  const ProfileEvent* event;
  uint64_t waiting_ns;  // for the last arriver
  uint64_t release_ns;  // from the last arrival to the return
  bool last;
};

struct ThreadRow {
  uint64_t barrier;
  int32_t tid;
  uint64_t waits = 0, last = 0;
  uint64_t waiting_total = 0, waiting_max = 0;
  uint64_t release_total = 0, release_max = 0;
};

struct BarrierRow {
  uint64_t barrier;
  uint64_t rounds = 0, waits = 0, broken = 0;
  uint64_t waiting_total = 0, release_total = 0;
  std::vector<uint64_t> call_sites;  // distinct, at most kCallSites
};
constexpr size_t kCallSites = 4;

bool same_round(const ProfileEvent& a, const ProfileEvent& b) {
  return a.barrier == b.barrier && a.generation == b.generation && a.round == b.round;
}

// The waits, grouped by round, with their two times.
std::vector<Wait> derive_waits(const ProfileEvent* events, size_t count) {
  std::vector<const ProfileEvent*> sorted;
  sorted.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (events[i].tid != 0) sorted.push_back(&events[i]);
  }
  std::sort(sorted.begin(), sorted.end(), [](const ProfileEvent* a, const ProfileEvent* b) {
    if (a->barrier != b->barrier) return a->barrier < b->barrier;
    if (a->generation != b->generation) return a->generation < b->generation;
    if (a->round != b->round) return a->round < b->round;
    // Round numbers wrap after 2^31 rounds: within one number, by time.
    return a->entered_ns < b->entered_ns;
  });
  std::vector<Wait> waits;
  waits.reserve(sorted.size());
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin + 1;
    while (end < sorted.size() && same_round(*sorted[begin], *sorted[end])) ++end;
    // The last arrival: its entry, or the earliest return here.
    uint64_t last_ns = UINT64_MAX;
    const ProfileEvent* last = nullptr;
    for (size_t i = begin; i < end; ++i) {
      if (sorted[i]->arrival == sorted[i]->count) last = sorted[i];
    }
    if (last != nullptr) {
      last_ns = last->entered_ns;
    } else {
      for (size_t i = begin; i < end; ++i) last_ns = std::min(last_ns, sorted[i]->returned_ns);
    }
    for (size_t i = begin; i < end; ++i) {
      const ProfileEvent* event = sorted[i];
      Wait wait{event, 0, 0, event == last};
      if (last_ns > event->entered_ns) wait.waiting_ns = last_ns - event->entered_ns;
      const uint64_t from = std::max(last_ns, event->entered_ns);
      if (event->returned_ns > from) wait.release_ns = event->returned_ns - from;
      waits.push_back(wait);
    }
    begin = end;
  }
  return waits;
}

void print_seconds(std::FILE* out, uint64_t ns) {
  std::fprintf(out, "%12.6f", static_cast<double>(ns) / 1e9);
}

void print_call_site(std::FILE* out, SymbolLookup& symbols, uint64_t address) {
  const char* name = nullptr;
  size_t name_length = 0;
  uintptr_t offset = 0;
  Dl_info info{};
  const bool has_object = dladdr(reinterpret_cast<void*>(address), &info) != 0 &&
                          info.dli_fname != nullptr;
  if (symbols.find(address, 200, &name, &name_length, &offset)) {
    std::fprintf(out, "%.*s+0x%" PRIxPTR, static_cast<int>(name_length), name, offset);
  } else {
    std::fprintf(out, "0x%" PRIx64, address);
  }
  if (has_object) std::fprintf(out, " in %s", info.dli_fname);
}

void write_summary(std::FILE* out, const std::vector<Wait>& waits, uint64_t dropped) {
  std::vector<ThreadRow> threads;
  std::vector<BarrierRow> barriers;
  for (const Wait& wait : waits) {
    const ProfileEvent& event = *wait.event;
    auto thread = std::find_if(threads.begin(), threads.end(), [&](const ThreadRow& row) {
      return row.barrier == event.barrier && row.tid == event.tid;
    });
    if (thread == threads.end()) {
      threads.push_back(ThreadRow{event.barrier, event.tid, 0, 0, 0, 0, 0, 0});
      thread = threads.end() - 1;
    }
    ++thread->waits;
    thread->last += wait.last ? 1 : 0;
    thread->waiting_total += wait.waiting_ns;
    thread->waiting_max = std::max(thread->waiting_max, wait.waiting_ns);
    thread->release_total += wait.release_ns;
    thread->release_max = std::max(thread->release_max, wait.release_ns);
    auto barrier = std::find_if(barriers.begin(), barriers.end(),
                                [&](const BarrierRow& row) { return row.barrier == event.barrier; });
    if (barrier == barriers.end()) {
      barriers.push_back(BarrierRow{event.barrier, 0, 0, 0, 0, 0, {}});
      barrier = barriers.end() - 1;
    }
    ++barrier->waits;
    barrier->rounds += wait.last ? 1 : 0;
    barrier->broken += event.outcome == static_cast<uint8_t>(WaitOutcome::kBroken) ? 1 : 0;
    barrier->waiting_total += wait.waiting_ns;
    barrier->release_total += wait.release_ns;
    if (barrier->call_sites.size() < kCallSites &&
        std::find(barrier->call_sites.begin(), barrier->call_sites.end(), event.call_site) ==
            barrier->call_sites.end()) {
      barrier->call_sites.push_back(event.call_site);
    }
  }
  std::sort(threads.begin(), threads.end(), [](const ThreadRow& a, const ThreadRow& b) {
    return a.waiting_total + a.release_total > b.waiting_total + b.release_total;
  });
  std::fprintf(out, "barrier-shim: profile of process %d: %zu waits recorded, %" PRIu64
               " more counted only (the table was full)\n", static_cast<int>(getpid()),
               waits.size(), dropped);
  std::fprintf(out,
               "%-18s %8s %8s %8s  %-38s  %-38s\n", "barrier", "thread", "waits", "last",
               "waiting for the last (s: total mean max)", "release latency (s: total mean max)");
  for (const ThreadRow& row : threads) {
    std::fprintf(out, "0x%016" PRIx64 " %8d %8" PRIu64 " %8" PRIu64 "  ", row.barrier, row.tid,
                 row.waits, row.last);
    print_seconds(out, row.waiting_total);
    print_seconds(out, row.waiting_total / row.waits);
    print_seconds(out, row.waiting_max);
    std::fprintf(out, "  ");
    print_seconds(out, row.release_total);
    print_seconds(out, row.release_total / row.waits);
    print_seconds(out, row.release_max);
    std::fprintf(out, "\n");
  }
  if (dropped != 0) {
    // The waits beyond the table: counted per barrier and thread, with their
    // whole time in the wait (not split: no round is known whole).
    std::fprintf(out, "waits after the table filled (counted, not split): %-18s %8s %8s %8s"
                 "  %s\n", "barrier", "thread", "waits", "last", "in the wait (s: total mean max)");
    const OverflowCounts* overflow = profile_overflow_counts();
    for (size_t i = 0; i < kOverflowEntries; ++i) {
      const uint64_t barrier = overflow[i].barrier.load(std::memory_order_relaxed);
      const uint64_t count = overflow[i].waits.load(std::memory_order_relaxed);
      if (barrier == 0 || count == 0) continue;
      const uint64_t total = overflow[i].waited_ns.load(std::memory_order_relaxed);
      std::fprintf(out, "%51s0x%016" PRIx64 " %8d %8" PRIu64 " %8" PRIu64 "  ", "", barrier,
                   overflow[i].tid.load(std::memory_order_relaxed), count,
                   overflow[i].last.load(std::memory_order_relaxed));
      print_seconds(out, total);
      print_seconds(out, total / count);
      print_seconds(out, overflow[i].longest_ns.load(std::memory_order_relaxed));
      std::fprintf(out, "\n");
    }
  }
  SymbolLookup symbols;
  for (const BarrierRow& row : barriers) {
    std::fprintf(out, "barrier 0x%016" PRIx64 ": %" PRIu64 " rounds completed here, %" PRIu64
                 " waits (%" PRIu64 " broken); lost to imbalance %.6f s, barrier overhead %.6f s;"
                 " called from ", row.barrier, row.rounds, row.waits, row.broken,
                 static_cast<double>(row.waiting_total) / 1e9,
                 static_cast<double>(row.release_total) / 1e9);
    for (size_t i = 0; i < row.call_sites.size(); ++i) {
      if (i != 0) std::fprintf(out, ", ");
      print_call_site(out, symbols, row.call_sites[i]);
    }
    std::fprintf(out, "\n");
  }
}

void write_timeline(std::FILE* out, const std::vector<Wait>& waits, uint64_t dropped) {
  const int pid = static_cast<int>(getpid());
  std::fprintf(out, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"pid\":%d,\"clock\":"
               "\"CLOCK_MONOTONIC\",\"dropped\":%" PRIu64 "},\n\"traceEvents\":[\n", pid, dropped);
  std::fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":"
               "\"process %d\"}}", pid, pid);
  for (const Wait& wait : waits) {
    const ProfileEvent& event = *wait.event;
    const uint64_t duration = event.returned_ns - event.entered_ns;
    std::fprintf(out, ",\n{\"name\":\"pthread_barrier_wait\",\"cat\":\"barrier\",\"ph\":\"X\","
                 "\"ts\":%" PRIu64 ".%03u,\"dur\":%" PRIu64 ".%03u,\"pid\":%d,\"tid\":%d,"
                 "\"args\":{\"barrier\":\"0x%" PRIx64 "\",\"generation\":%u,\"round\":%u,"
                 "\"arrival\":%u,\"count\":%u,\"last\":%s,\"outcome\":\"%s\","
                 "\"process_shared\":%s,\"waiting_for_last_ns\":%" PRIu64
                 ",\"release_ns\":%" PRIu64 "}}",
                 event.entered_ns / 1000, static_cast<unsigned>(event.entered_ns % 1000),
                 duration / 1000, static_cast<unsigned>(duration % 1000), pid, event.tid,
                 event.barrier, event.generation, event.round, event.arrival, event.count,
                 wait.last ? "true" : "false", outcome_name(event.outcome),
                 event.process_shared ? "true" : "false", wait.waiting_ns, wait.release_ns);
  }
  std::fprintf(out, "\n]}\n");
}

}  // namespace

void profile_write_report() {
  size_t count = 0;
  const ProfileEvent* events = profile_events(&count);
  if (events == nullptr) return;
  const uint64_t dropped = profile_dropped_events();
  const std::vector<Wait> waits = derive_waits(events, count);
  const char* prefix = profile_path_prefix();
  char path[PATH_MAX + 64];
  const int pid = static_cast<int>(getpid());
  // The summary in one piece, written with one write(2): processes that
  // share a barrier exit together, and their lines must not interleave.
  char* summary = nullptr;
  size_t summary_size = 0;
  if (std::FILE* text = open_memstream(&summary, &summary_size)) {
    write_summary(text, waits, dropped);
    std::fclose(text);
    write_all(STDERR_FILENO, summary, summary_size);
  }
  if (prefix != nullptr) {
    std::snprintf(path, sizeof(path), "%s.%d.txt", prefix, pid);
    if (std::FILE* out = std::fopen(path, "w")) {
      std::fwrite(summary, 1, summary_size, out);
      std::fclose(out);
    }
    std::snprintf(path, sizeof(path), "%s.%d.json", prefix, pid);
  } else {
    std::snprintf(path, sizeof(path), "barrier-shim-profile.%d.json", pid);
  }
  std::FILE* out = std::fopen(path, "w");
  if (out == nullptr) {
    std::fprintf(stderr, "barrier-shim: profile: cannot write %s: %s\n", path,
                 std::strerror(errno));
    return;
  }
  write_timeline(out, waits, dropped);
  std::fclose(out);
  std::free(summary);
  std::fprintf(stderr, "barrier-shim: profile: timeline in %s\n", path);
}

}  // namespace bshim
