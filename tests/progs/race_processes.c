#define _GNU_SOURCE
#include "race_processes.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "race_line.h"
#include "race_options.h"

static pid_t children[RACE_MAX_PROCS];
static int child_count;

/* Says what happened to process `index`, stops the others, and ends this
   process the same way, so the watchdog reports the real cause. */
static void end_like_child(int index, const siginfo_t *info)
{
    struct line line = {.length = 0};
    line_add(&line, "release_race: FAIL process ");
    line_add_number(&line, index);
    if (info->si_code == CLD_EXITED) {
        line_add(&line, " exited with status ");
        line_add_number(&line, info->si_status);
    } else {
        line_add(&line, " was killed by signal ");
        line_add_number(&line, info->si_status);
        line_add(&line, " (");
        line_add(&line, line_signal_name(info->si_status));
        line_add(&line, ")");
    }
    line_write(&line);
    for (int i = 0; i < child_count; i++)
        kill(children[i], SIGKILL);
    if (info->si_code == CLD_EXITED)
        _exit(info->si_status);
    struct sigaction by_default = {.sa_handler = SIG_DFL};
    sigaction(info->si_status, &by_default, NULL);
    sigset_t just_it;
    sigemptyset(&just_it);
    sigaddset(&just_it, info->si_status);
    pthread_sigmask(SIG_UNBLOCK, &just_it, NULL);
    raise(info->si_status);
    _exit(128 + info->si_status);
}

/* Looks without reaping (WNOWAIT): a clean exit is left for
   wait_for_processes, anything else ends the race. */
static void on_child_change(int signal_number)
{
    (void)signal_number;
    int saved_errno = errno;
    for (int i = 0; i < child_count; i++) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_PID, (id_t)children[i], &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
            info.si_pid == 0)
            continue;
        if (info.si_code == CLD_EXITED && info.si_status == 0)
            continue;
        end_like_child(i + 1, &info);
    }
    errno = saved_errno;
}

int start_processes(int procs)
{
    pid_t parent = getpid();
    sigset_t child_signal, previous;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    /* Held back until the children are all recorded. */
    sigprocmask(SIG_BLOCK, &child_signal, &previous);
    for (int index = 1; index < procs; index++) {
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            sigprocmask(SIG_SETMASK, &previous, NULL);
            /* Dies with process 0, whatever kills it. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1);
            return index;
        }
        children[child_count++] = pid;
    }
    struct sigaction watch = {.sa_handler = on_child_change, .sa_flags = SA_RESTART};
    sigemptyset(&watch.sa_mask);
    sigaction(SIGCHLD, &watch, NULL);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    return 0;
}

bool wait_for_processes(void)
{
    bool all_clean = true;
    for (int i = 0; i < child_count; i++) {
        int status;
        pid_t got;
        do
            got = waitpid(children[i], &status, 0);
        while (got < 0 && errno == EINTR);
        if (got == children[i] && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            all_clean = false;
    }
    return all_clean;
}
