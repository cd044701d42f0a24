/* lg_cli: options of `wsprobe load` (see lg_cli.h). */
#include "loadgen/lg_cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util_parse.h"

static const char *const SCENARIOS[] = {"echo", "idle", "churn", "broadcast", "script"};

const char *lg_scenario_name(int kind)
{
    return kind >= 0 && kind <= LG_SC_SCRIPT ? SCENARIOS[kind] : "?";
}

void lg_cli_usage(FILE *out)
{
    fprintf(
        out,
        "usage: wsprobe load [options] URL\n"
        "\n"
        "Loads a WebSocket server and measures it: throughput, honest latency\n"
        "(open loop from the intended send time), data integrity, errors by class.\n"
        "URL is ws://host[:port]/path or wss://...\n"
        "\n"
        "scenario:\n"
        "  -s, --scenario NAME      echo (default), idle, churn, broadcast, script\n"
        "  -c, --connections N      concurrent connections (default 10)\n"
        "  -t, --threads N          worker threads (default: number of cores)\n"
        "  -d, --duration TIME      how long to run (default 10s; 0 with --messages)\n"
        "      --warmup TIME        excluded from latency and rates (default 0)\n"
        "  -n, --messages N         stop after N messages sent\n"
        "  -k, --inflight K         messages in flight per connection (default 1)\n"
        "  -r, --rate R             open loop: R msgs/s in total, spread evenly\n"
        "                           (default: closed loop, next send on each echo)\n"
        "      --size N|MIN-MAX     payload bytes, >= 40 (default 64); K, M, G (or KiB, MiB,\n"
        "                           GiB) are powers of 1024, as in wsprobe serve: 64K = 65536\n"
        "      --binary             binary messages (default text)\n"
        "      --connect-rate R     new connections per second (default unlimited)\n"
        "      --stages LIST        ramp, e.g. 10s:1000,30s:10000,10s:0 (sets duration)\n"
        "      --reconnect          reopen a connection after it fails or closes\n"
        "      --reconnect-delay T  first delay, doubled up to 5s (default 100ms)\n"
        "      --ping-interval T    idle: ping every T per connection (default 1s)\n"
        "      --senders M          broadcast: connections that publish (default 1)\n"
        "      --subscribe TEXT     sent by every connection once open\n"
        "      --script FILE        script: JSON steps per connection\n"
        "      --churn-echo         churn: one echo before closing\n"
        "connection:\n"
        "  -H, --header 'N: V'      extra request header (repeatable)\n"
        "      --subprotocol LIST   Sec-WebSocket-Protocol offer\n"
        "      --origin ORIGIN      Origin header\n"
        "      --deflate            offer permessage-deflate\n"
        "      --source-ips LIST    bind to these addresses in turn: a,b,c or A-B\n"
        "      --cacert FILE        trust these CAs for wss\n"
        "      --insecure           do not verify the server certificate\n"
        "      --connect-timeout T  TCP connect (default 5s)\n"
        "      --handshake-timeout T  TLS + upgrade (default 5s)\n"
        "      --message-timeout T  an echo later than this is lost (default 5s)\n"
        "      --write-timeout T    output waiting this long with no byte taken by the server\n"
        "                           fails the connection as write_timeout (default 10s; 0 never)\n"
        "      --close-timeout T    wait this long for the server's close frame after ours\n"
        "                           (default 1s; later is close_timeout)\n"
        "      --max-message N      largest message accepted (default 64M); echo, churn and\n"
        "                           idle accept at most max(1M, 2 x the largest --size)\n"
        "                           when that is smaller\n"
        "many machines (see deploy/README.md):\n"
        "      --shard I/N          be shard I of N (1-based, 1 <= I <= N): take this shard's\n"
        "                           share of -c, --stages, -r, --connect-rate and -n, and\n"
        "                           connection ids after those of shards 1..I-1\n"
        "      --id-base N          first connection id (default 0; --shard counts on from it)\n"
        "      --start-at TIME      wait until TIME, then start: RFC 3339 (2026-01-01T12:00:00Z),\n"
        "                           unix seconds, or +DURATION from now; refused when more\n"
        "                           than 1 s in the past (merge shards with wsprobe report "
        "--merge)\n"
        "output:\n"
        "      --report DIR         write DIR/report.json\n"
        "      --json               print the JSON report on stdout\n"
        "      --progress           a line each second on stderr (default): on a terminal one\n"
        "                           line rewritten in place, elsewhere a plain line per second\n"
        "  -q, --no-progress, --quiet  no progress lines (the summary still comes at the end)\n"
        "      --threshold EXPR     e.g. 'p99<20ms' 'error_rate<0.1%%' 'lost==0'\n"
        "                           (repeatable; exit 1 naming those missed)\n"
        "\n"
        "Exit: 0 ok, 1 a threshold missed, 2 usage, 3 target unreachable, 130 interrupted.\n");
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return LG_CLI_ERROR;
}

