/* lg_threshold: pass/fail gates on a load run (see lg_threshold.h). */
#include "loadgen/lg_threshold.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util_parse.h"

enum { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE };
static const char *const OPS[] = {"<", "<=", ">", ">=", "==", "!="};

enum kind { K_LATENCY, K_RATE, K_COUNT, K_PER_S };

struct metric {
    const char *name;
    enum kind kind;
};

static const struct metric METRICS[] = {
    {"p50", K_LATENCY},
    {"p90", K_LATENCY},
    {"p99", K_LATENCY},
    {"p999", K_LATENCY},
    {"max", K_LATENCY},
    {"mean", K_LATENCY},
    {"p50_uncorrected", K_LATENCY},
    {"p99_uncorrected", K_LATENCY},
    {"connect_p99", K_LATENCY},
    {"tls_p99", K_LATENCY},
    {"upgrade_p99", K_LATENCY},
    {"error_rate", K_RATE},
    {"loss_rate", K_RATE},
    {"errors", K_COUNT},
    {"lost", K_COUNT},
    {"duplicated", K_COUNT},
    {"reordered", K_COUNT},
    {"corrupted", K_COUNT},
    {"unexpected", K_COUNT},
    {"behind", K_COUNT},
    {"sent", K_COUNT},
    {"received", K_COUNT},
    {"opened", K_COUNT},
    {"pings_lost", K_COUNT},
    {"msgs_per_s", K_PER_S},
    {"sent_per_s", K_PER_S},
    {"handshakes_per_s", K_PER_S},
};

const char *lg_threshold_metrics(void)
{
    return "p50 p90 p99 p999 max mean p50_uncorrected p99_uncorrected connect_p99 tls_p99 "
           "upgrade_p99 error_rate loss_rate errors lost duplicated reordered corrupted "
           "unexpected behind sent received opened pings_lost msgs_per_s sent_per_s "
           "handshakes_per_s";
}

static const struct metric *find(const char *name)
{
    for (size_t i = 0; i < sizeof METRICS / sizeof METRICS[0]; i++)
        if (!strcmp(METRICS[i].name, name)) return &METRICS[i];
    return NULL;
}

int lg_threshold_parse(const char *expr, lg_threshold *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    const char *p = expr;
    while (isspace((unsigned char)*p)) p++;
    size_t n = 0;
    while ((isalnum((unsigned char)p[n]) || p[n] == '_') && n + 1 < sizeof t->metric) n++;
    memcpy(t->metric, p, n);
    t->metric[n] = 0;
    const struct metric *m = find(t->metric);
    if (!m) {
        snprintf(err, errlen, "threshold '%s': unknown metric '%s' (one of: %s)", expr, t->metric,
                 lg_threshold_metrics());
        return -1;
    }
    p += n;
    while (isspace((unsigned char)*p)) p++;
    static const int order[] = {OP_LE, OP_GE, OP_EQ, OP_NE, OP_LT, OP_GT}; /* longest first */
    t->op = -1;
    for (int i = 0; i < 6 && t->op < 0; i++)
        if (!strncmp(p, OPS[order[i]], strlen(OPS[order[i]]))) t->op = order[i];
    if (t->op < 0) {
        snprintf(err, errlen, "threshold '%s': expected one of < <= > >= == != after %s", expr,
                 t->metric);
        return -1;
    }
    p += strlen(OPS[t->op]);
    while (isspace((unsigned char)*p)) p++;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno || !isfinite(v)) {
        snprintf(err, errlen, "threshold '%s': no number after the operator", expr);
        return -1;
    }
    const char *number_end = end;
    while (isspace((unsigned char)*end)) end++;
    const char *unit = end;
    double mul = 1;
    if (m->kind == K_LATENCY) {
        /* The number as written, then its unit ("20 ms" -> "20ms"): a duration
         * whose bare number is in ms. */
        char text[128];
        int64_t ns;
        int n = snprintf(text, sizeof text, "%.*s%s", (int)(number_end - p), p, unit);
        if (n < 0 || (size_t)n >= sizeof text || util_parse_duration(text, UTIL_NS_PER_MS, &ns)) {
            snprintf(err, errlen,
                     "threshold '%s': '%s' is not a latency for %s (a non-negative number with "
                     "ns, us, ms, s, m or h; ms when bare)",
                     expr, p, t->metric);
            return -1;
        }
        v = (double)ns;
    } else if (m->kind == K_RATE) {
        if (!strcmp(unit, "%"))
            mul = 0.01;
        else if (*unit)
            unit = NULL;
    } else if (*unit) {
        unit = NULL;
    }
    if (!unit) {
        snprintf(err, errlen, "threshold '%s': unit '%s' does not fit %s (%s)", expr, end,
                 t->metric, m->kind == K_RATE ? "a fraction, or %" : "a plain number");
        return -1;
    }
    t->value = v * mul;
    return 0;
}

