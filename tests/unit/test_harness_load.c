/* Unit tests for hs_load: case files -> catalogue. Families (params, matrix,
 * ranges, {var} substitution of whole values and inside strings), payload
 * forms (corpus among them), defaults, and an error that names the file, case
 * and field for every kind of mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/hs_case.h"
#include "harness/hs_corpus.h"
#include "harness/hs_judge.h"
#include "harness/hs_load.h"

static int load(hs_catalogue *cat, const char *json, char *err)
{
    memset(cat, 0, sizeof *cat);
    return hs_load_string(cat, json, "t.json", err, 512);
}

#define HEAD "{\"section\": \"1\", \"title\": \"T\", \"cases\": ["
#define TAIL "]}"

static void test_simple_case(void **state)
{
    (void)state;
    char err[512] = "";
    hs_catalogue cat;
    int rc = load(&cat,
                  HEAD "{\"id\": \"1.1\", \"title\": \"x\", \"rfc\": \"6455 §5\", "
                       "\"tags\": [\"a\"], \"timeout\": 2.5, \"steps\": ["
                       "{\"send\": {\"op\": \"text\", \"payload\": \"Hello\", \"fin\": false,"
                       " \"rsv\": 5, \"mask\": \"01020304\", \"length\": 99, \"len_form\": 64,"
                       " \"chop\": 1, \"delay\": 3, \"count\": 2}},"
                       "{\"sleep\": 10}, {\"close\": {\"code\": 1000, \"reason\": \"bye\"}},"
                       "{\"expect\": {\"close\": [1000, 1001]}, \"within\": 500}]}" TAIL,
                  err);
    assert_int_equal(rc, 0);
    assert_int_equal(cat.n, 1);
    const hs_case *c = &cat.cases[0];
    assert_string_equal(c->id, "1.1");
    assert_string_equal(c->section, "1");
    assert_true(hs_case_has_tag(c, "a"));
    assert_true(c->timeout_s == 2.5);
    assert_int_equal(c->n_steps, 4);
    const hs_send *s = &c->steps[0].send;
    assert_int_equal(s->opcode, 1);
    assert_false(s->fin);
    assert_int_equal(s->rsv, 5);
    assert_int_equal(s->mask_mode, HS_MASK_KEY);
    assert_memory_equal(s->key, "\x01\x02\x03\x04", 4);
    assert_true(s->declare_len);
    assert_int_equal(s->declared_len, 99);
    assert_int_equal(s->len_form, 64);
    assert_int_equal(s->chop, 1);
    assert_int_equal(s->delay_ms, 3);
    assert_int_equal(s->count, 2);
    assert_int_equal(hs_payload_size(&s->payload), 5);
    assert_int_equal(c->steps[1].sleep_ms, 10);
    assert_int_equal(c->steps[2].close_code, 1000);
    assert_int_equal(hs_payload_size(&c->steps[2].raw), 3);
    const hs_expect *e = &c->steps[3].expect;
    assert_int_equal(e->n_alts, 1);
    assert_int_equal(e->within_ms, 500);
    assert_int_equal(e->alts[0].items[0].kind, HS_PAT_CLOSE);
    assert_int_equal(e->alts[0].items[0].n_codes, 2);
    assert_int_equal(e->alts[0].items[0].codes[1], 1001);
    hs_catalogue_free(&cat);
}

static void check_payload(const char *payload_json, const uint8_t *want, size_t want_n)
{
    char json[2048], err[512] = "";
    hs_catalogue cat;
    snprintf(json, sizeof json,
             HEAD "{\"id\": \"p\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": "
                  "{\"op\": 2, \"payload\": %s}}]}" TAIL,
             payload_json);
    if (load(&cat, json, err) != 0) fail_msg("%s: %s", payload_json, err);
    size_t n;
    uint8_t *b = hs_payload_make(&cat.cases[0].steps[0].send.payload, &n);
    assert_int_equal(n, want_n);
    assert_memory_equal(b, want, n);
    free(b);
    hs_catalogue_free(&cat);
}

static void test_payload_forms(void **state)
{
    (void)state;
    check_payload("\"abc\"", (const uint8_t *)"abc", 3);
    check_payload("{\"text\": \"\"}", (const uint8_t *)"", 0);
    check_payload("{\"hex\": \"ce ba:e1\"}", (const uint8_t *)"\xce\xba\xe1", 3);
    check_payload("{\"repeat\": {\"byte\": \"*\", \"count\": 4}}", (const uint8_t *)"****", 4);
    check_payload("{\"repeat\": {\"byte\": 255, \"count\": 2}}", (const uint8_t *)"\xff\xff", 2);
    check_payload("{\"repeat\": {\"text\": \"ab\", \"count\": 3}}", (const uint8_t *)"ababab", 6);
    /* naive encoding: a surrogate and a value past U+10FFFF are still encoded */
    check_payload("{\"codepoints\": [955, 55296, 1114112]}",
                  (const uint8_t *)"\xce\xbb\xed\xa0\x80\xf4\x90\x80\x80", 9);
    check_payload("{\"concat\": [\"a\", {\"hex\": \"00\"}, {\"repeat\": {\"byte\": \"b\", "
                  "\"count\": 2}}]}",
                  (const uint8_t *)"a\0bb", 4);
}

