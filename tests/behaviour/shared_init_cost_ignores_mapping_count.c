/* Behaviour: initialising a process-shared barrier does not read the list of
 * the process's mappings, so its cost does not grow with their number. Init
 * must learn whether the barrier lies in shared or private memory; reading
 * /proc/self/maps up to the barrier's line cost about a microsecond per
 * mapping (30000 mappings, as a JVM or a database may have: 21 ms per init,
 * glibc 0.07 us). The kernel answers for one address (PROCMAP_QUERY, Linux
 * 6.11), and the shim must ask that way where it can. 20000 mappings are
 * made, the barriers lie in shared memory mapped before them (so a scan of
 * the text would pass all of them) and in private memory (the stack), and a
 * seccomp filter turns every read(2) into SIGSYS, which this program counts.
 * On a kernel without PROCMAP_QUERY the program says so and exits 77
 * (meson: skipped). */
#include "behaviour.h"
#include "trap_system_call.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MAPPINGS 20000
#define INITS 50

static volatile sig_atomic_t read_calls;

static void count_read(int sig) { (void)sig; read_calls++; }

/* Whether the kernel answers PROCMAP_QUERY (a 104-byte struct, command 17 of
 * type 'f'); any answer but "no such ioctl" means it knows the request. */
static bool kernel_has_procmap_query(void)
{
    unsigned char query[104] = {0};
    uint64_t size = sizeof query;
    memcpy(query, &size, sizeof size);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    int rc = ioctl(fd, _IOWR('f', 17, unsigned char[104]), query);
    int saved = errno;
    close(fd);
    return rc == 0 || saved == ENOENT;
}

/* MAPPINGS separate mappings: every other page of one reservation is made
 * read-only, so no two neighbours merge. */
static void make_mappings(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *area = mmap(NULL, (size_t)page * MAPPINGS, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) bh_setup_error("mmap: %s", strerror(errno));
    for (long i = 0; i < MAPPINGS / 2; i++) {
        if (mprotect(area + 2 * i * page, (size_t)page, PROT_READ) != 0)
            bh_setup_error("mprotect (raise vm.max_map_count?): %s", strerror(errno));
    }
}

static int init_wait_destroy(pthread_barrier_t *barrier, const pthread_barrierattr_t *attr)
{
    if (pthread_barrier_init(barrier, attr, 1) != 0) return -1;
    if (pthread_barrier_wait(barrier) != PTHREAD_BARRIER_SERIAL_THREAD) return -1;
    return pthread_barrier_destroy(barrier);
}

int main(void)
{
    bh_start("setup", 60);
    if (!kernel_has_procmap_query()) {
        printf("SKIP: this kernel has no PROCMAP_QUERY (Linux 6.11): a scan is all it offers\n");
        return 77;
    }
    pthread_barrier_t *in_shared = mmap(NULL, sizeof *in_shared, PROT_READ | PROT_WRITE,
                                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (in_shared == MAP_FAILED) bh_setup_error("mmap(MAP_SHARED): %s", strerror(errno));
    make_mappings();
    pthread_barrierattr_t attr;
    if (pthread_barrierattr_init(&attr) != 0 ||
        pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0)
        bh_setup_error("cannot build a process-shared attribute");
    pthread_barrier_t on_stack;
    if (count_system_call(__NR_read, count_read) != 0) bh_setup_error("sigaction or seccomp: %s", strerror(errno));
    bh_phase_set("init, wait and destroy");
    for (int i = 0; i < INITS; i++) {
        if (init_wait_destroy(in_shared, &attr) != 0 || init_wait_destroy(&on_stack, &attr) != 0)
            bh_fail("a process-shared barrier failed (round %d)", i);
    }
    if (read_calls != 0) {
        bh_fail("%d read calls in %d inits of process-shared barriers among %d mappings",
                (int)read_calls, 2 * INITS, MAPPINGS);
    }
    bh_pass("%d inits of process-shared barriers among %d mappings read nothing", 2 * INITS,
            MAPPINGS);
}
