/* The one library of barrier_through_one_library that uses a barrier. It
 * prints, like print_barrier_provider, which shared object defines the
 * pthread_barrier_wait that this library is bound to:
 *   provider: PATH
 *   round: serial
 * The library is position-independent, so the address comes from its GOT,
 * i.e. from the definition the loader bound. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

int barrier_user_round(void);

int barrier_user_round(void)
{
    Dl_info provider;
    if (dladdr((void *)&pthread_barrier_wait, &provider) == 0 || provider.dli_fname == NULL) {
        printf("provider: unknown (dladdr failed)\n");
        return 1;
    }
    printf("provider: %s\n", provider.dli_fname);
    pthread_barrier_t barrier;
    if (pthread_barrier_init(&barrier, NULL, 1) != 0)
        return 1;
    int status = pthread_barrier_wait(&barrier);
    pthread_barrier_destroy(&barrier);
    if (status != PTHREAD_BARRIER_SERIAL_THREAD)
        return 1;
    printf("round: serial\n");
    return 0;
}
