/* rp_write: index.html, junit.xml, index.json for one report (see rp_write.h). */
#include "reports/rp_write.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/rp_autobahn.h"
#include "reports/rp_html.h"
#include "reports/rp_junit.h"

int rp_write_report(const char *dir, const rp_report *r, char *err, size_t errlen)
{
    rp_str html = {0}, junit = {0};
    rp_html_report(&html, r);
    rp_junit_write(&junit, r);
    int rc = rp_write_file(dir, "index.html", &html, err, errlen);
    if (rc == 0) rc = rp_write_file(dir, "junit.xml", &junit, err, errlen);
    if (rc == 0 && r->kind == RP_KIND_CHECK) {
        const rp_report *one[1] = {r};
        rc = rp_autobahn_write(dir, one, 1, err, errlen);
    }
    rp_str_free(&html);
    rp_str_free(&junit);
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

int rp_mkdirs(const char *dir, char *err, size_t errlen)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) break;
        *s = '/';
    }
    struct stat st;
    if ((mkdir(p, 0755) != 0 && errno != EEXIST) || stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot create the folder: %s", dir,
                 errno ? strerror(errno) : "not a folder");
        return -1;
    }
    return 0;
}

int rp_write_file(const char *dir, const char *name, const rp_str *s, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return rp_str_write_file(s, path, err, errlen);
}

int rp_write_json(const char *dir, const char *name, const cJSON *j, char *err, size_t errlen)
{
    rp_str s = {0};
    char *text = j ? cJSON_Print(j) : NULL;
    if (text) {
        rp_str_adds(&s, text);
        rp_str_addc(&s, '\n');
    } else {
        s.oom = true;
    }
    free(text);
    int rc = rp_write_file(dir, name, &s, err, errlen);
    rp_str_free(&s);
    return rc;
}
