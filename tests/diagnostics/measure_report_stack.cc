// How much stack the watchdog's messages use, part by part, and whether each
// kind stays within the budget the report checks the room against
// (kWatchdog*Stack in diagnostics/watchdog_report.h).
//
// Method: before each measured call, the 128 KiB below the stack pointer are
// filled with a pattern; after it, the lowest byte no longer holding the
// pattern marks the deepest the call went. The code measured is the core
// library the shim is built from, with the libunwind.so.8 the shim loads.
// libunwind costs more the first time it unwinds through code it has not
// seen (it looks up and parses the unwind tables then, and caches the
// result), so the whole report is measured cold, from a fresh thread and
// from a signal handler, as well as warm; prepare_backtraces() runs first,
// as at the shim's load time.
//
// Prints one line per part and "PASS: ..." if every kind of message stayed
// within its budget (exit 0), "FAIL: ..." otherwise (exit 1).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "contract/barrier_layout.h"
#include "contract/diagnostic_hooks.h"
#include "diagnostics/backtrace_writer.h"
#include "diagnostics/elf_symbols.h"
#include "diagnostics/stack_room.h"
#include "diagnostics/text_buffer.h"
#include "diagnostics/unwinder.h"
#include "diagnostics/watchdog_report.h"

namespace {

constexpr size_t kPainted = 128 * 1024;
constexpr unsigned char kPattern = 0x5c;
constexpr size_t kUnpainted = 128;  // the red zone below the stack pointer

// The deepest `call` went below this function's stack pointer, in bytes.
template <typename Call>
__attribute__((noinline)) size_t stack_used_by(Call call) {
  uintptr_t sp;
  __asm__ __volatile__("mov %%rsp, %0" : "=r"(sp));
  volatile unsigned char* low = reinterpret_cast<volatile unsigned char*>(sp - kPainted);
  for (size_t i = 0; i < kPainted - kUnpainted; ++i) low[i] = kPattern;  // no call: sp stays
  call();
  size_t untouched = 0;
  while (untouched < kPainted - kUnpainted && low[untouched] == kPattern) ++untouched;
  return kPainted - untouched;
}

int g_null_fd = -1;
alignas(8) uint64_t g_barrier_words[4];
bshim::StuckWait g_wait;
size_t g_full_worst = 0;
bool g_within_budget = true;

void show(const char* part, size_t bytes) { printf("  %-58s %6zu\n", part, bytes); }

void check(const char* kind, size_t used, size_t budget) {
  const bool within = used <= budget;
  printf("%s %s: deepest %zu bytes, budget %zu\n", within ? "within" : "OVER", kind, used,
         budget);
  if (!within) g_within_budget = false;
}

void full_report() { bshim::watchdog_write_stuck_report_in(g_null_fd, g_wait, {true, SIZE_MAX}); }

void note_full(const char* when, size_t bytes) {
  show(when, bytes);
  if (bytes > g_full_worst) g_full_worst = bytes;
}

void* cold_report_in_a_thread(void*) {
  note_full("whole report, first from a new thread", stack_used_by(full_report));
  return nullptr;
}

void cold_report_in_a_handler(int) {
  note_full("whole report, first from a signal handler", stack_used_by(full_report));
}

// One walk of this thread's stack with libunwind, as append_backtrace does.
__attribute__((noinline)) void walk_the_stack() {
  unw_context_t context;
  unw_cursor_t cursor;
  unw_getcontext(&context);
  unw_init_local(&cursor, &context);
  for (int frames = 0; frames < 64 && unw_step(&cursor) > 0; ++frames) {
  }
  __asm__ __volatile__("" : : "r"(&context), "r"(&cursor) : "memory");
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  bshim::install_unwinder({unw_tdep_getcontext, unw_init_local, unw_step, unw_get_reg,
                           unw_is_signal_frame});
  bshim::prepare_backtraces();  // as the shim does at load time
  g_null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (g_null_fd < 0) {
    printf("SETUP: cannot open /dev/null\n");
    return 2;
  }
  g_barrier_words[0] = bshim::state_for_round(0) | 1;
  g_wait = {g_barrier_words, g_barrier_words, -1, 2, 0, false, 300'000'000};

  printf("stack used, in bytes below the caller:\n");
  // The whole report, cold first: from a new thread, then from a signal
  // handler, then warm.
  pthread_t thread;
  if (pthread_create(&thread, nullptr, cold_report_in_a_thread, nullptr) != 0) {
    printf("SETUP: pthread_create failed\n");
    return 2;
  }
  pthread_join(thread, nullptr);
  signal(SIGUSR1, cold_report_in_a_handler);
  raise(SIGUSR1);
  note_full("whole report, warm", stack_used_by(full_report));

  // Its parts.
  show("room check (sigaltstack, process_vm_readv)",
       stack_used_by([] { bshim::stack_room_below_caller(bshim::kWatchdogFullReportStack); }));
  show("unw_getcontext + unw_init_local (context and cursor: 2 KiB)", stack_used_by([] {
         unw_context_t context;
         unw_cursor_t cursor;
         unw_getcontext(&context);
         unw_init_local(&cursor, &context);
         __asm__ __volatile__("" : : "r"(&context), "r"(&cursor) : "memory");
       }));
  show("... + unw_step to the outermost frame, cold", stack_used_by(walk_the_stack));
  show("... + unw_step to the outermost frame, warm", stack_used_by(walk_the_stack));
  const auto look_up = [](uintptr_t address) {
    bshim::SymbolLookup symbols;
    const char* name = nullptr;
    size_t length = 0;
    uintptr_t offset = 0;
    symbols.find(address, 256, &name, &length, &offset);
    __asm__ __volatile__("" : : "r"(name) : "memory");
  };
  show("symbol lookup (dl_iterate_phdr, open, mmap, .symtab search)", stack_used_by([&] {
         look_up(reinterpret_cast<uintptr_t>(&printf));
         look_up(reinterpret_cast<uintptr_t>(&show));
       }));
  show("write(2) of a line", stack_used_by([] { bshim::write_all(g_null_fd, "line\n", 5); }));

  // The other kinds of message.
  const size_t short_report = stack_used_by([] {
    bshim::watchdog_write_stuck_report_in(g_null_fd, g_wait,
                                          {true, bshim::kWatchdogShortReportStack});
  });
  show("report without backtrace", short_report);
  const size_t minimal_line = stack_used_by([] {
    bshim::watchdog_write_stuck_report_in(g_null_fd, g_wait,
                                          {true, bshim::kWatchdogMinimalLineStack});
  });
  show("minimal line", minimal_line);
  const size_t completed_line =
      stack_used_by([] { bshim::watchdog_write_completed_line(g_null_fd, g_wait); });
  show("completion line", completed_line);

  check("whole report", g_full_worst, bshim::kWatchdogFullReportStack);
  check("report without backtrace", short_report, bshim::kWatchdogShortReportStack);
  check("minimal line", minimal_line, bshim::kWatchdogMinimalLineStack);
  check("completion line", completed_line, bshim::kWatchdogCompletedLineStack);
  if (!g_within_budget) {
    printf("FAIL: a watchdog message uses more stack than the room it checks for\n");
    return 1;
  }
  printf("PASS: every watchdog message stays within the stack it checks for\n");
  return 0;
}
