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

/* The checksum of (t, conn, len, seq_hi) at seq_lo 0: a 32-bit mix
 * (splitmix64 finaliser), once per batch. */
static inline uint32_t sum_base(uint64_t t, uint32_t conn, size_t len, uint32_t seq_hi)
{
    uint64_t z =
        t ^ ((uint64_t)conn << 32) ^ (uint64_t)len * 31 ^ (uint64_t)seq_hi * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)(z ^ (z >> 31));
}

static uint32_t stamp_sum(uint64_t seq, uint64_t t, uint32_t conn, size_t len)
{
    return sum_base(t, conn, len, (uint32_t)(seq >> 32)) + (uint32_t)seq * LG_SUM_STEP;
}

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "lg_payload's hex code assumes a little-endian machine"
#endif

/* Hex digits are handled as words holding 8 lowercase digits, most
 * significant first, as the 8 bytes sit in memory. Kept in registers: the
 * stamp is built and checked with whole-word stores and loads. */

/* v's nibbles spread one per byte, nibble i in byte i: the checksum's
 * digits (see sum_word). */
static inline __attribute__((always_inline)) uint64_t nibbles(uint32_t v)
{
    uint64_t x = v;
    x = ((x & 0xFFFF0000u) << 16) | (x & 0xFFFFu);
    x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
    return ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
}

/* The checksum's digits as they sit in the payload: nibble i (least
 * significant first) in byte i as 0x60 + nibble, '`' to 'o'. Only ever
 * compared, never read back as a number, so the encoding is the cheapest one
 * that stays ASCII: a spread value with its high nibbles set (as nib_add
 * leaves it) is one XOR away. */
#define LG_SUM_DIGITS 0x9090909090909090ull /* 0xF_ ^ 0x90 = 0x6_ */

