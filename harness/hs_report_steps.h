/* hs_report_steps: a case's script in words, for report.json's "steps".
 *
 * Owns: one line per step of a loaded case, in order ("send text fin=1 rsv=0
 * 'Hello' (5 bytes)", "expect: [pong of 4 bytes \"ping\"]", "repeat 10
 * times:" followed by its steps indented), so a reader sees what was sent
 * next to what came back. Bounded whatever the case: at most
 * HS_STEPS_MAX_LINES lines (the last one saying how many were left out),
 * each at most HS_STEPS_LINE_MAX bytes, payloads previewed from their first
 * bytes without building them (a 16 MiB payload costs no more than a short
 * one). Text is made from case-file bytes in the terminal form of
 * reports/rp_escape.h (rp_term_char: controls and invalid UTF-8 as \xNN). */
#ifndef HS_REPORT_STEPS_H
#define HS_REPORT_STEPS_H

#include <stddef.h>

#include "harness/hs_case.h"

#define HS_STEPS_MAX_LINES 64
#define HS_STEPS_LINE_MAX  320

typedef struct hs_step_lines {
    char line[HS_STEPS_MAX_LINES][HS_STEPS_LINE_MAX];
    size_t n;
} hs_step_lines;

/* Fills out with the case's steps in words. */
void hs_report_steps(const hs_case *c, hs_step_lines *out);

#endif
