/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forms of the FUSE key (see fk_forms.h; platforms.md §1.3, §2.1;
 * enclave-cc.md §5).
 *
 * Hex digits are encoded and decoded with branch-free arithmetic, so the
 * time taken does not depend on the key bytes. Every temporary that held key
 * material is wiped with fk_wipe; every output is zeroed on failure.
 */
#include "delivery/fk_forms.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/fk_crypto.h"
#include "platform/fk_gramine.h"

enum {
	/* Occlum key string plus an optional "\r\n". */
	FK_OCCLUM_KEY_STRING_MAX_INPUT = FK_OCCLUM_KEY_STRING_LEN + 2,
	/* Longest directory value accepted in a mount option string. */
	FK_MOUNT_DIR_MAX = PATH_MAX,
	/* Largest single write(2) request in fk_form_write_fd. */
	FK_WRITE_CHUNK = 1 << 30,
};

static fusekey_status errno_status(int e)
{
	switch (e) {
	case ENOENT:
		return FUSEKEY_ERR_NOT_FOUND;
	case EACCES:
	case EPERM:
		return FUSEKEY_ERR_PERMISSION;
	default:
		return FUSEKEY_ERR_IO;
	}
}

/* Lowercase hex digit of a nibble (0..15), without a branch on its value. */
static char hex_digit(unsigned int nibble)
{
	/* over9 = 1 if nibble > 9 (then 9 - nibble wraps around), else 0. */
	unsigned int over9 = ((9u - nibble) >> 8) & 1u;
	unsigned int c = nibble + (unsigned int)'0' + over9 * (unsigned int)('a' - '0' - 10);
	return (char)c;
}

/* 1 if lo <= x <= hi, else 0; x, lo, hi <= 255, so a wrap sets the top bit. */
static unsigned int in_range(unsigned int x, unsigned int lo, unsigned int hi)
{
	return (((x - lo) | (hi - x)) >> (sizeof(unsigned int) * CHAR_BIT - 1)) ^ 1u;
}

/*
 * Value of a hex digit (either case) in *v; returns 0 if c is a hex digit,
 * 1 otherwise. Branch-free in c.
 */
static unsigned int hex_value(unsigned char c, unsigned int *v)
{
	unsigned int x = c;
	unsigned int is_num = in_range(x, '0', '9');
	unsigned int is_low = in_range(x, 'a', 'f');
	unsigned int is_up = in_range(x, 'A', 'F');
	unsigned int val = is_num * (x - (unsigned int)'0') + is_low * (x - (unsigned int)'a' + 10u) +
			   is_up * (x - (unsigned int)'A' + 10u);

	*v = val & 0xfu;
	return (is_num | is_low | is_up) ^ 1u;
}

static void zero_out(char *out, size_t cap)
{
	if (out != NULL && cap > 0)
		fk_wipe(out, cap);
}

fusekey_status fk_form_hex(const uint8_t *key, size_t len, char *out, size_t cap)
{
	if (out == NULL || cap == 0)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if ((key == NULL && len > 0) || len > (SIZE_MAX - 1) / 2 || cap < 2 * len + 1) {
		zero_out(out, cap);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digit((unsigned int)key[i] >> 4);
		out[2 * i + 1] = hex_digit((unsigned int)key[i] & 0xfu);
	}
	out[2 * len] = '\0';
	return FUSEKEY_OK;
}

