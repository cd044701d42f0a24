/* hs_bind: {subprotocol} replaced in the cases that use it. */
#include "harness/hs_bind.h"

#include <stdlib.h>
#include <string.h>

typedef struct binding {
    const char *name;  /* "{subprotocol}" */
    const char *value; /* NULL: only note that the name is used */
} binding;

/* *p (heap, *n bytes, plus a NUL when text) with every name replaced. */
static int bind_bytes(uint8_t **p, size_t *n, const binding *b, bool *used)
{
    if (!*p || hs_bytes_count(*p, *n, b->name) == 0) return 0;
    *used = true;
    if (!b->value) return 0;
    size_t len;
    uint8_t *out = hs_bytes_subst(*p, *n, b->name, b->value, &len);
    if (!out) return -1;
    free(*p);
    *p = out;
    *n = len;
    return 0;
}

static int bind_str(char **s, const binding *b, bool *used)
{
    if (!*s) return 0;
    size_t n = strlen(*s);
    return bind_bytes((uint8_t **)s, &n, b, used);
}

static int bind_payload(hs_payload *p, const binding *b, bool *used)
{
    int rc = 0;
    if (p->kind == HS_PAY_BYTES || p->kind == HS_PAY_REPEAT)
        rc = bind_bytes(&p->bytes, &p->len, b, used);
    for (size_t i = 0; i < p->n_parts && rc == 0; i++) rc = bind_payload(&p->parts[i], b, used);
    return rc;
}

static int bind_pattern(hs_pattern *p, const binding *b, bool *used)
{
    int rc = 0;
    for (size_t i = 0; i < p->n_headers && rc == 0; i++)
        rc = bind_str(&p->headers[i].token, b, used);
    for (size_t i = 0; i < p->n_children && rc == 0; i++)
        rc = bind_pattern(&p->children[i], b, used);
    return rc;
}

static int bind_handshake(hs_handshake *h, const binding *b, bool *used)
{
    int rc = bind_str(&h->path, b, used);
    for (size_t i = 0; i < h->n_set && rc == 0; i++) rc = bind_payload(&h->set[i].value, b, used);
    for (size_t i = 0; i < h->n_add && rc == 0; i++) rc = bind_payload(&h->add[i].value, b, used);
    if (rc == 0 && h->has_raw) rc = bind_payload(&h->raw, b, used);
    return rc;
}

static int bind_steps(hs_step *st, size_t n, const binding *b, bool *used)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (st[i].kind == HS_STEP_HANDSHAKE) rc = bind_handshake(&st[i].hs, b, used);
        for (size_t a = 0; st[i].kind == HS_STEP_EXPECT && a < st[i].expect.n_alts && rc == 0;
             a++) {
            hs_alt *alt = &st[i].expect.alts[a];
            rc = bind_str(&alt->why, b, used);
            for (size_t k = 0; k < alt->n_items && rc == 0; k++)
                rc = bind_pattern(&alt->items[k], b, used);
        }
        if (rc == 0) rc = bind_steps(st[i].steps, st[i].n_steps, b, used);
    }
    return rc;
}

int hs_catalogue_bind_subprotocol(hs_catalogue *cat, const char *value)
{
    binding b = {.name = HS_BIND_SUBPROTOCOL, .value = value};
    for (size_t i = 0; i < cat->n; i++) {
        hs_case *c = &cat->cases[i];
        bool used = false;
        if (bind_str(&c->title, &b, &used) != 0 || bind_steps(c->steps, c->n_steps, &b, &used) != 0)
            return -1;
        c->needs_subprotocol = used && !value;
    }
    return 0;
}
