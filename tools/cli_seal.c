/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `fusekey seal` and `fusekey unseal`, run as an (emulated) enclave.
 *
 * Plaintext lives only in heap buffers that fk_file_free wipes before freeing,
 * and leaves the process only through the file or stream the user named:
 * unseal writes it to --out (atomic, 0600) or, with --stdout, to fd 1 by
 * write(2) so that no stdio buffer keeps a copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "seal/fk_seal.h"
#include "util/fk_file.h"

static int help_or_usage(const char *topic, int rc)
{
	if (rc == CLI_PARSE_HELP) {
		cli_help(topic, stdout);
		return CLI_EXIT_OK;
	}
	return rc;
}

/* Refuse early (before any secret is read) to replace an existing output. */
static int check_absent(const char *path, bool force, const char *what)
{
	struct stat sb;
	if (force || lstat(path, &sb) != 0)
		return CLI_EXIT_OK;
	cli_err("%s '%s' already exists: refusing to overwrite it (use --force to replace it)",
		what, path);
	return CLI_EXIT_EXISTS;
}

/* ---- seal ---- */

static int parse_seal_policy(const struct cli_args *a, struct fk_seal_policy *pol)
{
	uint64_t v;
	char bad[80] = "";

	fk_seal_policy_default(pol);
	if (a->has[OPT_POLICY] &&
	    !cli_parse_policy(a->val[OPT_POLICY], &pol->key_policy, bad, sizeof(bad)))
		return cli_usage_err("seal",
				     "--policy: unknown word '%s' (use mrsigner, mrenclave, "
				     "noisvprodid, configid, familyid, extprodid, kss, "
				     "separated by commas)",
				     bad);
	if (a->has[OPT_ATTR_MASK]) {
		if (!cli_parse_hex_u64(a->val[OPT_ATTR_MASK], &v))
			return cli_usage_err("seal", "--attr-mask must be 1 to 16 hex digits");
		pol->attr_mask_flags = v;
	}
	if (a->has[OPT_XFRM_MASK]) {
		if (!cli_parse_hex_u64(a->val[OPT_XFRM_MASK], &v))
			return cli_usage_err("seal", "--xfrm-mask must be 1 to 16 hex digits");
		pol->attr_mask_xfrm = v;
	}
	if (a->has[OPT_MISC_MASK]) {
		if (!cli_parse_hex_u64(a->val[OPT_MISC_MASK], &v) || v > UINT32_MAX)
			return cli_usage_err("seal", "--misc-mask must be 1 to 8 hex digits");
		pol->misc_mask = (uint32_t)v;
	}
	if (!(pol->key_policy & (FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER))) {
		cli_err("--policy must include mrenclave or mrsigner: a seal key is always bound "
			"to the enclave or to its signer");
		return CLI_EXIT_REFUSED;
	}
	if (fk_seal_policy_check(pol) != FUSEKEY_OK) {
		cli_err("--attr-mask must keep INITTED and DEBUG (0x3): both are always bound into "
			"a seal key, so that a DEBUG enclave never unseals a production enclave's "
			"data");
		return CLI_EXIT_REFUSED;
	}
	return CLI_EXIT_OK;
}

static int read_aad(const struct cli_args *a, uint8_t **aad, size_t *aad_len)
{
	*aad = NULL;
	*aad_len = 0;
	if (a->has[OPT_AAD_FILE]) {
		if (strcmp(a->val[OPT_AAD_FILE], "-") == 0)
			return cli_usage_err("seal", "--aad-file cannot be standard input");
		return cli_read_input(a->val[OPT_AAD_FILE], CLI_MAX_AAD, "AAD file", aad, aad_len);
	}
	if (a->has[OPT_AAD_HEX] &&
	    !cli_parse_hex_alloc(a->val[OPT_AAD_HEX], CLI_MAX_AAD, aad, aad_len))
		return cli_usage_err("seal", "--aad-hex must be an even number of hex digits, 1 "
					     "byte to 1 MiB");
	return CLI_EXIT_OK;
}

