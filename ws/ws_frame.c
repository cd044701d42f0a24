/* ws_frame: RFC 6455 §5.2 framing, parse and write (see ws_frame.h).
 *
 * The parser checks rules in the order of the header bytes they need (byte 0,
 * byte 1, the extended length, the mask key), so whatever prefix of a frame
 * it is given, it answers either "need more" or the same error the whole
 * frame would give. That, and touching parser state only when a whole frame
 * is returned, is what makes any split of a stream parse the same. */
#include "ws/ws_frame.h"

#include <string.h>

#include "ws/ws_mask.h"

void ws_parser_init(ws_parser *p, const ws_parser_opts *opts)
{
    memset(p, 0, sizeof(*p));
    if (opts) p->opts = *opts;
}

bool ws_opcode_is_control(uint8_t opcode)
{
    return (opcode & 0x8) != 0;
}

bool ws_opcode_is_reserved(uint8_t opcode)
{
    opcode &= 0xF;
    return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xB;
}

/* Rules visible in byte 0: RSV bits, opcode, and how the frame fits the
 * message in progress. */
static int check_byte0(const ws_parser *p, uint8_t b0)
{
    bool fin = (b0 & 0x80) != 0;
    uint8_t rsv = (b0 >> 4) & 7;
    uint8_t op = b0 & 0xF;

    if (rsv & ~p->opts.rsv_allowed) return WS_E_RSV;
    if (ws_opcode_is_reserved(op)) return WS_E_OPCODE;
    if (op & 0x8) {
        if (!fin) return WS_E_CONTROL_FRAGMENTED;
        if (rsv & WS_RSV1) return WS_E_RSV1_NOT_FIRST;
        return 0;
    }
    if (op == WS_OP_CONT) {
        if (!p->in_message) return WS_E_CONT_NO_MESSAGE;
        if (rsv & WS_RSV1) return WS_E_RSV1_NOT_FIRST;
        return 0;
    }
    if (p->in_message) return WS_E_DATA_IN_MESSAGE;
    return 0;
}

/* The rule visible in byte 1: the mask bit against the sender's role. */
static int check_byte1(const ws_parser *p, uint8_t b1)
{
    bool masked = (b1 & 0x80) != 0;
    if (p->opts.peer == WS_PEER_CLIENT && !masked) return WS_E_MASK_REQUIRED;
    if (p->opts.peer == WS_PEER_SERVER && masked) return WS_E_MASK_FORBIDDEN;
    return 0;
}

/* Rules on the decoded length; nothing has been sized from it yet. A control
 * frame is judged on its length, not its encoding: 126 followed by 00 05 is a
 * non-minimal but legal 5. */
static int check_length(const ws_parser *p, uint8_t op, uint64_t n)
{
    if (n >> 63) return WS_E_LEN_MSB;
    if ((op & 0x8) && n > 125) return WS_E_CONTROL_TOO_LONG;
    if (p->opts.max_frame && n > p->opts.max_frame) return WS_E_FRAME_TOO_BIG;
    if (p->opts.max_message && !(op & 0x8)) {
        uint64_t so_far = op == WS_OP_CONT ? p->message_len : 0;
        if (so_far > p->opts.max_message || n > p->opts.max_message - so_far)
            return WS_E_MESSAGE_TOO_BIG;
    }
    return 0;
}

static uint64_t read_be(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | b[i];
    return v;
}

long ws_parser_feed(ws_parser *p, const uint8_t *buf, size_t len, ws_frame *f)
{
    f->header_len = 0;
    f->payload_len = 0;
    f->payload = NULL;
    if (len < 1) return WS_NEED_MORE;

    uint8_t b0 = buf[0];
    uint8_t op = b0 & 0xF;
    f->fin = (b0 & 0x80) != 0;
    f->rsv = (b0 >> 4) & 7;
    f->opcode = op;
    f->first = op == WS_OP_TEXT || op == WS_OP_BINARY;
    int err = check_byte0(p, b0);
    if (err) return err;
    if (len < 2) return WS_NEED_MORE;

    uint8_t b1 = buf[1];
    f->masked = (b1 & 0x80) != 0;
    err = check_byte1(p, b1);
    if (err) return err;

    uint8_t len7 = b1 & 0x7F;
    int ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (len < 2 + (size_t)ext) return WS_NEED_MORE;
    uint64_t n = ext ? read_be(buf + 2, ext) : len7;
    err = check_length(p, op, n);
    if (err) return err;

    /* The length is known and acceptable: tell the caller how much to wait for. */
    size_t hdr = 2 + (size_t)ext + (f->masked ? 4 : 0);
    f->header_len = (uint8_t)hdr;
    f->payload_len = n;
    if (len < hdr || n > len - hdr) return WS_NEED_MORE;

    if (f->masked)
        memcpy(f->mask_key, buf + 2 + ext, 4);
    else
        memset(f->mask_key, 0, 4);
    f->payload = buf + hdr;

    if (f->first) {
        p->in_message = !f->fin;
        p->message_opcode = op;
        p->message_rsv1 = (f->rsv & WS_RSV1) != 0;
        p->message_len = n;
    } else if (op == WS_OP_CONT) {
        p->in_message = !f->fin;
        p->message_len += n;
    }
    /* hdr + n <= len, and a buffer that big fits in memory, so in a long. */
    return (long)(hdr + n);
}

