/* Behaviour: memory that held a barrier which was used and then abandoned
 * without pthread_barrier_destroy (a freed heap block, a stack slot of a
 * returned function) takes a new barrier: pthread_barrier_init on it returns
 * 0 every time, whatever the allocator or other code wrote over the old
 * barrier's bytes meanwhile, and the new barrier works (rounds of `count`
 * threads, exactly one PTHREAD_BARRIER_SERIAL_THREAD each).
 *
 * The old barrier is idle (its rounds are over) and nothing waits on it, so
 * there is nothing for init to protect; refusing (EBUSY) would leave a
 * program that does not check init's result with a barrier that hangs.
 *
 * Sub-cases:
 *  heap-single   one thread, count-1 barriers in a 64-byte malloc block that
 *                is freed without destroy and comes back from malloc (1600
 *                times).  Every third time the thread's tcache bin is filled
 *                first, so that free() puts the block into the arena's
 *                fastbin, which writes its list pointer over the first 8
 *                bytes and leaves the rest as it was; otherwise it goes
 *                through the tcache (free writes 16 bytes, malloc clears the
 *                second 8).  The test checks that the block does come back
 *                both ways.
 *  heap-threads  the same block shared by the main thread and 1 or 2 workers
 *                (counts 2 and 3, 1-3 rounds per barrier).
 *  heap-freed-by-first-back
 *                two pairs of threads take turns: the first thread of a pair
 *                to return from its barrier's last round frees the block at
 *                once (POSIX allows it: its wait has returned), while its
 *                partner may still be leaving that wait; a thread of the
 *                other pair gets the same block from malloc, initialises a
 *                new barrier in it and the pair does its rounds (400
 *                barriers).  One arena (mallopt M_ARENA_MAX) and full tcache
 *                bins make the freed block reach the other thread through
 *                the fastbin.
 *  stack-single  a function with a local barrier, called repeatedly; between
 *                calls, a sibling function with a local linked list writes a
 *                pointer over the first 8 bytes of the old barrier's slot.
 *  stack-threads the same, the local barrier used by 2 or 3 threads.
 *
 * Stock glibc copes with every sub-case but heap-freed-by-first-back: its
 * waiters still read and write the barrier after the round is released, so
 * a straggler can meet the next barrier in the block (some runs hang). */
#include "patterns.h"

#include <malloc.h>

/* A program's record holding a barrier: 64 bytes, a fastbin and tcache size. */
struct job {
    pthread_barrier_t barrier;
    unsigned payload[8];
};

enum { kTcacheBinEntries = 7 }; /* glibc's default per-thread bin size */

/* How init fared over reused memory, counted rather than stopping at the
 * first refusal, so the report says how often it happens. */
struct init_tally {
    unsigned inits, refused, fastbin_returns, tcache_returns;
    int first_refusal_rc;
    unsigned first_refusal_at;
};

static void tally_init(struct init_tally *t, int rc)
{
    t->inits++;
    if (rc != 0) {
        if (t->refused++ == 0) {
            t->first_refusal_rc = rc;
            t->first_refusal_at = t->inits;
        }
    }
}

static void report_refusals(const struct init_tally *t, const char *where)
{
    if (t->refused != 0)
        bh_fail("pthread_barrier_init over %s returned non-zero in %u of %u inits "
                "(first: %s at init #%u; %u blocks came back through the fastbin, %u through the tcache)",
                where, t->refused, t->inits, bh_err_name(t->first_refusal_rc), t->first_refusal_at,
                t->fastbin_returns, t->tcache_returns);
}

/* Frees `block` so that it lands in the arena's fastbin: first fills this
 * thread's tcache bin for the size (malloc 7 blocks, free them). */
static void free_through_fastbin(void *block, size_t size)
{
    void *fill[kTcacheBinEntries];
    for (int i = 0; i < kTcacheBinEntries; i++)
        if ((fill[i] = malloc(size)) == NULL)
            bh_setup_error("malloc failed");
    pt_free_all(fill, kTcacheBinEntries);
    free(block);
}

/* Frees `old` so that it lands in this thread's tcache: makes room in the
 * bin first (one malloc, freed again afterwards). */
static void *free_through_tcache(void *block, size_t size)
{
    void *room = malloc(size);
    if (room == NULL)
        bh_setup_error("malloc failed");
    free(block);
    return room;
}

/* Frees `old` (through the fastbin or the tcache), gets the same block back
 * from malloc and notes which way it came: bytes 8..15 unchanged means the
 * fastbin (only the first 8 bytes were written).  `was_used`: a barrier was
 * initialised there, so free() must have changed its first 8 bytes. */
