/* util_parse: the number syntaxes every command line shares, so one spelling
 * means one value in serve, load and check: byte sizes (K/M/G and KiB/MiB/GiB
 * are powers of 1024), durations (ns, us, ms, s, m, h; the caller picks the
 * unit of a bare number) and plain decimal integers. Each returns 0, or -1
 * when the text is malformed or out of range (and leaves *out alone). */
#ifndef UTIL_PARSE_H
#define UTIL_PARSE_H

#include <stdint.h>

#define UTIL_NS_PER_US 1000LL
#define UTIL_NS_PER_MS 1000000LL
#define UTIL_NS_PER_S  1000000000LL

/* Decimal digits only ("0", "4096"): no sign, space or suffix. */
int util_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Bytes: "65536", "64K", "64KiB", "16M", "1G" (letters in either case). */
int util_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A non-negative duration into ns: "250ms", "1.5s", "2m", "100us"; a bare
 * number is in units of default_unit_ns (UTIL_NS_PER_S, UTIL_NS_PER_MS...). */
int util_parse_duration(const char *s, int64_t default_unit_ns, int64_t *ns);

#endif
