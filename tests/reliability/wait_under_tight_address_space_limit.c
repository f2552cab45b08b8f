/* Reliability: waits and wrapped unmaps need no new address space.  With
 * RLIMIT_AS set just above what the process already uses (after its threads
 * exist), so that any fresh mapping or large malloc fails, 4 threads pass
 * thousands of rounds, each checked (serial waiter exactly once, every wait
 * 0 or PTHREAD_BARRIER_SERIAL_THREAD, nobody early), with a wrapped unmap
 * by each round's serial waiter.  Sub-case: private | shared. */
#include "limited_rounds.h"
#include <sys/resource.h>

/* Room above current use: scratch_unmaps needs a page at a time. */
enum { SLACK_BYTES = 64 * 1024, PROBE_BYTES = 1 << 20 };

static struct rlimit original;
static long limit_bytes;

/* The main thread's stack grows on demand, and growing it needs address
 * space: touch what the rest of the run can need before the limit. */
static void pretouch_main_stack(void)
{
    volatile char reserve[256 * 1024];
    for (size_t i = 0; i < sizeof reserve; i += 1024)
        reserve[i] = 1;
}

static long address_space_bytes(void)
{
    FILE *statm = fopen("/proc/self/statm", "r");
    long pages = -1;
    if (!statm || fscanf(statm, "%ld", &pages) != 1)
        bh_setup_error("cannot read /proc/self/statm");
    fclose(statm);
    return pages * sysconf(_SC_PAGESIZE);
}

static void apply_limit(void)
{
    pretouch_main_stack();
    if (getrlimit(RLIMIT_AS, &original) != 0)
        bh_setup_error("getrlimit failed");
    limit_bytes = address_space_bytes() + SLACK_BYTES;
    struct rlimit tight = {(rlim_t)limit_bytes, original.rlim_max};
    if (setrlimit(RLIMIT_AS, &tight) != 0)
        bh_setup_error("setrlimit(RLIMIT_AS) failed: %s", strerror(errno));
    /* The limit must bite, or the test proves nothing. */
    void *probe = mmap(NULL, PROBE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe != MAP_FAILED)
        bh_setup_error("a 1 MiB mmap still succeeded under RLIMIT_AS");
    void *block = malloc(PROBE_BYTES);
    if (block != NULL)
        bh_setup_error("a 1 MiB malloc still succeeded under RLIMIT_AS");
}

static void lift_limit(void)
{
    setrlimit(RLIMIT_AS, &original);
}

int main(int argc, char **argv)
{
    long long rounds = limited_rounds(argc, argv, apply_limit, lift_limit);
    bh_pass("%s: %lld rounds of %d threads with a wrapped unmap each, under RLIMIT_AS = %ld KiB "
            "(current use + %d KiB; 1 MiB mmap and malloc failed)", argv[1], rounds, PARTICIPANTS,
            limit_bytes / 1024, SLACK_BYTES / 1024);
}
