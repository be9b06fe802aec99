/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `fusekey sim ...`: the emulated platform (init, cpusvn, show) and enclave
 * identities (keygen, sign); and `fusekey platform`: which platform is
 * selected and why. Nothing here prints a root key or a private key.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "crypto/fk_crypto.h"
#include "platform/fk_sigstruct.h"
#include "util/fk_file.h"

static int help_or_usage(const char *topic, int rc)
{
	if (rc == CLI_PARSE_HELP) {
		cli_help(topic, stdout);
		return CLI_EXIT_OK;
	}
	return rc;
}

static int resolve_dir(const struct cli_args *a, char *dir, size_t len)
{
	fusekey_status st =
		fk_sim_dir_resolve(a->has[OPT_SIM_DIR] ? a->val[OPT_SIM_DIR] : NULL, dir, len);
	if (st != FUSEKEY_OK)
		return cli_fail(st, "finding the emulated platform state directory (pass "
				    "--sim-dir DIR or set FUSEKEY_SIM_DIR)");
	return CLI_EXIT_OK;
}

/* ---- sim init ---- */

static int sim_init(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"mode", true, false, OPT_MODE},
		{"cpusvn", true, false, OPT_CPUSVN},
		{"force", false, false, OPT_FORCE},
		{"sim-dir", true, false, OPT_SIM_DIR},
	};
	enum fk_sim_mode mode = FK_SIM_MODE_SECURE;
	enum fk_sim_cpusvn cpusvn = FK_SIM_CPUSVN_DEFAULT;
	char dir[PATH_MAX];
	struct cli_args a;
	fusekey_status st;
	int rc;

	rc = cli_parse("sim init", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("sim init", rc);
	if (a.has[OPT_MODE] && !fk_sim_mode_parse(a.val[OPT_MODE], &mode))
		return cli_usage_err("sim init",
				     "--mode must be 'secure' or 'sdk-compat', got '%s'",
				     a.val[OPT_MODE]);
	if (a.has[OPT_CPUSVN] && !fk_sim_cpusvn_parse(a.val[OPT_CPUSVN], &cpusvn))
		return cli_usage_err("sim init",
				     "--cpusvn must be DEFAULT, UPGRADED or DOWNGRADED, got '%s'",
				     a.val[OPT_CPUSVN]);
	rc = resolve_dir(&a, dir, sizeof(dir));
	if (rc != CLI_EXIT_OK)
		return rc;
	cli_banner(mode);
	st = fk_sim_dir_init(dir, mode, cpusvn, a.has[OPT_FORCE]);
	switch (st) {
	case FUSEKEY_OK:
		break;
	case FUSEKEY_ERR_EXISTS:
		cli_err("an emulated platform is already initialised in '%s': refusing to replace "
			"its root keys (use --force; every blob sealed under the old roots becomes "
			"unreadable)",
			dir);
		return CLI_EXIT_EXISTS;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("'%s': permission denied, or the directory is not yours or is open to "
			"others (it must be yours, mode 0700)",
			dir);
		return CLI_EXIT_PERMISSION;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "initialising the emulated platform in '%s'", dir);
		return cli_fail(st, ctx);
	}
	}
	printf("initialised emulated SGX platform in %s (mode %s, CPUSVN %s)\n", dir,
	       fk_sim_mode_name(mode), fk_sim_cpusvn_name(cpusvn));
	if (mode == FK_SIM_MODE_SDK_COMPAT)
		cli_warn("sdk-compat mode uses the SGX SDK's public simulation keys: anyone can "
			 "unseal what is sealed here");
	return CLI_EXIT_OK;
}

/* ---- sim cpusvn ---- */

