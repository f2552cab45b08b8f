/* What a program can observe of pthread_barrier_* and of the calls the shim
 * wraps, printed as "key=value" lines, one case per run, so that the same
 * binary run with glibc and with the shim can be compared line by line
 * (same_as_glibc.sh; the table in doc/behaviour.md).
 *
 * Usage: behaviour_probe CASE
 * Cases:
 *   barrier-errno        return values, and errno (preset to a sentinel)
 *                        after every barrier and attribute call, succeeding
 *                        and failing
 *   unmap-calls-errno    return values and errno of munmap, mmap, mmap64,
 *                        mremap and shmdt, succeeding and with bad arguments
 *   cancel-pending-wait  a deferred cancellation pending across a wait: the
 *                        wait completes, the next cancellation point acts
 *   dlopen-binding       which object a library's pthread_barrier_wait binds
 *                        to, loaded with dlopen plainly and with
 *                        RTLD_DEEPBIND (argument: the library's path)
 *   spawn-while-waiting  vfork+exec and posix_spawn while other threads
 *                        wait at a barrier
 *   stack-barrier-exit   a barrier on the stack of a thread that returns as
 *                        soon as its wait does, 2000 times
 *   rounds               a plain 4-thread barrier program (for the stacked
 *                        preload rows)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { kSentinel = 4242 };

/* Prints KEY=RESULT,errno=E with errno's name-independent number, then
 * presets errno to the sentinel again. */
#define PROBE(key, expression)                                   \
    do {                                                         \
        errno = kSentinel;                                       \
        long result_ = (long)(expression);                       \
        int saved_ = errno;                                      \
        printf("%s=%ld errno=%s\n", key, result_,                \
               saved_ == kSentinel ? "unchanged" : strerror(saved_)); \
    } while (0)

