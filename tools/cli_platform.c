/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform: selection (--platform auto by default: Gramine, then Occlum;
 * the emulated platform only when named), opening it "as an enclave" (the
 * emulated platform's state directory, the EMULATED banner and the emulated
 * EINIT of the enclave's SIGSTRUCT; or the real Gramine/Occlum backend).
 * `fusekey platform` and `sim show` print the selection (cli_sim.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "cli_libos_seam.h"
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

static int parse_launch(const char *cmd, const struct cli_args *a, struct launch *l)
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
	return CLI_EXIT_OK;
}

/* The emulated enclave's options: --enclave required when need says so. */
static int check_sim_launch(const char *cmd, const struct launch *l, enum cli_enclave_need need)
{
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

/* ---- selection ---- */

static const char *libos_name(const char *name)
{
	if (name == NULL)
		return "?";
	if (strcmp(name, "gramine") == 0)
		return "Gramine";
	if (strcmp(name, "occlum") == 0)
		return "Occlum";
	return name;
}

/*
 * The detection's lines one by one: *line starts the next one (NULL or ""
 * at the end), *n gets its length. False when there is none left.
 */
static bool next_why(const char **line, const char **start, int *n)
{
	const char *nl;

	if (*line == NULL || **line == '\0')
		return false;
	nl = strchr(*line, '\n');
	*start = *line;
	*n = nl != NULL ? (int)(nl - *line) : (int)strlen(*line);
	*line = nl != NULL ? nl + 1 : NULL;
	return true;
}

/* Each detection line, after indent, to f. */
static void print_why(FILE *f, const char *indent, const struct cli_selection *sel)
{
	const char *line = sel->det.why, *start;
	int n;

	while (next_why(&line, &start, &n))
		fprintf(f, "%s%.*s\n", indent, n, start);
}

/* Detection found nothing (or the explicit backend did not answer): exit 3. */
static int no_platform(const struct cli_selection *sel)
{
	if (sel->kind == FK_PLATFORM_AUTO)
		cli_err("no SGX platform detected: auto-detection (the default platform 'auto') "
			"looked for Gramine at '%s' and for Occlum at '%s':",
			sel->gramine_dir, sel->occlum_device);
	else
		cli_err("no SGX platform: %s (%s %s) is not available here:",
			libos_name(fk_platform_kind_name(sel->kind)), sel->requested_by,
			fk_platform_kind_name(sel->kind));
	print_why(stderr, "fusekey:   ", sel);
	fprintf(stderr,
		"fusekey: run inside a Gramine or Occlum enclave (or point --gramine-dir / "
		"--occlum-device at its files), or pass --platform sim (or set "
		"FUSEKEY_PLATFORM=sim) to use the EMULATED platform, which protects nothing "
		"and is never chosen by auto-detection\n");
	return CLI_EXIT_NO_PLATFORM;
}

const char *cli_gramine_dir(const struct cli_args *a)
{
	const char *d = env_or(a, OPT_GRAMINE_DIR, "FUSEKEY_GRAMINE_DIR");
	return (d == NULL || d[0] == '\0') ? FK_GRAMINE_ROOT : d;
}

int cli_platform_select(const char *cmd, const struct cli_args *a, bool probe,
			struct cli_selection *sel)
{
	const char *name = NULL;
	struct fk_detect_opts o;
	fusekey_status st;

	memset(sel, 0, sizeof(*sel));
	sel->requested_by = "default";
	if (a->has[OPT_PLATFORM]) {
		name = a->val[OPT_PLATFORM];
		sel->requested_by = "--platform";
	} else if ((name = env_or(a, OPT_PLATFORM, "FUSEKEY_PLATFORM")) != NULL) {
		sel->requested_by = "FUSEKEY_PLATFORM";
	}
	if (name != NULL && !fk_platform_kind_parse(name, &sel->kind)) {
		char pb[68];
		return cli_usage_err(cmd,
				     "unknown platform '%s' (%s): use auto (the default: Gramine, "
				     "then Occlum), gramine, occlum, or sim (the emulated platform)",
				     cli_printable(name, pb, sizeof(pb)), sel->requested_by);
	}
	sel->gramine_dir = cli_gramine_dir(a);
	sel->occlum_device = env_or(a, OPT_OCCLUM_DEVICE, "FUSEKEY_OCCLUM_DEVICE");
	if (sel->occlum_device == NULL || sel->occlum_device[0] == '\0')
		sel->occlum_device = FK_OCCLUM_DEVICE;
	if (sel->kind == FK_PLATFORM_SIM) {
		sel->chosen = "sim";
		return CLI_EXIT_OK;
	}
	if (!probe)
		return CLI_EXIT_OK;
	memset(&o, 0, sizeof(o));
	o.gramine_dir = sel->gramine_dir;
	o.occlum_device = sel->occlum_device;
	st = fk_detect(sel->kind, &o, &sel->det);
	sel->probed = true;
	if (st == FUSEKEY_OK) {
		sel->chosen = sel->det.name;
		return CLI_EXIT_OK;
	}
	if (st == FUSEKEY_ERR_NO_PLATFORM)
		return no_platform(sel);
	return cli_fail(st, "detecting the SGX platform");
}

static const char *sim_why =
	"sim: selected explicitly; auto-detection never chooses the emulated platform";

void cli_selection_print(FILE *f, const struct cli_selection *sel)
{
	fprintf(f, "requested: %s (%s)\n", fk_platform_kind_name(sel->kind), sel->requested_by);
	fprintf(f, "detection:\n");
	if (sel->kind == FK_PLATFORM_SIM) {
		fprintf(f, "  %s\n", sim_why);
		return;
	}
	if (!sel->probed || sel->det.why[0] == '\0') {
		fprintf(f, "  (not run)\n");
		return;
	}
	print_why(f, "  ", sel);
}

json_t *cli_selection_json(const struct cli_selection *sel)
{
	json_t *o = json_object(), *why = json_array();
	const char *line = sel->det.why;

	if (o == NULL || why == NULL) {
		json_decref(o);
		json_decref(why);
		return NULL;
	}
	if (sel->kind == FK_PLATFORM_SIM) {
		json_array_append_new(why, json_string(sim_why));
	} else {
		const char *start;
		int n;
		while (sel->probed && next_why(&line, &start, &n))
			json_array_append_new(why, json_stringn(start, (size_t)n));
	}
	json_object_set_new(o, "requested", json_string(fk_platform_kind_name(sel->kind)));
	json_object_set_new(o, "requested_by", json_string(sel->requested_by));
	json_object_set_new(o, "chosen", sel->chosen ? json_string(sel->chosen) : json_null());
	json_object_set_new(o, "gramine_dir", json_string(sel->gramine_dir));
	json_object_set_new(o, "occlum_device", json_string(sel->occlum_device));
	json_object_set_new(o, "why", why);
	return o;
}

/* ---- opening ---- */

static int open_sim(const char *cmd, const struct cli_args *a, enum cli_enclave_need need,
		    const struct launch *l, struct cli_platform *out)
{
	struct fk_sim_state st;
	fusekey_status s;
	int rc;

	memset(&st, 0, sizeof(st));
	rc = check_sim_launch(cmd, l, need);
	if (rc != CLI_EXIT_OK)
		return rc;
	out->name = "sim";
	out->emulated = true;
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
	if (l->enclave == NULL)
		goto out;
	out->enclave_path = l->enclave;
	rc = load_enclave(l->enclave, l->config_id_given ? l->config_id : NULL, l->config_given,
			  l->config_svn, &out->id);
	if (rc != CLI_EXIT_OK)
		goto out;
	s = fk_sim_platform_new(&st, &out->id, &out->p);
	if (s != FUSEKEY_OK) {
		rc = cli_fail(s, "starting the emulated enclave");
		goto out;
	}
	/* Production: nothing. Test-only binaries: a libOS backend over this platform. */
	s = cli_libos_seam(out->sel.gramine_dir, &out->p);
	if (s != FUSEKEY_OK) {
		out->p = NULL;
		rc = cli_exit_for_status(s);
		goto out;
	}
	out->name = out->p->ops->name;
out:
	fk_sim_state_clear(&st);
	return rc;
}

static int open_real(const char *cmd, const struct launch *l, struct cli_platform *out)
{
	struct cli_selection *sel = &out->sel;
	struct fk_detect_opts o;
	fusekey_status s;

	memset(&o, 0, sizeof(o));
	o.gramine_dir = sel->gramine_dir;
	o.occlum_device = sel->occlum_device;
	s = fk_detect_open(sel->kind, &o, &sel->det, &out->p);
	sel->probed = true;
	if (s != FUSEKEY_OK && !sel->det.answered)
		return s == FUSEKEY_ERR_NO_PLATFORM ? no_platform(sel)
						     : cli_fail(s, "detecting the SGX platform");
	if (s != FUSEKEY_OK) {
		cli_err("%s is there, but opening it as the enclave failed: %s:",
			libos_name(fk_platform_kind_name(sel->det.kind)), fusekey_status_str(s));
		print_why(stderr, "fusekey:   ", sel);
		out->p = NULL;
		return s == FUSEKEY_ERR_NO_PLATFORM ? CLI_EXIT_NO_PLATFORM : cli_exit_for_status(s);
	}
	sel->chosen = sel->det.name;
	out->name = out->p->ops->name;
	out->emulated = out->p->emulated;
	out->enclave_path = strcmp(out->name, "gramine") == 0 ? "this Gramine enclave"
							       : "this Occlum enclave";
	/*
	 * The enclave is the one we run in: a SIGSTRUCT or launch parameters would
	 * describe another one, and the hardware would not use them. Checked after
	 * detection, so that a missing platform is reported as such (with the hint
	 * to pass --platform sim) rather than as a usage error.
	 */
	if (l->enclave != NULL || l->config_given) {
		fk_platform_destroy(out->p);
		out->p = NULL;
		return cli_usage_err(cmd,
				     "--enclave, --config-id and --config-svn (or "
				     "FUSEKEY_ENCLAVE, FUSEKEY_CONFIG_ID, FUSEKEY_CONFIG_SVN) "
				     "describe an emulated enclave: on %s fusekey runs as the "
				     "enclave it is in, whose identity the hardware reports. Drop "
				     "them, or pass --platform sim",
				     libos_name(out->name));
	}
	return CLI_EXIT_OK;
}

int cli_platform_open(const char *cmd, const struct cli_args *a, enum cli_enclave_need need,
		      struct cli_platform *out)
{
	struct launch l;
	fusekey_status s;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_launch(cmd, a, &l);
	if (rc == CLI_EXIT_OK)
		rc = cli_platform_select(cmd, a, false, &out->sel);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = out->sel.kind == FK_PLATFORM_SIM ? open_sim(cmd, a, need, &l, out)
					      : open_real(cmd, &l, out);
	if (rc != CLI_EXIT_OK || out->p == NULL)
		return rc;
	/* The identity as the platform reports it (through the backend in use). */
	s = fk_platform_identity(out->p, &out->id);
	if (s != FUSEKEY_OK) {
		cli_platform_close(out); /* wipes the platform: nothing of it outlives the failure */
		return cli_fail(s, "reading the enclave's identity");
	}
	out->have_enclave = true;
	return CLI_EXIT_OK;
}

const char *cli_kss_hint(const struct cli_platform *pl)
{
	const char *name = pl->name != NULL ? pl->name : "sim";

	if (strcmp(name, "occlum") == 0)
		return "Occlum launches an enclave with KSS only when Occlum.json sets "
		       "\"metadata\": {\"enable_kss\": true} (with family_id and ext_prod_id): "
		       "set metadata.enable_kss, rebuild with 'occlum build'";
	if (strcmp(name, "gramine") == 0)
		return "this Gramine enclave was not launched with the KSS attribute";
	return "sign it with 'fusekey sim sign --kss'";
}

bool cli_platform_is_gramine(const struct cli_platform *pl)
{
	return pl->p != NULL && pl->name != NULL && strcmp(pl->name, "gramine") == 0;
}

void cli_platform_close(struct cli_platform *pl)
{
	fk_platform_destroy(pl->p);
	pl->p = NULL;
	pl->have_enclave = false;
}