static double pct(const lg_hist *h, double p)
{
    return (double)lg_hist_percentile(h, p);
}

int lg_threshold_metric(const lg_result *r, const char *name, double *v)
{
    const uint64_t *c = r->total.c;
    double secs = r->measured_s > 0 ? r->measured_s : 1;
    double ops = (double)(c[LG_C_CONNECT_ATTEMPTS] + c[LG_C_SENT]);
    double errors = (double)lg_err_total(&r->total);
    if (!strcmp(name, "p50"))
        *v = pct(r->lat, 50);
    else if (!strcmp(name, "p90"))
        *v = pct(r->lat, 90);
    else if (!strcmp(name, "p99"))
        *v = pct(r->lat, 99);
    else if (!strcmp(name, "p999"))
        *v = pct(r->lat, 99.9);
    else if (!strcmp(name, "max"))
        *v = (double)r->lat->max * (lg_hist_total(r->lat) > 0);
    else if (!strcmp(name, "mean"))
        *v = lg_hist_mean(r->lat);
    else if (!strcmp(name, "p50_uncorrected"))
        *v = pct(r->lat_unc, 50);
    else if (!strcmp(name, "p99_uncorrected"))
        *v = pct(r->lat_unc, 99);
    else if (!strcmp(name, "connect_p99"))
        *v = pct(r->connect, 99);
    else if (!strcmp(name, "tls_p99"))
        *v = pct(r->tls, 99);
    else if (!strcmp(name, "upgrade_p99"))
        *v = pct(r->upgrade, 99);
    else if (!strcmp(name, "error_rate"))
        *v = ops > 0 ? errors / ops : 0;
    else if (!strcmp(name, "loss_rate"))
        *v = c[LG_C_SENT] ? (double)c[LG_C_LOST] / (double)c[LG_C_SENT] : 0;
    else if (!strcmp(name, "errors"))
        *v = errors;
    else if (!strcmp(name, "lost"))
        *v = (double)c[LG_C_LOST];
    else if (!strcmp(name, "duplicated"))
        *v = (double)c[LG_C_DUPLICATED];
    else if (!strcmp(name, "reordered"))
        *v = (double)c[LG_C_REORDERED];
    else if (!strcmp(name, "corrupted"))
        *v = (double)c[LG_C_CORRUPTED];
    else if (!strcmp(name, "unexpected"))
        *v = (double)c[LG_C_UNEXPECTED];
    else if (!strcmp(name, "behind"))
        *v = (double)c[LG_C_BEHIND];
    else if (!strcmp(name, "sent"))
        *v = (double)c[LG_C_SENT];
    else if (!strcmp(name, "received"))
        *v = (double)c[LG_C_RECEIVED];
    else if (!strcmp(name, "opened"))
        *v = (double)c[LG_C_OPENED];
    else if (!strcmp(name, "pings_lost"))
        *v = (double)c[LG_C_PINGS_LOST];
    else if (!strcmp(name, "msgs_per_s"))
        *v = (double)r->window.c[LG_C_RECEIVED] / secs;
    else if (!strcmp(name, "sent_per_s"))
        *v = (double)r->window.c[LG_C_SENT] / secs;
    else if (!strcmp(name, "handshakes_per_s"))
        *v = (double)r->window.c[LG_C_OPENED] / secs;
    else
        return -1;
    return 0;
}

static void format_value(char *out, size_t cap, enum kind k, double v)
{
    if (k == K_LATENCY) {
        if (v >= 1e9)
            snprintf(out, cap, "%.3g s", v / 1e9);
        else if (v >= 1e6)
            snprintf(out, cap, "%.4g ms", v / 1e6);
        else
            snprintf(out, cap, "%.4g us", v / 1e3);
    } else if (k == K_RATE) {
        snprintf(out, cap, "%.4g%%", v * 100);
    } else {
        snprintf(out, cap, "%.10g", v);
    }
}

void lg_threshold_eval(const lg_threshold *t, const lg_result *r, const char *expr,
                       lg_threshold_result *out)
{
    const struct metric *m = find(t->metric);
    double v = 0;
    lg_threshold_metric(r, t->metric, &v);
    bool pass = false;
    switch (t->op) {
    case OP_LT:
        pass = v < t->value;
        break;
    case OP_LE:
        pass = v <= t->value;
        break;
    case OP_GT:
        pass = v > t->value;
        break;
    case OP_GE:
        pass = v >= t->value;
        break;
    case OP_EQ:
        pass = v == t->value;
        break;
    case OP_NE:
        pass = v != t->value;
        break;
    }
    char a[40], b[40];
    format_value(a, sizeof a, m ? m->kind : K_COUNT, v);
    format_value(b, sizeof b, m ? m->kind : K_COUNT, t->value);
    out->expr = expr;
    out->actual = v;
    out->pass = pass;
    snprintf(out->text, sizeof out->text, "%s = %s, wanted %s %s", t->metric, a, OPS[t->op], b);
}
