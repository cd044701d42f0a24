/* fuzz_inflate: permessage-deflate decompression with its size limit
 * (ws_pmd_decompress), and compress -> decompress round trips.
 *
 * Input: byte 0 picks the role and context takeover, byte 1 the window bits,
 * byte 2 the output limit, byte 3 the frame size, byte 4 how many frames make
 * a message; the rest is fed as compressed frames. The output buffer must
 * never pass its limit, whatever the stream (bombs included), and an error
 * must leave it within the limit too. Then the same bytes, as plain messages,
 * must come back unchanged through our own compressor and a fresh peer. */
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "ws/ws_buf.h"
#include "ws/ws_deflate.h"

static const size_t limits[] = {1, 7, 64, 100, 1000, 4096, 65536, 1u << 20};

static void inflate_stream(bool is_server, const ws_pmd_params *p, size_t limit, size_t frame,
                           unsigned per_msg, const uint8_t *in, size_t n)
{
    ws_pmd *z = ws_pmd_new(is_server, p, -1);
    FUZZ_CHECK(z != NULL);
    ws_buf out;
    ws_buf_init(&out, limit);
    unsigned k = 0;
    for (size_t at = 0; at < n;) {
        size_t piece = n - at < frame ? n - at : frame;
        bool last = ++k % per_msg == 0 || at + piece == n;
        int rc = ws_pmd_decompress(z, in + at, piece, last, &out);
        FUZZ_CHECK(out.len <= limit);
        FUZZ_CHECK(rc == WS_PMD_OK || rc == WS_PMD_E_ZLIB || rc == WS_PMD_E_TOO_BIG ||
                   rc == WS_PMD_E_NOMEM);
        if (rc != WS_PMD_OK) break; /* the connection would be failed here */
        if (last) ws_buf_reset(&out);
        at += piece;
    }
    ws_buf_free(&out);
    ws_pmd_free(z);
}

/* The input as messages of frame * per_msg bytes: each must come back whole. */
static void roundtrip(bool is_server, const ws_pmd_params *p, size_t msg, const uint8_t *in,
                      size_t n)
{
    ws_pmd *tx = ws_pmd_new(!is_server, p, -1);
    ws_pmd *rx = ws_pmd_new(is_server, p, -1);
    FUZZ_CHECK(tx && rx);
    ws_buf c, d;
    ws_buf_init(&c, 0);
    ws_buf_init(&d, n + 1);
    for (size_t at = 0; at < n || at == 0; at += msg) {
        size_t len = n - at < msg ? n - at : msg;
        ws_buf_reset(&c);
        ws_buf_reset(&d);
        FUZZ_CHECK(ws_pmd_compress(tx, in + at, len, &c) == WS_PMD_OK);
        /* Two frames: the split must not matter to the inflater. */
        size_t half = c.len / 2;
        FUZZ_CHECK(ws_pmd_decompress(rx, c.data, half, false, &d) == WS_PMD_OK);
        FUZZ_CHECK(ws_pmd_decompress(rx, c.data + half, c.len - half, true, &d) == WS_PMD_OK);
        FUZZ_CHECK(d.len == len && (len == 0 || memcmp(d.data, in + at, len) == 0));
        if (n == 0) break;
    }
    ws_buf_free(&c);
    ws_buf_free(&d);
    ws_pmd_free(tx);
    ws_pmd_free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t b0 = fuzz_byte(&in), b1 = fuzz_byte(&in);
    bool is_server = b0 & 1;
    ws_pmd_params p = {
        .server_no_context_takeover = (b0 & 2) != 0,
        .client_no_context_takeover = (b0 & 4) != 0,
        .server_max_window_bits = (b1 & 0x80) ? 8 + (b1 & 7) : 0,
        .client_max_window_bits = (b1 & 0x40) ? 8 + ((b1 >> 3) & 7) : 0,
    };
    size_t limit = limits[fuzz_byte(&in) % (sizeof limits / sizeof limits[0])];
    size_t frame = 1 + fuzz_byte(&in);
    unsigned per_msg = 1 + fuzz_byte(&in) % 8;

    inflate_stream(is_server, &p, limit, frame, per_msg, in.p, in.n);
    roundtrip(is_server, &p, frame * per_msg, in.p, in.n);
    return 0;
}
