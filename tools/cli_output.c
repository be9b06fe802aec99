/* SPDX-License-Identifier: Apache-2.0 */
/* CLI output helpers: names of flags and policies, identities as text and JSON. */
#include <string.h>
#include <strings.h>

#include "cli_common.h"

/* ---- names ---- */

static void append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s", used > 0 ? "|" : "", s);
}

struct bit_name {
	uint64_t bit;
	const char *name;
};

static void names(uint64_t v, const struct bit_name *t, size_t n, char *buf, size_t len)
{
	uint64_t rest = v;
	buf[0] = '\0';
	if (v == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (v & t[i].bit) {
			append(buf, len, t[i].name);
			rest &= ~t[i].bit;
		}
	}
	if (rest != 0) {
		char other[32];
		snprintf(other, sizeof(other), "0x%llx", (unsigned long long)rest);
		append(buf, len, other);
	}
}

void cli_attr_names(uint64_t flags, char *buf, size_t len)
{
	static const struct bit_name t[] = {
		{FK_SGX_FLAGS_INITTED, "INITTED"},
		{FK_SGX_FLAGS_DEBUG, "DEBUG"},
		{FK_SGX_FLAGS_MODE64BIT, "MODE64BIT"},
		{FK_SGX_FLAGS_PROVISION_KEY, "PROVISION_KEY"},
		{FK_SGX_FLAGS_EINITTOKEN_KEY, "EINITTOKEN_KEY"},
		{FK_SGX_FLAGS_KSS, "KSS"},
		{FK_SGX_FLAGS_AEX_NOTIFY, "AEX_NOTIFY"},
	};
	names(flags, t, sizeof(t) / sizeof(t[0]), buf, len);
}

void cli_policy_names(uint16_t policy, char *buf, size_t len)
{
	static const struct bit_name t[] = {
		{FK_SGX_KEYPOLICY_MRENCLAVE, "MRENCLAVE"},
		{FK_SGX_KEYPOLICY_MRSIGNER, "MRSIGNER"},
		{FK_SGX_KEYPOLICY_NOISVPRODID, "NOISVPRODID"},
		{FK_SGX_KEYPOLICY_CONFIGID, "CONFIGID"},
		{FK_SGX_KEYPOLICY_ISVFAMILYID, "ISVFAMILYID"},
		{FK_SGX_KEYPOLICY_ISVEXTPRODID, "ISVEXTPRODID"},
	};
	names(policy, t, sizeof(t) / sizeof(t[0]), buf, len);
}

bool cli_parse_policy(const char *s, uint16_t *out, char *bad, size_t bad_len)
{
	static const struct {
		const char *word;
		uint16_t bits;
	} words[] = {
		{"mrsigner", FK_SGX_KEYPOLICY_MRSIGNER},
		{"mrenclave", FK_SGX_KEYPOLICY_MRENCLAVE},
		{"noisvprodid", FK_SGX_KEYPOLICY_NOISVPRODID},
		{"configid", FK_SGX_KEYPOLICY_CONFIGID},
		{"familyid", FK_SGX_KEYPOLICY_ISVFAMILYID},
		{"isvfamilyid", FK_SGX_KEYPOLICY_ISVFAMILYID},
		{"extprodid", FK_SGX_KEYPOLICY_ISVEXTPRODID},
		{"isvextprodid", FK_SGX_KEYPOLICY_ISVEXTPRODID},
		{"kss", FK_SGX_KEYPOLICY_KSS},
	};
	uint16_t policy = 0;
	const char *p = s;

	if (bad_len > 0)
		bad[0] = '\0';
	if (strlen(s) > 256) {
		snprintf(bad, bad_len, "%.32s...", s);
		return false;
	}
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		bool found = false;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			if (strlen(words[i].word) == n && strncasecmp(words[i].word, p, n) == 0) {
				policy |= words[i].bits;
				found = true;
			}
		}
		if (!found) {
			snprintf(bad, bad_len, "%.*s", (int)(n > 64 ? 64 : n), p);
			return false;
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = policy;
	return true;
}

const char *cli_key_name(uint16_t key_name)
{
	switch (key_name) {
	case FK_SGX_KEYNAME_EINITTOKEN:
		return "EINITTOKEN";
	case FK_SGX_KEYNAME_PROVISION:
		return "PROVISION";
	case FK_SGX_KEYNAME_PROVISION_SEAL:
		return "PROVISION_SEAL";
	case FK_SGX_KEYNAME_REPORT:
		return "REPORT";
	case FK_SGX_KEYNAME_SEAL:
		return "SEAL";
	default:
		return "unknown";
	}
}

bool cli_cpusvn_is_sim(const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE], enum fk_sim_cpusvn *which)
{
	static const enum fk_sim_cpusvn all[] = {FK_SIM_CPUSVN_DEFAULT, FK_SIM_CPUSVN_UPGRADED,
						 FK_SIM_CPUSVN_DOWNGRADED};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		/* Public values: plain memcmp is fine. */
		if (memcmp(cpu_svn, fk_sim_cpusvn_values[all[i]], FK_SGX_CPUSVN_SIZE) == 0) {
			if (which != NULL)
				*which = all[i];
			return true;
		}
	}
	return false;
}

/* ---- output of identities and fields ---- */

