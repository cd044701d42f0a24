/* ws_utf8: incremental UTF-8 validation (RFC 3629, as RFC 6455 §8.1 requires).
 *
 * Owns: deciding, byte by byte across any number of fragments, whether a text
 * message is valid UTF-8, and where it stopped being valid. Rejects overlongs,
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated
 * sequences. Fail-fast: a sequence is reported invalid at the first byte that
 * cannot start or continue any valid encoding. */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include <stddef.h>
#include <stdint.h>

enum ws_utf8_status {
    WS_UTF8_OK = 0,       /* valid, and ends on a code point boundary */
    WS_UTF8_PARTIAL = 1,  /* valid so far, but ends inside a sequence */
    WS_UTF8_INVALID = -1, /* invalid; see ws_utf8.error_at */
};

typedef struct ws_utf8 {
    uint32_t state;
    uint64_t consumed; /* bytes fed so far */
    uint64_t error_at; /* offset (from the first byte fed) of the offending byte */
    int failed;
} ws_utf8;

void ws_utf8_init(ws_utf8 *v);
/* Feeds more bytes. Once INVALID, stays INVALID. */
int ws_utf8_feed(ws_utf8 *v, const uint8_t *p, size_t n);
/* End of message: a PARTIAL state becomes INVALID (error_at = consumed). */
int ws_utf8_finish(ws_utf8 *v);
/* One-shot check of a whole buffer. */
int ws_utf8_valid(const uint8_t *p, size_t n);

#endif
