/* lg_payload: stamped payloads and prepared frames (see lg_payload.h). */
#include "loadgen/lg_payload.h"

#include <stdlib.h>
#include <string.h>

#include "ws/ws_frame.h"

static const char LG_FILL[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
static const char HEX[] = "0123456789abcdef";

/* A 32-bit mix of the stamp's fields (splitmix64 finaliser). */
static uint32_t stamp_sum(uint64_t seq, uint64_t t, uint32_t conn, size_t len)
{
    uint64_t z = seq * 0x9E3779B97F4A7C15ull ^ t ^ ((uint64_t)conn << 32) ^ (uint64_t)len * 31;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)(z ^ (z >> 31));
}

static void put_hex(uint8_t *p, uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        p[i] = (uint8_t)HEX[v & 15];
        v >>= 4;
    }
}

/* -1 on any byte that is not a lowercase hex digit. */
static int get_hex(const uint8_t *p, int digits, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < digits; i++) {
        uint8_t c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

void lg_payload_fill(uint8_t *p, size_t len)
{
    for (size_t i = LG_STAMP_LEN; i < len; i++) p[i] = (uint8_t)LG_FILL[i & 63];
}

void lg_payload_stamp(uint8_t *p, size_t len, const lg_stamp *s)
{
    put_hex(p, s->seq, 12);
    put_hex(p + 12, s->t_ns, 12);
    put_hex(p + 24, s->conn, 8);
    put_hex(p + 32, stamp_sum(s->seq, s->t_ns, s->conn, len), 8);
}

int lg_payload_verify(const uint8_t *p, size_t len, lg_stamp *out)
{
    if (len < LG_STAMP_LEN) return LG_VERIFY_SHORT;
    uint64_t seq, t, conn, sum;
    if (get_hex(p, 12, &seq) || get_hex(p + 12, 12, &t) || get_hex(p + 24, 8, &conn) ||
        get_hex(p + 32, 8, &sum) || sum != stamp_sum(seq, t, (uint32_t)conn, len))
        return LG_VERIFY_STAMP;
    out->seq = seq;
    out->t_ns = t;
    out->conn = (uint32_t)conn;
    /* The fill repeats every 64 bytes: compare whole periods with memcmp. */
    size_t i = LG_STAMP_LEN;
    if (len > i && memcmp(p + i, LG_FILL + i, (len < 64 ? len : 64) - i) != 0)
        return LG_VERIFY_FILL;
    for (i = 64; i < len; i += 64) {
        size_t n = len - i < 64 ? len - i : 64;
        if (memcmp(p + i, LG_FILL, n) != 0) return LG_VERIFY_FILL;
    }
    return LG_VERIFY_OK;
}

int lg_tmpl_init(lg_tmpl *t, uint8_t opcode, size_t max_len)
{
    memset(t, 0, sizeof *t);
    t->opcode = opcode;
    t->max_len = max_len;
    t->payload = malloc(max_len ? max_len : 1);
    if (!t->payload) return -1;
    lg_payload_fill(t->payload, max_len);
    t->hdr_for = SIZE_MAX;
    return 0;
}

void lg_tmpl_free(lg_tmpl *t)
{
    free(t->payload);
    t->payload = NULL;
}

size_t lg_tmpl_frame_size(size_t len)
{
    return len + (len < 126 ? 6 : len < 65536 ? 8 : 14);
}

size_t lg_tmpl_write(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *s, ws_mask_rng *rng)
{
    if (t->hdr_for != len) {
        ws_frame_spec spec;
        ws_frame_spec_default(&spec, t->opcode, true);
        t->hdr_len = (uint8_t)ws_frame_write_header(t->hdr, &spec, len);
        t->hdr_for = len;
    }
    uint8_t key[4];
    ws_mask_rng_key(rng, key);
    memcpy(out, t->hdr, t->hdr_len);
    memcpy(out + t->hdr_len - 4, key, 4);
    uint8_t *p = out + t->hdr_len;
    memcpy(p, t->payload, len);
    if (len >= LG_STAMP_LEN) lg_payload_stamp(p, len, s);
    ws_mask_apply(p, len, key, 0);
    return t->hdr_len + len;
}
