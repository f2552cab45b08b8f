// The hang watchdog (BARRIER_SHIM_WATCHDOG): a waiter blocked longer than the
// limit reports itself, once per stuck round (watchdog_claims.h), with a
// backtrace of its own stack (backtrace_writer.h). Everything here is
// async-signal-safe and allocates nothing: a FixedText on the stack, write(2),
// getpid/gettid, process_vm_readv, libunwind's local unwinder and the ELF
// symbol lookup (elf_symbols.h). It needs about 6 KiB of the waiter's stack
// (the text, libunwind's context and cursor, a symbol name).
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "diagnostics/backtrace_writer.h"
#include "contract/barrier_layout.h"
#include "contract/diagnostic_hooks.h"
#include "os/read_without_fault.h"
#include "diagnostics/text_buffer.h"
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
  uint64_t state = 0;
  switch (read_without_fault(wait.barrier, &state, sizeof(state))) {
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

}  // namespace

void watchdog_write_stuck_report(int fd, const StuckWait& wait) {
  const uint64_t pid = static_cast<uint64_t>(getpid());
  const uint64_t tid = static_cast<uint64_t>(gettid());
  // Big enough for the header and a typical stack in one write; deeper stacks
  // are written in several (append_backtrace flushes).
  FixedText<4096> out;
  out.text(kPrefix).text("pid ").decimal(pid).text(" tid ").decimal(tid);
  out.text(": waiting ").seconds(wait.waited_ns, 1).text("s at barrier ");
  out.hex(reinterpret_cast<uintptr_t>(wait.barrier), 16);
  out.text(" (count ").decimal(wait.count);
  append_arrivals(out, wait);
  out.text(", round ").decimal(wait.round);
  out.text(wait.process_shared ? ", process-shared)\n" : ", private)\n");
  out.text(kPrefix).text("backtrace of tid ").decimal(tid).text(":\n");
  append_backtrace(out, fd);
  if (out.remaining() < 128) {  // keep the closing line whole
    write_all(fd, out);
    out.clear();
  }
  out.text(kPrefix).text("end of report for tid ").decimal(tid).character('\n');
  write_all(fd, out);
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
  watchdog_write_completed_line(STDERR_FILENO, wait);
}

}  // namespace bshim
