/* print_barrier_provider: prints which shared object defines the
 * pthread_barrier_wait this program is bound to, then uses a barrier once.
 *
 * Output, one line each:
 *   provider: PATH     the object's file name, as the dynamic loader knows it
 *   round: serial      a count-1 barrier's wait returned
 *                      PTHREAD_BARRIER_SERIAL_THREAD
 * Exit status 0 when both lines could be printed, 1 otherwise.
 *
 * The installed-command test compares PATH with the installed library; run
 * without the shim, PATH is the C library. The program is PIE, so the address
 * of pthread_barrier_wait comes from the GOT, i.e. from the definition the
 * loader bound, not from a PLT stub inside this executable. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef __PIE__
#error "build as PIE: the dladdr check needs the GOT-resolved address"
#endif

int main(void)
{
    Dl_info provider;
    if (dladdr((void *)&pthread_barrier_wait, &provider) == 0 || provider.dli_fname == NULL) {
        printf("provider: unknown (dladdr failed)\n");
        return 1;
    }
    printf("provider: %s\n", provider.dli_fname);

    pthread_barrier_t barrier;
    if (pthread_barrier_init(&barrier, NULL, 1) != 0) {
        printf("round: init failed\n");
        return 1;
    }
    const int waited = pthread_barrier_wait(&barrier);
    printf("round: %s\n", waited == PTHREAD_BARRIER_SERIAL_THREAD ? "serial" : "not serial");
    pthread_barrier_destroy(&barrier);
    return waited == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : 1;
}
