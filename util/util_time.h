/* util_time: wall-clock times as text, ISO 8601 in UTC, the one form the
 * reports and messages print ("2026-01-01T12:00:00Z"). */
#ifndef UTIL_TIME_H
#define UTIL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unix time in ms as "YYYY-MM-DDTHH:MM:SSZ", or with_ms "...:SS.mmmZ".
 * out needs 25 bytes. */
void util_time_iso8601(int64_t unix_ms, bool with_ms, char *out, size_t cap);

#endif
