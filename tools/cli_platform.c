/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening the platform "as an enclave": explicit selection (never implicit),
 * the emulated platform's state directory, the EMULATED banner, and the
 * emulated EINIT of the enclave's SIGSTRUCT.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "platform/fk_sigstruct.h"
#include "util/fk_file.h"

/* ---- the platform ---- */

const char *cli_mode_note(enum fk_sim_mode mode)
{
	switch (mode) {
	case FK_SIM_MODE_SECURE:
		return "random root keys in the state directory: whoever reads it can derive "
		       "every key";
	case FK_SIM_MODE_SDK_COMPAT:
		return "public SDK constants, no secrecy";
	default:
		return "unknown mode";
	}
}

void cli_banner(enum fk_sim_mode mode)
{
	fprintf(stderr, "%s\nfusekey: emulated platform mode: %s (%s)\n", FK_SIM_BANNER,
		fk_sim_mode_name(mode), cli_mode_note(mode));
}

static const char *env_or(const struct cli_args *a, enum cli_opt_id id, const char *env)
{
	const char *v;
	if (a->has[id])
		return a->val[id];
	v = getenv(env);
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static int load_enclave(const char *path, const uint8_t *config_id, bool config_given,
			uint16_t config_svn, struct fk_sgx_identity *id)
{
	struct fk_sgx_sigstruct ss;
	uint8_t *buf = NULL;
	size_t len = 0;
	fusekey_status st;
	int rc;

	rc = cli_read_input(path, FK_SGX_SIGSTRUCT_SIZE, "enclave SIGSTRUCT", &buf, &len);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (len != FK_SGX_SIGSTRUCT_SIZE) {
		cli_err("enclave '%s' is %zu bytes: a SIGSTRUCT is exactly %d bytes (make one "
			"with 'fusekey sim sign')",
			path, len, FK_SGX_SIGSTRUCT_SIZE);
		fk_file_free(buf, len);
		return CLI_EXIT_FORMAT;
	}
	memcpy(&ss, buf, sizeof(ss));
	fk_file_free(buf, len);
	/* EINIT's checks first, so that a forged SIGSTRUCT is always exit 6. */
	st = fk_sigstruct_verify(&ss);
	if (st == FUSEKEY_ERR_INVALID_SIGSTRUCT || st == FUSEKEY_ERR_INVALID_SIGNATURE) {
		cli_err("enclave '%s': the emulated EINIT refused its SIGSTRUCT: %s", path,
			fusekey_status_str(st));
		return cli_exit_for_status(st);
	}
	if (config_given && !(fk_le64(ss.attributes.flags) & FK_SGX_FLAGS_KSS)) {
		cli_err("--config-id/--config-svn are launch parameters of KSS enclaves only, and "
			"enclave '%s' is not signed with KSS (sign it with 'fusekey sim sign "
			"--kss')",
			path);
		return CLI_EXIT_REFUSED;
	}
	st = fk_sigstruct_to_identity(&ss, config_id, config_svn, id);
	if (st == FUSEKEY_OK)
		return CLI_EXIT_OK;
	{
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "emulated EINIT of enclave '%s'", path);
		return cli_fail(st, ctx);
	}
}

int cli_sim_state_error(fusekey_status st, const char *dir, const char *action)
{
	switch (st) {
	case FUSEKEY_ERR_NOT_FOUND:
		cli_err("the emulated platform in '%s' is not initialised: run 'fusekey sim init "
			"--sim-dir %s' first",
			dir, dir);
		return CLI_EXIT_NOT_FOUND;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("the emulated platform state in '%s' is accessible by others or not "
			"yours: the directory must be 0700 and its files 0600 (chmod 700 '%s'; "
			"chmod 600 '%s'/*), or re-create it with 'fusekey sim init --force'",
			dir, dir, dir);
		return CLI_EXIT_PERMISSION;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "%s the emulated platform state '%s'", action, dir);
		return cli_fail(st, ctx);
	}
	}
}

/* The launch parameters, checked before anything else (usage errors come first). */
struct launch {
	const char *enclave;
	bool config_given;
	bool config_id_given;
	uint8_t config_id[FK_SGX_CONFIGID_SIZE];
	uint16_t config_svn;
};

static int parse_launch(const char *cmd, const struct cli_args *a, enum cli_enclave_need need,
			struct launch *l)
{
	const char *cid_hex = env_or(a, OPT_CONFIG_ID, "FUSEKEY_CONFIG_ID");
	const char *csvn_s = env_or(a, OPT_CONFIG_SVN, "FUSEKEY_CONFIG_SVN");
	uint64_t csvn = 0;

