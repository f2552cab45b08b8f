#define _GNU_SOURCE
#include "race_control.h"

#include <stddef.h>
#include <sys/mman.h>

struct race_control *create_race_control(void)
{
    void *page = mmap(NULL, sizeof(struct race_control), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return page == MAP_FAILED ? NULL : page;
}
