/* serve_main: the `wsprobe serve` command line (options, signals, the
 * closing summary). The server itself is serve_loop.c. */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "net/net.h"
#include "serve/serve.h"
#include "util/util_parse.h"
#include "ws/ws_http.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wsprobe serve [options]\n"
            "\n"
            "The reference WebSocket echo server: echoes every text and binary message\n"
            "(fragments reassembled into one frame), answers pings, performs the closing\n"
            "handshake, and fails the connection with 1002, 1007 or 1009 on protocol errors.\n"
            "On SIGINT/SIGTERM it stops and prints one summary line to stderr.\n"
            "\n"
            "options:\n"
            "  --host HOST            address to bind (default 127.0.0.1)\n"
            "  --port PORT            port to bind (default 9001; 0 = any free port)\n"
            "  --threads N            worker threads (default: the CPUs this process may use)\n"
            "  --max-message BYTES    largest message accepted, 1009 beyond (default 64M)\n"
            "  --max-frame BYTES      largest frame accepted, 1009 beyond (default: max-message)\n"
            "  --subprotocol NAME     a subprotocol to accept; repeat for several, in order of\n"
            "                         preference\n"
            "  --deflate              accept permessage-deflate (RFC 7692); echoes are compressed\n"
            "  --tls-cert FILE        PEM certificate (chain): serve wss:// (needs --tls-key)\n"
            "  --tls-key FILE         PEM private key for --tls-cert\n"
            "  --handshake-timeout S  seconds a client has for TLS and the upgrade (default 10)\n"
            "  --quiet                no start-up line (the summary is still printed)\n"
            "  -h, --help             this text\n"
            "\n"
            "BYTES take an optional K, M or G suffix, or KiB, MiB, GiB: powers of 1024\n"
            "(64K = 64KiB = 65536), as in wsprobe load.\n"
            "Exit status: 0 stopped by a signal, 1 could not start (port in use, bad\n"
            "certificate), 2 usage error.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "wsprobe serve: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(wsprobe serve --help for the options)\n");
    return 2;
}

static int default_threads(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return 1;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    serve_request_stop();
}

enum {
    OPT_HOST = 256,
    OPT_PORT,
    OPT_THREADS,
    OPT_MAX_MESSAGE,
    OPT_MAX_FRAME,
    OPT_SUBPROTOCOL,
    OPT_DEFLATE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_HS_TIMEOUT,
    OPT_QUIET,
};

static const struct option long_opts[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
    {"max-frame", required_argument, NULL, OPT_MAX_FRAME},
    {"subprotocol", required_argument, NULL, OPT_SUBPROTOCOL},
    {"deflate", no_argument, NULL, OPT_DEFLATE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Fills o from argv. 0, 1 for --help, or 2 after printing a usage error. */
static int parse_args(int argc, char **argv, serve_opts *o, bool *quiet)
{
    bool max_frame_set = false;
    uint64_t v;
    o->threads = default_threads();
    optind = 1;
    opterr = 0;
    for (;;) {
        int prev = optind;
        int opt = getopt_long(argc, argv, ":h", long_opts, NULL);
        if (opt == -1) break;
        const char *arg = optarg;
        switch (opt) {
        case 'h':
            return 1;
        case OPT_HOST:
            if (!*arg) return usage_error("--host needs an address", arg);
            o->host = arg;
            break;
        case OPT_PORT:
            if (util_parse_uint(arg, 0, 65535, &v) < 0)
                return usage_error("--port '%s' is not a port number (0-65535)", arg);
            o->port = (uint16_t)v;
            break;
        case OPT_THREADS:
            if (util_parse_uint(arg, 1, 256, &v) < 0)
                return usage_error("--threads '%s' is not a number from 1 to 256", arg);
            o->threads = (int)v;
            break;
        case OPT_MAX_MESSAGE:
            if (util_parse_size(arg, 1, (uint64_t)1 << 40, &v) < 0)
                return usage_error("--max-message '%s' is not a size (e.g. 1048576, 64M)", arg);
            o->max_message = v;
            break;
        case OPT_MAX_FRAME:
            if (util_parse_size(arg, 1, (uint64_t)1 << 40, &v) < 0)
                return usage_error("--max-frame '%s' is not a size (e.g. 65536, 16M)", arg);
            o->max_frame = v;
            max_frame_set = true;
            break;
        case OPT_SUBPROTOCOL:
            if (!ws_http_is_token(arg, strlen(arg)))
                return usage_error("--subprotocol '%s' is not an HTTP token", arg);
            if (o->n_subprotocols == SERVE_MAX_SUBPROTOCOLS)
                return usage_error("at most 16 --subprotocol options%s", "");
            o->subprotocols[o->n_subprotocols++] = arg;
            break;
        case OPT_DEFLATE:
            o->deflate = true;
            break;
        case OPT_TLS_CERT:
            o->tls_cert = arg;
            break;
        case OPT_TLS_KEY:
            o->tls_key = arg;
            break;
        case OPT_HS_TIMEOUT:
            if (util_parse_uint(arg, 1, 3600, &v) < 0)
                return usage_error("--handshake-timeout '%s' is not a number of seconds (1-3600)",
                                   arg);
            o->handshake_timeout_ms = (int)v * 1000;
            break;
        case OPT_QUIET:
            *quiet = true;
            break;
        case ':':
            return usage_error("%s needs a value", argv[prev]);
        default:
            return usage_error("unknown option '%s'", argv[prev]);
        }
    }
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->tls_cert != !o->tls_key)
        return usage_error("--tls-cert and --tls-key go together%s", "");
    if (!max_frame_set || o->max_frame > o->max_message) o->max_frame = o->max_message;
    return 0;
}

int serve_main(int argc, char **argv)
{
    serve_opts o;
    serve_opts_default(&o);
    bool quiet = false;
    int rc = parse_args(argc, argv, &o, &quiet);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc) return rc;

    net_ignore_sigpipe();
    char err[256];
    serve_server *s = serve_start(&o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "wsprobe serve: %s\n", err);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!quiet) {
        bool v6 = strchr(o.host, ':') != NULL;
        fprintf(stderr, "wsprobe serve: listening on %s://%s%s%s:%u/ (%d thread%s%s%s)\n",
                o.tls_cert ? "wss" : "ws", v6 ? "[" : "", o.host, v6 ? "]" : "",
                (unsigned)serve_port(s), o.threads, o.threads == 1 ? "" : "s",
                o.deflate ? ", permessage-deflate" : "", o.n_subprotocols ? ", subprotocols" : "");
    }

    serve_stats st;
    serve_wait(s, &st);
    fprintf(stderr,
            "wsprobe serve: accepted=%llu upgraded=%llu messages=%llu bytes_in=%llu "
            "bytes_out=%llu protocol_errors=%llu handshake_errors=%llu\n",
            (unsigned long long)st.accepted, (unsigned long long)st.upgraded,
            (unsigned long long)st.messages, (unsigned long long)st.bytes_in,
            (unsigned long long)st.bytes_out, (unsigned long long)st.protocol_errors,
            (unsigned long long)st.handshake_errors);
    return 0;
}
