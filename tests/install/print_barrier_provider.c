/* print_barrier_provider: prints which shared object defines the
 * pthread_barrier_wait this program is bound to, then uses a barrier once
 * (barrier_provider.h). Exit status 0 when both lines could be printed, 1
 * otherwise.
 *
 * The installed-command test compares the provider with the installed
 * library; run without the shim, it is the C library. The program is PIE. */
#define _GNU_SOURCE
#include "barrier_provider.h"

#ifndef __PIE__
#error "build as PIE: the dladdr check needs the GOT-resolved address"
#endif

int main(void) { return print_provider_and_wait_once(); }