static inline __attribute__((always_inline)) uint64_t sum_word(uint32_t sum)
{
    return (nibbles(sum) | 0xF0F0F0F0F0F0F0F0ull) ^ LG_SUM_DIGITS;
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

/* The 8 digits of v, by table: the 512-byte table stays in cache. */
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

/* 0 when x and y are the same words. */
static inline uint64_t stamp_words_diff(const stamp_words *x, const stamp_words *y)
{
    return (x->a ^ y->a) | (x->c ^ y->c) | (x->b ^ y->b) | (x->d ^ y->d) | (x->e ^ y->e) |
           (x->f ^ y->f);
}

static void stamp_encode(stamp_words *w, const lg_stamp *s, size_t len)
{
    uint64_t seq = s->seq & 0xFFFFFFFFFFFFull, t = s->t_ns & 0xFFFFFFFFFFFFull;
    w->a = hex4w((uint32_t)(seq >> 32));
    w->b = hex8w((uint32_t)seq);
    w->c = hex4w((uint32_t)(t >> 32));
    w->d = hex8w((uint32_t)t);
    w->e = hex8w(s->conn);
    w->f = sum_word(stamp_sum(seq, t, s->conn, len));
}

void lg_stamp_cache_init(lg_stamp_cache *k)
{
    memset(k, 0, sizeof *k);
    k->len = SIZE_MAX;
    k->seq_hi = UINT32_MAX;
    k->seq6_for = UINT32_MAX; /* lo >> 8 is never that */
}

/* A spread value (see sum_word) plus a spread step: the digits of the sum
 * further on, carries and all (a carry out of a 0xFF byte is one out of an
 * 0xF digit; the last one falls off the word, as mod 2^32 wants). */
static inline __attribute__((always_inline)) uint64_t nib_add(uint64_t x, uint64_t step)
{
    return (x + step) | 0xF0F0F0F0F0F0F0F0ull;
}

/* Out of line: once per batch, and it would crowd the per-message paths'
 * registers. */
static __attribute__((noinline)) void stamp_cache_fill(lg_stamp_cache *k, uint64_t t, uint32_t conn,
                                                       size_t len, uint32_t seq_hi)
{
    bool fresh = k->len == SIZE_MAX; /* the words are not set yet */
    if (fresh || t >> 32 != k->t_ns >> 32) k->t_hi_w = hex4w((uint32_t)(t >> 32));
    if (fresh || t != k->t_ns) k->t_lo_w = hex8w((uint32_t)t);
    if (fresh || conn != k->conn) k->conn_w = hex8w(conn);
    if (seq_hi != k->seq_hi) k->seq_hi_w = hex4w(seq_hi);
    k->t_ns = t;
    k->conn = conn;
    k->len = len;
    k->seq_hi = seq_hi;
    k->sum_base = sum_base(t, conn, len, seq_hi);
}

/* Brings the cached words up to date for s (all but the sequence's low
 * digits and the checksum). */
static inline __attribute__((always_inline)) void stamp_cache_update(lg_stamp_cache *k,
                                                                     const lg_stamp *s, size_t len)
{
    uint64_t t = s->t_ns & 0xFFFFFFFFFFFFull;
    uint32_t seq_hi = (uint32_t)((s->seq & 0xFFFFFFFFFFFFull) >> 32);
    if (t != k->t_ns || s->conn != k->conn || len != k->len || seq_hi != k->seq_hi)
        stamp_cache_fill(k, t, s->conn, len, seq_hi);
}

/* The first six of the eight digits of lo (the last two zero): they change
 * every 256 numbers, and every connection's numbers grow alike, so the last
 * ones encoded usually serve. */
static inline __attribute__((always_inline)) uint64_t seq6(lg_stamp_cache *k, uint32_t lo)
{
    if (lo >> 8 != k->seq6_for) {
        k->seq6_for = lo >> 8;
        k->seq6_w = hex8w(lo) & 0xFFFFFFFFFFFFull;
    }
    return k->seq6_w;
}

/* Consecutive stamps from the cache's words: the two that change from one
 * number to the next step along a run, the sequence's last two digits by a
 * lookup (the six before them change every 256), the checksum by one spread
 * addition. The run must not cross a multiple of 2^32 (where the high digits
 * change). */
typedef struct stamp_run {
    uint32_t lo;      /* low 32 bits of the current number */
    uint64_t seq6;    /* its first six digits (of eight), the last two zero */
    uint64_t sum_nib; /* its checksum, spread, high nibbles set */
    stamp_words same; /* the words that do not change (b and f unused) */
} stamp_run;

/* A local copy of the cache's words: the run's loops write bytes that the
 * compiler cannot tell apart from the cache, so they would be read again for
 * every frame. */
static inline __attribute__((always_inline)) stamp_run stamp_run_start(lg_stamp_cache *k,
                                                                       uint32_t lo)
{
    stamp_run r = {.lo = lo,
                   .seq6 = seq6(k, lo),
                   .sum_nib = nibbles(k->sum_base + lo * LG_SUM_STEP) | 0xF0F0F0F0F0F0F0F0ull,
                   .same = {.a = k->seq_hi_w, .c = k->t_hi_w, .d = k->t_lo_w, .e = k->conn_w}};
    return r;
}

static inline __attribute__((always_inline)) void stamp_run_words(const stamp_run *r,
                                                                  stamp_words *w)
{
    *w = r->same;
    w->b = r->seq6 | hex2(r->lo) << 48;
    w->f = r->sum_nib ^ LG_SUM_DIGITS;
}

/* stamp_encode, taking the words that did not change since the last call
 * from the cache: a run of one. */
static inline __attribute__((always_inline)) void
stamp_encode_cached(lg_stamp_cache *k, stamp_words *w, const lg_stamp *s, size_t len)
{
    stamp_cache_update(k, s, len);
    stamp_run r = stamp_run_start(k, (uint32_t)s->seq);
    stamp_run_words(&r, w);
}

static inline __attribute__((always_inline)) void stamp_run_next(stamp_run *r)
{
    if ((++r->lo & 0xFF) == 0) r->seq6 = hex8w(r->lo) & 0xFFFFFFFFFFFFull;
    r->sum_nib = nib_add(r->sum_nib, nibbles(LG_SUM_STEP));
}

/* How many of count consecutive numbers from seq stay below the next multiple
 * of 2^32. */
static inline size_t run_room(uint64_t seq, size_t count)
{
    uint64_t room = ((uint64_t)1 << 32) - (uint32_t)seq;
    return count < room ? count : (size_t)room;
}

/* Stores the stamp XORed with a mask key given twice over in k8 (0:
 * unmasked). The stamp starts at payload offset 0, and every word at a
 * multiple of 4, so the key's phase is the same for each. */
static inline __attribute__((always_inline)) void stamp_store(uint8_t *p, const stamp_words *w,
                                                              uint64_t k8)
{
    uint32_t k4 = (uint32_t)k8;
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
    stamp_words w;
    stamp_encode(&w, s, len);
    stamp_store(p, &w, 0);
}

/* 16 bytes at p XOR 16 at q, folded to a word (0: the same). */
static inline __attribute__((always_inline)) uint64_t diff16(const uint8_t *p, const uint8_t *q)
{
    uint64_t a[2], b[2];
    memcpy(a, p, 16);
    memcpy(b, q, 16);
    return (a[0] ^ b[0]) | (a[1] ^ b[1]);
}

/* The fill's bytes [i, i + 8) XOR what they must be. */
static inline __attribute__((always_inline)) uint64_t fill_diff8(const uint8_t *p, size_t i)
{
    uint64_t a, b;
    memcpy(&a, p + i, 8);
    memcpy(&b, LG_FILL2 + (i & 63), 8);
    return a ^ b;
}

/* The same for [i, i + 16) (LG_FILL2 holds 16 bytes from any phase). */
static inline __attribute__((always_inline)) uint64_t fill_diff16(const uint8_t *p, size_t i)
{
    return diff16(p + i, (const uint8_t *)LG_FILL2 + (i & 63));
}

/* 0 when payload bytes [LG_STAMP_LEN, len) are the fill. The fill repeats
 * every 64 bytes: compared 16 bytes at a time against one period, the last
 * step overlapping the one before rather than going byte by byte, the usual
 * short fill (16 to 32 bytes) in two such steps with no loop; no call, no
 * early exit (a corrupted message costs what a good one does). */
static inline __attribute__((always_inline)) uint64_t fill_diff(const uint8_t *p, size_t len)
{
    size_t i = LG_STAMP_LEN, n = len - LG_STAMP_LEN;
    uint64_t diff = 0;
    if (n >= 16) {
        if (n <= 32) return fill_diff16(p, i) | fill_diff16(p, len - 16);
        for (; i + 16 <= len; i += 16) diff |= fill_diff16(p, i);
        return i < len ? diff | fill_diff16(p, len - 16) : diff;
    }
    if (n >= 8) return fill_diff8(p, i) | fill_diff8(p, len - 8);
    for (; i < len; i++) diff |= p[i] ^ (uint8_t)LG_FILL[i & 63];
    return diff;
}

bool lg_payload_fill_ok(const uint8_t *p, size_t len)
{
    return len <= LG_STAMP_LEN || fill_diff(p, len) == 0;
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
    if (stamp_words_diff(&w, &got)) return LG_VERIFY_STAMP;
    *out = s;
    return lg_payload_fill_ok(p, len) ? LG_VERIFY_OK : LG_VERIFY_FILL;
}

bool lg_payload_stamp_is(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s)
{
    stamp_words w;
    stamp_encode_cached(k, &w, s, len);
    stamp_words got = stamp_load(p);
    return stamp_words_diff(&w, &got) == 0;
}

int lg_payload_echo_check(lg_stamp_cache *k, const uint8_t *p, size_t len, const lg_stamp *s)
{
    if (!lg_payload_stamp_is(k, p, len, s)) return LG_VERIFY_STAMP;
    return lg_payload_fill_ok(p, len) ? LG_VERIFY_OK : LG_VERIFY_FILL;
}

/* ---- prepared frames ---- */

int lg_tmpl_init(lg_tmpl *t, uint8_t opcode, size_t max_len)
{
    memset(t, 0, sizeof *t);
    t->opcode = opcode;
    t->max_len = max_len;
    t->payload = calloc(max_len ? max_len : 1, 1);
    bool premask = max_len <= LG_PREMASK_MAX;
    if (premask) t->masked = malloc(LG_KEYS * lg_tmpl_frame_size(max_len));
    if (!t->payload || (premask && !t->masked)) {
        lg_tmpl_free(t);
        return -1;
    }
    lg_payload_fill(t->payload, max_len);
    t->hdr.len = t->echo_hdr.len = SIZE_MAX;
    lg_stamp_cache_init(&t->stamp);
    if (lg_tmpl_rekey(t) < 0) {
        lg_tmpl_free(t);
        return -1;
    }
    return 0;
}

void lg_tmpl_free(lg_tmpl *t)
{
    free(t->payload);
    free(t->masked);
    t->payload = t->masked = NULL;
}

/* h, brought up to date for a frame of len payload bytes (a masked one's key
 * left zero: each frame puts its own there). */
static inline __attribute__((always_inline)) const lg_hdr_cache *
hdr_cached(lg_hdr_cache *h, uint8_t opcode, bool masked, size_t len)
{
    if (h->len != len) {
        ws_frame_spec spec;
        ws_frame_spec_default(&spec, opcode, masked);
        h->n = (uint8_t)ws_frame_write_header(h->b, &spec, len);
        h->len = len;
    }
    return h;
}

/* The client frames' header. */
static inline __attribute__((always_inline)) const lg_hdr_cache *tmpl_header(lg_tmpl *t, size_t len)
{
    return hdr_cached(&t->hdr, t->opcode, true, len);
}

int lg_tmpl_rekey(lg_tmpl *t)
{
    uint64_t keys[LG_KEYS];
    for (int i = 0; i < LG_KEYS; i++) {
        uint8_t k[4];
        uint32_t k4;
        if (ws_mask_key_random(k) < 0) return -1;
        memcpy(&k4, k, 4);
        keys[i] = (uint64_t)k4 << 32 | k4;
    }
    memcpy(t->keys, keys, sizeof keys);
    size_t fsz = lg_tmpl_frame_size(t->max_len);
    const lg_hdr_cache *h = tmpl_header(t, t->max_len);
    for (int i = 0; t->masked && i < LG_KEYS; i++) {
        uint8_t *f = t->masked + (size_t)i * fsz;
        memcpy(f, h->b, h->n);
        memcpy(f + h->n - 4, &t->keys[i], 4);
        ws_mask_copy(f + h->n, t->payload, t->max_len, f + h->n - 4);
    }
    return 0;
}

/* n bytes from s to d: 16 at a time, the last 16 overlapping the ones before,
 * for the short fills of usual messages (a libc call costs more there). */
static inline __attribute__((always_inline)) void copy_fill(uint8_t *d, const uint8_t *s, size_t n)
{
    if (n < 16 || n > 64) {
        memcpy(d, s, n);
        return;
    }
    for (size_t i = 0; i + 16 < n; i += 16) memcpy(d + i, s + i, 16);
    memcpy(d + n - 16, s + n - 16, 16);
}

/* Writes the header of a stamped frame (len >= LG_STAMP_LEN) with key i and
 * the payload after the stamp, masked with it: copied from that key's masked
 * frame, or masked while copied when payloads are too long to keep masked.
 * Returns where the payload starts. */
static inline __attribute__((always_inline)) uint8_t *frame_unstamped(lg_tmpl *t, uint8_t *out,
                                                                      size_t len, unsigned i)
{
    const lg_hdr_cache *h = tmpl_header(t, len);
    /* A fixed-size copy (the payload overwrites what is past the header): out
     * has room, the frame being at least 2 + 4 + LG_STAMP_LEN bytes long. */
    memcpy(out, h->b, sizeof h->b);
    memcpy(out + h->n - 4, &t->keys[i], 4);
    uint8_t *p = out + h->n;
    if (t->masked) {
        size_t fsz = lg_tmpl_frame_size(t->max_len);
        const uint8_t *m = t->masked + i * fsz + (fsz - t->max_len); /* past its header */
        copy_fill(p + LG_STAMP_LEN, m + LG_STAMP_LEN, len - LG_STAMP_LEN);
    } else {
        ws_mask_copy(p + LG_STAMP_LEN, t->payload + LG_STAMP_LEN, len - LG_STAMP_LEN,
                     (const uint8_t *)&t->keys[i]);
    }
    return p;
}

size_t lg_tmpl_write(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *s, ws_mask_rng *rng,
                     uint8_t *copy)
{
    unsigned i = (unsigned)(ws_mask_rng_next(rng) % LG_KEYS);
    if (len < LG_STAMP_LEN) { /* too short for a stamp: the fill's start */
        const lg_hdr_cache *h = tmpl_header(t, len);
        memcpy(out, h->b, h->n);
        memcpy(out + h->n - 4, &t->keys[i], 4);
        uint8_t *p = out + h->n;
        memcpy(p, t->payload, len);
        ws_mask_apply(p, len, (const uint8_t *)&t->keys[i], 0);
        return h->n + len;
    }
    uint8_t *p = frame_unstamped(t, out, len, i);
    stamp_words w;
    stamp_encode_cached(&t->stamp, &w, s, len);
    stamp_store(p, &w, t->keys[i]);
    if (copy) stamp_store(copy, &w, 0);
    return (size_t)(p - out) + len;
}

/* count frames of the template's length with prepared masked frames: each
 * is its key's frame (16 bytes for the header, key and what the stamp
 * overwrites, then the fill) with the stamp stored over it. Inlined twice:
 * for the usual 6-byte header (hl a constant) and the longer ones. */
static inline __attribute__((always_inline)) size_t
write_masked(const lg_tmpl *t, uint8_t *out, size_t hl, stamp_run r, size_t count, ws_mask_rng *rng)
{
    size_t len = t->max_len, fsz = hl + len;
    const uint8_t *masked = t->masked;
    const uint64_t *keys = t->keys;
    uint64_t picks = 0;
    uint8_t *q = out;
    for (size_t j = 0; j < count; j++, q += fsz) {
        /* One draw picks the keys of LG_KEYS frames (4 bits each). */
        if (j % LG_KEYS == 0) picks = ws_mask_rng_next(rng);
        unsigned i = (unsigned)(picks % LG_KEYS);
        picks /= LG_KEYS;
        const uint8_t *f = masked + i * fsz;
        memcpy(q, f, 16);
        copy_fill(q + hl + LG_STAMP_LEN, f + hl + LG_STAMP_LEN, len - LG_STAMP_LEN);
        stamp_words w;
        stamp_run_words(&r, &w);
        stamp_store(q + hl, &w, keys[i]);
        stamp_run_next(&r);
    }
    return count * fsz;
}

static size_t write_run_masked(const lg_tmpl *t, uint8_t *out, const stamp_run *r, size_t count,
                               ws_mask_rng *rng)
{
    size_t hl = lg_tmpl_frame_size(t->max_len) - t->max_len;
    return hl == 6 ? write_masked(t, out, 6, *r, count, rng)
                   : write_masked(t, out, hl, *r, count, rng);
}

size_t lg_tmpl_write_run(lg_tmpl *t, uint8_t *out, size_t len, const lg_stamp *first, size_t count,
                         ws_mask_rng *rng)
{
    size_t off = 0;
    lg_stamp s = *first;
    for (; count && len < LG_STAMP_LEN; count--, s.seq++)
        off += lg_tmpl_write(t, out + off, len, &s, rng, NULL);
    while (count) {
        size_t m = run_room(s.seq, count);
        stamp_cache_update(&t->stamp, &s, len);
        stamp_run r = stamp_run_start(&t->stamp, (uint32_t)s.seq);
        if (t->masked && len == t->max_len) {
            off += write_run_masked(t, out + off, &r, m, rng);
        } else {
            for (size_t j = 0; j < m; j++) {
                unsigned i = (unsigned)(ws_mask_rng_next(rng) % LG_KEYS);
                uint8_t *p = frame_unstamped(t, out + off, len, i);
                stamp_words w;
                stamp_run_words(&r, &w);
                stamp_store(p, &w, t->keys[i]);
                off = (size_t)(p - out) + len;
                stamp_run_next(&r);
            }
        }
        s.seq += m;
        count -= m;
    }
    return off;
}

/* The echo check's loop, inlined twice: for the usual 2-byte header (hl a
 * constant) and for the longer ones. h: the expected header, its first 8
 * bytes and, for the 10-byte form, its last 8. */
static inline __attribute__((always_inline)) size_t
echo_run(const uint8_t *buf, size_t count, size_t len, size_t hl, const uint8_t *h, stamp_run r)
{
    uint64_t h_mask = hl >= 8 ? ~0ull : (1ull << (8 * hl)) - 1, h0 = 0, h1 = 0;
    memcpy(&h0, h, hl < 8 ? hl : 8);
    if (hl > 8) memcpy(&h1, h + hl - 8, 8);
    const uint8_t *p = buf;
    size_t i = 0;
    for (; i < count; i++, p += hl + len) {
        uint64_t g0, g1 = 0;
        memcpy(&g0, p, 8); /* a frame is longer than 8 bytes */
        if (hl > 8) memcpy(&g1, p + hl - 8, 8);
        stamp_words want, got = stamp_load(p + hl);
        stamp_run_words(&r, &want);
        uint64_t diff = ((g0 ^ h0) & h_mask) | (g1 ^ h1) | stamp_words_diff(&want, &got) |
                        fill_diff(p + hl, len);
        if (diff) break;
        stamp_run_next(&r);
    }
    return i;
}

size_t lg_tmpl_echoes(lg_tmpl *t, const uint8_t *buf, size_t n, size_t len, const lg_stamp *first,
                      size_t max, size_t *used)
{
    *used = 0;
    /* Not the template's messages (and its fill is max_len bytes long). */
    if (len < LG_STAMP_LEN || len > t->max_len) return 0;
    const lg_hdr_cache *h = hdr_cached(&t->echo_hdr, t->opcode, false, len);
    size_t hl = h->n, fsz = hl + len;
    /* At most max whole frames (divided out only when max do not fit). */
    size_t bytes, count = !__builtin_mul_overflow(max, fsz, &bytes) && bytes <= n ? max : n / fsz;
    count = run_room(first->seq, count);
    if (!count) return 0;
    stamp_cache_update(&t->stamp, first, len);
    stamp_run r = stamp_run_start(&t->stamp, (uint32_t)first->seq);
    size_t got =
        hl == 2 ? echo_run(buf, count, len, 2, h->b, r) : echo_run(buf, count, len, hl, h->b, r);
    *used = got * fsz;
    return got;
}
