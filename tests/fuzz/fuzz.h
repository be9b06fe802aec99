/* SPDX-License-Identifier: Apache-2.0 */
/* Every fuzz target defines the libFuzzer entry point; replay_main.c drives it
 * over a corpus without libFuzzer, so `make test` replays the seeds. */
#ifndef FK_FUZZ_H
#define FK_FUZZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fusekey/fusekey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the target asserts: abort() is what the fuzzer reports. */
static inline void need(bool ok)
{
	if (!ok)
		abort();
}

static inline void need_ok(fusekey_status st)
{
	need(st == FUSEKEY_OK);
}

/* Wiped memory is all zero (no early exit: the answer is the same either way). */
static inline bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}
#endif
