/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform selection and auto-detection (issue 6, platforms.md §1.1, §2.1).
 *
 * `auto` (the default everywhere) tries, in this order:
 *   1. Gramine: <gramine_dir>/my_target_info gives 512 bytes (default /dev/attestation);
 *      a file check only, verified when the platform opens (fk_gramine.h)
 *   2. Occlum:  <occlum_device> answers SELF_TARGET (default /dev/sgx)
 * and otherwise fails with FUSEKEY_ERR_NO_PLATFORM. The emulated platform is
 * never a candidate: it is opened only by an explicit `sim` through its own
 * door (fk_sim / fusekey_ctx_open_sim), so nothing here can fall back to it.
 *
 * Every candidate tried leaves one line in the result's `why` text, so a
 * caller can say what was detected, or why nothing was.
 */
#ifndef FK_DETECT_H
#define FK_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/fk_gramine.h"
#include "platform/fk_occlum.h"
#include "platform/fk_platform.h"

enum fk_platform_kind {
	FK_PLATFORM_AUTO = 0,
	FK_PLATFORM_SIM = 1,
	FK_PLATFORM_GRAMINE = 2,
	FK_PLATFORM_OCCLUM = 3,
};

/* "auto", "sim", "gramine", "occlum" (exact, lowercase). */
bool fk_platform_kind_parse(const char *s, enum fk_platform_kind *out);
const char *fk_platform_kind_name(enum fk_platform_kind kind);

struct fk_detect_opts {
	const char *gramine_dir;   /* NULL or "" = FK_GRAMINE_ROOT */
	const char *occlum_device; /* NULL or "" = FK_OCCLUM_DEVICE */
	/*
	 * NULL in production (the real pseudo-files and device). Tests inject
	 * emulators here; the io structs are copied and their ctx is NOT owned
	 * (destroy is never called): the caller frees it after the platform.
	 */
	const struct fk_gramine_io *gramine_io;
	const struct fk_occlum_io *occlum_io;
};

/* Room for one line per candidate (two today) plus an open failure. */
#define FK_DETECT_WHY_MAX 1024u

struct fk_detect_result {
	/* "gramine" or "occlum" when one was chosen, else NULL. Static storage. */
	const char *name;
	enum fk_platform_kind kind; /* the chosen one, or the requested one on failure */
	bool answered;		    /* a candidate answered its probe (fk_detect_open may
				       still have failed to open it) */
	/* One line per candidate tried, each "<name>: <what was seen>", '\n'-separated,
	 * no trailing newline. Never holds a secret (paths and errno texts only). */
	char why[FK_DETECT_WHY_MAX];
};

/*
 * Probe only (nothing is opened for use). AUTO tries Gramine then Occlum;
 * GRAMINE or OCCLUM probe only that one. FUSEKEY_OK with r->name set, or
 * FUSEKEY_ERR_NO_PLATFORM (r->why says what was tried). SIM or an unknown
 * kind: FUSEKEY_ERR_INVALID_PARAMETER.
 */
fusekey_status fk_detect(enum fk_platform_kind kind, const struct fk_detect_opts *o,
			 struct fk_detect_result *r) FK_WARN_UNUSED;

/*
 * Probe as fk_detect, then open the chosen backend (an explicit GRAMINE or
 * OCCLUM is opened only if its probe answers). A backend that answered its
 * probe but fails to open adds a line to why ("answered the probe, but
 * opening it failed: <status>[: <the backend's reason>]") and its status is returned
 * (auto does not go on to the next candidate: we are inside that libOS).
 * *out is NULL on failure.
 */
fusekey_status fk_detect_open(enum fk_platform_kind kind, const struct fk_detect_opts *o,
			      struct fk_detect_result *r, struct fk_platform **out) FK_WARN_UNUSED;

#endif