static struct job *free_and_get_back(struct job *old, bool via_fastbin, bool was_used,
                                     struct init_tally *t)
{
    uint64_t first_before, second_before, first_after, second_after;
    memcpy(&first_before, old, 8);
    memcpy(&second_before, (char *)old + 8, 8);
    void *room = NULL;
    if (via_fastbin)
        free_through_fastbin(old, sizeof *old);
    else
        room = free_through_tcache(old, sizeof *old);
    void *extras[16];
    int n_extras;
    struct job *again = pt_malloc_until(old, sizeof *old, extras, &n_extras, 16);
    pt_free_all(extras, n_extras);
    free(room);
    if (again == NULL)
        bh_setup_error("malloc never handed the freed block %p back", (void *)old);
    memcpy(&first_after, again, 8);
    memcpy(&second_after, (char *)again + 8, 8);
    if (was_used && first_after == first_before)
        bh_setup_error("free() did not write over the first 8 bytes of the block");
    if (second_after == second_before)
        t->fastbin_returns++;
    else
        t->tcache_returns++;
    return again;
}

static void require_both_returns(const struct init_tally *t)
{
    if (t->fastbin_returns == 0 || t->tcache_returns == 0)
        bh_setup_error("the block came back %u times through the fastbin and %u times through the tcache; "
                       "expected both", t->fastbin_returns, t->tcache_returns);
}

/* ---- heap-single -------------------------------------------------------- */

static void heap_single(void)
{
    enum { kIterations = 1600 };
    struct init_tally t = {0};
    struct job *job = malloc(sizeof *job);
    if (job == NULL)
        bh_setup_error("malloc failed");
    memset(job, 0, sizeof *job);
    bh_phase_set("heap-single: init, waits, free without destroy, malloc, init");
    for (unsigned i = 0; i < kIterations; i++) {
        int rc = pthread_barrier_init(&job->barrier, NULL, 1);
        tally_init(&t, rc);
        if (rc == 0) {
            for (unsigned r = 0; r <= i % 3; r++) {
                int w = pthread_barrier_wait(&job->barrier);
                if (w != PTHREAD_BARRIER_SERIAL_THREAD)
                    bh_fail("iteration %u: a count-1 wait returned %s, expected PTHREAD_BARRIER_SERIAL_THREAD",
                            i, bh_err_name(w));
            }
        }
        job = free_and_get_back(job, i % 3 == 0, rc == 0, &t);
    }
    free(job);
    require_both_returns(&t);
    report_refusals(&t, "a reused heap block");
    bh_pass("heap-single: %u inits over reused blocks (%u via the fastbin, %u via the tcache) all returned 0",
            t.inits, t.fastbin_returns, t.tcache_returns);
}

/* ---- heap-threads ------------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned generation; /* bumped by the main thread for each new barrier */
    struct job *job;
    unsigned count, rounds, finished;
    bool stop;
} crew = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, 0, 0, 0, false};
static atomic_uint crew_serials;

static void crew_rounds(struct job *job, unsigned rounds, unsigned generation)
{
    for (unsigned r = 0; r < rounds; r++) {
        int rc = pthread_barrier_wait(&job->barrier);
        if (!bh_wait_ok(rc))
            bh_fail("barrier #%u, round %u: wait returned %s", generation, r, bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&crew_serials, 1);
    }
}

static void *crew_worker(void *arg)
{
    unsigned index = (unsigned)(uintptr_t)arg; /* 1 or 2 */
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&crew.lock);
        while (crew.generation == seen && !crew.stop)
            pthread_cond_wait(&crew.changed, &crew.lock);
        if (crew.stop) {
            pthread_mutex_unlock(&crew.lock);
            return NULL;
        }
        seen = crew.generation;
        struct job *job = crew.job;
        unsigned count = crew.count, rounds = crew.rounds;
        pthread_mutex_unlock(&crew.lock);
        if (index >= count)
            continue; /* not a participant of this barrier */
        crew_rounds(job, rounds, seen);
        pthread_mutex_lock(&crew.lock);
        crew.finished++;
        pthread_cond_broadcast(&crew.changed);
        pthread_mutex_unlock(&crew.lock);
    }
}