const char *ws_parse_strerror(int status)
{
    if (status > 0) return "a whole frame";
    switch (status) {
    case WS_NEED_MORE:
        return "need more bytes for a whole frame";
    case WS_E_RSV:
        return "RSV bit set that no negotiated extension defines (RFC 6455 §5.2)";
    case WS_E_OPCODE:
        return "reserved opcode 0x3-0x7 or 0xB-0xF (RFC 6455 §5.2)";
    case WS_E_CONTROL_TOO_LONG:
        return "control frame payload longer than 125 bytes (RFC 6455 §5.5)";
    case WS_E_CONTROL_FRAGMENTED:
        return "control frame with FIN clear: control frames must not be fragmented "
               "(RFC 6455 §5.5)";
    case WS_E_LEN_MSB:
        return "64-bit payload length with the most significant bit set (RFC 6455 §5.2)";
    case WS_E_MASK_REQUIRED:
        return "frame from the client is not masked (RFC 6455 §5.1)";
    case WS_E_MASK_FORBIDDEN:
        return "frame from the server is masked (RFC 6455 §5.1)";
    case WS_E_FRAME_TOO_BIG:
        return "frame payload over the configured limit (RFC 6455 §7.4.1, 1009)";
    case WS_E_MESSAGE_TOO_BIG:
        return "message over the configured limit (RFC 6455 §7.4.1, 1009)";
    case WS_E_CONT_NO_MESSAGE:
        return "continuation frame with no fragmented message in progress (RFC 6455 §5.4)";
    case WS_E_DATA_IN_MESSAGE:
        return "new text or binary frame before the fragmented message ended (RFC 6455 §5.4)";
    case WS_E_RSV1_NOT_FIRST:
        return "RSV1 set on a continuation or control frame (RFC 7692 §6.1)";
    }
    return "unknown frame parse error";
}

uint16_t ws_parse_close_code(int status)
{
    if (status >= 0) return 0;
    if (status == WS_E_FRAME_TOO_BIG || status == WS_E_MESSAGE_TOO_BIG) return 1009;
    return 1002;
}

const char *ws_opcode_name(uint8_t opcode)
{
    static const char *const names[16] = {
        "cont",  "text", "binary", "op-3", "op-4", "op-5", "op-6", "op-7",
        "close", "ping", "pong",   "op-B", "op-C", "op-D", "op-E", "op-F",
    };
    return names[opcode & 0xF];
}

void ws_frame_spec_default(ws_frame_spec *s, uint8_t opcode, bool masked)
{
    memset(s, 0, sizeof(*s));
    s->fin = true;
    s->opcode = opcode;
    s->mask = masked;
}

/* The length field form for a value: 7, 16 or 64, or 0 if the caller forced a
 * form too small for it or one that does not exist. */
static int length_form(const ws_frame_spec *s, uint64_t n)
{
    switch (s->len_form) {
    case 0:
        return n <= 125 ? 7 : n <= 0xFFFF ? 16 : 64;
    case 7:
        return n <= 125 ? 7 : 0;
    case 16:
        return n <= 0xFFFF ? 16 : 0;
    case 64:
        return 64;
    }
    return 0;
}

size_t ws_frame_header_size(const ws_frame_spec *s, uint64_t payload_len)
{
    uint64_t n = s->declare_len ? s->declared_len : payload_len;
    int form = length_form(s, n);
    if (!form) return 0;
    return 2 + (form == 16 ? 2 : form == 64 ? 8 : 0) + (s->mask ? 4 : 0);
}

size_t ws_frame_write_header(uint8_t *out, const ws_frame_spec *s, uint64_t payload_len)
{
    uint64_t n = s->declare_len ? s->declared_len : payload_len;
    int form = length_form(s, n);
    if (!form) return 0;

    out[0] = (uint8_t)((s->fin ? 0x80 : 0) | (s->rsv & 7) << 4 | (s->opcode & 0xF));
    uint8_t mask_bit = s->mask ? 0x80 : 0;
    size_t i = 2;
    if (form == 7) {
        out[1] = (uint8_t)(mask_bit | n);
    } else if (form == 16) {
        out[1] = mask_bit | 126;
        out[2] = (uint8_t)(n >> 8);
        out[3] = (uint8_t)n;
        i = 4;
    } else {
        out[1] = mask_bit | 127;
        for (int b = 0; b < 8; b++) out[2 + b] = (uint8_t)(n >> (56 - 8 * b));
        i = 10;
    }
    if (s->mask) {
        memcpy(out + i, s->mask_key, 4);
        i += 4;
    }
    return i;
}

size_t ws_frame_write(uint8_t *out, size_t cap, const ws_frame_spec *s, const uint8_t *payload,
                      size_t payload_len)
{
    size_t hdr = ws_frame_header_size(s, payload_len);
    if (!hdr || cap < hdr || payload_len > cap - hdr) return 0;
    /* memmove: the payload may already sit in out, even at out + hdr. */
    if (payload_len && payload != out + hdr) memmove(out + hdr, payload, payload_len);
    ws_frame_write_header(out, s, payload_len);
    if (s->mask) ws_mask_apply(out + hdr, payload_len, s->mask_key, 0);
    return hdr + payload_len;
}