static int sim_cpusvn(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"sim-dir", true, false, OPT_SIM_DIR},
	};
	enum fk_sim_cpusvn cpusvn;
	struct fk_sim_state state;
	char dir[PATH_MAX];
	struct cli_args a;
	fusekey_status st;
	int rc;

	rc = cli_parse("sim cpusvn", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 1, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("sim cpusvn", rc);
	if (a.npos != 1)
		return cli_usage_err("sim cpusvn", "give the new CPUSVN: DEFAULT, UPGRADED or "
						   "DOWNGRADED");
	if (!fk_sim_cpusvn_parse(a.pos[0], &cpusvn))
		return cli_usage_err("sim cpusvn",
				     "CPUSVN must be DEFAULT, UPGRADED or DOWNGRADED, got '%s'",
				     a.pos[0]);
	rc = resolve_dir(&a, dir, sizeof(dir));
	if (rc != CLI_EXIT_OK)
		return rc;
	/* Load first: says whether it is initialised and safe, and gives the mode. */
	st = fk_sim_dir_load(dir, &state);
	if (st == FUSEKEY_OK) {
		enum fk_sim_cpusvn old = state.cpusvn;
		enum fk_sim_mode mode = state.mode;
		fk_sim_state_clear(&state);
		cli_banner(mode);
		st = fk_sim_dir_set_cpusvn(dir, cpusvn);
		if (st == FUSEKEY_OK) {
			printf("emulated platform CPUSVN: %s -> %s\n", fk_sim_cpusvn_name(old),
			       fk_sim_cpusvn_name(cpusvn));
			return CLI_EXIT_OK;
		}
	}
	return cli_sim_state_error(st, dir, "setting the CPUSVN of");
}

/* ---- sim keygen ---- */

static int sim_keygen(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"out", true, false, OPT_OUT},
	};
	struct fk_rsa_key *key = NULL;
	uint8_t modulus[FK_RSA3072_SIZE], mrsigner[FK_SHA256_SIZE];
	struct cli_args a;
	fusekey_status st;
	int rc;

	rc = cli_parse("sim keygen", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("sim keygen", rc);
	if (!a.has[OPT_OUT] || a.val[OPT_OUT][0] == '\0')
		return cli_usage_err("sim keygen", "--out FILE is required");
	st = fk_rsa3072_generate(&key);
	if (st != FUSEKEY_OK)
		return cli_fail(st, "generating an RSA-3072 key");
	st = fk_sigstruct_key_write(key, a.val[OPT_OUT]);
	if (st == FUSEKEY_OK)
		st = fk_rsa_modulus_le(key, modulus);
	if (st == FUSEKEY_OK)
		st = fk_sha256(modulus, sizeof(modulus), mrsigner);
	fk_rsa_free(key);
	switch (st) {
	case FUSEKEY_OK:
		break;
	case FUSEKEY_ERR_EXISTS:
		cli_err("signing key '%s' already exists: keygen never overwrites a key (remove it "
			"yourself, or choose another name)",
			a.val[OPT_OUT]);
		return CLI_EXIT_EXISTS;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "writing signing key '%s'", a.val[OPT_OUT]);
		return cli_fail(st, ctx);
	}
	}
	printf("wrote RSA-3072 (e=3) signing key %s (mode 0600)\nmr_signer: ", a.val[OPT_OUT]);
	cli_print_hex(stdout, mrsigner, sizeof(mrsigner));
	printf("\n");
	return CLI_EXIT_OK;
}

/* ---- sim sign ---- */

/* "YYYYMMDD" -> 0xYYYYMMDD (the SIGSTRUCT DATE encoding). */
static bool parse_date(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	unsigned month, day;

	if (strlen(s) != 8)
		return false;
	for (int i = 0; i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v << 4 | (uint32_t)(s[i] - '0');
	}
	month = (unsigned)((s[4] - '0') * 10 + (s[5] - '0'));
	day = (unsigned)((s[6] - '0') * 10 + (s[7] - '0'));
	if (month < 1 || month > 12 || day < 1 || day > 31 || v < 0x19700101u)
		return false;
	*out = v;
	return true;
}

/* Stand-in measurement: SHA-256 over the files' contents, concatenated in order. */
static int measure_files(const struct cli_args *a, uint8_t hash[FK_SHA256_SIZE])
{
	uint8_t *bufs[CLI_MAX_MEASURE_FILES] = {0};
	size_t lens[CLI_MAX_MEASURE_FILES] = {0};
	struct fk_buf parts[CLI_MAX_MEASURE_FILES];
	fusekey_status st;
	int rc = CLI_EXIT_OK;
	size_t n = a->nmulti;

	for (size_t i = 0; i < n; i++) {
		rc = cli_read_input(a->multi[i], CLI_MAX_MEASURE_FILE, "file to measure", &bufs[i],
				    &lens[i]);
		if (rc != CLI_EXIT_OK)
			goto out;
		parts[i].p = bufs[i];
		parts[i].n = lens[i];
	}
	st = fk_sha256_parts(parts, n, hash);
	if (st != FUSEKEY_OK)
		rc = cli_fail(st, "measuring the files");
out:
	for (size_t i = 0; i < n; i++)
		fk_file_free(bufs[i], lens[i]);
	return rc;
}

