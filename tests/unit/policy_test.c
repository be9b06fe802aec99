/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/policy/fk_policy.{h,c}: strict loading (every refusal
 * with its exact message and line) and fail-closed evaluation (exact entry
 * vs "*", allow-lists, signer rules, DEBUG, KSS ids, launch digests, the
 * closest rule), and the expectation handed to fk_dh_check_peer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "la/fk_dh.h"
#include "policy/fk_policy.h"
#include "test_util.h"

/* Hex of a repeated byte: R32("a1") is 64 digits (32 bytes of 0xa1). */
#define R2(x) x x
#define R4(x) R2(x) R2(x)
#define R8(x) R4(x) R4(x)
#define R16(x) R8(x) R8(x)
#define R32(x) R16(x) R16(x)
#define R64(x) R32(x) R32(x)
#define Q(x) "\"" x "\""

#define MRE_A1 R32("a1")
#define MRE_A2 R32("a2")
#define MRE_A3 R32("a3")
#define MRS_S R32("55")
#define MRS_T R32("77")
#define FAM R16("f1")
#define EXT R16("e1")
#define CFG R64("c1")
#define LD R32("1d")

/* ---- helpers ---- */

static struct fk_policy *load(const char *text)
{
	struct fk_policy *p = NULL;
	struct fk_policy_error err;

	if (fk_policy_parse((const uint8_t *)text, strlen(text), "t.json", &p, &err) != FUSEKEY_OK)
		fail_msg("policy refused: %s", err.message);
	assert_non_null(p);
	return p;
}

/* Refused with FORMAT, exactly `message`, err.line == line. */
static void refused_len(const char *text, size_t len, unsigned line, const char *message)
{
	static int sentinel;
	struct fk_policy *p = (struct fk_policy *)(void *)&sentinel; /* must be reset to NULL */
	struct fk_policy_error err;

	memset(&err, 0x55, sizeof(err));
	EXPECT_STATUS(fk_policy_parse((const uint8_t *)text, len, "t.json", &p, &err),
		      FUSEKEY_ERR_FORMAT);
	assert_null(p);
	if (strcmp(err.message, message) != 0)
		fail_msg("got      '%s'\nexpected '%s'", err.message, message);
	assert_int_equal(err.line, line);
}

static void refused(const char *text, unsigned line, const char *message)
{
	refused_len(text, strlen(text), line, message);
}

/* Refused with a message starting with `prefix` (jansson's own wording follows). */
static void refused_prefix(const char *text, unsigned line, const char *prefix)
{
	struct fk_policy *p = NULL;
	struct fk_policy_error err;

	EXPECT_STATUS(fk_policy_parse((const uint8_t *)text, strlen(text), "t.json", &p, &err),
		      FUSEKEY_ERR_FORMAT);
	assert_null(p);
	if (strncmp(err.message, prefix, strlen(prefix)) != 0)
		fail_msg("got '%s', expected it to start with '%s'", err.message, prefix);
	assert_int_equal(err.line, line);
}

/* A policy with one container "web" holding one rule (the text given). */
static void rule_refused(const char *rule, const char *message)
{
	char text[2048];
	snprintf(text, sizeof(text), "{\"version\": 1, \"containers\": {\n\"web\": [\n%s\n]}}\n",
		 rule);
	refused(text, 3, message);
}

static void body(struct fk_sgx_report_body *b, uint8_t mre, uint8_t mrs, uint16_t prod,
		 uint16_t svn, bool debug)
{
	memset(b, 0, sizeof(*b));
	memset(b->mr_enclave, mre, sizeof(b->mr_enclave));
	memset(b->mr_signer, mrs, sizeof(b->mr_signer));
	fk_put_le16(b->isv_prod_id, prod);
	fk_put_le16(b->isv_svn, svn);
	fk_put_le64(b->attributes.flags, FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT |
						 (debug ? FK_SGX_FLAGS_DEBUG : 0));
	fk_put_le64(b->attributes.xfrm, 0x3);
}

/* Growable text for the large cases. */
struct text {
	char *s;
	size_t n, cap;
};

