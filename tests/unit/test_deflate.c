/* Unit tests for ws_deflate: RFC 7692 §7.2.3 byte-exact examples, round trips
 * for every window size and context-takeover setting in both roles, a strict
 * check that window bits are honoured (8 included), the inflated-size limit
 * against a 1 GiB bomb, corrupt streams, and the negotiation rules of §7.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "ws/ws_deflate.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static ws_pmd_params params(bool snct, bool cnct, int sbits, int cbits)
{
    ws_pmd_params p = {snct, cnct, sbits, cbits};
    return p;
}

static bool params_equal(const ws_pmd_params *a, const ws_pmd_params *b)
{
    return a->server_no_context_takeover == b->server_no_context_takeover &&
           a->client_no_context_takeover == b->client_no_context_takeover &&
           a->server_max_window_bits == b->server_max_window_bits &&
           a->client_max_window_bits == b->client_max_window_bits;
}

static void assert_bytes(const ws_buf *b, const uint8_t *want, size_t n)
{
    assert_int_equal(b->len, n);
    if (n) assert_memory_equal(b->data, want, n);
}

/* Compresses one message and returns it in *out (reset first). */
static void compress_msg(ws_pmd *z, const void *in, size_t n, ws_buf *out)
{
    ws_buf_reset(out);
    assert_int_equal(ws_pmd_compress(z, in, n, out), WS_PMD_OK);
}

static int decompress_msg(ws_pmd *z, const uint8_t *in, size_t n, ws_buf *out)
{
    ws_buf_reset(out);
    return ws_pmd_decompress(z, in, n, true, out);
}

/* ---- RFC 7692 §7.2.3 examples ----------------------------------------- */

