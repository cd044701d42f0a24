/* ws_url: ws:// and wss:// URLs (RFC 6455 §3, RFC 3986 §3).
 *
 * One pass, left to right: scheme, authority (host and port), then path and
 * query. Each step either consumes its part or returns a sentence that names
 * the part that is wrong and, where it helps, what to write instead. */
#include "ws_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HOST_LEN_MAX   (WS_URL_HOST_MAX - 1)
#define TARGET_LEN_MAX (WS_URL_TARGET_MAX - 1)

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Spaces, control bytes and non-ASCII are never part of a URL as typed on a
 * command line; catching them first keeps the later messages simple. */
static int check_bytes(const char *s, char *err, size_t errlen)
{
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ')
            return fail(err, errlen,
                        "URL contains a space at offset %zu; percent-encode it as %%20", i);
        if (c < 0x20 || c == 0x7F)
            return fail(err, errlen, "URL contains control character 0x%02X at offset %zu", c, i);
        if (c >= 0x80)
            return fail(err, errlen,
                        "URL contains a non-ASCII byte at offset %zu; percent-encode it "
                        "(or use the punycode form of the host name)",
                        i);
    }
    return 0;
}

/* Returns the length of the scheme ("ws", "wss") before "://", or -1. */
static int parse_scheme(const char *s, ws_url *u, char *err, size_t errlen)
{
    size_t n = 0;
    if (isalpha((unsigned char)s[0])) {
        n = 1;
        while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.') n++;
    }
    if (n == 0 || strncmp(s + n, "://", 3) != 0)
        return fail(err, errlen, "URL must start with ws:// or wss:// (e.g. ws://127.0.0.1:9001/)");
    if (n == 2 && strncasecmp(s, "ws", 2) == 0) {
        u->tls = false;
    } else if (n == 3 && strncasecmp(s, "wss", 3) == 0) {
        u->tls = true;
    } else if ((n == 4 && strncasecmp(s, "http", 4) == 0) ||
               (n == 5 && strncasecmp(s, "https", 5) == 0)) {
        return fail(err, errlen,
                    "scheme '%.*s' is not a WebSocket scheme: use ws:// (or wss:// "
                    "for TLS) with the same host and path",
                    (int)n, s);
    } else {
        return fail(err, errlen, "unsupported scheme '%.*s': use ws:// or wss://",
                    (int)(n > 32 ? 32 : n), s);
    }
    return (int)n;
}

static int parse_ipv6(const char *a, size_t alen, ws_url *u, size_t *used, char *err, size_t errlen)
{
    const char *close = memchr(a, ']', alen);
    if (!close) return fail(err, errlen, "IPv6 address is missing its closing ']'");
    size_t n = (size_t)(close - a) - 1;
    if (n == 0) return fail(err, errlen, "empty IPv6 address '[]'");
    if (memchr(a + 1, '%', n))
        return fail(err, errlen, "IPv6 zone IDs ('%%...') are not supported in the host");
    char buf[64];
    struct in6_addr addr;
    if (n >= sizeof(buf))
        return fail(err, errlen, "IPv6 address '[%.*s...]' is too long", 40, a + 1);
    memcpy(buf, a + 1, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET6, buf, &addr) != 1)
        return fail(err, errlen, "invalid IPv6 address '[%s]'", buf);
    memcpy(u->host, buf, n + 1);
    u->host_is_ipv6 = true;
    *used = n + 2;
    return 0;
}

static bool all_digits_and_dots(const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)h[i]) && h[i] != '.') return false;
    return true;
}

/* A DNS name or a dotted-quad IPv4 address. */
static int parse_name(const char *a, size_t alen, ws_url *u, size_t *used, char *err, size_t errlen)
{
    const char *colon = memchr(a, ':', alen);
    if (colon && memchr(colon + 1, ':', alen - (size_t)(colon + 1 - a)))
        return fail(err, errlen,
                    "more than one ':' in the host; an IPv6 address must be in "
                    "brackets, e.g. ws://[::1]:9001/");
    size_t n = colon ? (size_t)(colon - a) : alen;
    if (n == 0) return fail(err, errlen, "missing host before the port");
    if (n > HOST_LEN_MAX)
        return fail(err, errlen, "host is too long (%zu bytes; the limit is %d)", n, HOST_LEN_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (!isalnum((unsigned char)c) && c != '-' && c != '.' && c != '_')
            return fail(err, errlen, "invalid character '%c' in host '%.*s'", c, (int)n, a);
        /* a trailing dot (fully qualified name) is fine; an empty label is not */
        if (c == '.' && (i == 0 || a[i - 1] == '.'))
            return fail(err, errlen, "host '%.*s' has an empty label ('..' or a leading '.')",
                        (int)n, a);
    }
    memcpy(u->host, a, n);
    u->host[n] = '\0';
    struct in_addr addr;
    if (all_digits_and_dots(a, n) && inet_pton(AF_INET, u->host, &addr) != 1)
        return fail(err, errlen, "invalid IPv4 address '%s'", u->host);
    *used = n;
    return 0;
}

