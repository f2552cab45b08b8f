/* alloc_trap: calls that create a file descriptor (or a stream or directory
 * holding one), checked (alloc_trap_core.c): each can fail with EMFILE or
 * ENFILE once descriptors run out. */
#include "alloc_trap_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

TRAP_SLOT(open);
TRAP_SLOT(open64);
TRAP_SLOT(openat);
TRAP_SLOT(openat64);
TRAP_SLOT(creat);
TRAP_SLOT(creat64);
TRAP_SLOT(socket);
TRAP_SLOT(socketpair);
TRAP_SLOT(accept);
TRAP_SLOT(accept4);
TRAP_SLOT(pipe);
TRAP_SLOT(pipe2);
TRAP_SLOT(dup);
TRAP_SLOT(dup2);
TRAP_SLOT(dup3);
TRAP_SLOT(eventfd);
TRAP_SLOT(signalfd);
TRAP_SLOT(timerfd_create);
TRAP_SLOT(epoll_create);
TRAP_SLOT(epoll_create1);
TRAP_SLOT(inotify_init);
TRAP_SLOT(inotify_init1);
TRAP_SLOT(memfd_create);
TRAP_SLOT(fopen);
TRAP_SLOT(fopen64);
TRAP_SLOT(fdopen);
TRAP_SLOT(freopen);
TRAP_SLOT(tmpfile);
TRAP_SLOT(opendir);
TRAP_SLOT(fdopendir);
TRAP_SLOT(shm_open);
TRAP_SLOT(sem_open);
TRAP_SLOT(mq_open);

/* open(2) and friends take a mode only when they may create a file. */
static bool takes_mode(int flags)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

#define MODE_ARGUMENT(last, flags)              \
    __extension__ ({                            \
        mode_t mode_ = 0;                       \
        if (takes_mode(flags)) {                \
            va_list args_;                      \
            va_start(args_, last);              \
            mode_ = va_arg(args_, mode_t);      \
            va_end(args_);                      \
        }                                       \
        mode_;                                  \
    })

TRAP_EXPORT int open(const char *path, int flags, ...)
{
    trap_check("open");
    return TRAP_NEXT(open)(path, flags, MODE_ARGUMENT(flags, flags));
}

TRAP_EXPORT int open64(const char *path, int flags, ...)
{
    trap_check("open64");
    return TRAP_NEXT(open64)(path, flags, MODE_ARGUMENT(flags, flags));
}

TRAP_EXPORT int openat(int directory, const char *path, int flags, ...)
{
    trap_check("openat");
    return TRAP_NEXT(openat)(directory, path, flags, MODE_ARGUMENT(flags, flags));
}

TRAP_EXPORT int openat64(int directory, const char *path, int flags, ...)
{
    trap_check("openat64");
    return TRAP_NEXT(openat64)(directory, path, flags, MODE_ARGUMENT(flags, flags));
}

TRAP_EXPORT int creat(const char *path, mode_t mode)
{
    trap_check("creat");
    return TRAP_NEXT(creat)(path, mode);
}

TRAP_EXPORT int creat64(const char *path, mode_t mode)
{
    trap_check("creat64");
    return TRAP_NEXT(creat64)(path, mode);
}

TRAP_EXPORT int socket(int domain, int type, int protocol)
{
    trap_check("socket");
    return TRAP_NEXT(socket)(domain, type, protocol);
}

TRAP_EXPORT int socketpair(int domain, int type, int protocol, int pair[2])
{
    trap_check("socketpair");
    return TRAP_NEXT(socketpair)(domain, type, protocol, pair);
}

/* __SOCKADDR_ARG: glibc's own parameter type (a transparent union in GNU C). */
TRAP_EXPORT int accept(int fd, __SOCKADDR_ARG address, socklen_t *length)
{
    trap_check("accept");
    return TRAP_NEXT(accept)(fd, address, length);
}

TRAP_EXPORT int accept4(int fd, __SOCKADDR_ARG address, socklen_t *length, int flags)
{
    trap_check("accept4");
    return TRAP_NEXT(accept4)(fd, address, length, flags);
}

TRAP_EXPORT int pipe(int fds[2])
{
    trap_check("pipe");
    return TRAP_NEXT(pipe)(fds);
}

