/* Reliability: waits and wrapped unmaps need no file descriptor.  With every
 * descriptor in use (RLIMIT_NOFILE lowered to 64, then /dev/null opened
 * until EMFILE), after the threads exist, 4 threads pass thousands of
 * rounds, each checked (serial waiter exactly once, every wait 0 or
 * PTHREAD_BARRIER_SERIAL_THREAD, nobody early), with a wrapped unmap by
 * each round's serial waiter.  Sub-case: private | shared. */
#include "limited_rounds.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

enum { DESCRIPTOR_LIMIT = 64 };

static struct rlimit original;
static int fillers[DESCRIPTOR_LIMIT];
static int filler_count;
static rlim_t limit_in_force;

static void exhaust_descriptors(void)
{
    if (getrlimit(RLIMIT_NOFILE, &original) != 0)
        bh_setup_error("getrlimit failed");
    if (original.rlim_cur > DESCRIPTOR_LIMIT) {
        struct rlimit lower = {DESCRIPTOR_LIMIT, original.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &lower) != 0)
            bh_setup_error("setrlimit(RLIMIT_NOFILE) failed: %s", strerror(errno));
    }
    limit_in_force = original.rlim_cur > DESCRIPTOR_LIMIT ? DESCRIPTOR_LIMIT : original.rlim_cur;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            if (errno != EMFILE)
                bh_setup_error("open stopped with %s, not EMFILE", strerror(errno));
            break;
        }
        if (filler_count == DESCRIPTOR_LIMIT)
            bh_setup_error("more than %d descriptors could be opened", DESCRIPTOR_LIMIT);
        fillers[filler_count++] = fd;
    }
    /* Exhausted for every kind of descriptor, or the test proves nothing. */
    int pair[2];
    if (pipe(pair) == 0 || errno != EMFILE)
        bh_setup_error("pipe() did not fail with EMFILE");
    if (eventfd(0, 0) >= 0 || errno != EMFILE)
        bh_setup_error("eventfd() did not fail with EMFILE");
}

static void release_descriptors(void)
{
    for (int i = 0; i < filler_count; i++)
        close(fillers[i]);
    setrlimit(RLIMIT_NOFILE, &original);
}

int main(int argc, char **argv)
{
    long long rounds = limited_rounds(argc, argv, exhaust_descriptors, release_descriptors);
    bh_pass("%s: %lld rounds of %d threads with a wrapped unmap each, with all %ld descriptors in "
            "use (%d of them /dev/null; open, pipe and eventfd failed with EMFILE)", argv[1], rounds,
            PARTICIPANTS, (long)limit_in_force, filler_count);
}
