/* Forked participants for the multi-process programs: each child bounds
 * itself and dies with its parent; the parent reaps them with a deadline and
 * turns any abnormal end into a FAIL or HANG report. */
#ifndef CHILDREN_H
#define CHILDREN_H
#include "behaviour.h"
#include <sys/prctl.h>
#include <sys/wait.h>

/* fork() a child that runs body(index) and exits with its result. */
static inline pid_t spawn_child(int index, int (*body)(int), unsigned alarm_seconds)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        bh_setup_error("fork failed: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(BH_SETUP);
        bh_arm_alarm(alarm_seconds);
        _exit(body(index));
    }
    return pid;
}

static inline void kill_children(const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
}

/* Reap all children; the first one that ends badly ends the test (and the
 * others are killed).  Exit statuses other than 0 are passed on as-is, so a
 * child's own FAIL/HANG line stays the report. */
static inline void reap_children(pid_t *pids, int n, const char *what)
{
    for (int left = n; left > 0; left--) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0)
            bh_setup_error("wait failed: %s", strerror(errno));
        int index = -1;
        for (int i = 0; i < n; i++)
            if (pids[i] == pid) {
                index = i;
                pids[i] = 0;
            }
        if (index < 0)
            continue;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        kill_children(pids, n);
        if (WIFEXITED(status))
            _exit(WEXITSTATUS(status)); /* the child printed its reason */
        bh_fail("%s #%d was killed by signal %d (%s)", what, index, WTERMSIG(status),
                strsignal(WTERMSIG(status)));
    }
}

#endif