static void t_add(struct text *t, const char *s)
{
	size_t k = strlen(s);
	if (t->n + k + 1 > t->cap) {
		t->cap = (t->n + k + 1) * 2;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
	memcpy(t->s + t->n, s, k + 1);
	t->n += k;
}

/* ---- loading: file-level and syntax ---- */

static void test_load_syntax(void **state)
{
	(void)state;
	refused("", 1, "t.json:1: empty file (expected a JSON object)");
	refused_len("{\n\n\0}", 5, 3, "t.json:3: NUL byte in the file");
	refused_prefix("{\"version\": 1,\n\"containers\": {\n\"web\": []\n\"x\": []}}", 4,
		       "t.json:4: invalid JSON: ");
	/* jansson's duplicate check, with the line of the second key. */
	refused_prefix("{\"version\": 1, \"containers\": {\n \"web\": [],\n \"web\": []}}", 3,
		       "t.json:3: invalid JSON: duplicate object key");
	refused_prefix("{\"version\": 1, \"version\": 1}", 1,
		       "t.json:1: invalid JSON: duplicate object key");
	refused_prefix("\n\n  ", 3, "t.json:3: invalid JSON: ");
	refused_prefix("{\"version\": 1, \"containers\": {\"web\": []}} trailing", 1,
		       "t.json:1: invalid JSON: end of file expected");
	refused_prefix("{\"version\": 99999999999999999999}", 1,
		       "t.json:1: invalid JSON: too big integer");
	refused_prefix("{\"version\": 1, \"containers\": {\"w\xff\": []}}", 1,
		       "t.json:1: invalid JSON: ");
	/* Too large: no line, no path. */
	char *big = malloc(FK_POLICY_MAX_FILE + 2);
	assert_non_null(big);
	memset(big, ' ', FK_POLICY_MAX_FILE + 1);
	big[FK_POLICY_MAX_FILE + 1] = '\0';
	refused(big, 0, "t.json: larger than 1048576 bytes");
	free(big);
}

/* ---- loading: the top level ---- */

static void test_load_top_level(void **state)
{
	(void)state;
	refused("[1]", 1, "t.json:1: top level: not a JSON object");
	refused("\n\n[]", 3, "t.json:3: top level: not a JSON object");
	refused("{\"version\": 1,\n \"containers\": {\"web\": []},\n \"extra\": true}", 3,
		"t.json:3: extra: unknown key (the top level has version, containers)");
	refused("{\"version\": 1,\n \"contain ers\": {}}", 2,
		"t.json:2: \"contain ers\": unknown key (the top level has version, containers)");
	refused("{\n\"containers\": {\"web\": []}}", 1,
		"t.json:1: top level: missing \"version\" (1)");
	refused("\n{\"containers\": {\"web\": []}\n}", 2,
		"t.json:2: top level: missing \"version\" (1)");
	refused("{\"containers\": {\"web\": []},\n\"version\":\n 2}", 3,
		"t.json:3: version: unsupported version 2 (this fusekey reads 1)");
	refused("{\"version\": \"1\"}", 1, "t.json:1: version: not an integer");
	refused("{\"version\": 1.0}", 1, "t.json:1: version: not an integer");
	refused("{\"version\": 1}", 1, "t.json:1: top level: missing \"containers\"");
	refused("{\"version\": 1, \"containers\": []}", 1,
		"t.json:1: containers: not an object (container id -> rules)");
	/* The line of the value, not of its key. */
	refused("{\"version\": 1, \"containers\":\n\n {}}", 3,
		"t.json:3: containers: no container entries (the policy would refuse every "
		"request)");
}

/* ---- loading: container entries ---- */

static void test_load_containers(void **state)
{
	(void)state;
	refused("{\"version\": 1, \"containers\": {\n\"web\": [],\n\"we b\": []}}", 3,
		"t.json:3: containers.\"we b\": not a container id (1 to 128 of A-Z a-z 0-9 _ . "
		"-, not starting with '.' or '-') nor \"*\"");
	refused("{\"version\": 1, \"containers\": {\".hidden\": []}}", 1,
		"t.json:1: containers.\".hidden\": not a container id (1 to 128 of A-Z a-z 0-9 _ "
		". -, not starting with '.' or '-') nor \"*\"");
	refused("{\"version\": 1, \"containers\": {\"\": []}}", 1,
		"t.json:1: containers.\"\": not a container id (1 to 128 of A-Z a-z 0-9 _ . -, "
		"not starting with '.' or '-') nor \"*\"");
	refused("{\"version\": 1, \"containers\": {\"**\": []}}", 1,
		"t.json:1: containers.\"**\": not a container id (1 to 128 of A-Z a-z 0-9 _ . -, "
		"not starting with '.' or '-') nor \"*\"");
	/* Escaped in the message: quotes, backslashes, control characters. */
	refused("{\"version\": 1, \"containers\": {\n\"a\\\"b\\\\c\\u0001\": []}}", 2,
		"t.json:2: containers.\"a\\\"b\\\\c\\x01\": not a container id (1 to 128 of A-Z "
		"a-z 0-9 _ . -, not starting with '.' or '-') nor \"*\"");
	/* 129 characters: shown cut at 128, with "...". */
	refused("{\"version\": 1, \"containers\": {\"" R64("ab") "x\": []}}", 1,
		"t.json:1: containers.\"" R64("ab") "...\": not a container id (1 to 128 of A-Z "
		"a-z 0-9 _ . -, not starting with '.' or '-') nor \"*\"");
	refused("{\"version\": 1, \"containers\": {\"web\":\n {}}}", 2,
		"t.json:2: containers.\"web\": not an array of rules");
	refused("{\"version\": 1, \"containers\": {\"web\": [\n\"x\"]}}", 2,
		"t.json:2: containers.\"web\"[0]: not an object (a rule)");
	/* Escaped keys and multi-line values before the error are walked correctly. */
	refused("{\"version\": 1, \"containers\": {\r\n"
		"\"w\\u0065b\": [\r\n"
		"  {\"mr_enclave\": [\r\n"
		"    \"" MRE_A1 "\",\r\n"
		"    \"" MRE_A2 "\"]},\r\n"
		"  {\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 1, \"min_isv_svn\": 0}],\r\n"
		"\"*\": [{\"mr_enclave\": [\"" MRE_A3 "\"]}],\r\n"
		"\"db\": [{\"mr_enclave\": [\"" MRE_A3 "\"], \"allow_debug\": 1}]}}\r\n",
		8, "t.json:8: containers.\"db\"[0].allow_debug: not true or false");
}

/* ---- loading: rules ---- */

static void test_load_rule_fields(void **state)
{
	(void)state;
	/* The example of docs/policy.md: the second MRENCLAVE, on line 4. */
	refused("{\"version\": 1, \"containers\": {\n"
		" \"web\": [ { \"mr_enclave\": [\n"
		"   \"" MRE_A1 "\",\n"
		"   \"" R32("a") R16("b") R8("c") R4("d") R2("e") "f\" ] } ] } }\n",
		4, "t.json:4: containers.\"web\"[0].mr_enclave[1]: not 64 hex digits");
	rule_refused("{\"mr_enclave\": [\"" R32("g1") "\"]}",
		     "t.json:3: containers.\"web\"[0].mr_enclave[0]: not 64 hex digits");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "0\"]}",
		     "t.json:3: containers.\"web\"[0].mr_enclave[0]: not 64 hex digits");
	rule_refused("{\"mr_enclave\": [\"0x" R32("a1") "\"]}",
		     "t.json:3: containers.\"web\"[0].mr_enclave[0]: not 64 hex digits");
	rule_refused("{\"mr_enclave\": [7]}",
		     "t.json:3: containers.\"web\"[0].mr_enclave[0]: not a string of 64 hex "
		     "digits");
	rule_refused("{\"mr_enclave\": []}",
		     "t.json:3: containers.\"web\"[0].mr_enclave: empty allow-list (name at least "
		     "one MRENCLAVE)");
	rule_refused("{\"mr_enclave\": \"" MRE_A1 "\"}",
		     "t.json:3: containers.\"web\"[0].mr_enclave: not an array of 64-hex-digit "
		     "strings");
	rule_refused("{\"mr_signer\": \"" R16("55") "\", \"isv_prod_id\": 1, \"min_isv_svn\": 1}",
		     "t.json:3: containers.\"web\"[0].mr_signer: not 64 hex digits");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 65536, \"min_isv_svn\": 1}",
		     "t.json:3: containers.\"web\"[0].isv_prod_id: 65536 out of range 0..65535");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": -1, \"min_isv_svn\": 1}",
		     "t.json:3: containers.\"web\"[0].isv_prod_id: -1 out of range 0..65535");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 1.5, \"min_isv_svn\": 1}",
		     "t.json:3: containers.\"web\"[0].isv_prod_id: not an integer");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": \"2\", \"min_isv_svn\": 1}",
		     "t.json:3: containers.\"web\"[0].isv_prod_id: not an integer");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 2, \"min_isv_svn\": true}",
		     "t.json:3: containers.\"web\"[0].min_isv_svn: not an integer");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 2, \"min_isv_svn\": 70000}",
		     "t.json:3: containers.\"web\"[0].min_isv_svn: 70000 out of range 0..65535");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"min_config_svn\": 65536}",
		     "t.json:3: containers.\"web\"[0].min_config_svn: 65536 out of range "
		     "0..65535");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"allow_debug\": \"yes\"}",
		     "t.json:3: containers.\"web\"[0].allow_debug: not true or false");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"allow_debug\": null}",
		     "t.json:3: containers.\"web\"[0].allow_debug: not true or false");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"isv_family_id\": \"" R16("f") "\"}",
		     "t.json:3: containers.\"web\"[0].isv_family_id: not 32 hex digits");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"isv_ext_prod_id\": 5}",
		     "t.json:3: containers.\"web\"[0].isv_ext_prod_id: not a string of 32 hex "
		     "digits");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"config_id\": \"" MRE_A1 "\"}",
		     "t.json:3: containers.\"web\"[0].config_id: not 128 hex digits");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"launch_digest\": \"xyz\"}",
		     "t.json:3: containers.\"web\"[0].launch_digest: not 64 hex digits");
}

