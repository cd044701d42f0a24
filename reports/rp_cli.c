/* rp_cli: `wsprobe report` (see rp_cli.h). */
#include "reports/rp_cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "loadgen/lg_merge.h"
#include "reports/rp_autobahn.h"
#include "reports/rp_compare.h"
#include "reports/rp_escape.h"
#include "reports/rp_html.h"
#include "reports/rp_model.h"
#include "reports/rp_str.h"
#include "reports/rp_write.h"

#define MAX_FILES 256

enum mode { RENDER, COMPARE, DIFF, MERGE };

static const char usage_text[] =
    "usage: wsprobe report FILE.json... [-o DIR]\n"
    "       wsprobe report --compare FILE.json FILE.json... -o DIR\n"
    "       wsprobe report --diff OLD.json NEW.json [-o DIR]\n"
    "       wsprobe report --merge SHARD.json SHARD.json... -o DIR [--threshold EXPR]...\n"
    "\n"
    "Renders report.json files (from `wsprobe check --report` or `wsprobe load --report`)\n"
    "into index.html, junit.xml and (check reports) an Autobahn-compatible index.json.\n"
    "  (no mode)   each FILE is rendered into its own folder, or into DIR (one FILE)\n"
    "  --compare   several targets' check reports side by side: DIR/index.html, DIR/index.json\n"
    "              (and Autobahn-style case files)\n"
    "  --diff      two runs of one target: newly failing, fixed, changed, added, removed;\n"
    "              exit status 1 when a case newly fails\n"
    "  --merge     load reports of shards into DIR/report.json (exact histogram merge),\n"
    "              rendered like any report; --threshold (as for wsprobe load) is judged\n"
    "              on the merged result: exit status 1 when one is missed\n"
    "  -o, --output DIR   where to write (created if missing)\n";

static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

static void print_term(const rp_str *s)
{
    fwrite(s->p ? s->p : "", 1, s->n, stdout);
}

static void say_report(const char *path, const rp_report *r, const char *dir)
{
    rp_str o = {0};
    rp_esc_term(&o, path, strlen(path), 0);
    rp_str_adds(&o, r->kind == RP_KIND_CHECK ? ": check " : ": load ");
    rp_esc_term(&o, r->target, strlen(r->target), 0);
    if (r->kind == RP_KIND_CHECK)
        rp_str_addf(&o,
                    ": %zu cases, %zu ok, %zu non-strict, %zu informational, "
                    "%zu unimplemented, %zu failed, %zu closing failures",
                    r->n_cases, r->count[RP_OK], r->count[RP_NON_STRICT],
                    r->count[RP_INFORMATIONAL], r->count[RP_UNIMPLEMENTED], r->count[RP_FAILED],
                    r->close_failed);
    rp_str_adds(&o, "\n  wrote ");
    rp_esc_term(&o, dir, strlen(dir), 0);
    rp_str_adds(&o, r->kind == RP_KIND_CHECK ? "/{index.html,junit.xml,index.json,*_case_*.json}\n"
                                             : "/{index.html,junit.xml}\n");
    print_term(&o);
    rp_str_free(&o);
}

static int do_render(char **files, size_t n, const char *out, rp_report *reps, char *err,
                     size_t errlen)
{
    if (out && n > 1) {
        snprintf(err, errlen, "-o takes one FILE (or use --compare)");
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        char dir[4096];
        if (out)
            snprintf(dir, sizeof dir, "%s", out);
        else
            dir_of(files[i], dir, sizeof dir);
        if (rp_mkdirs(dir, err, errlen) != 0 || rp_write_report(dir, &reps[i], err, errlen) != 0)
            return 2;
        say_report(files[i], &reps[i], dir);
    }
    return 0;
}

static int do_compare(size_t n, const char *out, rp_report *reps, char **files, char *err,
                      size_t errlen)
{
    const rp_report *list[MAX_FILES];
    for (size_t i = 0; i < n; i++) {
        if (reps[i].kind != RP_KIND_CHECK) {
            snprintf(err, errlen, "%s: --compare takes check reports (use --merge for load)",
                     files[i]);
            return 2;
        }
        list[i] = &reps[i];
    }
    if (rp_mkdirs(out, err, errlen) != 0) return 2;
    cJSON *data = rp_compare_data(list, n);
    rp_str html = {0}, text = {0};
    rp_html_compare(&html, list, n, data);
    int rc = rp_write_file(out, "index.html", &html, err, errlen);
    if (rc == 0) rc = rp_autobahn_write(out, list, n, err, errlen);
    if (rc == 0) {
        rp_compare_print(&text, list, n, data);
        rp_str_adds(&text, "wrote ");
        rp_esc_term(&text, out, strlen(out), 0);
        rp_str_adds(&text, "/{index.html,index.json,*_case_*.json}\n");
        print_term(&text);
    }
    rp_str_free(&html);
    rp_str_free(&text);
    cJSON_Delete(data);
    return rc ? 2 : 0;
}

