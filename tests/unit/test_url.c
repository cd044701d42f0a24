/* Unit tests for ws_url: accepted forms (schemes, names, IPv4, [IPv6],
 * ports, paths, queries, Host header) and a clear error for each rejected
 * form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ws/ws_url.h"

struct good {
    const char *url;
    bool tls;
    const char *host;
    bool ipv6;
    uint16_t port;
    const char *target;
    const char *host_header;
};

static const struct good goods[] = {
    {"ws://localhost", false, "localhost", false, 80, "/", "localhost"},
    {"ws://localhost/", false, "localhost", false, 80, "/", "localhost"},
    {"wss://example.com", true, "example.com", false, 443, "/", "example.com"},
    {"WS://Example.COM/Chat", false, "Example.COM", false, 80, "/Chat", "Example.COM"},
    {"WsS://h/", true, "h", false, 443, "/", "h"},
    {"ws://127.0.0.1:9001", false, "127.0.0.1", false, 9001, "/", "127.0.0.1:9001"},
    {"ws://127.0.0.1:80/x", false, "127.0.0.1", false, 80, "/x", "127.0.0.1"},
    {"wss://127.0.0.1:80/x", true, "127.0.0.1", false, 80, "/x", "127.0.0.1:80"},
    {"ws://h:443/", false, "h", false, 443, "/", "h:443"},
    {"wss://h:443/", true, "h", false, 443, "/", "h"},
    {"ws://h:1", false, "h", false, 1, "/", "h:1"},
    {"ws://h:65535", false, "h", false, 65535, "/", "h:65535"},
    {"ws://h:08080", false, "h", false, 8080, "/", "h:8080"},
    {"ws://h:/p", false, "h", false, 80, "/p", "h"}, /* empty port = default (RFC 3986) */
    {"ws://[::1]", false, "::1", true, 80, "/", "[::1]"},
    {"ws://[::1]:9001/echo", false, "::1", true, 9001, "/echo", "[::1]:9001"},
    {"wss://[2001:db8::7]:443", true, "2001:db8::7", true, 443, "/", "[2001:db8::7]"},
    {"ws://[::ffff:127.0.0.1]:81", false, "::ffff:127.0.0.1", true, 81, "/",
     "[::ffff:127.0.0.1]:81"},
    {"ws://h/a/b?x=1&y=%20z", false, "h", false, 80, "/a/b?x=1&y=%20z", "h"},
    {"ws://h?q=1", false, "h", false, 80, "/?q=1", "h"},
    {"ws://h:81?q", false, "h", false, 81, "/?q", "h:81"},
    {"ws://my-host_1.example.org./p;a=b:c@d", false, "my-host_1.example.org.", false, 80,
     "/p;a=b:c@d", "my-host_1.example.org."},
};

static void test_good_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
        const struct good *g = &goods[i];
        ws_url u;
        char err[256] = "";
        if (ws_url_parse(g->url, &u, err, sizeof(err)) != 0)
            fail_msg("%s rejected: %s", g->url, err);
        if (u.tls != g->tls || strcmp(u.host, g->host) || u.host_is_ipv6 != g->ipv6 ||
            u.port != g->port || strcmp(u.target, g->target) ||
            strcmp(u.host_header, g->host_header))
            fail_msg("%s: tls=%d host=%s ipv6=%d port=%u target=%s host_header=%s", g->url, u.tls,
                     u.host, u.host_is_ipv6, u.port, u.target, u.host_header);
    }
}

struct bad {
    const char *url;
    const char *msg_part; /* the error must contain this */
};

static const struct bad bads[] = {
    {"", "empty URL"},
    {"localhost:9001", "must start with ws:// or wss://"},
    {"ws:/h", "must start with ws:// or wss://"},
    {"://h", "must start with ws:// or wss://"},
    {"http://h/", "'http' is not a WebSocket scheme"},
    {"HTTPS://h/", "'HTTPS' is not a WebSocket scheme"},
    {"ftp://h/", "unsupported scheme 'ftp'"},
    {"wsx://h/", "unsupported scheme 'wsx'"},
    {"ws://", "missing host"},
    {"ws:///path", "missing host"},
    {"ws://:9001/", "missing host"},
    {"ws://?q", "missing host"},
    {"ws://h:0/", "port 0 is out of range"},
    {"ws://h:65536/", "port 65536 is out of range"},
    {"ws://h:70000/", "port 70000 is out of range"},
    {"ws://h:99999999999999999999/", "out of range"},
    {"ws://h:abc/", "port must be a number"},
    {"ws://h:80a/", "port must be a number"},
    {"ws://h:-1/", "port must be a number"},
    {"ws://h/#frag", "fragment"},
    {"ws://h#", "fragment"},
    {"ws://h/p?q#f", "fragment"},
    {"ws://user@h/", "user info"},
    {"ws://user:pw@h:80/", "user info"},
    {"ws://h /", "space"},
    {" ws://h/", "space"},
    {"ws://h/a b", "space"},
    {"ws://h/\t", "control character 0x09"},
    {"ws://h/\x7f", "control character 0x7F"},
    {"ws://h\xc3\xa9/", "non-ASCII"},
    {"ws://::1/", "IPv6 address must be in brackets"},
    {"ws://fe80::1:9001/", "IPv6 address must be in brackets"},
    {"ws://[::1/", "missing its closing ']'"},
    {"ws://[]/", "empty IPv6"},
    {"ws://[::g]/", "invalid IPv6 address '[::g]'"},
    {"ws://[127.0.0.1]/", "invalid IPv6 address"},
    {"ws://[fe80::1%25eth0]/", "zone"},
    {"ws://[::1]x/", "after the host"},
    {"ws://[::1]:/p", NULL}, /* accepted: empty port; checked below */
    {"ws://256.1.1.1/", "invalid IPv4 address '256.1.1.1'"},
    {"ws://1.2.3/", "invalid IPv4 address"},
    {"ws://h..com/", "empty label"},
    {"ws://.h/", "empty label"},
    {"ws://h!x/", "invalid character '!' in host"},
    {"ws://h%41/", "invalid character '%' in host"},
    {"ws://h/<script>", "character '<'"},
    {"ws://h/a\\b", "character '\\'"},
    {"ws://h/%zz", "two hex digits"},
    {"ws://h/%4", "two hex digits"},
};

