/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Occlum platform: SGX through ioctls on Occlum's /dev/sgx
 * (platforms.md §1.1; Occlum src/libos/src/fs/dev_fs/dev_sgx). The ioctl
 * numbers and argument structs below are the ABI, asserted against the
 * reference; everything else (key requests fully populated, identity and
 * CPUSVN from a self report, KSS only with enable_kss) is ours.
 *
 * The device is reached through a seam (struct fk_occlum_io): production
 * passes NULL and gets open(2)/ioctl(2)/close(2); tests inject an emulated
 * /dev/sgx (tests/seams/occlum_emu.h). Nothing in the production path can
 * reach the emulation.
 */
#ifndef FK_OCCLUM_H
#define FK_OCCLUM_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/fk_platform.h"

#define FK_OCCLUM_DEVICE "/dev/sgx"

/* SGXIOC_<name>: magic 's', x86-64 _IOR/_IOW/_IOWR values (platforms.md §1.1). */
#define FK_OCCLUM_IOC_IS_EDMM_SUPPORTED 0x80047300UL
#define FK_OCCLUM_IOC_SELF_TARGET 0x82007303UL   /* R  sgx_target_info_t (512) */
#define FK_OCCLUM_IOC_CREATE_REPORT 0xC0187304UL /* RW fk_occlum_create_report_arg (24) */
#define FK_OCCLUM_IOC_VERIFY_REPORT 0x41B07305UL /* W  sgx_report_t (432) */
#define FK_OCCLUM_IOC_GET_KEY 0xC010730BUL       /* RW fk_occlum_get_key_arg (16) */

/* sgxioc_create_report_arg_t: NULL target_info = zeroed TI, NULL report_data = zeros. */
struct fk_occlum_create_report_arg {
	const struct fk_sgx_target_info *target_info;
	const uint8_t *report_data; /* 64 bytes */
	struct fk_sgx_report *report;
};

/* sgxioc_get_key_arg_t */
struct fk_occlum_get_key_arg {
	const struct fk_sgx_key_request *key_request;
	uint8_t *key; /* 16 bytes */
};

/* How the backend reaches /dev/sgx. Return values follow the kernel ABI: fd or -errno. */
struct fk_occlum_io {
	int (*open)(void *ctx, const char *path);
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg); /* 0 or -errno */
	void (*close)(void *ctx, int fd);
	void (*destroy)(void *ctx); /* frees ctx when the platform is destroyed; may be NULL */
	void *ctx;
	bool emulated; /* the device is an emulation: the platform says so (p->emulated) */
};

/*
 * Open the Occlum platform: open the device, SELF_TARGET, and a self report
 * (identity, CPUSVN, KSS flag) cached for key requests. device NULL = /dev/sgx;
 * io NULL = the real device (io is copied; its ctx is owned from here on, even
 * on failure). FUSEKEY_ERR_NO_PLATFORM when the device is missing, is not a
 * character device (the real io opens it O_NONBLOCK | O_NOCTTY and checks with
 * fstat before any ioctl), or does not answer SELF_TARGET (not inside Occlum);
 * the self report's own error when it fails; FUSEKEY_ERR_UNEXPECTED when
 * SELF_TARGET and the self report describe different enclaves (MRENCLAVE,
 * ATTRIBUTES, CONFIGSVN, MISCSELECT or CONFIGID differ).
 *
 * get_key gives the SDK's statuses although Occlum answers EINVAL to every
 * EGETKEY failure: they are decided from the request and the cached identity
 * in the SDM's order, and the device is asked only about CPUSVN. A KSS policy
 * bit or CONFIGSVN in an enclave without KSS is FUSEKEY_ERR_INVALID_PARAMETER
 * before any ioctl (callers: tell the user to set metadata.enable_kss in
 * Occlum.json). verify_report: any report not made for us is
 * FUSEKEY_ERR_MAC_MISMATCH. Device errors other than EINVAL: FUSEKEY_ERR_IO
 * (ENOMEM: FUSEKEY_ERR_NO_MEMORY).
 */
fusekey_status fk_occlum_platform_new(const char *device, const struct fk_occlum_io *io,
				      struct fk_platform **out) FK_WARN_UNUSED;

/*
 * Detection probe: does `device` answer SELF_TARGET? Writes one line saying
 * what was seen ("/dev/sgx: no such file", "/dev/sgx answered SELF_TARGET",
 * "/dev/sgx: not a character device (...)", "/dev/sgx: SELF_TARGET failed:
 * Inappropriate ioctl ...") to why. Never blocks (a FIFO at the path).
 * Does not take ownership of io->ctx.
 */
bool fk_occlum_probe(const char *device, const struct fk_occlum_io *io, char *why,
		     size_t why_len);

#endif
