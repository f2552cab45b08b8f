#define _GNU_SOURCE
#include "race_fault.h"

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Releases remembered: enough for a waiter that is a few rounds late. */
#define RELEASES_KEPT 8

struct release_note {
    atomic_uintptr_t start; /* 0 while the entry is being written */
    atomic_uintptr_t end;
    atomic_uintptr_t barrier;
    atomic_ulong round;
};

static const char *program_name = "race";
static race_status_fn *status_of;
static struct release_note notes[RELEASES_KEPT];
static atomic_uint notes_written;
static atomic_int reporting; /* 0 idle, 1 a thread is reporting, 2 done */

static void start_line(struct line *line, const char *word)
{
    line->length = 0;
    line_add(line, program_name);
    line_add(line, ": ");
    line_add(line, word);
}

void fault_write_status(const char *word)
{
    struct line line;
    start_line(&line, word);
    if (status_of)
        status_of(&line);
    line_write(&line);
}

void fault_note_release(const void *start, size_t size, const void *barrier,
                        unsigned long round)
{
    /* relaxed throughout: the handler that reads these runs on a thread
       of this process after a fault; a torn entry only misnames where the
       address lies, and start == 0 marks the entry as unusable. */
    unsigned slot = atomic_fetch_add_explicit(&notes_written, 1, memory_order_relaxed) %
                    RELEASES_KEPT;
    struct release_note *note = &notes[slot];
    atomic_store_explicit(&note->start, 0, memory_order_relaxed);
    atomic_store_explicit(&note->end, (uintptr_t)start + size, memory_order_relaxed);
    atomic_store_explicit(&note->barrier, (uintptr_t)barrier, memory_order_relaxed);
    atomic_store_explicit(&note->round, round, memory_order_relaxed);
    atomic_store_explicit(&note->start, (uintptr_t)start, memory_order_release);
}

/* The newest release that covers `address` (views are often mapped at
   the same address round after round). */
static void add_where(struct line *line, uintptr_t address)
{
    const struct release_note *newest = NULL;
    unsigned long newest_round = 0;
    for (int i = 0; i < RELEASES_KEPT; i++) {
        const struct release_note *note = &notes[i];
        uintptr_t start = atomic_load_explicit(&note->start, memory_order_acquire);
        unsigned long round = atomic_load_explicit(&note->round, memory_order_relaxed);
        if (start == 0 || address < start ||
            address >= atomic_load_explicit(&note->end, memory_order_relaxed))
            continue;
        if (!newest || round > newest_round) {
            newest = note;
            newest_round = round;
        }
    }
    if (!newest) {
        line_add(line, " memory=other");
        return;
    }
    line_add(line, " memory=released round=");
    line_add_unsigned(line, newest_round);
    line_add(line, " offset=");
    uintptr_t barrier = atomic_load_explicit(&newest->barrier, memory_order_relaxed);
    line_add_number(line, (long)(address - barrier));
}

static bool has_fault_address(int number, const siginfo_t *info)
{
    return (number == SIGSEGV || number == SIGBUS) && info->si_code > 0;
}

static void die_by_default(int number)
{
    struct sigaction by_default = {.sa_handler = SIG_DFL};
    sigemptyset(&by_default.sa_mask);
    sigaction(number, &by_default, NULL);
}

static void on_fatal_signal(int number, siginfo_t *info, void *context)
{
    (void)context;
    int idle = 0;
    if (!atomic_compare_exchange_strong(&reporting, &idle, 1)) {
        /* Another thread reports; let it finish before we all die. */
        while (atomic_load(&reporting) != 2)
            sched_yield();
        die_by_default(number);
        raise(number);
        return;
    }
    /* The status first: the crash line is the last thing printed. */
    fault_write_status("progress");
    if (number != SIGTERM) {
        struct line line;
        start_line(&line, "CRASH signal=");
        line_add(&line, line_signal_name(number));
        if (has_fault_address(number, info)) {
            line_add(&line, " addr=");
            line_add_hex(&line, (uintptr_t)info->si_addr);
            add_where(&line, (uintptr_t)info->si_addr);
        }
        line_write(&line);
    }
    die_by_default(number);
    atomic_store(&reporting, 2);
    /* Not left to the faulting access: the releaser may have mapped fresh
       memory there meanwhile, and it would then succeed. The signal is
       blocked until the handler returns, and then kills. */
    raise(number);
}

void fault_reporter_install(const char *program, race_status_fn *status)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM};
    program_name = program;
    status_of = status;
    struct sigaction report = {.sa_sigaction = on_fatal_signal, .sa_flags = SA_SIGINFO};
    sigemptyset(&report.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &report, NULL);
}
