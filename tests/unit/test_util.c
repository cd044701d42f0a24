/* Unit tests for util/: byte sizes (powers of 1024, KiB forms, overflow, junk,
 * sign, empty), durations with a caller's default unit, plain integers,
 * capped whole-file reads, and ISO 8601 UTC time text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/util_file.h"
#include "util/util_parse.h"
#include "util/util_time.h"

static void test_size_good(void **state)
{
    (void)state;
    const struct {
        const char *text;
        uint64_t want;
    } good[] = {
        {"0", 0},
        {"40", 40},
        {"64K", 65536},
        {"64k", 65536},
        {"64KiB", 65536},
        {"64kib", 65536},
        {"16M", 16u << 20},
        {"16MiB", 16u << 20},
        {"1G", 1u << 30},
        {"1GiB", 1u << 30},
        {"007", 7},
        {"18446744073709551615", UINT64_MAX},
        {"17179869183G", 17179869183ull << 30},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 12345;
        if (util_parse_size(good[i].text, 0, UINT64_MAX, &v) != 0)
            fail_msg("'%s' was refused", good[i].text);
        if (v != good[i].want)
            fail_msg("'%s' -> %llu, want %llu", good[i].text, (unsigned long long)v,
                     (unsigned long long)good[i].want);
    }
}

static void test_size_bad(void **state)
{
    (void)state;
    const char *bad[] = {
        "",                     /* empty */
        "K",                    /* suffix without a number */
        "-1",                   /* negative */
        "-64K",                 /* negative with a suffix */
        "+64",                  /* sign */
        " 64",                  /* leading space */
        "64 ",                  /* trailing space */
        "64 K",                 /* space before the suffix */
        "64Q",                  /* junk suffix */
        "64KB",                 /* B without i: 1000 or 1024 is ambiguous */
        "64Ki",                 /* half a suffix */
        "64KiBx",               /* junk after the suffix */
        "64T",                  /* no T */
        "1.5M",                 /* fractions */
        "0x40",                 /* hex */
        "18446744073709551616", /* 2^64: strtoull overflow */
        "17179869184G",         /* 2^64 after the shift */
        "99999999999999999999999K",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 12345;
        if (util_parse_size(bad[i], 0, UINT64_MAX, &v) == 0)
            fail_msg("'%s' was accepted as %llu", bad[i], (unsigned long long)v);
        assert_int_equal(v, 12345); /* left alone */
    }
}

static void test_size_range(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(util_parse_size("1K", 1, 1024, &v), 0);
    assert_int_equal(v, 1024);
    assert_int_equal(util_parse_size("1025", 1, 1024, &v), -1);
    assert_int_equal(util_parse_size("2K", 1, 1024, &v), -1);
    assert_int_equal(util_parse_size("0", 1, 1024, &v), -1);
    assert_int_equal(util_parse_size("0K", 1, 1024, &v), -1);
    /* The cap applies after the shift: 4G fits a 4 GiB cap, 4G + 1 would not. */
    assert_int_equal(util_parse_size("4G", 0, 1ull << 32, &v), 0);
    assert_int_equal(v, 1ull << 32);
    assert_int_equal(util_parse_size("4194305K", 0, 1ull << 32, &v), -1);
}

