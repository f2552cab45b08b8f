// The hang watchdog (BARRIER_SHIM_WATCHDOG): a waiter blocked longer than the
// limit reports itself, once per stuck round (watchdog_claims.h), with a
// backtrace of its own stack (backtrace_writer.h). Everything here is
// async-signal-safe and allocates nothing: a FixedText on the stack, write(2),
// getpid/gettid, process_vm_readv, libunwind's local unwinder and the ELF
// symbol lookup (elf_symbols.h).
//
// The report runs on the waiter's own stack, which may be small (a
// PTHREAD_STACK_MIN thread, a SIGSTKSZ alternate signal stack), so it first
// measures the room left (stack_room.h) and writes only what fits: the
// whole report; or the report without its backtrace, saying so and why; or
// one minimal line.
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "diagnostics/backtrace_writer.h"
#include "diagnostics/elf_symbols.h"
#include "diagnostics/stack_room.h"
#include "contract/barrier_layout.h"
#include "contract/diagnostic_hooks.h"
#include "os/read_without_fault.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/wait_stats.h"
#include "diagnostics/watchdog_claims.h"
#include "diagnostics/watchdog_report.h"

namespace bshim {
namespace {

constexpr const char* kPrefix = "barrier-shim: watchdog: ";
// Arrivals are bits 0..30 of the state word; bit 31 is reserved for a
// "broken" flag (robust mode), so it is masked off whatever its use.
constexpr uint32_t kArrivalsBits = 0x7fffffffU;

// ", arrived N" from a fault-free read of the state word, or why not.
void append_arrivals(TextBuffer& out, const StuckWait& wait) {
  if (wait.tree_arrivals >= 0) {
    out.text(", arrived ").decimal(static_cast<uint64_t>(wait.tree_arrivals));
    return;
  }
  uint64_t state = 0;
  switch (read_without_fault(wait.arrival_word, &state, sizeof(state))) {
    case FaultFreeRead::kCopied:
      if (round_of(state) == wait.round) {
        out.text(", arrived ").decimal(arrivals_of(state) & kArrivalsBits);
      } else {
        out.text(", arrived ? (the barrier is in round ").decimal(round_of(state)).text(" now)");
      }
      return;
    case FaultFreeRead::kUnmapped:
      out.text(", arrived ? (its memory is unmapped)");
      return;
    case FaultFreeRead::kUnavailable:
      out.text(", arrived ? (process_vm_readv refused)");
      return;
  }
}

void append_stuck_line(TextBuffer& out, const StuckWait& wait, uint64_t pid, uint64_t tid) {
  out.text(kPrefix).text("pid ").decimal(pid).text(" tid ").decimal(tid);
  out.text(": waiting ").seconds(wait.waited_ns, 1).text("s at barrier ");
  out.hex(reinterpret_cast<uintptr_t>(wait.barrier), 16);
  out.text(" (count ").decimal(wait.count);
  append_arrivals(out, wait);
  out.text(", round ").decimal(wait.round);
  out.text(wait.process_shared ? ", process-shared)\n" : ", private)\n");
}

// "barrier-shim: watchdog: barrier 0x... was initialised at f+0x1a (/bin/prog+0x1234)",
// when its init was recorded (stats_record_init). Its own frame, after the
// backtrace's has gone, so that the two lookups' stack does not add up.
__attribute__((noinline)) void append_init_site_line(TextBuffer& out, int fd,
                                                     const StuckWait& wait) {
  BarrierStatsSnapshot row{};
  if (!stats_row_of(wait.barrier, &row) || row.init_site == 0) return;
  FixedText<768> line;  // built apart, so that the report is flushed only if it must be
  TextBuffer& out_line = line;  // (the report so far is `out`)
  out_line.text(kPrefix).text("barrier ").hex(reinterpret_cast<uintptr_t>(wait.barrier), 16);
  out_line.text(" was initialised at ");
  SymbolLookup symbols;
  const char* name = nullptr;
  size_t name_length = 0;
  uintptr_t offset = 0;
  // A return address: named by the call before it, as in the backtrace.
  if (symbols.find(row.init_site - 1, 256, &name, &name_length, &offset)) {
    out_line.text(name, name_length).character('+').hex(offset + 1);
  } else {
    out_line.text("??");
  }
  const size_t without_object = out_line.size();
  uintptr_t load_base = 0;
  out_line.text(" (");
  if (append_object_of(row.init_site, out_line, &load_base)) {
    out_line.character('+').hex(row.init_site - load_base).character(')');
  } else {
    out_line.cut_back_to(without_object);
  }
  if (row.sites_differ) out_line.text(" (the latest of several init sites)");
  out_line.character('\n');
  if (out.remaining() < line.size()) {  // keep the line whole
    write_all(fd, out);
    out.clear();
  }
  out.text(line.data(), line.size());
}

void append_end_line(TextBuffer& out, uint64_t tid) {
  out.text(kPrefix).text("end of report for tid ").decimal(tid).character('\n');
}

// Each kind of report is a function of its own, never inlined, so that the
// buffers of the kinds not written take no room on the stack.
__attribute__((noinline)) void write_full_report(int fd, const StuckWait& wait, uint64_t pid,
                                                 uint64_t tid) {
  // Enough for the stuck line and a short stack in one write; deeper stacks
  // are written in several (append_backtrace flushes whole lines).
  FixedText<1536> out;
  append_stuck_line(out, wait, pid, tid);
  out.text(kPrefix).text("backtrace of tid ").decimal(tid).text(":\n");
  append_backtrace(out, fd);
  append_init_site_line(out, fd, wait);
  if (out.remaining() < 128) {  // keep the closing line whole
    write_all(fd, out);
    out.clear();
  }
  append_end_line(out, tid);
  write_all(fd, out);
}

__attribute__((noinline)) void write_report_without_backtrace(int fd, const StuckWait& wait,
                                                              uint64_t pid, uint64_t tid,
                                                              StackRoom room) {
  FixedText<256> out;  // the stuck line, then the other three
  append_stuck_line(out, wait, pid, tid);
  write_all(fd, out);
  out.clear();
  out.text(kPrefix).text("backtrace of tid ").decimal(tid).text(":\n");
  if (room.known) {
    out.text("  (backtrace omitted: ").decimal(room.bytes).text(" bytes of stack left, ");
    out.decimal(kWatchdogFullReportStack).text(" needed)\n");
  } else {
    out.text("  (backtrace omitted: the stack left could not be measured)\n");
  }
  append_end_line(out, tid);
  write_all(fd, out);
}

__attribute__((noinline)) void write_minimal_line(int fd, const StuckWait& wait, uint64_t pid,
                                                  uint64_t tid, StackRoom room) {
  FixedText<192> line;
  line.text(kPrefix).text("pid ").decimal(pid).text(" tid ").decimal(tid);
  line.text(": stuck at barrier ").hex(reinterpret_cast<uintptr_t>(wait.barrier), 16);
  line.text(", no report: ").decimal(room.bytes).text(" bytes of stack left\n");
  write_all(fd, line);
}

}  // namespace

void watchdog_write_stuck_report(int fd, const StuckWait& wait) {
  watchdog_write_stuck_report_in(fd, wait, stack_room_below_caller(kWatchdogFullReportStack));
}

void watchdog_write_stuck_report_in(int fd, const StuckWait& wait, StackRoom room) {
  const uint64_t pid = static_cast<uint64_t>(getpid());
  const uint64_t tid = static_cast<uint64_t>(gettid());
  if (room.known && room.bytes >= kWatchdogFullReportStack) {
    write_full_report(fd, wait, pid, tid);
  } else if (!room.known || room.bytes >= kWatchdogShortReportStack) {
    // Unmeasured (process_vm_readv refused): the report without backtrace,
    // about as deep as the wait that got here, rather than one that could
    // overflow.
    write_report_without_backtrace(fd, wait, pid, tid, room);
  } else if (room.bytes >= kWatchdogMinimalLineStack) {
    write_minimal_line(fd, wait, pid, tid, room);
  }
  // With less than that left, anything written could overflow: nothing.
}

void watchdog_write_completed_line(int fd, const StuckWait& wait) {
  FixedText<256> line;
  line.text(kPrefix).text("pid ").decimal(static_cast<uint64_t>(getpid()));
  line.text(": barrier ").hex(reinterpret_cast<uintptr_t>(wait.barrier), 16);
  line.text(" round ").decimal(wait.round).text(" completed after ");
  line.seconds(wait.waited_ns, 1).text("s\n");
  write_all(fd, line);
}

bool watchdog_report_stuck(const StuckWait& wait) {
  const uint64_t now = monotonic_ns();
  const uint64_t entered = now > wait.waited_ns ? now - wait.waited_ns : 0;
  if (!watchdog_claim_round(wait.barrier, wait.round, entered, now)) return false;
  // The report's system calls may fail (a stripped or vanished file, a
  // closed stderr); the program's errno must not show it.
  const int saved_errno = errno;
  watchdog_write_stuck_report(STDERR_FILENO, wait);
  errno = saved_errno;
  return true;
}

void watchdog_report_completed(const StuckWait& wait) {
  watchdog_note_completed(wait.barrier, wait.round, monotonic_ns());
  const StackRoom room = stack_room_below_caller(kWatchdogCompletedLineStack);
  if (room.known && room.bytes < kWatchdogCompletedLineStack) return;  // it would not fit
  watchdog_write_completed_line(STDERR_FILENO, wait);
}

}  // namespace bshim
