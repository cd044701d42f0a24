/* ws_buf: growable byte buffer with a hard cap (see ws_buf.h). */
#include "ws/ws_buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void ws_buf_init(ws_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

void ws_buf_free(ws_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int ws_buf_reserve(ws_buf *b, size_t extra)
{
    size_t limit = b->limit ? b->limit : SIZE_MAX;
    /* Written as a subtraction so a huge `extra` cannot wrap around. */
    if (b->len > limit || extra > limit - b->len) return -1;
    size_t need = b->len + extra;
    if (need <= b->cap) return 0;

    /* Doubling keeps appends amortised O(1); the cap bounds the last step. */
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > limit) cap = limit;

    uint8_t *p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ws_buf_append(ws_buf *b, const void *p, size_t n)
{
    if (ws_buf_reserve(b, n) != 0) return -1;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void ws_buf_consume(ws_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void ws_buf_reset(ws_buf *b)
{
    b->len = 0;
}
