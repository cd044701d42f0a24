/* rp_html: self-contained index.html (see rp_html.h). */
#include "reports/rp_html.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cli/version.h"
#include "reports/rp_assets.h"
#include "reports/rp_escape.h"

static const char *const glyphs[RP_VERDICT_COUNT] = {"\xe2\x9c\x93", "\xe2\x89\x88", "i",
                                                     "\xe2\x88\x85", "\xe2\x9c\x97"};

static void esc(rp_str *o, const char *s)
{
    rp_esc_html(o, s ? s : "", s ? strlen(s) : 0);
}

/* 'sha256-BASE64' of s, for the CSP: only this exact script and style run. */
static void csp_hash(rp_str *o, const char *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    unsigned char b64[EVP_MAX_MD_SIZE * 2];
    EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
    EVP_EncodeBlock(b64, md, (int)len);
    rp_str_addf(o, "'sha256-%s'", (const char *)b64);
}

static void page_begin(rp_str *o, const char *kind, const char *title)
{
    rp_str_adds(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                   "script-src ");
    csp_hash(o, rp_asset_js);
    rp_str_adds(o, "; style-src ");
    csp_hash(o, rp_asset_css);
    rp_str_adds(o, "; img-src data:; base-uri 'none'; form-action 'none'\">\n"
                   "<meta name=\"referrer\" content=\"no-referrer\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>wsprobe ");
    esc(o, kind);
    rp_str_adds(o, ": ");
    esc(o, title);
    rp_str_adds(o, "</title>\n<style>");
    rp_str_adds(o, rp_asset_css);
    rp_str_adds(o, "</style>\n</head>\n<body>\n<header class=\"top\">\n<h1><span class=\"kind\">"
                   "wsprobe ");
    esc(o, kind);
    rp_str_adds(o, "</span> ");
    esc(o, title);
    rp_str_adds(o, "</h1>\n<dl>\n");
}

static void meta(rp_str *o, const char *name, const char *value)
{
    rp_str_adds(o, "<div><dt>");
    esc(o, name);
    rp_str_adds(o, "</dt><dd>");
    esc(o, value);
    rp_str_adds(o, "</dd></div>\n");
}

static void header_end(rp_str *o)
{
    rp_str_adds(o, "</dl>\n</header>\n<main>\n");
}

static void page_end(rp_str *o, const cJSON *data)
{
    rp_str_adds(o, "</main>\n<footer>made by wsprobe " WSPROBE_VERSION
                   ": a self-contained page, no network access</footer>\n"
                   "<script type=\"application/json\" id=\"wsprobe-data\">");
    char *json = cJSON_PrintUnformatted(data);
    if (json)
        rp_esc_json_script(o, json, strlen(json));
    else
        o->oom = true;
    free(json);
    rp_str_adds(o, "</script>\n<script>");
    rp_str_adds(o, rp_asset_js);
    rp_str_adds(o, "</script>\n</body>\n</html>\n");
}

static void matrix_cell(rp_str *o, const char *sec, const char *verdict, size_t n)
{
    rp_str_addf(o, "<td class=\"v v-%s%s\" data-section=\"", verdict, n ? "" : " zero");
    esc(o, sec);
    rp_str_addf(o, "\" data-verdict=\"%s\" title=\"%zu %s\">%zu</td>", verdict, n, verdict, n);
}

static void matrix_row(rp_str *o, const char *sec, const char *label, size_t total,
                       const size_t *count, size_t close_failed, int is_total)
{
    rp_str_adds(o, is_total ? "<tr class=\"total\" data-section=\"\">" : "<tr data-section=\"");
    if (!is_total) {
        esc(o, sec);
        rp_str_adds(o, "\">");
    }
    rp_str_adds(o, "<td class=\"sec\">");
    esc(o, label);
    rp_str_addf(o, "</td><td class=\"total\">%zu</td>", total);
    for (int v = 0; v < RP_VERDICT_COUNT; v++) matrix_cell(o, sec, rp_verdict_name(v), count[v]);
    matrix_cell(o, sec, "CLOSE-FAILED", close_failed);
    rp_str_adds(o, "</tr>\n");
}

/* A long list of ids starts folded so the summary stays in view. */
#define NOT_RUN_OPEN_MAX 20

static void interrupted_banner(rp_str *o, const rp_report *r)
{
    rp_str_addf(o,
                "<section class=\"interrupted\" id=\"interrupted\" role=\"alert\">\n"
                "<p><strong>Interrupted: %zu of %zu selected cases did not run</strong>. The "
                "run was stopped (Ctrl-C or SIGTERM); a case cut short counts as not run, and "
                "the counts below cover only the cases that finished.</p>\n",
                r->n_not_run, r->n_cases + r->n_not_run);
    if (r->n_not_run) {
        rp_str_addf(o,
                    "<details id=\"not-run\"%s><summary>Cases not run (%zu)</summary>\n"
                    "<ul class=\"not-run\">",
                    r->n_not_run <= NOT_RUN_OPEN_MAX ? " open" : "", r->n_not_run);
        for (size_t i = 0; i < r->n_not_run; i++) {
            rp_str_adds(o, "<li>");
            esc(o, r->not_run[i]);
            rp_str_adds(o, "</li>");
        }
        rp_str_adds(o, "</ul>\n</details>\n");
    }
    rp_str_adds(o, "</section>\n");
}

