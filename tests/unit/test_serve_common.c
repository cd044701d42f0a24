/* Unit tests for serve_conn's common-frame path (small whole text/binary
 * frames echoed straight from the input): it must give exactly what the
 * general parser path gives. Each test feeds a batch at once and in every
 * chunk size and compares the output with frames built independently:
 * lengths 0..125 and the 126 boundary, non-ASCII text, invalid text after
 * valid frames (1007 and nothing after), a lowered --max-message (1009),
 * control frames and a fragmented message in between, a data frame inside a
 * fragmented message (1002). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve/serve_conn.h"
#include "ws/ws_buf.h"
#include "ws/ws_frame.h"

static const char upgrade[] = "GET / HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";

/* Appends a frame: masked (from the client) or not (an expected echo). */
static void put(ws_buf *b, uint8_t op, bool fin, bool masked, const void *p, size_t n)
{
    ws_frame_spec s;
    ws_frame_spec_default(&s, op, masked);
    s.fin = fin;
    memcpy(s.mask_key, "\x9c\x01\xe7\x5a", 4);
    assert_int_equal(ws_buf_reserve(b, n + WS_FRAME_HEADER_MAX), 0);
    size_t w = ws_frame_write(b->data + b->len, b->cap - b->len, &s, p, n);
    assert_true(w > 0);
    b->len += w;
}

static void put_close(ws_buf *b, uint16_t code)
{
    uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    put(b, WS_OP_CLOSE, true, false, p, 2);
}

/* Feeds the upgrade then `in` in chunks of `chunk`, the way the loop does
 * (unconsumed bytes stay in front of the next chunk); returns the frames the
 * server wrote after its 101 response in *out. */
static void run(uint64_t max_message, const ws_buf *in, size_t chunk, ws_buf *out)
{
    serve_opts o;
    serve_opts_default(&o);
    o.max_message = o.max_frame = max_message;
    serve_ctx x;
    serve_conn c;
    assert_int_equal(serve_ctx_init(&x, &o), 0);
    serve_conn_init(&c, &x, false);
    size_t used = serve_conn_input(&c, &x, (uint8_t *)upgrade, strlen(upgrade));
    assert_int_equal(used, strlen(upgrade));
    assert_int_equal(c.state, SC_OPEN);
    ws_buf_reset(&x.out);

    ws_buf pending;
    ws_buf_init(&pending, 0);
    ws_buf_init(out, 0);
    for (size_t off = 0; off < in->len; off += chunk) {
        size_t k = in->len - off < chunk ? in->len - off : chunk;
        assert_int_equal(ws_buf_append(&pending, in->data + off, k), 0);
        used = serve_conn_input(&c, &x, pending.data, pending.len);
        assert_true(used <= pending.len);
        ws_buf_consume(&pending, used);
        assert_int_equal(ws_buf_append(out, x.out.data, x.out.len), 0);
        ws_buf_reset(&x.out);
    }
    ws_buf_free(&pending);
    serve_conn_free(&c);
    serve_ctx_free(&x);
}

/* Every chunk size from 1 to the whole input gives `want`. */
static void expect_echo(uint64_t max_message, const ws_buf *in, const ws_buf *want)
{
    for (size_t chunk = 1; chunk <= in->len; chunk++) {
        ws_buf got;
        run(max_message, in, chunk, &got);
        if (got.len != want->len || memcmp(got.data, want->data, got.len) != 0)
            fail_msg("chunk %zu: got %zu bytes, want %zu", chunk, got.len, want->len);
        ws_buf_free(&got);
        if (chunk > 64 && chunk < in->len) chunk += 13; /* big inputs: sample the rest */
    }
}