/* Unix seconds, maybe with a fraction: "1767268800" or "1767268800.25". */
static int parse_unix_time(const char *s, int64_t *at)
{
    const char *p = s;
    while (*p >= '0' && *p <= '9') p++;
    if (p == s || p - s > 11 || (*p && *p != '.')) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v)) return -1;
    *at = (int64_t)(v * 1e9 + 0.5);
    return 0;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm). */
static int parse_rfc3339(const char *s, int64_t *at)
{
    int y, mo, d, h, mi, sec, used = 0;
    char t;
    if (strlen(s) < 20 ||
        sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &t, &h, &mi, &sec, &used) != 7 ||
        used != 19 || (t != 'T' && t != 't' && t != ' '))
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    struct tm back = tm;
    time_t secs = timegm(&back);
    /* timegm normalises 31 April into 1 May: such a date was not a real one. */
    if (secs == (time_t)-1 || back.tm_mday != d || back.tm_mon != mo - 1 || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    const char *p = s + used;
    int64_t frac = 0, scale = 1000000000;
    if (*p == '.') {
        if (!(p[1] >= '0' && p[1] <= '9')) return -1;
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (scale > 1) frac += (*p - '0') * (scale /= 10);
    }
    int64_t offset = 0;
    if ((*p == 'Z' || *p == 'z') && !p[1]) {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59) return -1;
        offset = (*p == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60);
    } else {
        return -1;
    }
    *at = ((int64_t)secs - offset) * 1000000000 + frac;
    return 0;
}

int lg_parse_wall_time(const char *s, int64_t now_ns, int64_t *at)
{
    if (*s == '+') {
        int64_t ns;
        if (util_parse_duration(s + 1, UTIL_NS_PER_S, &ns)) return -1;
        *at = now_ns + ns;
        return 0;
    }
    if (!parse_unix_time(s, at)) return 0;
    return parse_rfc3339(s, at);
}

uint64_t lg_shard_share(uint64_t total, uint32_t i, uint32_t n)
{
    return total / n + (i - 1 < total % n ? 1 : 0);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+' || !*s) return -1;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'M')
        mul = 1000000, end++;
    if (*end || errno || v > max / mul) return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v <= 0 || v > 1e9) return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, lg_opts *o)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf, '-');
    uint64_t lo, hi;
    if (dash) *dash = 0;
    if (util_parse_size(buf, 0, 1ull << 30, &lo)) return -1;
    hi = lo;
    if (dash && util_parse_size(dash + 1, 0, 1ull << 30, &hi)) return -1;
    if (lo > hi) return -1;
    o->size_min = (size_t)lo;
    o->size_max = (size_t)hi;
    return 0;
}

static int parse_stages(const char *s, lg_opts *o, char *err, size_t errlen)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    o->n_stages = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        uint64_t target;
        if (o->n_stages == LG_MAX_STAGES)
            return fail(err, errlen, "--stages: at most %d stages", LG_MAX_STAGES);
        if (!colon) return fail(err, errlen, "--stages: '%s' is not DURATION:CONNECTIONS", tok);
        *colon = 0;
        lg_stage *st = &o->stages[o->n_stages++];
        if (util_parse_duration(tok, UTIL_NS_PER_S, &st->dur_ns) ||
            parse_u64(colon + 1, 10000000, &target))
            return fail(err, errlen, "--stages: '%s:%s' is not DURATION:CONNECTIONS", tok,
                        colon + 1);
        st->target = (uint32_t)target;
    }
    if (o->n_stages == 0) return fail(err, errlen, "--stages: no stages given");
    return 0;
}