/* {"corpus": ...} loads into the generator's bytes for that kind, seed,
 * offset and size (the generator itself: test_harness_corpus). */
static void test_corpus_payload(void **state)
{
    (void)state;
    uint8_t want[3000];
    hs_corpus_fill(HS_CORPUS_PROSE, 7, 100, sizeof want, want);
    check_payload("{\"corpus\": {\"kind\": \"prose\", \"seed\": 7, \"offset\": 100, "
                  "\"size\": 3000}}",
                  want, sizeof want);
    hs_corpus_fill(HS_CORPUS_PDF, 0, 0, 64, want);
    check_payload("{\"corpus\": {\"kind\": \"pdf\", \"size\": \"64\"}}", want, 64);
    check_payload("{\"corpus\": {\"kind\": \"json\", \"size\": 0}}", want, 0);
}

static void test_random_is_seeded(void **state)
{
    (void)state;
    hs_payload a = {.kind = HS_PAY_RANDOM, .seed = 7, .size = 1000};
    hs_payload b = {.kind = HS_PAY_RANDOM, .seed = 7, .size = 1000};
    hs_payload c = {.kind = HS_PAY_RANDOM, .seed = 8, .size = 1000};
    size_t n;
    uint8_t *x = hs_payload_make(&a, &n), *y = hs_payload_make(&b, &n),
            *z = hs_payload_make(&c, &n);
    assert_memory_equal(x, y, 1000);
    assert_memory_not_equal(x, z, 1000);
    /* not a constant: at least 200 distinct... well, many byte values */
    int seen[256] = {0}, distinct = 0;
    for (size_t i = 0; i < n; i++) distinct += !seen[x[i]]++;
    assert_true(distinct > 200);
    free(x);
    free(y);
    free(z);
}

static void test_family_matrix(void **state)
{
    (void)state;
    char err[512] = "";
    hs_catalogue cat;
    int rc = load(&cat,
                  HEAD "{\"family\": \"6.2\", \"title\": \"{op} of {size}\", \"rfc\": \"r\","
                       " \"matrix\": {\"op\": [\"text\", \"binary\"], \"size\": [0, 125, 126]},"
                       " \"template\": {\"steps\": [{\"send\": {\"op\": \"{op}\", \"payload\":"
                       " {\"repeat\": {\"byte\": \"x\", \"count\": \"{size}\"}}}},"
                       " {\"expect\": {\"echo\": true}}]}}" TAIL,
                  err);
    assert_int_equal(rc, 0);
    assert_int_equal(cat.n, 6);
    assert_string_equal(cat.cases[0].id, "6.2.1");
    assert_string_equal(cat.cases[5].id, "6.2.6");
    assert_string_equal(cat.cases[0].title, "text of 0");
    assert_string_equal(cat.cases[2].title, "text of 126");
    assert_string_equal(cat.cases[3].title, "binary of 0");
    assert_int_equal(cat.cases[4].steps[0].send.opcode, 2);
    assert_int_equal(hs_payload_size(&cat.cases[4].steps[0].send.payload), 125);
    hs_catalogue_free(&cat);
}

static void test_family_params_and_range(void **state)
{
    (void)state;
    char err[512] = "";
    hs_catalogue cat;
    int rc = load(
        &cat,
        HEAD
        "{\"family\": \"7.9\", \"title\": \"code {code}\", \"rfc\": \"r\","
        " \"matrix\": {\"code\": {\"from\": 1000, \"to\": 1004, \"step\": 2}},"
        " \"template\": {\"steps\": [{\"close\": \"{code}\"}]}},"
        "{\"family\": \"6.3\", \"title\": \"{name} #{index}\", \"rfc\": \"r\","
        " \"params\": [{\"name\": \"a\", \"b\": {\"hex\": \"80\"}},"
        "              {\"name\": \"z\", \"id\": \"x\", \"b\": \"ok\"}],"
        " \"template\": {\"steps\": [{\"send\": {\"op\": \"text\", \"payload\": \"{b}\"}}]}}" TAIL,
        err);
    assert_int_equal(rc, 0);
    assert_int_equal(cat.n, 5);
    assert_int_equal(cat.cases[0].steps[0].close_code, 1000);
    assert_int_equal(cat.cases[2].steps[0].close_code, 1004);
    assert_string_equal(cat.cases[3].id, "6.3.1");
    assert_string_equal(cat.cases[3].title, "a #1");
    assert_string_equal(cat.cases[4].id, "6.3.x");
    assert_int_equal(hs_payload_size(&cat.cases[3].steps[0].send.payload), 1);
    assert_int_equal(cat.cases[3].steps[0].send.payload.bytes[0], 0x80);
    hs_catalogue_free(&cat);
}

