/* ws_ext: the Sec-WebSocket-Extensions grammar (RFC 6455 §9.1).
 *
 *   extension-list = 1#extension
 *   extension      = token *( ";" extension-param )
 *   extension-param = token [ "=" ( token / quoted-string ) ]
 *
 * with optional whitespace around every separator. A quoted value must be a
 * token once unquoted; a quoted-pair (backslash) is refused rather than
 * unescaped, because the result would no longer be a slice of the caller's
 * buffer, and no registered extension needs one. */
#include "ws_ext.h"

#include <string.h>
#include <strings.h>

#include "ws_http.h"

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static void skip_ows(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static bool at(const cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static int read_token(cursor *c, const char **tok, size_t *n)
{
    const char *start = c->p;
    while (c->p < c->end && ws_http_is_token(c->p, 1)) c->p++;
    if (c->p == start) return -1;
    *tok = start;
    *n = (size_t)(c->p - start);
    return 0;
}

static int read_quoted(cursor *c, ws_ext_param *prm)
{
    c->p++; /* opening quote */
    const char *start = c->p;
    while (c->p < c->end && *c->p != '"') c->p++;
    if (c->p == c->end) return -1; /* unterminated */
    if (!ws_http_is_token(start, (size_t)(c->p - start))) return -1;
    prm->value = start;
    prm->value_len = (size_t)(c->p - start);
    prm->quoted = true;
    c->p++;
    return 0;
}

static int read_param(cursor *c, ws_ext *e)
{
    if (e->n_params == WS_EXT_MAX_PARAMS) return -1;
    ws_ext_param *prm = &e->params[e->n_params];
    memset(prm, 0, sizeof *prm);
    skip_ows(c);
    if (read_token(c, &prm->name, &prm->name_len) != 0) return -1;
    skip_ows(c);
    if (at(c, '=')) {
        c->p++;
        skip_ows(c);
        if (at(c, '"')) {
            if (read_quoted(c, prm) != 0) return -1;
        } else if (read_token(c, &prm->value, &prm->value_len) != 0) {
            return -1;
        }
        skip_ows(c);
    }
    e->n_params++;
    return 0;
}

static int read_extension(cursor *c, ws_ext *e)
{
    memset(e, 0, sizeof *e);
    if (read_token(c, &e->name, &e->name_len) != 0) return -1;
    skip_ows(c);
    while (at(c, ';')) {
        c->p++;
        if (read_param(c, e) != 0) return -1;
    }
    return c->p == c->end || *c->p == ',' ? 0 : -1;
}

int ws_ext_parse(const char *v, size_t len, ws_ext *out, size_t max, size_t *n)
{
    cursor c = {v, v + len};
    size_t start = *n, count = *n;
    for (;;) {
        /* Empty list elements (", ,") are tolerated, as RFC 7230 §7 asks. */
        while (c.p < c.end && (*c.p == ' ' || *c.p == '\t' || *c.p == ',')) c.p++;
        if (c.p == c.end) break;
        if (count >= max || read_extension(&c, &out[count]) != 0) return -1;
        count++;
    }
    if (count == start) return -1; /* 1#extension: at least one */
    *n = count;
    return 0;
}

bool ws_ext_name_is(const ws_ext *e, const char *name)
{
    size_t n = strlen(name);
    return e->name_len == n && strncasecmp(e->name, name, n) == 0;
}

bool ws_ext_param_is(const ws_ext_param *p, const char *name)
{
    size_t n = strlen(name);
    return p->name_len == n && strncasecmp(p->name, name, n) == 0;
}
