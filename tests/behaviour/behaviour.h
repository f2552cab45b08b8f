/* Shared scaffolding for the behaviour tests.
 *
 * Every program states one behaviour of the barrier API and exits with
 *   0  the behaviour holds            (prints "PASS: ...")
 *   1  the behaviour does not hold    (prints "FAIL: ...")
 *   2  the test could not set itself up (prints "SETUP: ...")
 *   3  the program bounded itself     (prints "HANG: <phase>")
 * Codes 77 and 99 are avoided on purpose: meson reads them as skip/error.
 */
#ifndef BEHAVIOUR_H
#define BEHAVIOUR_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BH_PASS 0
#define BH_FAIL 1
#define BH_SETUP 2
#define BH_HANG 3

/* What the program is doing now; the alarm handler names it. */
static const char *volatile bh_phase = "start";

static inline void bh_write_str(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static inline void bh_on_alarm(int sig)
{
    (void)sig;
    bh_write_str("HANG: ");
    bh_write_str(bh_phase);
    bh_write_str("\n");
    _exit(BH_HANG);
}

static inline void bh_phase_set(const char *phase) { bh_phase = phase; }

/* Arm the self-imposed time limit.  Call again in a forked child: alarms are
 * not inherited across fork. */
static inline void bh_arm_alarm(unsigned seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bh_on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
}

/* Start of every program: bound it, keep crashes of the stock-glibc controls
 * cheap (no core files), and make stdout line-buffered. */
static inline void bh_start(const char *phase, unsigned seconds)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    setvbuf(stdout, NULL, _IOLBF, 0);
    bh_phase_set(phase);
    bh_arm_alarm(seconds);
}

static inline void bh_vreport(const char *tag, const char *fmt, va_list ap)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s: ", tag);
    if (n < 0)
        n = 0;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    bh_write_str(line);
    bh_write_str("\n");
}

/* Callable from any thread or forked child: no exit handlers, no stdio. */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void bh_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bh_vreport("FAIL", fmt, ap);
    va_end(ap);
    _exit(BH_FAIL);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void bh_setup_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bh_vreport("SETUP", fmt, ap);
    va_end(ap);
    _exit(BH_SETUP);
}

__attribute__((noreturn, format(printf, 1, 2)))
static inline void bh_pass(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bh_vreport("PASS", fmt, ap);
    va_end(ap);
    _exit(BH_PASS);
}

static inline const char *bh_err_name(int e)
{
    switch (e) {
    case 0: return "0";
    case PTHREAD_BARRIER_SERIAL_THREAD: return "PTHREAD_BARRIER_SERIAL_THREAD";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    case EDEADLK: return "EDEADLK";
    default: {
        static char buf[32];
        snprintf(buf, sizeof buf, "%d", e);
        return buf;
    }
    }
}

/* A wait's result must be one of the two success values. */
static inline int bh_wait_ok(int rc) { return rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD; }

static inline double bh_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Time-bounded loops: stop once `run_s` have passed and the minimum amount of
 * work is done, or after `max_s` whatever was done (the caller then reports
 * a SETUP failure if the minimum was not met). */
static inline bool bh_time_to_stop(double started, double run_s, double max_s, bool minimum_met)
{
    double elapsed = bh_now() - started;
    return elapsed >= max_s || (elapsed >= run_s && minimum_met);
}

static inline void bh_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Scheduler state ('R', 'S', ...) in a /proc .../stat file, or 0 if unknown. */
static inline char bh_stat_state(const char *stat_path)
{
    char buf[512];
    FILE *f = fopen(stat_path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *paren = strrchr(buf, ')');
    if (!paren || paren[1] != ' ')
        return 0;
    return paren[2];
}

/* Scheduler state of one of our threads, or of a (single-threaded) process. */
static inline char bh_thread_state(pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    return bh_stat_state(path);
}

static inline char bh_process_state(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return bh_stat_state(path);
}

/* Wait until the task `id` (read by `state_of`), which announced it is about
 * to call a blocking barrier function, is asleep in the kernel.  A shim may
 * spin or yield for a few milliseconds first, so also require the state to
 * persist.  Returns 0 once it is asleep, -1 if it never went to sleep within
 * `limit_ms`. */
static inline int bh_wait_until_task_asleep(char (*state_of)(pid_t), pid_t id, long limit_ms)
{
    int asleep_streak = 0;
    for (long waited = 0; waited < limit_ms; waited += 5) {
        bh_sleep_ms(5);
        if (state_of(id) == 'S') {
            if (++asleep_streak >= 20) /* 100 ms asleep in a row */
                return 0;
        } else {
            asleep_streak = 0;
        }
    }
    return -1;
}

static inline int bh_wait_until_asleep(pid_t tid, long limit_ms)
{
    return bh_wait_until_task_asleep(bh_thread_state, tid, limit_ms);
}

static inline int bh_wait_until_process_asleep(pid_t pid, long limit_ms)
{
    return bh_wait_until_task_asleep(bh_process_state, pid, limit_ms);
}

#endif
