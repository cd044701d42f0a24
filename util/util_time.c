/* util_time: ISO 8601 UTC formatting (see util_time.h). */
#include "util/util_time.h"

#include <stdio.h>
#include <time.h>

void util_time_iso8601(int64_t unix_ms, bool with_ms, char *out, size_t cap)
{
    if (cap == 0) return;
    /* Floor division, so a time before 1970 does not get a negative fraction. */
    int64_t ms = unix_ms % 1000;
    if (ms < 0) ms += 1000;
    time_t t = (time_t)((unix_ms - ms) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, cap, "?");
        return;
    }
    size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    if (with_ms)
        snprintf(out + n, cap - n, ".%03dZ", (int)ms);
    else
        snprintf(out + n, cap - n, "Z");
}
