/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded reads and atomic writes (see fk_file.h for the guarantees). */
#include "util/fk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/fk_crypto.h"

static fusekey_status errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return FUSEKEY_ERR_NOT_FOUND;
	case EEXIST:
		return FUSEKEY_ERR_EXISTS;
	case EACCES:
	case EPERM:
		return FUSEKEY_ERR_PERMISSION;
	case ELOOP: /* O_NOFOLLOW met a symlink */
		return FUSEKEY_ERR_FORMAT;
	case ENOMEM:
		return FUSEKEY_ERR_NO_MEMORY;
	default:
		return FUSEKEY_ERR_IO;
	}
}

fusekey_status fk_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len)
{
	fusekey_status st = FUSEKEY_ERR_IO;
	uint8_t *buf = NULL;
	size_t got = 0;
	struct stat sb;
	int fd;

	*out = NULL;
	*out_len = 0;
	/* O_NONBLOCK: a FIFO planted at path must not block us; fstat refuses it below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno_status(errno);
	if (fstat(fd, &sb) != 0) {
		st = errno_status(errno);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < 0 || (uintmax_t)sb.st_size > max_len) {
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	/* Read up to max_len + 1 so a file that grew after fstat is still refused. */
	buf = malloc(max_len + 1);
	if (buf == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, max_len + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = errno_status(errno);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max_len) {
			st = FUSEKEY_ERR_FORMAT;
			goto out;
		}
	}
	*out = buf;
	*out_len = got;
	buf = NULL;
	st = FUSEKEY_OK;
out:
	if (buf != NULL)
		fk_file_free(buf, got);
	close(fd);
	return st;
}

void fk_file_free(uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return;
	fk_wipe(buf, len);
	free(buf);
}

static fusekey_status write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno_status(errno);
		p += n;
		len -= (size_t)n;
	}
	return FUSEKEY_OK;
}

/* Split path into its directory (for the temp file and the directory fsync). */
static fusekey_status dir_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	if (slash == NULL) {
		if (dirlen < 2)
			return FUSEKEY_ERR_INVALID_PARAMETER;
		strcpy(dir, ".");
		return FUSEKEY_OK;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* "/file" */
	if (n >= dirlen)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return FUSEKEY_OK;
}

fusekey_status fk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
				    bool overwrite)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	fusekey_status st;
	struct stat sb;
	int fd = -1, dfd = -1, n;
	bool tmp_made = false;

	if (path == NULL || path[0] == '\0' || (data == NULL && len > 0))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = dir_of(path, dir, sizeof(dir));
	if (st != FUSEKEY_OK)
		return st;
	if (lstat(path, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			return FUSEKEY_ERR_FORMAT; /* never write through a symlink */
		if (!overwrite)
			return FUSEKEY_ERR_EXISTS;
		if (!S_ISREG(sb.st_mode))
			return FUSEKEY_ERR_FORMAT;
	} else if (errno != ENOENT) {
		return errno_status(errno);
	}
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return errno_status(errno);
	tmp_made = true;
	if (fchmod(fd, mode) != 0) {
		st = errno_status(errno);
		goto out;
	}
	st = write_all(fd, data, len);
	if (st != FUSEKEY_OK)
		goto out;
	if (fsync(fd) != 0) {
		st = errno_status(errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		st = errno_status(errno);
		goto out;
	}
	fd = -1;
	if (overwrite) {
		if (rename(tmp, path) != 0) {
			st = errno_status(errno);
			goto out;
		}
	} else {
		/* link() fails if path appeared meanwhile: no overwrite even under a race. */
		if (link(tmp, path) != 0) {
			st = errno_status(errno);
			goto out;
		}
		(void)unlink(tmp);
	}
	tmp_made = false;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		st = FUSEKEY_ERR_IO;
		goto out;
	}
	st = FUSEKEY_OK;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp_made)
		(void)unlink(tmp);
	return st;
}

fusekey_status fk_file_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	struct stat sb;

	if (len == 0 || len >= sizeof(buf))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return errno_status(errno);
		buf[i] = saved;
	}
	if (stat(path, &sb) != 0)
		return errno_status(errno);
	return S_ISDIR(sb.st_mode) ? FUSEKEY_OK : FUSEKEY_ERR_FORMAT;
}