static void test_lengths_and_kinds(void **state)
{
    (void)state;
    ws_buf in, want;
    ws_buf_init(&in, 0);
    ws_buf_init(&want, 0);
    uint8_t p[130];
    for (size_t i = 0; i < sizeof p; i++) p[i] = (uint8_t)('a' + i % 26);
    for (size_t n = 0; n <= 126; n++) {
        uint8_t op = n % 3 ? WS_OP_TEXT : WS_OP_BINARY;
        put(&in, op, true, true, p, n);
        put(&want, op, true, false, p, n);
    }
    /* Non-ASCII but valid text, and binary bytes that are not UTF-8. */
    const char *utf8 = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 and more text past one word";
    put(&in, WS_OP_TEXT, true, true, utf8, strlen(utf8));
    put(&want, WS_OP_TEXT, true, false, utf8, strlen(utf8));
    const uint8_t bin[] = {0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf5, 0x00, 0x01};
    put(&in, WS_OP_BINARY, true, true, bin, sizeof bin);
    put(&want, WS_OP_BINARY, true, false, bin, sizeof bin);
    expect_echo(0, &in, &want);
    ws_buf_free(&in);
    ws_buf_free(&want);
}

static void test_invalid_text_after_valid(void **state)
{
    (void)state;
    ws_buf in, want;
    ws_buf_init(&in, 0);
    ws_buf_init(&want, 0);
    put(&in, WS_OP_TEXT, true, true, "first", 5);
    put(&want, WS_OP_TEXT, true, false, "first", 5);
    put(&in, WS_OP_BINARY, true, true, "\x80", 1);
    put(&want, WS_OP_BINARY, true, false, "\x80", 1);
    /* A surrogate (ED A0 80) after 17 ASCII bytes: the word check alone
     * would not see which byte; the DFA must refuse it. */
    put(&in, WS_OP_TEXT, true, true, "seventeen bytes..\xed\xa0\x80", 20);
    put_close(&want, 1007);
    put(&in, WS_OP_TEXT, true, true, "never echoed", 12);
    expect_echo(0, &in, &want);
    ws_buf_free(&in);
    ws_buf_free(&want);
}

static void test_lowered_limit(void **state)
{
    (void)state;
    ws_buf in, want;
    ws_buf_init(&in, 0);
    ws_buf_init(&want, 0);
    put(&in, WS_OP_TEXT, true, true, "0123456789", 10);
    put(&want, WS_OP_TEXT, true, false, "0123456789", 10);
    put(&in, WS_OP_TEXT, true, true, "0123456789A", 11);
    put_close(&want, 1009);
    put(&in, WS_OP_TEXT, true, true, "x", 1);
    expect_echo(10, &in, &want);
    ws_buf_free(&in);
    ws_buf_free(&want);
}

static void test_mixed_with_control_and_fragments(void **state)
{
    (void)state;
    ws_buf in, want;
    ws_buf_init(&in, 0);
    ws_buf_init(&want, 0);
    put(&in, WS_OP_TEXT, true, true, "a", 1);
    put(&want, WS_OP_TEXT, true, false, "a", 1);
    put(&in, WS_OP_PING, true, true, "pi", 2);
    put(&want, WS_OP_PONG, true, false, "pi", 2);
    put(&in, WS_OP_BINARY, true, true, "b", 1);
    put(&want, WS_OP_BINARY, true, false, "b", 1);
    put(&in, WS_OP_TEXT, false, true, "fr", 2);
    put(&in, WS_OP_PONG, true, true, "", 0);
    put(&in, WS_OP_CONT, true, true, "ag", 2);
    put(&want, WS_OP_TEXT, true, false, "frag", 4);
    put(&in, WS_OP_TEXT, true, true, "after", 5);
    put(&want, WS_OP_TEXT, true, false, "after", 5);
    /* A whole text frame while a fragmented message is open: §5.4, 1002. */
    put(&in, WS_OP_BINARY, false, true, "open", 4);
    put(&in, WS_OP_TEXT, true, true, "inside", 6);
    put_close(&want, 1002);
    expect_echo(0, &in, &want);
    ws_buf_free(&in);
    ws_buf_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lengths_and_kinds),
        cmocka_unit_test(test_invalid_text_after_valid),
        cmocka_unit_test(test_lowered_limit),
        cmocka_unit_test(test_mixed_with_control_and_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