static void heap_threads(void)
{
    enum { kIterations = 400 };
    struct init_tally t = {0};
    pthread_t workers[2];
    for (unsigned i = 0; i < 2; i++)
        if (pthread_create(&workers[i], NULL, crew_worker, (void *)(uintptr_t)(i + 1)) != 0)
            bh_setup_error("pthread_create failed");
    struct job *job = malloc(sizeof *job);
    if (job == NULL)
        bh_setup_error("malloc failed");
    memset(job, 0, sizeof *job);
    unsigned expected_serials = 0;
    double started = bh_now();
    unsigned i;
    for (i = 0; i < kIterations && bh_now() - started < 5.0; i++) {
        unsigned count = 2 + i % 2, rounds = 1 + i % 3;
        bh_phase_set("heap-threads: init over the reused block");
        int rc = pthread_barrier_init(&job->barrier, NULL, count);
        tally_init(&t, rc);
        if (rc == 0) {
            bh_phase_set("heap-threads: rounds on the new barrier");
            pthread_mutex_lock(&crew.lock);
            crew.job = job;
            crew.count = count;
            crew.rounds = rounds;
            crew.finished = 0;
            crew.generation++;
            pthread_cond_broadcast(&crew.changed);
            pthread_mutex_unlock(&crew.lock);
            crew_rounds(job, rounds, i);
            expected_serials += rounds;
            pthread_mutex_lock(&crew.lock);
            while (crew.finished < count - 1)
                pthread_cond_wait(&crew.changed, &crew.lock);
            pthread_mutex_unlock(&crew.lock);
        }
        /* Every worker is done with the block: free it, without destroy. */
        job = free_and_get_back(job, i % 3 == 0, rc == 0, &t);
    }
    pthread_mutex_lock(&crew.lock);
    crew.stop = true;
    pthread_cond_broadcast(&crew.changed);
    pthread_mutex_unlock(&crew.lock);
    for (unsigned w = 0; w < 2; w++)
        pthread_join(workers[w], NULL);
    free(job);
    if (atomic_load(&crew_serials) != expected_serials)
        bh_fail("%u rounds produced %u PTHREAD_BARRIER_SERIAL_THREAD", expected_serials,
                atomic_load(&crew_serials));
    require_both_returns(&t);
    report_refusals(&t, "a reused heap block");
    bh_pass("heap-threads: %u barriers in a reused block (%u via the fastbin), %u rounds, all inits returned 0",
            i, t.fastbin_returns, expected_serials);
}

/* ---- heap-freed-by-first-back ------------------------------------------- */

enum { kPairGenerations = 400 };
static struct job *_Atomic pair_job[2];
static _Atomic unsigned pair_generation[2]; /* generation + 1 published to the partner */
static _Atomic unsigned freed_generation;   /* generation + 1 whose block was freed */
static _Atomic unsigned first_back[2];      /* generation + 1 a thread of the pair claimed */
static atomic_uint pair_serials, pair_rounds, pair_fastbin_returns;
static void *_Atomic last_block;
static atomic_uint bins_filled;

static void fill_own_tcache_bin(void)
{
    void *fill[kTcacheBinEntries];
    for (int i = 0; i < kTcacheBinEntries; i++)
        if ((fill[i] = malloc(sizeof(struct job))) == NULL)
            bh_setup_error("malloc failed");
    pt_free_all(fill, kTcacheBinEntries);
}