/* The data (1 byte .. 1 MiB) and the optional AAD; on failure nothing is left allocated. */
static int read_seal_inputs(const struct cli_args *a, uint8_t **txt, size_t *txt_len, uint8_t **aad,
			    size_t *aad_len)
{
	int rc = cli_read_input(a->val[OPT_IN], CLI_MAX_SEAL_INPUT, "seal input", txt, txt_len);

	*aad = NULL;
	*aad_len = 0;
	if (rc != CLI_EXIT_OK)
		return rc;
	if (*txt_len == 0) {
		cli_err("seal input '%s' is empty: there is nothing to seal", a->val[OPT_IN]);
		rc = CLI_EXIT_FORMAT;
	} else {
		rc = read_aad(a, aad, aad_len);
	}
	if (rc != CLI_EXIT_OK) {
		fk_file_free(*txt, *txt_len);
		*txt = NULL;
		*txt_len = 0;
	}
	return rc;
}

/* Usage checks of seal's options, before anything is opened or read. */
static int seal_args(const struct cli_args *a, struct fk_seal_policy *pol)
{
	if (!a->has[OPT_IN] || a->val[OPT_IN][0] == '\0')
		return cli_usage_err("seal", "--in FILE is required ('-' for standard input)");
	if (!a->has[OPT_OUT] || a->val[OPT_OUT][0] == '\0')
		return cli_usage_err("seal", "--out BLOB is required");
	if (a->has[OPT_AAD_FILE] && a->has[OPT_AAD_HEX])
		return cli_usage_err("seal", "give at most one of --aad-file and --aad-hex");
	return parse_seal_policy(a, pol);
}

