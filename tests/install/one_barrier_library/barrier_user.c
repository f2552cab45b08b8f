/* The one library of barrier_through_one_library that uses a barrier. It
 * prints, like print_barrier_provider (barrier_provider.h), which shared
 * object defines the pthread_barrier_wait that this library is bound to:
 *   provider: PATH
 *   round: serial */
#define _GNU_SOURCE
#include "../barrier_provider.h"

int barrier_user_round(void);

int barrier_user_round(void) { return print_provider_and_wait_once(); }
