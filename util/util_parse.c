/* util_parse: sizes, durations and integers of the command lines (see util_parse.h). */
#include "util/util_parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int util_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9') return -1; /* strtoull would take " -1" as a huge number */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

/* The power of 1024 a size suffix stands for: 0 for none, -1 if not a suffix. */
static int size_shift(const char *suffix)
{
    if (!*suffix) return 0;
    const char *p = strchr("kmg", suffix[0] | 0x20);
    if (!p || (suffix[1] && strcasecmp(suffix + 1, "iB") != 0)) return -1;
    return 10 * (int)(p - "kmg" + 1);
}

int util_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (*s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = size_shift(end);
    if (errno || shift < 0 || v > (max >> shift)) return -1;
    v <<= shift;
    if (v < min) return -1;
    *out = v;
    return 0;
}

static const struct {
    const char *name;
    double ns;
} UNITS[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};

int util_parse_duration(const char *s, int64_t default_unit_ns, int64_t *ns)
{
    /* strtod also reads " 1", "-1", "inf" and "0x1p3": none is a duration. */
    if (!((*s >= '0' && *s <= '9') || *s == '.') || (s[0] == '0' && (s[1] | 0x20) == 'x'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v)) return -1;
    double mul = *end ? -1 : (double)default_unit_ns;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0] && mul < 0; i++)
        if (!strcmp(end, UNITS[i].name)) mul = UNITS[i].ns;
    if (mul < 0 || v * mul > 9e18) return -1;
    *ns = (int64_t)(v * mul);
    return 0;
}