static void test_load_rule_forms(void **state)
{
	(void)state;
	/* An unknown key: the line of the key, though its value is further down. */
	refused("{\"version\": 1, \"containers\": {\n"
		" \"web\": [\n"
		"  {\"mr_enclave\": [\"" MRE_A1 "\"],\n"
		"   \"allow_debug\": false,\n"
		"   \"mr_enclaves\"\n"
		"     : [\"" MRE_A1 "\"]}]}}\n",
		5,
		"t.json:5: containers.\"web\"[0].mr_enclaves: unknown key (a rule has mr_enclave, "
		"mr_signer, isv_prod_id, min_isv_svn, allow_debug, isv_family_id, "
		"isv_ext_prod_id, config_id, min_config_svn, launch_digest)");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"mr_signer\": \"" MRS_S "\"}",
		     "t.json:3: containers.\"web\"[0]: both rule forms: mr_enclave cannot go with "
		     "mr_signer (a rule is an mr_enclave allow-list or mr_signer + isv_prod_id + "
		     "min_isv_svn)");
	rule_refused("{\"min_isv_svn\": 1, \"mr_enclave\": [\"" MRE_A1 "\"]}",
		     "t.json:3: containers.\"web\"[0]: both rule forms: mr_enclave cannot go with "
		     "min_isv_svn (a rule is an mr_enclave allow-list or mr_signer + isv_prod_id + "
		     "min_isv_svn)");
	rule_refused("{\"mr_enclave\": [\"" MRE_A1 "\"], \"isv_prod_id\": 1}",
		     "t.json:3: containers.\"web\"[0]: both rule forms: mr_enclave cannot go with "
		     "isv_prod_id (a rule is an mr_enclave allow-list or mr_signer + isv_prod_id + "
		     "min_isv_svn)");
	rule_refused("{}", "t.json:3: containers.\"web\"[0]: neither rule form: give mr_enclave "
			   "(an allow-list), or mr_signer + isv_prod_id + min_isv_svn");
	rule_refused("{\"allow_debug\": true, \"launch_digest\": \"" LD "\"}",
		     "t.json:3: containers.\"web\"[0]: neither rule form: give mr_enclave (an "
		     "allow-list), or mr_signer + isv_prod_id + min_isv_svn");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 2}",
		     "t.json:3: containers.\"web\"[0]: signer rule without min_isv_svn (it needs "
		     "mr_signer, isv_prod_id and min_isv_svn)");
	rule_refused("{\"isv_prod_id\": 2, \"min_isv_svn\": 0}",
		     "t.json:3: containers.\"web\"[0]: signer rule without mr_signer (it needs "
		     "mr_signer, isv_prod_id and min_isv_svn)");
	rule_refused("{\"mr_signer\": \"" MRS_S "\", \"min_isv_svn\": 0}",
		     "t.json:3: containers.\"web\"[0]: signer rule without isv_prod_id (it needs "
		     "mr_signer, isv_prod_id and min_isv_svn)");
}

