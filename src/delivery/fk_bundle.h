/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bundle store: where the agent leaves what the app needs.
 *
 *   <bundle>/fusekey/<container-id>/key.sealed    method seal   (0600)
 *   <bundle>/fusekey/<container-id>/derive.json   method derive (0600)
 *
 * <bundle> is the container's bundle directory, which the host shares with
 * both enclaves. One fusekey/ subdirectory keeps our files apart from the OCI
 * bundle's own (config.json, rootfs/); one directory per container id lets a
 * bundle shared by several containers (enclave-cc's agent bundle) hold them
 * all. Directories are created 0700. The host can delete, swap or replay these
 * files: that is why the key is bound to its container id and authenticated.
 *
 * Writes are atomic (fk_file_write_atomic), never through a symlink (neither
 * the file nor the two directories may be symlinks), and never replace an
 * existing key unless forced.
 */
#ifndef FK_BUNDLE_H
#define FK_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fusekey/fusekey.h"

#define FK_BUNDLE_SUBDIR "fusekey"
#define FK_BUNDLE_SEALED_NAME "key.sealed"
#define FK_BUNDLE_DERIVE_NAME "derive.json"
#define FK_BUNDLE_LA_NAME "key.la" /* la: the key sealed to the agent itself, for fusekeyd */

/* 1..128 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool fk_container_id_valid(const char *cid);

/* <bundle>/fusekey/<cid>/<name> into out; INVALID_PARAMETER if too long or cid invalid. */
fusekey_status fk_bundle_path(const char *bundle, const char *cid, const char *name, char *out,
			      size_t outlen) __attribute__((warn_unused_result));

/* Write atomically, 0600, creating the directories (0700). EXISTS unless force. */
fusekey_status fk_bundle_write(const char *bundle, const char *cid, const char *name,
			       const void *data, size_t len, bool force)
	__attribute__((warn_unused_result));

/* Read at most max bytes (FORMAT if larger); NOT_FOUND if missing. Free with fk_file_free. */
fusekey_status fk_bundle_read(const char *bundle, const char *cid, const char *name, size_t max,
			      uint8_t **out, size_t *len) __attribute__((warn_unused_result));

/* True if <name> exists for cid (any file type: a symlink counts, and is refused later). */
bool fk_bundle_exists(const char *bundle, const char *cid, const char *name);

/* Remove <name> for cid if present (used when force replaces a key of another method). */
fusekey_status fk_bundle_remove(const char *bundle, const char *cid, const char *name)
	__attribute__((warn_unused_result));

/*
 * Remove every key file a method leaves (key.sealed, derive.json, key.la) except those in keep
 * (NULL-terminated): force replacing a key of another method.
 */
fusekey_status fk_bundle_remove_others(const char *bundle, const char *cid,
				       const char *const *keep)
	__attribute__((warn_unused_result));

/* True if any key file a method leaves exists for cid. */
bool fk_bundle_has_key(const char *bundle, const char *cid);

/*
 * Lock the container's directory (flock): exclusive for generate, across the
 * "is there a key?" check, the write and the removal of the other method's
 * file, so that two agents — even with different methods — leave exactly one
 * key; shared for get, which then never sees a half-done method switch.
 * Exclusive creates the directories; shared on a missing directory returns OK
 * with *fd = -1. Advisory: it orders fusekey processes, not a hostile host.
 */
fusekey_status fk_bundle_lock(const char *bundle, const char *cid, bool exclusive, int *fd)
	__attribute__((warn_unused_result));
/*
 * The shared lock without waiting, for a server that must not stall on a
 * writer: FUSEKEY_ERR_TIMEOUT when someone holds it exclusively.
 */
fusekey_status fk_bundle_try_lock_shared(const char *bundle, const char *cid, int *fd)
	__attribute__((warn_unused_result));
void fk_bundle_unlock(int fd);

#endif