static const uint8_t hello_1[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
static const uint8_t hello_2[] = {0xf2, 0x00, 0x11, 0x00, 0x00};

static void test_rfc_hello_compress(void **state)
{
    (void)state;
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    assert_non_null(z);
    ws_buf out;
    ws_buf_init(&out, 0);
    compress_msg(z, "Hello", 5, &out); /* §7.2.3.1 */
    assert_bytes(&out, hello_1, sizeof hello_1);
    compress_msg(z, "Hello", 5, &out); /* §7.2.3.2: the window is shared */
    assert_bytes(&out, hello_2, sizeof hello_2);
    ws_buf_free(&out);
    ws_pmd_free(z);
}

static void test_rfc_hello_no_context_takeover(void **state)
{
    (void)state;
    /* The server resets its context: both messages compress alike. */
    ws_pmd_params p = params(true, false, 0, 0);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf out;
    ws_buf_init(&out, 0);
    for (int i = 0; i < 3; i++) {
        compress_msg(z, "Hello", 5, &out);
        assert_bytes(&out, hello_1, sizeof hello_1);
    }
    /* The client side's own direction still keeps context. */
    ws_pmd *c = ws_pmd_new(false, &p, -1);
    compress_msg(c, "Hello", 5, &out);
    assert_bytes(&out, hello_1, sizeof hello_1);
    compress_msg(c, "Hello", 5, &out);
    assert_bytes(&out, hello_2, sizeof hello_2);
    ws_buf_free(&out);
    ws_pmd_free(z);
    ws_pmd_free(c);
}

static void test_rfc_hello_decompress(void **state)
{
    (void)state;
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(false, &p, -1);
    ws_buf out;
    ws_buf_init(&out, 0);
    assert_int_equal(decompress_msg(z, hello_1, sizeof hello_1, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    assert_int_equal(decompress_msg(z, hello_2, sizeof hello_2, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    ws_pmd_free(z);

    /* Without the first message's window the second cannot be decoded. */
    z = ws_pmd_new(false, &p, -1);
    assert_int_equal(decompress_msg(z, hello_2, sizeof hello_2, &out), WS_PMD_E_ZLIB);
    ws_pmd_free(z);

    /* With server_no_context_takeover agreed, the client resets its inflater
     * after each message, so the back reference fails. */
    p = params(true, false, 0, 0);
    z = ws_pmd_new(false, &p, -1);
    assert_int_equal(decompress_msg(z, hello_1, sizeof hello_1, &out), WS_PMD_OK);
    assert_int_equal(decompress_msg(z, hello_2, sizeof hello_2, &out), WS_PMD_E_ZLIB);
    ws_pmd_free(z);
    ws_buf_free(&out);
}

static void test_rfc_stored_block(void **state)
{
    (void)state;
    /* §7.2.3.3: a DEFLATE block with no compression (BTYPE 00). */
    static const uint8_t msg[] = {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00};
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf out;
    ws_buf_init(&out, 0);
    assert_int_equal(decompress_msg(z, msg, sizeof msg, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    ws_buf_free(&out);
    ws_pmd_free(z);
}

static void test_rfc_fragmented(void **state)
{
    (void)state;
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(false, &p, -1);
    ws_buf out;
    ws_buf_init(&out, 0);
    /* §7.2.3.1: "Hello" split over two frames. */
    assert_int_equal(ws_pmd_decompress(z, hello_1, 3, false, &out), WS_PMD_OK);
    assert_int_equal(ws_pmd_decompress(z, hello_1 + 3, 4, true, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    /* And the same message fed one byte per frame, with empty frames. */
    ws_buf_reset(&out);
    for (size_t i = 0; i < sizeof hello_2; i++) {
        assert_int_equal(ws_pmd_decompress(z, NULL, 0, false, &out), WS_PMD_OK);
        assert_int_equal(ws_pmd_decompress(z, hello_2 + i, 1, false, &out), WS_PMD_OK);
    }
    assert_int_equal(ws_pmd_decompress(z, NULL, 0, true, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    ws_buf_free(&out);
    ws_pmd_free(z);
}

static void test_rfc_bfinal_and_two_blocks(void **state)
{
    (void)state;
    /* §7.2.3.4: a block with BFINAL set, then a byte holding the header bits
     * of the stored block the receiver's 00 00 ff ff completes. */
    static const uint8_t bfinal[] = {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00};
    /* The same without that byte: the stream simply ends; still "Hello". */
    static const uint8_t bfinal_bare[] = {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    /* §7.2.3.5: two DEFLATE blocks in one message ("Hel" + "lo"). */
    static const uint8_t two[] = {0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff,
                                  0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00};
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf out;
    ws_buf_init(&out, 0);
    assert_int_equal(decompress_msg(z, bfinal, sizeof bfinal, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    assert_int_equal(decompress_msg(z, bfinal_bare, sizeof bfinal_bare, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    assert_int_equal(decompress_msg(z, two, sizeof two, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    /* The stream is still in step: a normal message decodes after them. */
    assert_int_equal(decompress_msg(z, hello_1, sizeof hello_1, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    ws_buf_free(&out);
    ws_pmd_free(z);
}

static void test_empty_message(void **state)
{
    (void)state;
    static const uint8_t zero[] = {0x00};
    for (int snct = 0; snct <= 1; snct++) {
        ws_pmd_params p = params(snct, false, 0, 0);
        ws_pmd *s = ws_pmd_new(true, &p, -1);
        ws_pmd *c = ws_pmd_new(false, &p, -1);
        ws_buf out, back;
        ws_buf_init(&out, 0);
        ws_buf_init(&back, 0);
        /* Several in a row: after the first, zlib has nothing to flush and
         * writes no bytes at all, yet the message must still be 00. */
        for (int i = 0; i < 3; i++) {
            compress_msg(s, "", 0, &out);
            assert_bytes(&out, zero, 1);
            assert_int_equal(decompress_msg(c, out.data, out.len, &back), WS_PMD_OK);
            assert_int_equal(back.len, 0);
        }
        /* The context still works after empty messages. */
        compress_msg(s, "Hello", 5, &out);
        assert_int_equal(decompress_msg(c, out.data, out.len, &back), WS_PMD_OK);
        assert_bytes(&back, (const uint8_t *)"Hello", 5);
        ws_buf_free(&out);
        ws_buf_free(&back);
        ws_pmd_free(s);
        ws_pmd_free(c);
    }
}

/* ---- round trips ------------------------------------------------------- */

/* A reference receiver with a window of exactly `bits`, fed one output byte
 * per inflate() call: with no room in the output buffer to look back into,
 * zlib must take every distance from its 2^bits window and rejects anything
 * farther ("invalid distance too far back"). */
typedef struct oracle {
    z_stream s;
    bool reset;
} oracle;

static void oracle_init(oracle *o, int bits, bool reset)
{
    memset(o, 0, sizeof *o);
    assert_int_equal(inflateInit2(&o->s, -bits), Z_OK);
    o->reset = reset;
}

/* Returns true when the message decodes to want[0..n). */
static bool oracle_check(oracle *o, const uint8_t *msg, size_t len, const uint8_t *want, size_t n)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    size_t got = 0;
    bool ok = true;
    for (int part = 0; part < 2 && ok; part++) {
        o->s.next_in = (Bytef *)(part ? tail : msg);
        o->s.avail_in = (uInt)(part ? 4 : len);
        while (ok) {
            uint8_t b;
            o->s.next_out = &b;
            o->s.avail_out = 1;
            int r = inflate(&o->s, Z_SYNC_FLUSH);
            if (r != Z_OK && r != Z_BUF_ERROR)
                ok = false;
            else if (o->s.avail_out == 0)
                ok = got < n && want[got++] == b;
            else if (o->s.avail_in == 0)
                break;
            else if (r == Z_BUF_ERROR)
                ok = false;
        }
    }
    if (o->reset) inflateReset(&o->s);
    return ok && got == n;
}

static void oracle_end(oracle *o)
{
    inflateEnd(&o->s);
}

enum { N_PAYLOADS = 9 };

/* Payload kinds chosen to tempt the compressor into long back references:
 * blocks repeated at distances just around 256, 512 and beyond. */
static size_t make_payload(int kind, uint8_t *p)
{
    static const char prose[] = "It is a truth universally acknowledged, that a single "
                                "frame in possession of a good payload must be in want "
                                "of a mask. ";
    size_t n = 0;
    switch (kind) {
    case 0:
        return 0;
    case 1:
        memcpy(p, "Hello", 5);
        return 5;
    case 2:
        for (n = 0; n + sizeof prose - 1 <= 3000; n += sizeof prose - 1)
            memcpy(p + n, prose, sizeof prose - 1);
        return n;
    case 3:
        for (n = 0; n < 4000; n++) p[n] = (uint8_t)rng();
        return n;
    case 4: /* one random block repeated at distance 257 */
    case 5: /* ... at 300 */
    case 6: /* ... at 1000 */ {
        size_t w = kind == 4 ? 257 : kind == 5 ? 300 : 1000;
        for (n = 0; n < w; n++) p[n] = (uint8_t)rng();
        for (; n < 12 * w; n++) p[n] = p[n - w];
        return n;
    }
    case 7:
        memset(p, 'a', 50000);
        return 50000;
    default: /* bigger than any window, random with a repeat 40000 back */
        for (n = 0; n < 40000; n++) p[n] = (uint8_t)rng();
        for (; n < 70000; n++) p[n] = p[n - 40000];
        return n;
    }
}

/* Sends payloads from `tx` to `rx`, checking rx's output, the window limit
 * `bits` (through an oracle with exactly that window) and, with `reset`,
 * that each message stands alone. Decompression is fed in random fragments.
 * `compresses`: the level is not 0, so redundant payloads must shrink. */
static void send_all(ws_pmd *tx, ws_pmd *rx, int bits, bool reset, bool compresses)
{
    static uint8_t payload[70000];
    ws_buf c, d;
    ws_buf_init(&c, 0);
    ws_buf_init(&d, 0);
    oracle o;
    oracle_init(&o, bits, reset);
    for (int round = 0; round < 2; round++) {
        for (int kind = 0; kind < N_PAYLOADS; kind++) {
            size_t n = make_payload(kind, payload);
            compress_msg(tx, payload, n, &c);
            /* Prose and a run of one byte shrink in any window. */
            if (compresses && (kind == 2 || kind == 7)) assert_true(c.len < n / 4);
            ws_buf_reset(&d);
            size_t at = 0;
            while (at < c.len) {
                size_t piece = 1 + rng() % (c.len - at);
                assert_int_equal(ws_pmd_decompress(rx, c.data + at, piece, false, &d), WS_PMD_OK);
                at += piece;
            }
            assert_int_equal(ws_pmd_decompress(rx, NULL, 0, true, &d), WS_PMD_OK);
            assert_int_equal(d.len, n);
            if (n) assert_memory_equal(d.data, payload, n);
            assert_true(oracle_check(&o, c.data, c.len, payload, n));
        }
    }
    oracle_end(&o);
    ws_buf_free(&c);
    ws_buf_free(&d);
}

static void roundtrip(int sbits, int cbits, bool snct, bool cnct, int level)
{
    ws_pmd_params p = params(snct, cnct, sbits, cbits);
    ws_pmd *srv = ws_pmd_new(true, &p, level);
    ws_pmd *cli = ws_pmd_new(false, &p, level);
    assert_non_null(srv);
    assert_non_null(cli);
    send_all(srv, cli, sbits ? sbits : 15, snct, level != 0);
    send_all(cli, srv, cbits ? cbits : 15, cnct, level != 0);
    ws_pmd_free(srv);
    ws_pmd_free(cli);
}

static void test_roundtrip_all_windows(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ull;
    for (int bits = 8; bits <= 15; bits++)
        for (int t = 0; t < 4; t++) roundtrip(bits, bits, t & 1, t & 2, -1);
    /* Asymmetric windows, absent parameters, and other levels. */
    roundtrip(8, 15, false, false, -1);
    roundtrip(15, 8, true, false, -1);
    roundtrip(0, 0, false, true, -1);
    for (int level = 0; level <= 9; level += 3) {
        roundtrip(8, 8, false, false, level);
        roundtrip(9, 8, false, true, level);
    }
}

static void test_oracle_is_strict(void **state)
{
    (void)state;
    /* The window checks above mean something only if the oracle rejects a
     * stream that reaches too far back: a 15-bit stream with repeats at
     * distance 300 must fail an 8-bit oracle. */
    static uint8_t payload[70000];
    rng_state = 42;
    size_t n = make_payload(5, payload);
    ws_pmd_params p = params(false, false, 15, 15);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf c;
    ws_buf_init(&c, 0);
    compress_msg(z, payload, n, &c);
    oracle o;
    oracle_init(&o, 8, false);
    assert_false(oracle_check(&o, c.data, c.len, payload, n));
    oracle_end(&o);
    oracle_init(&o, 9, false);
    assert_true(oracle_check(&o, c.data, c.len, payload, n));
    oracle_end(&o);
    ws_buf_free(&c);
    ws_pmd_free(z);
}

static void test_inflate_window_8(void **state)
{
    (void)state;
    /* A receiver that agreed to an 8-bit window decodes 8-bit streams,
     * including ones produced by another zlib user under the same limit. */
    ws_pmd_params p = params(false, false, 8, 8);
    ws_pmd *z = ws_pmd_new(false, &p, -1);
    assert_non_null(z);
    ws_buf out;
    ws_buf_init(&out, 0);
    assert_int_equal(decompress_msg(z, hello_1, sizeof hello_1, &out), WS_PMD_OK);
    assert_int_equal(decompress_msg(z, hello_2, sizeof hello_2, &out), WS_PMD_OK);
    assert_bytes(&out, (const uint8_t *)"Hello", 5);
    ws_buf_free(&out);
    ws_pmd_free(z);
}

/* ---- limits and corrupt input ----------------------------------------- */

typedef struct bitw {
    uint8_t *p;
    size_t len;
    uint32_t acc;
    int nacc;
} bitw;

static void put_bits(bitw *w, uint32_t v, int n) /* LSB first, as DEFLATE */
{
    w->acc |= v << w->nacc;
    w->nacc += n;
    while (w->nacc >= 8) {
        w->p[w->len++] = (uint8_t)w->acc;
        w->acc >>= 8;
        w->nacc -= 8;
    }
}

static void put_code(bitw *w, uint32_t code, int n) /* Huffman codes go MSB first */
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++) r |= ((code >> i) & 1u) << (n - 1 - i);
    put_bits(w, r, n);
}

/* A hand-built bomb: one fixed-Huffman block holding a literal 0 and then
 * `matches` copies of (length 258, distance 1), 13 bits each; then the end of
 * block and the 3 header bits of the stored block the receiver's 00 00 ff ff
 * completes. Inflates to exactly 1 + 258 * matches zero bytes. */
static uint8_t *make_bomb(size_t matches, size_t *len)
{
    bitw w = {malloc(matches * 13 / 8 + 16), 0, 0, 0};
    assert_non_null(w.p);
    put_bits(&w, 0, 1);    /* BFINAL 0 */
    put_bits(&w, 1, 2);    /* BTYPE 01, fixed Huffman */
    put_code(&w, 0x30, 8); /* literal 0 */
    for (size_t i = 0; i < matches; i++) {
        put_code(&w, 0xc5, 8); /* length code 285: 258 */
        put_code(&w, 0, 5);    /* distance code 0: 1 */
    }
    put_code(&w, 0, 7); /* end of block (256) */
    put_bits(&w, 0, 3); /* next block: BFINAL 0, BTYPE 00 */
    if (w.nacc) put_bits(&w, 0, 8 - w.nacc);
    *len = w.len;
    return w.p;
}

static void test_limit_exact(void **state)
{
    (void)state;
    size_t len, matches = 1000, size = 1 + 258 * matches;
    uint8_t *bomb = make_bomb(matches, &len);
    ws_pmd_params p = params(false, false, 0, 0);
    ws_buf out;

    /* Exactly at the limit: fine, every byte zero. */
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf_init(&out, size);
    assert_int_equal(decompress_msg(z, bomb, len, &out), WS_PMD_OK);
    assert_int_equal(out.len, size);
    for (size_t i = 0; i < size; i++) assert_int_equal(out.data[i], 0);
    ws_buf_free(&out);
    ws_pmd_free(z);

    /* One byte less: too big, and nothing written past the limit. */
    z = ws_pmd_new(true, &p, -1);
    ws_buf_init(&out, size - 1);
    assert_int_equal(decompress_msg(z, bomb, len, &out), WS_PMD_E_TOO_BIG);
    assert_true(out.cap <= size - 1);
    ws_buf_free(&out);
    ws_pmd_free(z);
    free(bomb);
}

static void test_bomb_fails_fast(void **state)
{
    (void)state;
    /* 4161601 matches: 1 GiB + a little, in about 6.8 MB of input, sent as
     * fragments of 64 KiB (each inflating to about 10 MiB). */
    size_t len, matches = ((size_t)1 << 30) / 258;
    uint8_t *bomb = make_bomb(matches, &len);
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf out;
    ws_buf_init(&out, (size_t)16 << 20);
    clock_t t0 = clock();
    int rc = WS_PMD_OK;
    size_t at = 0, frames = 0;
    while (rc == WS_PMD_OK && at < len) {
        size_t piece = len - at < 65536 ? len - at : 65536;
        rc = ws_pmd_decompress(z, bomb + at, piece, at + piece == len, &out);
        at += piece;
        frames++;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(rc, WS_PMD_E_TOO_BIG);
    assert_true(frames <= 3);                 /* stopped at 16 MiB, not 1 GiB */
    assert_true(out.cap <= (size_t)16 << 20); /* never allocated past the limit */
    assert_true(out.len <= (size_t)16 << 20);
    assert_true(secs < 2.0);
    ws_buf_free(&out);
    ws_pmd_free(z);
    free(bomb);
}

static void test_corrupt(void **state)
{
    (void)state;
    static const uint8_t reserved_btype[] = {0xff, 0xff, 0xff};
    /* A stored block whose NLEN is not the complement of LEN. */
    static const uint8_t bad_nlen[] = {0x00, 0x05, 0x00, 0xfa, 0xfe, 'H', 'e', 'l', 'l', 'o', 0x00};
    /* A distance back into a window that is empty. */
    static const uint8_t too_far[] = {0xf2, 0x00, 0x11, 0x00, 0x00};
    const struct {
        const uint8_t *p;
        size_t n;
    } cases[] = {
        {reserved_btype, sizeof reserved_btype},
        {bad_nlen, sizeof bad_nlen},
        {too_far, sizeof too_far},
    };
    ws_buf out;
    ws_buf_init(&out, 1 << 20);
    ws_pmd_params p = params(false, false, 0, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ws_pmd *z = ws_pmd_new(true, &p, -1);
        assert_int_equal(decompress_msg(z, cases[i].p, cases[i].n, &out), WS_PMD_E_ZLIB);
        /* Once broken, it stays broken: no silent resynchronisation. */
        assert_int_equal(decompress_msg(z, hello_1, sizeof hello_1, &out), WS_PMD_E_ZLIB);
        ws_pmd_free(z);
    }
    /* Random garbage never crashes and never passes silently as long
     * nonsense: each outcome is either an error or a bounded output. */
    rng_state = 7;
    int errors = 0;
    for (int i = 0; i < 200; i++) {
        uint8_t junk[64];
        for (size_t k = 0; k < sizeof junk; k++) junk[k] = (uint8_t)rng();
        ws_pmd *z = ws_pmd_new(true, &p, -1);
        int rc = decompress_msg(z, junk, sizeof junk, &out);
        assert_true(rc == WS_PMD_OK || rc == WS_PMD_E_ZLIB);
        errors += rc == WS_PMD_E_ZLIB;
        ws_pmd_free(z);
    }
    assert_true(errors > 150);
    ws_buf_free(&out);
}

static void test_compress_limit(void **state)
{
    (void)state;
    /* Compressed output that cannot fit the caller's buffer is refused and
     * leaves the buffer as it was. */
    uint8_t payload[4000];
    rng_state = 99;
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)rng();
    ws_pmd_params p = params(false, false, 0, 0);
    ws_pmd *z = ws_pmd_new(true, &p, -1);
    ws_buf out;
    ws_buf_init(&out, 1000);
    assert_int_equal(ws_buf_append(&out, "xyz", 3), 0);
    assert_int_equal(ws_pmd_compress(z, payload, sizeof payload, &out), WS_PMD_E_TOO_BIG);
    assert_int_equal(out.len, 3);
    ws_buf_free(&out);
    ws_pmd_free(z);
}

/* ---- parameters (§7.1) ------------------------------------------------- */

static ws_ext parse_one(const char *s)
{
    ws_ext e[4];
    size_t n = 0;
    if (ws_ext_parse(s, strlen(s), e, 4, &n) != 0 || n != 1)
        fail_msg("ws_ext_parse refused \"%s\"", s);
    return e[0];
}

typedef struct param_case {
    const char *header;
    bool is_offer;
    int ok; /* 1 valid, 0 invalid */
    ws_pmd_params want;
} param_case;

static const param_case param_cases[] = {
    {"permessage-deflate", true, 1, {false, false, 0, 0}},
    {"permessage-deflate", false, 1, {false, false, 0, 0}},
    {"permessage-deflate; server_no_context_takeover", true, 1, {true, false, 0, 0}},
    {"permessage-deflate; client_no_context_takeover", false, 1, {false, true, 0, 0}},
    {"permessage-deflate; server_max_window_bits=8", true, 1, {false, false, 8, 0}},
    {"permessage-deflate; server_max_window_bits=15", false, 1, {false, false, 15, 0}},
    {"permessage-deflate; client_max_window_bits", true, 1, {false, false, 0, -1}},
    {"permessage-deflate; client_max_window_bits=10", true, 1, {false, false, 0, 10}},
    {"permessage-deflate; client_max_window_bits=9", false, 1, {false, false, 0, 9}},
    {"permessage-deflate; server_max_window_bits=\"12\"", true, 1, {false, false, 12, 0}},
    {"permessage-deflate; client_max_window_bits=\"8\"", false, 1, {false, false, 0, 8}},
    {"permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
     "server_max_window_bits=9; client_max_window_bits=11",
     true,
     1,
     {true, true, 9, 11}},
    {"permessage-deflate; client_max_window_bits; server_max_window_bits=10; "
     "client_no_context_takeover",
     true,
     1,
     {false, true, 10, -1}},
    /* invalid */
    {"permessage-deflate; foo", true, 0, {0}},
    {"permessage-deflate; foo=1", false, 0, {0}},
    {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", true, 0, {0}},
    {"permessage-deflate; client_max_window_bits; client_max_window_bits=10", true, 0, {0}},
    {"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", false, 0, {0}},
    {"permessage-deflate; server_no_context_takeover=1", true, 0, {0}},
    {"permessage-deflate; client_no_context_takeover=\"1\"", false, 0, {0}},
    {"permessage-deflate; server_max_window_bits", true, 0, {0}},
    {"permessage-deflate; server_max_window_bits", false, 0, {0}},
    {"permessage-deflate; client_max_window_bits", false, 0, {0}},
    {"permessage-deflate; server_max_window_bits=7", true, 0, {0}},
    {"permessage-deflate; server_max_window_bits=16", true, 0, {0}},
    {"permessage-deflate; server_max_window_bits=0", true, 0, {0}},
    {"permessage-deflate; client_max_window_bits=08", true, 0, {0}},
    {"permessage-deflate; client_max_window_bits=015", false, 0, {0}},
    {"permessage-deflate; client_max_window_bits=1a", true, 0, {0}},
    {"permessage-deflate; server_max_window_bits=-9", true, 0, {0}},
    {"permessage-deflate; server_max_window_bits=9.0", false, 0, {0}},
    {"permessage-deflate; server_max_window_bits=100", false, 0, {0}},
    {"x-webkit-deflate-frame", true, 0, {0}},
};

static void test_from_ext(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof param_cases / sizeof param_cases[0]; i++) {
        const param_case *c = &param_cases[i];
        ws_ext e = parse_one(c->header);
        ws_pmd_params got;
        const char *err = NULL;
        int rc = ws_pmd_from_ext(&e, c->is_offer, &got, &err);
        if (c->ok != (rc == 0)) fail_msg("case %zu (%s): rc %d err %s", i, c->header, rc, err);
        if (rc != 0) {
            assert_non_null(err);
            assert_true(strlen(err) > 10);
            continue;
        }
        assert_int_equal(got.server_no_context_takeover, c->want.server_no_context_takeover);
        assert_int_equal(got.client_no_context_takeover, c->want.client_no_context_takeover);
        assert_int_equal(got.server_max_window_bits, c->want.server_max_window_bits);
        assert_int_equal(got.client_max_window_bits, c->want.client_max_window_bits);
    }
}

/* Values a lenient extension parser might hand over, built by hand so the
 * check does not depend on what ws_ext_parse lets through. */
static void test_from_ext_raw_values(void **state)
{
    (void)state;
    static const char *const bad[] = {"", " 9", "9 ", "+9", "1", "1\0"};
    static const size_t bad_len[] = {0, 2, 2, 2, 1, 2};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int q = 0; q <= 1; q++) {
            ws_ext e;
            memset(&e, 0, sizeof e);
            e.name = "permessage-deflate";
            e.name_len = strlen(e.name);
            e.n_params = 1;
            e.params[0].name = q ? "client_max_window_bits" : "server_max_window_bits";
            e.params[0].name_len = strlen(e.params[0].name);
            e.params[0].value = bad[i];
            e.params[0].value_len = bad_len[i];
            e.params[0].quoted = q;
            ws_pmd_params got;
            const char *err = NULL;
            assert_int_equal(ws_pmd_from_ext(&e, true, &got, &err), -1);
            assert_non_null(err);
        }
    }
}

static void test_format(void **state)
{
    (void)state;
    char buf[200];
    ws_pmd_params p = params(false, false, 0, 0);
    assert_int_equal(ws_pmd_format(buf, sizeof buf, &p), 18);
    assert_string_equal(buf, "permessage-deflate");
    p = params(true, true, 10, -1);
    size_t n = ws_pmd_format(buf, sizeof buf, &p);
    assert_string_equal(buf, "permessage-deflate; server_no_context_takeover; "
                             "client_no_context_takeover; server_max_window_bits=10; "
                             "client_max_window_bits");
    assert_int_equal(n, strlen(buf));
    p = params(false, false, 0, 12);
    n = ws_pmd_format(buf, sizeof buf, &p);
    assert_string_equal(buf, "permessage-deflate; client_max_window_bits=12");
    /* Too small (the NUL must fit too): 0 and nothing promised. */
    assert_int_equal(ws_pmd_format(buf, n, &p), 0);
    assert_int_equal(ws_pmd_format(buf, n + 1, &p), n);
    /* What it formats, it parses back as the same parameters. */
    p = params(true, false, 8, 15);
    ws_pmd_format(buf, sizeof buf, &p);
    ws_ext e = parse_one(buf);
    ws_pmd_params back;
    const char *err;
    assert_int_equal(ws_pmd_from_ext(&e, false, &back, &err), 0);
    assert_true(params_equal(&back, &p));
}

typedef struct nego_case {
    const char *offers; /* a whole Sec-WebSocket-Extensions value */
    ws_pmd_server_config cfg;
    const char *response; /* NULL: declined */
} nego_case;

static const nego_case nego_cases[] = {
    {"permessage-deflate", {0}, "permessage-deflate"},
    /* the client's requests for the server's side are honoured */
    {"permessage-deflate; server_no_context_takeover",
     {0},
     "permessage-deflate; server_no_context_takeover"},
    {"permessage-deflate; server_max_window_bits=10",
     {0},
     "permessage-deflate; server_max_window_bits=10"},
    {"permessage-deflate; server_max_window_bits=8",
     {false, false, 12, 0},
     "permessage-deflate; server_max_window_bits=8"},
    {"permessage-deflate; server_max_window_bits=12",
     {false, false, 9, 0},
     "permessage-deflate; server_max_window_bits=9"},
    /* the server's own config */
    {"permessage-deflate",
     {true, true, 11, 0},
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
     "server_max_window_bits=11"},
    {"permessage-deflate", {false, false, 15, 0}, "permessage-deflate"},
    /* client_max_window_bits: only when offered, never above the offer */
    {"permessage-deflate", {false, false, 0, 10}, "permessage-deflate"},
    {"permessage-deflate; client_max_window_bits", {0}, "permessage-deflate"},
    {"permessage-deflate; client_max_window_bits",
     {false, false, 0, 10},
     "permessage-deflate; client_max_window_bits=10"},
    {"permessage-deflate; client_max_window_bits=9",
     {false, false, 0, 12},
     "permessage-deflate; client_max_window_bits=9"},
    {"permessage-deflate; client_max_window_bits=12",
     {false, false, 0, 9},
     "permessage-deflate; client_max_window_bits=9"},
    {"permessage-deflate; client_max_window_bits=12",
     {0},
     "permessage-deflate; client_max_window_bits=12"},
    /* the client's client_no_context_takeover hint is confirmed */
    {"permessage-deflate; client_no_context_takeover",
     {0},
     "permessage-deflate; client_no_context_takeover"},
    /* several offers: the first acceptable one wins; bad ones are skipped */
    {"permessage-deflate; server_max_window_bits=10, permessage-deflate",
     {0},
     "permessage-deflate; server_max_window_bits=10"},
    {"permessage-deflate; foo, permessage-deflate; server_max_window_bits=7, "
     "permessage-deflate; client_max_window_bits",
     {false, false, 0, 11},
     "permessage-deflate; client_max_window_bits=11"},
    {"x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover",
     {0},
     "permessage-deflate; server_no_context_takeover"},
    /* nothing acceptable: declined, never "repaired" */
    {"permessage-deflate; foo", {0}, NULL},
    {"permessage-deflate; server_max_window_bits=16", {0}, NULL},
    {"permessage-deflate; server_max_window_bits", {0}, NULL},
    {"permessage-deflate; client_max_window_bits=7", {0}, NULL},
    {"permessage-deflate; client_max_window_bits=08", {0}, NULL},
    {"permessage-deflate; server_no_context_takeover=1", {0}, NULL},
    {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", {0}, NULL},
    {"permessage-deflate; client_max_window_bits=10; client_max_window_bits", {0}, NULL},
    {"x-webkit-deflate-frame", {0}, NULL},
};

static void test_server_negotiate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof nego_cases / sizeof nego_cases[0]; i++) {
        const nego_case *c = &nego_cases[i];
        ws_ext offers[8];
        size_t n = 0;
        assert_int_equal(ws_ext_parse(c->offers, strlen(c->offers), offers, 8, &n), 0);
        ws_pmd_params agreed;
        int rc = ws_pmd_server_negotiate(offers, n, &c->cfg, &agreed);
        if (!c->response) {
            if (rc != 0) fail_msg("case %zu (%s): accepted", i, c->offers);
            continue;
        }
        if (rc != 1) fail_msg("case %zu (%s): declined", i, c->offers);
        char buf[200];
        assert_true(ws_pmd_format(buf, sizeof buf, &agreed) > 0);
        if (strcmp(buf, c->response) != 0)
            fail_msg("case %zu (%s): answered \"%s\", want \"%s\"", i, c->offers, buf, c->response);
        /* Whatever we answer, a client that made the accepted offer takes it. */
        ws_ext resp = parse_one(buf);
        ws_pmd_params back;
        const char *err = NULL;
        assert_int_equal(ws_pmd_from_ext(&resp, false, &back, &err), 0);
    }
}

typedef struct check_case {
    const char *offer;
    const char *response;
    bool ok;
} check_case;

static const check_case check_cases[] = {
    {"permessage-deflate", "permessage-deflate", true},
    /* the server may add these on its own */
    {"permessage-deflate", "permessage-deflate; server_no_context_takeover", true},
    {"permessage-deflate", "permessage-deflate; client_no_context_takeover", true},
    {"permessage-deflate", "permessage-deflate; server_max_window_bits=9", true},
    /* requested server_no_context_takeover must be confirmed */
    {"permessage-deflate; server_no_context_takeover", "permessage-deflate", false},
    {"permessage-deflate; server_no_context_takeover",
     "permessage-deflate; server_no_context_takeover", true},
    /* requested server_max_window_bits must be answered, same or smaller */
    {"permessage-deflate; server_max_window_bits=10", "permessage-deflate", false},
    {"permessage-deflate; server_max_window_bits=10",
     "permessage-deflate; server_max_window_bits=11", false},
    {"permessage-deflate; server_max_window_bits=10",
     "permessage-deflate; server_max_window_bits=10", true},
    {"permessage-deflate; server_max_window_bits=10",
     "permessage-deflate; server_max_window_bits=8", true},
    /* client_max_window_bits only if offered, not above the offered value */
    {"permessage-deflate", "permessage-deflate; client_max_window_bits=10", false},
    {"permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits=10",
     true},
    {"permessage-deflate; client_max_window_bits", "permessage-deflate", true},
    {"permessage-deflate; client_max_window_bits=10",
     "permessage-deflate; client_max_window_bits=12", false},
    {"permessage-deflate; client_max_window_bits=10",
     "permessage-deflate; client_max_window_bits=9", true},
    /* response syntax */
    {"permessage-deflate; client_max_window_bits", "permessage-deflate; client_max_window_bits",
     false},
    {"permessage-deflate", "permessage-deflate; foo", false},
    {"permessage-deflate", "permessage-deflate; server_max_window_bits=16", false},
    {"permessage-deflate",
     "permessage-deflate; server_no_context_takeover; "
     "server_no_context_takeover",
     false},
    {"permessage-deflate", "x-webkit-deflate-frame", false},
};

static void test_client_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
        const check_case *c = &check_cases[i];
        ws_ext oe = parse_one(c->offer), re = parse_one(c->response);
        ws_pmd_params offered, agreed;
        const char *err = NULL;
        assert_int_equal(ws_pmd_from_ext(&oe, true, &offered, &err), 0);
        int rc = ws_pmd_client_check(&offered, &re, &agreed, &err);
        if (c->ok != (rc == 0))
            fail_msg("case %zu (%s -> %s): rc %d err %s", i, c->offer, c->response, rc, err);
        if (rc == 0) {
            ws_pmd_params direct;
            assert_int_equal(ws_pmd_from_ext(&re, false, &direct, &err), 0);
            assert_true(params_equal(&agreed, &direct));
        } else {
            assert_non_null(err);
        }
    }
}

static void test_negotiated_pair_talks(void **state)
{
    (void)state;
    /* End to end: offer -> server answer -> client check -> both codecs. */
    const char *offer = "permessage-deflate; client_max_window_bits; server_max_window_bits=9; "
                        "client_no_context_takeover";
    ws_pmd_server_config cfg = {false, false, 0, 8};
    ws_ext offers[4];
    size_t n = 0;
    assert_int_equal(ws_ext_parse(offer, strlen(offer), offers, 4, &n), 0);
    ws_pmd_params srv_p, offered, cli_p;
    assert_int_equal(ws_pmd_server_negotiate(offers, n, &cfg, &srv_p), 1);
    char resp[200];
    assert_true(ws_pmd_format(resp, sizeof resp, &srv_p) > 0);
    const char *err = NULL;
    assert_int_equal(ws_pmd_from_ext(&offers[0], true, &offered, &err), 0);
    ws_ext re = parse_one(resp);
    assert_int_equal(ws_pmd_client_check(&offered, &re, &cli_p, &err), 0);
    assert_int_equal(cli_p.server_max_window_bits, 9);
    assert_int_equal(cli_p.client_max_window_bits, 8);
    assert_true(cli_p.client_no_context_takeover);
    ws_pmd *s = ws_pmd_new(true, &srv_p, -1), *c = ws_pmd_new(false, &cli_p, -1);
    rng_state = 5;
    send_all(s, c, 9, false, true);
    send_all(c, s, 8, true, true);
    ws_pmd_free(s);
    ws_pmd_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_hello_compress),
        cmocka_unit_test(test_rfc_hello_no_context_takeover),
        cmocka_unit_test(test_rfc_hello_decompress),
        cmocka_unit_test(test_rfc_stored_block),
        cmocka_unit_test(test_rfc_fragmented),
        cmocka_unit_test(test_rfc_bfinal_and_two_blocks),
        cmocka_unit_test(test_empty_message),
        cmocka_unit_test(test_roundtrip_all_windows),
        cmocka_unit_test(test_oracle_is_strict),
        cmocka_unit_test(test_inflate_window_8),
        cmocka_unit_test(test_limit_exact),
        cmocka_unit_test(test_bomb_fails_fast),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_compress_limit),
        cmocka_unit_test(test_from_ext),
        cmocka_unit_test(test_from_ext_raw_values),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_server_negotiate),
        cmocka_unit_test(test_client_check),
        cmocka_unit_test(test_negotiated_pair_talks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
