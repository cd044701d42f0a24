/* lg_report: JSON report, summary table, progress line (see lg_report.h). */
#include "loadgen/lg_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli/version.h"

const char *lg_report_latency_name(const lg_opts *o)
{
    switch (o->scenario) {
    case LG_SC_IDLE:
        return "ping round trip";
    case LG_SC_CHURN:
        return "connect to open (TCP + TLS + upgrade)";
    case LG_SC_BROADCAST:
        return "fan-out: publish to delivery";
    case LG_SC_SCRIPT:
        return "send to expected reply";
    default:
        return o->rate > 0 ? "echo round trip from the intended send time" : "echo round trip";
    }
}

static double us(uint64_t ns)
{
    return (double)ns / 1e3;
}

static cJSON *percentiles(const lg_hist *h)
{
    cJSON *j = cJSON_CreateObject();
    uint64_t n = lg_hist_total(h);
    cJSON_AddNumberToObject(j, "count", (double)n);
    cJSON_AddNumberToObject(j, "min_us", n ? us(h->min) : 0);
    cJSON_AddNumberToObject(j, "mean_us", lg_hist_mean(h) / 1e3);
    cJSON_AddNumberToObject(j, "p50_us", us(lg_hist_percentile(h, 50)));
    cJSON_AddNumberToObject(j, "p90_us", us(lg_hist_percentile(h, 90)));
    cJSON_AddNumberToObject(j, "p99_us", us(lg_hist_percentile(h, 99)));
    cJSON_AddNumberToObject(j, "p999_us", us(lg_hist_percentile(h, 99.9)));
    cJSON_AddNumberToObject(j, "max_us", n ? us(h->max) : 0);
    return j;
}

static void add_counters(cJSON *j, const lg_counters *k)
{
    for (int i = 0; i < LG_C_COUNT; i++)
        cJSON_AddNumberToObject(j, lg_counter_name(i), (double)k->c[i]);
}

static cJSON *codes(const lg_code_count *slots)
{
    cJSON *j = cJSON_CreateObject();
    for (int i = 0; i < LG_CODE_SLOTS; i++) {
        if (!slots[i].n) continue;
        char name[16];
        if (slots[i].code)
            snprintf(name, sizeof name, "%u", slots[i].code);
        else
            snprintf(name, sizeof name, "%s", i == LG_CODE_SLOTS - 1 ? "other" : "none");
        cJSON_AddNumberToObject(j, name, (double)slots[i].n);
    }
    return j;
}

static cJSON *errors_json(const lg_result *r)
{
    const lg_counters *k = &r->total;
    cJSON *j = cJSON_CreateObject();
    uint64_t total = lg_err_total(k);
    double ops = (double)(k->c[LG_C_CONNECT_ATTEMPTS] + k->c[LG_C_SENT]);
    cJSON_AddNumberToObject(j, "total", (double)total);
    cJSON_AddNumberToObject(j, "rate", ops > 0 ? (double)total / ops : 0);
    cJSON *by = cJSON_AddObjectToObject(j, "by_class");
    for (int i = 0; i < LG_E_COUNT; i++)
        if (k->err[i]) cJSON_AddNumberToObject(by, lg_err_name(i), (double)k->err[i]);
    cJSON_AddItemToObject(j, "close_codes", codes(k->close_codes));
    cJSON_AddItemToObject(j, "handshake_status", codes(k->http_status));
    cJSON *det = cJSON_AddObjectToObject(j, "details");
    for (int i = 0; i < LG_E_COUNT; i++) {
        if (!r->det.n[i]) continue;
        cJSON *a = cJSON_AddArrayToObject(det, lg_err_name(i));
        for (int d = 0; d < r->det.n[i]; d++)
            cJSON_AddItemToArray(a, cJSON_CreateString(r->det.text[i][d]));
    }
    return j;
}

