/* SPDX-License-Identifier: Apache-2.0 */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void th_hex(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(hex), 2 * n);
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

void th_identity(struct fk_sgx_identity *id, uint8_t mrenclave_fill, uint8_t mrsigner_fill)
{
	memset(id, 0, sizeof(*id));
	id->flags = 0x7;
	id->xfrm = 0x3;
	memset(id->mr_enclave, mrenclave_fill, sizeof(id->mr_enclave));
	memset(id->mr_signer, mrsigner_fill, sizeof(id->mr_signer));
	id->isv_prod_id = 0x0102;
	id->isv_svn = 0x0304;
}

int th_all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

void th_fill(void *p, uint8_t v, size_t n)
{
	memset(p, v, n);
}

void th_tmpdir(char *buf, size_t buflen)
{
	const char *base = getenv("TMPDIR");
	int n;
	if (base == NULL || base[0] != '/')
		base = "/tmp";
	n = snprintf(buf, buflen, "%s/fk-unit-XXXXXX", base);
	assert_true(n > 0 && (size_t)n < buflen);
	assert_non_null(mkdtemp(buf));
}

int th_rmtree(const char *path)
{
	struct stat sb;
	if (lstat(path, &sb) != 0)
		return -1;
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		int rc = 0;
		if (d == NULL)
			return -1;
		while ((e = readdir(d)) != NULL) {
			char sub[4096];
			int n;
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			n = snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (n < 0 || (size_t)n >= sizeof(sub) || th_rmtree(sub) != 0)
				rc = -1;
		}
		closedir(d);
		if (rmdir(path) != 0)
			rc = -1;
		return rc;
	}
	return unlink(path);
}