int cli_cmd_seal(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_PLATFORM_OPTS,
		{"in", true, false, OPT_IN},
		{"out", true, false, OPT_OUT},
		{"aad-file", true, false, OPT_AAD_FILE},
		{"aad-hex", true, false, OPT_AAD_HEX},
		{"policy", true, false, OPT_POLICY},
		{"attr-mask", true, false, OPT_ATTR_MASK},
		{"xfrm-mask", true, false, OPT_XFRM_MASK},
		{"misc-mask", true, false, OPT_MISC_MASK},
		{"force", false, false, OPT_FORCE},
	};
	struct fk_seal_policy pol;
	struct cli_platform pl;
	struct cli_args a;
	uint8_t *txt = NULL, *aad = NULL, *blob = NULL;
	size_t txt_len = 0, aad_len = 0;
	uint32_t blob_size = 0;
	char policy_names[96];
	fusekey_status st;
	int rc;

	memset(&pl, 0, sizeof(pl));
	rc = cli_parse("seal", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("seal", rc);
	rc = seal_args(&a, &pol);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = cli_platform_open("seal", &a, CLI_ENCLAVE_REQUIRED, &pl);
	if (rc != CLI_EXIT_OK)
		goto out;
	cli_policy_names(pol.key_policy, policy_names, sizeof(policy_names));
	if ((pol.key_policy & FK_SGX_KEYPOLICY_NEEDS_KSS) && !(pl.id.flags & FK_SGX_FLAGS_KSS)) {
		cli_err("policy %s needs a KSS enclave, and enclave '%s' has no KSS (%s; or drop "
			"noisvprodid/configid/familyid/extprodid/kss from --policy)",
			policy_names, pl.enclave_path, cli_kss_hint(&pl));
		rc = CLI_EXIT_REFUSED;
		goto out;
	}
	rc = check_absent(a.val[OPT_OUT], a.has[OPT_FORCE], "output");
	if (rc == CLI_EXIT_OK)
		rc = read_seal_inputs(&a, &txt, &txt_len, &aad, &aad_len);
	if (rc != CLI_EXIT_OK)
		goto out;
	/* Both lengths are bounded by 1 MiB above, so the sum fits. */
	if (!fk_seal_size((uint32_t)aad_len, (uint32_t)txt_len, &blob_size) ||
	    (blob = calloc(1, blob_size)) == NULL) {
		cli_err("out of memory");
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	st = fk_seal(pl.p, &pol, aad, (uint32_t)aad_len, txt, (uint32_t)txt_len, blob, blob_size);
	if (st != FUSEKEY_OK) {
		rc = cli_fail(st, "sealing");
		goto out;
	}
	rc = cli_write_file(a.val[OPT_OUT], blob, blob_size, 0600, a.has[OPT_FORCE], "output");
	if (rc != CLI_EXIT_OK)
		goto out;
	printf("sealed %zu bytes", txt_len);
	if (aad_len > 0)
		printf(" (+ %zu bytes AAD, in clear)", aad_len);
	printf(" to %s (%lu bytes, mode 0600); policy %s\n", a.val[OPT_OUT],
	       (unsigned long)blob_size, policy_names);
out:
	fk_file_free(txt, txt_len);
	fk_file_free(aad, aad_len);
	fk_file_free(blob, blob_size);
	cli_platform_close(&pl);
	return rc;
}

/* ---- unseal ---- */

static int unseal_failed(fusekey_status st, const struct cli_args *a, const struct cli_platform *pl,
			 const struct fk_sealed_info *info)
{
	const char *blob = a->val[OPT_IN];
	enum fk_sim_cpusvn which;
	char policy[96];

	cli_policy_names(info->request.key_policy, policy, sizeof(policy));
	switch (st) {
	case FUSEKEY_ERR_MAC_MISMATCH:
		cli_err("cannot unseal '%s' as enclave '%s': authentication failed. The blob was "
			"sealed for another enclave, signer or DEBUG state (its policy: %s), on "
			"another platform, or it was modified",
			blob, pl->enclave_path, policy);
		return CLI_EXIT_AUTH;
	case FUSEKEY_ERR_INVALID_CPUSVN:
		/* The emulator's CPUSVN names mean something only on the emulated platform. */
		if (pl->emulated && cli_cpusvn_is_sim(info->request.cpu_svn, &which))
			cli_err("cannot unseal '%s': it was sealed at a newer platform TCB (CPUSVN "
				"%s) than the current one (%s); it unseals only once the platform "
				"is back at that TCB or above",
				blob, fk_sim_cpusvn_name(which), fk_sim_cpusvn_name(pl->cpusvn));
		else
			cli_err("cannot unseal '%s': it names a CPUSVN this platform does not know "
				"(a newer TCB, another platform, or a modified blob)",
				blob);
		return CLI_EXIT_TCB;
	case FUSEKEY_ERR_INVALID_ISVSVN:
		cli_err("cannot unseal '%s': it was sealed by enclave version ISVSVN %u (CONFIGSVN "
			"%u), and enclave '%s' has ISVSVN %u (CONFIGSVN %u): only that version "
			"or a newer one can unseal it",
			blob, (unsigned)info->request.isv_svn, (unsigned)info->request.config_svn,
			pl->enclave_path, (unsigned)pl->id.isv_svn, (unsigned)pl->id.config_svn);
		return CLI_EXIT_TCB;
	case FUSEKEY_ERR_INVALID_PARAMETER:
		cli_err("'%s' holds no encrypted data (a MAC-only blob): nothing to unseal", blob);
		return CLI_EXIT_FORMAT;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "unsealing '%s'", blob);
		return cli_fail(st, ctx);
	}
	}
}