static void test_defaults_and_alternatives(void **state)
{
    (void)state;
    char err[512] = "";
    hs_catalogue cat;
    int rc = load(&cat,
                  "{\"section\": \"6\", \"title\": \"U\", \"defaults\": {\"rfc\": \"D\", "
                  "\"tags\": [\"slow\"], \"timeout\": 9}, \"cases\": [{\"id\": \"6.4.1\", "
                  "\"title\": \"t\", \"steps\": [{\"expect\": {\"one_of\": ["
                  "{\"events\": {\"close\": 1007}},"
                  "{\"events\": [{\"echo\": 3}], \"verdict\": \"NON-STRICT\", \"why\": \"w\","
                  " \"stop\": true},"
                  "{\"events\": {\"nothing\": 1000}, \"verdict\": \"informational\"}],"
                  " \"otherwise\": \"UNIMPLEMENTED\"}}]}]}",
                  err);
    assert_int_equal(rc, 0);
    const hs_case *c = &cat.cases[0];
    assert_string_equal(c->rfc, "D");
    assert_true(hs_case_has_tag(c, "slow"));
    assert_true(c->timeout_s == 9);
    const hs_expect *e = &c->steps[0].expect;
    assert_int_equal(e->n_alts, 3);
    assert_int_equal(e->otherwise, HS_UNIMPLEMENTED);
    /* echo: 3 is one pattern counting three echoes, not three patterns */
    assert_int_equal(e->alts[1].n_items, 1);
    assert_int_equal(e->alts[1].items[0].kind, HS_PAT_ECHO);
    assert_int_equal(e->alts[1].items[0].count, 3);
    assert_int_equal(e->alts[1].verdict, HS_NON_STRICT);
    assert_true(e->alts[1].stop);
    assert_int_equal(e->alts[2].verdict, HS_INFORMATIONAL);
    assert_int_equal(hs_expect_window(e), 1000);
    hs_catalogue_free(&cat);
}

struct bad {
    const char *json;
    const char *want; /* substring of the error */
};

