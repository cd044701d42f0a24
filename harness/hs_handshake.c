/* hs_handshake: request out, response head in, upgrade checked. */
#include "harness/hs_handshake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/hs_conn.h"
#include "harness/hs_send.h"
#include "harness/hs_wire.h"
#include "ws/ws_ext.h"
#include "ws/ws_handshake.h"

/* A 101 is always checked: accept key, Upgrade/Connection, subprotocol and
 * extensions against what was offered. Sets s->open or s->hs_error. */
static void check_upgrade(hs_session *s)
{
    ws_client_hs_opts o = {0};
    ws_client_hs_result res;
    o.subprotocols = s->req.subprotocols[0] ? s->req.subprotocols : NULL;
    ws_ext offers[8];
    size_t n_offers = 0;
    if (s->req.extensions[0])
        ws_ext_parse(s->req.extensions, strlen(s->req.extensions), offers, 8, &n_offers);
    int rc = -1;
    bool any_pmd = false;
    for (size_t i = 0; i < n_offers && rc != 0; i++) {
        const char *err;
        if (!ws_ext_name_is(&offers[i], "permessage-deflate")) continue;
        if (ws_pmd_from_ext(&offers[i], true, &o.deflate_offer, &err) != 0) continue;
        any_pmd = true;
        o.deflate = true;
        rc = ws_handshake_client_check(&s->head, s->req.key, &o, &res);
    }
    if (!any_pmd) {
        o.deflate = false;
        rc = ws_handshake_client_check(&s->head, s->req.key, &o, &res);
    }
    if (rc != 0) {
        char esc[280];
        hs_escape((const uint8_t *)res.error, strlen(res.error), esc, sizeof esc);
        snprintf(s->hs_error, sizeof s->hs_error, "handshake: %s", esc);
        return;
    }
    s->open = true;
    ws_parser_opts po = {.peer = WS_PEER_SERVER, .max_frame = s->max_message, .max_message = 0};
    /* A message's size is counted as it arrives (message_bytes), so one over
     * max_message becomes an event; only a single frame over it, which could
     * not be held, is a parse error. */
    if (res.deflate) {
        /* Our own offer binds us even when the response leaves the hint out
         * (RFC 7692 §7.1.1.2, §7.1.2.2): no context takeover, window <= N. */
        ws_pmd_params agreed = res.pmd;
        if (o.deflate_offer.client_no_context_takeover) agreed.client_no_context_takeover = true;
        int offered_bits = o.deflate_offer.client_max_window_bits;
        if (offered_bits >= 8 &&
            (agreed.client_max_window_bits <= 0 || agreed.client_max_window_bits > offered_bits))
            agreed.client_max_window_bits = offered_bits;
        s->pmd = ws_pmd_new(false, &agreed, -1);
        if (!s->pmd) {
            snprintf(s->hs_error, sizeof s->hs_error, "out of memory for permessage-deflate");
            s->open = false;
            return;
        }
        po.rsv_allowed = WS_RSV1;
    }
    ws_parser_init(&s->parser, &po);
}

static void keep_response(hs_session *s, long head_len)
{
    s->resp_copy = malloc((size_t)head_len + 1);
    if (!s->resp_copy) return;
    memcpy(s->resp_copy, s->rx.data, (size_t)head_len);
    s->resp_copy[head_len] = 0;
    s->head.headers = s->hdrs;
    s->head.max_headers = HS_MAX_HEADERS;
    ws_http_parse_response(s->resp_copy, (size_t)head_len, &s->head, HS_HEAD_MAX);
    hs_wire_response(&s->r->wire, s->resp_copy, (size_t)head_len);
    s->have_response = true;
    s->r->http_status = s->head.status;
    const ws_http_header *sv = ws_http_find(&s->head, "Server", 0);
    if (sv)
        hs_escape((const uint8_t *)sv->value, sv->value_len, s->r->server_agent,
                  sizeof s->r->server_agent);
    ws_buf_consume(&s->rx, (size_t)head_len);
}

/* Sends the request and waits for the response head until `until`. */
void hs_handshake_run(hs_session *s, const hs_handshake *h, int64_t until)
{
    char err[200];
    if (hs_request_build(h, s->o, &s->req, err, sizeof err) != 0) {
        hs_sess_judge(s, HS_FAILED, "%s", err);
        s->stop = true;
        return;
    }
    hs_wire_request(&s->r->wire, s->req.bytes, s->req.len);
    ws_buf out;
    ws_buf_init(&out, 0);
    int rc = ws_buf_append(&out, s->req.bytes, s->req.len);
    for (size_t i = 0; h && i < h->n_early && rc == 0; i++)
        rc = hs_send_message(s, &h->early[i], &out);
    if (rc == 0)
        rc = hs_conn_write_chopped(s, out.data, out.len, h ? h->chop : 0, h ? h->delay_ms : 0);
    ws_buf_free(&out);
    if (rc != 0 && !s->eof) {
        hs_sess_judge(s, HS_FAILED, "handshake: could not send the request");
        s->stop = true;
        return;
    }
    while (!s->have_response) {
        if (s->rx.len) {
            s->head.headers = s->hdrs;
            s->head.max_headers = HS_MAX_HEADERS;
            long n =
                ws_http_parse_response((const char *)s->rx.data, s->rx.len, &s->head, HS_HEAD_MAX);
            if (n > 0) {
                keep_response(s, n);
                break;
            }
            if (n != WS_HTTP_NEED_MORE) {
                char esc[64];
                hs_escape(s->rx.data, s->rx.len < 16 ? s->rx.len : 16, esc, sizeof esc);
                hs_wire_response(&s->r->wire, (const char *)s->rx.data, s->rx.len);
                snprintf(s->hs_error, sizeof s->hs_error, "handshake: bad response (%s): \"%s\"",
                         ws_http_strerror(n), esc);
                /* no response event will come: an expectation waiting for one
                 * would only spin on unread bytes until its deadline */
                s->stop = true;
                return;
            }
        }
        if (s->eof) {
            hs_event ev = {.kind = HS_EV_DROP, .t_ms = net_now_ms()};
            hs_sess_push_event(s, &ev);
            return;
        }
        if (net_now_ms() >= until || hs_sess_cut_passed(s)) return;
        hs_conn_pump(s, until);
    }
    if (s->head.status == 101) check_upgrade(s);
    s->r->upgraded = s->open;
    hs_event ev = {.kind = HS_EV_RESPONSE, .t_ms = net_now_ms(), .head = &s->head};
    hs_sess_push_event(s, &ev);
    if (s->open && s->rx.len) hs_conn_parse_frames(s); /* frames that came with the response */
}
