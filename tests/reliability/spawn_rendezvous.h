/* What a spawning test shares with the programs it spawns: one page of a
 * memfd, inherited as a descriptor across exec, holding one count-2
 * process-shared barrier per spawning thread.  Each spawned program maps the
 * page at its own address and meets its spawner there once. */
#ifndef SPAWN_RENDEZVOUS_H
#define SPAWN_RENDEZVOUS_H

#include <pthread.h>
#include <stdatomic.h>

enum { MAX_SPAWNERS = 4 };

struct spawn_rendezvous {
    pthread_barrier_t barrier[MAX_SPAWNERS];
    /* PTHREAD_BARRIER_SERIAL_THREAD results the spawned programs got;
     * seq_cst, read by the spawner after it reaped the program. */
    atomic_int child_serials[MAX_SPAWNERS];
};

/* Exit statuses of the spawned program. */
enum spawned_status {
    SPAWNED_OK = 0,
    SPAWNED_USAGE = 20,
    SPAWNED_UNMAP_FAILED,   /* a wrapped unmap of its own memory failed */
    SPAWNED_MAP_FAILED,     /* could not map the rendezvous page */
    SPAWNED_WAIT_FAILED,    /* the wait returned neither 0 nor SERIAL */
    SPAWNED_UNMAP_VIEW_FAILED, /* munmap of its view right after the wait failed */
    SPAWNED_EXEC_FAILED = 127,
};

#endif
