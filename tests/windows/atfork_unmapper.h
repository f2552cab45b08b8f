/* A library of another party, for fork_child_unmaps_despite_parent_windows.c:
 * its constructor maps a page and registers, with pthread_atfork, a handler
 * that unmaps that page in every child of fork. */
#ifndef ATFORK_UNMAPPER_H
#define ATFORK_UNMAPPER_H

/* 1 if the constructor mapped its page and registered its child handler. */
int atfork_unmapper_ready(void);

#endif
