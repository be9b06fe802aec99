/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers for the cmocka unit tests. */
#ifndef FK_TEST_UTIL_H
#define FK_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fusekey/fusekey.h"
#include "sgx/fk_sgx.h"

/* Parse lowercase/uppercase hex into out (exactly n bytes); fails the test on error. */
void th_hex(const char *hex, uint8_t *out, size_t n);
/* A reproducible identity: enclave "A" of sgx.md §10 with the given byte fills. */
void th_identity(struct fk_sgx_identity *id, uint8_t mrenclave_fill, uint8_t mrsigner_fill);
/* True if all n bytes are zero. */
int th_all_zero(const void *p, size_t n);

/* Fill n bytes with v (for "output is zeroed" checks: pre-fill with 0xAA). */
void th_fill(void *p, uint8_t v, size_t n);
/* Create a fresh private temporary directory (mkdtemp under $TMPDIR or /tmp);
 * the path is written to buf. Fails the test on error. */
void th_tmpdir(char *buf, size_t buflen);
/* Remove a directory tree (no symlinks followed). Returns 0 on success. */
int th_rmtree(const char *path);

#define EXPECT_STATUS(expr, st) assert_int_equal((int)(expr), (int)(st))
/* The same, naming both statuses on failure. */
#define EXPECT_ST(expr, want)                                                                \
	do {                                                                                 \
		fusekey_status got_ = (expr), want_ = (want);                               \
		if (got_ != want_)                                                           \
			fail_msg("%s: got %s, want %s", #expr, fusekey_status_name(got_),    \
				 fusekey_status_name(want_));                                \
	} while (0)
#define EXPECT_OK(expr) EXPECT_STATUS(expr, FUSEKEY_OK)

#endif
