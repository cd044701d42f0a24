/* hs_judge: expectations -> verdicts.
 *
 * Owns: matching what the server did (a stream of observed events) against
 * one expect step's alternatives, choosing the verdict, and saying why in
 * words ("expected close 1002, got echo of 5 bytes"). It does no I/O, so unit
 * tests feed it synthetic events. The runner (hs_run) produces the events. */
#ifndef HS_JUDGE_H
#define HS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/hs_case.h"
#include "ws/ws_http.h"

#define HS_PREVIEW 32

/* TOO_BIG: a data message passed the case's max_message; len is the bytes
 * received when it did (the rest is counted and discarded, never kept). */
enum hs_event_kind {
    HS_EV_MESSAGE,
    HS_EV_PONG,
    HS_EV_CLOSE,
    HS_EV_DROP,
    HS_EV_RESPONSE,
    HS_EV_TOO_BIG,
};

/* Something the server did. Payloads are kept as length + hash + first bytes
 * so that a 16 MiB echo costs no memory here. */
typedef struct hs_event {
    int kind;
    int64_t t_ms;
    uint8_t op; /* MESSAGE: text/binary */
    uint64_t len;
    uint64_t hash; /* hs_hash of the whole (inflated) payload */
    uint8_t preview[HS_PREVIEW];
    size_t preview_len;
    bool compressed;
    bool has_code; /* CLOSE */
    uint16_t code;
    const ws_http_head *head; /* RESPONSE */
} hs_event;

/* A data message we sent, remembered for {"echo": true}. */
typedef struct hs_sent {
    uint8_t op;
    uint64_t len;
    uint64_t hash;
    uint8_t preview[HS_PREVIEW];
    size_t preview_len;
} hs_sent;

/* FNV-1a 64, incremental: h = hs_hash(HS_HASH_INIT, p, n) ... */
#define HS_HASH_INIT 0xcbf29ce484222325ull
uint64_t hs_hash(uint64_t h, const uint8_t *p, size_t n);

typedef struct hs_alt_state {
    size_t pos;          /* next item */
    uint64_t group_done; /* any_order: children matched */
    size_t echoes;       /* echoes consumed */
    uint64_t reps;       /* echoes matched so far by the current counted echo pattern */
    bool dead;
    /* figures of the events it matched, for the placeholders in `why` */
    int close_code;  /* -1 none; 1005 a close without a code */
    int64_t bytes;   /* -1 none; length of the last message/pong/too_big */
    int64_t last_ms; /* time of the last event matched, -1 none */
} hs_alt_state;

typedef struct hs_match {
    const hs_expect *e;
    const hs_sent *sent; /* messages not echoed yet, oldest first */
    int64_t start_ms;    /* when the step began (for {elapsed_ms}); the caller sets it */
    size_t n_sent;
    hs_alt_state *st;
    size_t n_events;
    bool decided;
    int verdict;
    int alt;       /* chosen alternative, -1 if none matched */
    size_t echoes; /* echoes the chosen alternative consumed */
    bool stop;     /* the chosen alternative ends the case */
    char reason[512];
    char first_miss[384]; /* why the first alternative dropped out */
} hs_match;

/* 0, or -1 if out of memory. */
int hs_match_init(hs_match *m, const hs_expect *e, const hs_sent *sent, size_t n_sent);
void hs_match_free(hs_match *m);
/* Feeds one event; true once the step is decided (see m->verdict). */
bool hs_match_feed(hs_match *m, const hs_event *ev);
/* The step's time is up: a `nothing` alternative wins if no event came,
 * else `otherwise` with "timed out after N ms waiting for ...". */
void hs_match_timeout(hs_match *m, int64_t waited_ms);
/* The connection ended (after a close or drop) before a decision. */
void hs_match_ended(hs_match *m);
/* How long the step may wait when it has no `within`: the longest `nothing`,
 * or -1 (until the case deadline). */
int64_t hs_expect_window(const hs_expect *e);

/* A `why` with its placeholders filled: {close_code}, {bytes}, {elapsed_ms}
 * (see cases/README.md); "?" where the alternative matched no such event. */
void hs_why_format(const char *why, const hs_alt_state *st, int64_t start_ms, char *out,
                   size_t cap);
/* True if every {name} in why is a placeholder hs_why_format knows; else
 * false with the first unknown name in bad. */
bool hs_why_check(const char *why, char *bad, size_t cap);

/* Words for reasons and reports. */
void hs_describe_pattern(const hs_pattern *p, const hs_sent *echo_of, char *out, size_t cap);
void hs_describe_event(const hs_event *ev, const hs_sent *echo_of, char *out, size_t cap);
/* The whole expectation, e.g. "one of: [close 1007] | [TCP drop]". */
void hs_describe_expect(const hs_expect *e, char *out, size_t cap);

#endif