/* ---- loading: bounds ---- */

static void test_bound_mrenclaves(void **state)
{
	struct text t = {0};
	struct fk_policy *p;

	(void)state;
	t_add(&t, "{\"version\": 1, \"containers\": {\"web\": [{\"mr_enclave\": [\n");
	for (unsigned i = 0; i < FK_POLICY_MAX_MRENCLAVES; i++)
		t_add(&t, i ? ",\n\"" MRE_A1 "\"" : "\"" MRE_A1 "\"");
	size_t at = t.n;
	t_add(&t, "]}]}}");
	p = load(t.s);
	assert_int_equal(fk_policy_rule_at(p, 0, 0)->n_mr_enclave, FK_POLICY_MAX_MRENCLAVES);
	fk_policy_free(p);
	/* One more: element 4096 sits on line 1 + 4097. */
	t.n = at;
	t_add(&t, ",\n\"" MRE_A2 "\"]}]}}");
	refused(t.s, 4098,
		"t.json:4098: containers.\"web\"[0].mr_enclave[4096]: more than 4096 MRENCLAVEs "
		"in one rule");
	free(t.s);
}

static void test_bound_rules(void **state)
{
	struct text t = {0};
	struct fk_policy *p;
	const char *rule = "{\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 1, \"min_isv_svn\": 0}";

	(void)state;
	/* 4000 rules for "a" (lines 2..4001), then "b" from line 4003. */
	t_add(&t, "{\"version\": 1, \"containers\": {\"a\": [\n");
	for (unsigned i = 0; i < 4000; i++) {
		t_add(&t, rule);
		t_add(&t, i + 1 < 4000 ? ",\n" : "\n");
	}
	t_add(&t, "], \"b\": [\n");
	for (unsigned i = 0; i < FK_POLICY_MAX_RULES - 4000; i++) {
		t_add(&t, rule);
		t_add(&t, ",\n");
	}
	size_t at = t.n;
	t_add(&t, rule);
	t_add(&t, "]}}");
	/* 4097 rules: b[96], on line 4003 + 96. */
	refused(t.s, 4099, "t.json:4099: containers.\"b\"[96]: more than 4096 rules in the policy");
	t.n = at - 2; /* drop the last ",\n" */
	t.s[t.n] = '\0';
	t_add(&t, "]}}");
	p = load(t.s);
	assert_int_equal(fk_policy_rule_total(p), FK_POLICY_MAX_RULES);
	assert_int_equal(fk_policy_entry_rule_count(p, 1), FK_POLICY_MAX_RULES - 4000);
	fk_policy_free(p);
	free(t.s);
}

static void test_bound_containers(void **state)
{
	struct text t = {0};
	char line[64];
	struct fk_policy *p;

	(void)state;
	t_add(&t, "{\"version\": 1, \"containers\": {\n");
	for (unsigned i = 0; i < FK_POLICY_MAX_CONTAINERS; i++) {
		snprintf(line, sizeof(line), "%s\"c%u\": []", i ? ",\n" : "", i);
		t_add(&t, line);
	}
	size_t at = t.n;
	t_add(&t, "}}");
	p = load(t.s);
	assert_int_equal(fk_policy_entry_count(p), FK_POLICY_MAX_CONTAINERS);
	assert_string_equal(fk_policy_entry_id(p, 4095), "c4095");
	fk_policy_free(p);
	t.n = at;
	t_add(&t, ",\n\"c4096\": []}}");
	refused(t.s, 4098, "t.json:4098: containers.\"c4096\": more than 4096 container entries");
	free(t.s);
}

/* ---- what a loaded policy holds ---- */

static const char *const full_policy =
	"{\"version\": 1, \"containers\": {\n"
	"  \"web\": [\n"
	"    {\"mr_enclave\": [\"" MRE_A1 "\", \"" MRE_A2 "\"]},\n"
	"    {\"mr_enclave\": [\"" MRE_A3 "\"], \"allow_debug\": true,\n"
	"     \"launch_digest\": \"" LD "\"}],\n"
	"  \"kss\": [\n"
	"    {\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 7, \"min_isv_svn\": 3,\n"
	"     \"isv_family_id\": \"" FAM "\", \"isv_ext_prod_id\": \"" EXT "\",\n"
	"     \"config_id\": \"" CFG "\", \"min_config_svn\": 5}],\n"
	"  \"deny\": [],\n"
	"  \"*\": [\n"
	"    {\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 2, \"min_isv_svn\": 3}]}}\n";