static void *pair_member(void *arg)
{
    unsigned index = (unsigned)(uintptr_t)arg; /* 0..3 */
    unsigned pair = index / 2;
    bool leader = index % 2 == 0;
    /* A full tcache bin: this thread's frees of the size go to the shared
     * arena's fastbin, where the other pair's malloc finds them. */
    fill_own_tcache_bin();
    /* All four bins full before the first block is freed (a thread filling
     * its bin later would take the block from the fastbin). */
    atomic_fetch_add(&bins_filled, 1);
    for (int polls = 0; polls < 100000 && atomic_load(&bins_filled) < 4; polls++)
        sched_yield();
    if (atomic_load(&bins_filled) < 4)
        bh_setup_error("the other threads never started");
    for (unsigned g = pair; g < kPairGenerations; g += 2) {
        struct job *job;
        if (leader) {
            if (g > 0) {
                bh_phase_set("first-back: waiting for the other pair to free its block");
                if (!pt_poll_until_equal(&freed_generation, g, 5000))
                    bh_fail("generation %u: the block of generation %u was never freed", g, g - 1);
                void *extras[16];
                int n_extras;
                job = pt_malloc_until(atomic_load(&last_block), sizeof *job, extras, &n_extras, 16);
                pt_free_all(extras, n_extras);
                if (job == NULL)
                    bh_setup_error("generation %u: malloc never handed the freed block back", g);
                uint64_t second;
                memcpy(&second, (char *)job + 8, 8);
                if (second != 0)
                    atomic_fetch_add(&pair_fastbin_returns, 1);
            } else {
                if ((job = malloc(sizeof *job)) == NULL)
                    bh_setup_error("malloc failed");
                memset(job, 0, sizeof *job);
                fill_own_tcache_bin(); /* the malloc took one entry */
            }
            bh_phase_set("first-back: init over the block the other pair just freed");
            int rc = pthread_barrier_init(&job->barrier, NULL, 2);
            if (rc != 0)
                bh_fail("generation %u: pthread_barrier_init over the block freed by the first thread back "
                        "from the previous barrier returned %s", g, bh_err_name(rc));
            atomic_store(&pair_job[pair], job);
            atomic_store(&pair_generation[pair], g + 1);
        } else {
            bh_phase_set("first-back: waiting for the leader's new barrier");
            if (!pt_poll_until_equal(&pair_generation[pair], g + 1, 5000))
                bh_fail("generation %u: the leader never published its barrier", g);
            job = atomic_load(&pair_job[pair]);
        }
        bh_phase_set("first-back: rounds of a pair");
        unsigned rounds = 1 + g % 3;
        for (unsigned r = 0; r < rounds; r++) {
            int rc = pthread_barrier_wait(&job->barrier);
            if (!bh_wait_ok(rc))
                bh_fail("generation %u, round %u: wait returned %s", g, r, bh_err_name(rc));
            if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
                atomic_fetch_add(&pair_serials, 1);
        }
        if (atomic_exchange(&first_back[pair], g + 1) != g + 1) {
            /* First back from the last round: free at once, no destroy. */
            atomic_fetch_add(&pair_rounds, rounds);
            atomic_store(&last_block, (void *)job);
            free(job);
            atomic_store(&freed_generation, g + 1);
        }
    }
    /* Stay until the last block is in use: an exiting thread hands its
     * tcache entries to the fastbin, in front of the freed block. */
    bh_phase_set("first-back: waiting for the last generation");
    if (!pt_poll_until_equal(&freed_generation, kPairGenerations, 5000))
        bh_fail("the last generation never ended");
    return NULL;
}