static int add_source(lg_opts *o, const char *text, char *err, size_t errlen)
{
    if (o->n_sources == LG_MAX_SOURCES)
        return fail(err, errlen, "--source-ips: at most %d addresses", LG_MAX_SOURCES);
    struct sockaddr_storage *ss = &o->sources[o->n_sources];
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        o->source_lens[o->n_sources++] = sizeof *a4;
    } else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        o->source_lens[o->n_sources++] = sizeof *a6;
    } else {
        return fail(err, errlen, "--source-ips: '%s' is not an IP address", text);
    }
    return 0;
}

/* "a,b,c" or "A-B" (IPv4 range, inclusive). */
static int parse_sources(const char *s, lg_opts *o, char *err, size_t errlen)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-');
        if (!dash) {
            if (add_source(o, tok, err, errlen)) return -1;
            continue;
        }
        *dash = 0;
        struct in_addr a, b;
        if (inet_pton(AF_INET, tok, &a) != 1 || inet_pton(AF_INET, dash + 1, &b) != 1 ||
            ntohl(a.s_addr) > ntohl(b.s_addr))
            return fail(err, errlen, "--source-ips: '%s-%s' is not an IPv4 range LOW-HIGH", tok,
                        dash + 1);
        if (ntohl(b.s_addr) - ntohl(a.s_addr) >= LG_MAX_SOURCES)
            return fail(err, errlen, "--source-ips: at most %d addresses", LG_MAX_SOURCES);
        for (uint32_t ip = ntohl(a.s_addr); ip <= ntohl(b.s_addr); ip++) {
            char t[INET_ADDRSTRLEN];
            struct in_addr x = {htonl(ip)};
            inet_ntop(AF_INET, &x, t, sizeof t);
            if (add_source(o, t, err, errlen)) return -1;
            if (ip == UINT32_MAX) break;
        }
    }
    return 0;
}

/* "I/N", 1-based. */
static int parse_shard(const char *s, lg_opts *o, char *err, size_t errlen)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    uint64_t i, n;
    if (!slash) return fail(err, errlen, "--shard: '%s' is not I/N (e.g. 2/3)", s);
    *slash = 0;
    if (parse_u64(buf, 100000, &i) || parse_u64(slash + 1, 100000, &n) || n == 0)
        return fail(err, errlen, "--shard: '%s' is not I/N with N from 1 to 100000", s);
    if (i < 1 || i > n)
        return fail(err, errlen, "--shard: '%s': shards are numbered 1 to %llu", s,
                    (unsigned long long)n);
    o->shard_index = (uint32_t)i;
    o->shard_count = (uint32_t)n;
    return 0;
}

static int parse_start_at(const char *s, lg_opts *o, char *err, size_t errlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, at;
    if (lg_parse_wall_time(s, now, &at))
        return fail(err, errlen,
                    "--start-at: '%s' is not a time (2026-01-01T12:00:00Z, unix seconds, or +10s)",
                    s);
    if (at < now - 1000000000)
        return fail(err, errlen, "--start-at: '%s' is %.1f s in the past", s,
                    (double)(now - at) / 1e9);
    if (at > now + 86400 * (int64_t)1000000000)
        return fail(err, errlen, "--start-at: '%s' is more than 24 hours away", s);
    o->start_at_ns = at;
    return 0;
}

