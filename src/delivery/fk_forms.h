/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forms of the FUSE key, for the libOS that mounts the encrypted filesystem
 * (shared/docs/reference/platforms.md §1.3, §2.1):
 *
 *  - hex: lowercase, no separators;
 *  - Occlum key string: 16 bytes as two-digit lowercase hex joined by '-'
 *    (47 characters), the format of Occlum's `key=` mount option and of
 *    enclave-cc's key.txt;
 *  - Occlum mount options: `dir=<dir>,key=<key string>` for sefs,
 *    `lowerdir=<l>,upperdir=<u>,key=<key string>` for unionfs;
 *  - Gramine key store: 16 raw bytes written to <attestation dir>/keys/<name>
 *    (the name must be declared in the manifest, as an encrypted mount's
 *    key_name or in fs.insecure__keys);
 *  - raw bytes to a file (0600, atomic) or to a file descriptor.
 *
 * Output strings are NUL-terminated; on failure they are zeroed.
 */
#ifndef FK_FORMS_H
#define FK_FORMS_H

#include <stddef.h>
#include <stdint.h>

#include "fusekey/fusekey.h"

enum {
	FK_OCCLUM_KEY_LEN = 16,
	FK_OCCLUM_KEY_STRING_LEN = 47, /* without the NUL */
};

/* cap >= 2 * len + 1. */
fusekey_status fk_form_hex(const uint8_t *key, size_t len, char *out, size_t cap)
	__attribute__((warn_unused_result));

/* key must be exactly 16 bytes (else INVALID_PARAMETER); out holds 48 bytes. */
fusekey_status fk_form_occlum(const uint8_t *key, size_t len,
			      char out[FK_OCCLUM_KEY_STRING_LEN + 1]) __attribute__((warn_unused_result));

/* Parse an Occlum key string (exactly 16 parts of two hex digits, '-' separated;
 * a trailing "\n" or "\r\n" is accepted as in enclave-cc's init). FORMAT otherwise. */
fusekey_status fk_form_occlum_parse(const char *s, uint8_t key[FK_OCCLUM_KEY_LEN])
	__attribute__((warn_unused_result));

/*
 * Mount option strings. Directory values must be non-empty and may not contain
 * ',' '=' or control characters (they would break Occlum's k=v parser):
 * INVALID_PARAMETER.
 */
fusekey_status fk_form_occlum_mount_sefs(const uint8_t *key, size_t len, const char *dir,
					 char *out, size_t cap) __attribute__((warn_unused_result));
fusekey_status fk_form_occlum_mount_unionfs(const uint8_t *key, size_t len, const char *lowerdir,
					    const char *upperdir, char *out, size_t cap)
	__attribute__((warn_unused_result));

/*
 * Install a 16-byte key into Gramine's key store as a plain file: open (never
 * create, never through a final symlink, never blocking) <dir>/keys/<name>
 * and write exactly 16 bytes. dir NULL = /dev/attestation. name: as
 * fk_gramine_key_name_ok (1..64 of [A-Za-z0-9_.-], not starting with '.' or
 * '_', the '_' names being Gramine's own). A missing file gives
 * FUSEKEY_ERR_NOT_FOUND (the name is not declared in the manifest), a refused
 * one FUSEKEY_ERR_PERMISSION; anything but a regular file (FIFO, device,
 * directory, symlink) FUSEKEY_ERR_IO.
 */
fusekey_status fk_form_gramine_install(const char *dir, const char *name, const uint8_t *key,
				       size_t len) __attribute__((warn_unused_result));

/* Write all bytes to fd (EINTR and short writes handled). */
fusekey_status fk_form_write_fd(int fd, const void *data, size_t len)
	__attribute__((warn_unused_result));

#endif
