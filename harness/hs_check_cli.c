/* hs_check_cli: `wsprobe check` and `wsprobe cases`.
 *
 * Owns: the command lines, Autobahn's fuzzingclient.json as a config, the
 * reachability probe (exit 3), progress and the summary table on the terminal
 * (colour only on a TTY without NO_COLOR), and the exit status policy: 1 iff a
 * case or closing verdict is FAILED and the case is not in the baseline. */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "harness/hs_bind.h"
#include "harness/hs_case.h"
#include "harness/hs_config.h"
#include "harness/hs_load.h"
#include "harness/hs_pool.h"
#include "harness/hs_report_json.h"
#include "harness/hs_run.h"
#include "harness/hs_select.h"
#include "harness/hs_wire.h"
#include "reports/rp_write.h"
#include "net/net.h"
#include "util/util_file.h"
#include "util/util_parse.h"
#include "ws/ws_url.h"

#define DEFAULT_URL      "ws://127.0.0.1:9001/"
#define MAX_LIST         64
#define CUT_GRACE_MS     1000 /* after Ctrl-C, running cases may finish this long */
#define EXIT_INTERRUPTED 130
/* bounds of the section-title column of the summary table */
#define HS_SUMMARY_TITLE_MIN 30
#define HS_SUMMARY_TITLE_MAX 60

/* A server to check: its URL, its agent name and its exclude-agent-cases,
 * from the command line or a fuzzingclient.json. */
typedef hs_config_server target;

typedef struct check_opts {
    hs_patterns cases, exclude, baseline;
    bool quick, verbose, insecure;
    int jobs, wire_logs;
    double timeout_s;
    const char *headers[MAX_LIST];
    size_t n_headers;
    const char *origin, *subprotocol, *cacert, *report_dir, *config, *expect_failures;
    const char *cases_dirs[MAX_LIST];
    size_t n_cases_dirs;
    target targets[MAX_LIST];
    size_t n_targets;
    bool color, tty;
} check_opts;

static void check_usage(FILE *out)
{
    fprintf(
        out,
        "usage: wsprobe check [URL] [options]\n"
        "Runs the conformance cases against a WebSocket server (default " DEFAULT_URL ").\n\n"
        "  --cases P,...          only cases matching: glob (6.*), id, id prefix (6.4), tag:NAME\n"
        "  --exclude P,...        skip these cases\n"
        "  --quick                skip cases tagged slow (9.x)\n"
        "  -j, --jobs N           parallel connections (default %d)\n"
        "  --timeout T            default time limit per case: 5, 2.5s, 500ms (default %.0fs)\n"
        "  --header 'K: V'        extra request header (repeatable)\n"
        "  --origin O             send Origin: O\n"
        "  --subprotocol P        offer Sec-WebSocket-Protocol: P\n"
        "  --cacert F | --insecure  TLS trust for wss://\n"
        "  --expect-failures F    baseline: case ids/globs allowed to fail, one per line\n"
        "  --report DIR           write DIR/report.json\n"
        "  --wire-logs W          which cases keep their wire log in the report: all (default),\n"
        "                         not-ok (verdict or closing verdict not OK), none\n"
        "  --config F             Autobahn fuzzingclient.json (servers, cases, exclude-cases,\n"
        "                         exclude-agent-cases)\n"
        "  --cases-dir DIR        add DIR/*.json to the catalogue (repeatable)\n"
        "  -v, --verbose          every case, and the wire log of those not OK\n\n"
        "Exit: 0 nothing failed beyond the baseline, 1 a case or closing verdict FAILED,\n"
        "2 usage error or bad case file, 3 target unreachable, 130 interrupted (Ctrl-C or\n"
        "SIGTERM: running cases get 1 s, the partial report is written; twice: at once).\n",
        hs_pool_default_jobs(), HS_DEFAULT_TIMEOUT_S);
}

/* ---- Ctrl-C ----
 * The first SIGINT/SIGTERM sets the cut time: no new case starts, running ones
 * finish or stop by then, and the partial report is written (exit 130). A
 * second one leaves at once. */