enum {
    O_WARMUP = 256,
    O_SIZE,
    O_BINARY,
    O_CONNECT_RATE,
    O_STAGES,
    O_RECONNECT,
    O_RECONNECT_DELAY,
    O_PING_INTERVAL,
    O_SENDERS,
    O_SUBSCRIBE,
    O_SCRIPT,
    O_CHURN_ECHO,
    O_SUBPROTOCOL,
    O_ORIGIN,
    O_DEFLATE,
    O_SOURCE_IPS,
    O_CACERT,
    O_INSECURE,
    O_CONNECT_TIMEOUT,
    O_HANDSHAKE_TIMEOUT,
    O_MESSAGE_TIMEOUT,
    O_WRITE_TIMEOUT,
    O_CLOSE_TIMEOUT,
    O_MAX_MESSAGE,
    O_REPORT,
    O_JSON,
    O_PROGRESS,
    O_NO_PROGRESS,
    O_THRESHOLD,
    O_ID_BASE,
    O_SHARD,
    O_START_AT,
};

static const struct option LONGOPTS[] = {
    {"scenario", required_argument, 0, 's'},
    {"connections", required_argument, 0, 'c'},
    {"threads", required_argument, 0, 't'},
    {"duration", required_argument, 0, 'd'},
    {"messages", required_argument, 0, 'n'},
    {"inflight", required_argument, 0, 'k'},
    {"rate", required_argument, 0, 'r'},
    {"header", required_argument, 0, 'H'},
    {"help", no_argument, 0, 'h'},
    {"warmup", required_argument, 0, O_WARMUP},
    {"size", required_argument, 0, O_SIZE},
    {"binary", no_argument, 0, O_BINARY},
    {"connect-rate", required_argument, 0, O_CONNECT_RATE},
    {"stages", required_argument, 0, O_STAGES},
    {"reconnect", no_argument, 0, O_RECONNECT},
    {"reconnect-delay", required_argument, 0, O_RECONNECT_DELAY},
    {"ping-interval", required_argument, 0, O_PING_INTERVAL},
    {"senders", required_argument, 0, O_SENDERS},
    {"subscribe", required_argument, 0, O_SUBSCRIBE},
    {"script", required_argument, 0, O_SCRIPT},
    {"churn-echo", no_argument, 0, O_CHURN_ECHO},
    {"subprotocol", required_argument, 0, O_SUBPROTOCOL},
    {"origin", required_argument, 0, O_ORIGIN},
    {"deflate", no_argument, 0, O_DEFLATE},
    {"source-ips", required_argument, 0, O_SOURCE_IPS},
    {"cacert", required_argument, 0, O_CACERT},
    {"insecure", no_argument, 0, O_INSECURE},
    {"connect-timeout", required_argument, 0, O_CONNECT_TIMEOUT},
    {"handshake-timeout", required_argument, 0, O_HANDSHAKE_TIMEOUT},
    {"message-timeout", required_argument, 0, O_MESSAGE_TIMEOUT},
    {"write-timeout", required_argument, 0, O_WRITE_TIMEOUT},
    {"close-timeout", required_argument, 0, O_CLOSE_TIMEOUT},
    {"max-message", required_argument, 0, O_MAX_MESSAGE},
    {"report", required_argument, 0, O_REPORT},
    {"json", no_argument, 0, O_JSON},
    {"progress", no_argument, 0, O_PROGRESS},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"quiet", no_argument, 0, O_NO_PROGRESS},
    {"threshold", required_argument, 0, O_THRESHOLD},
    {"id-base", required_argument, 0, O_ID_BASE},
    {"shard", required_argument, 0, O_SHARD},
    {"start-at", required_argument, 0, O_START_AT},
    {0, 0, 0, 0},
};

static void set_defaults(lg_opts *o)
{
    memset(o, 0, sizeof *o);
    o->scenario = LG_SC_ECHO;
    o->connections = 10;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cores > 0 ? (int)cores : 1;
    o->duration_ns = -1; /* unset */
    o->inflight = 1;
    o->size_min = o->size_max = 64;
    o->reconnect_delay_ns = 100000000;
    o->connect_timeout_ns = 5000000000;
    o->handshake_timeout_ns = 5000000000;
    o->message_timeout_ns = 5000000000;
    o->close_timeout_ns = 1000000000;
    o->write_timeout_ns = 10000000000;
    o->drain_ns = 1000000000;
    o->ping_interval_ns = 1000000000;
    o->senders = 1;
    o->progress = 1;
    o->max_message = 64u << 20;
}

