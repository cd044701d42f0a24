/* fuzz_frame: the frame parser (ws_frame) on a stream of frames.
 *
 * Input: byte 0 picks the peer (client, server, any) and the RSV bits an
 * extension allows; bytes 1 and 2 pick the frame and message limits; the rest
 * is the stream. Each frame returned must obey every RFC 6455 §5 rule and the
 * limits; every prefix of a frame must give "need more" or the same error the
 * whole frame gives, without touching the parser's state; the writer must
 * rebuild the same header bytes; and unmasking in two pieces must equal a
 * byte-wise XOR. */
#include <string.h>

#include "tests/fuzz/fuzz_util.h"
#include "ws/ws_frame.h"
#include "ws/ws_mask.h"

static const uint64_t limits[] = {
    0, 1, 2, 125, 126, 127, 65535, 65536, 1u << 20, UINT64_MAX >> 1, UINT64_MAX,
};
#define N_LIMITS (sizeof limits / sizeof limits[0])

static int same_state(const ws_parser *a, const ws_parser *b)
{
    return a->in_message == b->in_message && a->message_opcode == b->message_opcode &&
           a->message_rsv1 == b->message_rsv1 && a->message_len == b->message_len;
}

/* The rules a returned frame must satisfy, restated from RFC 6455 §5. */
static void check_frame(const ws_parser *before, const ws_parser_opts *o, const ws_frame *f,
                        const uint8_t *buf, long r)
{
    FUZZ_CHECK(f->header_len >= 2 && f->header_len <= WS_FRAME_HEADER_MAX);
    FUZZ_CHECK((uint64_t)r == f->header_len + f->payload_len);
    FUZZ_CHECK(f->payload == buf + f->header_len);
    FUZZ_CHECK((f->rsv & ~o->rsv_allowed) == 0);
    FUZZ_CHECK(!ws_opcode_is_reserved(f->opcode));
    FUZZ_CHECK((f->payload_len >> 63) == 0);
    if (ws_opcode_is_control(f->opcode)) {
        FUZZ_CHECK(f->fin && f->payload_len <= 125 && !(f->rsv & WS_RSV1));
    } else if (f->opcode == WS_OP_CONT) {
        FUZZ_CHECK(before->in_message && !(f->rsv & WS_RSV1));
    } else {
        FUZZ_CHECK(!before->in_message && f->first);
    }
    if (o->peer == WS_PEER_CLIENT) FUZZ_CHECK(f->masked);
    if (o->peer == WS_PEER_SERVER) FUZZ_CHECK(!f->masked);
    if (o->max_frame) FUZZ_CHECK(f->payload_len <= o->max_frame);
}

/* The writer, asked for the same bits and the same length encoding, must
 * produce the header that was parsed. */
static void check_rewrite(const ws_frame *f, const uint8_t *buf)
{
    ws_frame_spec s;
    ws_frame_spec_default(&s, f->opcode, f->masked);
    s.fin = f->fin;
    s.rsv = f->rsv;
    memcpy(s.mask_key, f->mask_key, 4);
    uint8_t len7 = buf[1] & 0x7F;
    s.len_form = len7 == 127 ? 64 : len7 == 126 ? 16 : 7;
    uint8_t hdr[WS_FRAME_HEADER_MAX];
    FUZZ_CHECK(ws_frame_header_size(&s, f->payload_len) == f->header_len);
    FUZZ_CHECK(ws_frame_write_header(hdr, &s, f->payload_len) == f->header_len);
    FUZZ_CHECK(memcmp(hdr, buf, f->header_len) == 0);
}

/* ws_mask_apply in two pieces (the second at an offset) against a byte-wise XOR. */
static void check_unmask(const ws_frame *f, size_t split)
{
    size_t n = (size_t)f->payload_len;
    if (n == 0) return;
    uint8_t *a = malloc(n), *b = malloc(n);
    FUZZ_CHECK(a && b);
    memcpy(a, f->payload, n);
    for (size_t i = 0; i < n; i++) b[i] = f->payload[i] ^ f->mask_key[i % 4];
    split %= n + 1;
    ws_mask_apply(a, split, f->mask_key, 0);
    ws_mask_apply(a + split, n - split, f->mask_key, split);
    FUZZ_CHECK(memcmp(a, b, n) == 0);
    free(a);
    free(b);
}

/* Every prefix of the frame (up to its header plus a few bytes, then a few
 * longer ones) gives NEED_MORE or the whole frame's error, and leaves the
 * parser as it was. */
static void check_prefixes(const ws_parser *p, const uint8_t *buf, size_t len, long whole)
{
    size_t upto = whole > 0 ? (size_t)whole : len;
    for (size_t k = 0; k < upto; k++) {
        if (k > WS_FRAME_HEADER_MAX + 4 && k + 4 < upto && k % 61 != 0) continue;
        ws_parser q = *p;
        ws_frame f;
        long r = ws_parser_feed(&q, buf, k, &f);
        FUZZ_CHECK(r == WS_NEED_MORE || (whole < 0 && r == whole));
        FUZZ_CHECK(same_state(&q, p));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in in = {data, size};
    uint8_t o0 = fuzz_byte(&in);
    ws_parser_opts o = {
        .peer = (enum ws_peer)(o0 % 3),
        .rsv_allowed = (o0 >> 2) & 7,
        .max_frame = limits[fuzz_byte(&in) % N_LIMITS],
        .max_message = limits[fuzz_byte(&in) % N_LIMITS],
    };
    size_t split = fuzz_byte(&in);
    ws_parser p;
    ws_parser_init(&p, &o);

    const uint8_t *buf = in.p;
    size_t len = in.n;
    for (int frames = 0; frames < 64; frames++) {
        ws_parser before = p;
        ws_frame f;
        long r = ws_parser_feed(&p, buf, len, &f);
        check_prefixes(&before, buf, len, r);
        if (r <= 0) {
            FUZZ_CHECK(same_state(&p, &before));
            FUZZ_CHECK(ws_parse_strerror((int)r) != NULL);
            if (r < 0)
                FUZZ_CHECK(ws_parse_close_code((int)r) == 1002 ||
                           ws_parse_close_code((int)r) == 1009);
            if (r == WS_NEED_MORE && f.header_len)
                FUZZ_CHECK(len < f.header_len || f.payload_len > len - f.header_len);
            break;
        }
        FUZZ_CHECK((size_t)r <= len);
        check_frame(&before, &o, &f, buf, r);
        if (o.max_message && !ws_opcode_is_control(f.opcode))
            FUZZ_CHECK(p.message_len <= o.max_message);
        FUZZ_CHECK(p.in_message == (ws_opcode_is_control(f.opcode) ? before.in_message : !f.fin));
        check_rewrite(&f, buf);
        check_unmask(&f, split);
        buf += r;
        len -= (size_t)r;
    }
    return 0;
}