static void heap_freed_by_first_back(void)
{
    /* One arena for all threads, so a block freed by one thread can come back
     * from another thread's malloc. */
    if (mallopt(M_ARENA_MAX, 1) != 1)
        bh_setup_error("mallopt(M_ARENA_MAX, 1) failed");
    pthread_t threads[4];
    for (unsigned i = 0; i < 4; i++)
        if (pthread_create(&threads[i], NULL, pair_member, (void *)(uintptr_t)i) != 0)
            bh_setup_error("pthread_create failed");
    for (unsigned i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    if (atomic_load(&pair_serials) != atomic_load(&pair_rounds))
        bh_fail("%u rounds produced %u PTHREAD_BARRIER_SERIAL_THREAD", atomic_load(&pair_rounds),
                atomic_load(&pair_serials));
    if (atomic_load(&pair_fastbin_returns) == 0)
        bh_setup_error("the freed block never came back through the fastbin");
    bh_pass("heap-freed-by-first-back: %u barriers, each in the block the first thread back from "
            "the previous one freed (%u via the fastbin), %u rounds",
            kPairGenerations, atomic_load(&pair_fastbin_returns), atomic_load(&pair_rounds));
}

/* ---- stack-single, stack-threads ---------------------------------------- */

/* Where the last barrier lived, and the extent of the last list of nodes. */
static char *_Atomic barrier_slot;
static char *nodes_low, *nodes_high;
static pthread_barrier_t *_Atomic stack_barrier;
static atomic_uint stack_serials;

struct node {
    struct node *next;
    char payload[24];
};

/* Keeps the compiler from dropping stores to an object it sees unused. */
__attribute__((noinline)) static void use_memory(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

struct stack_rounds {
    unsigned rounds;
    unsigned index;
};

static void *stack_helper(void *arg)
{
    struct stack_rounds *sr = arg;
    pthread_barrier_t *b = atomic_load(&stack_barrier);
    for (unsigned r = 0; r < sr->rounds; r++) {
        int rc = pthread_barrier_wait(b);
        if (!bh_wait_ok(rc))
            bh_fail("stack barrier, round %u: wait returned %s", r, bh_err_name(rc));
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&stack_serials, 1);
    }
    return NULL;
}

/* A function with a local barrier, used by `count` threads for `rounds`
 * rounds and then abandoned (no destroy).  Returns init's result. */
__attribute__((noinline)) static int with_local_barrier(unsigned count, unsigned rounds)
{
    _Alignas(32) pthread_barrier_t barrier;
    atomic_store(&barrier_slot, (char *)&barrier);
    int rc = pthread_barrier_init(&barrier, NULL, count);
    if (rc != 0)
        return rc;
    atomic_store(&stack_barrier, &barrier);
    pthread_t helpers[2];
    struct stack_rounds sr = {rounds, 0};
    for (unsigned i = 0; i + 1 < count; i++)
        if (pthread_create(&helpers[i], NULL, stack_helper, &sr) != 0)
            bh_setup_error("pthread_create failed");
    for (unsigned r = 0; r < rounds; r++) {
        int w = pthread_barrier_wait(&barrier);
        if (!bh_wait_ok(w))
            bh_fail("stack barrier, round %u: wait returned %s", r, bh_err_name(w));
        if (w == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&stack_serials, 1);
    }
    for (unsigned i = 0; i + 1 < count; i++)
        pthread_join(helpers[i], NULL);
    use_memory(&barrier);
    return 0;
}

/* A sibling function whose local free list of nodes covers the same stack
 * memory; linking the nodes writes a pointer into the first 8 bytes of every
 * 32-byte slot and leaves the payloads as they were. */
__attribute__((noinline)) static int with_local_list(unsigned count, unsigned rounds)
{
    _Alignas(32) struct node nodes[16];
    for (unsigned i = 0; i < 16; i++)
        nodes[i].next = i + 1 < 16 ? &nodes[i + 1] : NULL;
    nodes_low = (char *)nodes;
    nodes_high = (char *)(nodes + 16);
    use_memory(nodes);
    return (int)(count + rounds);
}

static void stack_case(bool threads)
{
    enum { kSingleIterations = 1600, kThreadIterations = 300 };
    unsigned iterations = threads ? kThreadIterations : kSingleIterations;
    struct init_tally t = {0};
    unsigned expected_serials = 0;
    bh_phase_set(threads ? "stack-threads: a local barrier in a reused stack slot"
                         : "stack-single: a local barrier in a reused stack slot");
    /* The first call only finds where the slot is. */
    with_local_barrier(1, 1);
    expected_serials++;
    for (unsigned i = 0; i < iterations; i++) {
        with_local_list(i, 0);
        char *slot = atomic_load(&barrier_slot);
        if (slot < nodes_low || slot + 32 > nodes_high || (slot - nodes_low) % 32 != 0)
            bh_setup_error("the list does not cover the barrier's old stack slot "
                           "(slot %p, list %p..%p)", (void *)slot, (void *)nodes_low, (void *)nodes_high);
        unsigned count = threads ? 2 + i % 2 : 1, rounds = 1 + i % 3;
        int rc = with_local_barrier(count, rounds);
        if (atomic_load(&barrier_slot) != slot)
            bh_setup_error("the local barrier moved from %p to %p", (void *)slot,
                           (void *)atomic_load(&barrier_slot));
        tally_init(&t, rc);
        if (rc == 0)
            expected_serials += rounds;
    }
    if (atomic_load(&stack_serials) != expected_serials)
        bh_fail("%u rounds produced %u PTHREAD_BARRIER_SERIAL_THREAD", expected_serials,
                atomic_load(&stack_serials));
    report_refusals(&t, "a reused stack slot");
    bh_pass("%s: %u inits of a local barrier over the old one's stack slot all returned 0, %u rounds",
            threads ? "stack-threads" : "stack-single", t.inits, expected_serials);
}

int main(int argc, char **argv)
{
    const char *cases = "heap-single | heap-threads | heap-freed-by-first-back | stack-single | stack-threads";
    if (argc != 2) {
        fprintf(stderr, "usage: %s %s\n", argv[0], cases);
        return BH_SETUP;
    }
    bh_start("setup", 20);
    /* No filling of freed and allocated blocks (meson test sets
     * MALLOC_PERTURB_): the allocator must leave the old barrier's bytes as
     * an ordinary program's allocator does. */
    if (mallopt(M_PERTURB, 0) != 1)
        bh_setup_error("mallopt(M_PERTURB, 0) failed");
    if (strcmp(argv[1], "heap-single") == 0)
        heap_single();
    else if (strcmp(argv[1], "heap-threads") == 0)
        heap_threads();
    else if (strcmp(argv[1], "heap-freed-by-first-back") == 0)
        heap_freed_by_first_back();
    else if (strcmp(argv[1], "stack-single") == 0)
        stack_case(false);
    else if (strcmp(argv[1], "stack-threads") == 0)
        stack_case(true);
    fprintf(stderr, "usage: %s %s\n", argv[0], cases);
    return BH_SETUP;
}