/* One option's value; returns 0 or LG_CLI_ERROR with err set. */
static int apply(lg_opts *o, int opt, const char *arg, const char *name, char *err, size_t errlen)
{
    uint64_t u;
    int64_t ns;
    switch (opt) {
    case 's':
        for (int i = 0; i <= LG_SC_SCRIPT; i++)
            if (!strcmp(arg, SCENARIOS[i])) {
                o->scenario = i;
                return 0;
            }
        return fail(err, errlen, "--scenario: '%s' is not echo, idle, churn, broadcast or script",
                    arg);
    case 'c':
        if (parse_u64(arg, 10000000, &u) || u == 0)
            return fail(err, errlen, "--connections: '%s' is not a count from 1 to 10M", arg);
        o->connections = (uint32_t)u;
        return 0;
    case 't':
        if (parse_u64(arg, 256, &u) || u == 0)
            return fail(err, errlen, "--threads: '%s' is not a count from 1 to 256", arg);
        o->threads = (int)u;
        return 0;
    case 'n':
        if (parse_u64(arg, UINT64_MAX / 2, &u) || u == 0)
            return fail(err, errlen, "--messages: '%s' is not a positive count", arg);
        o->messages = u;
        return 0;
    case 'k':
        if (parse_u64(arg, 65536, &u) || u == 0)
            return fail(err, errlen, "--inflight: '%s' is not a count from 1 to 65536", arg);
        o->inflight = (uint32_t)u;
        return 0;
    case 'r':
        if (parse_rate(arg, &o->rate)) return fail(err, errlen, "--rate: '%s' is not a rate", arg);
        return 0;
    case 'H':
        if (o->n_headers == LG_MAX_HEADERS)
            return fail(err, errlen, "--header: at most %d", LG_MAX_HEADERS);
        if (!strchr(arg, ':') || strpbrk(arg, "\r\n"))
            return fail(err, errlen, "--header: '%s' is not 'Name: value'", arg);
        o->headers[o->n_headers++] = arg;
        return 0;
    case O_SIZE:
        if (parse_size(arg, o))
            return fail(err, errlen, "--size: '%s' is not N or MIN-MAX bytes (up to 1 GiB)", arg);
        return 0;
    case O_BINARY:
        o->binary = true;
        return 0;
    case O_CONNECT_RATE:
        if (parse_rate(arg, &o->connect_rate))
            return fail(err, errlen, "--connect-rate: '%s' is not a rate", arg);
        return 0;
    case O_STAGES:
        return parse_stages(arg, o, err, errlen);
    case O_RECONNECT:
        o->reconnect = true;
        return 0;
    case O_SENDERS:
        if (parse_u64(arg, 4096, &u) || u == 0)
            return fail(err, errlen, "--senders: '%s' is not a count from 1 to 4096", arg);
        o->senders = (uint32_t)u;
        return 0;
    case O_SUBSCRIBE:
        o->subscribe = arg;
        return 0;
    case O_SCRIPT:
        o->script_path = arg;
        return 0;
    case O_CHURN_ECHO:
        o->churn_echo = true;
        return 0;
    case O_SUBPROTOCOL:
        o->subprotocol = arg;
        return 0;
    case O_ORIGIN:
        o->origin = arg;
        return 0;
    case O_DEFLATE:
        o->deflate = true;
        return 0;
    case O_SOURCE_IPS:
        return parse_sources(arg, o, err, errlen);
    case O_CACERT:
        o->cacert = arg;
        return 0;
    case O_INSECURE:
        o->insecure = true;
        return 0;
    case O_MAX_MESSAGE:
        if (util_parse_size(arg, 125, 1ull << 32, &u))
            return fail(err, errlen, "--max-message: '%s' is not a size from 125 to 4G", arg);
        o->max_message = u;
        return 0;
    case O_REPORT:
        o->report_dir = arg;
        return 0;
    case O_JSON:
        o->json = true;
        return 0;
    case O_PROGRESS:
        o->progress = 1;
        return 0;
    case 'q':
    case O_NO_PROGRESS:
        o->progress = 0;
        return 0;
    case O_THRESHOLD:
        if (o->n_thresholds == LG_MAX_THRESHOLDS)
            return fail(err, errlen, "--threshold: at most %d", LG_MAX_THRESHOLDS);
        o->thresholds[o->n_thresholds++] = arg;
        return 0;
    case O_ID_BASE:
        if (parse_u64(arg, UINT32_MAX / 2, &u))
            return fail(err, errlen, "--id-base: '%s' is not a number", arg);
        o->id_base = (uint32_t)u;
        return 0;
    case O_SHARD:
        return parse_shard(arg, o, err, errlen);
    case O_START_AT:
        return parse_start_at(arg, o, err, errlen);
    }
    /* The rest take a duration. */
    if (util_parse_duration(arg, UTIL_NS_PER_S, &ns))
        return fail(err, errlen, "%s: '%s' is not a duration (e.g. 10s, 250ms)", name, arg);
    bool zero_ok =
        opt == 'd' || opt == O_WRITE_TIMEOUT || opt == O_WARMUP || opt == O_RECONNECT_DELAY;
    if (ns == 0 && !zero_ok) return fail(err, errlen, "%s: must be more than 0", name);
    switch (opt) {
    case 'd':
        o->duration_ns = ns;
        break;
    case O_WARMUP:
        o->warmup_ns = ns;
        break;
    case O_RECONNECT_DELAY:
        o->reconnect_delay_ns = ns;
        break;
    case O_PING_INTERVAL:
        o->ping_interval_ns = ns;
        break;
    case O_CONNECT_TIMEOUT:
        o->connect_timeout_ns = ns;
        break;
    case O_HANDSHAKE_TIMEOUT:
        o->handshake_timeout_ns = ns;
        break;
    case O_MESSAGE_TIMEOUT:
        o->message_timeout_ns = ns;
        break;
    case O_WRITE_TIMEOUT:
        o->write_timeout_ns = ns;
        break;
    case O_CLOSE_TIMEOUT:
        o->close_timeout_ns = ns;
        break;
    default:
        return fail(err, errlen, "unknown option");
    }
    return 0;
}

