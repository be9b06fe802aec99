/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SGX platform interface: the five things fusekey needs from SGX, as one
 * table of operations. Every platform (emulated, Occlum /dev/sgx, Gramine
 * /dev/attestation) implements the table; everything above (sealing, local
 * attestation, delivery) calls only these.
 *
 *   self_target    sgx_self_target(): the target info others use to report to us
 *   create_report  EREPORT(target info, report data)
 *   verify_report  EGETKEY(REPORT, report.key_id) + CMAC over the body, constant time
 *   get_key        EGETKEY(key request) with the SDM checks, SDK error codes
 *   identity       the SECS identity of the current enclave
 *
 * Buffers are the byte-exact SGX structures of fk_sgx.h.
 */
#ifndef FK_PLATFORM_H
#define FK_PLATFORM_H

#include <stdbool.h>

#include "crypto/fk_crypto.h"
#include "fusekey/fusekey.h"
#include "sgx/fk_sgx.h"

struct fk_platform;

struct fk_platform_ops {
	const char *name; /* "sim", "occlum", "gramine" */
	fusekey_status (*self_target)(struct fk_platform *p, struct fk_sgx_target_info *ti);
	/* target_info and report_data may be NULL: zeros are used (as the SDK does). */
	fusekey_status (*create_report)(struct fk_platform *p,
					const struct fk_sgx_target_info *target_info,
					const uint8_t *report_data, struct fk_sgx_report *report);
	/* FUSEKEY_OK, or FUSEKEY_ERR_MAC_MISMATCH for any report not made for us here. */
	fusekey_status (*verify_report)(struct fk_platform *p, const struct fk_sgx_report *report);
	/* On failure key is zeroed. */
	fusekey_status (*get_key)(struct fk_platform *p, const struct fk_sgx_key_request *req,
				  uint8_t key[FK_SGX_KEY_SIZE]);
	fusekey_status (*identity)(struct fk_platform *p, struct fk_sgx_identity *id);
	/* Current CPUSVN as it appears in reports (for building key requests). */
	fusekey_status (*cpu_svn)(struct fk_platform *p, uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE]);
	void (*destroy)(struct fk_platform *p);
};

struct fk_platform {
	const struct fk_platform_ops *ops;
	bool emulated; /* true for the emulated platform: say so everywhere */
	void *impl;
};

/* Convenience wrappers (check p and ops). */
fusekey_status fk_platform_self_target(struct fk_platform *p, struct fk_sgx_target_info *ti)
	FK_WARN_UNUSED;
fusekey_status fk_platform_create_report(struct fk_platform *p,
					 const struct fk_sgx_target_info *target_info,
					 const uint8_t *report_data,
					 struct fk_sgx_report *report) FK_WARN_UNUSED;
fusekey_status fk_platform_verify_report(struct fk_platform *p,
					 const struct fk_sgx_report *report) FK_WARN_UNUSED;
fusekey_status fk_platform_get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
				   uint8_t key[FK_SGX_KEY_SIZE]) FK_WARN_UNUSED;
fusekey_status fk_platform_identity(struct fk_platform *p, struct fk_sgx_identity *id)
	FK_WARN_UNUSED;
fusekey_status fk_platform_cpu_svn(struct fk_platform *p, uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
	FK_WARN_UNUSED;
/* Frees the platform and wipes its secrets; NULL is allowed. */
void fk_platform_destroy(struct fk_platform *p);

/*
 * sgx_get_key's parameter pre-checks (sgx.md §7, egetkey README steps 1-3):
 * reserved bytes, policy bits 6..15, KSS-only policy bits or CONFIGSVN in a
 * non-KSS enclave -> FUSEKEY_ERR_INVALID_PARAMETER. Every platform runs these
 * before the instruction, which would #GP on the same conditions.
 */
fusekey_status fk_platform_check_key_request(const struct fk_sgx_key_request *req,
					     const struct fk_sgx_identity *id) FK_WARN_UNUSED;

/*
 * Do a self target info (sgx_self_target / SELF_TARGET / my_target_info) and
 * the identity from a self report describe one initialised enclave? Every
 * field a target info carries is compared (MRENCLAVE, ATTRIBUTES, CONFIGSVN,
 * MISCSELECT, CONFIGID; not the CET byte, which sgx_self_target leaves 0).
 * NULL when they agree, else the name of the first field that differs. The
 * libOS platforms refuse to open on a mismatch.
 */
const char *fk_platform_self_target_mismatch(const struct fk_sgx_target_info *ti,
					     const struct fk_sgx_identity *id);

/* One line into why (why may be NULL or why_len 0: nothing). For detection reasons. */
void fk_platform_say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
