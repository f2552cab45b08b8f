/* Internals shared by the files of the alloc_trap test library (see
 * alloc_trap_core.c for what it is).  Not part of the product. */
#ifndef ALLOC_TRAP_INTERNAL_H
#define ALLOC_TRAP_INTERNAL_H

/* Both mmap and mmap64, open and open64, ... must exist as themselves:
 * undo meson's -D_FILE_OFFSET_BITS=64 before the first system header. */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdatomic.h>
#include <stdbool.h>

#include "alloc_trap.h"

#define TRAP_EXPORT __attribute__((visibility("default")))

/* Marks this thread as inside `region` (nesting allowed: a handler may call
 * munmap inside a wait) and back out. */
void trap_enter(enum alloc_trap_region region);
void trap_leave(void);

/* Called first thing by every wrapper of a function that allocates or can
 * fail for lack of resources: if this thread is inside a region, records a
 * violation (and prints it on stderr).  Leaves errno as it was. */
void trap_check(const char *function);

/* Any function pointer; converted back to the real type before a call. */
typedef void (*trap_function)(void);

/* The next definition of `name` after this library (the shim's, or libc's),
 * looked up once with dlsym(RTLD_NEXT) and cached in *slot. */
trap_function trap_next(const char *name, trap_function _Atomic *slot);

/* TRAP_SLOT(f) declares the cache for f; TRAP_NEXT(f) is f's next definition,
 * typed like f. */
#define TRAP_SLOT(name) static trap_function _Atomic trap_next_##name
#define TRAP_NEXT(name) ((__typeof__(&name))trap_next(#name, &trap_next_##name))

#endif
