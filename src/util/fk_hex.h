/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hex for PUBLIC data (measurements, salts, digests in JSON and on the
 * command line). Branches on the digits: never use it for a key — the key
 * forms have their own constant-time code (src/delivery/fk_forms.c).
 */
#ifndef FK_HEX_H
#define FK_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fk_hex_case {
	FK_HEX_ANY_CASE,   /* what people type */
	FK_HEX_LOWER_ONLY, /* what fusekey writes: one spelling per value */
};

/* The value of one hex digit, or -1. */
int fk_hex_digit(char c, enum fk_hex_case hc);

/* s must be exactly 2n hex digits (strlen checked); false leaves out partly written. */
bool fk_hex_decode(const char *s, uint8_t *out, size_t n, enum fk_hex_case hc);

/* 2n lowercase digits and a NUL into out (2n + 1 bytes). */
void fk_hex_encode(const uint8_t *p, size_t n, char *out);

#endif
