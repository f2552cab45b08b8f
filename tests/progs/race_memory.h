/* The barrier's memory: a fresh piece of the chosen kind every round, its
   release the moment the releaser's wait returns, and the checks that
   nobody touched it afterwards. */
#ifndef RACE_MEMORY_H
#define RACE_MEMORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "race_control.h"
#include "race_options.h"

/* One process's memory for one round. The process's steward fills it
   before the round, the releaser updates it, and the steward checks and
   cleans it after everybody has left the round. */
struct round_memory {
    pthread_barrier_t *barrier; /* what this process's threads wait on */
    unsigned char *view;        /* mapping that holds the barrier (page kinds) */
    size_t view_size;
    void *block;                /* heap block that holds the barrier (heap kinds) */
    size_t block_size;
    bool released;              /* the releaser released this process's memory */
    /* Fresh memory that took the released address, filled with a pattern:
       a late write into the released barrier lands here. */
    unsigned char *probe;
    size_t probe_size;
    bool probe_is_heap;
};

/* Before fork: address reservations for every process's views, the
   shared object or System V segment, the attribute used for re-inits. */
bool setup_race_memory(const struct race_options *options, const pthread_barrierattr_t *attr);

/* After fork: which process's reservation this process maps its views in. */
void select_memory_process(int process);

/* Steward, before the round. Returns false (errno set) if memory could not be had. */
bool prepare_round_memory(struct round_memory *memory);

/* The releaser, right after its wait returned (and destroy, if asked). */
void release_round_memory(struct round_memory *memory, struct race_control *control,
                          unsigned long round);

/* Steward, after every participant has provably left the round: anything
   written into released memory is a failure. The leader (process 0's
   steward) also checks what a single releaser did to the shared object. */
void check_round_memory(struct round_memory *memory, struct race_control *control,
                        unsigned long round, bool leader);

/* Steward, after the check: gives back whatever is left of the round. */
void clean_round_memory(struct round_memory *memory);

#endif
