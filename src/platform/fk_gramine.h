/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Gramine platform: SGX through Gramine's /dev/attestation pseudo-files
 * (platforms.md §2.1; Gramine libos/src/fs/dev/attestation.c) plus EGETKEY
 * executed in the enclave (fk_enclu.h) for what no pseudo-file offers:
 * report verification (REPORT key + CMAC) and our own key requests (SDK
 * sealing keys; Gramine's keys/_sgx_mr* use key_id 0 and other masks).
 *
 *   self_target    read  <root>/my_target_info (512)
 *   create_report  write <root>/target_info (512, zeros for NULL),
 *                  write <root>/user_report_data (64), read <root>/report (432)
 *   verify_report  EGETKEY{REPORT, key_id = report.key_id} + AES-CMAC, constant time
 *   get_key        fk_platform_check_key_request, then EGETKEY
 *   identity, cpu_svn  from a self report taken at open
 *
 * The pseudo-files and the instruction are reached through a seam
 * (struct fk_gramine_io): production passes NULL and gets openat/read/write/
 * close below the root (opened once) and the real ENCLU; tests inject an
 * in-memory /dev/attestation and an emulated EGETKEY (tests/seams/gramine_emu.h).
 *
 * Nothing read from the files is trusted until EGETKEY has vouched for it: at
 * open a self report (our own target, fresh random report data) must verify
 * with the REPORT key (sgx.md §4) before identity and CPUSVN are cached, so a
 * directory of plain files can never pass for Gramine inside an enclave. With
 * the real io, open first requires the real /dev/attestation (whatever root
 * was given): outside Gramine ENCLU would be #UD (SIGILL), so a fake root is
 * refused there before any instruction runs.
 *
 * Gramine keeps target_info / user_report_data per process and unlocked
 * (attestation.c), so a report is a write-write-read sequence nobody may
 * interleave: fusekey serialises its own sequences (and key installs) with one
 * process-wide lock. Other code in the process that touches /dev/attestation
 * is not covered: a report that then comes back with other report data, or of
 * another enclave, is refused (FUSEKEY_ERR_UNEXPECTED), never returned.
 */
#ifndef FK_GRAMINE_H
#define FK_GRAMINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "platform/fk_platform.h"

#define FK_GRAMINE_ROOT "/dev/attestation"
#define FK_GRAMINE_KEY_NAME_MAX 64u
#define FK_GRAMINE_ROOT_MAX 1024u /* bytes of the root path, NUL excluded */

struct fk_gramine_io {
	/*
	 * Pseudo-file access below the root: path is relative to it
	 * ("my_target_info", "keys/fuse"); flags O_RDONLY or O_WRONLY.
	 * fd or -errno. Gramine applies each write(2) as a whole (zero-padded or
	 * refused), so the platform never splits a write.
	 */
	int (*open)(void *ctx, const char *path, int flags);
	ssize_t (*read)(void *ctx, int fd, void *buf, size_t len);        /* or -errno */
	ssize_t (*write)(void *ctx, int fd, const void *buf, size_t len); /* or -errno */
	void (*close)(void *ctx, int fd);
	/*
	 * ENCLU[EGETKEY]: req is 512-byte aligned, key 16-byte aligned (SDM).
	 * Returns the instruction's status (0, or 2/0x20/0x40/0x100 as sgx.md §3).
	 */
	uint32_t (*egetkey)(void *ctx, const struct fk_sgx_key_request *req, uint8_t key[16]);
	void (*destroy)(void *ctx); /* may be NULL */
	void *ctx;
	bool emulated;
};

/*
 * Open the Gramine platform. root NULL = /dev/attestation; io NULL = the real
 * pseudo-files and instruction (io copied; ctx owned from here on, even on
 * failure). With the real io: FUSEKEY_ERR_NO_PLATFORM when this build has no
 * ENCLU (not x86-64), when the real /dev/attestation/my_target_info does not
 * give 512 bytes (not inside Gramine), or when <root>/my_target_info does not.
 * Then the self report: FUSEKEY_ERR_NO_PLATFORM when it cannot be taken,
 * FUSEKEY_ERR_MAC_MISMATCH when it does not verify (the files are not this
 * enclave's Gramine), FUSEKEY_ERR_UNEXPECTED when it and my_target_info
 * describe different enclaves. why (may be NULL) gets one line saying why
 * the open failed; on success it is left empty.
 */
fusekey_status fk_gramine_platform_open(const char *root, const struct fk_gramine_io *io,
					struct fk_platform **out, char *why,
					size_t why_len) FK_WARN_UNUSED;
/* fk_gramine_platform_open without the reason. */
fusekey_status fk_gramine_platform_new(const char *root, const struct fk_gramine_io *io,
				       struct fk_platform **out) FK_WARN_UNUSED;

/*
 * Detection probe: does <root>/my_target_info give exactly 512 bytes? A file
 * check only: nothing is verified until the platform is opened (the line
 * says so). Writes one line saying what was seen to why ("<root>/
 * my_target_info: no such file", "...: read 100 bytes, want 512", "...
 * answered with 512 bytes (not verified until opened)"). With the real io,
 * false on a build without ENCLU. io NULL = the real files. Does not take
 * ownership of io->ctx.
 */
bool fk_gramine_probe(const char *root, const struct fk_gramine_io *io, char *why,
		      size_t why_len);

/*
 * A key name fusekey writes below keys/: [A-Za-z0-9_.-]{1,64}, not starting
 * with '_' (Gramine's own _sgx_* keys) or '.'; so never '/', never "..".
 * Shared by fk_gramine_install_key and the plain-file form (fk_forms.c).
 */
bool fk_gramine_key_name_ok(const char *name);

/*
 * Install a 16-byte encrypted-FS key: write it to <root>/keys/<name>, under
 * the report lock. Names as fk_gramine_key_name_ok.
 * Gramine accepts the write only for names declared in the manifest
 * (fs.mounts ... key_name; an undeclared name gives ENOENT at open):
 * EACCES/ENOENT/EPERM -> FUSEKEY_ERR_NOT_FOUND (the caller says "declare
 * key_name = \"<name>\" in the manifest"); a short write -> FUSEKEY_ERR_IO.
 * p must be a Gramine platform (else INVALID_PARAMETER).
 */
fusekey_status fk_gramine_install_key(struct fk_platform *p, const char *name,
				      const uint8_t key[16]) FK_WARN_UNUSED;

#endif