static void test_loaded_rules(void **state)
{
	struct fk_policy *p = load(full_policy);
	const struct fk_policy_rule *r;
	uint8_t b[128];

	(void)state;
	assert_int_equal(fk_policy_entry_count(p), 4);
	assert_int_equal(fk_policy_rule_total(p), 4);
	assert_string_equal(fk_policy_entry_id(p, 0), "web");
	assert_string_equal(fk_policy_entry_id(p, 3), "*");
	assert_null(fk_policy_entry_id(p, 4));
	assert_int_equal(fk_policy_entry_rule_count(p, 2), 0);
	assert_null(fk_policy_rule_at(p, 2, 0));

	r = fk_policy_rule_at(p, 0, 0);
	assert_true(r->by_mr_enclave);
	assert_int_equal(r->n_mr_enclave, 2);
	memset(b, 0xa2, 32);
	assert_memory_equal(r->mr_enclave[1], b, 32);
	assert_int_equal(r->expect.fields, FK_DH_EXPECT_MRENCLAVE);
	assert_false(r->expect.allow_debug);
	assert_false(r->has_launch_digest);
	assert_int_equal(r->expect.attr_flags_mask, FK_SGX_FLAGS_INITTED);
	assert_int_equal(r->expect.attr_flags_value, FK_SGX_FLAGS_INITTED);

	r = fk_policy_rule_at(p, 0, 1);
	assert_true(r->expect.allow_debug);
	assert_true(r->has_launch_digest);
	memset(b, 0x1d, 32);
	assert_memory_equal(r->launch_digest, b, 32);

	r = fk_policy_rule_at(p, 1, 0);
	assert_false(r->by_mr_enclave);
	assert_int_equal(r->n_mr_enclave, 0);
	assert_int_equal(r->expect.fields, FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID |
						   FK_DH_EXPECT_ISVFAMILYID |
						   FK_DH_EXPECT_ISVEXTPRODID | FK_DH_EXPECT_CONFIGID);
	assert_int_equal(r->expect.isv_prod_id, 7);
	assert_int_equal(r->expect.min_isv_svn, 3);
	assert_int_equal(r->expect.min_config_svn, 5);
	memset(b, 0x55, 32);
	assert_memory_equal(r->expect.mr_signer, b, 32);
	memset(b, 0xf1, 16);
	assert_memory_equal(r->expect.isv_family_id, b, 16);
	memset(b, 0xe1, 16);
	assert_memory_equal(r->expect.isv_ext_prod_id, b, 16);
	memset(b, 0xc1, 64);
	assert_memory_equal(r->expect.config_id, b, 64);
	fk_policy_free(p);

	/* Upper-case hex is the same value. */
	p = load("{\"version\": 1, \"containers\": {\"x\": [{\"mr_enclave\": [\"" R32("A1") "\"]}]}}");
	memset(b, 0xa1, 32);
	assert_memory_equal(fk_policy_rule_at(p, 0, 0)->mr_enclave[0], b, 32);
	fk_policy_free(p);
}

/* ---- evaluation ---- */

struct eval {
	fusekey_status st;
	struct fk_policy_decision d;
};

static struct eval eval(const struct fk_policy *p, const char *cid,
			const struct fk_sgx_report_body *b, const uint8_t *ld)
{
	struct eval e;
	memset(&e.d, 0x5A, sizeof(e.d)); /* everything must be set by evaluate */
	e.st = fk_policy_evaluate(p, cid, b, ld, &e.d);
	return e;
}

/* Allowed by entry/rule; the expectation given back accepts the peer. */
static void allowed(const struct fk_policy *p, const char *cid, const struct fk_sgx_report_body *b,
		    const uint8_t *ld, const char *entry, size_t rule, size_t mre)
{
	struct eval e = eval(p, cid, b, ld);
	struct fk_dh_expect x;

	if (e.st != FUSEKEY_OK)
		fail_msg("refused: %s (%s)", e.d.reason, e.d.detail);
	assert_true(e.d.allowed);
	assert_true(e.d.have_rule);
	assert_string_equal(e.d.entry, entry);
	assert_int_equal(e.d.rule, rule);
	assert_int_equal(e.d.mr_enclave_index, mre);
	assert_int_equal(e.d.mismatch, FK_DH_MISMATCH_NONE);
	assert_string_equal(e.d.reason, FK_POLICY_REASON_ALLOWED);
	assert_true(fk_policy_decision_expect(p, &e.d, &x));
	assert_int_equal(fk_dh_identity_check(b, &x), FK_DH_MISMATCH_NONE);
	if (x.fields & FK_DH_EXPECT_MRENCLAVE)
		assert_memory_equal(x.mr_enclave, b->mr_enclave, 32);
}

/* Refused with reason (and mismatch), closest entry/rule; no expectation given. */
static struct eval refused_by(const struct fk_policy *p, const char *cid,
			      const struct fk_sgx_report_body *b, const uint8_t *ld,
			      const char *reason, const char *entry, long rule)
{
	struct eval e = eval(p, cid, b, ld);
	struct fk_dh_expect x;

	EXPECT_STATUS(e.st, FUSEKEY_ERR_REFUSED);
	assert_false(e.d.allowed);
	if (strcmp(e.d.reason, reason) != 0)
		fail_msg("reason '%s' (%s), expected '%s'", e.d.reason, e.d.detail, reason);
	assert_string_equal(e.d.entry, entry);
	if (rule < 0) {
		assert_false(e.d.have_rule);
	} else {
		assert_true(e.d.have_rule);
		assert_int_equal(e.d.rule, (size_t)rule);
	}
	memset(&x, 0x77, sizeof(x));
	assert_false(fk_policy_decision_expect(p, &e.d, &x));
	assert_true(th_all_zero(&x, sizeof(x)));
	assert_non_null(memchr(e.d.detail, '\0', sizeof(e.d.detail)));
	assert_null(strchr(e.d.detail, '\n'));
	return e;
}

