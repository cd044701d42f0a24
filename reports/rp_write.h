/* rp_write: everything made from one report.json, written next to it.
 *
 * Owns: the entry point `wsprobe check --report DIR` and `wsprobe load
 * --report DIR` call after writing DIR/report.json, and that `wsprobe report`
 * uses for one file: it reads the JSON back (the single source), then writes
 * index.html, junit.xml and, for check reports, the Autobahn-compatible
 * index.json into the output folder. Also the two steps every writer of a
 * report folder needs: creating the folder with its parents, and writing one
 * named file (a string or a cJSON document) into it whole or not at all. */
#ifndef RP_WRITE_H
#define RP_WRITE_H

#include <stddef.h>

#include "reports/rp_model.h"
#include "reports/rp_str.h"

struct cJSON;

/* Reads json_path and writes the other files into dir (which must exist).
 * 0, or -1 with err. */
int rp_write_all(const char *dir, const char *json_path, char *err, size_t errlen);
/* rp_write_all(dir, "dir/report.json"): the call `check --report` and
 * `load --report` make after writing report.json. */
int rp_write_dir(const char *dir, char *err, size_t errlen);
/* The same from a loaded report. */
int rp_write_report(const char *dir, const rp_report *r, char *err, size_t errlen);

/* Creates dir and its parents. 0, or -1 with err. */
int rp_mkdirs(const char *dir, char *err, size_t errlen);
/* Writes s to dir/name (through a temporary file, see rp_str_write_file).
 * 0, or -1 with err. */
int rp_write_file(const char *dir, const char *name, const rp_str *s, char *err, size_t errlen);
/* Writes j as cJSON prints it, with a final newline, to dir/name. A NULL j
 * (a document that could not be built) fails as out of memory. 0, or -1
 * with err. */
int rp_write_json(const char *dir, const char *name, const struct cJSON *j, char *err,
                  size_t errlen);

#endif
