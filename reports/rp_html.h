/* rp_html: index.html, one self-contained page per report.
 *
 * Owns: the page around the data: a head with a Content-Security-Policy that
 * allows no network access at all and only this page's own script and style
 * (by hash), a header and summary rendered here in C (readable without
 * script), the report embedded as JSON in a non-executed <script> (escaped by
 * rp_esc_json_script), and the inline script (rp_assets) that draws the rest:
 * filters, case details, wire logs, load charts as SVG. */
#ifndef RP_HTML_H
#define RP_HTML_H

#include <stddef.h>

#include "reports/rp_model.h"
#include "reports/rp_str.h"

typedef struct cJSON cJSON;

/* A check or load report. */
void rp_html_report(rp_str *o, const rp_report *r);
/* Several check reports side by side; data as built by rp_compare. */
void rp_html_compare(rp_str *o, const rp_report *const *reps, size_t n, const cJSON *data);
/* Two runs of one target; data as built by rp_compare. */
void rp_html_diff(rp_str *o, const rp_report *old, const rp_report *new_, const cJSON *data);

#endif
