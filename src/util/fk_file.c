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

/* Open `name` (no '/' in it, or an absolute/relative path when dirfd is
 * AT_FDCWD) for reading: no symlink, no blocking on a FIFO. */
fusekey_status fk_file_read_at(int dirfd, const char *name, size_t max_len, uint8_t **out,
			       size_t *out_len)
{
	fusekey_status st = FUSEKEY_ERR_IO;
	struct stat sb;
	int fd;

	*out = NULL;
	*out_len = 0;
	if (name == NULL || name[0] == '\0')
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* O_NONBLOCK: a FIFO planted at the path must not block us; fstat refuses it below. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
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
	st = fk_file_read_fd(fd, max_len, out, out_len);
out:
	close(fd);
	return st;
}

fusekey_status fk_file_read_fd(int fd, size_t max_len, uint8_t **out, size_t *out_len)
{
	fusekey_status st;
	uint8_t *buf;
	size_t got = 0;

	*out = NULL;
	*out_len = 0;
	/* Read up to max_len + 1 so a file that grew after fstat is still refused. */
	buf = malloc(max_len + 1);
	if (buf == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
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
	return FUSEKEY_OK;
out:
	fk_file_free(buf, got);
	return st;
}

fusekey_status fk_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len)
{
	return fk_file_read_at(AT_FDCWD, path, max_len, out, out_len);
}

void fk_file_free(uint8_t *buf, size_t len)
{
	fk_wipe_free(buf, len);
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

/* A fresh temporary name beside `name`, created O_EXCL in dirfd. */
static int make_temp(int dirfd, const char *name, mode_t mode, char *tmp, size_t tmplen)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		uint8_t rnd[6];
		int n, fd;
		if (fk_random(rnd, sizeof(rnd)) != FUSEKEY_OK)
			return -1;
		n = snprintf(tmp, tmplen, "%s.tmp.%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1],
			     rnd[2], rnd[3], rnd[4], rnd[5]);
		if (n < 0 || (size_t)n >= tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

fusekey_status fk_file_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
				       mode_t mode, bool overwrite)
{
	char tmp[NAME_MAX + 1];
	fusekey_status st;
	struct stat sb;
	int fd = -1;
	bool tmp_made = false;

	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strlen(name) + 18 > NAME_MAX || (data == NULL && len > 0))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(sb.st_mode))
			return FUSEKEY_ERR_FORMAT; /* never write through a symlink */
		if (!overwrite)
			return FUSEKEY_ERR_EXISTS;
		if (!S_ISREG(sb.st_mode))
			return FUSEKEY_ERR_FORMAT;
	} else if (errno != ENOENT) {
		return errno_status(errno);
	}
	fd = make_temp(dirfd, name, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return errno_status(errno);
	tmp_made = true;
	/* The mode asked for, whatever the umask. */
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
		/* rename() replaces a symlink itself, never its target. */
		if (renameat(dirfd, tmp, dirfd, name) != 0) {
			st = errno_status(errno);
			goto out;
		}
	} else {
		/* linkat() fails if name appeared meanwhile: no overwrite even under a race. */
		if (linkat(dirfd, tmp, dirfd, name, 0) != 0) {
			st = errno_status(errno);
			goto out;
		}
		(void)unlinkat(dirfd, tmp, 0);
	}
	tmp_made = false;
	st = fsync(dirfd) == 0 ? FUSEKEY_OK : FUSEKEY_ERR_IO;
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		(void)unlinkat(dirfd, tmp, 0);
	return st;
}

/* Split path into its directory and last component. */
static fusekey_status split(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		if (dirlen < 2)
			return FUSEKEY_ERR_INVALID_PARAMETER;
		strcpy(dir, ".");
		*base = path;
		return FUSEKEY_OK;
	}
	n = (size_t)(slash - path);
	if (n == 0)
		n = 1; /* "/file" */
	if (n >= dirlen || slash[1] == '\0')
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memcpy(dir, path, n);
	dir[n] = '\0';
	*base = slash + 1;
	return FUSEKEY_OK;
}

fusekey_status fk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
				    bool overwrite)
{
	char dir[PATH_MAX];
	const char *base = NULL;
	fusekey_status st;
	int dfd;

	if (path == NULL || path[0] == '\0')
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = split(path, dir, sizeof(dir), &base);
	if (st != FUSEKEY_OK)
		return st;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno_status(errno);
	st = fk_file_write_atomic_at(dfd, base, data, len, mode, overwrite);
	close(dfd);
	return st;
}

fusekey_status fk_file_open_dir_at(int dirfd, const char *name, bool create, mode_t mode, int *out)
{
	int fd;

	*out = -1;
	if (create && mkdirat(dirfd, name, mode) != 0 && errno != EEXIST)
		return errno_status(errno);
	/* O_NOFOLLOW: a symlink standing in for the directory is refused (ELOOP/ENOTDIR). */
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			return FUSEKEY_ERR_FORMAT;
		return errno_status(errno);
	}
	*out = fd;
	return FUSEKEY_OK;
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