static void test_eval_allow_list(void **state)
{
	struct fk_policy *p = load(full_policy);
	struct fk_sgx_report_body b;
	uint8_t ld[32];
	struct eval e;

	(void)state;
	memset(ld, 0x1d, 32);
	body(&b, 0xa1, 0x99, 0, 0, false);
	allowed(p, "web", &b, NULL, "web", 0, 0);
	body(&b, 0xa2, 0x99, 0, 0, false);
	allowed(p, "web", &b, NULL, "web", 0, 1);
	/* Not on any list: both rules fail at MRENCLAVE, the first is reported. */
	body(&b, 0xa9, 0x99, 0, 0, false);
	e = refused_by(p, "web", &b, NULL, "mr_enclave", "web", 0);
	assert_int_equal(e.d.mismatch, FK_DH_MISMATCH_MRENCLAVE);
	assert_string_equal(e.d.detail, "container \"web\": containers.\"web\"[0] (closest of 2 "
					"rules): MRENCLAVE a9a9a9a9a9a9a9a9... is not in the "
					"allow-list (2)");
	/* DEBUG: refused by rule 0, which does not allow it. */
	body(&b, 0xa1, 0x99, 0, 0, true);
	e = refused_by(p, "web", &b, NULL, "debug", "web", 0);
	assert_non_null(strstr(e.d.detail, "a DEBUG enclave, and the rule does not allow_debug"));
	/* Rule 1 allows DEBUG and wants the launch digest. */
	body(&b, 0xa3, 0x99, 0, 0, true);
	allowed(p, "web", &b, ld, "web", 1, 0);
	body(&b, 0xa3, 0x99, 0, 0, false);
	allowed(p, "web", &b, ld, "web", 1, 0);
	e = refused_by(p, "web", &b, NULL, "launch_digest_missing", "web", 1);
	assert_int_equal(e.d.mismatch, FK_DH_MISMATCH_NONE);
	assert_non_null(strstr(e.d.detail, "requires a launch digest and none was sent"));
	ld[31] ^= 1;
	e = refused_by(p, "web", &b, ld, "launch_digest", "web", 1);
	assert_non_null(strstr(e.d.detail, "the launch digest differs from the rule's"));
	/* A digest sent to a rule without one is simply not needed. */
	body(&b, 0xa1, 0x99, 0, 0, false);
	allowed(p, "web", &b, ld, "web", 0, 0);
	/* Not INITTED: not an enclave a verified report can describe. */
	fk_put_le64(b.attributes.flags, FK_SGX_FLAGS_MODE64BIT);
	e = refused_by(p, "web", &b, NULL, "attributes", "web", 0);
	assert_non_null(strstr(e.d.detail, "not an initialised enclave"));
	fk_policy_free(p);
}

static void test_eval_exact_wins(void **state)
{
	struct fk_policy *p = load(full_policy);
	struct fk_sgx_report_body b;
	struct eval e;

	(void)state;
	/* The "*" rule would allow this enclave, but "web" has its own entry. */
	body(&b, 0xb0, 0x55, 2, 5, false);
	allowed(p, "api", &b, NULL, "*", 0, 0);
	refused_by(p, "web", &b, NULL, "mr_enclave", "web", 0);
	/* An empty entry refuses its container outright. */
	e = refused_by(p, "deny", &b, NULL, "no_rule", "deny", -1);
	assert_string_equal(e.d.detail,
			    "container \"deny\": containers.\"deny\" is an empty rule list (refused)");
	/* "*" as a requested id is not a container: never the "*" entry by name. */
	e = refused_by(p, "*", &b, NULL, "container_id", "", -1);
	refused_by(p, "../web", &b, NULL, "container_id", "", -1);
	refused_by(p, "", &b, NULL, "container_id", "", -1);
	fk_policy_free(p);

	/* Without "*", other containers have no rule. */
	p = load("{\"version\": 1, \"containers\": {\"web\": [{\"mr_enclave\": [\"" MRE_A1 "\"]}]}}");
	body(&b, 0xa1, 0x55, 2, 5, false);
	allowed(p, "web", &b, NULL, "web", 0, 0);
	e = refused_by(p, "web2", &b, NULL, "no_rule", "", -1);
	assert_string_equal(e.d.detail,
			    "container \"web2\": no rule (no entry for it and no \"*\")");
	fk_policy_free(p);
}

static void test_eval_signer_rule(void **state)
{
	struct fk_policy *p = load(full_policy);
	struct fk_sgx_report_body b;
	struct eval e;

	(void)state;
	/* min_isv_svn 3: below, equal, above. */
	body(&b, 0xb0, 0x55, 2, 2, false);
	e = refused_by(p, "api", &b, NULL, "isv_svn", "*", 0);
	assert_int_equal(e.d.mismatch, FK_DH_MISMATCH_ISVSVN);
	assert_string_equal(e.d.detail, "container \"api\": containers.\"*\"[0]: ISVSVN 2 is below "
					"the rule's minimum 3");
	body(&b, 0xb0, 0x55, 2, 3, false);
	allowed(p, "api", &b, NULL, "*", 0, 0);
	body(&b, 0xb0, 0x55, 2, 65535, false);
	allowed(p, "api", &b, NULL, "*", 0, 0);
	/* Another product, another signer, DEBUG. */
	body(&b, 0xb0, 0x55, 3, 3, false);
	e = refused_by(p, "api", &b, NULL, "isv_prod_id", "*", 0);
	assert_non_null(strstr(e.d.detail, "ISVPRODID 3, the rule wants 2"));
	body(&b, 0xb0, 0x77, 2, 3, false);
	e = refused_by(p, "api", &b, NULL, "mr_signer", "*", 0);
	assert_non_null(strstr(e.d.detail, "MRSIGNER 7777777777777777... is not the rule's "
					   "5555555555555555..."));
	body(&b, 0xb0, 0x55, 2, 3, true);
	refused_by(p, "api", &b, NULL, "debug", "*", 0);
	fk_policy_free(p);

	/* allow_debug on a signer rule. */
	p = load("{\"version\": 1, \"containers\": {\"*\": [{\"mr_signer\": \"" MRS_S
		 "\", \"isv_prod_id\": 2, \"min_isv_svn\": 0, \"allow_debug\": true}]}}");
	body(&b, 0xb0, 0x55, 2, 0, true);
	allowed(p, "api", &b, NULL, "*", 0, 0);
	fk_policy_free(p);
}

