/* ws_deflate: permessage-deflate (RFC 7692) parameters and zlib streams
 * (see ws_deflate.h).
 *
 * Window bits 8. zlib 1.2.13 refuses raw deflateInit2() with windowBits -8
 * (Z_STREAM_ERROR: its deflate cannot work in a 256-byte window), while raw
 * inflateInit2() accepts -8. So:
 *   - inflating always uses the agreed bits, 8 included: a decoder whose
 *     window is at least the encoder's is always correct;
 *   - deflating under an 8-bit limit uses windowBits 9. That is still correct
 *     for a peer with a 256-byte window because zlib's deflate never emits a
 *     match farther back than its window minus MIN_LOOKAHEAD (MAX_DIST =
 *     512 - 262 = 250 bytes for 9 bits), so every distance stays below 256.
 *     Node's zlib makes the same substitution. The unit test checks this
 *     claim, including across messages with context takeover, with an
 *     inflater that has a 256-byte window and is driven one output byte at a
 *     time, which makes zlib reject any distance beyond 256 bytes.
 * If a future zlib broke that property the test would fail; the fallback
 * would be Z_RLE, whose matches are documented to have distance 1. */
#include "ws/ws_deflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- parameters (RFC 7692 §7.1) ---------------------------------------- */

enum { P_SNCT, P_CNCT, P_SMWB, P_CMWB, P_COUNT };

static const char *const param_names[P_COUNT] = {
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
};

static const char *const err_has_value[P_COUNT] = {
    "server_no_context_takeover must not have a value (RFC 7692 §7.1.1.1)",
    "client_no_context_takeover must not have a value (RFC 7692 §7.1.1.2)",
};

static const char *const err_bad_bits[P_COUNT] = {
    [P_SMWB] = "server_max_window_bits must be a decimal 8 to 15 without leading zeros "
               "(RFC 7692 §7.1.2.1)",
    [P_CMWB] = "client_max_window_bits must be a decimal 8 to 15 without leading zeros "
               "(RFC 7692 §7.1.2.2)",
};

static int param_index(const ws_ext_param *p)
{
    for (int i = 0; i < P_COUNT; i++)
        if (ws_ext_param_is(p, param_names[i])) return i;
    return -1;
}

/* "8".."9" or "10".."15": the grammar 1*DIGIT with the RFC's range and no
 * leading zeros, so "08" and "015" are invalid. */
static int parse_bits(const char *v, size_t n)
{
    if (n == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
    return -1;
}

int ws_pmd_from_ext(const ws_ext *e, bool is_offer, ws_pmd_params *out, const char **err)
{
    bool seen[P_COUNT] = {false};
    memset(out, 0, sizeof *out);
    if (!ws_ext_name_is(e, "permessage-deflate")) {
        *err = "not a permessage-deflate extension";
        return -1;
    }
    for (size_t i = 0; i < e->n_params; i++) {
        const ws_ext_param *p = &e->params[i];
        int k = param_index(p);
        if (k < 0) {
            *err = "unknown permessage-deflate parameter (RFC 7692 §7)";
            return -1;
        }
        if (seen[k]) {
            *err = "duplicate permessage-deflate parameter (RFC 7692 §7)";
            return -1;
        }
        seen[k] = true;
        if (k == P_SNCT || k == P_CNCT) {
            if (p->value) {
                *err = err_has_value[k];
                return -1;
            }
            if (k == P_SNCT)
                out->server_no_context_takeover = true;
            else
                out->client_no_context_takeover = true;
            continue;
        }
        if (!p->value) {
            /* Only an offer may say "I support client_max_window_bits"
             * without naming a value (§7.1.2.2). */
            if (k == P_CMWB && is_offer) {
                out->client_max_window_bits = -1;
                continue;
            }
            *err = k == P_SMWB ? "server_max_window_bits needs a value (RFC 7692 §7.1.2.1)"
                               : "client_max_window_bits needs a value in a response "
                                 "(RFC 7692 §7.1.2.2)";
            return -1;
        }
        int bits = parse_bits(p->value, p->value_len);
        if (bits < 0) {
            *err = err_bad_bits[k];
            return -1;
        }
        if (k == P_SMWB)
            out->server_max_window_bits = bits;
        else
            out->client_max_window_bits = bits;
    }
    return 0;
}

size_t ws_pmd_format(char *out, size_t cap, const ws_pmd_params *p)
{
    char tmp[160];
    size_t n = (size_t)snprintf(tmp, sizeof tmp, "permessage-deflate");
    if (p->server_no_context_takeover)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "; server_no_context_takeover");
    if (p->client_no_context_takeover)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "; client_no_context_takeover");
    if (p->server_max_window_bits > 0)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "; server_max_window_bits=%d",
                              p->server_max_window_bits);
    if (p->client_max_window_bits > 0)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "; client_max_window_bits=%d",
                              p->client_max_window_bits);
    else if (p->client_max_window_bits < 0)
        n += (size_t)snprintf(tmp + n, sizeof tmp - n, "; client_max_window_bits");
    if (n + 1 > cap) return 0;
    memcpy(out, tmp, n + 1);
    return n;
}