static void test_bad_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        const struct bad *b = &bads[i];
        ws_url u;
        char err[256] = "";
        int r = ws_url_parse(b->url, &u, err, sizeof(err));
        if (!b->msg_part) {
            if (r != 0) fail_msg("%s rejected: %s", b->url, err);
            continue;
        }
        if (r != -1) fail_msg("%s accepted", b->url);
        if (!strstr(err, b->msg_part))
            fail_msg("%s: error '%s' does not mention '%s'", b->url, err, b->msg_part);
    }
}

static void test_null_url(void **state)
{
    (void)state;
    ws_url u;
    char err[128];
    assert_int_equal(ws_url_parse(NULL, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "empty URL"));
    /* no error buffer at all is allowed */
    assert_int_equal(ws_url_parse("http://h", &u, NULL, 0), -1);
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    ws_url u;
    char err[8];
    memset(err, 'z', sizeof(err));
    assert_int_equal(ws_url_parse("http://h/", &u, err, sizeof(err)), -1);
    assert_int_equal(strlen(err), sizeof(err) - 1);
}

static void test_host_length_limit(void **state)
{
    (void)state;
    char url[600], err[256];
    ws_url u;
    char host[300];

    memset(host, 'a', sizeof(host));
    host[WS_URL_HOST_MAX - 1] = '\0'; /* 255 bytes: the longest host that fits */
    snprintf(url, sizeof(url), "wss://%s:8443/", host);
    assert_int_equal(ws_url_parse(url, &u, err, sizeof(err)), 0);
    assert_int_equal(strlen(u.host), WS_URL_HOST_MAX - 1);
    assert_int_equal(strlen(u.host_header), WS_URL_HOST_MAX - 1 + 5);

    memset(host, 'a', sizeof(host));
    host[WS_URL_HOST_MAX] = '\0'; /* 256 bytes */
    snprintf(url, sizeof(url), "ws://%s/", host);
    assert_int_equal(ws_url_parse(url, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "host is too long"));
}

static void test_target_length_limit(void **state)
{
    (void)state;
    size_t cap = WS_URL_TARGET_MAX + 64;
    char *url = malloc(cap);
    char err[256];
    ws_url u;
    assert_non_null(url);

    /* "ws://h" + a target of exactly WS_URL_TARGET_MAX - 1 bytes */
    strcpy(url, "ws://h/");
    size_t n = strlen(url);
    memset(url + n, 'p', WS_URL_TARGET_MAX - 2);
    url[n + WS_URL_TARGET_MAX - 2] = '\0';
    assert_int_equal(ws_url_parse(url, &u, err, sizeof(err)), 0);
    assert_int_equal(strlen(u.target), WS_URL_TARGET_MAX - 1);

    /* one more byte is too long */
    strcat(url, "p");
    assert_int_equal(ws_url_parse(url, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too long"));

    /* a query without a path gains a '/', which counts toward the limit */
    strcpy(url, "ws://h?");
    n = strlen(url);
    memset(url + n, 'q', WS_URL_TARGET_MAX - 2);
    url[n + WS_URL_TARGET_MAX - 2] = '\0';
    assert_int_equal(ws_url_parse(url, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too long"));
    free(url);
}

/* Every port 1..65535 round-trips; the Host header carries it unless it is
 * the scheme's default. */
static void test_all_ports(void **state)
{
    (void)state;
    char url[64], want[64], err[256];
    ws_url u;
    for (unsigned p = 1; p <= 65535; p++) {
        snprintf(url, sizeof(url), "wss://h:%u/", p);
        if (ws_url_parse(url, &u, err, sizeof(err)) != 0) fail_msg("%s: %s", url, err);
        if (u.port != p) fail_msg("%s: port %u", url, u.port);
        if (p == 443)
            snprintf(want, sizeof(want), "h");
        else
            snprintf(want, sizeof(want), "h:%u", p);
        assert_string_equal(u.host_header, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),         cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_null_url),          cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_host_length_limit), cmocka_unit_test(test_target_length_limit),
        cmocka_unit_test(test_all_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
