/* Behaviour: a process-shared barrier in a persistent shared memory object
 * (shm_open) whose only blocked participant was killed can be initialised
 * again by a restarted program: pthread_barrier_init on the persisted object
 * returns 0 (nobody is blocked in it any more: the process is gone), the new
 * barrier works, and pthread_barrier_destroy afterwards returns 0.  With
 * `destroy-then-init`, the restarted program first destroys the persisted
 * barrier, which must return 0 too.
 *
 * In robust mode (BARRIER_SHIM_ROBUST=1) the same holds, and once the
 * restarted program has destroyed its barrier, the System V semaphore set
 * that the crashed run's barrier owned no longer exists (no leak per crash).
 * The crashed run's set is found as the set of 2 semaphores that appeared in
 * /proc/sysvipc/sem while the crashed run initialised its barrier.
 *
 * The crashed run: a child process opens the object, initialises a barrier
 * of count 2 in it and waits (nobody else comes); once it is asleep it is
 * killed with SIGKILL and reaped.  The restarted program: a new child
 * process (fork of the test, which never touched the barrier) opens the
 * object again, maps it, and initialises (or destroys, then initialises) a
 * barrier of count 2, which its two threads use for a few rounds.
 *
 * Stock glibc copes with `init` (its init overwrites the object; its destroy
 * would wait for ever for the killed waiter to leave). */
#include "patterns.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/sem.h>

enum { kMaxSets = 4096 };

static char object_name[64];
static bool destroy_first;

/* The test's own time limit, in the parent: remove the object, then report. */
static void on_alarm_remove_object(int sig)
{
    shm_unlink(object_name);
    bh_on_alarm(sig);
}