TRAP_EXPORT int pipe2(int fds[2], int flags)
{
    trap_check("pipe2");
    return TRAP_NEXT(pipe2)(fds, flags);
}

TRAP_EXPORT int dup(int fd)
{
    trap_check("dup");
    return TRAP_NEXT(dup)(fd);
}

TRAP_EXPORT int dup2(int fd, int target)
{
    trap_check("dup2");
    return TRAP_NEXT(dup2)(fd, target);
}

TRAP_EXPORT int dup3(int fd, int target, int flags)
{
    trap_check("dup3");
    return TRAP_NEXT(dup3)(fd, target, flags);
}

TRAP_EXPORT int eventfd(unsigned int initial, int flags)
{
    trap_check("eventfd");
    return TRAP_NEXT(eventfd)(initial, flags);
}

TRAP_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
    trap_check("signalfd");
    return TRAP_NEXT(signalfd)(fd, mask, flags);
}

TRAP_EXPORT int timerfd_create(int clock, int flags)
{
    trap_check("timerfd_create");
    return TRAP_NEXT(timerfd_create)(clock, flags);
}

TRAP_EXPORT int epoll_create(int size)
{
    trap_check("epoll_create");
    return TRAP_NEXT(epoll_create)(size);
}

TRAP_EXPORT int epoll_create1(int flags)
{
    trap_check("epoll_create1");
    return TRAP_NEXT(epoll_create1)(flags);
}

TRAP_EXPORT int inotify_init(void)
{
    trap_check("inotify_init");
    return TRAP_NEXT(inotify_init)();
}

TRAP_EXPORT int inotify_init1(int flags)
{
    trap_check("inotify_init1");
    return TRAP_NEXT(inotify_init1)(flags);
}

TRAP_EXPORT int memfd_create(const char *name, unsigned int flags)
{
    trap_check("memfd_create");
    return TRAP_NEXT(memfd_create)(name, flags);
}

TRAP_EXPORT FILE *fopen(const char *path, const char *mode)
{
    trap_check("fopen");
    return TRAP_NEXT(fopen)(path, mode);
}

TRAP_EXPORT FILE *fopen64(const char *path, const char *mode)
{
    trap_check("fopen64");
    return TRAP_NEXT(fopen64)(path, mode);
}

TRAP_EXPORT FILE *fdopen(int fd, const char *mode)
{
    trap_check("fdopen");
    return TRAP_NEXT(fdopen)(fd, mode);
}

TRAP_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
    trap_check("freopen");
    return TRAP_NEXT(freopen)(path, mode, stream);
}

TRAP_EXPORT FILE *tmpfile(void)
{
    trap_check("tmpfile");
    return TRAP_NEXT(tmpfile)();
}

TRAP_EXPORT DIR *opendir(const char *path)
{
    trap_check("opendir");
    return TRAP_NEXT(opendir)(path);
}

TRAP_EXPORT DIR *fdopendir(int fd)
{
    trap_check("fdopendir");
    return TRAP_NEXT(fdopendir)(fd);
}

TRAP_EXPORT int shm_open(const char *name, int flags, mode_t mode)
{
    trap_check("shm_open");
    return TRAP_NEXT(shm_open)(name, flags, mode);
}

/* sem_open and mq_open take their extra arguments only with O_CREAT. */
TRAP_EXPORT sem_t *sem_open(const char *name, int flags, ...)
{
    trap_check("sem_open");
    mode_t mode = 0;
    unsigned int value = 0;
    if (flags & O_CREAT) {
        va_list args;
        va_start(args, flags);
        mode = va_arg(args, mode_t);
        value = va_arg(args, unsigned int);
        va_end(args);
    }
    return TRAP_NEXT(sem_open)(name, flags, mode, value);
}

TRAP_EXPORT mqd_t mq_open(const char *name, int flags, ...)
{
    trap_check("mq_open");
    mode_t mode = 0;
    struct mq_attr *attributes = NULL;
    if (flags & O_CREAT) {
        va_list args;
        va_start(args, flags);
        mode = va_arg(args, mode_t);
        attributes = va_arg(args, struct mq_attr *);
        va_end(args);
    }
    return TRAP_NEXT(mq_open)(name, flags, mode, attributes);
}
