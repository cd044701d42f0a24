/* rp_write: everything made from one report.json, written next to it.
 *
 * Owns: the entry point `wsprobe check --report DIR` and `wsprobe load
 * --report DIR` call after writing DIR/report.json, and that `wsprobe report`
 * uses for one file: it reads the JSON back (the single source), then writes
 * index.html, junit.xml and, for check reports, the Autobahn-compatible
 * index.json into the output folder. */
#ifndef RP_WRITE_H
#define RP_WRITE_H

#include <stddef.h>

#include "reports/rp_model.h"

/* Reads json_path and writes the other files into dir (which must exist).
 * 0, or -1 with err. */
int rp_write_all(const char *dir, const char *json_path, char *err, size_t errlen);
/* rp_write_all(dir, "dir/report.json"): the call `check --report` and
 * `load --report` make after writing report.json. */
int rp_write_dir(const char *dir, char *err, size_t errlen);
/* The same from a loaded report. */
int rp_write_report(const char *dir, const rp_report *r, char *err, size_t errlen);

#endif
