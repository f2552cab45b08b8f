/* A library of barrier_through_one_library that imports no barrier or unmap
 * function: built twice, as QUIET_FUNCTION quiet_a and quiet_c. */
#include <string.h>

int QUIET_FUNCTION(const char *text);

int QUIET_FUNCTION(const char *text)
{
    return (int)strlen(text);
}