void cli_print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

void cli_attr_names_u64(uint64_t flags, char *buf, size_t len)
{
	cli_attr_names(flags, buf, len);
}

void cli_policy_names_u64(uint64_t policy, char *buf, size_t len)
{
	cli_policy_names((uint16_t)policy, buf, len);
}

void cli_identity_print(FILE *f, const char *indent, const struct fk_sgx_identity *id)
{
	char names_buf[160];

	cli_attr_names(id->flags, names_buf, sizeof(names_buf));
	fprintf(f, "%smr_enclave: ", indent);
	cli_print_hex(f, id->mr_enclave, sizeof(id->mr_enclave));
	fprintf(f, "\n%smr_signer: ", indent);
	cli_print_hex(f, id->mr_signer, sizeof(id->mr_signer));
	fprintf(f, "\n%sisv_prod_id: %u\n", indent, (unsigned)id->isv_prod_id);
	fprintf(f, "%sisv_svn: %u\n", indent, (unsigned)id->isv_svn);
	fprintf(f, "%sattributes.flags: 0x%016llx (%s)\n", indent, (unsigned long long)id->flags,
		names_buf);
	fprintf(f, "%sattributes.xfrm: 0x%016llx\n", indent, (unsigned long long)id->xfrm);
	fprintf(f, "%smisc_select: 0x%08lx\n", indent, (unsigned long)id->misc_select);
	fprintf(f, "%scet_attributes: 0x%02x\n", indent, (unsigned)id->cet_attributes);
	fprintf(f, "%sisv_family_id: ", indent);
	cli_print_hex(f, id->isv_family_id, sizeof(id->isv_family_id));
	fprintf(f, "\n%sisv_ext_prod_id: ", indent);
	cli_print_hex(f, id->isv_ext_prod_id, sizeof(id->isv_ext_prod_id));
	fprintf(f, "\n%sconfig_id: ", indent);
	cli_print_hex(f, id->config_id, sizeof(id->config_id));
	fprintf(f, "\n%sconfig_svn: %u\n", indent, (unsigned)id->config_svn);
}

json_t *cli_json_hex(const uint8_t *p, size_t n)
{
	char buf[2 * 512 + 1];
	if (n > 512)
		return NULL;
	cli_hex(p, n, buf);
	return json_string(buf);
}

json_t *cli_json_u64hex(uint64_t v, int width)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%0*llx", width, (unsigned long long)v);
	return json_string(buf);
}

json_t *cli_json_names(uint64_t v, void (*fn)(uint64_t, char *, size_t))
{
	char buf[160];
	json_t *arr = json_array();
	char *save = NULL;

	if (arr == NULL)
		return NULL;
	fn(v, buf, sizeof(buf));
	if (v == 0)
		return arr; /* "none" is an empty list */
	for (char *tok = strtok_r(buf, "|", &save); tok != NULL; tok = strtok_r(NULL, "|", &save))
		json_array_append_new(arr, json_string(tok));
	return arr;
}

json_t *cli_identity_json(const struct fk_sgx_identity *id)
{
	json_t *o = json_object();
	json_t *attr = json_object();

	if (o == NULL || attr == NULL) {
		json_decref(o);
		json_decref(attr);
		return NULL;
	}
	json_object_set_new(o, "mr_enclave", cli_json_hex(id->mr_enclave, sizeof(id->mr_enclave)));
	json_object_set_new(o, "mr_signer", cli_json_hex(id->mr_signer, sizeof(id->mr_signer)));
	json_object_set_new(o, "isv_prod_id", json_integer(id->isv_prod_id));
	json_object_set_new(o, "isv_svn", json_integer(id->isv_svn));
	json_object_set_new(attr, "flags", cli_json_u64hex(id->flags, 16));
	json_object_set_new(attr, "flag_names", cli_json_names(id->flags, cli_attr_names_u64));
	json_object_set_new(attr, "xfrm", cli_json_u64hex(id->xfrm, 16));
	json_object_set_new(o, "attributes", attr);
	json_object_set_new(o, "debug", json_boolean(id->flags & FK_SGX_FLAGS_DEBUG));
	json_object_set_new(o, "kss", json_boolean(id->flags & FK_SGX_FLAGS_KSS));
	json_object_set_new(o, "misc_select", cli_json_u64hex(id->misc_select, 8));
	json_object_set_new(o, "cet_attributes", json_integer(id->cet_attributes));
	json_object_set_new(o, "isv_family_id",
			    cli_json_hex(id->isv_family_id, sizeof(id->isv_family_id)));
	json_object_set_new(o, "isv_ext_prod_id",
			    cli_json_hex(id->isv_ext_prod_id, sizeof(id->isv_ext_prod_id)));
	json_object_set_new(o, "config_id", cli_json_hex(id->config_id, sizeof(id->config_id)));
	json_object_set_new(o, "config_svn", json_integer(id->config_svn));
	return o;
}

int cli_json_print(json_t *obj)
{
	int rc = CLI_EXIT_OK;

	if (obj == NULL) {
		cli_err("building the JSON output failed (out of memory)");
		return CLI_EXIT_INTERNAL;
	}
	if (json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		cli_err("writing the JSON output failed");
		rc = CLI_EXIT_IO;
	}
	json_decref(obj);
	return rc;
}
