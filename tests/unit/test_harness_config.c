/* Unit tests for hs_config: Autobahn's fuzzingclient.json as `check --config`
 * reads it, the keys it uses, the ones it ignores, and a message naming the
 * key for every malformed one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "harness/hs_config.h"

static void test_autobahn_example(void **state)
{
    (void)state;
    /* the shape of Autobahn's own example file, with its unused keys */
    const char *text = "{\"outdir\": \"./reports/servers\","
                       " \"servers\": [{\"agent\": \"A\", \"url\": \"ws://127.0.0.1:9001\","
                       "               \"options\": {\"version\": 18}},"
                       "              {\"url\": \"ws://127.0.0.1:9002/x\"}],"
                       " \"cases\": [\"1.*\", \"2.1,2.2\"], \"exclude-cases\": [\"9.*\"],"
                       " \"exclude-agent-cases\": {\"A\": [\"6.4.*\"], \"B\": [\"7.*\"]}}";
    hs_config c;
    char err[200] = "";
    assert_int_equal(hs_config_parse(text, &c, err, sizeof err), 0);
    assert_int_equal(c.cases.n, 3); /* "2.1,2.2" is a list, as on the command line */
    assert_string_equal(c.cases.p[2], "2.2");
    assert_int_equal(c.exclude.n, 1);
    assert_int_equal(c.n_servers, 2);
    assert_string_equal(c.servers[0].url, "ws://127.0.0.1:9001");
    assert_string_equal(c.servers[0].agent, "A");
    assert_int_equal(c.servers[0].exclude.n, 1);
    assert_string_equal(c.servers[0].exclude.p[0], "6.4.*");
    assert_null(c.servers[1].agent);
    assert_int_equal(c.servers[1].exclude.n, 0);
    hs_config_free(&c);
}

static void test_empty_object(void **state)
{
    (void)state;
    hs_config c;
    char err[200] = "";
    assert_int_equal(hs_config_parse("{}", &c, err, sizeof err), 0);
    assert_int_equal(c.n_servers + c.cases.n + c.exclude.n, 0);
    hs_config_free(&c);
}

static void test_errors_name_the_key(void **state)
{
    (void)state;
    static const struct {
        const char *text, *words;
    } bad[] = {
        {"[1]", "not a JSON object"},
        {"{\"servers\": {}}", "'servers' must be a list"},
        {"{\"servers\": [{\"agent\": \"a\"}]}", "string 'url'"},
        {"{\"servers\": [{\"url\": 7}]}", "string 'url'"},
        {"{\"cases\": \"1.*\"}", "'cases' must be a list of strings"},
        {"{\"exclude-cases\": [\"1.*\", 2]}", "'exclude-cases' must be a list of strings"},
        {"{\"exclude-agent-cases\": []}", "'exclude-agent-cases' must be an object"},
        {"{\"servers\": [{\"url\": \"ws://h/\", \"agent\": \"a\"}],"
         " \"exclude-agent-cases\": {\"a\": \"6.*\"}}",
         "'exclude-agent-cases' must be a list of strings"},
        {"{\"servers\": [", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hs_config c;
        char err[200] = "";
        assert_int_equal(hs_config_parse(bad[i].text, &c, err, sizeof err), -1);
        if (!strstr(err, bad[i].words)) fail_msg("%s: got '%s'", bad[i].text, err);
        assert_int_equal(c.n_servers, 0);
        assert_null(c.servers);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autobahn_example),
        cmocka_unit_test(test_empty_object),
        cmocka_unit_test(test_errors_name_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