static void test_uint(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(util_parse_uint("0", 0, 65535, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(util_parse_uint("65535", 0, 65535, &v), 0);
    assert_int_equal(v, 65535);
    const char *bad[] = {
        "", "65536", "-1", "+1", " 1", "1K", "1.0", "0x10", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (util_parse_uint(bad[i], 0, 65535, &v) == 0) fail_msg("'%s' was accepted", bad[i]);
}

static void test_duration(void **state)
{
    (void)state;
    const struct {
        const char *text;
        int64_t unit, want;
    } good[] = {
        {"10", UTIL_NS_PER_S, 10 * UTIL_NS_PER_S},
        {"10", UTIL_NS_PER_MS, 10 * UTIL_NS_PER_MS},
        {"10s", UTIL_NS_PER_MS, 10 * UTIL_NS_PER_S},
        {"250ms", UTIL_NS_PER_S, 250 * UTIL_NS_PER_MS},
        {"1.5s", UTIL_NS_PER_MS, 1500 * UTIL_NS_PER_MS},
        {"100us", UTIL_NS_PER_S, 100 * UTIL_NS_PER_US},
        {"7ns", UTIL_NS_PER_S, 7},
        {"2m", UTIL_NS_PER_S, 120 * UTIL_NS_PER_S},
        {"1h", UTIL_NS_PER_S, 3600 * UTIL_NS_PER_S},
        {"0", UTIL_NS_PER_S, 0},
        {".5", UTIL_NS_PER_S, 500 * UTIL_NS_PER_MS},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ns = -1;
        if (util_parse_duration(good[i].text, good[i].unit, &ns) != 0)
            fail_msg("'%s' was refused", good[i].text);
        if (ns != good[i].want)
            fail_msg("'%s' -> %lld ns, want %lld", good[i].text, (long long)ns,
                     (long long)good[i].want);
    }
    const char *bad[] = {"",    "s",  "-1",  "-1s", " 1s",  "1 s",  "1x",
                         "1sx", "1S", "inf", "nan", "0x10", "1e30", "3000000000h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns = -7;
        if (util_parse_duration(bad[i], UTIL_NS_PER_S, &ns) == 0)
            fail_msg("'%s' was accepted as %lld ns", bad[i], (long long)ns);
        assert_int_equal(ns, -7);
    }
}

/* Writes n bytes of 'x' to a fresh temporary file; returns its path. */
static char *temp_file(size_t n)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/wsprobe_test_util_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char block[4096];
    memset(block, 'x', sizeof block);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof block ? n - done : sizeof block;
        assert_int_equal(write(fd, block, k), (ssize_t)k);
        done += k;
    }
    close(fd);
    return path;
}

static void test_read_file(void **state)
{
    (void)state;
    char err[256];
    size_t len = 0;
    /* Exactly at the cap is fine, one byte more is not (across the 64 KiB growth step too). */
    const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *path = temp_file(sizes[i]);
        char *b = util_read_file(path, sizes[i], &len, err, sizeof err);
        assert_non_null(b);
        assert_int_equal(len, sizes[i]);
        assert_int_equal(strlen(b), sizes[i]);
        free(b);
        if (sizes[i] > 0) {
            b = util_read_file(path, sizes[i] - 1, &len, err, sizeof err);
            assert_null(b);
            assert_non_null(strstr(err, "larger than"));
            assert_non_null(strstr(err, path));
        }
        unlink(path);
    }
    char *path = temp_file(3 << 20);
    assert_null(util_read_file(path, 2 << 20, NULL, err, sizeof err));
    assert_non_null(strstr(err, "larger than 2 MiB"));
    unlink(path);
    assert_null(util_read_file("/nonexistent/wsprobe", 100, NULL, err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    /* An endless file ends at the cap instead of exhausting memory. */
    assert_null(util_read_file("/dev/zero", 1 << 20, NULL, err, sizeof err));
    assert_non_null(strstr(err, "larger than 1 MiB"));
    /* A directory opens but cannot be read. */
    assert_null(util_read_file("/tmp", 1 << 20, NULL, err, sizeof err));
    assert_non_null(strstr(err, "/tmp"));
}

static void test_time(void **state)
{
    (void)state;
    char out[32];
    util_time_iso8601(1767225600000LL, false, out, sizeof out);
    assert_string_equal(out, "2026-01-01T00:00:00Z");
    util_time_iso8601(1767225600999LL, false, out, sizeof out);
    assert_string_equal(out, "2026-01-01T00:00:00Z"); /* truncated, not rounded */
    util_time_iso8601(1767225600250LL, true, out, sizeof out);
    assert_string_equal(out, "2026-01-01T00:00:00.250Z");
    util_time_iso8601(0, true, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    util_time_iso8601(-1, true, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    util_time_iso8601(951782400000LL, false, out, sizeof out); /* a leap day */
    assert_string_equal(out, "2000-02-29T00:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_good),  cmocka_unit_test(test_size_bad),
        cmocka_unit_test(test_size_range), cmocka_unit_test(test_uint),
        cmocka_unit_test(test_duration),   cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