static int min_bits(int a, int b)
{
    return a < b ? a : b;
}

/* A valid offer is always acceptable: we can deflate in any window 8..15 and
 * inflate whatever the client sends, so the answer only narrows the offer. */
static void answer_offer(const ws_pmd_params *o, const ws_pmd_server_config *cfg, ws_pmd_params *a)
{
    memset(a, 0, sizeof *a);
    /* §7.1.1.1: asked for by the client, or our own choice. */
    a->server_no_context_takeover =
        o->server_no_context_takeover || cfg->server_no_context_takeover;
    /* §7.1.1.2: the client's hint is confirmed; we may also demand it. */
    a->client_no_context_takeover =
        o->client_no_context_takeover || cfg->client_no_context_takeover;

    /* §7.1.2.1: a limit from the client must be answered with the same or a
     * smaller value; without one we still state ours when it is below 15. */
    int ours = cfg->server_max_window_bits >= 8 && cfg->server_max_window_bits <= 15
                   ? cfg->server_max_window_bits
                   : 15;
    if (o->server_max_window_bits > 0)
        a->server_max_window_bits = min_bits(ours, o->server_max_window_bits);
    else if (ours < 15)
        a->server_max_window_bits = ours;

    /* §7.1.2.2: never without the client's consent; never above its value. */
    if (o->client_max_window_bits != 0) {
        int limit = cfg->client_max_window_bits >= 8 && cfg->client_max_window_bits <= 15
                        ? cfg->client_max_window_bits
                        : 0;
        if (o->client_max_window_bits > 0)
            limit = limit ? min_bits(limit, o->client_max_window_bits) : o->client_max_window_bits;
        a->client_max_window_bits = limit;
    }
}

int ws_pmd_server_negotiate(const ws_ext *offers, size_t n, const ws_pmd_server_config *cfg,
                            ws_pmd_params *agreed)
{
    for (size_t i = 0; i < n; i++) {
        ws_pmd_params o;
        const char *err;
        if (!ws_ext_name_is(&offers[i], "permessage-deflate")) continue;
        /* §7: an offer with bad parameters is declined, never repaired. */
        if (ws_pmd_from_ext(&offers[i], true, &o, &err) != 0) continue;
        answer_offer(&o, cfg, agreed);
        return 1;
    }
    memset(agreed, 0, sizeof *agreed);
    return 0;
}

int ws_pmd_client_check(const ws_pmd_params *offered, const ws_ext *response, ws_pmd_params *agreed,
                        const char **err)
{
    ws_pmd_params r;
    if (ws_pmd_from_ext(response, false, &r, err) != 0) return -1;
    if (offered->server_no_context_takeover && !r.server_no_context_takeover) {
        *err = "response drops the server_no_context_takeover the client asked for "
               "(RFC 7692 §7.1.1.1)";
        return -1;
    }
    if (offered->server_max_window_bits > 0 &&
        (r.server_max_window_bits == 0 ||
         r.server_max_window_bits > offered->server_max_window_bits)) {
        *err = "response server_max_window_bits missing or above the client's limit "
               "(RFC 7692 §7.1.2.1)";
        return -1;
    }
    if (r.client_max_window_bits > 0 && offered->client_max_window_bits == 0) {
        *err = "response has client_max_window_bits the client did not offer (RFC 7692 §7.1.2.2)";
        return -1;
    }
    if (r.client_max_window_bits > 0 && offered->client_max_window_bits > 0 &&
        r.client_max_window_bits > offered->client_max_window_bits) {
        *err = "response client_max_window_bits above the client's offered value "
               "(RFC 7692 §7.1.2.2)";
        return -1;
    }
    *agreed = r;
    return 0;
}