static void test_eval_kss(void **state)
{
	struct fk_policy *p = load(full_policy);
	struct fk_sgx_report_body b, ok;

	(void)state;
	body(&ok, 0xb0, 0x55, 7, 3, false);
	memset(ok.isv_family_id, 0xf1, sizeof(ok.isv_family_id));
	memset(ok.isv_ext_prod_id, 0xe1, sizeof(ok.isv_ext_prod_id));
	memset(ok.config_id, 0xc1, sizeof(ok.config_id));
	fk_put_le16(ok.config_svn, 5);
	allowed(p, "kss", &ok, NULL, "kss", 0, 0);
	b = ok;
	fk_put_le16(b.config_svn, 6);
	allowed(p, "kss", &b, NULL, "kss", 0, 0);
	b = ok;
	b.isv_family_id[0] ^= 1;
	refused_by(p, "kss", &b, NULL, "isv_family_id", "kss", 0);
	b = ok;
	b.isv_ext_prod_id[15] ^= 1;
	refused_by(p, "kss", &b, NULL, "isv_ext_prod_id", "kss", 0);
	b = ok;
	b.config_id[63] ^= 1;
	refused_by(p, "kss", &b, NULL, "config_id", "kss", 0);
	b = ok;
	fk_put_le16(b.config_svn, 4);
	struct eval e = refused_by(p, "kss", &b, NULL, "config_svn", "kss", 0);
	assert_non_null(strstr(e.d.detail, "CONFIGSVN 4 is below the rule's minimum 5"));
	fk_policy_free(p);
}

/* The closest rule is the one whose failing check comes latest; ties go to the first. */
static void test_eval_closest(void **state)
{
	struct fk_policy *p = load("{\"version\": 1, \"containers\": {\"*\": [\n"
				   " {\"mr_signer\": \"" MRS_T "\", \"isv_prod_id\": 2, "
				   "\"min_isv_svn\": 0},\n"
				   " {\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 2, "
				   "\"min_isv_svn\": 9},\n"
				   " {\"mr_signer\": \"" MRS_S "\", \"isv_prod_id\": 4, "
				   "\"min_isv_svn\": 0},\n"
				   " {\"mr_enclave\": [\"" MRE_A1 "\"], \"launch_digest\": \"" LD
				   "\"}]}}");
	struct fk_sgx_report_body b;
	uint8_t ld[32];
	struct eval e;

	(void)state;
	memset(ld, 0x1d, 32);
	body(&b, 0xb0, 0x55, 2, 1, false);
	e = refused_by(p, "x", &b, NULL, "isv_svn", "*", 1);
	assert_non_null(strstr(e.d.detail, "containers.\"*\"[1] (closest of 4 rules)"));
	body(&b, 0xb0, 0x55, 3, 1, false);
	refused_by(p, "x", &b, NULL, "isv_prod_id", "*", 1); /* rules 1 and 2 tie: the first */
	body(&b, 0xb0, 0x99, 3, 1, false);
	refused_by(p, "x", &b, NULL, "mr_signer", "*", 0); /* rule 3 fails earlier (MRENCLAVE) */
	body(&b, 0xa1, 0x55, 2, 1, false);
	refused_by(p, "x", &b, NULL, "launch_digest_missing", "*", 3);
	allowed(p, "x", &b, ld, "*", 3, 0);
	body(&b, 0xb0, 0x55, 4, 1, false);
	allowed(p, "x", &b, NULL, "*", 2, 0); /* the first rule that allows */
	fk_policy_free(p);
}

