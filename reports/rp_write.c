/* rp_write: index.html, junit.xml, index.json for one report (see rp_write.h). */
#include "reports/rp_write.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "reports/rp_autobahn.h"
#include "reports/rp_html.h"
#include "reports/rp_junit.h"
#include "reports/rp_str.h"

static int write_one(const char *dir, const char *name, const rp_str *s, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return rp_str_write_file(s, path, err, errlen);
}

int rp_write_report(const char *dir, const rp_report *r, char *err, size_t errlen)
{
    rp_str html = {0}, junit = {0}, ab = {0};
    rp_html_report(&html, r);
    rp_junit_write(&junit, r);
    int rc = write_one(dir, "index.html", &html, err, errlen);
    if (rc == 0) rc = write_one(dir, "junit.xml", &junit, err, errlen);
    if (rc == 0 && r->kind == RP_KIND_CHECK) {
        const rp_report *one[1] = {r};
        cJSON *idx = rp_autobahn_index(one, 1, NULL);
        char *text = idx ? cJSON_Print(idx) : NULL;
        if (text) {
            rp_str_adds(&ab, text);
            rp_str_addc(&ab, '\n');
        } else {
            ab.oom = true;
        }
        free(text);
        cJSON_Delete(idx);
        rc = write_one(dir, "index.json", &ab, err, errlen);
    }
    rp_str_free(&html);
    rp_str_free(&junit);
    rp_str_free(&ab);
    return rc;
}

int rp_write_all(const char *dir, const char *json_path, char *err, size_t errlen)
{
    rp_report r;
    if (rp_report_load(&r, json_path, err, errlen) != 0) return -1;
    int rc = rp_write_report(dir, &r, err, errlen);
    rp_report_free(&r);
    return rc;
}

int rp_write_dir(const char *dir, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", dir);
    return rp_write_all(dir, path, err, errlen);
}
