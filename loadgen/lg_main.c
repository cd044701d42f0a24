/* lg_main: `wsprobe load`, from options to exit status.
 *
 * Owns: setting a run up (resolving, file descriptor limits, port capacity,
 * TLS context, handshake options), starting the workers, acting as the
 * reporter thread (gathers each worker's mailbox once a second into the time
 * series and the live line), Ctrl-C, and assembling the result: summary,
 * thresholds, the generator's own CPU use, and the report. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/commands.h"
#include "loadgen/lg_cli.h"
#include "loadgen/lg_report.h"
#include "loadgen/lg_scenario.h"
#include "loadgen/lg_threshold.h"
#include "loadgen/lg_worker.h"
#include "net/net.h"
#include "reports/rp_write.h"
#include "util/util_host.h"
#include "util/util_time.h"

/* A per-second median send lag this large, and twice what it was early in
 * the run, is the generator falling behind its schedule. The median, because
 * a busy machine delays a few sends by milliseconds (a worker descheduled)
 * without the generator being short of CPU; when it is, every send is late
 * and later each second. */
#define LG_LAG_GROWN_NS 10000000

static lg_run *volatile g_run;
static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (++g_signals > 1) _exit(130); /* a second Ctrl-C: leave at once */
    if (g_run) atomic_store(&g_run->stop, 1);
}

static void sleep_until(int64_t t)
{
    struct timespec ts = {t / 1000000000, t % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* Makes room for the connections' descriptors, or says why it cannot. */
static int raise_nofile(uint32_t conns, int threads, char *err, size_t errlen)
{
    rlim_t need = (rlim_t)conns + 64 + (rlim_t)threads * 4;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return 0;
    if (rl.rlim_cur >= need) return 0;
    if (rl.rlim_max < need) {
        struct rlimit want = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) return 0;
        snprintf(err, errlen,
                 "%u connections need %llu file descriptors, but the hard limit is %llu: "
                 "raise it (ulimit -Hn, limits.conf) or use fewer connections",
                 conns, (unsigned long long)need, (unsigned long long)rl.rlim_max);
        return -1;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        snprintf(err, errlen, "cannot raise the file descriptor limit to %llu: %s",
                 (unsigned long long)need, strerror(errno));
        return -1;
    }
    return 0;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Ports of ip_local_reserved_ports ("8080,9000-9010") inside [lo, hi]: the
 * kernel never picks them as ephemeral ports. */
static long reserved_in(long lo, long hi)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_reserved_ports", "r");
    char line[4096] = "";
    if (!f) return 0;
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    long n = 0;
    for (char *save = NULL, *tok = strtok_r(line, ",\n", &save); tok;
         tok = strtok_r(NULL, ",\n", &save)) {
        long a, b;
        int k = sscanf(tok, "%ld-%ld", &a, &b);
        if (k < 1) continue;
        if (k == 1) b = a;
        if (a < lo) a = lo;
        if (b > hi) b = hi;
        if (b >= a) n += b - a + 1;
    }
    return n;
}

/* One source address reaches one target through the ephemeral port range,
 * less the reserved ports. With --source-ips the run says what that allows. */
static int check_ports(const lg_opts *o, char *err, size_t errlen)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    long lo = 32768, hi = 60999;
    if (f) {
        if (fscanf(f, "%ld %ld", &lo, &hi) != 2) lo = 32768, hi = 60999;
        fclose(f);
    }
    long reserved = reserved_in(lo, hi);
    uint64_t per = (uint64_t)(hi - lo + 1 - reserved);
    uint64_t addrs = o->n_sources ? (uint64_t)o->n_sources : 1;
    if (o->n_sources)
        fprintf(stderr,
                "wsprobe load: %llu source address%s x %llu ports each (ephemeral %ld-%ld, %ld "
                "reserved) = %llu connections toward one target; this run opens %u\n",
                (unsigned long long)addrs, addrs == 1 ? "" : "es", (unsigned long long)per, lo, hi,
                reserved, (unsigned long long)(per * addrs), o->connections);
    if (o->connections <= per * addrs) return 0;
    if (per == 0) {
        snprintf(err, errlen, "no ephemeral ports: %ld-%ld are all reserved", lo, hi);
        return -1;
    }
    snprintf(err, errlen,
             "%u connections do not fit: one source address has %llu ephemeral ports toward "
             "one target, so %llu addresses are needed (e.g. --source-ips 127.0.0.1-127.0.0.%llu)",
             o->connections, (unsigned long long)per,
             (unsigned long long)((o->connections + per - 1) / per),
             (unsigned long long)((o->connections + per - 1) / per));
    return -1;
}

