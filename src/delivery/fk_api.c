/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public generate/get API (include/fusekey/fusekey.h): argument checks,
 * method selection, and contexts over a platform.
 */
#include "delivery/fk_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/fk_bundle.h"
#include "delivery/fk_method.h"
#include "platform/fk_detect.h"
#include "platform/fk_gramine.h"
#include "platform/fk_sigstruct.h"
#include "platform/fk_sim.h"
#include "util/fk_file.h"

struct fusekey_ctx {
	struct fk_platform *p;
	bool owned;
};

fusekey_status fk_ctx_wrap(struct fk_platform *p, fusekey_ctx **out)
{
	fusekey_ctx *ctx;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (p == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return FUSEKEY_ERR_NO_MEMORY;
	ctx->p = p;
	*out = ctx;
	return FUSEKEY_OK;
}

fusekey_status fk_sim_open_enclave(const char *sim_dir, const char *enclave,
				   const uint8_t *config_id, uint16_t config_svn,
				   struct fk_platform **out)
{
	char dir[4096];
	struct fk_sim_state st;
	struct fk_sgx_sigstruct ss;
	struct fk_sgx_identity id;
	uint8_t *buf = NULL;
	size_t len = 0;
	fusekey_status s;

	memset(&st, 0, sizeof(st));
	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (enclave == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if ((s = fk_sim_dir_resolve(sim_dir, dir, sizeof(dir))) != FUSEKEY_OK ||
	    (s = fk_sim_dir_load(dir, &st)) != FUSEKEY_OK ||
	    (s = fk_file_read(enclave, sizeof(ss), &buf, &len)) != FUSEKEY_OK)
		goto out;
	if (len != sizeof(ss)) {
		s = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	memcpy(&ss, buf, sizeof(ss));
	if ((s = fk_sigstruct_to_identity(&ss, config_id, config_svn, &id)) == FUSEKEY_OK)
		s = fk_sim_platform_new(&st, &id, out);
out:
	fk_file_free(buf, len);
	fk_sim_state_clear(&st);
	return s;
}

fusekey_status fusekey_ctx_open_sim(const char *sim_dir, const char *enclave,
				    const uint8_t *config_id, uint16_t config_svn,
				    fusekey_ctx **out)
{
	struct fk_platform *p = NULL;
	fusekey_status s;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	s = fk_sim_open_enclave(sim_dir, enclave, config_id, config_svn, &p);
	if (s == FUSEKEY_OK)
		s = fk_ctx_wrap(p, out);
	if (s != FUSEKEY_OK) {
		fk_platform_destroy(p);
		return s;
	}
	(*out)->owned = true;
	/* The emulated platform always says so (it protects nothing). */
	fprintf(stderr, "%s\n", FK_SIM_BANNER);
	return FUSEKEY_OK;
}

/* The public options -> the detection options; "sim" and unknown names are refused. */
static fusekey_status detect_opts_of(const struct fusekey_platform_opts *opts,
				     enum fk_platform_kind *kind, struct fk_detect_opts *o)
{
	memset(o, 0, sizeof(*o));
	*kind = FK_PLATFORM_AUTO;
	if (opts == NULL)
		return FUSEKEY_OK;
	if (opts->platform != NULL && !fk_platform_kind_parse(opts->platform, kind))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* Emulation only through fusekey_ctx_open_sim: never by a name in a config. */
	if (*kind == FK_PLATFORM_SIM)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	o->gramine_dir = opts->gramine_dir;
	o->occlum_device = opts->occlum_device;
	return FUSEKEY_OK;
}

fusekey_status fusekey_ctx_open(const struct fusekey_platform_opts *opts, fusekey_ctx **out)
{
	struct fk_detect_result r;
	struct fk_detect_opts o;
	enum fk_platform_kind kind;
	struct fk_platform *p = NULL;
	fusekey_status s;

	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	s = detect_opts_of(opts, &kind, &o);
	if (s == FUSEKEY_OK)
		s = fk_detect_open(kind, &o, &r, &p);
	if (s == FUSEKEY_OK)
		s = fk_ctx_wrap(p, out);
	if (s != FUSEKEY_OK) {
		fk_platform_destroy(p);
		return s;
	}
	(*out)->owned = true;
	return FUSEKEY_OK;
}

fusekey_status fusekey_platform_detect(const struct fusekey_platform_opts *opts,
				       const char **name, char *why, size_t why_len)
{
	struct fk_detect_result r;
	struct fk_detect_opts o;
	enum fk_platform_kind kind;
	fusekey_status s;

	if (name != NULL)
		*name = NULL;
	if (why != NULL && why_len > 0)
		why[0] = '\0';
	s = detect_opts_of(opts, &kind, &o);
	if (s != FUSEKEY_OK)
		return s;
	s = fk_detect(kind, &o, &r);
	if (why != NULL && why_len > 0)
		(void)snprintf(why, why_len, "%s", r.why);
	if (s == FUSEKEY_OK && name != NULL)
		*name = r.name;
	return s;
}

fusekey_status fusekey_gramine_install_key(fusekey_ctx *ctx, const char *key_name,
					   const uint8_t *key, size_t key_len)
{
	/* fk_gramine_install_key checks the name and that the platform is Gramine. */
	if (ctx == NULL || ctx->p == NULL || key_name == NULL || key == NULL ||
	    key_len != FUSEKEY_KEY_SIZE)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return fk_gramine_install_key(ctx->p, key_name, key);
}

void fusekey_ctx_free(fusekey_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->owned)
		fk_platform_destroy(ctx->p);
	fk_wipe(ctx, sizeof(*ctx));
	free(ctx);
}

int fusekey_ctx_is_emulated(const fusekey_ctx *ctx)
{
	return ctx != NULL && ctx->p != NULL && ctx->p->emulated;
}

void fusekey_wipe(void *p, size_t n)
{
	fk_wipe(p, n);
}

int fusekey_container_id_valid(const char *container_id)
{
	return fk_container_id_valid(container_id);
}

static const struct fk_method_ops *method_of(fusekey_method m)
{
	switch (m) {
	case FUSEKEY_METHOD_SEAL:
		return &fk_method_seal;
	case FUSEKEY_METHOD_DERIVE:
		return &fk_method_derive;
	case FUSEKEY_METHOD_LA:
		return &fk_method_la;
	case FUSEKEY_METHOD_AUTO:
	default:
		return NULL;
	}
}

/* The checks both sides share. */
static fusekey_status request_of(fusekey_ctx *ctx, const char *cid,
				 const struct fusekey_key_opts *opts, struct fk_delivery_req *r)
{
	memset(r, 0, sizeof(*r));
	if (ctx == NULL || ctx->p == NULL || opts == NULL || !fk_container_id_valid(cid))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* Only a get that goes to the key service alone needs no bundle. */
	bool la_only = opts->method == FUSEKEY_METHOD_LA && opts->socket_path != NULL;
	if (!la_only && (opts->bundle_dir == NULL || opts->bundle_dir[0] == '\0'))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (opts->policy != 0 &&
	    ((opts->policy & ~FK_SGX_KEYPOLICY_VALID) ||
	     !(opts->policy & (FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER))))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	r->p = ctx->p;
	r->bundle = opts->bundle_dir;
	r->cid = cid;
	r->policy = opts->policy;
	r->force = opts->force != 0;
	r->socket_path = opts->socket_path;
	r->agent = opts->agent;
	r->launch_digest = opts->launch_digest;
	r->timeout_ms = opts->timeout_ms;
	return FUSEKEY_OK;
}

fusekey_status fusekey_generate(fusekey_ctx *ctx, const char *container_id,
				const struct fusekey_key_opts *opts, uint8_t *key, size_t key_cap)
{
	const struct fk_method_ops *m;
	struct fk_delivery_req r;
	uint8_t tmp[FUSEKEY_KEY_MAX];
	struct fk_sgx_identity self;
	fusekey_status st;
	int lock = -1;

	memset(tmp, 0, sizeof(tmp));
	if (key != NULL && key_cap > 0)
		memset(key, 0, key_cap);
	st = request_of(ctx, container_id, opts, &r);
	if (st != FUSEKEY_OK)
		goto out;
	r.key_len = opts->key_len == 0 ? FUSEKEY_KEY_SIZE : opts->key_len;
	if (r.policy == 0)
		r.policy = FK_SGX_KEYPOLICY_MRSIGNER;
	m = method_of(opts->method == FUSEKEY_METHOD_AUTO ? FUSEKEY_METHOD_SEAL : opts->method);
	if (m == NULL || (r.key_len != 16 && r.key_len != 32) ||
	    (key != NULL && key_cap < r.key_len)) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	/* A policy this enclave cannot use (KSS bits without KSS) is refused before
	 * anything is created in the bundle. */
	if ((r.policy & FK_SGX_KEYPOLICY_NEEDS_KSS) &&
	    (fk_platform_identity(r.p, &self) != FUSEKEY_OK || !(self.flags & FK_SGX_FLAGS_KSS))) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	/* One key per container, whatever the method, unless forced: the check and
	 * the write happen under one exclusive lock (fk_bundle_lock). */
	st = fk_bundle_lock(r.bundle, r.cid, true, &lock);
	if (st != FUSEKEY_OK)
		goto out;
	if (!r.force && fk_bundle_has_key(r.bundle, r.cid)) {
		st = FUSEKEY_ERR_EXISTS;
		goto out;
	}
	st = m->generate(&r, tmp);
	if (st == FUSEKEY_OK && key != NULL)
		memcpy(key, tmp, r.key_len);
out:
	fk_bundle_unlock(lock);
	FK_WIPE(tmp);
	return st;
}

fusekey_status fusekey_get(fusekey_ctx *ctx, const char *container_id,
			   const struct fusekey_key_opts *opts, uint8_t *key, size_t *key_len)
{
	const struct fk_method_ops *m;
	struct fk_delivery_req r;
	uint8_t tmp[FUSEKEY_KEY_MAX];
	size_t tmp_len = sizeof(tmp), cap;
	fusekey_status st;
	int lock = -1;

	if (key_len == NULL || key == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	cap = *key_len;
	memset(key, 0, cap);
	memset(tmp, 0, sizeof(tmp));
	st = request_of(ctx, container_id, opts, &r);
	if (st != FUSEKEY_OK)
		goto out;
	m = method_of(opts->method);
	/*
	 * la first when asked (LA) or when a service is named (AUTO). AUTO falls
	 * back to the bundle only when the service cannot be reached: a refusal
	 * is final, or a host that kills the daemon could pick the weaker method.
	 */
	if (opts->method == FUSEKEY_METHOD_LA ||
	    (opts->method == FUSEKEY_METHOD_AUTO && opts->socket_path != NULL)) {
		if (opts->socket_path == NULL) {
			st = FUSEKEY_ERR_INVALID_PARAMETER;
			goto out;
		}
		st = fk_method_la.get(&r, tmp, &tmp_len);
		if (opts->method == FUSEKEY_METHOD_LA || st != FUSEKEY_ERR_UNAVAILABLE ||
		    opts->no_fallback)
			goto done;
		tmp_len = sizeof(tmp); /* fall back: AUTO picks the bundle's file below */
	}
	st = fk_bundle_lock(r.bundle, r.cid, false, &lock);
	if (st != FUSEKEY_OK)
		goto out;
	if (opts->method == FUSEKEY_METHOD_AUTO) {
		bool sealed = fk_bundle_exists(r.bundle, r.cid, FK_BUNDLE_SEALED_NAME);
		bool derived = fk_bundle_exists(r.bundle, r.cid, FK_BUNDLE_DERIVE_NAME);
		/* generate leaves exactly one: two means someone else wrote one. */
		if (sealed && derived) {
			st = FUSEKEY_ERR_FORMAT;
			goto out;
		}
		m = derived ? &fk_method_derive : &fk_method_seal;
	}
	if (m == NULL) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	st = m->get(&r, tmp, &tmp_len);
done:
	if (st != FUSEKEY_OK)
		goto out;
	if (cap < tmp_len) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto out;
	}
	memcpy(key, tmp, tmp_len);
	*key_len = tmp_len;
out:
	fk_bundle_unlock(lock);
	FK_WIPE(tmp);
	if (st != FUSEKEY_OK)
		fk_wipe(key, cap);
	return st;
}
