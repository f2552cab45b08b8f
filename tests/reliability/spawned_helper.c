/* The program that spawn_while_waiting_and_unmapping.c starts with vfork +
 * exec or posix_spawn, under the same LD_PRELOAD.  At once it unmaps its own
 * memory with every wrapped call (munmap, mmap(MAP_FIXED), mremap, shmdt),
 * then maps the rendezvous page it inherited as descriptor argv[1], waits on
 * barrier argv[2] with its spawner, and unmaps its view right after.
 * Its exit status says what failed (spawn_rendezvous.h). */
#include "reliability.h"
#include "scratch_unmaps.h"
#include "spawn_rendezvous.h"
#include <sys/prctl.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return SPAWNED_USAGE;
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed test */
    int fd = atoi(argv[1]), index = atoi(argv[2]);
    if (index < 0 || index >= MAX_SPAWNERS)
        return SPAWNED_USAGE;

    struct scratch scratch;
    scratch_prepare(&scratch);
    for (unsigned kind = 0; kind < SCRATCH_KINDS; kind++)
        if (scratch_unmap(&scratch, kind) != NULL)
            return SPAWNED_UNMAP_FAILED;

    struct spawn_rendezvous *rendezvous =
        mmap(NULL, sizeof *rendezvous, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (rendezvous == MAP_FAILED)
        return SPAWNED_MAP_FAILED;
    int rc = pthread_barrier_wait(&rendezvous->barrier[index]);
    if (!bh_wait_ok(rc))
        return SPAWNED_WAIT_FAILED;
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        atomic_fetch_add(&rendezvous->child_serials[index], 1);
    /* The spawner may still be leaving the wait. */
    if (munmap(rendezvous, sizeof *rendezvous) != 0)
        return SPAWNED_UNMAP_VIEW_FAILED;
    return SPAWNED_OK;
}
