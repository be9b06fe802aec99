/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fk_hex.h"

#include <string.h>

int fk_hex_digit(char c, enum fk_hex_case hc)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hc == FK_HEX_ANY_CASE && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool fk_hex_decode(const char *s, uint8_t *out, size_t n, enum fk_hex_case hc)
{
	if (s == NULL || strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = fk_hex_digit(s[2 * i], hc), lo = fk_hex_digit(s[2 * i + 1], hc);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void fk_hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xF];
	}
	out[2 * n] = '\0';
}
