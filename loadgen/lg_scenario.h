/* lg_scenario: what an open connection does, per scenario.
 *
 * Owns: echo (closed loop with --inflight K, or open loop at --rate from the
 * intended send time), idle (pings and their round trips), churn (open,
 * optionally one echo, close, again), broadcast (senders publish, everyone
 * receives; fan-out latency from the stamp) and script (JSON steps of sends,
 * expects and sleeps), and the integrity judgement of every stamped message.
 * lg_conn calls in here; nothing here touches a socket except through it. */
#ifndef LG_SCENARIO_H
#define LG_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/lg_cli.h"
#include "loadgen/lg_conn.h"

struct lg_worker;

enum lg_step_kind { LG_STEP_SEND, LG_STEP_EXPECT, LG_STEP_SLEEP };

typedef struct lg_step {
    int kind;
    char *text; /* send: the message; expect: a substring ("" matches anything) */
    size_t len;
    int64_t ns; /* expect: timeout; sleep: how long */
} lg_step;

/* A script for the script scenario:
 *   {"steps": [{"send": "..."}, {"expect": "...", "timeout": "5s"},
 *              {"sleep": "100ms"}], "loop": false}
 * After the last step a connection stays open and counts what arrives (or
 * starts over with "loop": true). */
typedef struct lg_script {
    lg_step *steps;
    size_t n;
    int loop;
} lg_script;

int lg_script_load(const char *path, lg_script *s, char *err, size_t errlen);
int lg_script_parse(const char *text, lg_script *s, char *err, size_t errlen);
void lg_script_free(lg_script *s);

/* The connection just opened. */
void lg_scenario_open(struct lg_worker *w, lg_conn *c, int64_t now);
/* A whole data message arrived. -1 if the connection was ended. */
int lg_scenario_message(struct lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now);
/* Whether a run's echoes may be judged a run at a time (closed-loop echo,
 * one message size): then lg_conn offers each read to lg_scenario_echoes. */
bool lg_scenario_runs(const lg_opts *o);
/* How many bytes at the start of buf are, frame after frame, the exact
 * echoes of the oldest messages in flight (when lg_scenario_runs); each is
 * counted received and timed, a run of them at a time. Stops at the first
 * frame that is anything else: the caller parses it and hands it to
 * lg_scenario_message. */
size_t lg_scenario_echoes(struct lg_worker *w, lg_conn *c, const uint8_t *buf, size_t len,
                          int64_t now);
/* After a read's frames were handled: refill the window, catch up. */
void lg_scenario_after_read(struct lg_worker *w, lg_conn *c, int64_t now);
void lg_scenario_pong(struct lg_worker *w, lg_conn *c, const uint8_t *p, size_t n, int64_t now);
/* Periodic look at an open connection (pings, script deadlines, echo timeouts). */
void lg_scenario_tick(struct lg_worker *w, lg_conn *c, int64_t now);
/* Open loop: sends every slot due by now; returns when the next one is due. */
int64_t lg_scenario_schedule(struct lg_worker *w, int64_t now);
/* Messages c sent that have not come back. */
uint64_t lg_scenario_outstanding(const lg_conn *c);
/* c is ending: its outstanding messages are lost (failed) or in flight at stop. */
void lg_scenario_end(struct lg_worker *w, lg_conn *c, int failed);

#endif