static void test_eval_arguments(void **state)
{
	struct fk_policy *p = load(full_policy);
	struct fk_policy_decision d;
	struct fk_sgx_report_body b;

	(void)state;
	body(&b, 0xa1, 0x55, 2, 5, false);
	memset(&d, 0x5A, sizeof(d));
	EXPECT_STATUS(fk_policy_evaluate(NULL, "web", &b, NULL, &d), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_false(d.allowed);
	assert_string_equal(d.reason, FK_POLICY_REASON_INVALID);
	EXPECT_STATUS(fk_policy_evaluate(p, NULL, &b, NULL, &d), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_false(d.allowed);
	EXPECT_STATUS(fk_policy_evaluate(p, "web", NULL, NULL, &d), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_false(d.allowed);
	EXPECT_STATUS(fk_policy_evaluate(p, "web", &b, NULL, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	fk_policy_free(NULL);
	fk_policy_free(p);
}

/* The expectation comes only from a genuine allowed decision of this policy. */
static void test_decision_expect(void **state)
{
	struct fk_policy *p = load(full_policy), *q = load(full_policy);
	struct fk_sgx_report_body b;
	struct fk_policy_decision d, t;
	struct fk_dh_expect x;

	(void)state;
	body(&b, 0xa2, 0x99, 0, 0, false);
	EXPECT_OK(fk_policy_evaluate(p, "web", &b, NULL, &d));
	assert_true(fk_policy_decision_expect(p, &d, &x));
	assert_int_equal(x.fields, FK_DH_EXPECT_MRENCLAVE);
	assert_memory_equal(x.mr_enclave, b.mr_enclave, 32);
	/* Another policy with the same layout gives the same (the indices are its own). */
	assert_true(fk_policy_decision_expect(q, &d, &x));
	t = d;
	t.allowed = false;
	assert_false(fk_policy_decision_expect(p, &t, &x));
	t = d;
	t.mr_enclave_index = 2;
	assert_false(fk_policy_decision_expect(p, &t, &x));
	t = d;
	t.rule = 2;
	assert_false(fk_policy_decision_expect(p, &t, &x));
	t = d;
	t.entry_index = 4;
	assert_false(fk_policy_decision_expect(p, &t, &x));
	t = d;
	snprintf(t.entry, sizeof(t.entry), "kss");
	assert_false(fk_policy_decision_expect(p, &t, &x));
	t = d;
	t.have_rule = false;
	assert_false(fk_policy_decision_expect(p, &t, &x));
	assert_false(fk_policy_decision_expect(NULL, &d, &x));
	assert_false(fk_policy_decision_expect(p, NULL, &x));
	assert_false(fk_policy_decision_expect(p, &d, NULL));
	/* A signer rule's expectation: what the session's own check will apply. */
	body(&b, 0xb0, 0x55, 2, 3, false);
	EXPECT_OK(fk_policy_evaluate(p, "api", &b, NULL, &d));
	assert_true(fk_policy_decision_expect(p, &d, &x));
	assert_int_equal(x.fields, FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID);
	assert_int_equal(x.min_isv_svn, 3);
	fk_put_le16(b.isv_svn, 2);
	assert_int_equal(fk_dh_identity_check(&b, &x), FK_DH_MISMATCH_ISVSVN);
	fk_policy_free(p);
	fk_policy_free(q);
}

/* ---- loading from a file ---- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void test_load_file(void **state)
{
	char dir[256], path[320], link[320], msg[800];
	struct fk_policy *p = NULL;
	struct fk_policy_error err;

	(void)state;
	th_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);

	EXPECT_STATUS(fk_policy_load_file(path, &p, &err), FUSEKEY_ERR_NOT_FOUND);
	assert_null(p);
	snprintf(msg, sizeof(msg), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err.message, msg);
	assert_int_equal(err.line, 0);

	write_file(path, full_policy, 0644);
	EXPECT_OK(fk_policy_load_file(path, &p, &err));
	assert_int_equal(fk_policy_entry_count(p), 4);
	fk_policy_free(p);
	p = NULL;
	/* A symlink is followed (ConfigMap mounts). */
	assert_int_equal(symlink("policy.json", link), 0);
	EXPECT_OK(fk_policy_load_file(link, &p, &err));
	fk_policy_free(p);
	p = NULL;

	/* Errors carry the path as given. */
	write_file(path, "{\"version\": 1,\n\"containers\": 5}", 0644);
	EXPECT_STATUS(fk_policy_load_file(path, &p, &err), FUSEKEY_ERR_FORMAT);
	snprintf(msg, sizeof(msg), "%s:2: containers: not an object (container id -> rules)",
		 path);
	assert_string_equal(err.message, msg);
	assert_string_equal(err.path, "containers");
	assert_string_equal(err.reason, "not an object (container id -> rules)");

	write_file(path, full_policy, 0646);
	EXPECT_STATUS(fk_policy_load_file(path, &p, &err), FUSEKEY_ERR_PERMISSION);
	assert_non_null(strstr(err.message, "writable by others"));
	assert_null(p);

	EXPECT_STATUS(fk_policy_load_file(dir, &p, &err), FUSEKEY_ERR_FORMAT);
	snprintf(msg, sizeof(msg), "%s: not a regular file", dir);
	assert_string_equal(err.message, msg);

	/* A FIFO is refused, not waited on. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	EXPECT_STATUS(fk_policy_load_file(path, &p, &err), FUSEKEY_ERR_FORMAT);
	assert_int_equal(unlink(path), 0);

	/* Over the bound on disk. */
	char *big = malloc(FK_POLICY_MAX_FILE + 2);
	assert_non_null(big);
	memset(big, ' ', FK_POLICY_MAX_FILE + 1);
	big[FK_POLICY_MAX_FILE + 1] = '\0';
	write_file(path, big, 0644);
	free(big);
	EXPECT_STATUS(fk_policy_load_file(path, &p, &err), FUSEKEY_ERR_FORMAT);
	snprintf(msg, sizeof(msg), "%s: larger than 1048576 bytes", path);
	assert_string_equal(err.message, msg);

	/* err may be NULL. */
	EXPECT_STATUS(fk_policy_load_file(path, &p, NULL), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(fk_policy_load_file(path, NULL, &err), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(th_rmtree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_syntax),
		cmocka_unit_test(test_load_top_level),
		cmocka_unit_test(test_load_containers),
		cmocka_unit_test(test_load_rule_fields),
		cmocka_unit_test(test_load_rule_forms),
		cmocka_unit_test(test_bound_mrenclaves),
		cmocka_unit_test(test_bound_rules),
		cmocka_unit_test(test_bound_containers),
		cmocka_unit_test(test_loaded_rules),
		cmocka_unit_test(test_eval_allow_list),
		cmocka_unit_test(test_eval_exact_wins),
		cmocka_unit_test(test_eval_signer_rule),
		cmocka_unit_test(test_eval_kss),
		cmocka_unit_test(test_eval_closest),
		cmocka_unit_test(test_eval_arguments),
		cmocka_unit_test(test_decision_expect),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