/* Sleeps until --start-at on the wall clock (CLOCK_REALTIME, so machines kept
 * in step by NTP start together). 0, 1 when interrupted, -1 too late. */
static int wait_start(const lg_opts *o, char *err, size_t errlen)
{
    int64_t at = o->start_at_ns, now = wall_ns();
    if (now > at + 1000000000) {
        snprintf(err, errlen, "--start-at: the start time passed %.1f s ago",
                 (double)(now - at) / 1e9);
        return -1;
    }
    if (now < at) {
        char when[40];
        util_time_iso8601(at / 1000000, false, when, sizeof when);
        char shard[48] = "";
        if (o->shard_count)
            snprintf(shard, sizeof shard, "shard %u/%u ", o->shard_index, o->shard_count);
        fprintf(stderr, "wsprobe load: %swaiting %.1f s for the start at %s\n", shard,
                (double)(at - now) / 1e9, when);
    }
    struct timespec ts = {at / 1000000000, at % 1000000000};
    while (!g_signals && clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    return g_signals ? 1 : 0;
}

typedef struct reporter {
    lg_run *run;
    lg_worker *ws;
    lg_second *series;
    size_t n, cap;
    lg_counters agg;
    lg_hist *sec, *lag_sec;
    uint64_t *cpu_prev;
    int64_t t_prev;
    int progress; /* 0 off, 1 plain lines, 2 TTY */
} reporter;

static void collect(reporter *rp, int64_t now)
{
    lg_run *run = rp->run;
    lg_counters all;
    memset(&all, 0, sizeof all);
    int64_t from = rp->t_prev;
    double busy = 0, dt = (double)(now - from) / 1e9;
    for (int i = 0; i < run->nworkers; i++) {
        lg_counters k;
        memset(&k, 0, sizeof k);
        lg_mailbox_take(&rp->ws[i].box, &k, rp->sec, rp->lag_sec);
        if (k.cpu_ns == 0) k.cpu_ns = rp->cpu_prev[i]; /* nothing published yet */
        double b = dt > 0 ? (double)(k.cpu_ns - rp->cpu_prev[i]) / 1e9 / dt : 0;
        if (b > busy) busy = b;
        rp->cpu_prev[i] = k.cpu_ns;
        lg_counters_add(&all, &k);
    }
    rp->t_prev = now;
    if (rp->n == rp->cap) {
        size_t cap = rp->cap ? rp->cap * 2 : 64;
        lg_second *s = realloc(rp->series, cap * sizeof *s);
        if (!s) return;
        rp->series = s;
        rp->cap = cap;
    }
    lg_second *s = &rp->series[rp->n++];
    memset(s, 0, sizeof *s);
    s->t = (double)(now - run->epoch) / 1e9;
    /* A second that began in the warm-up is a warm-up second: with --warmup 1s
     * the first gathering (at 1.05 s) is almost all warm-up. */
    s->warmup = from < run->warm_end;
    s->k = all;
    s->lat_count = lg_hist_total(rp->sec);
    s->p50 = lg_hist_percentile(rp->sec, 50);
    s->p90 = lg_hist_percentile(rp->sec, 90);
    s->p99 = lg_hist_percentile(rp->sec, 99);
    s->p999 = lg_hist_percentile(rp->sec, 99.9);
    s->max = s->lat_count ? rp->sec->max : 0;
    s->cpu_busy_max = busy > 1 ? 1 : busy;
    s->lag_count = lg_hist_total(rp->lag_sec);
    s->lag_p50 = lg_hist_percentile(rp->lag_sec, 50);
    s->lag_p99 = lg_hist_percentile(rp->lag_sec, 99);
    s->lag_max = s->lag_count ? rp->lag_sec->max : 0;
    lg_hist_reset(rp->sec);
    lg_hist_reset(rp->lag_sec);
    if (rp->progress) lg_report_progress(stderr, s, rp->n > 1 ? s - 1 : NULL, rp->progress == 2);
}

/* The main thread is the reporter: once a second, a little after the workers
 * have published, it gathers their mailboxes. */
static void report_loop(reporter *rp)
{
    lg_run *run = rp->run;
    rp->t_prev = run->epoch;
    for (int64_t sec = 1;; sec++) {
        int64_t at = run->epoch + sec * 1000000000 + 50000000;
        while (net_now_ns() < at && atomic_load(&run->finished) < run->nworkers) {
            int64_t step = net_now_ns() + 20000000;
            sleep_until(step < at ? step : at);
        }
        if (atomic_load(&run->finished) >= run->nworkers) break;
        collect(rp, net_now_ns());
    }
}

static void add_note(lg_result *r, const char *fmt, double a, double b)
{
    if (r->n_notes >= LG_MAX_NOTES) return;
    snprintf(r->notes[r->n_notes++], sizeof r->notes[0], fmt, a, b);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (reorders v). */
static uint64_t median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return v[n / 2];
}

/* Whether the open loop's send lag kept growing over the measured seconds:
 * the generator fell further and further behind its own schedule (a server
 * cannot cause that: sends its window held back are not in the lag). *from and
 * *to: the per-second median lag of the first and the last third (the median
 * of each third's seconds), in ns. */
static bool send_lag_growing(const lg_second *series, size_t n, uint64_t *from, uint64_t *to)
{
    uint64_t *p = malloc((n ? n : 1) * sizeof *p);
    size_t m = 0;
    for (size_t i = 0; p && i < n; i++)
        if (!series[i].warmup && series[i].lag_count) p[m++] = series[i].lag_p50;
    bool grew = false;
    if (m >= 3) {
        size_t third = m / 3;
        *from = median(p, third);
        *to = median(p + m - third, third);
        grew = *to >= LG_LAG_GROWN_NS && *to >= 2 * *from;
    }
    free(p);
    return grew;
}

static void assemble(lg_result *r, lg_run *run, lg_worker *ws, reporter *rp, int64_t t_end)
{
    const lg_opts *o = run->o;
    lg_counters warm, stop;
    memset(&warm, 0, sizeof warm);
    memset(&stop, 0, sizeof stop);
    int64_t t_stop = run->epoch;
    for (int i = 0; i < run->nworkers; i++) {
        lg_worker *w = &ws[i];
        lg_counters_add(&r->total, &w->k);
        lg_counters_add(&warm, &w->at_warm);
        lg_counters_add(&stop, &w->at_stop);
        lg_hist_merge(r->lat, w->lat);
        lg_hist_merge(r->lat_unc, w->unc_differs ? w->lat_unc : w->lat);
        lg_hist_merge(r->send_lag, w->lag);
        lg_hist_merge(r->connect, w->connect);
        lg_hist_merge(r->tls, w->tls);
        lg_hist_merge(r->upgrade, w->upgrade);
        lg_details_merge(&r->det, &w->det);
        r->peak_open += w->peak_open;
        r->in_flight_at_stop += w->inflight_at_stop;
        if (w->t_stop > t_stop) t_stop = w->t_stop;
        for (uint32_t k = 0; k < w->n; k++) {
            const lg_conn *c = &w->conns[k];
            if (!(c->lost | c->duplicated | c->reordered | c->corrupted)) continue;
            r->n_bad_total++;
            if (r->n_bad < LG_MAX_BAD_CONNS)
                r->bad[r->n_bad++] =
                    (lg_conn_integrity){c->id, c->lost, c->duplicated, c->reordered, c->corrupted};
        }
    }
    int64_t from = run->warm_end < t_stop ? run->warm_end : t_stop;
    lg_counters_diff(&r->window, &stop, &warm);
    r->measured_s = (double)(t_stop - from) / 1e9;
    r->elapsed_s = (double)(t_end - run->epoch) / 1e9;
    r->series = rp->series;
    r->n_series = rp->n;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->cpu_user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    r->cpu_sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    r->peak_rss_kb = peak_rss_kb();
    for (size_t i = 0; i < rp->n; i++)
        if (!rp->series[i].warmup && rp->series[i].cpu_busy_max > r->busy_max)
            r->busy_max = rp->series[i].cpu_busy_max;

    /* Self-awareness: say when the numbers describe the generator. */
    double cpu = r->cpu_user_s + r->cpu_sys_s, secs = r->measured_s > 0 ? r->measured_s : 1;
    if (r->busy_max >= 0.9) {
        r->bottleneck = true;
        add_note(r,
                 "a worker thread was at %.0f%% CPU: the generator may have been the "
                 "bottleneck (more --threads or more machines)%.0s",
                 r->busy_max * 100, 0);
    }
    const uint64_t *c = r->total.c;
    if (o->rate > 0 && c[LG_C_LATE_LOCAL] > c[LG_C_SENT] / 100 + 10) {
        r->bottleneck = true;
        add_note(r, "%.0f sends (%.1f%%) left late because the generator was busy",
                 (double)c[LG_C_LATE_LOCAL],
                 c[LG_C_SENT] ? 100.0 * (double)c[LG_C_LATE_LOCAL] / (double)c[LG_C_SENT] : 0);
    }
    uint64_t lag_from = 0, lag_to = 0;
    if (o->rate > 0 && send_lag_growing(rp->series, rp->n, &lag_from, &lag_to)) {
        r->bottleneck = true;
        add_note(r,
                 "the send lag grew from %.0f us to %.0f us (median per second): the generator "
                 "fell further and further behind its schedule",
                 (double)lag_from / 1e3, (double)lag_to / 1e3);
    }
    if (o->rate > 0 && (double)r->window.c[LG_C_SENT] / secs < 0.95 * o->rate)
        add_note(r, "achieved %.0f msgs/s of the %.0f targeted (see behind/skipped)",
                 (double)r->window.c[LG_C_SENT] / secs, o->rate);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* Under a second, start-up (e.g. loading the trust store) is most of it. */
    if (cores > 0 && r->elapsed_s >= 1 &&
        cpu / r->elapsed_s > 0.9 * (double)(cores < o->threads ? cores : o->threads) &&
        !r->bottleneck) {
        r->bottleneck = true;
        add_note(r, "the generator used %.1f CPU seconds per second on %.0f cores",
                 cpu / r->elapsed_s, (double)cores);
    }
}

int load_main(int argc, char **argv)
{
    char err[600];
    lg_opts *o = calloc(1, sizeof *o);
    if (!o) return 2;
    int rc = lg_cli_parse(argc, argv, o, err, sizeof err);
    if (rc == LG_CLI_HELP) {
        lg_cli_usage(stdout);
        free(o);
        return 0;
    }
    if (rc != LG_CLI_OK) {
        fprintf(stderr, "wsprobe load: %s\n(wsprobe load --help lists the options)\n", err);
        free(o);
        return 2;
    }
    int code = 2;
    lg_threshold th[LG_MAX_THRESHOLDS];
    lg_script script = {0};
    lg_run run;
    memset(&run, 0, sizeof run);
    run.o = o;
    lg_worker *ws = NULL;
    int started = 0;
    reporter rp;
    memset(&rp, 0, sizeof rp);
    lg_result *res = calloc(1, sizeof *res);
    if (!res) goto out;
    for (int i = 0; i < o->n_thresholds; i++)
        if (lg_threshold_parse(o->thresholds[i], &th[i], err, sizeof err)) goto usage;
    if (o->script_path && lg_script_load(o->script_path, &script, err, sizeof err)) goto usage;
    run.script = &script;
    if (net_resolve(o->url.host, o->url.port, &run.addr, &run.addr_len, err, sizeof err)) {
        fprintf(stderr, "wsprobe load: %s\n", err);
        code = 3;
        goto out;
    }
    for (int i = 0; i < o->n_sources; i++) {
        if (o->sources[i].ss_family != run.addr.ss_family) {
            snprintf(err, sizeof err, "--source-ips: every address must be IPv%d like the target",
                     run.addr.ss_family == AF_INET ? 4 : 6);
            goto usage;
        }
        /* an address this host does not have would fail every connection */
        char why[200];
        if (net_source_check((const struct sockaddr *)&o->sources[i], o->source_lens[i], why,
                             sizeof why)) {
            snprintf(err, sizeof err, "--source-ips: %s (is it an address of this host?)", why);
            goto usage;
        }
    }
    if (check_ports(o, err, sizeof err) ||
        raise_nofile(o->connections, o->threads, err, sizeof err))
        goto usage;
    if (o->url.tls) {
        net_tls_opts t = {.cacert = o->cacert, .insecure = o->insecure};
        run.tls = net_tls_client_ctx(&t, err, sizeof err);
        if (!run.tls) goto usage;
    }
    run.hs.origin = o->origin;
    run.hs.subprotocols = o->subprotocol;
    run.hs.deflate = o->deflate;
    run.hs.deflate_offer.client_max_window_bits = -1;
    run.hs.extra_headers = o->headers;
    run.hs.n_extra_headers = o->n_headers;
    run.nworkers = o->threads;
    ws = calloc((size_t)run.nworkers, sizeof *ws);
    rp.cpu_prev = calloc((size_t)run.nworkers, sizeof *rp.cpu_prev);
    rp.sec = lg_hist_new();
    rp.lag_sec = lg_hist_new();
    res->lat = lg_hist_new();
    res->lat_unc = lg_hist_new();
    res->send_lag = lg_hist_new();
    res->connect = lg_hist_new();
    res->tls = lg_hist_new();
    res->upgrade = lg_hist_new();
    if (!ws || !rp.cpu_prev || !rp.sec || !rp.lag_sec || !res->lat || !res->lat_unc ||
        !res->send_lag || !res->connect || !res->tls || !res->upgrade) {
        snprintf(err, sizeof err, "out of memory");
        goto usage;
    }
    for (int i = 0; i < run.nworkers; i++)
        if (lg_worker_init(&ws[i], &run, i)) {
            snprintf(err, sizeof err, "worker %d: %s", i, ws[i].err);
            goto usage;
        }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_run = &run;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (o->start_at_ns) {
        int w = wait_start(o, err, sizeof err);
        if (w < 0) goto usage;
        if (w > 0) {
            fprintf(stderr, "wsprobe load: interrupted before the start time\n");
            code = 130;
            goto out;
        }
    }

    int64_t wall = wall_ns();
    util_time_iso8601(wall / 1000000, false, res->started_at, sizeof res->started_at);
    res->started_unix_s = (double)wall / 1e9;
    util_hostname(res->host, sizeof res->host);

    run.epoch = net_now_ns();
    run.end = o->duration_ns ? run.epoch + o->duration_ns : 0;
    run.warm_end = run.epoch + o->warmup_ns;
    for (; started < run.nworkers; started++)
        if (pthread_create(&ws[started].tid, NULL, lg_worker_main, &ws[started]) != 0) {
            atomic_store(&run.stop, 1);
            break;
        }
    rp.run = &run;
    rp.ws = ws;
    /* On a terminal one line rewrites itself; elsewhere (a log, a pipe, a CI
     * job) a plain line each second. */
    rp.progress = o->progress == 0 ? 0 : isatty(2) ? 2 : 1;
    atomic_fetch_add(&run.finished, run.nworkers - started); /* threads that never ran */
    report_loop(&rp);
    for (int i = 0; i < started; i++) pthread_join(ws[i].tid, NULL);
    int64_t t_end = net_now_ns();
    collect(&rp, t_end); /* the last, partial second */
    if (rp.progress == 2) fprintf(stderr, "\n");

    res->o = o;
    res->interrupted = atomic_load(&run.stop) != 0;
    assemble(res, &run, ws, &rp, t_end);
    int missed = 0;
    for (int i = 0; i < o->n_thresholds; i++) {
        lg_threshold_eval(&th[i], res, o->thresholds[i], &res->th[i]);
        missed += !res->th[i].pass;
    }
    res->n_th = o->n_thresholds;
    uint64_t unreachable = res->total.err[LG_E_REFUSED] + res->total.err[LG_E_CONNECT_TIMEOUT] +
                           res->total.err[LG_E_UNREACHABLE] + res->total.err[LG_E_RESOLVE];
    /* A certificate that is never accepted makes the target as unreachable
     * as a refused port: nothing could be measured. */
    bool tls_only = res->total.c[LG_C_OPENED] == 0 && res->total.err[LG_E_TLS] > 0;
    bool no_tcp = res->total.c[LG_C_CONNECTED] == 0 && unreachable > 0;
    code = res->interrupted ? 130 : missed ? 1 : no_tcp || tls_only ? 3 : 0;
    res->exit_code = code;
    lg_report_summary(o->json ? stderr : stdout, res);
    if (missed) {
        fprintf(stderr, "wsprobe load: %d threshold(s) missed:", missed);
        for (int i = 0; i < res->n_th; i++)
            if (!res->th[i].pass) fprintf(stderr, " '%s' (%s)", res->th[i].expr, res->th[i].text);
        fprintf(stderr, "\n");
    }
    if (code == 3 && !no_tcp)
        fprintf(stderr, "wsprobe load: target unreachable: no TLS session was established (%s)\n",
                res->det.n[LG_E_TLS] ? res->det.text[LG_E_TLS][0] : "TLS failed");
    else if (code == 3)
        fprintf(stderr, "wsprobe load: target unreachable: no connection was made\n");
    cJSON *j = (o->json || o->report_dir) ? lg_report_json(res) : NULL;
    if (o->json && j) {
        char *text = cJSON_Print(j);
        if (text) printf("%s\n", text);
        free(text);
    }
    if (o->report_dir && j) {
        if (lg_report_write(o->report_dir, j, err, sizeof err) < 0 ||
            rp_write_dir(o->report_dir, err, sizeof err) != 0) {
            fprintf(stderr, "wsprobe load: %s\n", err);
            if (code == 0) code = 2;
        } else {
            fprintf(stderr, "wsprobe load: report written to %s/report.json\n", o->report_dir);
        }
    }
    cJSON_Delete(j);
    goto out;
usage:
    fprintf(stderr, "wsprobe load: %s\n", err);
    code = 2;
out:
    g_run = NULL;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (int i = 0; ws && i < run.nworkers; i++) lg_worker_free(&ws[i]);
    free(ws);
    free(rp.cpu_prev);
    free(rp.series);
    lg_hist_free(rp.sec);
    lg_hist_free(rp.lag_sec);
    if (res) {
        lg_hist_free(res->lat);
        lg_hist_free(res->lat_unc);
        lg_hist_free(res->send_lag);
        lg_hist_free(res->connect);
        lg_hist_free(res->tls);
        lg_hist_free(res->upgrade);
    }
    free(res);
    lg_script_free(&script);
    if (run.tls) net_tls_ctx_free(run.tls);
    free(o);
    return code;
}
