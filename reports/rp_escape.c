/* rp_escape: escaping for HTML, XML, terminals and <script> JSON. */
#include "reports/rp_escape.h"

#include <stdio.h>
#include <string.h>

size_t rp_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
    if (n == 0) return 0;
    uint8_t c = p[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

static void hexbyte(rp_str *o, uint8_t b)
{
    rp_str_addf(o, "\\x%02x", b);
}

/* Shared walk: entities for markup characters, \xNN for what cannot appear. */
static void esc_markup(rp_str *o, const char *s, size_t n, int xml)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = rp_utf8_next(p + i, n - i, &cp);
        if (len == 0) {
            hexbyte(o, p[i++]);
            continue;
        }
        switch (cp) {
        case '&':
            rp_str_adds(o, "&amp;");
            break;
        case '<':
            rp_str_adds(o, "&lt;");
            break;
        case '>':
            rp_str_adds(o, "&gt;");
            break;
        case '"':
            rp_str_adds(o, "&quot;");
            break;
        case '\'':
            rp_str_adds(o, "&#39;");
            break;
        case '\t':
        case '\n':
        case '\r':
            if (xml)
                rp_str_addf(o, "&#%u;", (unsigned)cp);
            else
                rp_str_addc(o, (char)cp);
            break;
        default:
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
                for (size_t k = 0; k < len; k++) hexbyte(o, p[i + k]);
            else if (cp == 0xfffe || cp == 0xffff)
                rp_str_addf(o, "\\u{%X}", (unsigned)cp);
            else
                rp_str_add(o, s + i, len);
        }
        i += len;
    }
}

void rp_esc_html(rp_str *o, const char *p, size_t n)
{
    esc_markup(o, p, n, 0);
}

void rp_esc_xml(rp_str *o, const char *p, size_t n)
{
    esc_markup(o, p, n, 1);
}

static int is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
           cp == 0x200f || cp == 0x061c;
}

static size_t put_hex(char *out, uint8_t b)
{
    return (size_t)snprintf(out, RP_TERM_CHAR_MAX, "\\x%02x", b);
}

size_t rp_term_char(const uint8_t *p, size_t n, int flags, char out[RP_TERM_CHAR_MAX],
                    size_t *out_len)
{
    uint32_t cp;
    size_t len = rp_utf8_next(p, n, &cp);
    if (len == 0) {
        *out_len = put_hex(out, p[0]);
        return 1;
    }
    const char *named = NULL;
    if (cp == '\\')
        named = "\\\\";
    else if (cp == '"' && (flags & RP_TERM_QUOTED))
        named = "\\\"";
    else if ((cp == '\n' || cp == '\t') && (flags & RP_TERM_KEEP_NEWLINES))
        named = cp == '\n' ? "\n" : "\t";
    else if (cp == '\n' || cp == '\r' || cp == '\t')
        named = cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : "\\t";
    if (named) {
        *out_len = strlen(named);
        memcpy(out, named, *out_len);
    } else if (cp < 0x20 || cp == 0x7f) {
        *out_len = put_hex(out, p[0]);
    } else if ((cp >= 0x80 && cp < 0xa0) || is_bidi_control(cp)) {
        *out_len = (size_t)snprintf(out, RP_TERM_CHAR_MAX, "\\u{%X}", (unsigned)cp);
    } else {
        memcpy(out, p, len);
        *out_len = len;
    }
    return len;
}

void rp_esc_term(rp_str *o, const char *s, size_t n, int keep_newlines)
{
    const uint8_t *p = (const uint8_t *)s;
    int flags = keep_newlines ? RP_TERM_KEEP_NEWLINES : 0;
    for (size_t i = 0; i < n;) {
        char c[RP_TERM_CHAR_MAX];
        size_t cl;
        i += rp_term_char(p + i, n - i, flags, c, &cl);
        rp_str_add(o, c, cl);
    }
}

void rp_esc_json_script(rp_str *o, const char *json, size_t n)
{
    const uint8_t *p = (const uint8_t *)json;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        size_t skip = 1;
        if (p[i] == '<')
            rep = "\\u003c";
        else if (p[i] == '>')
            rep = "\\u003e";
        else if (p[i] == '&')
            rep = "\\u0026";
        else if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
                 (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
            rep = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", skip = 3;
        if (!rep) continue;
        rp_str_add(o, json + start, i - start);
        rp_str_adds(o, rep);
        i += skip - 1;
        start = i + 1;
    }
    rp_str_add(o, json + start, n - start);
}

void rp_hex(rp_str *o, const uint8_t *p, size_t n, size_t max)
{
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++) rp_str_addf(o, i ? " %02x" : "%02x", p[i]);
    if (k < n) rp_str_adds(o, " \xe2\x80\xa6");
}