static int do_diff(const char *out, rp_report *reps, char **files, char *err, size_t errlen)
{
    for (size_t i = 0; i < 2; i++)
        if (reps[i].kind != RP_KIND_CHECK) {
            snprintf(err, errlen, "%s: --diff compares check reports", files[i]);
            return 2;
        }
    cJSON *data = rp_diff_data(&reps[0], &reps[1]);
    rp_str text = {0};
    rp_diff_print(&text, data);
    print_term(&text);
    rp_str_free(&text);
    int rc = 0;
    if (out) {
        rp_str html = {0};
        rp_html_diff(&html, &reps[0], &reps[1], data);
        if (rp_mkdirs(out, err, errlen) != 0 ||
            rp_write_file(out, "index.html", &html, err, errlen) ||
            rp_write_json(out, "diff.json", data, err, errlen))
            rc = 2;
        rp_str_free(&html);
    }
    if (rc == 0) rc = rp_diff_regressions(data) ? 1 : 0;
    cJSON_Delete(data);
    return rc;
}

/* Load shards merge in loadgen/lg_merge (exact histograms, thresholds on the
 * merged result); the reports it writes come from rp_write. */
static int do_merge_shards(size_t n, const char *out, const rp_report *reps, char **files,
                           const char *const *th, int n_th, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (reps[i].kind != RP_KIND_LOAD) {
            snprintf(err, errlen, "%s: --merge takes load reports, this is a check report",
                     files[i]);
            return 2;
        }
    if (rp_mkdirs(out, err, errlen) != 0) return 2;
    return lg_merge_run((int)n, files, out, th, n_th, err, errlen);
}

int report_main(int argc, char **argv)
{
    int mode = RENDER;
    const char *out = NULL;
    char *files[MAX_FILES];
    size_t n = 0;
    const char *th[32];
    int n_th = 0;
    char err[1024] = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int m = !strcmp(a, "--compare") ? COMPARE
                : !strcmp(a, "--diff")  ? DIFF
                : !strcmp(a, "--merge") ? MERGE
                                        : -1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (m >= 0) {
            if (mode != RENDER && mode != m) {
                fprintf(stderr, "wsprobe report: choose one of --compare, --diff, --merge\n");
                return 2;
            }
            mode = m;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 == argc || !argv[i + 1][0]) {
                fprintf(stderr, "wsprobe report: %s needs a folder\n", a);
                return 2;
            }
            out = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strcmp(a, "--threshold") || !strncmp(a, "--threshold=", 12)) {
            if (n_th == 32 || (a[11] == 0 && i + 1 == argc)) {
                fprintf(stderr, "wsprobe report: --threshold needs an expression (at most 32)\n");
                return 2;
            }
            th[n_th++] = a[11] == '=' ? a + 12 : argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "wsprobe report: unknown option '%s'\n\n%s", a, usage_text);
            return 2;
        } else if (n == MAX_FILES) {
            fprintf(stderr, "wsprobe report: at most %d files\n", MAX_FILES);
            return 2;
        } else {
            files[n++] = argv[i];
        }
    }
    const char *need = NULL;
    if (n == 0)
        need = "no report given";
    else if (mode == DIFF && n != 2)
        need = "--diff takes two reports: OLD.json NEW.json";
    else if ((mode == COMPARE || mode == MERGE) && n < 2)
        need = "--compare and --merge take two or more reports";
    else if ((mode == COMPARE || mode == MERGE) && !out)
        need = "--compare and --merge need -o DIR";
    else if (n_th && mode != MERGE)
        need = "--threshold goes with --merge (load reports)";
    if (need) {
        fprintf(stderr, "wsprobe report: %s\n\n%s", need, usage_text);
        return 2;
    }
    rp_report *reps = calloc(n, sizeof *reps);
    if (!reps) {
        fprintf(stderr, "wsprobe report: out of memory\n");
        return 2;
    }
    size_t loaded = 0;
    int rc = 0;
    for (; loaded < n; loaded++)
        if (rp_report_load(&reps[loaded], files[loaded], err, sizeof err) != 0) {
            rc = 2;
            break;
        }
    if (rc == 0) {
        if (mode == RENDER)
            rc = do_render(files, n, out, reps, err, sizeof err);
        else if (mode == COMPARE)
            rc = do_compare(n, out, reps, files, err, sizeof err);
        else if (mode == DIFF)
            rc = do_diff(out, reps, files, err, sizeof err);
        else
            rc = do_merge_shards(n, out, reps, files, th, n_th, err, sizeof err);
    }
    if (rc == 2 && err[0]) {
        rp_str e = {0};
        rp_esc_term(&e, err, strlen(err), 0);
        fprintf(stderr, "wsprobe report: %s\n", e.p ? e.p : "error");
        rp_str_free(&e);
    }
    for (size_t i = 0; i < loaded; i++) rp_report_free(&reps[i]);
    free(reps);
    return rc;
}
