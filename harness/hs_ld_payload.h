/* hs_ld_payload: payloads in case files.
 *
 * Owns: decoding a payload field into an hs_payload: a string, or one of
 * text, hex, repeat, random, corpus (hs_corpus), codepoints (any value, even
 * ones UTF-8 forbids), concat; sizes bounded by HS_LD_MAX_PAYLOAD; and the errors for each.
 * Internal to harness/. */
#ifndef HS_LD_PAYLOAD_H
#define HS_LD_PAYLOAD_H

#include "harness/hs_ld.h"

int hs_ld_payload(hs_ld *l, const cJSON *j, hs_payload *p, const char *where);
/* Hex digits (spaces allowed between bytes) into p. */
int hs_ld_hex(hs_ld *l, const char *s, hs_payload *p, const char *where);

#endif
