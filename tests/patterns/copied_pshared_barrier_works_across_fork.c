/* Behaviour: a process-shared barrier initialised in a struct on the stack
 * and then copied (memcpy) into MAP_SHARED memory before fork() works there
 * as a process-shared barrier: the parent's and the child's threads do
 * rounds on the copy, every round releases all `count` participants, and
 * exactly one of them gets PTHREAD_BARRIER_SERIAL_THREAD.
 *
 * POSIX leaves the use of a copied barrier undefined; stock glibc 2.36 copes
 * (its barrier is position-independent and records only "shared"), and so
 * must a replacement: programs build such structs on the stack and publish
 * them by copying.
 *
 * Sub-cases:
 *  processes              parent and child, one thread each (count 2)
 *  threads-and-processes  parent with 2 threads, child with 1 (count 3),
 *                         and a second child forked later, once the copy
 *                         has done rounds, that takes the parent's second
 *                         thread's place for the rest (count 3). */
#include "patterns.h"
#include "../behaviour/children.h"

enum { kRounds = 200 };

struct shared_area {
    pthread_barrier_t barrier; /* the copy */
    atomic_uint serials;
    atomic_uint releases;      /* returns from wait, over all participants */
};

struct published {
    unsigned magic;
    pthread_barrier_t barrier;
};

static struct shared_area *area;

static void rounds_on_copy(const char *who, unsigned first, unsigned last)
{
    for (unsigned r = first; r < last; r++) {
        int rc = pthread_barrier_wait(&area->barrier);
        if (!bh_wait_ok(rc))
            bh_fail("%s, round %u on the copied barrier: wait returned %s", who, r, bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&area->serials, 1);
        atomic_fetch_add(&area->releases, 1);
    }
}

static int child_all_rounds(int index)
{
    (void)index;
    rounds_on_copy("the child", 0, kRounds);
    return BH_PASS;
}

static int child_second_half(int index)
{
    (void)index;
    rounds_on_copy("the late child", kRounds / 2, kRounds);
    return BH_PASS;
}

static void *parent_second_thread(void *arg)
{
    (void)arg;
    rounds_on_copy("the parent's second thread", 0, kRounds / 2);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "processes") && strcmp(argv[1], "threads-and-processes"))) {
        fprintf(stderr, "usage: %s processes | threads-and-processes\n", argv[0]);
        return BH_SETUP;
    }
    bool threads = strcmp(argv[1], "threads-and-processes") == 0;
    unsigned count = threads ? 3 : 2;
    bh_start("setup", 10);
    area = pt_map_shared(4096);
    memset(area, 0, sizeof *area);

    bh_phase_set("building the barrier on the stack and copying it");
    {
        struct published local;
        local.magic = 0x5eed;
        pthread_barrierattr_t attr = pt_attr(true);
        int rc = pthread_barrier_init(&local.barrier, &attr, count);
        if (rc != 0)
            bh_setup_error("init of the process-shared barrier on the stack returned %s", bh_err_name(rc));
        pthread_barrierattr_destroy(&attr);
        memcpy(&area->barrier, &local.barrier, sizeof local.barrier);
    }

    pid_t children[2] = {0, 0};
    bh_phase_set("rounds of parent and child on the copy");
    children[0] = spawn_child(0, child_all_rounds, 10);
    pt_watch_children(children, 1);
    if (!threads) {
        rounds_on_copy("the parent", 0, kRounds);
        reap_children(children, 1, "child");
    } else {
        pthread_t second;
        if (pthread_create(&second, NULL, parent_second_thread, NULL) != 0)
            bh_setup_error("pthread_create failed");
        rounds_on_copy("the parent", 0, kRounds / 2);
        pthread_join(second, NULL);
        bh_phase_set("rounds of parent, child and late child on the copy");
        children[1] = spawn_child(1, child_second_half, 10);
        pt_watch_children(children, 2);
        rounds_on_copy("the parent", kRounds / 2, kRounds);
        reap_children(children, 2, "child");
    }
    if (atomic_load(&area->serials) != kRounds)
        bh_fail("%d rounds produced %u PTHREAD_BARRIER_SERIAL_THREAD", kRounds, atomic_load(&area->serials));
    if (atomic_load(&area->releases) != kRounds * count)
        bh_fail("%d rounds of %u released %u waits", kRounds, count, atomic_load(&area->releases));
    int rc = pthread_barrier_destroy(&area->barrier);
    if (rc != 0)
        bh_fail("destroy of the idle copy returned %s", bh_err_name(rc));
    bh_pass("%s: %d rounds of %u participants on a process-shared barrier copied from the stack",
            argv[1], kRounds, count);
}
