/* util_host: this machine's name, as the reports record where a run happened
 * (report.json's "host", JUnit's hostname). */
#ifndef UTIL_HOST_H
#define UTIL_HOST_H

#include <stddef.h>

/* gethostname into out, always NUL-terminated; "unknown" when there is none.
 * Returns out. */
char *util_hostname(char *out, size_t cap);

#endif