static int unseal_outputs(const struct cli_args *a, const uint8_t *txt, uint32_t txt_len,
			  const uint8_t *aad, uint32_t aad_len)
{
	int rc;

	if (a->has[OPT_STDOUT])
		rc = cli_write_stdout(txt, txt_len);
	else
		rc = cli_write_file(a->val[OPT_OUT], txt, txt_len, 0600, a->has[OPT_FORCE],
				    "output");
	if (rc != CLI_EXIT_OK)
		return rc;
	if (a->has[OPT_AAD_OUT]) {
		rc = cli_write_file(a->val[OPT_AAD_OUT], aad, aad_len, 0600, a->has[OPT_FORCE],
				    "AAD output");
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	fprintf(stderr, "fusekey: unsealed %lu bytes to %s", (unsigned long)txt_len,
		a->has[OPT_STDOUT] ? "standard output" : a->val[OPT_OUT]);
	if (aad_len > 0)
		fprintf(stderr, "; the blob carries %lu bytes of AAD%s%s", (unsigned long)aad_len,
			a->has[OPT_AAD_OUT] ? ", written to " : " (save it with --aad-out)",
			a->has[OPT_AAD_OUT] ? a->val[OPT_AAD_OUT] : "");
	fputc('\n', stderr);
	return CLI_EXIT_OK;
}

/* Usage checks of unseal's options: the plaintext goes exactly where the user says. */
static int unseal_args(const struct cli_args *a)
{
	if (!a->has[OPT_IN] || a->val[OPT_IN][0] == '\0')
		return cli_usage_err("unseal", "--in BLOB is required");
	if (a->has[OPT_OUT] == a->has[OPT_STDOUT])
		return cli_usage_err("unseal", "say where the plaintext goes: exactly one of --out "
					       "FILE or --stdout");
	if (a->has[OPT_OUT] && a->val[OPT_OUT][0] == '\0')
		return cli_usage_err("unseal", "--out needs a file name");
	if (a->has[OPT_AAD_OUT] && a->has[OPT_OUT] &&
	    strcmp(a->val[OPT_AAD_OUT], a->val[OPT_OUT]) == 0)
		return cli_usage_err("unseal", "--out and --aad-out must be different files");
	return CLI_EXIT_OK;
}

int cli_cmd_unseal(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_PLATFORM_OPTS,
		{"in", true, false, OPT_IN},
		{"out", true, false, OPT_OUT},
		{"stdout", false, false, OPT_STDOUT},
		{"aad-out", true, false, OPT_AAD_OUT},
		{"force", false, false, OPT_FORCE},
	};
	struct fk_sealed_info info;
	struct cli_platform pl;
	struct cli_args a;
	uint8_t *blob = NULL, *txt = NULL, *aad = NULL;
	size_t blob_len = 0;
	uint32_t txt_len = 0, aad_len = 0, txt_cap = 0, aad_cap = 0;
	fusekey_status st;
	int rc;

	memset(&pl, 0, sizeof(pl));
	memset(&info, 0, sizeof(info));
	rc = cli_parse("unseal", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("unseal", rc);
	rc = unseal_args(&a);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = cli_platform_open("unseal", &a, CLI_ENCLAVE_REQUIRED, &pl);
	if (rc == CLI_EXIT_OK && a.has[OPT_OUT])
		rc = check_absent(a.val[OPT_OUT], a.has[OPT_FORCE], "output");
	if (rc == CLI_EXIT_OK && a.has[OPT_AAD_OUT])
		rc = check_absent(a.val[OPT_AAD_OUT], a.has[OPT_FORCE], "AAD output");
	if (rc != CLI_EXIT_OK)
		goto out;
	rc = cli_read_input(a.val[OPT_IN], CLI_MAX_BLOB, "sealed blob", &blob, &blob_len);
	if (rc != CLI_EXIT_OK)
		goto out;
	/* The length fields size our buffers; a blob too short to hold them, or whose
	 * fields contradict each other, is a forgery like any other (fk_unseal makes
	 * the remaining framing checks: exact length, reserved bytes zero). */
	if (fk_sealed_parse(blob, blob_len, &info) != FUSEKEY_OK) {
		cli_err("cannot unseal '%s': authentication failed. It is not an intact sealed "
			"blob (truncated, extended, or its header was modified)",
			a.val[OPT_IN]);
		rc = CLI_EXIT_AUTH;
		goto out;
	}
	txt_cap = info.txt_len;
	aad_cap = info.aad_len;
	txt = calloc(1, txt_cap > 0 ? txt_cap : 1);
	aad = calloc(1, aad_cap > 0 ? aad_cap : 1);
	if (txt == NULL || aad == NULL) {
		cli_err("out of memory");
		rc = CLI_EXIT_INTERNAL;
		goto out;
	}
	txt_len = txt_cap;
	aad_len = aad_cap;
	st = fk_unseal(pl.p, blob, blob_len, txt, &txt_len, aad, &aad_len);
	if (st != FUSEKEY_OK) {
		rc = unseal_failed(st, &a, &pl, &info);
		goto out;
	}
	rc = unseal_outputs(&a, txt, txt_len, aad, aad_len);
out:
	fk_file_free(txt, txt_cap);
	fk_file_free(aad, aad_cap);
	fk_file_free(blob, blob_len);
	cli_platform_close(&pl);
	return rc;
}