static void check_body(rp_str *o, const rp_report *r)
{
    size_t known = 0;
    for (size_t i = 0; i < r->n_cases; i++)
        known += rp_case_failed(&r->cases[i]) && r->cases[i].expected_failure;
    size_t new_fail = r->failed - known;
    rp_str_addf(o, "<p class=\"status %s\" id=\"status\">",
                new_fail || r->interrupted ? "fail" : "pass");
    if (new_fail)
        rp_str_addf(o, "\xe2\x9c\x97 FAIL: %zu of %zu cases failed", new_fail, r->n_cases);
    else if (r->interrupted)
        rp_str_addf(o, "\xe2\x9c\x97 INCOMPLETE: no case failed of the %zu that ran", r->n_cases);
    else
        rp_str_addf(o, "\xe2\x9c\x93 PASS: no case failed (%zu cases)", r->n_cases);
    if (known) rp_str_addf(o, "; %zu known failures from the baseline", known);
    rp_str_adds(o, "</p>\n");
    if (r->interrupted) interrupted_banner(o, r);
    rp_str_adds(o, "<section id=\"summary\"><h2>Summary by section and verdict</h2>\n"
                   "<table class=\"matrix\" id=\"summary-matrix\">\n<thead><tr><th class=\"sec\">"
                   "Section</th><th>Cases</th>");
    for (int v = 0; v < RP_VERDICT_COUNT; v++)
        rp_str_addf(o, "<th><span class=\"glyph\">%s</span>%s</th>", glyphs[v], rp_verdict_name(v));
    rp_str_adds(o, "<th><span class=\"glyph\">\xe2\x9c\x97</span>closing FAILED</th></tr></thead>\n"
                   "<tbody>\n");
    for (size_t i = 0; i < r->n_sections; i++) {
        const rp_section *s = &r->sections[i];
        rp_str label = {0};
        rp_str_adds(&label, s->id);
        if (s->title[0]) {
            rp_str_adds(&label, " \xc2\xb7 ");
            rp_str_adds(&label, s->title);
        }
        matrix_row(o, s->id, label.p ? label.p : "", s->total, s->count, s->close_failed, 0);
        rp_str_free(&label);
    }
    matrix_row(o, "", "All sections", r->n_cases, r->count, r->close_failed, 1);
    rp_str_adds(o, "</tbody></table>\n<p class=\"legend\">");
    for (int v = 0; v < RP_VERDICT_COUNT; v++)
        rp_str_addf(o, "<span class=\"badge small v-%s\"><span class=\"glyph\">%s</span>%s</span>",
                    rp_verdict_name(v), glyphs[v], rp_verdict_name(v));
    rp_str_adds(o, "<br>A case fails when its verdict or its closing verdict is FAILED. "
                   "Click a number to list those cases.</p>\n</section>\n"
                   "<noscript><p>The case list, filters and wire logs need JavaScript; the "
                   "same data is in report.json and junit.xml.</p></noscript>\n");
}

static const cJSON *path(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static void load_body(rp_str *o, const rp_report *r)
{
    const cJSON *th = path(r->root, "thresholds", NULL);
    size_t missed = 0, n_th = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, th)
    {
        n_th++;
        missed += !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "pass"));
    }
    const cJSON *m = path(path(r->root, "summary", NULL), "messages", NULL);
    double bad = 0;
    const char *integ[] = {"lost", "duplicated", "reordered", "corrupted"};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, integ[i]);
        if (cJSON_IsNumber(v)) bad += v->valuedouble;
    }
    int fail = missed || bad > 0 || r->exit_status != 0;
    rp_str_addf(o, "<p class=\"status %s\" id=\"status\">%s ", fail ? "fail" : "pass",
                fail ? "\xe2\x9c\x97" : "\xe2\x9c\x93");
    if (missed)
        rp_str_addf(o, "FAIL: %zu of %zu thresholds missed", missed, n_th);
    else if (bad > 0)
        rp_str_addf(o, "FAIL: %.0f messages lost, duplicated, reordered or corrupted", bad);
    else if (r->exit_status != 0)
        rp_str_addf(o, "FAIL: the run ended with exit status %d", r->exit_status);
    else if (n_th)
        rp_str_addf(o,
                    "PASS: %zu of %zu thresholds met; no message lost, duplicated, "
                    "reordered or corrupted",
                    n_th, n_th);
    else
        rp_str_adds(o, "PASS: no message lost, duplicated, reordered or corrupted (no "
                       "threshold set)");
    rp_str_adds(o, "</p>\n");
    if (r->interrupted)
        rp_str_addf(o,
                    "<section class=\"interrupted\" id=\"interrupted\" role=\"alert\"><p>"
                    "<strong>Interrupted</strong> after %.1f s (Ctrl-C or SIGTERM): the figures "
                    "cover only that time.</p></section>\n",
                    r->duration_s);
    rp_str_adds(o, "<noscript><p>The charts and tables need JavaScript; the same data is "
                   "in report.json.</p></noscript>\n");
}