/* The ids of the System V semaphore sets of 2 semaphores that exist now. */
static int list_semaphore_sets(int *ids, int max)
{
    FILE *f = fopen("/proc/sysvipc/sem", "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0;
    if (!fgets(line, sizeof line, f)) { /* the header */
        fclose(f);
        return -1;
    }
    while (n < max && fgets(line, sizeof line, f)) {
        long key, id, nsems;
        unsigned long perms;
        if (sscanf(line, "%ld %ld %lo %ld", &key, &id, &perms, &nsems) == 4 && nsems == 2)
            ids[n++] = (int)id;
    }
    fclose(f);
    return n;
}

static bool contains(const int *ids, int n, int id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static pthread_barrier_t *map_object(void)
{
    int fd = shm_open(object_name, O_RDWR, 0600);
    if (fd < 0)
        bh_setup_error("shm_open(%s) failed: %s", object_name, strerror(errno));
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        bh_setup_error("mmap of the object failed: %s", strerror(errno));
    return p;
}

static void crashed_run(int report_fd)
{
    pthread_barrier_t *b = map_object();
    pthread_barrierattr_t attr = pt_attr(true);
    int rc = pthread_barrier_init(b, &attr, 2);
    if (rc != 0)
        bh_setup_error("the first run's init returned %s", bh_err_name(rc));
    if (write(report_fd, "i", 1) != 1)
        _exit(BH_SETUP);
    rc = pthread_barrier_wait(b); /* nobody else comes: blocked until killed */
    bh_fail("the first run's wait returned %s with one of two participants", bh_err_name(rc));
}

static pthread_barrier_t *restart_barrier;
static void *restart_partner(void *arg)
{
    (void)arg;
    for (int r = 0; r < 3; r++) {
        int rc = pthread_barrier_wait(restart_barrier);
        if (!bh_wait_ok(rc))
            bh_fail("the restarted program's round %d: wait returned %s", r, bh_err_name(rc));
    }
    return NULL;
}

static int restarted_run(void)
{
    /* Map it at another address than the first run did. */
    void *spacer = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    (void)spacer;
    pthread_barrier_t *b = map_object();
    restart_barrier = b;
    int rc;
    if (destroy_first) {
        bh_phase_set("the restarted program destroys the persisted barrier");
        rc = pthread_barrier_destroy(b);
        if (rc != 0)
            bh_fail("the restarted program's destroy of the persisted barrier (its only waiter was "
                    "killed) returned %s", bh_err_name(rc));
    }
    bh_phase_set("the restarted program initialises the persisted barrier");
    pthread_barrierattr_t attr = pt_attr(true);
    rc = pthread_barrier_init(b, &attr, 2);
    if (rc != 0)
        bh_fail("the restarted program's init of the persisted barrier (its only waiter was killed) "
                "returned %s", bh_err_name(rc));
    bh_phase_set("rounds of the restarted program");
    pthread_t partner;
    if (pthread_create(&partner, NULL, restart_partner, NULL) != 0)
        bh_setup_error("pthread_create failed");
    for (int r = 0; r < 3; r++) {
        rc = pthread_barrier_wait(b);
        if (!bh_wait_ok(rc))
            bh_fail("the restarted program's round %d: wait returned %s", r, bh_err_name(rc));
    }
    pthread_join(partner, NULL);
    bh_phase_set("the restarted program destroys its barrier");
    rc = pthread_barrier_destroy(b);
    if (rc != 0)
        bh_fail("the restarted program's destroy after its rounds returned %s", bh_err_name(rc));
    munmap(b, 4096);
    return BH_PASS;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "init") && strcmp(argv[1], "destroy-then-init"))) {
        fprintf(stderr, "usage: %s init | destroy-then-init\n", argv[0]);
        return BH_SETUP;
    }
    destroy_first = strcmp(argv[1], "destroy-then-init") == 0;
    bool robust = getenv("BARRIER_SHIM_ROBUST") && strcmp(getenv("BARRIER_SHIM_ROBUST"), "1") == 0 &&
                  getenv("LD_PRELOAD") && getenv("LD_PRELOAD")[0] != 0;
    bh_start("setup", 10);
    snprintf(object_name, sizeof object_name, "/bshim-patterns-restart-%d", (int)getpid());
    int fd = shm_open(object_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, 4096) != 0)
        bh_setup_error("cannot create the shared memory object: %s", strerror(errno));
    close(fd);
    signal(SIGALRM, on_alarm_remove_object);

    static int before[kMaxSets], during[kMaxSets], after[kMaxSets];
    int n_before = list_semaphore_sets(before, kMaxSets);

    bh_phase_set("the first run initialises the barrier and blocks in it");
    int report[2];
    if (pipe(report) != 0)
        bh_setup_error("pipe failed");
    pid_t first = fork();
    if (first < 0)
        bh_setup_error("fork failed");
    if (first == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        bh_arm_alarm(8);
        close(report[0]);
        crashed_run(report[1]);
    }
    close(report[1]);
    struct pollfd pfd = {report[0], POLLIN, 0};
    char byte;
    if (poll(&pfd, 1, 5000) != 1 || read(report[0], &byte, 1) != 1) {
        kill(first, SIGKILL);
        shm_unlink(object_name);
        bh_setup_error("the first run never initialised its barrier");
    }
    if (bh_wait_until_process_asleep(first, 3000) != 0) {
        kill(first, SIGKILL);
        shm_unlink(object_name);
        bh_setup_error("the first run never fell asleep in its wait");
    }
    int n_during = list_semaphore_sets(during, kMaxSets);
    bh_phase_set("killing the first run");
    kill(first, SIGKILL);
    int status;
    waitpid(first, &status, 0);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
        shm_unlink(object_name);
        if (WIFEXITED(status))
            _exit(WEXITSTATUS(status)); /* it printed why */
        bh_setup_error("the first run ended with status 0x%x", (unsigned)status);
    }

    bh_phase_set("the restarted program");
    pid_t second = fork();
    if (second < 0)
        bh_setup_error("fork failed");
    if (second == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        bh_arm_alarm(8);
        _exit(restarted_run());
    }
    waitpid(second, &status, 0);
    shm_unlink(object_name);

    /* The crashed run's semaphore set: created while it initialised, and
     * still there now?  Removed here either way, so that no run of this test
     * leaves one behind. */
    int leaked = -1, created = 0;
    if (robust && n_before >= 0 && n_during >= 0) {
        int n_after = list_semaphore_sets(after, kMaxSets);
        for (int i = 0; i < n_during; i++) {
            if (contains(before, n_before, during[i]))
                continue;
            created++;
            if (contains(after, n_after, during[i])) {
                leaked = during[i];
                semctl(leaked, 0, IPC_RMID);
            }
        }
    }
    if (!WIFEXITED(status))
        bh_fail("the restarted program was killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        _exit(WEXITSTATUS(status)); /* it printed why */
    if (robust) {
        if (n_before < 0 || n_during < 0)
            bh_setup_error("cannot read /proc/sysvipc/sem");
        if (created == 0)
            bh_setup_error("robust mode, but the first run's init created no semaphore set");
        if (leaked >= 0)
            bh_fail("the crashed run's semaphore set (id %d) still existed after the restarted program "
                    "initialised and destroyed the barrier", leaked);
    }
    bh_pass("%s: after its only waiter was killed, the persisted barrier was %sinitialised by a restarted "
            "program, did rounds and was destroyed%s", argv[1], destroy_first ? "destroyed, " : "",
            robust ? "; the crashed run's semaphore set is gone" : "");
}
