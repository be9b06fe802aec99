/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle store (layout and rules in fk_bundle.h, docs/delivery.md). */
#include "delivery/fk_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fk_file.h"

bool fk_container_id_valid(const char *cid)
{
	size_t n;

	if (cid == NULL || cid[0] == '\0' || cid[0] == '.' || cid[0] == '-')
		return false;
	n = strnlen(cid, FUSEKEY_CONTAINER_ID_MAX + 1);
	if (n > FUSEKEY_CONTAINER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = cid[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

static fusekey_status join(char *out, size_t outlen, const char *bundle, const char *cid,
			   const char *name)
{
	int n;

	if (bundle == NULL || bundle[0] == '\0' || !fk_container_id_valid(cid))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (name != NULL)
		n = snprintf(out, outlen, "%s/%s/%s/%s", bundle, FK_BUNDLE_SUBDIR, cid, name);
	else
		n = snprintf(out, outlen, "%s/%s/%s", bundle, FK_BUNDLE_SUBDIR, cid);
	return (n < 0 || (size_t)n >= outlen) ? FUSEKEY_ERR_INVALID_PARAMETER : FUSEKEY_OK;
}

fusekey_status fk_bundle_path(const char *bundle, const char *cid, const char *name, char *out,
			      size_t outlen)
{
	return join(out, outlen, bundle, cid, name);
}

/*
 * Open <bundle>/fusekey/<cid> as a directory handle, each component opened
 * with O_NOFOLLOW relative to its parent: a symlink planted by the host is
 * refused (FORMAT) and cannot redirect us between a check and a write.
 * With create, the two directories are made 0700.
 */
static fusekey_status open_cid_dir(const char *bundle, const char *cid, bool create, int *out)
{
	fusekey_status st;
	int bfd, ffd = -1;

	*out = -1;
	if (bundle == NULL || bundle[0] == '\0' || !fk_container_id_valid(cid))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* The bundle itself is the host's to make (and may be reached through a link). */
	bfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return (errno == ENOENT || errno == ENOTDIR) ? FUSEKEY_ERR_NOT_FOUND : FUSEKEY_ERR_IO;
	st = fk_file_open_dir_at(bfd, FK_BUNDLE_SUBDIR, create, 0700, &ffd);
	if (st == FUSEKEY_OK)
		st = fk_file_open_dir_at(ffd, cid, create, 0700, out);
	if (ffd >= 0)
		close(ffd);
	close(bfd);
	return st;
}

fusekey_status fk_bundle_write(const char *bundle, const char *cid, const char *name,
			       const void *data, size_t len, bool force)
{
	fusekey_status st;
	int dfd;

	st = open_cid_dir(bundle, cid, true, &dfd);
	if (st != FUSEKEY_OK)
		return st;
	st = fk_file_write_atomic_at(dfd, name, data, len, 0600, force);
	close(dfd);
	return st;
}

fusekey_status fk_bundle_read(const char *bundle, const char *cid, const char *name, size_t max,
			      uint8_t **out, size_t *len)
{
	fusekey_status st;
	int dfd;

	*out = NULL;
	*len = 0;
	st = open_cid_dir(bundle, cid, false, &dfd);
	if (st != FUSEKEY_OK)
		return st;
	/* O_NOFOLLOW, O_NONBLOCK: a symlinked or FIFO key file is refused. */
	st = fk_file_read_at(dfd, name, max, out, len);
	close(dfd);
	return st;
}

bool fk_bundle_exists(const char *bundle, const char *cid, const char *name)
{
	struct stat sb;
	bool found;
	int dfd;

	if (open_cid_dir(bundle, cid, false, &dfd) != FUSEKEY_OK)
		return false;
	found = fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	return found;
}

/* Every key file a method leaves, NULL-terminated (one container, one key). */
static const char *const fk_bundle_key_names[] = {
	FK_BUNDLE_SEALED_NAME,
	FK_BUNDLE_DERIVE_NAME,
	FK_BUNDLE_LA_NAME,
	NULL,
};

static bool name_in(const char *name, const char *const *list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

fusekey_status fk_bundle_remove_others(const char *bundle, const char *cid,
				       const char *const *keep)
{
	fusekey_status st = FUSEKEY_OK;
	for (size_t i = 0; st == FUSEKEY_OK && fk_bundle_key_names[i] != NULL; i++)
		if (!name_in(fk_bundle_key_names[i], keep))
			st = fk_bundle_remove(bundle, cid, fk_bundle_key_names[i]);
	return st;
}

bool fk_bundle_has_key(const char *bundle, const char *cid)
{
	for (size_t i = 0; fk_bundle_key_names[i] != NULL; i++)
		if (fk_bundle_exists(bundle, cid, fk_bundle_key_names[i]))
			return true;
	return false;
}

fusekey_status fk_bundle_remove(const char *bundle, const char *cid, const char *name)
{
	fusekey_status st;
	int dfd;

	st = open_cid_dir(bundle, cid, false, &dfd);
	if (st != FUSEKEY_OK)
		return st == FUSEKEY_ERR_NOT_FOUND ? FUSEKEY_OK : st;
	if (unlinkat(dfd, name, 0) == 0) {
		if (fsync(dfd) != 0) /* only when something was removed */
			st = FUSEKEY_ERR_IO;
	} else if (errno != ENOENT) {
		st = FUSEKEY_ERR_IO;
	}
	close(dfd);
	return st;
}

static fusekey_status lock_dir(const char *bundle, const char *cid, bool exclusive, bool wait,
			       int *out)
{
	fusekey_status st;
	int dfd;

	*out = -1;
	st = open_cid_dir(bundle, cid, exclusive, &dfd);
	if (st == FUSEKEY_ERR_NOT_FOUND && !exclusive)
		return FUSEKEY_OK; /* nothing to read yet: nothing to lock */
	if (st != FUSEKEY_OK)
		return st;
	while (flock(dfd, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno != EINTR) {
			st = errno == EWOULDBLOCK ? FUSEKEY_ERR_TIMEOUT : FUSEKEY_ERR_IO;
			close(dfd);
			return st;
		}
	}
	*out = dfd;
	return FUSEKEY_OK;
}

fusekey_status fk_bundle_lock(const char *bundle, const char *cid, bool exclusive, int *out)
{
	return lock_dir(bundle, cid, exclusive, true, out);
}

fusekey_status fk_bundle_try_lock_shared(const char *bundle, const char *cid, int *out)
{
	return lock_dir(bundle, cid, false, false, out);
}

void fk_bundle_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the descriptor releases the flock */
}
