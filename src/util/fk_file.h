/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small, careful file helpers shared by the library and the tools.
 * Reads are bounded (a file larger than the limit is refused, never truncated)
 * and never follow a symlink in the last path component. Writes are atomic:
 * a temporary file in the same directory, fsync, rename, fsync of the
 * directory, so a reader sees the old file or the new one, never half of one.
 */
#ifndef FK_FILE_H
#define FK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fusekey/fusekey.h"

/*
 * Read a whole regular file of at most max_len bytes into a new buffer
 * (free with fk_file_free, which wipes it). FUSEKEY_ERR_NOT_FOUND if missing,
 * FUSEKEY_ERR_FORMAT if larger than max_len or not a regular file,
 * FUSEKEY_ERR_IO otherwise.
 */
fusekey_status fk_file_read(const char *path, size_t max_len, uint8_t **out, size_t *out_len)
	__attribute__((warn_unused_result));
void fk_file_free(uint8_t *buf, size_t len);

/*
 * The rest of an open file, at most max_len bytes (a file that grows past it
 * while being read is refused with FUSEKEY_ERR_FORMAT, never truncated), into
 * a new buffer (fk_file_free). For callers that opened and checked the file
 * themselves; fk_file_read does all of it.
 */
fusekey_status fk_file_read_fd(int fd, size_t max_len, uint8_t **out, size_t *out_len)
	__attribute__((warn_unused_result));

/*
 * Atomically create or replace `path` with `len` bytes, file mode `mode`.
 * Without `overwrite`, an existing path gives FUSEKEY_ERR_EXISTS and is left
 * untouched. A symlink at `path` is refused in any case.
 */
fusekey_status fk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
				    bool overwrite) __attribute__((warn_unused_result));

/*
 * The same relative to an open directory, so that a caller who opened each
 * directory with O_NOFOLLOW cannot be redirected between check and use.
 * `name` is one path component (no '/').
 */
fusekey_status fk_file_read_at(int dirfd, const char *name, size_t max_len, uint8_t **out,
			       size_t *out_len) __attribute__((warn_unused_result));
fusekey_status fk_file_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
				       mode_t mode, bool overwrite)
	__attribute__((warn_unused_result));

/*
 * Open directory `name` in dirfd (creating it with `mode` first when create),
 * never through a symlink: FUSEKEY_ERR_FORMAT if a symlink or a non-directory
 * stands there. *out is the new descriptor (close it).
 */
fusekey_status fk_file_open_dir_at(int dirfd, const char *name, bool create, mode_t mode, int *out)
	__attribute__((warn_unused_result));

/* mkdir -p with `mode` for every directory created. */
fusekey_status fk_file_mkdirs(const char *path, mode_t mode) __attribute__((warn_unused_result));

#endif