static int barrier_errno(void)
{
    pthread_barrierattr_t attr;
    pthread_barrier_t barrier;
    int pshared = -1;
    PROBE("attr_init", pthread_barrierattr_init(&attr));
    PROBE("attr_setpshared_shared", pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
    PROBE("attr_setpshared_bad", pthread_barrierattr_setpshared(&attr, 7));
    PROBE("attr_getpshared", pthread_barrierattr_getpshared(&attr, &pshared));
    printf("attr_getpshared_value=%d\n", pshared);
    PROBE("init_shared", pthread_barrier_init(&barrier, &attr, 1));
    PROBE("wait_count1", pthread_barrier_wait(&barrier));
    PROBE("destroy", pthread_barrier_destroy(&barrier));
    PROBE("attr_destroy", pthread_barrierattr_destroy(&attr));
    PROBE("init_count0", pthread_barrier_init(&barrier, NULL, 0));
    PROBE("init_private", pthread_barrier_init(&barrier, NULL, 2));
    PROBE("destroy_private", pthread_barrier_destroy(&barrier));
    return 0;
}

static int unmap_calls_errno(void)
{
    const long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    PROBE("mmap_ok", p == MAP_FAILED ? -1 : 0);
    PROBE("mmap_fixed_ok",
          mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p ? 0 : -1);
    PROBE("mmap64_fixed_ok",
          mmap64(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p ? 0 : -1);
    PROBE("mmap_fixed_unaligned",
          mmap(p + 1, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0);
    PROBE("mmap_bad_fd", mmap(NULL, page, PROT_READ, MAP_SHARED, 12345, 0) == MAP_FAILED ? -1 : 0);
    PROBE("mmap_length0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
    PROBE("mremap_shrink", mremap(p, 4 * page, 2 * page, 0) == p ? 0 : -1);
    PROBE("mremap_unaligned", mremap(p + 1, page, page, 0) == MAP_FAILED ? -1 : 0);
    PROBE("mremap_bad_flags", mremap(p, page, page, 0x40) == MAP_FAILED ? -1 : 0);
    PROBE("munmap_unaligned", munmap(p + 1, page));
    PROBE("munmap_length0", munmap(p, 0));
    PROBE("munmap_ok", munmap(p, 2 * page));
    PROBE("munmap_unmapped_again", munmap(p, 2 * page));
    int id = shmget(IPC_PRIVATE, page, IPC_CREAT | 0600);
    void *segment = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
    if (id >= 0) shmctl(id, IPC_RMID, NULL);
    PROBE("shmdt_ok", segment == (void *)-1 ? -2 : shmdt(segment));
    PROBE("shmdt_not_attached", shmdt(segment));
    PROBE("shmdt_unaligned", shmdt((char *)segment + 1));
    return 0;
}

static void *cancel_pending_waiter(void *barrier)
{
    pthread_cancel(pthread_self());  /* pending until a cancellation point */
    int rc = pthread_barrier_wait(barrier);
    printf("wait_with_cancel_pending=%s\n",
           rc == PTHREAD_BARRIER_SERIAL_THREAD ? "serial" : rc == 0 ? "0" : strerror(rc));
    fflush(stdout);
    pthread_testcancel();
    printf("testcancel_returned\n");
    return NULL;
}

static int cancel_pending_wait(void)
{
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 1);
    pthread_t thread;
    void *status = NULL;
    pthread_create(&thread, NULL, cancel_pending_waiter, &barrier);
    pthread_join(thread, &status);
    printf("thread_cancelled_at_testcancel=%s\n", status == PTHREAD_CANCELED ? "yes" : "no");
    pthread_barrier_destroy(&barrier);
    return 0;
}

static const char *object_of(void *symbol)
{
    Dl_info info;
    if (symbol == NULL || !dladdr(symbol, &info) || info.dli_fname == NULL) return "?";
    if (strstr(info.dli_fname, "barrier-shim")) return "shim";
    if (strstr(info.dli_fname, "libc.so")) return "libc";
    return info.dli_fname;
}

static int dlopen_binding(const char *library)
{
    printf("main_binds_to=%s\n", object_of(dlsym(RTLD_DEFAULT, "pthread_barrier_wait")));
    const int modes[2] = {RTLD_NOW | RTLD_LOCAL, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND};
    const char *names[2] = {"dlopen", "dlopen_deepbind"};
    for (int i = 0; i < 2; i++) {
        void *handle = dlopen(library, modes[i]);
        if (handle == NULL) {
            printf("%s=failed %s\n", names[i], dlerror());
            return 1;
        }
        void *(*bound)(void) = (void *(*)(void))dlsym(handle, "probe_bound_barrier_wait");
        int (*rounds)(int) = (int (*)(int))dlsym(handle, "probe_run_rounds");
        printf("%s_binds_to=%s\n", names[i], bound ? object_of(bound()) : "?");
        printf("%s_rounds=%s\n", names[i], rounds && rounds(100) == 0 ? "ok" : "failed");
        dlclose(handle);
    }
    return 0;
}

static pthread_barrier_t spawn_barrier;
static void *spawn_waiter(void *unused)
{
    (void)unused;
    for (int i = 0; i < 2000; i++) pthread_barrier_wait(&spawn_barrier);
    return NULL;
}

static int spawn_while_waiting(void)
{
    pthread_barrier_init(&spawn_barrier, NULL, 2);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, spawn_waiter, NULL);
    int vfork_ok = 0, spawn_ok = 0;
    for (int i = 0; i < 20; i++) {
        pid_t child = vfork();
        if (child == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        int status = 0;
        if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            vfork_ok++;
        char *argv[] = {"true", NULL};
        pid_t spawned;
        if (posix_spawn(&spawned, "/bin/true", NULL, NULL, argv, environ) == 0 &&
            waitpid(spawned, &status, 0) == spawned && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            spawn_ok++;
    }
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&spawn_barrier);
    printf("vfork_exec_ok=%d/20\nposix_spawn_ok=%d/20\n", vfork_ok, spawn_ok);
    return 0;
}

/* The thread's barrier lives on its stack; it hands its address over, waits,
 * and returns at once: its stack goes back to glibc's cache and the next
 * thread's frames overwrite it, while main may still be leaving the wait. */
struct stack_handover {
    pthread_barrier_t *_Atomic barrier;
};

static void *stack_barrier_owner(void *arg)
{
    struct stack_handover *handover = arg;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    handover->barrier = &barrier;
    long rc = pthread_barrier_wait(&barrier);
    return (void *)rc;  /* no destroy: the frame is gone, as in legacy code */
}

static void *stack_scribbler(void *unused)
{
    (void)unused;
    volatile char frame[8192];
    memset((char *)frame, 0x5a, sizeof(frame));
    return NULL;
}

static int stack_barrier_exit(void)
{
    int wrong = 0, serial_wrong = 0;
    for (int i = 0; i < 2000; i++) {
        struct stack_handover handover = {NULL};
        pthread_t owner, scribbler;
        pthread_create(&owner, NULL, stack_barrier_owner, &handover);
        while (handover.barrier == NULL) sched_yield();
        int rc = pthread_barrier_wait(handover.barrier);
        if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD) wrong++;
        void *owner_rc = NULL;
        pthread_join(owner, &owner_rc);
        /* Exactly one of the two got PTHREAD_BARRIER_SERIAL_THREAD. */
        if ((rc == PTHREAD_BARRIER_SERIAL_THREAD) == ((long)owner_rc == PTHREAD_BARRIER_SERIAL_THREAD))
            serial_wrong++;
        pthread_create(&scribbler, NULL, stack_scribbler, NULL);
        pthread_join(scribbler, NULL);
    }
    printf("stack_barrier_rounds_wrong=%d/2000\nstack_barrier_serial_wrong=%d/2000\n", wrong,
           serial_wrong);
    return 0;
}

static pthread_barrier_t rounds_barrier;
static int rounds_counter[4];
static void *rounds_worker(void *arg)
{
    int self = (int)(long)arg;
    for (int r = 0; r < 5000; r++) {
        rounds_counter[self] = r;
        pthread_barrier_wait(&rounds_barrier);
        for (int t = 0; t < 4; t++)
            if (rounds_counter[t] != r) abort();
        pthread_barrier_wait(&rounds_barrier);
    }
    return NULL;
}

static int rounds(void)
{
    pthread_barrier_init(&rounds_barrier, NULL, 4);
    pthread_t threads[4];
    for (long t = 0; t < 4; t++) pthread_create(&threads[t], NULL, rounds_worker, (void *)t);
    for (int t = 0; t < 4; t++) pthread_join(threads[t], NULL);
    pthread_barrier_destroy(&rounds_barrier);
    void *block = malloc(1 << 20);  /* the allocator's mmap and munmap */
    free(block);
    printf("rounds=ok binds_to=%s\n", object_of(dlsym(RTLD_DEFAULT, "pthread_barrier_wait")));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASE [ARG]\n", argv[0]);
        return 2;
    }
    const char *name = argv[1];
    /* Every case says which objects it ran against, so that a comparison can
     * tell a run with the shim from one where it was never used. */
    printf("barrier_calls_bind_to=%s\n", object_of(dlsym(RTLD_DEFAULT, "pthread_barrier_wait")));
    printf("unmap_calls_bind_to=%s\n", object_of(dlsym(RTLD_DEFAULT, "munmap")));
    if (strcmp(name, "barrier-errno") == 0) return barrier_errno();
    if (strcmp(name, "unmap-calls-errno") == 0) return unmap_calls_errno();
    if (strcmp(name, "cancel-pending-wait") == 0) return cancel_pending_wait();
    if (strcmp(name, "dlopen-binding") == 0 && argc == 3) return dlopen_binding(argv[2]);
    if (strcmp(name, "spawn-while-waiting") == 0) return spawn_while_waiting();
    if (strcmp(name, "stack-barrier-exit") == 0) return stack_barrier_exit();
    if (strcmp(name, "rounds") == 0) return rounds();
    fprintf(stderr, "unknown case %s\n", name);
    return 2;
}