static int parse_sign_params(const struct cli_args *a, struct fk_sigstruct_params *p)
{
	uint64_t v;

	if (a->has[OPT_MRENCLAVE] &&
	    !cli_parse_hex_exact(a->val[OPT_MRENCLAVE], p->enclave_hash, sizeof(p->enclave_hash)))
		return cli_usage_err("sim sign", "--mrenclave must be exactly 64 hex digits");
	if (a->has[OPT_PRODID]) {
		if (!cli_parse_uint(a->val[OPT_PRODID], UINT16_MAX, &v))
			return cli_usage_err("sim sign",
					     "--prodid must be an integer 0..65535, "
					     "got '%s'",
					     a->val[OPT_PRODID]);
		p->isv_prod_id = (uint16_t)v;
	}
	if (a->has[OPT_SVN]) {
		if (!cli_parse_uint(a->val[OPT_SVN], UINT16_MAX, &v))
			return cli_usage_err("sim sign",
					     "--svn must be an integer 0..65535, got '%s'",
					     a->val[OPT_SVN]);
		p->isv_svn = (uint16_t)v;
	}
	if (a->has[OPT_MISC_SELECT]) {
		if (!cli_parse_uint(a->val[OPT_MISC_SELECT], UINT32_MAX, &v))
			return cli_usage_err("sim sign",
					     "--misc-select must be an integer "
					     "0..4294967295, got '%s'",
					     a->val[OPT_MISC_SELECT]);
		p->misc_select = (uint32_t)v;
	}
	if (a->has[OPT_FAMILY_ID] &&
	    !cli_parse_hex_exact(a->val[OPT_FAMILY_ID], p->isv_family_id, sizeof(p->isv_family_id)))
		return cli_usage_err("sim sign", "--family-id must be exactly 32 hex digits");
	if (a->has[OPT_EXT_PRODID] &&
	    !cli_parse_hex_exact(a->val[OPT_EXT_PRODID], p->isv_ext_prod_id,
				 sizeof(p->isv_ext_prod_id)))
		return cli_usage_err("sim sign", "--ext-prodid must be exactly 32 hex digits");
	if (a->has[OPT_DATE] && !parse_date(a->val[OPT_DATE], &p->date))
		return cli_usage_err("sim sign", "--date must be a date YYYYMMDD, got '%s'",
				     a->val[OPT_DATE]);
	p->debug = a->has[OPT_DEBUG];
	p->kss = a->has[OPT_KSS];
	return CLI_EXIT_OK;
}

static int read_signing_key(const char *path, struct fk_rsa_key **key)
{
	fusekey_status st = fk_sigstruct_key_read(path, key);

	switch (st) {
	case FUSEKEY_OK:
		return CLI_EXIT_OK;
	case FUSEKEY_ERR_NOT_FOUND:
		cli_err("signing key '%s' not found (make one with 'fusekey sim keygen')", path);
		return CLI_EXIT_NOT_FOUND;
	case FUSEKEY_ERR_FORMAT:
	case FUSEKEY_ERR_INVALID_PARAMETER:
		cli_err("signing key '%s' is not an RSA-3072 private key with exponent 3 in PEM",
			path);
		return CLI_EXIT_FORMAT;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "reading signing key '%s'", path);
		return cli_fail(st, ctx);
	}
	}
}

