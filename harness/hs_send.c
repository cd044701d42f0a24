/* hs_send: frames out, and the echo register. */
#include "harness/hs_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hs_conn.h"
#include "harness/hs_wire.h"
#include "ws/ws_mask.h"

static int remember_sent(hs_session *s, const hs_sent *m)
{
    if (s->n_sent == s->cap_sent) {
        size_t cap = s->cap_sent ? s->cap_sent * 2 : 16;
        hs_sent *n = realloc(s->sent, cap * sizeof *n);
        if (!n) return -1;
        s->sent = n;
        s->cap_sent = cap;
    }
    s->sent[s->n_sent++] = *m;
    return 0;
}

/* The echo register: whole data messages as the server should see them. */
static void track_outgoing(hs_session *s, uint8_t op, bool fin, const uint8_t *p, size_t n)
{
    if (op == WS_OP_TEXT || op == WS_OP_BINARY) {
        s->out_in_msg = true;
        memset(&s->out_cur, 0, sizeof s->out_cur);
        s->out_cur.op = op;
        s->out_cur.hash = HS_HASH_INIT;
    } else if (op != WS_OP_CONT || !s->out_in_msg) {
        return;
    }
    if (s->out_cur.len < HS_PREVIEW) {
        size_t k = HS_PREVIEW - s->out_cur.len < n ? HS_PREVIEW - (size_t)s->out_cur.len : n;
        if (k) memcpy(s->out_cur.preview + s->out_cur.len, p, k);
        s->out_cur.preview_len = (size_t)s->out_cur.len + k;
    }
    s->out_cur.hash = hs_hash(s->out_cur.hash, p, n);
    s->out_cur.len += n;
    if (fin) {
        s->out_in_msg = false;
        remember_sent(s, &s->out_cur);
    }
}

static int write_frame(hs_session *s, const hs_send *f, ws_frame_spec *spec, const uint8_t *p,
                       size_t n, const uint8_t *shown, size_t shown_n, ws_buf *collect)
{
    if (spec->mask) {
        if (f->mask_mode == HS_MASK_KEY)
            memcpy(spec->mask_key, f->key, 4);
        else if (ws_mask_key_random(spec->mask_key) != 0)
            return -1;
    }
    size_t cap = n + WS_FRAME_HEADER_MAX;
    uint8_t *buf = malloc(cap);
    if (!buf) return -1;
    size_t len = ws_frame_write(buf, cap, spec, p, n);
    hs_wire_frame(&s->r->wire, '>', spec->fin, spec->rsv, spec->opcode, spec->mask,
                  spec->declare_len ? spec->declared_len : n, shown, shown_n);
    int rc;
    if (collect)
        rc = ws_buf_append(collect, buf, len);
    else
        rc = hs_conn_write_chopped(s, buf, len, f->chop, f->delay_ms);
    free(buf);
    return rc;
}

/* The payload with every "{i}" replaced by the repeat's iteration. */
static uint8_t *payload_with_i(const hs_payload *p, int64_t iter, size_t *len)
{
    size_t n;
    uint8_t *b = hs_payload_make(p, &n);
    if (!b) return NULL;
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)iter);
    uint8_t *out = hs_bytes_subst(b, n, "{i}", num, len);
    free(b);
    return out;
}

/* One send step (or an early frame, collected into `collect` instead of
 * written). 0, or -1 when the connection is gone or the case must stop. */
int hs_send_message(hs_session *s, const hs_send *f, ws_buf *collect)
{
    size_t plain_n;
    uint8_t *plain = f->subst_i && s->iter >= 0 ? payload_with_i(&f->payload, s->iter, &plain_n)
                                                : hs_payload_make(&f->payload, &plain_n);
    if (!plain) {
        hs_sess_judge(s, HS_FAILED, "out of memory building a %llu-byte payload",
                      (unsigned long long)hs_payload_size(&f->payload));
        return -1;
    }
    ws_buf z;
    ws_buf_init(&z, 0);
    const uint8_t *wire = plain;
    size_t wire_n = plain_n;
    int rc = 0;
    for (uint32_t rep = 0; rep < f->count && rc == 0; rep++) {
        if (f->compress) {
            if (!s->pmd) {
                hs_sess_judge(s, HS_UNIMPLEMENTED,
                              "the case compresses, but permessage-deflate was not negotiated");
                s->stop = true;
                rc = -1;
                break;
            }
            ws_buf_reset(&z);
            if (ws_pmd_compress(s->pmd, plain, plain_n, &z) != WS_PMD_OK) {
                hs_sess_judge(s, HS_FAILED, "cannot compress the payload");
                rc = -1;
                break;
            }
            wire = z.data ? z.data : (const uint8_t *)"";
            wire_n = z.len;
        }
        size_t piece = f->fragment ? (size_t)f->fragment : (wire_n ? wire_n : 1);
        size_t nframes = f->fragment && wire_n ? (wire_n + piece - 1) / piece : 1;
        for (size_t k = 0; k < nframes && rc == 0; k++) {
            size_t off = k * piece;
            size_t len = wire_n - off < piece ? wire_n - off : piece;
            ws_frame_spec spec;
            ws_frame_spec_default(&spec, k == 0 ? f->opcode : WS_OP_CONT,
                                  f->mask_mode != HS_MASK_NONE);
            spec.fin = k + 1 == nframes ? f->fin : false;
            uint8_t rsv = f->rsv_given ? f->rsv : (f->compress ? WS_RSV1 : 0);
            uint8_t cont =
                f->cont_rsv_given ? f->cont_rsv : (uint8_t)(f->compress ? rsv & ~WS_RSV1 : rsv);
            spec.rsv = k == 0 ? rsv : cont;
            spec.len_form = f->len_form;
            if (f->declare_len && nframes == 1) {
                spec.declare_len = true;
                spec.declared_len = f->declared_len;
            }
            /* The log shows what the frame means: uncompressed bytes. */
            const uint8_t *shown = f->compress ? plain : wire + off;
            size_t shown_n = f->compress ? plain_n : len;
            rc = write_frame(s, f, &spec, wire + off, len, shown, shown_n, collect);
        }
        track_outgoing(s, f->opcode, f->fin, plain, plain_n);
        if (f->opcode == WS_OP_CLOSE) s->close_sent = true;
        if (f->delay_ms && rep + 1 < f->count) hs_conn_sleep_reading(s, f->delay_ms);
    }
    ws_buf_free(&z);
    free(plain);
    return rc;
}

int hs_send_close(hs_session *s, int code, const hs_payload *reason)
{
    size_t rn = 0;
    uint8_t *r = reason ? hs_payload_make(reason, &rn) : NULL;
    uint8_t p[125];
    size_t n = 0;
    if (code >= 0) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        n = 2;
        if (r && rn) {
            if (rn > 123) rn = 123;
            memcpy(p + 2, r, rn);
            n += rn;
        }
    }
    free(r);
    s->close_sent = true;
    s->close_sent_code = code >= 0 ? (uint16_t)code : 1005;
    return hs_conn_send_control(s, WS_OP_CLOSE, p, n);
}
