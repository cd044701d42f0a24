/* Unit tests for hs_bind: {subprotocol} replaced in a case's title, handshake
 * (set, add, raw, path), response header tokens and `why`; a case in a family
 * keeps the placeholder until bound; without a value the case is marked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harness/hs_bind.h"
#include "harness/hs_case.h"
#include "harness/hs_load.h"

#define CASES                                                                                      \
    "{\"section\": \"1\", \"title\": \"T\", \"cases\": ["                                          \
    "{\"id\": \"1.1\", \"title\": \"offer {subprotocol}\", \"rfc\": \"r\", \"steps\": ["           \
    " {\"handshake\": {\"path\": \"/{subprotocol}\", \"subprotocols\": \"x, {subprotocol}\","      \
    "  \"add\": [[\"X-P\", {\"concat\": [\"<\", \"{subprotocol}\", \">\"]}]]}},"                   \
    " {\"expect\": {\"one_of\": [{\"events\": {\"response\": {\"status\": 101, \"headers\":"       \
    "  {\"Sec-WebSocket-Protocol\": \"{subprotocol}\"}}}, \"why\": \"got {subprotocol}\"}]}}]},"   \
    "{\"family\": \"1.2\", \"title\": \"raw {n}\", \"rfc\": \"r\", \"params\": [{\"n\": 1}],"      \
    " \"template\": {\"steps\": [{\"handshake\": {\"raw\": \"P: "                                  \
    "{subprotocol}{subprotocol}\"}}]}},"                                                           \
    "{\"id\": \"1.3\", \"title\": \"plain\", \"rfc\": \"r\", \"steps\": []}]}"

static void load(hs_catalogue *cat)
{
    char err[512] = "";
    memset(cat, 0, sizeof *cat);
    if (hs_load_string(cat, CASES, "t.json", err, sizeof err) != 0) fail_msg("%s", err);
    assert_int_equal(cat->n, 3);
}

static void assert_payload(const hs_payload *p, const char *want)
{
    size_t n;
    uint8_t *b = hs_payload_make(p, &n);
    assert_non_null(b);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(b, want, n);
    free(b);
}

static void test_bound_everywhere(void **state)
{
    (void)state;
    hs_catalogue cat;
    load(&cat);
    assert_int_equal(hs_catalogue_bind_subprotocol(&cat, "chat.v2"), 0);
    const hs_case *c = &cat.cases[0];
    assert_false(c->needs_subprotocol);
    assert_string_equal(c->title, "offer chat.v2");
    const hs_handshake *h = &c->steps[0].hs;
    assert_string_equal(h->path, "/chat.v2");
    assert_string_equal(h->set[0].name, "Sec-WebSocket-Protocol");
    assert_payload(&h->set[0].value, "x, chat.v2");
    assert_payload(&h->add[0].value, "<chat.v2>");
    const hs_alt *a = &c->steps[1].expect.alts[0];
    assert_string_equal(a->items[0].headers[0].token, "chat.v2");
    assert_string_equal(a->why, "got chat.v2");
    assert_payload(&cat.cases[1].steps[0].hs.raw, "P: chat.v2chat.v2");
    assert_false(cat.cases[2].needs_subprotocol);
    hs_catalogue_free(&cat);
}

static void test_unbound_marks_the_cases_that_use_it(void **state)
{
    (void)state;
    hs_catalogue cat;
    load(&cat);
    assert_int_equal(hs_catalogue_bind_subprotocol(&cat, NULL), 0);
    assert_true(cat.cases[0].needs_subprotocol);
    assert_true(cat.cases[1].needs_subprotocol);
    assert_false(cat.cases[2].needs_subprotocol);
    assert_string_equal(cat.cases[0].title, "offer {subprotocol}");
    hs_catalogue_free(&cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound_everywhere),
        cmocka_unit_test(test_unbound_marks_the_cases_that_use_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
