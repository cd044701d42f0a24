/* hs_corpus_bin: the binary kinds. bitmap (an 8-bit greyscale BMP, 512
 * by 512 like Autobahn's test picture: shapes with flat or noisy shading
 * over a gradient) and pdf (a PDF-1.4 file: page and font
 * dictionaries, text content streams, and Flate/JPEG streams whose bytes look
 * compressed, with an xref section every few dozen objects). */
#include <string.h>

#include "harness/hs_corpus_gen.h"

/* ---- bitmap ---- */

#define BMP_SIDE   512u
#define BMP_HEADER (14u + 40u + 256u * 4u)
#define BMP_BLOBS  10u

typedef struct blob {
    int32_t cx, cy, rx, ry;
    int32_t level, shade; /* grey level at the centre, change towards the rim */
    uint32_t noise;       /* +- noise amplitude inside */
} blob;

static uint32_t isqrt(uint64_t v)
{
    uint64_t r = 0, bit = 1ull << 62;
    while (bit > v) bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

static void le16(cg_out *o, uint32_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    cg_put(o, b, 2);
}

static void le32(cg_out *o, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    cg_put(o, b, 4);
}

static void bmp_header(cg_out *o)
{
    uint32_t pixels = BMP_SIDE * BMP_SIDE;
    cg_put(o, "BM", 2);
    le32(o, BMP_HEADER + pixels);
    le32(o, 0);
    le32(o, BMP_HEADER);
    le32(o, 40);
    le32(o, BMP_SIDE);
    le32(o, BMP_SIDE);
    le16(o, 1);
    le16(o, 8);
    le32(o, 0); /* BI_RGB: uncompressed */
    le32(o, pixels);
    le32(o, 2835); /* 72 dpi */
    le32(o, 2835);
    le32(o, 256);
    le32(o, 0);
    for (uint32_t i = 0; i < 256 && !cg_full(o); i++) le32(o, i * 0x010101u);
}

static uint8_t clamp_grey(int32_t v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One 512 x 512 picture, the size of Autobahn's (263,222 bytes). */
static void bmp_picture(cg_out *o, cg_rng *r)
{
    const int32_t side = (int32_t)BMP_SIDE;
    bmp_header(o);
    int32_t base = (int32_t)cg_range(r, 40, 200);
    int32_t gx = (int32_t)cg_range(r, 0, 128) - 64, gy = (int32_t)cg_range(r, 0, 128) - 64;
    uint32_t noise = cg_range(r, 1, 5);
    static const uint32_t noises[] = {0, 0, 1, 2, 3, 6};
    blob b[BMP_BLOBS];
    for (uint32_t i = 0; i < BMP_BLOBS; i++) {
        b[i].cx = (int32_t)cg_below(r, BMP_SIDE);
        b[i].cy = (int32_t)cg_below(r, BMP_SIDE);
        b[i].rx = (int32_t)cg_range(r, 12, 160);
        b[i].ry = (int32_t)cg_range(r, 12, 160);
        b[i].level = (int32_t)cg_below(r, 256);
        b[i].shade = (int32_t)cg_range(r, 0, 96) - 48;
        b[i].noise = noises[cg_below(r, sizeof noises / sizeof noises[0])];
    }
    int32_t v[BMP_SIDE];
    uint32_t amp[BMP_SIDE];
    uint8_t row[BMP_SIDE];
    for (int32_t y = 0; y < side && !cg_full(o); y++) {
        for (int32_t x = 0; x < side; x++) {
            v[x] = base + (gx * x + gy * y) / side;
            amp[x] = noise;
        }
        for (uint32_t i = 0; i < BMP_BLOBS; i++) { /* later shapes lie on top */
            const blob *s = &b[i];
            int64_t dy = y - s->cy, rx2 = (int64_t)s->rx * s->rx, ry2 = (int64_t)s->ry * s->ry;
            if (dy * dy > ry2) continue;
            /* the row crosses the ellipse where dx^2 <= rx^2 (1 - dy^2 / ry^2) */
            int32_t half = (int32_t)isqrt((uint64_t)(rx2 * (ry2 - dy * dy) / ry2));
            int32_t from = s->cx - half < 0 ? 0 : s->cx - half;
            int32_t to = s->cx + half >= side ? side - 1 : s->cx + half;
            /* shade * (dx^2 / rx^2 + dy^2 / ry^2), in 1/2^16 steps */
            int64_t fy = dy * dy * 65536 / ry2, per_dx2 = (1ll << 32) / rx2;
            for (int32_t x = from; x <= to; x++) {
                int64_t dx = x - s->cx, f = fy + ((dx * dx * per_dx2) >> 16);
                v[x] = s->level + (int32_t)((s->shade * f) >> 16);
                amp[x] = s->noise;
            }
        }
        uint64_t bits = 0;
        for (int32_t x = 0; x < side; x++) {
            if ((x & 7) == 0) bits = cg_next(r);
            int32_t n = (int32_t)((bits >> (8 * (x & 7))) & 0xFF);
            int32_t a = (int32_t)amp[x];
            row[x] = clamp_grey(a ? v[x] + n % (2 * a + 1) - a : v[x]);
        }
        cg_put(o, row, BMP_SIDE);
    }
}

/* Picture after picture: a message longer than one file (Autobahn wraps
 * around its file) gets the next one. */
void cg_bitmap(cg_out *o, cg_rng *r)
{
    while (!cg_full(o)) bmp_picture(o, r);
}

/* ---- pdf ---- */

#define PDF_XREF_EVERY 40u

typedef struct pdf {
    cg_out *o;
    cg_rng *r;
    cg_words en;
    uint32_t next_obj;  /* number of the next object */
    uint32_t first_obj; /* first object since the last xref section */
    size_t offs[PDF_XREF_EVERY];
    size_t last_xref;
} pdf;

static void pdf_begin(pdf *p)
{
    p->offs[p->next_obj - p->first_obj] = p->o->len;
    cg_fmt(p->o, "%u 0 obj\n", p->next_obj++);
}

static void pdf_page(pdf *p)
{
    uint32_t n = p->next_obj;
    pdf_begin(p);
    cg_fmt(p->o,
           "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %u 0 R\n"
           "   /Resources << /Font << /F1 %u 0 R /F2 %u 0 R >> /XObject << /Im1 %u 0 R >> >> >>\n"
           "endobj\n",
           n + 1, n + 2 + cg_below(p->r, 4), n + 2 + cg_below(p->r, 4), n + 3 + cg_below(p->r, 8));
}

static void pdf_font(pdf *p)
{
    static const char *const fonts[] = {"Times-Roman", "Helvetica",         "Courier",
                                        "Times-Bold",  "Helvetica-Oblique", "Symbol"};
    pdf_begin(p);
    cg_fmt(p->o,
           "<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding\n"
           "   /FirstChar 32 /LastChar 255 /FontDescriptor %u 0 R >>\nendobj\n",
           fonts[cg_below(p->r, sizeof fonts / sizeof fonts[0])], p->next_obj);
}

/* A content stream in the clear: text operators around English words. */
static void pdf_text(pdf *p)
{
    uint8_t body[4096];
    cg_out t = {.p = body, .len = 0, .cap = sizeof body};
    cg_fmt(&t, "BT\n/F1 %u Tf\n%u %u Td\n14 TL\n", cg_range(p->r, 9, 12), cg_range(p->r, 54, 90),
           cg_range(p->r, 640, 740));
    for (uint32_t i = 0, n = cg_range(p->r, 4, 40); i < n && t.len < t.cap - 256; i++) {
        cg_putc(&t, '(');
        cg_phrase(&t, &p->en, p->r, cg_range(p->r, 4, 12), i == 0 || cg_one_in(p->r, 4));
        cg_puts(&t, cg_one_in(p->r, 3) ? ".) Tj T*\n" : ") Tj T*\n");
    }
    cg_puts(&t, "ET\n");
    pdf_begin(p);
    cg_fmt(p->o, "<< /Length %zu >>\nstream\n", t.len);
    cg_put(p->o, body, t.len);
    cg_puts(p->o, "\nendstream\nendobj\n");
}

/* A stream whose bytes are compressed data: Flate (zlib header) or JPEG. */
static void pdf_binary_stream(pdf *p)
{
    uint32_t kind = cg_below(p->r, 3);
    uint32_t len = kind == 0   ? cg_range(p->r, 300, 4000)    /* compressed page content */
                   : kind == 1 ? cg_range(p->r, 4000, 24000)  /* embedded font */
                               : cg_range(p->r, 8000, 64000); /* picture */
    pdf_begin(p);
    if (kind == 2) {
        cg_fmt(p->o,
               "<< /Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceRGB\n"
               "   /BitsPerComponent 8 /Filter /DCTDecode /Length %u >>\nstream\n",
               cg_range(p->r, 64, 1024), cg_range(p->r, 64, 1024), len);
        cg_put(p->o, "\xFF\xD8\xFF\xE0", 4);
    } else {
        cg_fmt(p->o, "<< /Length %u%s /Filter /FlateDecode >>\nstream\n", len,
               kind == 1 ? " /Length1 65536" : "");
        cg_put(p->o, "\x78\x9C", 2);
    }
    cg_noise(p->o, p->r, len - (kind == 2 ? 4 : 2));
    cg_puts(p->o, "\nendstream\nendobj\n");
}

static void pdf_xref(pdf *p)
{
    size_t at = p->o->len;
    uint32_t n = p->next_obj - p->first_obj;
    cg_fmt(p->o, "xref\n%u %u\n", p->first_obj, n);
    for (uint32_t i = 0; i < n && !cg_full(p->o); i++)
        cg_fmt(p->o, "%010zu 00000 n \n", p->offs[i]);
    cg_fmt(p->o, "trailer\n<< /Size %u /Root 1 0 R", p->next_obj);
    if (p->last_xref) cg_fmt(p->o, " /Prev %zu", p->last_xref);
    cg_fmt(p->o, " >>\nstartxref\n%zu\n%%%%EOF\n", at);
    p->last_xref = at;
    p->first_obj = p->next_obj;
}

void cg_pdf(cg_out *o, cg_rng *r)
{
    pdf p = {.o = o, .r = r, .next_obj = 1, .first_obj = 1};
    cg_words_english(&p.en, r);
    cg_puts(o, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    pdf_begin(&p);
    cg_puts(o, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    while (!cg_full(o)) {
        if (p.next_obj - p.first_obj == PDF_XREF_EVERY) {
            pdf_xref(&p);
            continue;
        }
        uint32_t pick = cg_below(r, 20);
        if (pick < 4)
            pdf_page(&p);
        else if (pick < 7)
            pdf_font(&p);
        else if (pick < 13)
            pdf_text(&p);
        else
            pdf_binary_stream(&p);
    }
}