	memset(l, 0, sizeof(*l));
	if (cid_hex != NULL && !cli_parse_hex_exact(cid_hex, l->config_id, sizeof(l->config_id)))
		return cli_usage_err(cmd,
				     "CONFIGID (--config-id or FUSEKEY_CONFIG_ID) must be "
				     "exactly %d hex digits (%d bytes)",
				     2 * FK_SGX_CONFIGID_SIZE, FK_SGX_CONFIGID_SIZE);
	if (csvn_s != NULL && !cli_parse_uint(csvn_s, UINT16_MAX, &csvn))
		return cli_usage_err(cmd,
				     "CONFIGSVN (--config-svn or FUSEKEY_CONFIG_SVN) must be "
				     "an integer 0..65535, got '%s'",
				     csvn_s);
	l->config_id_given = cid_hex != NULL;
	l->config_given = cid_hex != NULL || csvn_s != NULL;
	l->config_svn = (uint16_t)csvn;
	l->enclave = env_or(a, OPT_ENCLAVE, "FUSEKEY_ENCLAVE");
	if (need == CLI_ENCLAVE_REQUIRED && l->enclave == NULL)
		return cli_usage_err(cmd,
				     "'%s' runs as an enclave: pass --enclave FILE (a "
				     "SIGSTRUCT made by 'fusekey sim sign') or set "
				     "FUSEKEY_ENCLAVE",
				     cmd);
	if (l->enclave == NULL && l->config_given)
		return cli_usage_err(cmd, "--config-id/--config-svn need --enclave");
	return CLI_EXIT_OK;
}

/* No platform is ever chosen implicitly: only an explicit "sim" gets one. */
static int select_platform(const struct cli_args *a)
{
	const char *platform = env_or(a, OPT_PLATFORM, "FUSEKEY_PLATFORM");

	if (platform == NULL) {
		cli_err("no SGX platform selected: this build has no hardware SGX platform "
			"support, and none was detected. Pass --platform sim (or set "
			"FUSEKEY_PLATFORM=sim) to use the EMULATED platform, which protects "
			"nothing");
		return CLI_EXIT_NO_PLATFORM;
	}
	if (strcmp(platform, "sim") != 0) {
		cli_err("platform '%s' is not available: this build supports only 'sim', the "
			"emulated platform (--platform sim)",
			platform);
		return CLI_EXIT_NO_PLATFORM;
	}
	return CLI_EXIT_OK;
}

int cli_platform_open(const char *cmd, const struct cli_args *a, enum cli_enclave_need need,
		      struct cli_platform *out)
{
	struct fk_sim_state st;
	struct launch l;
	fusekey_status s;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	rc = parse_launch(cmd, a, need, &l);
	if (rc == CLI_EXIT_OK)
		rc = select_platform(a);
	if (rc != CLI_EXIT_OK)
		return rc;
	s = fk_sim_dir_resolve(a->has[OPT_SIM_DIR] ? a->val[OPT_SIM_DIR] : NULL, out->dir,
			       sizeof(out->dir));
	if (s != FUSEKEY_OK) {
		fprintf(stderr, "%s\n", FK_SIM_BANNER); /* selected, even if unusable */
		return cli_fail(s, "finding the emulated platform state directory (pass "
				   "--sim-dir DIR or set FUSEKEY_SIM_DIR)");
	}
	s = fk_sim_dir_load(out->dir, &st);
	if (s != FUSEKEY_OK) {
		fprintf(stderr, "%s\n", FK_SIM_BANNER);
		return cli_sim_state_error(s, out->dir, "loading");
	}
	out->mode = st.mode;
	out->cpusvn = st.cpusvn;
	cli_banner(st.mode);
	if (l.enclave == NULL)
		goto out;
	out->enclave_path = l.enclave;
	rc = load_enclave(l.enclave, l.config_id_given ? l.config_id : NULL, l.config_given,
			  l.config_svn, &out->id);
	if (rc != CLI_EXIT_OK)
		goto out;
	s = fk_sim_platform_new(&st, &out->id, &out->p);
	if (s != FUSEKEY_OK) {
		rc = cli_fail(s, "starting the emulated enclave");
		goto out;
	}
	out->have_enclave = true;
out:
	fk_sim_state_clear(&st);
	return rc;
}

void cli_platform_close(struct cli_platform *pl)
{
	fk_platform_destroy(pl->p);
	pl->p = NULL;
	pl->have_enclave = false;
}
