/* hs_case: a conformance case as the engine runs it, and the catalogue.
 *
 * Owns: the in-memory form of the case files (cases/NN-name.json) (documented in cases/README.md):
 * payload generators, frame specs, steps, expectation patterns, verdicts; and
 * the catalogue (every case of every file, in catalogue order). Loading and
 * family expansion live in hs_load.c and the hs_ld_*.c modules; payload
 * bytes are made in hs_case.c (corpus documents in hs_corpus*.c). */
#ifndef HS_CASE_H
#define HS_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Best to worst: the worst verdict of a case's steps wins. */
enum hs_verdict {
    HS_OK = 0,
    HS_INFORMATIONAL = 1,
    HS_NON_STRICT = 2,
    HS_UNIMPLEMENTED = 3,
    HS_FAILED = 4,
};
#define HS_VERDICT_COUNT 5

const char *hs_verdict_name(int v);  /* "OK", "NON-STRICT", ... */
int hs_verdict_parse(const char *s); /* -1 if unknown */

/* ---- payloads ---- */

enum hs_payload_kind { HS_PAY_BYTES, HS_PAY_REPEAT, HS_PAY_RANDOM, HS_PAY_CONCAT, HS_PAY_CORPUS };

typedef struct hs_payload {
    int kind;
    uint8_t *bytes; /* BYTES: the bytes; REPEAT: the unit repeated */
    size_t len;
    uint64_t count;           /* REPEAT */
    uint64_t seed;            /* RANDOM, CORPUS */
    uint64_t size;            /* RANDOM, CORPUS */
    uint64_t offset;          /* CORPUS: where in the document the bytes start */
    int corpus;               /* CORPUS: enum hs_corpus_kind */
    struct hs_payload *parts; /* CONCAT */
    size_t n_parts;
} hs_payload;

uint64_t hs_payload_size(const hs_payload *p);
/* Writes hs_payload_size(p) bytes to out. 0, or -1 out of memory. */
int hs_payload_fill(const hs_payload *p, uint8_t *out);
/* A heap copy of the bytes (NULL when memory runs out). */
uint8_t *hs_payload_make(const hs_payload *p, size_t *len);
/* How often `name` occurs in p[0..n), occurrences not overlapping. */
size_t hs_bytes_count(const uint8_t *p, size_t n, const char *name);
/* A heap copy of p[0..n) with every `name` replaced by `value` (for {i} and
 * {subprotocol}), NUL-terminated after its *out_n bytes. NULL when out of
 * memory. */
uint8_t *hs_bytes_subst(const uint8_t *p, size_t n, const char *name, const char *value,
                        size_t *out_n);
void hs_payload_free(hs_payload *p);

/* ---- frames ---- */

enum hs_mask_mode { HS_MASK_RANDOM, HS_MASK_NONE, HS_MASK_KEY };

typedef struct hs_send {
    uint8_t opcode;
    bool fin;
    bool rsv_given;
    uint8_t rsv;
    bool subst_i;        /* inside a repeat, "{i}" in the payload becomes the iteration (0-based) */
    bool cont_rsv_given; /* RSV bits of the continuation frames of a `fragment`ed send */
    uint8_t cont_rsv;
    int mask_mode;
    uint8_t key[4];
    bool declare_len;
    uint64_t declared_len;
    int len_form;
    hs_payload payload;
    bool compress;
    uint64_t fragment;
    uint32_t count;
    uint32_t chop;
    uint32_t delay_ms;
} hs_send;

/* ---- handshake ---- */

typedef struct hs_header {
    char *name;
    hs_payload value;
} hs_header;

typedef struct hs_handshake {
    char *method;  /* NULL: GET */
    char *path;    /* NULL: the URL's */
    char *version; /* NULL: HTTP/1.1 */
    char *key;     /* NULL: random */
    hs_header *set;
    size_t n_set;
    char **omit;
    size_t n_omit;
    hs_header *add;
    size_t n_add;
    bool has_raw;
    hs_payload raw;
    uint32_t chop;
    uint32_t delay_ms;
    hs_send *early;
    size_t n_early;
} hs_handshake;