static const struct bad bad_files[] = {
    {"{", "t.json: JSON: syntax error near line 1"},
    {"{\"title\": \"T\", \"cases\": []}", "section"},
    {HEAD "{\"title\": \"x\", \"rfc\": \"r\", \"steps\": []}" TAIL, "needs a string 'id'"},
    {HEAD "{\"id\": \"1.1\", \"rfc\": \"r\", \"steps\": []}" TAIL, "case 1.1: title: missing"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": "
          "\"txt\"}}]}" TAIL,
     "case 1.1: steps[0].send.op: unknown opcode name 'txt'"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": "
          "16}}]}" TAIL,
     "steps[0].send.op: must be an integer 0..15"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": "
          "1, \"colour\": 1}}]}" TAIL,
     "steps[0].send: unknown field 'colour'"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": "
          "1, \"payload\": {\"hex\": \"abc\"}}}]}" TAIL,
     "odd number of hex digits"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": "
          "1, \"mask\": \"0102\"}}]}" TAIL,
     "steps[0].send.mask: a mask key is 4 bytes"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"jump\": 1}]}" TAIL,
     "steps[0]: unknown step 'jump'"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"expect\": "
          "{\"pong\": true, \"close\": 1}}]}" TAIL,
     "a pattern is an object with one key"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"expect\": "
          "[{\"nothing\": 5}, {\"close\": true}]}]}" TAIL,
     "'nothing' must be the only pattern"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"expect\": "
          "{\"one_of\": [{\"events\": {\"drop\": true}, \"verdict\": \"MEH\"}]}}]}" TAIL,
     "one_of[0].verdict: must be OK"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": "
          "1}}, {\"handshake\": {}}]}" TAIL,
     "a handshake step must be the first step"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"expect\": "
          "{\"response\": {\"status\": 101}}}]}" TAIL,
     "'response' patterns only right after a handshake step"},
    {HEAD
     "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"timeout\": -1, \"steps\": []}" TAIL,
     "timeout: must be a number of seconds"},
    {HEAD "{\"family\": \"6.2\", \"title\": \"{nme}\", \"rfc\": \"r\", \"params\": [{\"name\": "
          "1}], \"template\": {\"steps\": []}}" TAIL,
     "case 6.2: template: no parameter named 'nme'"},
    {HEAD "{\"family\": \"6.2\", \"title\": \"t\", \"rfc\": \"r\", \"template\": {\"steps\": "
          "[]}}" TAIL,
     "needs exactly one of 'params' or 'matrix'"},
    {HEAD "{\"family\": \"6.2\", \"title\": \"t\", \"rfc\": \"r\", \"matrix\": {\"n\": {\"from\": "
          "5, \"to\": 1}}, \"template\": {\"steps\": []}}" TAIL,
     "bad range"},
    {HEAD "{\"id\": \"1 1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": []}" TAIL, "id: use"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"close\": {\"code\": "
          "1000, \"reason\": {\"repeat\": {\"byte\": \"a\", \"count\": 124}}}}]}" TAIL,
     "reason longer than 123 bytes"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": 1, "
          "\"payload\": {\"repeat\": {\"text\": \"ab\", \"count\": 600000000}}}}]}" TAIL,
     "payload over 1 GiB"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": 1, "
          "\"payload\": {\"corpus\": {\"kind\": \"csv\", \"size\": 9}}}}]}" TAIL,
     "steps[0].send.payload.corpus: unknown kind 'csv' (one of json, bitmap, prose, html, pdf)"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": 1, "
          "\"payload\": {\"corpus\": {\"size\": 9}}}}]}" TAIL,
     "payload.corpus: needs 'kind', one of json, bitmap"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": 1, "
          "\"payload\": {\"corpus\": {\"kind\": \"html\"}}}}]}" TAIL,
     "payload.corpus: needs 'size'"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": 1, "
          "\"payload\": {\"corpus\": {\"kind\": \"html\", \"size\": 9, \"bytes\": 9}}}}]}" TAIL,
     "payload.corpus: unknown field 'bytes'"},
    {HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": \"r\", \"steps\": [{\"send\": {\"op\": 1, "
          "\"payload\": {\"corpus\": {\"kind\": \"pdf\", \"size\": 1073741824, "
          "\"offset\": 1}}}}]}" TAIL,
     "payload.corpus: offset + size over 1 GiB"},
};

static void test_errors_name_the_place(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        char err[512] = "";
        hs_catalogue cat;
        int rc = load(&cat, bad_files[i].json, err);
        if (rc == 0) fail_msg("file %zu loaded, want error '%s'", i, bad_files[i].want);
        if (!strstr(err, bad_files[i].want))
            fail_msg("file %zu: error '%s' does not contain '%s'", i, err, bad_files[i].want);
        assert_non_null(strstr(err, "t.json"));
        hs_catalogue_free(&cat);
    }
}

static void test_duplicate_ids(void **state)
{
    (void)state;
    char err[512] = "";
    hs_catalogue cat;
    memset(&cat, 0, sizeof cat);
    assert_int_equal(hs_load_string(&cat,
                                    HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": "
                                         "\"r\", \"steps\": []}" TAIL,
                                    "a.json", err, sizeof err),
                     0);
    assert_int_equal(hs_catalogue_check_unique(&cat, err, sizeof err), 0);
    assert_int_equal(hs_load_string(&cat,
                                    HEAD "{\"id\": \"1.1\", \"title\": \"t\", \"rfc\": "
                                         "\"r\", \"steps\": []}" TAIL,
                                    "b.json", err, sizeof err),
                     0);
    assert_int_equal(hs_catalogue_check_unique(&cat, err, sizeof err), -1);
    assert_non_null(strstr(err, "1.1 is defined twice (a.json and b.json)"));
    hs_catalogue_free(&cat);
}

/* The repository's own catalogue loads, with unique ids. */
static void test_repo_catalogue_loads(void **state)
{
    (void)state;
    char err[1024] = "";
    hs_catalogue cat;
    memset(&cat, 0, sizeof cat);
    if (hs_load_dir(&cat, "cases", err, sizeof err) != 0) fail_msg("%s", err);
    assert_true(cat.n > 50);
    assert_int_equal(hs_catalogue_check_unique(&cat, err, sizeof err), 0);
    hs_catalogue_free(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_case),
        cmocka_unit_test(test_payload_forms),
        cmocka_unit_test(test_corpus_payload),
        cmocka_unit_test(test_random_is_seeded),
        cmocka_unit_test(test_family_matrix),
        cmocka_unit_test(test_family_params_and_range),
        cmocka_unit_test(test_defaults_and_alternatives),
        cmocka_unit_test(test_errors_name_the_place),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_repo_catalogue_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
