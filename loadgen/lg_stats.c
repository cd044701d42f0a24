/* lg_stats: counters, error classes, mailboxes (see lg_stats.h). */
#include "loadgen/lg_stats.h"

#include <stdio.h>
#include <string.h>

static const char *const COUNTER_NAMES[LG_C_COUNT] = {
    "connect_attempts", "connected",  "opened",         "closed",     "sent",
    "received",         "bytes_sent", "bytes_received", "lost",       "duplicated",
    "reordered",        "corrupted",  "unexpected",     "behind",     "late_local",
    "skipped",          "pings",      "pongs",          "pings_lost",
};

static const char *const ERR_NAMES[LG_E_COUNT] = {
    "resolve",
    "refused",
    "connect_timeout",
    "reset",
    "unreachable",
    "tls",
    "handshake_timeout",
    "handshake_status",
    "handshake_invalid",
    "protocol_error",
    "close_received",
    "dropped",
    "read_timeout",
    "write_error",
    "write_timeout",
    "close_timeout",
    "script_timeout",
    "address",
    "other",
};

const char *lg_counter_name(int i)
{
    return i >= 0 && i < LG_C_COUNT ? COUNTER_NAMES[i] : "?";
}

const char *lg_err_name(int i)
{
    return i >= 0 && i < LG_E_COUNT ? ERR_NAMES[i] : "?";
}

uint64_t lg_err_total(const lg_counters *k)
{
    uint64_t n = 0;
    for (int i = 0; i < LG_E_COUNT; i++) n += k->err[i];
    return n;
}

void lg_code_add(lg_code_count *slots, uint32_t code, uint64_t n)
{
    /* The last slot takes every code that found no room (code 0 marks "others"
     * only once all other slots are taken). */
    for (int i = 0; i < LG_CODE_SLOTS - 1; i++) {
        if (slots[i].code == code && slots[i].n) {
            slots[i].n += n;
            return;
        }
        if (slots[i].n == 0) {
            slots[i].code = code;
            slots[i].n = n;
            return;
        }
    }
    slots[LG_CODE_SLOTS - 1].code = 0;
    slots[LG_CODE_SLOTS - 1].n += n;
}

void lg_counters_add(lg_counters *dst, const lg_counters *src)
{
    for (int i = 0; i < LG_C_COUNT; i++) dst->c[i] += src->c[i];
    for (int i = 0; i < LG_E_COUNT; i++) dst->err[i] += src->err[i];
    for (int i = 0; i < LG_CODE_SLOTS; i++) {
        if (src->close_codes[i].n)
            lg_code_add(dst->close_codes, src->close_codes[i].code, src->close_codes[i].n);
        if (src->http_status[i].n)
            lg_code_add(dst->http_status, src->http_status[i].code, src->http_status[i].n);
    }
    dst->open += src->open;
    dst->cpu_ns += src->cpu_ns;
}

void lg_counters_diff(lg_counters *dst, const lg_counters *a, const lg_counters *b)
{
    lg_counters r = *a;
    for (int i = 0; i < LG_C_COUNT; i++) r.c[i] = a->c[i] - b->c[i];
    for (int i = 0; i < LG_E_COUNT; i++) r.err[i] = a->err[i] - b->err[i];
    r.cpu_ns = a->cpu_ns - b->cpu_ns;
    *dst = r;
}

void lg_details_add(lg_err_details *d, int cls, const char *text)
{
    if (d->n[cls] >= LG_DETAILS) return;
    snprintf(d->text[cls][d->n[cls]++], LG_DETAIL_LEN, "%s", text);
}

void lg_details_merge(lg_err_details *dst, const lg_err_details *src)
{
    for (int c = 0; c < LG_E_COUNT; c++)
        for (int i = 0; i < src->n[c]; i++) lg_details_add(dst, c, src->text[c][i]);
}

int lg_mailbox_init(lg_mailbox *m)
{
    memset(m, 0, sizeof *m);
    m->lat = lg_hist_new();
    m->lag = lg_hist_new();
    if (!m->lat || !m->lag) {
        lg_hist_free(m->lat);
        lg_hist_free(m->lag);
        m->lat = m->lag = NULL;
        return -1;
    }
    pthread_mutex_init(&m->mu, NULL);
    return 0;
}

void lg_mailbox_free(lg_mailbox *m)
{
    if (!m->lat) return;
    pthread_mutex_destroy(&m->mu);
    lg_hist_free(m->lat);
    lg_hist_free(m->lag);
    m->lat = m->lag = NULL;
}

/* Moves the samples of from into to and empties from. */
static void move_samples(lg_hist *to, lg_hist *from)
{
    if (!lg_hist_total(from)) return;
    lg_hist_merge(to, from);
    lg_hist_reset(from);
}

void lg_mailbox_put(lg_mailbox *m, const lg_counters *k, const lg_hist *lat, const lg_hist *lag)
{
    pthread_mutex_lock(&m->mu);
    m->k = *k;
    lg_hist_merge(m->lat, lat);
    lg_hist_merge(m->lag, lag);
    pthread_mutex_unlock(&m->mu);
}

void lg_mailbox_take(lg_mailbox *m, lg_counters *k, lg_hist *lat, lg_hist *lag)
{
    pthread_mutex_lock(&m->mu);
    lg_counters_add(k, &m->k);
    move_samples(lat, m->lat);
    move_samples(lag, m->lag);
    pthread_mutex_unlock(&m->mu);
}
