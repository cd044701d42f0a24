/* ws_utf8: a table-driven DFA over byte classes (RFC 3629 §4 grammar).
 *
 * Each state says what the NEXT byte must be, so a byte that cannot continue
 * any valid encoding is rejected the moment it arrives: that is what makes the
 * validator fail-fast (E0 80 fails at the 80, ED A0 at the A0, F4 90 at the 90,
 * C0 and F5..FF at themselves). */
#include "ws_utf8.h"

#include <string.h>

/* Byte classes: the ranges RFC 3629 §4 distinguishes. */
enum {
    C_ASCII, /* 00..7F */
    C_C80,   /* 80..8F */
    C_C90,   /* 90..9F */
    C_CA0,   /* A0..BF */
    C_BAD,   /* C0, C1, F5..FF: never in UTF-8 */
    C_L2,    /* C2..DF */
    C_E0,    /* E0: next must be A0..BF (no overlongs) */
    C_L3,    /* E1..EC, EE, EF */
    C_ED,    /* ED: next must be 80..9F (no surrogates) */
    C_F0,    /* F0: next must be 90..BF (no overlongs) */
    C_L4,    /* F1..F3 */
    C_F4,    /* F4: next must be 80..8F (nothing above U+10FFFF) */
    NCLASS
};

/* States: what the next byte must be. */
enum {
    S_ACCEPT, /* on a code point boundary */
    S_REJECT,
    S_TAIL1, /* one more 80..BF */
    S_TAIL2, /* two more 80..BF */
    S_TAIL3, /* three more 80..BF */
    S_E0,    /* A0..BF, then one more */
    S_ED,    /* 80..9F, then one more */
    S_F0,    /* 90..BF, then two more */
    S_F4,    /* 80..8F, then two more */
    NSTATE
};

/* 00..7F are C_ASCII (0) by default; the rest is one row of 16 bytes per
 * line, with the class numbers of the enum above. */
// clang-format off
static const uint8_t byte_class[256] = {
    [0x80] =
    /* 80 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 90 */ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    /* A0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* B0 */ 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    /* C0 */ 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    /* D0 */ 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
    /* E0 */ 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7,
    /* F0 */ 9,10,10,10,11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* Next state by (state, class of the byte). Lead bytes only leave S_ACCEPT;
 * every other state wants a continuation byte from a given range. */
#define R S_REJECT
#define A S_ACCEPT
#define T1 S_TAIL1
#define T2 S_TAIL2
static const uint8_t transition[NSTATE][NCLASS] = {
    /*           ASCII 80-8F 90-9F A0-BF bad  C2-DF    E0    E1-EF    ED    F0    F1-F3    F4 */
    [S_ACCEPT] = { A,   R,    R,    R,   R,   T1,      S_E0, T2,      S_ED, S_F0, S_TAIL3, S_F4 },
    [S_REJECT] = { R,   R,    R,    R,   R,   R,       R,    R,       R,    R,    R,       R },
    [S_TAIL1]  = { R,   A,    A,    A,   R,   R,       R,    R,       R,    R,    R,       R },
    [S_TAIL2]  = { R,   T1,   T1,   T1,  R,   R,       R,    R,       R,    R,    R,       R },
    [S_TAIL3]  = { R,   T2,   T2,   T2,  R,   R,       R,    R,       R,    R,    R,       R },
    [S_E0]     = { R,   R,    R,    T1,  R,   R,       R,    R,       R,    R,    R,       R },
    [S_ED]     = { R,   T1,   T1,   R,   R,   R,       R,    R,       R,    R,    R,       R },
    [S_F0]     = { R,   R,    T2,   T2,  R,   R,       R,    R,       R,    R,    R,       R },
    [S_F4]     = { R,   T2,   R,    R,   R,   R,       R,    R,       R,    R,    R,       R },
};
#undef T2
#undef T1
#undef A
#undef R
// clang-format on

void ws_utf8_init(ws_utf8 *v)
{
    v->state = S_ACCEPT;
    v->consumed = 0;
    v->error_at = 0;
    v->failed = 0;
}

/* Skips whole 8-byte words of ASCII; returns the new index. */
static size_t skip_ascii(const uint8_t *p, size_t i, size_t n)
{
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ULL) break;
        i += 8;
    }
    return i;
}

int ws_utf8_feed(ws_utf8 *v, const uint8_t *p, size_t n)
{
    uint64_t base = v->consumed;
    v->consumed += n;
    if (v->failed) return WS_UTF8_INVALID;

    uint32_t s = v->state;
    size_t i = 0;
    while (i < n) {
        if (s == S_ACCEPT && p[i] < 0x80) {
            i = skip_ascii(p, i, n);
            if (i == n) break;
        }
        s = transition[s][byte_class[p[i]]];
        if (s == S_REJECT) {
            v->state = s;
            v->failed = 1;
            v->error_at = base + i;
            return WS_UTF8_INVALID;
        }
        i++;
    }
    v->state = s;
    return s == S_ACCEPT ? WS_UTF8_OK : WS_UTF8_PARTIAL;
}

int ws_utf8_finish(ws_utf8 *v)
{
    if (v->failed) return WS_UTF8_INVALID;
    if (v->state == S_ACCEPT) return WS_UTF8_OK;
    v->failed = 1;
    v->state = S_REJECT;
    v->error_at = v->consumed;
    return WS_UTF8_INVALID;
}

int ws_utf8_valid(const uint8_t *p, size_t n)
{
    ws_utf8 v;
    ws_utf8_init(&v);
    if (ws_utf8_feed(&v, p, n) == WS_UTF8_INVALID) return 0;
    return ws_utf8_finish(&v) == WS_UTF8_OK;
}
