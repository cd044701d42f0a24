/* lg_cli: the options of `wsprobe load`.
 *
 * Owns: parsing the command line into an lg_opts (durations, sizes, stages,
 * source addresses, headers, thresholds kept as text for lg_threshold), every
 * check on their values with a sentence saying what is wrong, and the help
 * text. Nothing here opens a socket. */
#ifndef LG_CLI_H
#define LG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "ws/ws_url.h"

enum lg_scenario_kind {
    LG_SC_ECHO,
    LG_SC_IDLE,
    LG_SC_CHURN,
    LG_SC_BROADCAST,
    LG_SC_SCRIPT,
};

#define LG_MAX_STAGES     32
#define LG_MAX_HEADERS    32
#define LG_MAX_THRESHOLDS 32
#define LG_MAX_SOURCES    1024

typedef struct lg_stage {
    int64_t dur_ns;
    uint32_t target; /* connections at the end of the stage (linear ramp to it) */
} lg_stage;

typedef struct lg_opts {
    const char *url_text;
    ws_url url;
    int scenario; /* enum lg_scenario_kind */
    uint32_t connections;
    int threads;
    double connect_rate; /* new connections per second, 0 = as fast as possible */
    lg_stage stages[LG_MAX_STAGES];
    int n_stages;
    int64_t duration_ns; /* 0: until --messages are done */
    int64_t warmup_ns;
    uint64_t messages; /* stop after this many sent (0 = no limit) */
    uint32_t inflight; /* per connection */
    double rate;       /* total msgs/s for the open loop, 0 = closed loop */
    size_t size_min, size_max;
    bool binary;
    bool deflate;
    const char *subprotocol;
    const char *origin;
    const char *headers[LG_MAX_HEADERS];
    size_t n_headers;
    struct sockaddr_storage sources[LG_MAX_SOURCES];
    socklen_t source_lens[LG_MAX_SOURCES];
    int n_sources;
    bool reconnect;
    int64_t reconnect_delay_ns;
    int64_t connect_timeout_ns, handshake_timeout_ns, message_timeout_ns, close_timeout_ns;
    int64_t write_timeout_ns; /* output pending without progress this long fails (0: never) */
    int64_t drain_ns;
    int64_t ping_interval_ns;
    uint32_t senders;
    const char *subscribe;
    const char *script_path;
    bool churn_echo;
    const char *report_dir;
    bool json;
    int progress; /* 0 off (--no-progress, --quiet), else on: a live line on a TTY, plain lines
                     elsewhere */
    const char *thresholds[LG_MAX_THRESHOLDS];
    int n_thresholds;
    const char *cacert;
    bool insecure;
    uint64_t max_message;
    uint32_t id_base; /* added to connection ids (shards) */
    /* --shard I/N, 1-based: this process runs shard I of N (0/0: not sharded).
     * lg_cli_parse has already cut connections, stages, rate, connect rate
     * and messages down to this shard's share and moved id_base past the
     * connection ids of shards 1..I-1. */
    uint32_t shard_index, shard_count;
    int64_t start_at_ns; /* --start-at, CLOCK_REALTIME ns; 0: start at once */
} lg_opts;

enum { LG_CLI_OK = 0, LG_CLI_HELP = 1, LG_CLI_ERROR = -1 };

/* Fills o from argv (argv[0] is "load"). LG_CLI_HELP after --help. */
int lg_cli_parse(int argc, char **argv, lg_opts *o, char *err, size_t errlen);
void lg_cli_usage(FILE *out);

/* A wall-clock time: RFC 3339 ("2026-01-01T12:00:00Z", fractions and
 * +hh:mm offsets allowed), unix seconds ("1767268800", "1767268800.5"), or
 * "+DURATION" after now_ns. CLOCK_REALTIME ns into *at; 0 or -1. */
int lg_parse_wall_time(const char *s, int64_t now_ns, int64_t *at);
/* Shard i's (1-based) share of total split n ways: total/n, plus one for the
 * first total%n shards, so the shares add up to total exactly. */
uint64_t lg_shard_share(uint64_t total, uint32_t i, uint32_t n);
const char *lg_scenario_name(int kind);

#endif
