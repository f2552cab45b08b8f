/* A statically linked barrier user: what `barrier-shim --explain` must call
 * out as a program the shim cannot reach. */
#include <pthread.h>

int main(void)
{
    pthread_barrier_t barrier;
    if (pthread_barrier_init(&barrier, NULL, 1) != 0)
        return 1;
    int result = pthread_barrier_wait(&barrier);
    pthread_barrier_destroy(&barrier);
    return result == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : 1;
}