/* ---- expectations ---- */

enum hs_pattern_kind {
    HS_PAT_ECHO,
    HS_PAT_MESSAGE,
    HS_PAT_PONG,
    HS_PAT_CLOSE,
    HS_PAT_DROP,
    HS_PAT_NOTHING,
    HS_PAT_ANY_ORDER,
    HS_PAT_RESPONSE,
    HS_PAT_TOO_BIG,
};

#define HS_MAX_CODES 16

typedef struct hs_header_match {
    char *name;
    char *token; /* "*" for any value */
} hs_header_match;

/* A parameter of the extensions the response accepted (any extension in any
 * Sec-WebSocket-Extensions header). */
typedef struct hs_ext_param_match {
    char *name;
    char *want; /* "absent", "present", or the value it must have */
} hs_ext_param_match;

typedef struct hs_pattern {
    int kind;
    /* ECHO: how many echoes in a row ({"echo": N}); kept as a count, never
     * expanded, so memory does not grow with N. 0 and 1 both mean one. */
    uint64_t count;
    /* MESSAGE / PONG */
    int op;           /* -1 any */
    bool has_payload; /* compare bytes */
    hs_payload payload;
    int64_t length; /* -1 any */
    int compressed; /* -1 any, 0, 1 */
    /* CLOSE: codes (1005 = no code); n_codes 0 = any */
    uint16_t codes[HS_MAX_CODES];
    size_t n_codes;
    /* NOTHING */
    int64_t ms;
    /* ANY_ORDER */
    struct hs_pattern *children;
    size_t n_children;
    /* RESPONSE */
    int status[8];
    size_t n_status;
    int status_class; /* 4 for "4xx"; 0 none */
    hs_header_match *headers;
    size_t n_headers;
    char **absent;
    size_t n_absent;
    hs_ext_param_match *ext_params;
    size_t n_ext_params;
} hs_pattern;

typedef struct hs_alt {
    hs_pattern *items;
    size_t n_items;
    int verdict;
    char *why;
    bool stop;
} hs_alt;

typedef struct hs_expect {
    hs_alt *alts;
    size_t n_alts;
    int otherwise;
    int64_t within_ms; /* 0: until the case deadline */
} hs_expect;

/* ---- steps and cases ---- */

enum hs_step_kind {
    HS_STEP_HANDSHAKE,
    HS_STEP_SEND,
    HS_STEP_RAW,
    HS_STEP_CLOSE,
    HS_STEP_SLEEP,
    HS_STEP_EXPECT,
    HS_STEP_REPEAT,
    HS_STEP_SHUTDOWN, /* {"shutdown": "write"}: TCP half-close, nothing is written after it */
};

typedef struct hs_step {
    int kind;
    hs_handshake hs;
    hs_send send;
    hs_payload raw; /* RAW; CLOSE reason */
    uint32_t chop, delay_ms;
    int close_code; /* CLOSE: -1 = empty payload */
    int64_t sleep_ms;
    hs_expect expect;
    uint32_t repeat;
    struct hs_step *steps; /* REPEAT */
    size_t n_steps;
} hs_step;

typedef struct hs_case {
    char *id;
    char *title;
    char *rfc;
    char *section;       /* from the file */
    char *section_title; /* from the file */
    char *file;          /* where it was defined */
    char **tags;
    size_t n_tags;
    double timeout_s;       /* 0: the default */
    double close_timeout_s; /* 0: the default */
    bool informational;
    uint16_t close_codes[HS_MAX_CODES];
    size_t n_close_codes;
    uint64_t max_message;
    /* Uses {subprotocol} but the run has no --subprotocol (hs_bind): the
     * case is UNIMPLEMENTED without a connection. */
    bool needs_subprotocol;
    hs_step *steps;
    size_t n_steps;
} hs_case;

typedef struct hs_catalogue {
    hs_case *cases;
    size_t n;
    size_t cap;
} hs_catalogue;

bool hs_case_has_tag(const hs_case *c, const char *tag);
void hs_catalogue_free(hs_catalogue *cat);
void hs_step_free(hs_step *s);

#endif