/* Connection slots of shard i: its share of -c, or its largest stage target. */
static uint64_t shard_slots(const lg_opts *o, uint32_t i, uint32_t n)
{
    if (!o->n_stages) return lg_shard_share(o->connections, i, n);
    uint64_t most = 0;
    for (int s = 0; s < o->n_stages; s++) {
        uint64_t t = lg_shard_share(o->stages[s].target, i, n);
        if (t > most) most = t;
    }
    return most;
}

/* Cuts the whole load's numbers down to this shard's share; the shares of
 * all N shards add up to the numbers given. */
static int shard_split(lg_opts *o, char *err, size_t errlen)
{
    uint32_t i = o->shard_index, n = o->shard_count;
    if (o->scenario == LG_SC_BROADCAST)
        return fail(err, errlen,
                    "--shard: the broadcast scenario cannot be sharded (a receiver judges what "
                    "it gets against its own process's publishers and clock)");
    uint64_t before = 0, mine = shard_slots(o, i, n);
    for (uint32_t j = 1; j < i; j++) before += shard_slots(o, j, n);
    if (mine == 0)
        return fail(err, errlen,
                    "--shard %u/%u: %u connections cannot be split into %u shards "
                    "(each needs at least one)",
                    i, n, o->connections, n);
    if ((uint64_t)o->id_base + before + mine > UINT32_MAX)
        return fail(err, errlen, "--shard: --id-base plus the connections exceed 2^32 ids");
    for (int s = 0; s < o->n_stages; s++)
        o->stages[s].target = (uint32_t)lg_shard_share(o->stages[s].target, i, n);
    o->connections = (uint32_t)mine;
    o->id_base += (uint32_t)before;
    if (o->messages) {
        if (o->messages < n)
            return fail(err, errlen, "--shard: --messages %llu cannot be split into %u shards",
                        (unsigned long long)o->messages, n);
        o->messages = lg_shard_share(o->messages, i, n);
    }
    /* A whole rate splits into whole shares (1000 over 3: 334, 333, 333). */
    if (o->rate >= n && o->rate == floor(o->rate) && o->rate < 1e15)
        o->rate = (double)lg_shard_share((uint64_t)o->rate, i, n);
    else
        o->rate /= n;
    o->connect_rate /= n;
    return 0;
}

