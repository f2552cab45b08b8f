/* Prints which shared object defines the pthread_barrier_wait that the
 * object including this header is bound to, then uses a count-1 barrier
 * once. Output, one line each:
 *   provider: PATH     the object's file name, as the dynamic loader knows it
 *   round: serial      the wait returned PTHREAD_BARRIER_SERIAL_THREAD
 * Returns 0 when both lines could be printed, 1 otherwise. The including
 * object must be position-independent (a PIE program, a shared library), so
 * that the address of pthread_barrier_wait comes from its GOT, i.e. from the
 * definition the loader bound, not from a PLT stub of its own. */
#ifndef BARRIER_PROVIDER_H
#define BARRIER_PROVIDER_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#if !defined(__PIE__) && !defined(__PIC__)
#error "build position-independent: the dladdr check needs the GOT-resolved address"
#endif

static int print_provider_and_wait_once(void)
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

#endif