/* ---- compression (RFC 7692 §7.2) --------------------------------------- */

struct ws_pmd {
    z_stream def;
    z_stream inf;
    bool def_reset; /* no context takeover for what we send */
    bool inf_reset; /* no context takeover for what we receive */
    bool inf_ended; /* the message's data ended its DEFLATE stream (BFINAL) */
};

static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

static int bits_or_15(int b)
{
    return b >= 8 && b <= 15 ? b : 15;
}

ws_pmd *ws_pmd_new(bool is_server, const ws_pmd_params *agreed, int level)
{
    ws_pmd *z = calloc(1, sizeof *z);
    if (!z) return NULL;
    int send_bits =
        bits_or_15(is_server ? agreed->server_max_window_bits : agreed->client_max_window_bits);
    int recv_bits =
        bits_or_15(is_server ? agreed->client_max_window_bits : agreed->server_max_window_bits);
    z->def_reset =
        is_server ? agreed->server_no_context_takeover : agreed->client_no_context_takeover;
    z->inf_reset =
        is_server ? agreed->client_no_context_takeover : agreed->server_no_context_takeover;
    if (level < -1 || level > 9) level = Z_DEFAULT_COMPRESSION;
    /* 8 -> 9 for deflate only: see the top of this file. */
    int def_bits = send_bits == 8 ? 9 : send_bits;
    if (deflateInit2(&z->def, level, Z_DEFLATED, -def_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    if (inflateInit2(&z->inf, -recv_bits) != Z_OK) {
        deflateEnd(&z->def);
        free(z);
        return NULL;
    }
    return z;
}

void ws_pmd_free(ws_pmd *z)
{
    if (!z) return;
    deflateEnd(&z->def);
    inflateEnd(&z->inf);
    free(z);
}

static size_t buf_limit(const ws_buf *b)
{
    return b->limit ? b->limit : SIZE_MAX;
}

/* Makes at least one byte of room, growing by about `want` but never past the
 * limit. Returns the usable room, 0 when the limit is reached, or -1 (as
 * (size_t)-1) when memory ran out. */
static size_t make_room(ws_buf *b, size_t want)
{
    size_t lim = buf_limit(b);
    if (b->len >= lim) return 0;
    if (b->cap <= b->len) {
        if (want > lim - b->len) want = lim - b->len;
        if (ws_buf_reserve(b, want) != 0) return (size_t)-1;
    }
    size_t room = b->cap - b->len;
    return room < lim - b->len ? room : lim - b->len;
}

int ws_pmd_compress(ws_pmd *z, const uint8_t *in, size_t n, ws_buf *out)
{
    size_t start = out->len;
    int rc = WS_PMD_OK;
    z->def.next_in = (Bytef *)in;
    z->def.avail_in = 0;
    size_t left = n;
    /* One deflateBound()-sized reservation usually suffices; the loop covers
     * inputs over 4 GiB (avail_in is 32-bit) and a buffer that grows slowly. */
    size_t want = (size_t)deflateBound(&z->def, (uLong)(n < 0x40000000u ? n : 0x40000000u)) + 16;
    for (;;) {
        if (z->def.avail_in == 0 && left > 0) {
            uInt chunk = left > 0x40000000u ? 0x40000000u : (uInt)left;
            z->def.avail_in = chunk;
            left -= chunk;
        }
        size_t room = make_room(out, want);
        if (room == (size_t)-1) {
            rc = WS_PMD_E_NOMEM;
            break;
        }
        if (room == 0) {
            rc = WS_PMD_E_TOO_BIG;
            break;
        }
        if (room > 0x40000000u) room = 0x40000000u;
        z->def.next_out = out->data + out->len;
        z->def.avail_out = (uInt)room;
        int flush = left > 0 ? Z_NO_FLUSH : Z_SYNC_FLUSH;
        int zr = deflate(&z->def, flush);
        out->len += room - z->def.avail_out;
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = WS_PMD_E_ZLIB;
            break;
        }
        /* Done when everything is in and zlib left output space unused. */
        if (flush == Z_SYNC_FLUSH && z->def.avail_in == 0 && z->def.avail_out > 0) break;
    }
    if (rc == WS_PMD_OK) {
        size_t got = out->len - start;
        if (got >= 4 && memcmp(out->data + out->len - 4, tail, 4) == 0) {
            out->len -= 4;
        } else if (got == 0) {
            /* zlib writes nothing for an empty message right after a flush;
             * §7.2.3.6: an empty stored block minus its tail is one 0x00. */
            uint8_t zero = 0;
            if (ws_buf_append(out, &zero, 1) != 0) rc = WS_PMD_E_TOO_BIG;
        } else {
            rc = WS_PMD_E_ZLIB;
        }
    }
    if (rc != WS_PMD_OK) out->len = start;
    if (rc != WS_PMD_OK || z->def_reset) deflateReset(&z->def);
    return rc;
}

/* Inflates p[0..n) into out. Stops with TOO_BIG the moment inflate has a byte
 * to write and the limit leaves no room for it. */
static int inflate_into(ws_pmd *z, const uint8_t *p, size_t n, ws_buf *out)
{
    size_t left = n;
    if (n > 0) z->inf_ended = false;
    z->inf.next_in = (Bytef *)p;
    z->inf.avail_in = 0;
    /* Growth step: the input times a typical ratio, at least 16 KiB. */
    size_t want = n < (SIZE_MAX / 4) ? n * 4 : n;
    if (want < 16384) want = 16384;
    for (;;) {
        if (z->inf.avail_in == 0 && left > 0) {
            uInt chunk = left > 0x40000000u ? 0x40000000u : (uInt)left;
            z->inf.avail_in = chunk;
            left -= chunk;
        }
        uint8_t probe;
        size_t room = make_room(out, want);
        if (room == (size_t)-1) return WS_PMD_E_NOMEM;
        if (room > 0x40000000u) room = 0x40000000u;
        /* At the limit, ask for one byte into a scratch slot: if inflate
         * produces it, the message is too big. */
        uint8_t *dst = room ? out->data + out->len : &probe;
        z->inf.next_out = dst;
        z->inf.avail_out = room ? (uInt)room : 1;
        uInt before = z->inf.avail_out;
        int zr = inflate(&z->inf, Z_SYNC_FLUSH);
        size_t made = before - z->inf.avail_out;
        if (room == 0 && made > 0) return WS_PMD_E_TOO_BIG;
        out->len += made;
        if (zr == Z_STREAM_END) {
            /* A block with BFINAL set (§7.2.3.4) ends the DEFLATE stream; its
             * sender must start afresh, and so do we, decoding whatever
             * follows as a new stream. */
            inflateReset(&z->inf);
            if (z->inf.avail_in == 0 && left == 0) {
                z->inf_ended = true;
                return WS_PMD_OK;
            }
            continue;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) return WS_PMD_E_ZLIB;
        if (z->inf.avail_in == 0 && left == 0 && z->inf.avail_out > 0) return WS_PMD_OK;
        /* Z_BUF_ERROR with input and room left cannot happen; guard anyway. */
        if (zr == Z_BUF_ERROR && made == 0 && z->inf.avail_in > 0 && z->inf.avail_out > 0)
            return WS_PMD_E_ZLIB;
    }
}

int ws_pmd_decompress(ws_pmd *z, const uint8_t *in, size_t n, bool last, ws_buf *out)
{
    int rc = inflate_into(z, in, n, out);
    /* The tail completes the empty stored block the sender's flush began.
     * If the data ended with a BFINAL block and nothing after it, there is
     * no such block to complete, and the tail alone would be a truncated
     * one. */
    if (rc == WS_PMD_OK && last && !z->inf_ended) rc = inflate_into(z, tail, sizeof tail, out);
    if (rc == WS_PMD_OK && last) {
        z->inf_ended = false;
        if (z->inf_reset) inflateReset(&z->inf);
    }
    return rc;
}