static int sim_sign(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"key", true, false, OPT_KEY},
		{"mrenclave", true, false, OPT_MRENCLAVE},
		{"measure", true, true, OPT_MEASURE},
		{"prodid", true, false, OPT_PRODID},
		{"svn", true, false, OPT_SVN},
		{"debug", false, false, OPT_DEBUG},
		{"kss", false, false, OPT_KSS},
		{"family-id", true, false, OPT_FAMILY_ID},
		{"ext-prodid", true, false, OPT_EXT_PRODID},
		{"misc-select", true, false, OPT_MISC_SELECT},
		{"date", true, false, OPT_DATE},
		{"out", true, false, OPT_OUT},
		{"force", false, false, OPT_FORCE},
	};
	struct fk_sigstruct_params params;
	struct fk_sgx_sigstruct ss;
	struct fk_sgx_identity id;
	struct fk_rsa_key *key = NULL;
	struct cli_args a;
	fusekey_status st;
	int rc;

	memset(&params, 0, sizeof(params));
	rc = cli_parse("sim sign", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("sim sign", rc);
	if (!a.has[OPT_KEY])
		return cli_usage_err("sim sign", "--key FILE is required (make one with 'fusekey "
						 "sim keygen')");
	if (!a.has[OPT_OUT] || a.val[OPT_OUT][0] == '\0')
		return cli_usage_err("sim sign", "--out FILE is required");
	if (a.has[OPT_MRENCLAVE] == a.has[OPT_MEASURE])
		return cli_usage_err("sim sign", "give exactly one of --mrenclave HEX or --measure "
						 "FILE...");
	rc = parse_sign_params(&a, &params);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (a.has[OPT_MEASURE]) {
		rc = measure_files(&a, params.enclave_hash);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	rc = read_signing_key(a.val[OPT_KEY], &key);
	if (rc != CLI_EXIT_OK)
		return rc;
	st = fk_sigstruct_sign(key, &params, &ss);
	fk_rsa_free(key);
	if (st != FUSEKEY_OK)
		return cli_fail(st, "signing the SIGSTRUCT");
	/* Check what we made the way EINIT will, and show the resulting identity. */
	st = fk_sigstruct_to_identity(&ss, NULL, 0, &id);
	if (st != FUSEKEY_OK)
		return cli_fail(st, "verifying the new SIGSTRUCT");
	rc = cli_write_file(a.val[OPT_OUT], &ss, sizeof(ss), 0644, a.has[OPT_FORCE], "SIGSTRUCT");
	if (rc != CLI_EXIT_OK)
		return rc;
	printf("wrote SIGSTRUCT %s (%d bytes); the enclave runs with:\n", a.val[OPT_OUT],
	       FK_SGX_SIGSTRUCT_SIZE);
	cli_identity_print(stdout, "  ", &id);
	return CLI_EXIT_OK;
}

/* ---- sim show ---- */

static int show_json(const struct cli_platform *pl)
{
	json_t *o = json_object(), *plat = json_object(), *cs = json_object();
	json_t *enc = NULL;

	if (o == NULL || plat == NULL || cs == NULL) {
		json_decref(o);
		json_decref(plat);
		json_decref(cs);
		return cli_json_print(NULL);
	}
	json_object_set_new(plat, "name", json_string("sim"));
	json_object_set_new(plat, "emulated", json_true());
	json_object_set_new(plat, "emulation_note", json_string(FK_SIM_BANNER));
	json_object_set_new(plat, "state_dir", json_string(pl->dir));
	json_object_set_new(plat, "mode", json_string(fk_sim_mode_name(pl->mode)));
	json_object_set_new(plat, "mode_note", json_string(cli_mode_note(pl->mode)));
	json_object_set_new(cs, "name", json_string(fk_sim_cpusvn_name(pl->cpusvn)));
	json_object_set_new(cs, "hex",
			    cli_json_hex(fk_sim_cpusvn_values[pl->cpusvn], FK_SGX_CPUSVN_SIZE));
	json_object_set_new(plat, "cpusvn", cs);
	json_object_set_new(o, "platform", plat);
	json_object_set_new(o, "selection", cli_selection_json(&pl->sel));
	if (pl->have_enclave) {
		enc = cli_identity_json(&pl->id);
		if (enc != NULL)
			json_object_set_new(enc, "sigstruct", json_string(pl->enclave_path));
	}
	json_object_set_new(o, "enclave", enc ? enc : json_null());
	return cli_json_print(o);
}

/* A real platform was selected: say which and why; the emulator is not in use. */
static int show_real(const struct cli_args *a, const struct cli_selection *sel)
{
	if (a->has[OPT_JSON]) {
		json_t *o = json_object(), *plat = json_object();
		if (o == NULL || plat == NULL) {
			json_decref(o);
			json_decref(plat);
			return cli_json_print(NULL);
		}
		json_object_set_new(plat, "name", json_string(sel->chosen));
		json_object_set_new(plat, "emulated", json_false());
		json_object_set_new(o, "platform", plat);
		json_object_set_new(o, "selection", cli_selection_json(sel));
		json_object_set_new(o, "enclave", json_null());
		return cli_json_print(o);
	}
	printf("platform: %s (not the emulated platform)\n", sel->chosen);
	cli_selection_print(stdout, sel);
	printf("emulated platform: not in use (pass --platform sim to show its state)\n");
	if (fflush(stdout) != 0) {
		cli_err("writing to standard output failed");
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

static int sim_show(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_PLATFORM_OPTS,
		{"json", false, false, OPT_JSON},
	};
	struct cli_selection sel;
	struct cli_platform pl;
	struct cli_args a;
	int rc;

	memset(&pl, 0, sizeof(pl));
	rc = cli_parse("sim show", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("sim show", rc);
	/* What was selected and why first: auto detection may find a real platform. */
	rc = cli_platform_select("sim show", &a, true, &sel);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (sel.kind != FK_PLATFORM_SIM)
		return show_real(&a, &sel);
	rc = cli_platform_open("sim show", &a, CLI_ENCLAVE_OPTIONAL, &pl);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (a.has[OPT_JSON]) {
		rc = show_json(&pl);
		goto out;
	}
	printf("platform: EMULATED SGX (sim; no hardware protection)\n");
	printf("state directory: %s\n", pl.dir);
	printf("mode: %s (%s)\n", fk_sim_mode_name(pl.mode), cli_mode_note(pl.mode));
	printf("cpusvn: %s ", fk_sim_cpusvn_name(pl.cpusvn));
	cli_print_hex(stdout, fk_sim_cpusvn_values[pl.cpusvn], FK_SGX_CPUSVN_SIZE);
	printf("\n");
	cli_selection_print(stdout, &pl.sel);
	if (pl.have_enclave) {
		printf("enclave: %s\n", pl.enclave_path);
		cli_identity_print(stdout, "  ", &pl.id);
	}
	if (fflush(stdout) != 0) {
		cli_err("writing to standard output failed");
		rc = CLI_EXIT_IO;
	}
out:
	cli_platform_close(&pl);
	return rc;
}

/* ---- fusekey platform ---- */

static int platform_json(const struct cli_selection *sel, int rc)
{
	json_t *o = cli_selection_json(sel);

	if (o == NULL)
		return cli_json_print(NULL);
	json_object_set_new(o, "platform", sel->chosen ? json_string(sel->chosen) : json_null());
	json_object_set_new(o, "emulated", json_boolean(sel->kind == FK_PLATFORM_SIM));
	json_object_set_new(o, "exit_code", json_integer(rc));
	int prc = cli_json_print(o);
	return rc != CLI_EXIT_OK ? rc : prc;
}

int cli_cmd_platform(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"platform", true, false, OPT_PLATFORM},
		{"gramine-dir", true, false, OPT_GRAMINE_DIR},
		{"occlum-device", true, false, OPT_OCCLUM_DEVICE},
		{"json", false, false, OPT_JSON},
	};
	struct cli_selection sel;
	struct cli_args a;
	int rc;

	rc = cli_parse("platform", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc == CLI_PARSE_HELP) {
		cli_help("platform", stdout);
		return CLI_EXIT_OK;
	}
	if (rc != CLI_PARSE_OK)
		return rc;
	rc = cli_platform_select("platform", &a, true, &sel);
	if (rc == CLI_EXIT_USAGE)
		return rc;
	if (sel.kind == FK_PLATFORM_SIM)
		fprintf(stderr, "%s\n", FK_SIM_BANNER);
	if (a.has[OPT_JSON])
		return platform_json(&sel, rc);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (sel.kind == FK_PLATFORM_SIM)
		printf("platform: sim (EMULATED SGX: no hardware protection)\n");
	else
		printf("platform: %s (%s)\n", sel.chosen,
		       sel.kind == FK_PLATFORM_AUTO ? "auto-detected" : "explicitly selected, found");
	cli_selection_print(stdout, &sel);
	if (fflush(stdout) != 0) {
		cli_err("writing to standard output failed");
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}
int cli_cmd_sim(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *topic;
		int (*fn)(int, char **);
	} subs[] = {
		{"init", "sim init", sim_init},	      {"cpusvn", "sim cpusvn", sim_cpusvn},
		{"keygen", "sim keygen", sim_keygen}, {"sign", "sim sign", sim_sign},
		{"show", "sim show", sim_show},
	};

	if (argc < 1) {
		cli_help("sim", stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		cli_help("sim", stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	}
	return cli_usage_err("sim", "unknown subcommand 'sim %s'", argv[0]);
}