static _Atomic int64_t g_cut_at_ms;
static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (++g_signals > 1) _exit(EXIT_INTERRUPTED);
    atomic_store(&g_cut_at_ms, net_now_ms() + CUT_GRACE_MS);
    static const char msg[] =
        "\nwsprobe: interrupted: finishing the running cases (again to quit at once)\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
}

static void catch_signals(bool on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Moves the results of cases that finished to the front (n becomes their
 * number) and lists the ids of the others. 0, or -1 out of memory. */
static int drop_interrupted(const hs_case **sel, hs_result *res, size_t *n, const char ***not_run,
                            size_t *n_not_run)
{
    *not_run = calloc(*n ? *n : 1, sizeof **not_run);
    if (!*not_run) return -1;
    size_t kept = 0;
    *n_not_run = 0;
    for (size_t i = 0; i < *n; i++) {
        if (res[i].interrupted) {
            (*not_run)[(*n_not_run)++] = sel[i]->id;
            hs_result_free(&res[i]);
            continue;
        }
        sel[kept] = sel[i];
        res[kept++] = res[i];
    }
    *n = kept;
    return 0;
}

/* ---- the catalogue ---- */

static int load_catalogue(hs_catalogue *cat, const char *const *dirs, size_t n_dirs)
{
    char dir[4096], err[1024];
    if (hs_cases_dir_find(dir, sizeof dir) == 0) {
        if (hs_load_dir(cat, dir, err, sizeof err) != 0) {
            fprintf(stderr, "wsprobe: %s\n", err);
            return -1;
        }
    } else if (n_dirs == 0) {
        fprintf(stderr, "wsprobe: no case catalogue found (looked in ./cases, <exe>/../cases, "
                        "<exe>/../share/wsprobe/cases); use --cases-dir\n");
        return -1;
    }
    for (size_t i = 0; i < n_dirs; i++)
        if (hs_load_dir(cat, dirs[i], err, sizeof err) != 0) {
            fprintf(stderr, "wsprobe: %s\n", err);
            return -1;
        }
    if (hs_catalogue_check_unique(cat, err, sizeof err) != 0) {
        fprintf(stderr, "wsprobe: %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- fuzzingclient.json ---- */

/* Appends the patterns of from to to. 0, or -1 out of memory. */
static int add_patterns(hs_patterns *to, const hs_patterns *from)
{
    for (size_t i = 0; i < from->n; i++)
        if (hs_patterns_add_list(to, from->p[i]) != 0) return -1;
    return 0;
}

static int load_config(check_opts *o, bool url_given)
{
    char why[300];
    char *text = util_read_file(o->config, 16u << 20, NULL, why, sizeof why);
    if (!text) {
        fprintf(stderr, "wsprobe: --config %s\n", why);
        return -1;
    }
    hs_config c;
    int rc = hs_config_parse(text, &c, why, sizeof why);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "wsprobe: %s: %s\n", o->config, why);
        return -1;
    }
    if (!url_given && c.n_servers > MAX_LIST) {
        fprintf(stderr, "wsprobe: %s: %zu servers, at most %d\n", o->config, c.n_servers, MAX_LIST);
        hs_config_free(&c);
        return -1;
    }
    if ((o->cases.n == 0 && add_patterns(&o->cases, &c.cases) != 0) ||
        add_patterns(&o->exclude, &c.exclude) != 0) {
        fprintf(stderr, "wsprobe: %s: out of memory\n", o->config);
        hs_config_free(&c);
        return -1;
    }
    for (size_t i = 0; i < c.n_servers && !url_given; i++) { /* moved, not copied */
        o->targets[o->n_targets++] = c.servers[i];
        memset(&c.servers[i], 0, sizeof c.servers[i]);
    }
    hs_config_free(&c);
    return 0;
}

/* ---- output ---- */

static const char *const verdict_color[HS_VERDICT_COUNT] = {"\033[32m", "\033[36m", "\033[33m",
                                                            "\033[90m", "\033[31;1m"};

static const char *col(const check_opts *o, int v)
{
    return o->color ? verdict_color[v] : "";
}

static const char *rst(const check_opts *o)
{
    return o->color ? "\033[0m" : "";
}

typedef struct progress {
    const check_opts *o;
    int64_t t0;
} progress;

static void on_progress(void *ud, size_t done, size_t total, const hs_case *c, const hs_result *r)
{
    progress *p = ud;
    (void)r;
    if (!p->o->tty) return;
    fprintf(stderr, "\r\033[K[%zu/%zu] %.1fs  %s", done, total,
            (double)(net_now_ms() - p->t0) / 1000.0, c->id);
    fflush(stderr);
}

static void print_case(const check_opts *o, const hs_case *c, const hs_result *r, bool baseline)
{
    char title[200];
    hs_escape((const uint8_t *)c->title, strlen(c->title), title, sizeof title);
    printf("%s%-13s%s %-10s %s", col(o, r->verdict), hs_verdict_name(r->verdict), rst(o), c->id,
           title);
    if (baseline && (r->verdict == HS_FAILED || r->close_verdict == HS_FAILED))
        printf(" (expected failure)");
    printf("\n");
    if (r->reason[0]) printf("              %s\n", r->reason);
    if (r->close_verdict != HS_OK)
        printf("              closing: %s%s%s: %s\n", col(o, r->close_verdict),
               hs_verdict_name(r->close_verdict), rst(o), r->close_reason);
    if (o->verbose && (r->verdict != HS_OK || r->close_verdict != HS_OK)) {
        if (r->wire.response) {
            char line[160];
            size_t n = strcspn(r->wire.response, "\r\n");
            hs_escape((const uint8_t *)r->wire.response, n, line, sizeof line);
            printf("              response: %s\n", line);
        }
        hs_wire_print(&r->wire, stdout, "              ");
    }
}

/* Columns a UTF-8 string takes: one per code point (lead bytes). */
static size_t columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s in exactly `width` columns: padded, or cut with "..." at a code point. */
static void print_column(const char *s, size_t width)
{
    size_t n = columns(s);
    if (n <= width) {
        printf("%s%*s", s, (int)(width - n), "");
        return;
    }
    size_t keep = width > 3 ? width - 3 : 0, cols = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && cols++ == keep) break;
    }
    printf("%.*s%.*s", (int)i, s, (int)(width - keep), "...");
}