/* Checks the options against each other once all are known. */
static int check(lg_opts *o, char *err, size_t errlen)
{
    if (o->n_stages) {
        if (o->duration_ns >= 0)
            return fail(err, errlen, "--stages sets the duration: drop --duration");
        o->duration_ns = 0;
        uint32_t most = 0;
        for (int i = 0; i < o->n_stages; i++) {
            o->duration_ns += o->stages[i].dur_ns;
            if (o->stages[i].target > most) most = o->stages[i].target;
        }
        if (most == 0) return fail(err, errlen, "--stages: no stage has any connections");
        o->connections = most;
    }
    if (o->shard_count && shard_split(o, err, errlen)) return LG_CLI_ERROR;
    if (o->duration_ns < 0) o->duration_ns = o->messages ? 0 : 10000000000;
    if (o->duration_ns == 0 && !o->messages)
        return fail(err, errlen, "--duration 0 needs --messages N to know when to stop");
    if (o->warmup_ns && o->duration_ns && o->warmup_ns >= o->duration_ns)
        return fail(err, errlen, "--warmup must be shorter than the run");
    if (o->size_min < 40 && o->scenario != LG_SC_SCRIPT)
        return fail(err, errlen,
                    "--size: at least 40 bytes (each message carries its sequence number, "
                    "send time, connection id and checksum)");
    if (o->size_max > o->max_message)
        return fail(err, errlen, "--size is larger than --max-message");
    if ((uint32_t)o->threads > o->connections) o->threads = (int)o->connections;
    if (o->scenario == LG_SC_BROADCAST) {
        if (o->senders > o->connections)
            return fail(err, errlen, "--senders %u is more than --connections %u", o->senders,
                        o->connections);
        if (o->rate == 0) o->rate = 100.0 * o->senders;
    }
    if (o->scenario == LG_SC_SCRIPT && !o->script_path)
        return fail(err, errlen, "--scenario script needs --script FILE");
    if (o->scenario != LG_SC_SCRIPT && o->script_path)
        return fail(err, errlen, "--script needs --scenario script");
    if (o->rate && o->scenario != LG_SC_ECHO && o->scenario != LG_SC_BROADCAST)
        return fail(err, errlen, "--rate applies to the echo and broadcast scenarios");
    if (o->rate && o->rate * (double)o->duration_ns / 1e9 > 2.8e14)
        return fail(err, errlen, "--rate x --duration is too many messages");
    return 0;
}

int lg_cli_parse(int argc, char **argv, lg_opts *o, char *err, size_t errlen)
{
    set_defaults(o);
    optind = 1;
    opterr = 0;
    int opt, idx = -1;
    while ((opt = getopt_long(argc, argv, ":s:c:t:d:n:k:r:H:hq", LONGOPTS, &idx)) != -1) {
        if (opt == 'h') return LG_CLI_HELP;
        if (opt == '?') return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
        if (opt == ':') return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
        /* Messages name the option as documented, however it was spelled
         * (argv[optind - 1] is the value when it came as a separate word). */
        char name[40];
        if (idx >= 0)
            snprintf(name, sizeof name, "--%s", LONGOPTS[idx].name);
        else
            snprintf(name, sizeof name, "-%c", opt);
        idx = -1;
        if (apply(o, opt, optarg, name, err, errlen)) return LG_CLI_ERROR;
    }
    if (optind != argc - 1)
        return fail(err, errlen, "give exactly one URL (ws://... or wss://...)");
    o->url_text = argv[optind];
    char uerr[200];
    if (ws_url_parse(o->url_text, &o->url, uerr, sizeof uerr))
        return fail(err, errlen, "%s: %s", o->url_text, uerr);
    return check(o, err, errlen);
}