void rp_html_report(rp_str *o, const rp_report *r)
{
    char buf[64];
    int check = r->kind == RP_KIND_CHECK;
    page_begin(o, check ? "check" : "load", r->target);
    if (r->agent) meta(o, "server", r->agent);
    meta(o, "started", r->started);
    snprintf(buf, sizeof buf, "%.2f s", r->duration_s);
    meta(o, "duration", buf);
    if (!check) {
        const cJSON *cfg = path(r->root, "config", NULL);
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(cfg, "scenario");
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(cfg, "connections");
        if (cJSON_IsString(sc)) meta(o, "scenario", sc->valuestring);
        if (cJSON_IsNumber(cn)) {
            snprintf(buf, sizeof buf, "%.0f", cn->valuedouble);
            meta(o, "connections", buf);
        }
    }
    snprintf(buf, sizeof buf, "%d", r->exit_status);
    meta(o, "exit status", buf);
    meta(o, "wsprobe", r->tool_version);
    header_end(o);
    if (check)
        check_body(o, r);
    else
        load_body(o, r);
    page_end(o, r->root);
}

void rp_html_compare(rp_str *o, const rp_report *const *reps, size_t n, const cJSON *data)
{
    char title[64];
    snprintf(title, sizeof title, "%zu servers side by side", n);
    page_begin(o, "compare", title);
    header_end(o);
    rp_str_adds(o, "<section id=\"summary\"><h2>Summary by server</h2>\n<table class=\"matrix\" "
                   "id=\"summary-matrix\"><thead><tr><th class=\"sec\">Server</th><th>Cases</th>");
    for (int v = 0; v < RP_VERDICT_COUNT; v++)
        rp_str_addf(o, "<th><span class=\"glyph\">%s</span>%s</th>", glyphs[v], rp_verdict_name(v));
    rp_str_adds(o, "<th><span class=\"glyph\">\xe2\x9c\x97</span>closing FAILED</th></tr></thead>"
                   "<tbody>\n");
    for (size_t i = 0; i < n; i++) {
        rp_str_adds(o, "<tr><td class=\"sec\">");
        esc(o, rp_report_agent(reps[i]));
        rp_str_adds(o, "<br><span class=\"note\">");
        esc(o, reps[i]->target);
        rp_str_adds(o, " \xc2\xb7 ");
        esc(o, reps[i]->started);
        rp_str_addf(o, "</span></td><td class=\"total\">%zu</td>", reps[i]->n_cases);
        for (int v = 0; v < RP_VERDICT_COUNT; v++)
            rp_str_addf(o, "<td class=\"v-%s%s\">%zu</td>", rp_verdict_name(v),
                        reps[i]->count[v] ? "" : " zero", reps[i]->count[v]);
        rp_str_addf(o, "<td class=\"v-CLOSE-FAILED%s\">%zu</td></tr>\n",
                    reps[i]->close_failed ? "" : " zero", reps[i]->close_failed);
    }
    rp_str_adds(o, "</tbody></table></section>\n");
    page_end(o, data);
}

void rp_html_diff(rp_str *o, const rp_report *old, const rp_report *new_, const cJSON *data)
{
    page_begin(o, "diff", new_->target);
    meta(o, "before", old->started);
    meta(o, "after", new_->started);
    header_end(o);
    const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(data, "counts");
    const char *names[] = {"newly failing", "fixed", "changed", "added", "removed"};
    const cJSON *nf = cJSON_GetObjectItemCaseSensitive(cnt, "newly failing");
    int fail = cJSON_IsNumber(nf) && nf->valuedouble > 0;
    rp_str_addf(o, "<p class=\"status %s\" id=\"status\">%s</p>\n", fail ? "fail" : "pass",
                fail ? "\xe2\x9c\x97 REGRESSION: some cases fail that passed before"
                     : "\xe2\x9c\x93 no case fails that passed before");
    rp_str_adds(o, "<section id=\"summary\"><h2>Summary</h2><table class=\"matrix\" "
                   "id=\"summary-matrix\"><thead><tr>");
    for (size_t i = 0; i < 5; i++) rp_str_addf(o, "<th>%s</th>", names[i]);
    rp_str_adds(o, "</tr></thead><tbody><tr>");
    for (size_t i = 0; i < 5; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cnt, names[i]);
        rp_str_addf(o, "<td>%.0f</td>", cJSON_IsNumber(v) ? v->valuedouble : 0);
    }
    rp_str_adds(o, "</tr></tbody></table></section>\n");
    page_end(o, data);
}
