/* A thread that left a wait by setcontext from a signal handler can still
 * exit with pthread_exit, and its value arrives.
 *
 * A handler leaves a process-shared wait (count 2, long spin: inside the
 * exit window) by setcontext to a context saved earlier by the same thread
 * on its own stack (as user-level schedulers and some error-recovery code
 * do). Then the thread calls pthread_exit((void *)42): the join must return
 * 42 within 3 s. (A cleanup registered per window for forced unwinding
 * stayed on the thread's cleanup list after such an exit, and the
 * pthread_exit then called a routine read from reused stack: SIGSEGV 10/10.)
 * Prints PASS or FAIL; exit 1 on a wrong value, a crash or a hang. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static pthread_barrier_t *P;
static ucontext_t before_wait;
static atomic_int in_wait, left;

static void handler(int sig) { (void)sig; setcontext(&before_wait); }

static void *victim(void *unused)
{
    (void)unused;
    getcontext(&before_wait);
    if (!atomic_load(&left)) {
        atomic_store(&left, 1);
        atomic_store(&in_wait, 1);
        pthread_barrier_wait(P);
        puts("the wait returned (unexpected)");
    }
    pthread_exit((void *)42);
}

static void ms(int n) { struct timespec t = {n / 1000, (n % 1000) * 1000000L}; nanosleep(&t, NULL); }

int main(void)
{
    alarm(20);
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR1, &sa, NULL);
    P = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_barrierattr_t a;
    pthread_barrierattr_init(&a);
    pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(P, &a, 2);
    pthread_t v;
    /* Keep the victim from exiting before we signal it: it leaves only via
     * the handler. */
    pthread_create(&v, NULL, victim, NULL);
    for (int k = 0; k < 2000 && !atomic_load(&in_wait); k++) ms(1);
    ms(100); /* inside the 2 s spin */
    pthread_kill(v, SIGUSR1);
    struct timespec d;
    clock_gettime(CLOCK_REALTIME, &d);
    d.tv_sec += 3;
    void *r = NULL;
    int jr = pthread_timedjoin_np(v, &r, &d);
    if (jr == 0 && r == (void *)42)
        printf("PASS: after setcontext out of a window, pthread_exit delivered its value\n");
    else
        printf("FAIL: join %s, value %ld (expected 42)\n", jr == 0 ? "ok" : strerror(jr), (long)r);
    return jr == 0 && r == (void *)42 ? 0 : 1;
}
