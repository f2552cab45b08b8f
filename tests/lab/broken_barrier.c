/* broken_barrier: the race lab's negative control, NOT part of the product.
   Preloaded like the shim, it replaces pthread_barrier_{init,wait,destroy}
   with a barrier that has the flaw glibc had before 2.23: after a round is
   released, every waiter still writes into the barrier object (it counts
   itself out), and destroy does not wait for those writes. It validates
   nothing either. A yield before the late write makes the flaw show up in
   most rounds, so the lab can prove that its detectors catch it: a write
   into freed or remapped memory, SIGSEGV on an unmapped page, a hang on a
   reused one, a wrong result on bad memory or a destroy that never says
   EBUSY. Every case the lab marks as applicable must fail with it. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OP_WAIT 0 /* FUTEX_WAIT */
#define OP_WAKE 1 /* FUTEX_WAKE */
#define OP_PRIVATE 128 /* FUTEX_PRIVATE_FLAG */

struct broken {
    atomic_uint in;    /* arrivals in the open round */
    atomic_uint round; /* futex word: bumped by the last arrival */
    unsigned count;
    atomic_uint out;   /* THE FLAW: written by every waiter after the release */
    unsigned private_flag;
};
_Static_assert(sizeof(struct broken) <= sizeof(pthread_barrier_t), "fits the caller's object");

static long futex(atomic_uint *word, int op, unsigned value)
{
    return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

int pthread_barrier_init(pthread_barrier_t *barrier, const pthread_barrierattr_t *attr,
                         unsigned count)
{
    struct broken *b = (struct broken *)barrier;
    if (count == 0)
        return EINVAL;
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr)
        pthread_barrierattr_getpshared(attr, &pshared);
    atomic_store(&b->in, 0);
    atomic_store(&b->round, 0);
    b->count = count;
    atomic_store(&b->out, 0);
    b->private_flag = pshared == PTHREAD_PROCESS_PRIVATE ? OP_PRIVATE : 0;
    return 0;
}

int pthread_barrier_wait(pthread_barrier_t *barrier)
{
    struct broken *b = (struct broken *)barrier;
    unsigned round = atomic_load(&b->round);
    int result = 0;
    if (atomic_fetch_add(&b->in, 1) + 1 == b->count) {
        atomic_store(&b->in, 0);
        atomic_fetch_add(&b->round, 1);
        futex(&b->round, OP_WAKE | (int)b->private_flag, INT_MAX);
        result = PTHREAD_BARRIER_SERIAL_THREAD;
    } else {
        while (atomic_load(&b->round) == round)
            if (futex(&b->round, OP_WAIT | (int)b->private_flag, round) != 0 && errno == EFAULT)
                break; /* the page is gone: the round must be over */
    }
    /* The flaw: the round is released, the caller of another thread may
       already have freed the memory, and we still write into it. */
    sched_yield();
    atomic_fetch_add(&b->out, 1);
    return result;
}

int pthread_barrier_destroy(pthread_barrier_t *barrier)
{
    (void)barrier; /* the second flaw: waits for nobody, checks nothing */
    return 0;
}
