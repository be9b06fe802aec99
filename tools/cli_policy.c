/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `fusekey policy check FILE`: load a release policy exactly as fusekeyd
 * does and say what it allows, or the first error with its line and reason.
 * `fusekey launch-digest`: the launch-spec digest of an OCI bundle's
 * config.json, for the policy's "launch_digest" (docs/policy.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "policy/fk_launch.h"
#include "policy/fk_policy.h"
#include "util/fk_file.h"

static void print_hex_line(const char *indent, const char *name, const uint8_t *p, size_t n)
{
	printf("%s%s: ", indent, name);
	cli_print_hex(stdout, p, n);
	putchar('\n');
}

static void print_rule(size_t i, const struct fk_policy_rule *r)
{
	const struct fk_dh_expect *e = &r->expect;
	static const char ind[] = "      ";

	if (r->by_mr_enclave)
		printf("  [%zu] allow-list of %zu MRENCLAVE%s", i, r->n_mr_enclave,
		       r->n_mr_enclave == 1 ? "" : "s");
	else
		printf("  [%zu] signer rule", i);
	printf("; DEBUG %s%s\n", e->allow_debug ? "allowed" : "refused",
	       r->has_launch_digest ? "; launch digest required" : "");
	for (size_t k = 0; k < r->n_mr_enclave; k++)
		print_hex_line(ind, "mr_enclave", r->mr_enclave[k], FK_SGX_HASH_SIZE);
	if (e->fields & FK_DH_EXPECT_MRSIGNER) {
		print_hex_line(ind, "mr_signer", e->mr_signer, sizeof(e->mr_signer));
		printf("%sisv_prod_id: %u\n%smin_isv_svn: %u\n", ind, e->isv_prod_id, ind,
		       e->min_isv_svn);
	}
	if (e->fields & FK_DH_EXPECT_ISVFAMILYID)
		print_hex_line(ind, "isv_family_id", e->isv_family_id, sizeof(e->isv_family_id));
	if (e->fields & FK_DH_EXPECT_ISVEXTPRODID)
		print_hex_line(ind, "isv_ext_prod_id", e->isv_ext_prod_id,
			       sizeof(e->isv_ext_prod_id));
	if (e->fields & FK_DH_EXPECT_CONFIGID)
		print_hex_line(ind, "config_id", e->config_id, sizeof(e->config_id));
	if (e->min_config_svn != 0)
		printf("%smin_config_svn: %u\n", ind, e->min_config_svn);
	if (r->has_launch_digest)
		print_hex_line(ind, "launch_digest", r->launch_digest, sizeof(r->launch_digest));
}

static int policy_check(int argc, char **argv)
{
	static const struct cli_opt opts[] = {{"help", false, false, OPT_HELP}};
	struct cli_args a;
	struct fk_policy *p = NULL;
	struct fk_policy_error err;
	fusekey_status st;
	size_t n;
	int rc;

	rc = cli_parse("policy check", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 1, &a);
	if (rc == CLI_PARSE_HELP) {
		cli_help("policy check", stdout);
		return CLI_EXIT_OK;
	}
	if (rc != CLI_PARSE_OK)
		return rc;
	if (a.npos != 1)
		return cli_usage_err("policy check", "give the policy file");
	st = fk_policy_load_file(a.pos[0], &p, &err);
	if (st != FUSEKEY_OK) {
		cli_err("%s", err.message);
		return cli_exit_for_status(st);
	}
	n = fk_policy_entry_count(p);
	printf("%s: ok (version %d, %zu container entr%s, %zu rule%s)\n", a.pos[0],
	       FK_POLICY_VERSION, n, n == 1 ? "y" : "ies", fk_policy_rule_total(p),
	       fk_policy_rule_total(p) == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		const char *id = fk_policy_entry_id(p, i);
		size_t nr = fk_policy_entry_rule_count(p, i);
		bool wild = strcmp(id, FK_POLICY_WILDCARD) == 0;

		if (nr == 0) {
			printf("containers.\"%s\": no rules: %s refused\n", id,
			       wild ? "every container without its own entry is" : "the container is");
			continue;
		}
		printf("containers.\"%s\": %zu rule%s%s\n", id, nr, nr == 1 ? "" : "s",
		       wild ? " (every container without its own entry)" : "");
		for (size_t j = 0; j < nr; j++)
			print_rule(j, fk_policy_rule_at(p, i, j));
	}
	fk_policy_free(p);
	return CLI_EXIT_OK;
}

int cli_cmd_policy(int argc, char **argv)
{
	if (argc < 1) {
		cli_help("policy", stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		cli_help("policy", stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "check") == 0)
		return policy_check(argc - 1, argv + 1);
	return cli_usage_err("policy", "unknown subcommand 'policy %s'", argv[0]);
}

int cli_cmd_launch_digest(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"help", false, false, OPT_HELP},
		{"bundle", true, false, OPT_BUNDLE},
		{"config", true, false, OPT_CONFIG},
	};
	struct cli_args a;
	uint8_t digest[FK_LAUNCH_DIGEST_SIZE];
	char err[256], hex[2 * FK_LAUNCH_DIGEST_SIZE + 1];
	fusekey_status st;
	int rc;

	rc = cli_parse("launch-digest", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc == CLI_PARSE_HELP) {
		cli_help("launch-digest", stdout);
		return CLI_EXIT_OK;
	}
	if (rc != CLI_PARSE_OK)
		return rc;
	if (a.has[OPT_BUNDLE] == a.has[OPT_CONFIG])
		return cli_usage_err("launch-digest", "give one of --bundle DIR and --config FILE");
	if (a.has[OPT_BUNDLE]) {
		st = fk_launch_digest_from_bundle(a.val[OPT_BUNDLE], digest, err, sizeof(err));
		if (st != FUSEKEY_OK) {
			cli_err("bundle '%s': %s", a.val[OPT_BUNDLE],
				err[0] ? err : fusekey_status_str(st));
			return cli_exit_for_status(st);
		}
	} else {
		uint8_t *buf = NULL;
		size_t len = 0;
		rc = cli_read_input(a.val[OPT_CONFIG], FK_LAUNCH_MAX_CONFIG, "launch spec", &buf, &len);
		if (rc != CLI_EXIT_OK)
			return rc;
		st = fk_launch_digest_from_config(buf, len, digest, err, sizeof(err));
		fk_file_free(buf, len);
		if (st != FUSEKEY_OK) {
			cli_err("'%s': %s", a.val[OPT_CONFIG], err[0] ? err : fusekey_status_str(st));
			return cli_exit_for_status(st);
		}
	}
	cli_hex(digest, sizeof(digest), hex);
	printf("%s\n", hex);
	return CLI_EXIT_OK;
}