/* p..p+n is what follows ':' in the authority; empty means the default port
 * (RFC 3986 §3.2.3). */
static int parse_port(const char *p, size_t n, ws_url *u, char *err, size_t errlen)
{
    u->port = u->tls ? 443 : 80;
    if (n == 0) return 0;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return fail(err, errlen, "port must be a number from 1 to 65535, not '%.*s'",
                        (int)(n > 32 ? 32 : n), p);
        if (v <= 65535) v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v == 0 || v > 65535)
        return fail(err, errlen, "port %.*s is out of range (1-65535)", (int)(n > 32 ? 32 : n), p);
    u->port = (uint16_t)v;
    return 0;
}

static int parse_authority(const char *a, size_t alen, ws_url *u, char *err, size_t errlen)
{
    if (alen == 0) return fail(err, errlen, "missing host after '%s://'", u->tls ? "wss" : "ws");
    if (memchr(a, '@', alen))
        return fail(err, errlen,
                    "user info ('user@' or 'user:password@') is not allowed in a "
                    "WebSocket URL");
    size_t used = 0;
    int r = a[0] == '[' ? parse_ipv6(a, alen, u, &used, err, errlen)
                        : parse_name(a, alen, u, &used, err, errlen);
    if (r < 0) return r;
    if (used < alen && a[used] != ':')
        return fail(err, errlen, "unexpected '%.*s' after the host; expected ':PORT'",
                    (int)(alen - used > 32 ? 32 : alen - used), a + used);
    if (used == alen) return parse_port(a, 0, u, err, errlen);
    return parse_port(a + used + 1, alen - used - 1, u, err, errlen);
}

static bool is_hex(char c)
{
    return isxdigit((unsigned char)c) != 0;
}

/* Path and query characters allowed by RFC 3986 §3.3-3.4 besides
 * alphanumerics and percent-encodings. */
static bool is_target_char(char c)
{
    return isalnum((unsigned char)c) || strchr("-._~!$&'()*+,;=:@/?", c) != NULL;
}

static int parse_target(const char *r, ws_url *u, char *err, size_t errlen)
{
    if (strchr(r, '#'))
        return fail(err, errlen,
                    "a fragment ('#...') is not allowed in a WebSocket URL (RFC 6455 §3)");
    for (size_t i = 0; r[i]; i++) {
        if (r[i] == '%') {
            if (!is_hex(r[i + 1]) || !is_hex(r[i + 2]))
                return fail(err, errlen, "'%%' in the path must be followed by two hex digits");
            i += 2;
        } else if (!is_target_char(r[i])) {
            return fail(err, errlen, "character '%c' in the path or query must be percent-encoded",
                        r[i]);
        }
    }
    /* "ws://h?q" has an empty path: the request target is "/?q" */
    size_t slash = r[0] == '/' ? 0 : 1;
    size_t rlen = strlen(r);
    if (slash + rlen > TARGET_LEN_MAX)
        return fail(err, errlen, "path and query are too long (%zu bytes; the limit is %d)",
                    slash + rlen, TARGET_LEN_MAX);
    u->target[0] = '/';
    memcpy(u->target + slash, r, rlen + 1);
    return 0;
}

static void make_host_header(ws_url *u)
{
    bool default_port = u->port == (u->tls ? 443 : 80);
    const char *lb = u->host_is_ipv6 ? "[" : "", *rb = u->host_is_ipv6 ? "]" : "";
    if (default_port)
        snprintf(u->host_header, sizeof(u->host_header), "%s%s%s", lb, u->host, rb);
    else
        snprintf(u->host_header, sizeof(u->host_header), "%s%s%s:%u", lb, u->host, rb,
                 (unsigned)u->port);
}

int ws_url_parse(const char *s, ws_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    if (!s || !*s) return fail(err, errlen, "empty URL: expected ws://HOST[:PORT][/PATH]");
    if (check_bytes(s, err, errlen) < 0) return -1;

    int slen = parse_scheme(s, u, err, errlen);
    if (slen < 0) return -1;
    const char *a = s + slen + 3;
    size_t alen = strcspn(a, "/?#");
    if (parse_authority(a, alen, u, err, errlen) < 0) return -1;
    if (parse_target(a + alen, u, err, errlen) < 0) return -1;
    make_host_header(u);
    return 0;
}