static void print_summary(const check_opts *o, const hs_case *const *cases, const hs_result *res,
                          size_t n)
{
    static const char *const head[HS_VERDICT_COUNT] = {"ok", "info", "non-strict", "unimpl",
                                                       "failed"};
    /* The title column is as wide as the longest section title shown, within
     * bounds, so "Compression (permessage-deflate echo)" is not cut. */
    char title[HS_SUMMARY_TITLE_MAX * 4 + 8];
    size_t width = HS_SUMMARY_TITLE_MIN;
    for (size_t i = 0; i < n; i++) {
        hs_escape((const uint8_t *)cases[i]->section_title, strlen(cases[i]->section_title), title,
                  sizeof title);
        size_t w = columns(title);
        if (w > width) width = w < HS_SUMMARY_TITLE_MAX ? w : HS_SUMMARY_TITLE_MAX;
    }
    printf("\n%-8s ", "section");
    print_column("", width);
    printf(" %6s", "cases");
    for (int v = 0; v < HS_VERDICT_COUNT; v++) printf(" %10s", head[v]);
    printf(" %10s\n", "close-fail");
    size_t i = 0;
    while (i < n) {
        const char *sec = cases[i]->section;
        size_t cnt[HS_VERDICT_COUNT] = {0}, total = 0, cf = 0;
        size_t j = i;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(cases[k]->section, sec)) continue;
            if (k < i) goto next; /* printed already */
            cnt[res[k].verdict]++;
            cf += res[k].close_verdict == HS_FAILED;
            total++;
        }
        hs_escape((const uint8_t *)cases[i]->section_title, strlen(cases[i]->section_title), title,
                  sizeof title);
        printf("%-8.8s ", sec);
        print_column(title, width);
        printf(" %6zu", total);
        for (int v = 0; v < HS_VERDICT_COUNT; v++) {
            if (cnt[v])
                printf(" %s%10zu%s", col(o, v), cnt[v], rst(o));
            else
                printf(" %10s", "-");
        }
        if (cf)
            printf(" %s%10zu%s\n", col(o, HS_FAILED), cf, rst(o));
        else
            printf(" %10s\n", "-");
    next:
        while (j < n && !strcmp(cases[j]->section, sec)) j++;
        i = j;
    }
}

