/* util_host: this machine's name (see util_host.h). */
#include "util/util_host.h"

#include <stdio.h>
#include <unistd.h>

char *util_hostname(char *out, size_t cap)
{
    if (cap == 0) return out;
    /* gethostname need not NUL-terminate a name it had to cut */
    if (gethostname(out, cap - 1) != 0 || !out[0]) snprintf(out, cap, "unknown");
    out[cap - 1] = 0;
    return out;
}
