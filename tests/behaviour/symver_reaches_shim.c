/* Behaviour: a program bound to a particular symbol version of the barrier
 * API still reaches the shim.  Built twice:
 *   -DBIND_OLD_VERSIONS: binds the compat versions that binaries linked
 *     before glibc 2.34 carry (GLIBC_2.2.5; getpshared GLIBC_2.3.3);
 *   otherwise: binds the current default versions (GLIBC_2.34).
 * "Reached the shim" is shown by behaviour stock glibc does not have:
 *   init:    a garbage attribute gives EINVAL (glibc: 0)
 *   wait:    zeroed memory gives EINVAL (glibc: SIGFPE)
 *   destroy: zeroed memory gives EINVAL (glibc: SIGFPE)
 * The attribute functions have no such distinguishing behaviour, so for them
 * (and the three above) the program also checks that the function it is
 * bound to does not live in libc.so.6 (dladdr on the bound address; the
 * executable is PIE so the address comes from the GOT, not a local PLT). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include "behaviour.h"

#ifdef BIND_OLD_VERSIONS
#define BOUND_VERSION "GLIBC_2.2.5 (getpshared GLIBC_2.3.3)"
__asm__(".symver pthread_barrier_init, pthread_barrier_init@GLIBC_2.2.5");
__asm__(".symver pthread_barrier_wait, pthread_barrier_wait@GLIBC_2.2.5");
__asm__(".symver pthread_barrier_destroy, pthread_barrier_destroy@GLIBC_2.2.5");
__asm__(".symver pthread_barrierattr_init, pthread_barrierattr_init@GLIBC_2.2.5");
__asm__(".symver pthread_barrierattr_destroy, pthread_barrierattr_destroy@GLIBC_2.2.5");
__asm__(".symver pthread_barrierattr_setpshared, pthread_barrierattr_setpshared@GLIBC_2.2.5");
__asm__(".symver pthread_barrierattr_getpshared, pthread_barrierattr_getpshared@GLIBC_2.3.3");
#else
#define BOUND_VERSION "GLIBC_2.34"
__asm__(".symver pthread_barrier_init, pthread_barrier_init@GLIBC_2.34");
__asm__(".symver pthread_barrier_wait, pthread_barrier_wait@GLIBC_2.34");
__asm__(".symver pthread_barrier_destroy, pthread_barrier_destroy@GLIBC_2.34");
__asm__(".symver pthread_barrierattr_init, pthread_barrierattr_init@GLIBC_2.34");
__asm__(".symver pthread_barrierattr_destroy, pthread_barrierattr_destroy@GLIBC_2.34");
__asm__(".symver pthread_barrierattr_setpshared, pthread_barrierattr_setpshared@GLIBC_2.34");
__asm__(".symver pthread_barrierattr_getpshared, pthread_barrierattr_getpshared@GLIBC_2.34");
#endif

#ifndef __PIE__
#error "build this program as PIE: the dladdr check needs GOT-resolved function addresses"
#endif

static void expect_not_in_libc(const char *name, uintptr_t fn)
{
    Dl_info info;
    if (dladdr((void *)fn, &info) == 0 || !info.dli_fname)
        bh_fail("%s@%s: cannot tell which object defines the bound function", name, BOUND_VERSION);
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    if (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libpthread.so", 13) == 0)
        bh_fail("%s@%s binds to %s, not to the shim", name, BOUND_VERSION, info.dli_fname);
}

#define EXPECT_NOT_IN_LIBC(fn) expect_not_in_libc(#fn, (uintptr_t)&fn)

int main(void)
{
    bh_start("versioned barrier calls", 5);

    /* Behaviour first: a wrongly bound program crashes or fails here. */
    pthread_barrierattr_t garbage;
    uint32_t junk = 0x12345678u;
    memset(&garbage, 0, sizeof garbage);
    memcpy(&garbage, &junk, sizeof junk);
    static pthread_barrier_t b;
    int rc = pthread_barrier_init(&b, &garbage, 2);
    if (rc != EINVAL)
        bh_fail("pthread_barrier_init@%s with a garbage attribute returned %s, expected EINVAL",
                BOUND_VERSION, bh_err_name(rc));

    memset(&b, 0, sizeof b);
    rc = pthread_barrier_wait(&b);
    if (rc != EINVAL)
        bh_fail("pthread_barrier_wait@%s on zeroed memory returned %s, expected EINVAL",
                BOUND_VERSION, bh_err_name(rc));
    rc = pthread_barrier_destroy(&b);
    if (rc != EINVAL)
        bh_fail("pthread_barrier_destroy@%s on zeroed memory returned %s, expected EINVAL",
                BOUND_VERSION, bh_err_name(rc));

    /* The attribute functions work together with the shim's init and wait. */
    pthread_barrierattr_t attr;
    int pshared = -1;
    if ((rc = pthread_barrierattr_init(&attr)) != 0 ||
        (rc = pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
        (rc = pthread_barrierattr_getpshared(&attr, &pshared)) != 0)
        bh_fail("attribute calls@%s failed with %s", BOUND_VERSION, bh_err_name(rc));
    if (pshared != PTHREAD_PROCESS_SHARED)
        bh_fail("getpshared@%s reports %d after setpshared(SHARED)", BOUND_VERSION, pshared);
    if ((rc = pthread_barrierattr_setpshared(&attr, 2)) != EINVAL)
        bh_fail("setpshared@%s(2) returned %s, expected EINVAL", BOUND_VERSION, bh_err_name(rc));
    if ((rc = pthread_barrier_init(&b, &attr, 1)) != 0)
        bh_fail("init@%s with an attribute from attr_init@%s returned %s", BOUND_VERSION,
                BOUND_VERSION, bh_err_name(rc));
    if ((rc = pthread_barrier_wait(&b)) != PTHREAD_BARRIER_SERIAL_THREAD)
        bh_fail("wait@%s on a count-1 barrier returned %s", BOUND_VERSION, bh_err_name(rc));
    if ((rc = pthread_barrier_destroy(&b)) != 0)
        bh_fail("destroy@%s of a quiescent barrier returned %s", BOUND_VERSION, bh_err_name(rc));
    if ((rc = pthread_barrierattr_destroy(&attr)) != 0)
        bh_fail("attr_destroy@%s returned %s", BOUND_VERSION, bh_err_name(rc));

    EXPECT_NOT_IN_LIBC(pthread_barrier_init);
    EXPECT_NOT_IN_LIBC(pthread_barrier_wait);
    EXPECT_NOT_IN_LIBC(pthread_barrier_destroy);
    EXPECT_NOT_IN_LIBC(pthread_barrierattr_init);
    EXPECT_NOT_IN_LIBC(pthread_barrierattr_destroy);
    EXPECT_NOT_IN_LIBC(pthread_barrierattr_setpshared);
    EXPECT_NOT_IN_LIBC(pthread_barrierattr_getpshared);

    bh_pass("every barrier function bound @%s reaches the shim", BOUND_VERSION);
}