static cJSON *config_json(const lg_opts *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "scenario", lg_scenario_name(o->scenario));
    cJSON_AddNumberToObject(j, "connections", o->connections);
    cJSON_AddNumberToObject(j, "threads", o->threads);
    cJSON_AddNumberToObject(j, "duration_s", (double)o->duration_ns / 1e9);
    cJSON_AddNumberToObject(j, "warmup_s", (double)o->warmup_ns / 1e9);
    cJSON_AddNumberToObject(j, "messages", (double)o->messages);
    cJSON_AddNumberToObject(j, "inflight", o->inflight);
    cJSON_AddNumberToObject(j, "rate", o->rate);
    cJSON_AddStringToObject(j, "loop", o->rate > 0 ? "open" : "closed");
    cJSON_AddNumberToObject(j, "size_min", (double)o->size_min);
    cJSON_AddNumberToObject(j, "size_max", (double)o->size_max);
    cJSON_AddBoolToObject(j, "binary", o->binary);
    cJSON_AddBoolToObject(j, "deflate", o->deflate);
    cJSON_AddNumberToObject(j, "connect_rate", o->connect_rate);
    cJSON_AddBoolToObject(j, "reconnect", o->reconnect);
    cJSON_AddNumberToObject(j, "source_ips", o->n_sources);
    cJSON_AddNumberToObject(j, "senders", o->senders);
    cJSON_AddNumberToObject(j, "id_base", o->id_base);
    if (o->subprotocol) cJSON_AddStringToObject(j, "subprotocol", o->subprotocol);
    cJSON *st = cJSON_AddArrayToObject(j, "stages");
    for (int i = 0; i < o->n_stages; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddNumberToObject(s, "duration_s", (double)o->stages[i].dur_ns / 1e9);
        cJSON_AddNumberToObject(s, "target", o->stages[i].target);
        cJSON_AddItemToArray(st, s);
    }
    return j;
}

static cJSON *series_json(const lg_result *r)
{
    cJSON *a = cJSON_CreateArray();
    lg_counters zero;
    memset(&zero, 0, sizeof zero);
    for (size_t i = 0; i < r->n_series; i++) {
        const lg_second *s = &r->series[i];
        const lg_counters *prev = i ? &r->series[i - 1].k : &zero;
        lg_counters d;
        lg_counters_diff(&d, &s->k, prev);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "t", s->t);
        cJSON_AddBoolToObject(j, "warmup", s->warmup);
        cJSON_AddNumberToObject(j, "open", (double)s->k.open);
        add_counters(j, &d);
        cJSON_AddNumberToObject(j, "errors", (double)lg_err_total(&d));
        cJSON *e = cJSON_AddObjectToObject(j, "errors_by_class");
        for (int c = 0; c < LG_E_COUNT; c++)
            if (d.err[c]) cJSON_AddNumberToObject(e, lg_err_name(c), (double)d.err[c]);
        cJSON_AddNumberToObject(j, "latency_count", (double)s->lat_count);
        cJSON_AddNumberToObject(j, "p50_us", us(s->p50));
        cJSON_AddNumberToObject(j, "p90_us", us(s->p90));
        cJSON_AddNumberToObject(j, "p99_us", us(s->p99));
        cJSON_AddNumberToObject(j, "p999_us", us(s->p999));
        cJSON_AddNumberToObject(j, "max_us", us(s->max));
        cJSON_AddNumberToObject(j, "cpu_busy_max", s->cpu_busy_max);
        cJSON_AddNumberToObject(j, "send_lag_count", (double)s->lag_count);
        cJSON_AddNumberToObject(j, "send_lag_p50_us", us(s->lag_p50));
        cJSON_AddNumberToObject(j, "send_lag_p99_us", us(s->lag_p99));
        cJSON_AddNumberToObject(j, "send_lag_max_us", us(s->lag_max));
        cJSON_AddItemToArray(a, j);
    }
    return a;
}

