/* SPDX-License-Identifier: Apache-2.0 */
/* The vector runner's internal interface (tests/vectors/fk_vectors.c). */
#ifndef FK_VEC_H
#define FK_VEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
struct fk_vec_tally { unsigned passed, failed, skipped; };
/* Report one case: prints "FAIL <file> <id>: <why>" for failures. */
void fk_vec_result(struct fk_vec_tally *t, const char *file, const char *id, int ok, const char *why_fmt, ...);
/* Returns 0 if the file was recognised and run, -1 if not this schema. */
int fk_vec_wycheproof(json_t *root, const char *file, struct fk_vec_tally *t);
int fk_vec_sgxsdk(json_t *root, const char *file, struct fk_vec_tally *t);
/* hex helper: decode a JSON hex string; returns malloc'd buffer (len may be 0), NULL on error */
uint8_t *fk_vec_hex(const char *hex, size_t *len);

#endif
