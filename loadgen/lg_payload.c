/* lg_payload: stamped payloads and prepared frames (see lg_payload.h). */
#include "loadgen/lg_payload.h"

#include <stdlib.h>
#include <string.h>

#include "ws/ws_frame.h"

static const char LG_FILL[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
/* Two periods of the fill, so 16 bytes starting anywhere in the first are one
 * load away. */
static const char LG_FILL2[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
                               "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/* The checksum's input from the fields that a batch of messages shares. */
static uint64_t sum_input(uint64_t t, uint32_t conn, size_t len)
{
    return t ^ ((uint64_t)conn << 32) ^ (uint64_t)len * 31;
}

/* A 32-bit mix of the stamp's fields (splitmix64 finaliser). */
static inline uint32_t sum_mix(uint64_t seq, uint64_t in)
{
    uint64_t z = seq * 0x9E3779B97F4A7C15ull ^ in;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)(z ^ (z >> 31));
}

static uint32_t stamp_sum(uint64_t seq, uint64_t t, uint32_t conn, size_t len)
{
    return sum_mix(seq, sum_input(t, conn, len));
}

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lg_payload's hex code assumes a little-endian machine"
#endif

/* Hex digits are handled as words holding 8 lowercase digits, most
 * significant first, as the 8 bytes sit in memory. Kept in registers: the
 * stamp is built and checked with whole-word stores and loads.
 * nibbles(v): v's nibbles spread one per byte, nibble i in byte i. */
static inline __attribute__((always_inline)) uint64_t nibbles(uint32_t v)
{
    uint64_t x = v;
    x = ((x & 0xFFFF0000u) << 16) | (x & 0xFFFFu);
    x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
    return ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
}

/* The digits of nibbles spread one per byte (the bytes' high nibbles
 * ignored), all turned into '0'..'9' or 'a'..'f' at once. */
static inline __attribute__((always_inline)) uint64_t nibbles_hex(uint64_t x)
{
    x &= 0x0F0F0F0F0F0F0F0Full;
    uint64_t letter = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
    x += 0x3030303030303030ull + letter * ('a' - '0' - 10);
    return __builtin_bswap64(x);
}

/* "00" to "ff": the two digits of each byte value, one lookup per byte. */
static const char HEX2[513] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                              "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                              "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                              "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                              "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                              "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                              "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                              "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

/* The two digits of byte value b, as they sit in memory. */
static inline __attribute__((always_inline)) uint64_t hex2(uint32_t b)
{
    uint16_t d;
    memcpy(&d, HEX2 + 2 * (b & 0xFF), 2);
    return d;
}

/* The 8 digits of v. By table rather than nibbles_hex(nibbles(v)): half the
 * instructions, and the 512-byte table stays in cache. */
static inline __attribute__((always_inline)) uint64_t hex8w(uint32_t v)
{
    return hex2(v >> 24) | hex2(v >> 16) << 16 | hex2(v >> 8) << 32 | hex2(v) << 48;
}

static uint32_t hex4w(uint32_t v)
{
    return (uint32_t)(hex8w(v & 0xFFFFu) >> 32);
}

/* The value of 8 hex digits as loaded from memory, assuming they are digits
 * (callers check by encoding the value again and comparing words). */
static uint32_t unhex8w(uint64_t x)
{
    x = __builtin_bswap64(x);
    x = (x & 0x0F0F0F0F0F0F0F0Full) + 9 * ((x >> 6) & 0x0101010101010101ull);
    x = ((x >> 4) | x) & 0x00FF00FF00FF00FFull;
    x = ((x >> 8) | x) & 0x0000FFFF0000FFFFull;
    return (uint32_t)((x >> 16) | x);
}

static uint32_t unhex4w(uint32_t x)
{
    return unhex8w(0x30303030u | (uint64_t)x << 32);
}

/* The stamp as six words: 4+8 digits of seq, 4+8 of the time, 8 of the
 * connection, 8 of the checksum, at offsets 0, 4, 12, 16, 24, 32. */
typedef struct stamp_words {
    uint32_t a, c;
    uint64_t b, d, e, f;
} stamp_words;

/* The six words as they sit in a received payload. */
static inline stamp_words stamp_load(const uint8_t *p)
{
    stamp_words w;
    memcpy(&w.a, p, 4);
    memcpy(&w.b, p + 4, 8);
    memcpy(&w.c, p + 12, 4);
    memcpy(&w.d, p + 16, 8);
    memcpy(&w.e, p + 24, 8);
    memcpy(&w.f, p + 32, 8);
    return w;
}

static inline bool stamp_words_equal(const stamp_words *x, const stamp_words *y)
{
    return ((x->a ^ y->a) | (x->c ^ y->c) | (x->b ^ y->b) | (x->d ^ y->d) | (x->e ^ y->e) |
            (x->f ^ y->f)) == 0;
}

static void stamp_encode(stamp_words *w, const lg_stamp *s, size_t len)
{
    uint64_t seq = s->seq & 0xFFFFFFFFFFFFull, t = s->t_ns & 0xFFFFFFFFFFFFull;
    w->a = hex4w((uint32_t)(seq >> 32));
    w->b = hex8w((uint32_t)seq);
    w->c = hex4w((uint32_t)(t >> 32));
    w->d = hex8w((uint32_t)t);
    w->e = hex8w(s->conn);
    w->f = hex8w(stamp_sum(seq, t, s->conn, len));
}

void lg_stamp_cache_init(lg_stamp_cache *k)
{
    memset(k, 0, sizeof *k);
    k->len = SIZE_MAX;
    k->seq_hi = UINT32_MAX;
    k->seq_lo = 0;
    k->seq_lo_nib = nibbles(0) | 0xF0F0F0F0F0F0F0F0ull;
}

/* The digits of the low 32 bits of seq: the previous number's plus one when
 * seq follows it (the usual case), else encoded afresh. */
static inline __attribute__((always_inline)) uint64_t seq_lo_hex(lg_stamp_cache *k, uint32_t lo)
{
    if (lo == k->seq_lo + 1)
        k->seq_lo_nib = (k->seq_lo_nib + 1) | 0xF0F0F0F0F0F0F0F0ull;
    else
        k->seq_lo_nib = nibbles(lo) | 0xF0F0F0F0F0F0F0F0ull;
    k->seq_lo = lo;
    return nibbles_hex(k->seq_lo_nib);
}

/* Out of line: once per batch, and it would crowd the per-message paths'
 * registers. */
static __attribute__((noinline)) void stamp_cache_fill(lg_stamp_cache *k, uint64_t t, uint32_t conn,
                                                       size_t len)
{
    k->t_ns = t;
    k->conn = conn;
    k->len = len;
    k->t_hi_w = hex4w((uint32_t)(t >> 32));
    k->t_lo_w = hex8w((uint32_t)t);
    k->conn_w = hex8w(conn);
    k->sum_in = sum_input(t, conn, len);
}

/* Brings the cached words up to date for s (all but the sequence's low
 * digits and the checksum). */
static inline __attribute__((always_inline)) void stamp_cache_update(lg_stamp_cache *k,
                                                                     const lg_stamp *s, size_t len)
{
    uint64_t seq = s->seq & 0xFFFFFFFFFFFFull, t = s->t_ns & 0xFFFFFFFFFFFFull;
    if (t != k->t_ns || s->conn != k->conn || len != k->len) stamp_cache_fill(k, t, s->conn, len);
    if ((uint32_t)(seq >> 32) != k->seq_hi) {
        k->seq_hi = (uint32_t)(seq >> 32);
        k->seq_hi_w = hex4w(k->seq_hi);
    }
}

/* stamp_encode, taking the words that did not change since the last call
 * from the cache. */
static inline __attribute__((always_inline)) void
stamp_encode_cached(lg_stamp_cache *k, stamp_words *w, const lg_stamp *s, size_t len)
{
    uint64_t seq = s->seq & 0xFFFFFFFFFFFFull;
    stamp_cache_update(k, s, len);
    w->a = k->seq_hi_w;
    w->b = seq_lo_hex(k, (uint32_t)seq);
    w->c = k->t_hi_w;
    w->d = k->t_lo_w;
    w->e = k->conn_w;
    w->f = hex8w(sum_mix(seq, k->sum_in));
}

/* Stores the stamp XORed with a mask key (all zero: unmasked). The stamp
 * starts at payload offset 0, and every word at a multiple of 4, so the key's
 * phase is the same for each. */
static void stamp_store(uint8_t *p, const stamp_words *w, const uint8_t key[4])
{
    uint32_t k4;
    memcpy(&k4, key, 4);
    uint64_t k8 = (uint64_t)k4 << 32 | k4;
    uint32_t a = w->a ^ k4, c = w->c ^ k4;
    uint64_t b = w->b ^ k8, d = w->d ^ k8, e = w->e ^ k8, f = w->f ^ k8;
    memcpy(p, &a, 4);
    memcpy(p + 4, &b, 8);
    memcpy(p + 12, &c, 4);
    memcpy(p + 16, &d, 8);
    memcpy(p + 24, &e, 8);
    memcpy(p + 32, &f, 8);
}

void lg_payload_fill(uint8_t *p, size_t len)
{
    for (size_t i = LG_STAMP_LEN; i < len; i++) p[i] = (uint8_t)LG_FILL[i & 63];
}

void lg_payload_stamp(uint8_t *p, size_t len, const lg_stamp *s)
{
    static const uint8_t nokey[4];
    stamp_words w;
    stamp_encode(&w, s, len);
    stamp_store(p, &w, nokey);
}

int lg_payload_verify(const uint8_t *p, size_t len, lg_stamp *out)
{
    if (len < LG_STAMP_LEN) return LG_VERIFY_SHORT;
    stamp_words got = stamp_load(p);
    lg_stamp s = {.seq = (uint64_t)unhex4w(got.a) << 32 | unhex8w(got.b),
                  .t_ns = (uint64_t)unhex4w(got.c) << 32 | unhex8w(got.d),
                  .conn = unhex8w(got.e)};
    /* Encoding the values again checks every digit and the checksum at once. */
    stamp_words w;
    stamp_encode(&w, &s, len);
    if (!stamp_words_equal(&w, &got)) return LG_VERIFY_STAMP;
    *out = s;
    return lg_payload_fill_ok(p, len) ? LG_VERIFY_OK : LG_VERIFY_FILL;
}

bool lg_payload_stamp_is(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s)
{
    stamp_words w;
    stamp_encode_cached(k, &w, s, len);
    stamp_words got = stamp_load(p);
    return stamp_words_equal(&w, &got);
}

void lg_payload_stamp_var(const uint8_t *p, lg_stamp_var *v)
{
    memcpy(&v->seq_w, p + 4, 8);
    memcpy(&v->sum_w, p + 32, 8);
}

static inline __attribute__((always_inline)) bool stamp_matches(lg_stamp_cache *k, const uint8_t *p,
                                                                size_t len, const lg_stamp *s,
                                                                const lg_stamp_var *v)
{
    stamp_cache_update(k, s, len);
    stamp_words want = {.a = k->seq_hi_w,
                        .c = k->t_hi_w,
                        .b = v->seq_w,
                        .d = k->t_lo_w,
                        .e = k->conn_w,
                        .f = v->sum_w};
    stamp_words got = stamp_load(p);
    return stamp_words_equal(&want, &got);
}

bool lg_payload_stamp_matches(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s,
                              const lg_stamp_var *v)
{
    return stamp_matches(k, p, len, s, v);
}

static inline __attribute__((always_inline)) bool fill_ok(const uint8_t *p, size_t len)
{
    /* The fill repeats every 64 bytes and the stamp ends on a word boundary:
     * compare word by word against the one period, no call, no early exit
     * (a corrupted message costs what a good one does; the loop stays short
     * for the common small message). */
    uint64_t diff = 0;
    size_t i = LG_STAMP_LEN;
    /* Two words per step: one vector register, and half the loop overhead
     * for the usual short fill (24 bytes at the default size). */
    for (; i + 16 <= len; i += 16) {
        uint64_t a[2], b[2];
        memcpy(a, p + i, 16);
        memcpy(b, LG_FILL2 + (i & 63), 16);
        diff |= (a[0] ^ b[0]) | (a[1] ^ b[1]);
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t a, b;
        memcpy(&a, p + i, 8);
        memcpy(&b, LG_FILL + (i & 63), 8);
        diff |= a ^ b;
    }
    for (; i < len; i++) diff |= p[i] ^ (uint8_t)LG_FILL[i & 63];
    return diff == 0;
}

bool lg_payload_fill_ok(const uint8_t *p, size_t len)
{
    return fill_ok(p, len);
}

int lg_payload_echo_check(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s,
                          const lg_stamp_var *v)
{
    if (!stamp_matches(k, p, len, s, v)) return LG_VERIFY_STAMP;
    return fill_ok(p, len) ? LG_VERIFY_OK : LG_VERIFY_FILL;
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
    lg_stamp_cache_init(&t->stamp);
    lg_stamp_cache_init(&t->echo);
    return 0;
}

void lg_tmpl_free(lg_tmpl *t)
{
    free(t->payload);
    t->payload = NULL;
}

static inline __attribute__((always_inline)) size_t
tmpl_write(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *s, ws_mask_rng *rng, uint8_t *copy)
{
    if (t->hdr_for != len) {
        ws_frame_spec spec;
        ws_frame_spec_default(&spec, t->opcode, true);
        t->hdr_len = (uint8_t)ws_frame_write_header(t->hdr, &spec, len);
        t->hdr_for = len;
    }
    uint8_t key[4];
    ws_mask_rng_key(rng, key);
    uint8_t *p = out + t->hdr_len;
    if (len < LG_STAMP_LEN) {
        memcpy(out, t->hdr, t->hdr_len);
        memcpy(out + t->hdr_len - 4, key, 4);
        memcpy(p, t->payload, len);
        ws_mask_apply(p, len, key, 0);
        return t->hdr_len + len;
    }
    /* The stamp is masked in registers; the fill is masked as it is copied.
     * No byte is written twice and no store is read back. */
    /* A fixed-size copy of the header (the payload overwrites what is past
     * it): out has room, a frame of LG_STAMP_LEN or more being longer. */
    memcpy(out, t->hdr, sizeof t->hdr);
    memcpy(out + t->hdr_len - 4, key, 4);
    stamp_words w;
    stamp_encode_cached(&t->stamp, &w, s, len);
    stamp_store(p, &w, key);
    t->last.seq_w = w.b;
    t->last.sum_w = w.f;
    if (copy) {
        static const uint8_t nokey[4];
        stamp_store(copy, &w, nokey);
    }
    ws_mask_copy(p + LG_STAMP_LEN, t->payload + LG_STAMP_LEN, len - LG_STAMP_LEN, key);
    return t->hdr_len + len;
}

size_t lg_tmpl_write(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *s, ws_mask_rng *rng,
                     uint8_t *copy)
{
    return tmpl_write(t, out, len, s, rng, copy);
}

size_t lg_tmpl_write_run(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *first, size_t count,
                         ws_mask_rng *rng, lg_stamp_var *vars)
{
    lg_stamp s = *first;
    size_t off = 0;
    for (size_t i = 0; i < count; i++, s.seq++) {
        off += tmpl_write(t, out + off, len, &s, rng, NULL);
        vars[i] = t->last;
    }
    return off;
}
