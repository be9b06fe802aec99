/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle store (layout and rules in fk_bundle.h, docs/delivery.md). */
#include "delivery/fk_bundle.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

/* A directory we own in the layout: create it 0700, and refuse a symlink or
 * anything else standing in its place (the host must not redirect our writes). */
static fusekey_status real_dir(const char *path, bool create)
{
	struct stat sb;

	if (create && mkdir(path, 0700) != 0 && errno != EEXIST)
		return errno == ENOENT ? FUSEKEY_ERR_NOT_FOUND : FUSEKEY_ERR_IO;
	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? FUSEKEY_ERR_NOT_FOUND : FUSEKEY_ERR_IO;
	if (S_ISLNK(sb.st_mode) || !S_ISDIR(sb.st_mode))
		return FUSEKEY_ERR_FORMAT;
	return FUSEKEY_OK;
}

/* Check (and with create, make) <bundle>/fusekey and <bundle>/fusekey/<cid>. */
static fusekey_status dirs(const char *bundle, const char *cid, bool create)
{
	char path[PATH_MAX];
	fusekey_status st;
	struct stat sb;
	int n;

	if (stat(bundle, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return FUSEKEY_ERR_NOT_FOUND; /* the bundle itself is the host's to make */
	n = snprintf(path, sizeof(path), "%s/%s", bundle, FK_BUNDLE_SUBDIR);
	if (n < 0 || (size_t)n >= sizeof(path))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = real_dir(path, create);
	if (st != FUSEKEY_OK)
		return st;
	st = join(path, sizeof(path), bundle, cid, NULL);
	if (st != FUSEKEY_OK)
		return st;
	return real_dir(path, create);
}

fusekey_status fk_bundle_write(const char *bundle, const char *cid, const char *name,
			       const void *data, size_t len, bool force)
{
	char path[PATH_MAX];
	fusekey_status st = join(path, sizeof(path), bundle, cid, name);

	if (st != FUSEKEY_OK)
		return st;
	st = dirs(bundle, cid, true);
	if (st != FUSEKEY_OK)
		return st;
	return fk_file_write_atomic(path, data, len, 0600, force);
}

fusekey_status fk_bundle_read(const char *bundle, const char *cid, const char *name, size_t max,
			      uint8_t **out, size_t *len)
{
	char path[PATH_MAX];
	fusekey_status st = join(path, sizeof(path), bundle, cid, name);

	*out = NULL;
	*len = 0;
	if (st != FUSEKEY_OK)
		return st;
	st = dirs(bundle, cid, false);
	if (st != FUSEKEY_OK)
		return st;
	/* fk_file_read opens with O_NOFOLLOW: a symlinked key file is refused. */
	return fk_file_read(path, max, out, len);
}

bool fk_bundle_exists(const char *bundle, const char *cid, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	if (join(path, sizeof(path), bundle, cid, name) != FUSEKEY_OK)
		return false;
	return lstat(path, &sb) == 0;
}

fusekey_status fk_bundle_remove(const char *bundle, const char *cid, const char *name)
{
	char path[PATH_MAX];
	fusekey_status st = join(path, sizeof(path), bundle, cid, name);

	if (st != FUSEKEY_OK)
		return st;
	st = dirs(bundle, cid, false);
	if (st != FUSEKEY_OK)
		return st == FUSEKEY_ERR_NOT_FOUND ? FUSEKEY_OK : st;
	if (unlink(path) != 0 && errno != ENOENT)
		return FUSEKEY_ERR_IO;
	return FUSEKEY_OK;
}
