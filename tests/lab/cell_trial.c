#define _GNU_SOURCE
#include "cell_trial.h"

#include "cell_hang_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A hung trial gets SIGTERM first, so it can print its status line. */
#define TERM_GRACE_SECONDS 0.5
/* How long leftovers of a finished trial may hold the pipe open. */
#define DRAIN_SECONDS 1.0
#define LINE_MAX_BYTES 4096

/* The running trial's process group, for the interrupt handler. */
static volatile sig_atomic_t running_group;

static void on_interrupt(int number)
{
    if (running_group > 0)
        kill(-running_group, SIGKILL);
    _exit(128 + number);
}

void kill_trials_on_interrupt(void)
{
    static const int interrupts[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction handler = {.sa_handler = on_interrupt};
    sigemptyset(&handler.sa_mask);
    for (size_t i = 0; i < sizeof interrupts / sizeof interrupts[0]; i++)
        sigaction(interrupts[i], &handler, NULL);
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

struct reader {
    int fd;
    bool open;
    char pending[LINE_MAX_BYTES];
    size_t length;
    const struct trial_setup *setup;
    double last_progress;
};

static void deliver(struct reader *reader)
{
    reader->pending[reader->length] = '\0';
    if (reader->setup->on_line(reader->setup->context, reader->pending))
        reader->last_progress = now_seconds();
    reader->length = 0;
}

/* Waits up to `millis` for output and hands on the complete lines. */
static void pump(struct reader *reader, int millis)
{
    if (!reader->open) { /* the program is exiting: look again soon */
        poll(NULL, 0, 1);
        return;
    }
    struct pollfd watched = {.fd = reader->fd, .events = POLLIN};
    if (poll(&watched, 1, millis) <= 0)
        return;
    char buffer[4096];
    ssize_t got = read(reader->fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR)
        return;
    if (got <= 0) {
        if (reader->length > 0)
            deliver(reader);
        reader->open = false;
        return;
    }
    for (ssize_t i = 0; i < got; i++) {
        if (buffer[i] == '\n') {
            deliver(reader);
        } else if (reader->length < sizeof reader->pending - 1) {
            reader->pending[reader->length++] = buffer[i];
        }
    }
}

static void become_program(const struct trial_setup *setup, int output)
{
    setpgid(0, 0); /* its own group: a hang kills everything it forked */
    dup2(output, STDOUT_FILENO);
    dup2(output, STDERR_FILENO);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* crashes are expected: no core files */
    if (setup->preload)
        setenv("LD_PRELOAD", setup->preload, 1);
    else
        unsetenv("LD_PRELOAD");
    execvp(setup->argv[0], setup->argv);
    dprintf(output, "lab_cell: cannot run %s: %s\n", setup->argv[0], strerror(errno));
    _exit(127);
}

/* SIGTERM to the group, a grace period for its last words, SIGKILL. */
static void end_hung_group(pid_t pid, struct reader *reader, int *status)
{
    kill(-pid, SIGTERM);
    double deadline = now_seconds() + TERM_GRACE_SECONDS;
    while (now_seconds() < deadline) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return;
        pump(reader, 10);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, status, 0);
}

struct trial_outcome run_trial(const struct trial_setup *setup)
{
    struct trial_outcome outcome = {.how = TRIAL_NOT_STARTED};
    int output[2];
    if (pipe2(output, O_CLOEXEC) != 0) {
        outcome.code = errno;
        return outcome;
    }
    double start = now_seconds();
    pid_t pid = fork();
    if (pid < 0) {
        outcome.code = errno;
        close(output[0]);
        close(output[1]);
        return outcome;
    }
    if (pid == 0)
        become_program(setup, output[1]);
    setpgid(pid, pid); /* also here, so the group exists before a kill */
    running_group = pid;
    close(output[1]);

    struct reader reader = {.fd = output[0], .open = true, .setup = setup,
                            .last_progress = start};
    int status = 0;
    bool hung = false;
    for (;;) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        if (now_seconds() - reader.last_progress > setup->hang_seconds) {
            hung = true;
            dump_hung_group(setup->log, pid);
            end_hung_group(pid, &reader, &status);
            break;
        }
        pump(&reader, 10);
    }
    outcome.seconds = now_seconds() - start;
    kill(-pid, SIGKILL); /* what it forked belongs to this trial only */
    running_group = 0;
    double drain_end = now_seconds() + DRAIN_SECONDS;
    while (reader.open && now_seconds() < drain_end)
        pump(&reader, 10);
    close(output[0]);

    if (hung) {
        outcome.how = TRIAL_HANG;
    } else if (WIFSIGNALED(status)) {
        outcome.how = TRIAL_KILLED;
        outcome.code = WTERMSIG(status);
    } else {
        outcome.how = TRIAL_EXITED;
        outcome.code = WEXITSTATUS(status);
    }
    return outcome;
}
