/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform selection and auto-detection: Gramine's pseudo-files first, then
 * Occlum's /dev/sgx (platforms.md §2.1, §1.1), else no platform. The emulated
 * platform is not reachable from here at all (see fk_detect.h).
 */
#include "platform/fk_detect.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {
	[FK_PLATFORM_AUTO] = "auto",
	[FK_PLATFORM_SIM] = "sim",
	[FK_PLATFORM_GRAMINE] = "gramine",
	[FK_PLATFORM_OCCLUM] = "occlum",
};

bool fk_platform_kind_parse(const char *s, enum fk_platform_kind *out)
{
	if (s == NULL || out == NULL)
		return false;
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum fk_platform_kind)i;
			return true;
		}
	}
	return false;
}

const char *fk_platform_kind_name(enum fk_platform_kind kind)
{
	unsigned i = (unsigned)kind;
	return i < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[i] : "unknown";
}

/* Append "<name>: <line>" to r->why (newline-separated, truncated to fit). */
static void why_add(struct fk_detect_result *r, const char *name, const char *line)
{
	size_t used = strnlen(r->why, sizeof(r->why));

	if (used >= sizeof(r->why) - 1)
		return;
	(void)snprintf(r->why + used, sizeof(r->why) - used, "%s%s: %s", used > 0 ? "\n" : "",
		       name, line[0] != '\0' ? line : "no answer");
}

static const char *gramine_root(const struct fk_detect_opts *o)
{
	return (o->gramine_dir != NULL && o->gramine_dir[0] != '\0') ? o->gramine_dir
								      : FK_GRAMINE_ROOT;
}

static const char *occlum_device(const struct fk_detect_opts *o)
{
	return (o->occlum_device != NULL && o->occlum_device[0] != '\0') ? o->occlum_device
									  : FK_OCCLUM_DEVICE;
}

static bool probe_gramine(const struct fk_detect_opts *o, struct fk_detect_result *r)
{
	char line[512] = "";
	bool ok = fk_gramine_probe(gramine_root(o), o->gramine_io, line, sizeof(line));

	why_add(r, "gramine", line);
	return ok;
}

static bool probe_occlum(const struct fk_detect_opts *o, struct fk_detect_result *r)
{
	char line[512] = "";
	bool ok = fk_occlum_probe(occlum_device(o), o->occlum_io, line, sizeof(line));

	why_add(r, "occlum", line);
	return ok;
}

fusekey_status fk_detect(enum fk_platform_kind kind, const struct fk_detect_opts *o,
			 struct fk_detect_result *r)
{
	static const struct fk_detect_opts defaults;

	if (r == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (o == NULL)
		o = &defaults;
	switch (kind) {
	case FK_PLATFORM_AUTO:
		/* Gramine first: inside Gramine /dev/sgx does not exist, and inside
		 * Occlum /dev/attestation does not; the order only matters for a
		 * host that has both, where the pseudo-files are the more specific. */
		if (probe_gramine(o, r)) {
			r->kind = FK_PLATFORM_GRAMINE;
			break;
		}
		if (probe_occlum(o, r)) {
			r->kind = FK_PLATFORM_OCCLUM;
			break;
		}
		return FUSEKEY_ERR_NO_PLATFORM;
	case FK_PLATFORM_GRAMINE:
		if (!probe_gramine(o, r))
			return FUSEKEY_ERR_NO_PLATFORM;
		break;
	case FK_PLATFORM_OCCLUM:
		if (!probe_occlum(o, r))
			return FUSEKEY_ERR_NO_PLATFORM;
		break;
	case FK_PLATFORM_SIM:
	default:
		/* Never here: the emulated platform has its own explicit door. */
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	r->answered = true;
	r->name = fk_platform_kind_name(r->kind);
	return FUSEKEY_OK;
}

fusekey_status fk_detect_open(enum fk_platform_kind kind, const struct fk_detect_opts *o,
			      struct fk_detect_result *r, struct fk_platform **out)
{
	static const struct fk_detect_opts defaults;
	struct fk_gramine_io gio;
	struct fk_occlum_io oio;
	fusekey_status st;
	char reason[512] = "";
	char line[700];

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (o == NULL)
		o = &defaults;
	st = fk_detect(kind, o, r);
	if (st != FUSEKEY_OK)
		return st;
	/* Injected io: the caller keeps its ctx (see fk_detect_opts). */
	if (r->kind == FK_PLATFORM_GRAMINE) {
		if (o->gramine_io != NULL) {
			gio = *o->gramine_io;
			gio.destroy = NULL;
		}
		/* The probe only saw a file; opening verifies it (fk_gramine.h), and
		 * says why it failed. */
		st = fk_gramine_platform_open(gramine_root(o),
					      o->gramine_io != NULL ? &gio : NULL, out, reason,
					      sizeof(reason));
	} else {
		if (o->occlum_io != NULL) {
			oio = *o->occlum_io;
			oio.destroy = NULL;
		}
		st = fk_occlum_platform_new(occlum_device(o), o->occlum_io != NULL ? &oio : NULL,
					    out);
	}
	if (st != FUSEKEY_OK) {
		*out = NULL;
		(void)snprintf(line, sizeof(line), "answered the probe, but opening it failed: %s%s%s",
			       fusekey_status_str(st), reason[0] != '\0' ? ": " : "", reason);
		why_add(r, r->name, line);
		r->name = NULL;
	}
	return st;
}
