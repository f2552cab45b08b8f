/* Forks a child that detaches as daemon(3) does (stdin, stdout and stderr
 * to /dev/null), waits at a barrier, lives ~3 s and then creates the file
 * named by argv[1]; the parent waits at a barrier and exits at once. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void wait_once(void)
{
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 1);
    pthread_barrier_wait(&barrier);
    pthread_barrier_destroy(&barrier);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    wait_once();
    if (fork() == 0) {
        const int null = open("/dev/null", O_RDWR);
        for (int fd = 0; fd <= 2; fd++) dup2(null, fd);
        wait_once();
        sleep(3);
        close(open(argv[1], O_WRONLY | O_CREAT, 0644));
        _exit(0);
    }
    return 0;
}
