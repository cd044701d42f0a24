/* ws_ext: Sec-WebSocket-Extensions values (RFC 6455 §9.1).
 *
 * Owns: splitting an extension list into extensions and their parameters,
 * zero-copy, with values given as tokens or quoted strings. Knows nothing about
 * any particular extension: permessage-deflate's meaning lives in ws_deflate. */
#ifndef WS_EXT_H
#define WS_EXT_H

#include <stdbool.h>
#include <stddef.h>

#define WS_EXT_MAX_PARAMS 16

typedef struct ws_ext_param {
    const char *name;
    size_t name_len;
    const char *value; /* NULL when the parameter has no value; quotes removed */
    size_t value_len;
    bool quoted;
} ws_ext_param;

typedef struct ws_ext {
    const char *name;
    size_t name_len;
    ws_ext_param params[WS_EXT_MAX_PARAMS];
    size_t n_params;
} ws_ext;

/* Parses one header value, appending up to max - *n extensions to out; call
 * once per header instance to collect them all. 0 on success, -1 on a syntax
 * error, an empty list, too many extensions/params, or a quoted value that is
 * not a token or holds a backslash escape (then *n is unchanged).
 * Name comparisons below are case-insensitive. */
int ws_ext_parse(const char *v, size_t len, ws_ext *out, size_t max, size_t *n);
bool ws_ext_name_is(const ws_ext *e, const char *name);
bool ws_ext_param_is(const ws_ext_param *p, const char *name);

#endif