cJSON *lg_report_json(const lg_result *r)
{
    const lg_opts *o = r->o;
    const uint64_t *c = r->total.c, *wc = r->window.c;
    double secs = r->measured_s > 0 ? r->measured_s : 1;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "wsprobe-load/1");
    cJSON_AddStringToObject(j, "tool", "wsprobe " WSPROBE_VERSION);
    cJSON_AddStringToObject(j, "kind", "load");
    cJSON_AddStringToObject(j, "target", o->url_text);
    cJSON_AddStringToObject(j, "started_at", r->started_at);
    cJSON_AddStringToObject(j, "host", r->host);
    cJSON_AddNumberToObject(j, "started_unix_s", r->started_unix_s);
    if (o->shard_count) {
        cJSON *sh = cJSON_AddObjectToObject(j, "shard");
        cJSON_AddNumberToObject(sh, "index", o->shard_index);
        cJSON_AddNumberToObject(sh, "count", o->shard_count);
    }
    if (o->start_at_ns) cJSON_AddNumberToObject(j, "start_at_unix_s", (double)o->start_at_ns / 1e9);
    cJSON_AddItemToObject(j, "config", config_json(o));

    cJSON *s = cJSON_AddObjectToObject(j, "summary");
    cJSON_AddNumberToObject(s, "elapsed_s", r->elapsed_s);
    cJSON_AddNumberToObject(s, "measured_s", r->measured_s);
    cJSON_AddBoolToObject(s, "interrupted", r->interrupted);
    cJSON_AddNumberToObject(s, "exit_code", r->exit_code);
    cJSON *cn = cJSON_AddObjectToObject(s, "connections");
    cJSON_AddNumberToObject(cn, "attempts", (double)c[LG_C_CONNECT_ATTEMPTS]);
    cJSON_AddNumberToObject(cn, "connected", (double)c[LG_C_CONNECTED]);
    cJSON_AddNumberToObject(cn, "opened", (double)c[LG_C_OPENED]);
    cJSON_AddNumberToObject(cn, "closed", (double)c[LG_C_CLOSED]);
    cJSON_AddNumberToObject(cn, "peak_open", (double)r->peak_open);
    cJSON_AddNumberToObject(cn, "handshakes_per_s", (double)wc[LG_C_OPENED] / secs);
    cJSON *m = cJSON_AddObjectToObject(s, "messages");
    cJSON_AddNumberToObject(m, "sent", (double)c[LG_C_SENT]);
    cJSON_AddNumberToObject(m, "received", (double)c[LG_C_RECEIVED]);
    cJSON_AddNumberToObject(m, "in_flight_at_stop", (double)r->in_flight_at_stop);
    cJSON_AddNumberToObject(m, "lost", (double)c[LG_C_LOST]);
    cJSON_AddNumberToObject(m, "duplicated", (double)c[LG_C_DUPLICATED]);
    cJSON_AddNumberToObject(m, "reordered", (double)c[LG_C_REORDERED]);
    cJSON_AddNumberToObject(m, "corrupted", (double)c[LG_C_CORRUPTED]);
    cJSON_AddNumberToObject(m, "unexpected", (double)c[LG_C_UNEXPECTED]);
    cJSON_AddNumberToObject(m, "bytes_sent", (double)c[LG_C_BYTES_SENT]);
    cJSON_AddNumberToObject(m, "bytes_received", (double)c[LG_C_BYTES_RECEIVED]);
    cJSON_AddNumberToObject(m, "pings", (double)c[LG_C_PINGS]);
    cJSON_AddNumberToObject(m, "pongs", (double)c[LG_C_PONGS]);
    cJSON_AddNumberToObject(m, "pings_lost", (double)c[LG_C_PINGS_LOST]);
    cJSON *rt = cJSON_AddObjectToObject(s, "rate");
    cJSON_AddStringToObject(rt, "loop", o->rate > 0 ? "open" : "closed");
    cJSON_AddNumberToObject(rt, "target_msgs_per_s", o->rate);
    cJSON_AddNumberToObject(rt, "sent_per_s", (double)wc[LG_C_SENT] / secs);
    cJSON_AddNumberToObject(rt, "received_per_s", (double)wc[LG_C_RECEIVED] / secs);
    cJSON_AddNumberToObject(rt, "behind", (double)c[LG_C_BEHIND]);
    cJSON_AddNumberToObject(rt, "late_local", (double)c[LG_C_LATE_LOCAL]);
    cJSON_AddNumberToObject(rt, "skipped", (double)c[LG_C_SKIPPED]);
    cJSON *lat = cJSON_AddObjectToObject(s, "latency");
    cJSON_AddStringToObject(lat, "measures", lg_report_latency_name(o));
    cJSON_AddItemToObject(lat, "corrected", percentiles(r->lat));
    cJSON_AddItemToObject(lat, "uncorrected", percentiles(r->lat_unc));
    cJSON_AddItemToObject(lat, "connect", percentiles(r->connect));
    cJSON_AddItemToObject(lat, "tls", percentiles(r->tls));
    cJSON_AddItemToObject(lat, "upgrade", percentiles(r->upgrade));
    if (r->send_lag) cJSON_AddItemToObject(lat, "send_lag", percentiles(r->send_lag));
    cJSON_AddItemToObject(s, "errors", errors_json(r));
    cJSON *in = cJSON_AddObjectToObject(s, "integrity");
    cJSON_AddNumberToObject(in, "connections_with_problems", (double)r->n_bad_total);
    cJSON *bad = cJSON_AddArrayToObject(in, "connections");
    for (size_t i = 0; i < r->n_bad; i++) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddNumberToObject(b, "id", r->bad[i].id);
        cJSON_AddNumberToObject(b, "lost", r->bad[i].lost);
        cJSON_AddNumberToObject(b, "duplicated", r->bad[i].duplicated);
        cJSON_AddNumberToObject(b, "reordered", r->bad[i].reordered);
        cJSON_AddNumberToObject(b, "corrupted", r->bad[i].corrupted);
        cJSON_AddItemToArray(bad, b);
    }
    cJSON *g = cJSON_AddObjectToObject(s, "generator");
    cJSON_AddNumberToObject(g, "cpu_user_s", r->cpu_user_s);
    cJSON_AddNumberToObject(g, "cpu_sys_s", r->cpu_sys_s);
    double msgs = (double)(c[LG_C_SENT] + c[LG_C_RECEIVED]);
    cJSON_AddNumberToObject(g, "cpu_s_per_million_msgs",
                            msgs > 0 ? (r->cpu_user_s + r->cpu_sys_s) / (msgs / 2) * 1e6 : 0);
    cJSON_AddNumberToObject(g, "peak_rss_kb", (double)r->peak_rss_kb);
    cJSON_AddNumberToObject(g, "busiest_worker_cpu", r->busy_max);
    cJSON_AddBoolToObject(g, "bottleneck", r->bottleneck);
    cJSON *notes = cJSON_AddArrayToObject(g, "notes");
    for (int i = 0; i < r->n_notes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));

    cJSON *th = cJSON_AddArrayToObject(j, "thresholds");
    for (int i = 0; i < r->n_th; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "expr", r->th[i].expr);
        cJSON_AddNumberToObject(t, "actual", r->th[i].actual);
        cJSON_AddBoolToObject(t, "pass", r->th[i].pass);
        cJSON_AddStringToObject(t, "text", r->th[i].text);
        cJSON_AddItemToArray(th, t);
    }
    cJSON_AddItemToObject(j, "series", series_json(r));
    cJSON *h = cJSON_AddObjectToObject(j, "histograms");
    cJSON_AddItemToObject(h, "latency", lg_hist_to_json(r->lat));
    cJSON_AddItemToObject(h, "latency_uncorrected", lg_hist_to_json(r->lat_unc));
    cJSON_AddItemToObject(h, "connect", lg_hist_to_json(r->connect));
    cJSON_AddItemToObject(h, "tls", lg_hist_to_json(r->tls));
    cJSON_AddItemToObject(h, "upgrade", lg_hist_to_json(r->upgrade));
    if (r->send_lag) cJSON_AddItemToObject(h, "send_lag", lg_hist_to_json(r->send_lag));
    return j;
}