/* ---- one target ---- */

static bool selected(const check_opts *o, const target *t, const hs_case *c)
{
    if (o->cases.n && !hs_patterns_match(&o->cases, c)) return false;
    if (hs_patterns_match(&o->exclude, c)) return false;
    if (t && hs_patterns_match(&t->exclude, c)) return false;
    if (o->quick && hs_case_has_tag(c, "slow")) return false;
    return true;
}

static int probe(const ws_url *u, SSL_CTX *tls, double timeout_s, const char *url)
{
    net_conn c;
    memset(&c, 0, sizeof c);
    if (net_dial(&c, u->host, u->port, tls, net_now_ms() + (int64_t)(timeout_s * 1000)) != 0) {
        char esc[256];
        hs_escape((const uint8_t *)c.err, strlen(c.err), esc, sizeof esc);
        fprintf(stderr, "wsprobe: cannot reach %s: %s (%s)\n", url, esc,
                net_err_class_name(c.err_class));
        return -1;
    }
    net_close(&c);
    return 0;
}

static int run_target(const check_opts *o, const hs_catalogue *cat, const target *t,
                      const char *report_dir)
{
    ws_url u;
    char err[256];
    if (ws_url_parse(t->url, &u, err, sizeof err) != 0) {
        fprintf(stderr, "wsprobe: bad URL '%s': %s\n", t->url, err);
        return 2;
    }
    SSL_CTX *tls = NULL;
    if (u.tls) {
        net_tls_opts to = {.cacert = o->cacert, .insecure = o->insecure};
        tls = net_tls_client_ctx(&to, err, sizeof err);
        if (!tls) {
            fprintf(stderr, "wsprobe: TLS: %s\n", err);
            return 2;
        }
    }
    const hs_case **sel = calloc(cat->n ? cat->n : 1, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; sel && i < cat->n; i++)
        if (selected(o, t, &cat->cases[i])) sel[n++] = &cat->cases[i];
    if (!sel || n == 0) {
        fprintf(stderr, "wsprobe: no case matches the selection\n");
        free(sel);
        net_tls_ctx_free(tls);
        return 2;
    }
    if (probe(&u, tls, o->timeout_s > 0 ? o->timeout_s : HS_DEFAULT_TIMEOUT_S, t->url) != 0) {
        free(sel);
        net_tls_ctx_free(tls);
        return 3;
    }
    hs_run_opts ro = {.url = &u,
                      .tls = tls,
                      .origin = o->origin,
                      .subprotocol = o->subprotocol,
                      .headers = o->headers,
                      .n_headers = o->n_headers,
                      .timeout_s = o->timeout_s,
                      .cut_at_ms = &g_cut_at_ms};
    hs_result *res = calloc(n, sizeof *res);
    bool *base = calloc(n, sizeof *base);
    if (!res || !base) {
        fprintf(stderr, "wsprobe: out of memory\n");
        free(res);
        free(base);
        free(sel);
        net_tls_ctx_free(tls);
        return 2;
    }
    int jobs = o->jobs > 0 ? o->jobs : hs_pool_default_jobs();
    printf("wsprobe check %s%s%s: %zu cases, %d in parallel\n", t->url, t->agent ? " agent " : "",
           t->agent ? t->agent : "", n, jobs);
    fflush(stdout);
    progress pr = {o, net_now_ms()};
    int64_t t0 = net_now_ms();
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    hs_pool_run(sel, n, &ro, jobs, res, on_progress, &pr);
    int64_t dur = net_now_ms() - t0;
    if (o->tty) fprintf(stderr, "\r\033[K");
    bool interrupted = atomic_load(&g_cut_at_ms) != 0;
    const char **not_run = NULL;
    size_t n_not_run = 0, n_selected = n;
    if (interrupted && drop_interrupted(sel, res, &n, &not_run, &n_not_run) != 0) {
        fprintf(stderr, "wsprobe: out of memory\n");
        _exit(EXIT_INTERRUPTED);
    }

    size_t cnt[HS_VERDICT_COUNT] = {0}, close_failed = 0, new_fail = 0, known_fail = 0;
    for (size_t i = 0; i < n; i++) {
        const hs_result *r = &res[i];
        base[i] = hs_patterns_match(&o->baseline, sel[i]);
        cnt[r->verdict]++;
        close_failed += r->close_verdict == HS_FAILED;
        bool failed = r->verdict == HS_FAILED || r->close_verdict == HS_FAILED;
        if (failed && base[i])
            known_fail++;
        else if (failed)
            new_fail++;
        if (o->verbose || r->verdict != HS_OK || r->close_verdict != HS_OK)
            print_case(o, sel[i], r, base[i]);
    }
    print_summary(o, sel, res, n);
    const char *agent = t->agent;
    for (size_t i = 0; !agent && i < n; i++)
        if (res[i].server_agent[0]) agent = res[i].server_agent;
    if (agent) printf("\nserver: %s\n", agent);
    printf("\n%s%zu cases, %zu ok, %zu non-strict, %zu informational, %zu unimplemented, %zu "
           "failed%s",
           new_fail ? col(o, HS_FAILED) : "", n, cnt[HS_OK], cnt[HS_NON_STRICT],
           cnt[HS_INFORMATIONAL], cnt[HS_UNIMPLEMENTED], cnt[HS_FAILED], new_fail ? rst(o) : "");
    if (close_failed) printf(", %zu closing failures", close_failed);
    if (known_fail) printf(" (%zu in the baseline)", known_fail);
    printf(" in %.2fs\n", (double)dur / 1000.0);
    int status = new_fail ? 1 : 0;
    if (interrupted) {
        printf("interrupted: %zu of %zu selected cases not run or cut short\n", n_not_run,
               n_selected);
        status = EXIT_INTERRUPTED;
    }

    if (report_dir) {
        hs_report_info info = {.target = t->url,
                               .agent = t->agent,
                               .start_unix_ms =
                                   (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000,
                               .duration_ms = dur,
                               .cases = (const char *const *)o->cases.p,
                               .n_cases = o->cases.n,
                               .exclude = (const char *const *)o->exclude.p,
                               .n_exclude = o->exclude.n,
                               .quick = o->quick,
                               .jobs = jobs,
                               .timeout_s = o->timeout_s > 0 ? o->timeout_s : HS_DEFAULT_TIMEOUT_S,
                               .headers = o->headers,
                               .n_headers = o->n_headers,
                               .origin = o->origin,
                               .subprotocol = o->subprotocol,
                               .insecure = o->insecure,
                               .expect_failures = o->expect_failures,
                               .wire_logs = o->wire_logs,
                               .expected_failure = base,
                               .exit_status = status,
                               .interrupted = interrupted,
                               .not_run = not_run,
                               .n_not_run = n_not_run};
        if (hs_report_json_write(report_dir, &info, sel, res, n, err, sizeof err) != 0 ||
            rp_write_dir(report_dir, err, sizeof err) != 0) {
            fprintf(stderr, "wsprobe: %s\n", err);
            if (!interrupted) status = 2;
        } else {
            printf("report: %s/report.json\n", report_dir);
        }
    }
    for (size_t i = 0; i < n; i++) hs_result_free(&res[i]);
    free(res);
    free(base);
    free(sel);
    free(not_run);
    net_tls_ctx_free(tls);
    return status;
}

/* ---- check ---- */

static int parse_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static void free_opts(check_opts *o)
{
    hs_patterns_free(&o->cases);
    hs_patterns_free(&o->exclude);
    hs_patterns_free(&o->baseline);
    for (size_t i = 0; i < o->n_targets; i++) hs_config_server_free(&o->targets[i]);
}

enum {
    OPT_CASES = 256,
    OPT_EXCLUDE,
    OPT_QUICK,
    OPT_TIMEOUT,
    OPT_HEADER,
    OPT_ORIGIN,
    OPT_SUBPROTOCOL,
    OPT_CACERT,
    OPT_INSECURE,
    OPT_EXPECT,
    OPT_REPORT,
    OPT_WIRE_LOGS,
    OPT_CONFIG,
    OPT_CASES_DIR,
};

static const struct option check_long[] = {
    {"cases", required_argument, NULL, OPT_CASES},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"quick", no_argument, NULL, OPT_QUICK},
    {"jobs", required_argument, NULL, 'j'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"header", required_argument, NULL, OPT_HEADER},
    {"origin", required_argument, NULL, OPT_ORIGIN},
    {"subprotocol", required_argument, NULL, OPT_SUBPROTOCOL},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"expect-failures", required_argument, NULL, OPT_EXPECT},
    {"report", required_argument, NULL, OPT_REPORT},
    {"wire-logs", required_argument, NULL, OPT_WIRE_LOGS},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"cases-dir", required_argument, NULL, OPT_CASES_DIR},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int check_parse(check_opts *o, int argc, char **argv, const char **url)
{
    int c;
    double d;
    int64_t ns;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:vh", check_long, NULL)) != -1) {
        switch (c) {
        case OPT_CASES:
            if (hs_patterns_add_list(&o->cases, optarg)) return -1;
            break;
        case OPT_EXCLUDE:
            if (hs_patterns_add_list(&o->exclude, optarg)) return -1;
            break;
        case OPT_QUICK:
            o->quick = true;
            break;
        case 'j':
            if (parse_number(optarg, 1, 256, &d) || d != (int)d) {
                fprintf(stderr, "wsprobe: -j wants a number of jobs 1..256, got '%s'\n", optarg);
                return -1;
            }
            o->jobs = (int)d;
            break;
        case OPT_TIMEOUT:
            if (util_parse_duration(optarg, UTIL_NS_PER_S, &ns) || ns < 10 * UTIL_NS_PER_MS ||
                ns > 3600 * UTIL_NS_PER_S) {
                fprintf(stderr,
                        "wsprobe: --timeout wants 10ms..3600s (seconds when bare), got '%s'\n",
                        optarg);
                return -1;
            }
            o->timeout_s = (double)ns / 1e9;
            break;
        case OPT_HEADER:
            if (!strchr(optarg, ':') || strpbrk(optarg, "\r\n") || optarg[0] == ':') {
                fprintf(stderr, "wsprobe: --header wants 'Name: value', got '%s'\n", optarg);
                return -1;
            }
            if (o->n_headers == MAX_LIST) return -1;
            o->headers[o->n_headers++] = optarg;
            break;
        case OPT_ORIGIN:
            o->origin = optarg;
            break;
        case OPT_SUBPROTOCOL:
            o->subprotocol = optarg;
            break;
        case OPT_CACERT:
            o->cacert = optarg;
            break;
        case OPT_INSECURE:
            o->insecure = true;
            break;
        case OPT_EXPECT:
            o->expect_failures = optarg;
            break;
        case OPT_REPORT:
            o->report_dir = optarg;
            break;
        case OPT_WIRE_LOGS:
            o->wire_logs = hs_wire_logs_parse(optarg);
            if (o->wire_logs < 0) {
                fprintf(stderr, "wsprobe: --wire-logs wants all, not-ok or none, got '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_CONFIG:
            o->config = optarg;
            break;
        case OPT_CASES_DIR:
            if (o->n_cases_dirs == MAX_LIST) return -1;
            o->cases_dirs[o->n_cases_dirs++] = optarg;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            check_usage(stdout);
            exit(0);
        case ':':
            fprintf(stderr, "wsprobe: option %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "wsprobe: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) *url = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "wsprobe: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

int check_main(int argc, char **argv)
{
    check_opts o;
    const char *url = NULL;
    char err[1024];
    memset(&o, 0, sizeof o);
    if (check_parse(&o, argc, argv, &url) != 0) {
        fprintf(stderr, "`wsprobe check --help` lists the options\n");
        free_opts(&o);
        return 2;
    }
    if (o.cacert && o.insecure) {
        fprintf(stderr, "wsprobe: --cacert and --insecure exclude each other\n");
        free_opts(&o);
        return 2;
    }
    if (o.config && load_config(&o, url != NULL) != 0) {
        free_opts(&o);
        return 2;
    }
    if (o.expect_failures &&
        hs_patterns_load_file(&o.baseline, o.expect_failures, err, sizeof err) != 0) {
        fprintf(stderr, "wsprobe: --expect-failures: %s\n", err);
        free_opts(&o);
        return 2;
    }
    if (url || o.n_targets == 0) {
        o.targets[o.n_targets].url = strdup(url ? url : DEFAULT_URL);
        o.n_targets++;
    }
    /* every URL is checked before anything runs: a typo is a usage error */
    for (size_t i = 0; i < o.n_targets; i++) {
        ws_url u;
        if (ws_url_parse(o.targets[i].url, &u, err, sizeof err) != 0) {
            fprintf(stderr, "wsprobe: bad URL '%s': %s\n", o.targets[i].url, err);
            free_opts(&o);
            return 2;
        }
    }
    hs_catalogue cat = {0};
    int loaded = load_catalogue(&cat, o.cases_dirs, o.n_cases_dirs);
    if (loaded == 0 && hs_catalogue_bind_subprotocol(&cat, o.subprotocol) != 0) {
        fprintf(stderr, "wsprobe: out of memory binding --subprotocol\n");
        loaded = -1;
    }
    if (loaded != 0) {
        hs_catalogue_free(&cat);
        free_opts(&o);
        return 2;
    }
    o.tty = isatty(STDERR_FILENO);
    const char *nc = getenv("NO_COLOR");
    o.color = isatty(STDOUT_FILENO) && !(nc && nc[0]);
    int status = 0;
    catch_signals(true);
    for (size_t i = 0; i < o.n_targets && !atomic_load(&g_cut_at_ms); i++) {
        char dir[4096];
        const char *rd = o.report_dir;
        if (rd && o.n_targets > 1) {
            snprintf(dir, sizeof dir, "%s/%s", rd,
                     o.targets[i].agent ? o.targets[i].agent : "target");
            for (char *p = dir + strlen(rd) + 1; *p; p++)
                if (*p == '/' || *p == '.') *p = '_';
            rd = dir;
        }
        if (i) printf("\n");
        int s = run_target(&o, &cat, &o.targets[i], rd);
        if (s > status) status = s;
    }
    catch_signals(false);
    hs_catalogue_free(&cat);
    free_opts(&o);
    return status;
}

/* ---- cases ---- */

int cases_main(int argc, char **argv)
{
    const char *dirs[MAX_LIST];
    size_t n_dirs = 0;
    hs_patterns pats = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: wsprobe cases [PATTERN...] [--cases-dir DIR]\n"
                   "Lists the catalogue: id, RFC clause, title. PATTERN: glob (6.*), id, id "
                   "prefix (6.4), tag:NAME.\n");
            hs_patterns_free(&pats);
            return 0;
        }
        if (!strcmp(argv[i], "--cases-dir")) {
            if (i + 1 == argc || n_dirs == MAX_LIST) {
                fprintf(stderr, "wsprobe: --cases-dir needs a directory\n");
                hs_patterns_free(&pats);
                return 2;
            }
            dirs[n_dirs++] = argv[++i];
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "wsprobe: unknown option '%s'\n", argv[i]);
            hs_patterns_free(&pats);
            return 2;
        }
        hs_patterns_add_list(&pats, argv[i]);
    }
    hs_catalogue cat = {0};
    if (load_catalogue(&cat, dirs, n_dirs) != 0) {
        hs_catalogue_free(&cat);
        hs_patterns_free(&pats);
        return 2;
    }
    /* id and RFC clause in columns first, so a long title cannot push them */
    int rfc_w = 0;
    for (size_t i = 0; i < cat.n; i++) {
        int n = (int)strlen(cat.cases[i].rfc);
        if ((!pats.n || hs_patterns_match(&pats, &cat.cases[i])) && n > rfc_w && n <= 24) rfc_w = n;
    }
    size_t shown = 0;
    for (size_t i = 0; i < cat.n; i++) {
        const hs_case *c = &cat.cases[i];
        if (pats.n && !hs_patterns_match(&pats, c)) continue;
        printf("%-10s %-*s  %s", c->id, rfc_w, c->rfc, c->title);
        for (size_t t = 0; t < c->n_tags; t++) printf("%s%s", t ? "," : "  [", c->tags[t]);
        printf("%s\n", c->n_tags ? "]" : "");
        shown++;
    }
    printf("%zu cases\n", shown);
    hs_catalogue_free(&cat);
    hs_patterns_free(&pats);
    return shown ? 0 : 2;
}