fusekey_status fk_form_occlum(const uint8_t *key, size_t len, char out[FK_OCCLUM_KEY_STRING_LEN + 1])
{
	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (key == NULL || len != FK_OCCLUM_KEY_LEN) {
		fk_wipe(out, FK_OCCLUM_KEY_STRING_LEN + 1);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	for (size_t i = 0; i < FK_OCCLUM_KEY_LEN; i++) {
		out[3 * i] = hex_digit((unsigned int)key[i] >> 4);
		out[3 * i + 1] = hex_digit((unsigned int)key[i] & 0xfu);
		if (i + 1 < FK_OCCLUM_KEY_LEN)
			out[3 * i + 2] = '-';
	}
	out[FK_OCCLUM_KEY_STRING_LEN] = '\0';
	return FUSEKEY_OK;
}

fusekey_status fk_form_occlum_parse(const char *s, uint8_t key[FK_OCCLUM_KEY_LEN])
{
	uint8_t tmp[FK_OCCLUM_KEY_LEN];
	unsigned int bad = 0;
	size_t n;

	if (key == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	fk_wipe(key, FK_OCCLUM_KEY_LEN);
	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;

	/* Structure (not secret): length, separators, optional line ending. */
	n = strnlen(s, FK_OCCLUM_KEY_STRING_MAX_INPUT + 1);
	if (n == FK_OCCLUM_KEY_STRING_LEN + 1) {
		if (s[FK_OCCLUM_KEY_STRING_LEN] != '\n')
			return FUSEKEY_ERR_FORMAT;
	} else if (n == FK_OCCLUM_KEY_STRING_LEN + 2) {
		if (s[FK_OCCLUM_KEY_STRING_LEN] != '\r' || s[FK_OCCLUM_KEY_STRING_LEN + 1] != '\n')
			return FUSEKEY_ERR_FORMAT;
	} else if (n != FK_OCCLUM_KEY_STRING_LEN) {
		return FUSEKEY_ERR_FORMAT;
	}
	for (size_t i = 0; i + 1 < FK_OCCLUM_KEY_LEN; i++) {
		if (s[3 * i + 2] != '-')
			return FUSEKEY_ERR_FORMAT;
	}

	/* Digits (secret): decoded without data-dependent branches. */
	for (size_t i = 0; i < FK_OCCLUM_KEY_LEN; i++) {
		unsigned int hi = 0;
		unsigned int lo = 0;
		bad |= hex_value((unsigned char)s[3 * i], &hi);
		bad |= hex_value((unsigned char)s[3 * i + 1], &lo);
		tmp[i] = (uint8_t)((hi << 4) | lo);
	}
	if (bad != 0) {
		fk_wipe(tmp, sizeof(tmp));
		return FUSEKEY_ERR_FORMAT;
	}
	memcpy(key, tmp, FK_OCCLUM_KEY_LEN);
	fk_wipe(tmp, sizeof(tmp));
	return FUSEKEY_OK;
}

/*
 * A directory value for an Occlum mount option: non-NULL, non-empty, shorter
 * than FK_MOUNT_DIR_MAX, no ',' '=' or control character. Its length in *len.
 */
static bool mount_dir_ok(const char *dir, size_t *len)
{
	size_t n;

	if (dir == NULL)
		return false;
	n = strnlen(dir, FK_MOUNT_DIR_MAX);
	if (n == 0 || n >= FK_MOUNT_DIR_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dir[i];
		if (c == ',' || c == '=' || c < 0x20 || c == 0x7f)
			return false;
	}
	*len = n;
	return true;
}

/*
 * "<name0>=<dir0>,<name1>=<dir1>,...,key=<key string>": Occlum's k=v mount
 * options (platforms.md §1.3). Every directory is checked by mount_dir_ok.
 */
static fusekey_status mount_options(const uint8_t *key, size_t len, const char *const names[],
				    const char *const dirs[], size_t n, char *out, size_t cap)
{
	static const char k_key[] = "key=";
	char ks[FK_OCCLUM_KEY_STRING_LEN + 1];
	size_t dlen[2] = {0, 0};
	size_t need = (sizeof(k_key) - 1) + FK_OCCLUM_KEY_STRING_LEN + 1, pos = 0;
	fusekey_status st;

	if (out == NULL || cap == 0 || n > sizeof(dlen) / sizeof(dlen[0]))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	for (size_t i = 0; i < n; i++) {
		if (!mount_dir_ok(dirs[i], &dlen[i])) {
			zero_out(out, cap);
			return FUSEKEY_ERR_INVALID_PARAMETER;
		}
		need += strlen(names[i]) + 1 + dlen[i] + 1; /* name=dir, ; < PATH_MAX each */
	}
	if (cap < need) {
		zero_out(out, cap);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	st = fk_form_occlum(key, len, ks);
	if (st != FUSEKEY_OK) {
		fk_wipe(ks, sizeof(ks));
		zero_out(out, cap);
		return st;
	}
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		memcpy(out + pos, names[i], nl);
		pos += nl;
		out[pos++] = '=';
		memcpy(out + pos, dirs[i], dlen[i]);
		pos += dlen[i];
		out[pos++] = ',';
	}
	memcpy(out + pos, k_key, sizeof(k_key) - 1);
	pos += sizeof(k_key) - 1;
	memcpy(out + pos, ks, FK_OCCLUM_KEY_STRING_LEN);
	out[pos + FK_OCCLUM_KEY_STRING_LEN] = '\0';
	fk_wipe(ks, sizeof(ks));
	return FUSEKEY_OK;
}

fusekey_status fk_form_occlum_mount_sefs(const uint8_t *key, size_t len, const char *dir,
					 char *out, size_t cap)
{
	const char *const names[] = {"dir"}, *const dirs[] = {dir};
	return mount_options(key, len, names, dirs, 1, out, cap);
}

fusekey_status fk_form_occlum_mount_unionfs(const uint8_t *key, size_t len, const char *lowerdir,
					    const char *upperdir, char *out, size_t cap)
{
	const char *const names[] = {"lowerdir", "upperdir"}, *const dirs[] = {lowerdir, upperdir};
	return mount_options(key, len, names, dirs, 2, out, cap);
}

/*
 * The plain-file form of Gramine's keys/<name> (used where the platform is not
 * Gramine, on a directory laid out alike). Names are checked by the same
 * validator as the platform's install (fk_gramine_key_name_ok). Statuses are
 * those of a plain file, documented in fk_forms.h: ENOENT -> NOT_FOUND,
 * EACCES / EPERM -> PERMISSION (the platform's install maps EACCES to
 * NOT_FOUND because Gramine answers EACCES to a write it refuses; here a file
 * mode says it). Anything that is not a regular file (a FIFO, a device, a
 * directory, a symlink) is refused without blocking: FUSEKEY_ERR_IO.
 */
fusekey_status fk_form_gramine_install(const char *dir, const char *name, const uint8_t *key,
				       size_t len)
{
	char path[PATH_MAX];
	fusekey_status st = FUSEKEY_OK;
	struct stat sb;
	ssize_t w;
	int fd;
	int k;

	if (dir == NULL)
		dir = FK_GRAMINE_ROOT;
	if (key == NULL || len != FK_OCCLUM_KEY_LEN || dir[0] == '\0' ||
	    !fk_gramine_key_name_ok(name))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (strnlen(dir, sizeof(path)) >= sizeof(path))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	k = snprintf(path, sizeof(path), "%s/keys/%s", dir, name);
	if (k < 0 || (size_t)k >= sizeof(path))
		return FUSEKEY_ERR_INVALID_PARAMETER;

	/* Never create (the pseudo-file exists only if the manifest declares the
	 * name), never follow a final symlink, never block on a FIFO. */
	do {
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno_status(errno);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		(void)close(fd);
		return FUSEKEY_ERR_IO;
	}

	/* Exactly one write of all 16 bytes: Gramine refuses any other length. */
	do {
		w = write(fd, key, FK_OCCLUM_KEY_LEN);
	} while (w < 0 && errno == EINTR);
	if (w < 0)
		st = errno_status(errno);
	else if ((size_t)w != FK_OCCLUM_KEY_LEN)
		st = FUSEKEY_ERR_IO;

	/* On Linux the descriptor is released even when close fails with EINTR. */
	if (close(fd) != 0 && errno != EINTR && st == FUSEKEY_OK)
		st = FUSEKEY_ERR_IO;
	return st;
}

fusekey_status fk_form_write_fd(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t done = 0;

	if (fd < 0 || (data == NULL && len > 0))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	while (done < len) {
		size_t chunk = len - done;
		ssize_t w;

		if (chunk > FK_WRITE_CHUNK)
			chunk = FK_WRITE_CHUNK;
		w = write(fd, p + done, chunk);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno_status(errno);
		}
		if (w == 0)
			return FUSEKEY_ERR_IO;
		done += (size_t)w;
	}
	return FUSEKEY_OK;
}