int lg_report_write(const char *dir, const cJSON *j, char *err, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return -1;
    }
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/report.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char *text = cJSON_Print(j);
    FILE *f = text ? fopen(tmp, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    free(text);
    /* Written aside then renamed, so a reader never sees half a report. */
    if (!ok || rename(tmp, path) < 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static void fmt_lat(char *out, size_t cap, uint64_t ns)
{
    if (ns >= 10000000000ull)
        snprintf(out, cap, "%.1f s", (double)ns / 1e9);
    else if (ns >= 1000000)
        snprintf(out, cap, "%.2f ms", (double)ns / 1e6);
    else
        snprintf(out, cap, "%.1f us", (double)ns / 1e3);
}

static void lat_row(FILE *out, const char *name, const lg_hist *h)
{
    if (!lg_hist_total(h)) return;
    char a[24], b[24], c[24], d[24], e[24];
    fmt_lat(a, sizeof a, lg_hist_percentile(h, 50));
    fmt_lat(b, sizeof b, lg_hist_percentile(h, 90));
    fmt_lat(c, sizeof c, lg_hist_percentile(h, 99));
    fmt_lat(d, sizeof d, lg_hist_percentile(h, 99.9));
    fmt_lat(e, sizeof e, h->max);
    fprintf(out, "  %-12s %10s %10s %10s %10s %10s  (%llu)\n", name, a, b, c, d, e,
            (unsigned long long)lg_hist_total(h));
}

void lg_report_summary(FILE *out, const lg_result *r)
{
    const lg_opts *o = r->o;
    const uint64_t *c = r->total.c, *wc = r->window.c;
    double secs = r->measured_s > 0 ? r->measured_s : 1;
    char shard[48] = "";
    if (o->shard_count)
        snprintf(shard, sizeof shard, " (shard %u/%u)", o->shard_index, o->shard_count);
    fprintf(out, "\nwsprobe load %s%s: %s, %u connections, %d threads, %.1f s measured%s\n",
            o->url_text, shard, lg_scenario_name(o->scenario), o->connections, o->threads,
            r->measured_s, r->interrupted ? " (interrupted)" : "");
    fprintf(out, "  connections  attempts %llu, opened %llu, closed %llu, peak open %llu\n",
            (unsigned long long)c[LG_C_CONNECT_ATTEMPTS], (unsigned long long)c[LG_C_OPENED],
            (unsigned long long)c[LG_C_CLOSED], (unsigned long long)r->peak_open);
    fprintf(out, "  messages     sent %llu, received %llu, in flight at stop %llu\n",
            (unsigned long long)c[LG_C_SENT], (unsigned long long)c[LG_C_RECEIVED],
            (unsigned long long)r->in_flight_at_stop);
    fprintf(out, "  rate         %.0f msgs/s sent, %.0f msgs/s received",
            (double)wc[LG_C_SENT] / secs, (double)wc[LG_C_RECEIVED] / secs);
    if (o->rate > 0)
        fprintf(out, " (target %.0f; %llu sends behind schedule)", o->rate,
                (unsigned long long)c[LG_C_BEHIND]);
    if (o->scenario == LG_SC_CHURN)
        fprintf(out, ", %.0f handshakes/s", (double)wc[LG_C_OPENED] / secs);
    fprintf(out, "\n  integrity    lost %llu, duplicated %llu, reordered %llu, corrupted %llu\n",
            (unsigned long long)c[LG_C_LOST], (unsigned long long)c[LG_C_DUPLICATED],
            (unsigned long long)c[LG_C_REORDERED], (unsigned long long)c[LG_C_CORRUPTED]);
    fprintf(out, "  latency      %s\n", lg_report_latency_name(o));
    fprintf(out, "  %-12s %10s %10s %10s %10s %10s\n", "", "p50", "p90", "p99", "p99.9", "max");
    lat_row(out, o->rate > 0 ? "corrected" : "latency", r->lat);
    if (o->rate > 0) lat_row(out, "uncorrected", r->lat_unc);
    if (o->rate > 0 && r->send_lag) lat_row(out, "send lag", r->send_lag);
    lat_row(out, "connect", r->connect);
    lat_row(out, "tls", r->tls);
    lat_row(out, "upgrade", r->upgrade);
    uint64_t errs = lg_err_total(&r->total);
    fprintf(out, "  errors       %llu", (unsigned long long)errs);
    for (int i = 0; i < LG_E_COUNT; i++)
        if (r->total.err[i])
            fprintf(out, "%s%s %llu", i ? ", " : ": ", lg_err_name(i),
                    (unsigned long long)r->total.err[i]);
    fprintf(out, "\n");
    for (int i = 0; i < LG_E_COUNT; i++)
        if (r->det.n[i]) fprintf(out, "    %-17s e.g. %s\n", lg_err_name(i), r->det.text[i][0]);
    fprintf(
        out,
        "  generator    cpu %.2f s user + %.2f s sys, peak RSS %ld KiB, busiest worker %.0f%%\n",
        r->cpu_user_s, r->cpu_sys_s, r->peak_rss_kb, r->busy_max * 100);
    for (int i = 0; i < r->n_notes; i++) fprintf(out, "  note: %s\n", r->notes[i]);
    for (int i = 0; i < r->n_th; i++)
        fprintf(out, "  threshold    %-4s %s (%s)\n", r->th[i].pass ? "ok" : "MISS", r->th[i].expr,
                r->th[i].text);
}

void lg_report_progress(FILE *out, const lg_second *s, const lg_second *prev, bool tty)
{
    lg_counters d;
    lg_counters zero;
    memset(&zero, 0, sizeof zero);
    lg_counters_diff(&d, &s->k, prev ? &prev->k : &zero);
    char p50[24], p99[24];
    fmt_lat(p50, sizeof p50, s->p50);
    fmt_lat(p99, sizeof p99, s->p99);
    fprintf(out, "%s[%5.0fs] open %llu  sent %llu/s  recv %llu/s  p50 %s  p99 %s  errors %llu%s%s",
            tty ? "\r\033[K" : "", s->t, (unsigned long long)s->k.open,
            (unsigned long long)d.c[LG_C_SENT], (unsigned long long)d.c[LG_C_RECEIVED], p50, p99,
            (unsigned long long)lg_err_total(&s->k), s->warmup ? "  (warm-up)" : "",
            tty ? "" : "\n");
    fflush(out);
}
