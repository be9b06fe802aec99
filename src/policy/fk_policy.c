/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The release policy: strict loading with line numbers, fail-closed
 * evaluation (format and rules in fk_policy.h and docs/policy.md).
 *
 * jansson parses (syntax, UTF-8, duplicate keys) but keeps no positions, so a
 * semantic error is located afterwards: the validator tracks the path of what
 * it checks as member / element indices, and a small scanner walks the text
 * along that path counting newlines. jansson keeps object members in the
 * order of the text (since 2.8), so the n-th member it iterates is the n-th
 * the scanner meets; only indices are compared, never decoded strings.
 */
#include "policy/fk_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "crypto/fk_crypto.h"
#include "util/fk_file.h"
#include "util/fk_hex.h"

/* ---- the loaded policy ---- */

struct rule_int {
	struct fk_policy_rule pub;
	uint8_t (*mre)[FK_SGX_HASH_SIZE]; /* owns pub.mr_enclave */
};

struct entry {
	char id[FUSEKEY_CONTAINER_ID_MAX + 1];
	size_t nrules;
	struct rule_int *rules;
};

struct fk_policy {
	size_t nentries;
	struct entry *entries;   /* file order */
	struct entry **sorted;   /* by id, for lookup */
	size_t nrules;
};

/* ---- error paths and positions ---- */

enum { MAX_DEPTH = 8, KEY_SHOW_MAX = 64 };

struct comp {
	bool is_key;     /* object member (index = member index) or array element */
	bool quote;      /* show the key quoted (container ids) */
	size_t index;
	const char *key; /* is_key only */
};

struct ctx {
	const uint8_t *text;
	size_t len;
	const char *name;
	struct comp path[MAX_DEPTH];
	size_t depth;
	struct fk_policy_error *err;
	struct fk_policy *p;
	bool oom; /* the refusal is an allocation failure, not the file's fault */
};

/* Append to buf (NUL-terminated, truncating). */
static void appendf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
	size_t used = strnlen(buf, cap);
	va_list ap;

	if (used + 1 >= cap)
		return;
	va_start(ap, fmt);
	if (vsnprintf(buf + used, cap - used, fmt, ap) < 0)
		buf[used] = '\0';
	va_end(ap);
}

/* A key as people should see it: plain if a simple name, else quoted and escaped. */
static void show_key(char *buf, size_t cap, const char *k, bool quote)
{
	size_t n = strlen(k);
	bool plain = !quote && n > 0 && n <= KEY_SHOW_MAX;

	for (size_t i = 0; plain && i < n; i++) {
		char c = k[i];
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_';
	}
	if (plain) {
		appendf(buf, cap, "%s", k);
		return;
	}
	appendf(buf, cap, "\"");
	for (size_t i = 0; i < n && i < FUSEKEY_CONTAINER_ID_MAX; i++) {
		unsigned char c = (unsigned char)k[i];
		if (c == '"' || c == '\\')
			appendf(buf, cap, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			appendf(buf, cap, "\\x%02x", c);
		else
			appendf(buf, cap, "%c", c);
	}
	appendf(buf, cap, "%s\"", n > FUSEKEY_CONTAINER_ID_MAX ? "..." : "");
}

static void path_string(const struct comp *path, size_t depth, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < depth; i++) {
		if (path[i].is_key) {
			if (i > 0)
				appendf(buf, cap, ".");
			show_key(buf, cap, path[i].key, path[i].quote);
		} else {
			appendf(buf, cap, "[%zu]", path[i].index);
		}
	}
}

struct scan {
	const uint8_t *t;
	size_t n, i;
	unsigned line;
};

static void scan_ws(struct scan *s)
{
	for (; s->i < s->n; s->i++) {
		uint8_t c = s->t[s->i];
		if (c == '\n')
			s->line++;
		else if (c != ' ' && c != '\t' && c != '\r')
			break;
	}
}

/* At '"': past the closing quote. */
static bool scan_string(struct scan *s)
{
	for (s->i++; s->i < s->n;) {
		uint8_t c = s->t[s->i++];
		if (c == '\\')
			s->i++; /* jansson refused raw newlines in strings: never one here */
		else if (c == '"')
			return true;
	}
	return false;
}

static bool scan_value(struct scan *s)
{
	scan_ws(s);
	if (s->i >= s->n)
		return false;
	if (s->t[s->i] == '"')
		return scan_string(s);
	if (s->t[s->i] == '{' || s->t[s->i] == '[') {
		size_t depth = 0;
		while (s->i < s->n) {
			uint8_t c = s->t[s->i];
			if (c == '"') {
				if (!scan_string(s))
					return false;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']')
				depth--;
			else if (c == '\n')
				s->line++;
			s->i++;
			if (depth == 0)
				return true;
		}
		return false;
	}
	while (s->i < s->n && strchr(",}] \t\r\n", s->t[s->i]) == NULL)
		s->i++;
	return true;
}

/*
 * Line of the value at path (or of the last component's key when at_key).
 * The text is what jansson accepted; should the walk still go astray, the
 * line of the deepest value reached is the answer.
 */
static unsigned locate(const uint8_t *text, size_t len, const struct comp *path, size_t depth,
		       bool at_key)
{
	struct scan s = {text, len, 0, 1};
	unsigned line;

	scan_ws(&s);
	line = s.line;
	for (size_t k = 0; k < depth; k++) {
		const struct comp *c = &path[k];
		if (s.i >= s.n || s.t[s.i] != (c->is_key ? '{' : '['))
			return line;
		s.i++;
		for (size_t m = 0;; m++) {
			unsigned key_line;
			scan_ws(&s);
			if (c->is_key) {
				if (s.i >= s.n || s.t[s.i] != '"')
					return line;
				key_line = s.line;
				if (!scan_string(&s))
					return line;
				scan_ws(&s);
				if (s.i >= s.n || s.t[s.i] != ':')
					return line;
				s.i++;
				scan_ws(&s);
				if (m == c->index) {
					if (at_key && k + 1 == depth)
						return key_line;
					break;
				}
			} else if (m == c->index) {
				break;
			}
			if (!scan_value(&s))
				return line;
			scan_ws(&s);
			if (s.i >= s.n || s.t[s.i] != ',')
				return line;
			s.i++;
		}
		line = s.line;
	}
	return line;
}

static void set_message(struct fk_policy_error *e, const char *name)
{
	e->message[0] = '\0';
	appendf(e->message, sizeof(e->message), "%s", name);
	if (e->line > 0)
		appendf(e->message, sizeof(e->message), ":%u", e->line);
	appendf(e->message, sizeof(e->message), ": ");
	if (e->path[0] != '\0')
		appendf(e->message, sizeof(e->message), "%s: ", e->path);
	appendf(e->message, sizeof(e->message), "%s", e->reason);
}

/* An error without a path (file-level or syntax). */
static void file_error(struct fk_policy_error *e, const char *name, unsigned line, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));
static void file_error(struct fk_policy_error *e, const char *name, unsigned line, const char *fmt,
		       ...)
{
	va_list ap;

	if (e == NULL)
		return;
	memset(e, 0, sizeof(*e));
	e->line = line;
	va_start(ap, fmt);
	if (vsnprintf(e->reason, sizeof(e->reason), fmt, ap) < 0)
		e->reason[0] = '\0';
	va_end(ap);
	set_message(e, name);
}

/* Refuse at the current path; the line of its key (at_key) or value. Returns false. */
static bool fail(struct ctx *c, bool at_key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(struct ctx *c, bool at_key, const char *fmt, ...)
{
	struct fk_policy_error *e = c->err;
	va_list ap;

	if (e == NULL)
		return false;
	memset(e, 0, sizeof(*e));
	e->line = locate(c->text, c->len, c->path, c->depth, at_key);
	path_string(c->path, c->depth, e->path, sizeof(e->path));
	if (e->path[0] == '\0')
		snprintf(e->path, sizeof(e->path), "top level");
	va_start(ap, fmt);
	if (vsnprintf(e->reason, sizeof(e->reason), fmt, ap) < 0)
		e->reason[0] = '\0';
	va_end(ap);
	set_message(e, c->name);
	return false;
}

static void push_key(struct ctx *c, size_t index, const char *key, bool quote)
{
	c->path[c->depth++] = (struct comp){true, quote, index, key};
}

static void push_elem(struct ctx *c, size_t index)
{
	c->path[c->depth++] = (struct comp){false, false, index, NULL};
}

static void pop(struct ctx *c)
{
	c->depth--;
}

/* ---- values ---- */

/* Exactly 2n hex digits (either case) into n bytes. */
static bool hex_exact(const json_t *v, uint8_t *out, size_t n)
{
	const char *s;

	if (!json_is_string(v) || json_string_length(v) != 2 * n)
		return false;
	s = json_string_value(v);
	return fk_hex_decode(s, out, n, FK_HEX_ANY_CASE);
}

static bool get_hex(struct ctx *c, const json_t *v, uint8_t *out, size_t n)
{
	if (hex_exact(v, out, n))
		return true;
	return fail(c, false, "%s %zu hex digits", json_is_string(v) ? "not" : "not a string of",
		    2 * n);
}

static bool get_u16(struct ctx *c, const json_t *v, uint16_t *out)
{
	json_int_t x;

	if (!json_is_integer(v))
		return fail(c, false, "not an integer");
	x = json_integer_value(v);
	if (x < 0 || x > 0xFFFF)
		return fail(c, false, "%lld out of range 0..65535", (long long)x);
	*out = (uint16_t)x;
	return true;
}

/* ---- rules ---- */

enum rule_key {
	RK_MR_ENCLAVE,
	RK_MR_SIGNER,
	RK_ISV_PROD_ID,
	RK_MIN_ISV_SVN,
	RK_ALLOW_DEBUG,
	RK_ISV_FAMILY_ID,
	RK_ISV_EXT_PROD_ID,
	RK_CONFIG_ID,
	RK_MIN_CONFIG_SVN,
	RK_LAUNCH_DIGEST,
	RK__COUNT
};

static const char *const rule_keys[RK__COUNT] = {
	[RK_MR_ENCLAVE] = "mr_enclave",	    [RK_MR_SIGNER] = "mr_signer",
	[RK_ISV_PROD_ID] = "isv_prod_id",	    [RK_MIN_ISV_SVN] = "min_isv_svn",
	[RK_ALLOW_DEBUG] = "allow_debug",	    [RK_ISV_FAMILY_ID] = "isv_family_id",
	[RK_ISV_EXT_PROD_ID] = "isv_ext_prod_id", [RK_CONFIG_ID] = "config_id",
	[RK_MIN_CONFIG_SVN] = "min_config_svn",   [RK_LAUNCH_DIGEST] = "launch_digest",
};

static bool parse_allow_list(struct ctx *c, const json_t *v, struct rule_int *r)
{
	size_t i;
	const json_t *h;

	if (!json_is_array(v))
		return fail(c, false, "not an array of 64-hex-digit strings");
	if (json_array_size(v) == 0)
		return fail(c, false, "empty allow-list (name at least one MRENCLAVE)");
	if (json_array_size(v) > FK_POLICY_MAX_MRENCLAVES) {
		push_elem(c, FK_POLICY_MAX_MRENCLAVES);
		return fail(c, false, "more than %u MRENCLAVEs in one rule",
			    FK_POLICY_MAX_MRENCLAVES);
	}
	r->mre = calloc(json_array_size(v), sizeof(*r->mre));
	if (r->mre == NULL) {
		c->oom = true;
		return fail(c, false, "out of memory");
	}
	r->pub.mr_enclave = (const uint8_t(*)[FK_SGX_HASH_SIZE])r->mre;
	json_array_foreach(v, i, h) {
		push_elem(c, i);
		if (!get_hex(c, h, r->mre[i], FK_SGX_HASH_SIZE))
			return false;
		pop(c);
	}
	r->pub.n_mr_enclave = json_array_size(v);
	r->pub.by_mr_enclave = true;
	return true;
}

static bool parse_rule(struct ctx *c, const json_t *obj, struct rule_int *r)
{
	struct fk_dh_expect *e = &r->pub.expect;
	bool seen[RK__COUNT] = {false};
	size_t idx = 0;
	const char *key;
	const json_t *v;

	if (!json_is_object(obj))
		return fail(c, false, "not an object (a rule)");
	/* A verified report always has INITTED; anything else is not an enclave we know. */
	e->attr_flags_mask = FK_SGX_FLAGS_INITTED;
	e->attr_flags_value = FK_SGX_FLAGS_INITTED;
	json_object_foreach((json_t *)obj, key, v) {
		size_t k;
		bool ok = true;

		for (k = 0; k < RK__COUNT && strcmp(key, rule_keys[k]) != 0; k++)
			;
		push_key(c, idx++, key, false);
		switch (k) {
		case RK_MR_ENCLAVE:
			ok = parse_allow_list(c, v, r);
			break;
		case RK_MR_SIGNER:
			ok = get_hex(c, v, e->mr_signer, sizeof(e->mr_signer));
			e->fields |= FK_DH_EXPECT_MRSIGNER;
			break;
		case RK_ISV_PROD_ID:
			ok = get_u16(c, v, &e->isv_prod_id);
			e->fields |= FK_DH_EXPECT_ISVPRODID;
			break;
		case RK_MIN_ISV_SVN:
			ok = get_u16(c, v, &e->min_isv_svn);
			break;
		case RK_ALLOW_DEBUG:
			ok = json_is_boolean(v) ? true : fail(c, false, "not true or false");
			e->allow_debug = json_is_true(v);
			break;
		case RK_ISV_FAMILY_ID:
			ok = get_hex(c, v, e->isv_family_id, sizeof(e->isv_family_id));
			e->fields |= FK_DH_EXPECT_ISVFAMILYID;
			break;
		case RK_ISV_EXT_PROD_ID:
			ok = get_hex(c, v, e->isv_ext_prod_id, sizeof(e->isv_ext_prod_id));
			e->fields |= FK_DH_EXPECT_ISVEXTPRODID;
			break;
		case RK_CONFIG_ID:
			ok = get_hex(c, v, e->config_id, sizeof(e->config_id));
			e->fields |= FK_DH_EXPECT_CONFIGID;
			break;
		case RK_MIN_CONFIG_SVN:
			ok = get_u16(c, v, &e->min_config_svn);
			break;
		case RK_LAUNCH_DIGEST:
			ok = get_hex(c, v, r->pub.launch_digest, sizeof(r->pub.launch_digest));
			r->pub.has_launch_digest = true;
			break;
		default:
			return fail(c, true,
				    "unknown key (a rule has mr_enclave, mr_signer, isv_prod_id, "
				    "min_isv_svn, allow_debug, isv_family_id, isv_ext_prod_id, "
				    "config_id, min_config_svn, launch_digest)");
		}
		if (!ok)
			return false;
		seen[k] = true;
		pop(c);
	}
	if (seen[RK_MR_ENCLAVE]) {
		if (seen[RK_MR_SIGNER] || seen[RK_ISV_PROD_ID] || seen[RK_MIN_ISV_SVN])
			return fail(c, false,
				    "both rule forms: mr_enclave cannot go with %s (a rule is an "
				    "mr_enclave allow-list or mr_signer + isv_prod_id + min_isv_svn)",
				    seen[RK_MR_SIGNER]	   ? "mr_signer"
				    : seen[RK_ISV_PROD_ID] ? "isv_prod_id"
							   : "min_isv_svn");
		e->fields |= FK_DH_EXPECT_MRENCLAVE;
		return true;
	}
	if (!seen[RK_MR_SIGNER] && !seen[RK_ISV_PROD_ID] && !seen[RK_MIN_ISV_SVN])
		return fail(c, false,
			    "neither rule form: give mr_enclave (an allow-list), or mr_signer + "
			    "isv_prod_id + min_isv_svn");
	for (size_t k = RK_MR_SIGNER; k <= RK_MIN_ISV_SVN; k++) {
		if (!seen[k])
			return fail(c, false,
				    "signer rule without %s (it needs mr_signer, isv_prod_id and "
				    "min_isv_svn)",
				    rule_keys[k]);
	}
	return true;
}

static bool parse_entry(struct ctx *c, const json_t *arr, struct entry *en)
{
	size_t i, n;
	const json_t *v;

	if (!json_is_array(arr))
		return fail(c, false, "not an array of rules");
	n = json_array_size(arr);
	if (n > FK_POLICY_MAX_RULES - c->p->nrules) {
		push_elem(c, FK_POLICY_MAX_RULES - c->p->nrules);
		return fail(c, false, "more than %u rules in the policy", FK_POLICY_MAX_RULES);
	}
	if (n == 0)
		return true; /* the container is refused: see docs/policy.md */
	en->rules = calloc(n, sizeof(*en->rules));
	if (en->rules == NULL) {
		c->oom = true;
		return fail(c, false, "out of memory");
	}
	json_array_foreach(arr, i, v) {
		push_elem(c, i);
		en->nrules = i + 1; /* so that a failure frees what was allocated */
		if (!parse_rule(c, v, &en->rules[i]))
			return false;
		pop(c);
	}
	c->p->nrules += n;
	return true;
}

static bool parse_containers(struct ctx *c, const json_t *obj)
{
	size_t idx = 0, n;
	const char *key;
	const json_t *v;

	if (!json_is_object(obj))
		return fail(c, false, "not an object (container id -> rules)");
	n = json_object_size(obj);
	if (n == 0)
		return fail(c, false, "no container entries (the policy would refuse every request)");
	if (n > FK_POLICY_MAX_CONTAINERS) {
		/* Point at the first entry over the bound. */
		json_object_foreach((json_t *)obj, key, v) {
			if (idx == FK_POLICY_MAX_CONTAINERS)
				break;
			idx++;
		}
		push_key(c, idx, key, true);
		return fail(c, true, "more than %u container entries", FK_POLICY_MAX_CONTAINERS);
	}
	c->p->entries = calloc(n, sizeof(*c->p->entries));
	if (c->p->entries == NULL) {
		c->oom = true;
		return fail(c, false, "out of memory");
	}
	json_object_foreach((json_t *)obj, key, v) {
		struct entry *en = &c->p->entries[idx];
		push_key(c, idx++, key, true);
		if (strcmp(key, FK_POLICY_WILDCARD) != 0 && !fusekey_container_id_valid(key))
			return fail(c, true,
				    "not a container id (1 to 128 of A-Z a-z 0-9 _ . -, not "
				    "starting with '.' or '-') nor \"*\"");
		memcpy(en->id, key, strlen(key) + 1);
		c->p->nentries = idx;
		if (!parse_entry(c, v, en))
			return false;
		pop(c);
	}
	return true;
}

static bool parse_root(struct ctx *c, const json_t *root)
{
	bool have_version = false, have_containers = false;
	size_t idx = 0;
	const char *key;
	const json_t *v;

	if (!json_is_object(root))
		return fail(c, false, "not a JSON object");
	json_object_foreach((json_t *)root, key, v) {
		push_key(c, idx++, key, false);
		if (strcmp(key, "version") == 0) {
			if (!json_is_integer(v))
				return fail(c, false, "not an integer");
			if (json_integer_value(v) != FK_POLICY_VERSION)
				return fail(c, false, "unsupported version %lld (this fusekey reads %d)",
					    (long long)json_integer_value(v), FK_POLICY_VERSION);
			have_version = true;
		} else if (strcmp(key, "containers") == 0) {
			if (!parse_containers(c, v))
				return false;
			have_containers = true;
		} else {
			return fail(c, true, "unknown key (the top level has version, containers)");
		}
		pop(c);
	}
	if (!have_version)
		return fail(c, false, "missing \"version\" (1)");
	if (!have_containers)
		return fail(c, false, "missing \"containers\"");
	return true;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *const *x = a, *const *y = b;
	return strcmp((*x)->id, (*y)->id);
}

void fk_policy_free(struct fk_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nentries && p->entries != NULL; i++) {
		for (size_t j = 0; j < p->entries[i].nrules; j++)
			free(p->entries[i].rules[j].mre);
		free(p->entries[i].rules);
	}
	free(p->entries);
	free(p->sorted);
	free(p);
}

fusekey_status fk_policy_parse(const uint8_t *text, size_t len, const char *name,
			       struct fk_policy **out, struct fk_policy_error *err)
{
	struct ctx c = {.text = text, .len = len, .name = name ? name : "policy", .err = err};
	const uint8_t *nul;
	json_error_t jerr;
	json_t *root = NULL;
	fusekey_status st = FUSEKEY_ERR_FORMAT;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (text == NULL && len > 0)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (len > FK_POLICY_MAX_FILE) {
		file_error(err, c.name, 0, "larger than %u bytes", FK_POLICY_MAX_FILE);
		return FUSEKEY_ERR_FORMAT;
	}
	if (len == 0) {
		file_error(err, c.name, 1, "empty file (expected a JSON object)");
		return FUSEKEY_ERR_FORMAT;
	}
	/* jansson would stop at a NUL and blame the wrong place. */
	nul = memchr(text, 0, len);
	if (nul != NULL) {
		unsigned line = 1;
		for (const uint8_t *q = text; q < nul; q++)
			line += *q == '\n';
		file_error(err, c.name, line, "NUL byte in the file");
		return FUSEKEY_ERR_FORMAT;
	}
	root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		for (char *q = jerr.text; *q != '\0'; q++) {
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				*q = '?';
		}
		file_error(err, c.name, jerr.line > 0 ? (unsigned)jerr.line : 0,
			   "invalid JSON: %s", jerr.text);
		return FUSEKEY_ERR_FORMAT;
	}
	c.p = calloc(1, sizeof(*c.p));
	if (c.p == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	if (!parse_root(&c, root)) {
		if (c.oom)
			st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	c.p->sorted = calloc(c.p->nentries, sizeof(*c.p->sorted));
	if (c.p->sorted == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < c.p->nentries; i++)
		c.p->sorted[i] = &c.p->entries[i];
	qsort(c.p->sorted, c.p->nentries, sizeof(*c.p->sorted), cmp_entry);
	*out = c.p;
	c.p = NULL;
	st = FUSEKEY_OK;
out:
	if (st == FUSEKEY_ERR_NO_MEMORY)
		file_error(err, c.name, 0, "out of memory");
	fk_policy_free(c.p);
	json_decref(root);
	return st;
}

/* Bounded read of the administrator's file; see fk_policy.h for why symlinks are followed. */
fusekey_status fk_policy_load_file(const char *path, struct fk_policy **out,
				   struct fk_policy_error *err)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1;
	fusekey_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (out == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	*out = NULL;
	if (path == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		st = e == ENOENT || e == ENOTDIR ? FUSEKEY_ERR_NOT_FOUND
		     : e == EACCES		  ? FUSEKEY_ERR_PERMISSION
						  : FUSEKEY_ERR_IO;
		file_error(err, path, 0, "cannot open: %s", strerror(e));
		return st;
	}
	if (fstat(fd, &sb) != 0) {
		file_error(err, path, 0, "cannot stat: %s", strerror(errno));
		st = FUSEKEY_ERR_IO;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		file_error(err, path, 0, "not a regular file");
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	if (sb.st_mode & S_IWOTH) {
		file_error(err, path, 0, "writable by others (chmod o-w): refusing a policy "
					 "anyone can change");
		st = FUSEKEY_ERR_PERMISSION;
		goto out;
	}
	if (sb.st_size < 0 || (uint64_t)sb.st_size > FK_POLICY_MAX_FILE) {
		file_error(err, path, 0, "larger than %u bytes", FK_POLICY_MAX_FILE);
		st = FUSEKEY_ERR_FORMAT;
		goto out;
	}
	st = fk_file_read_fd(fd, FK_POLICY_MAX_FILE, &buf, &len);
	if (st == FUSEKEY_ERR_FORMAT)
		file_error(err, path, 0, "larger than %u bytes", FK_POLICY_MAX_FILE);
	else if (st == FUSEKEY_ERR_NO_MEMORY)
		file_error(err, path, 0, "out of memory");
	else if (st != FUSEKEY_OK)
		file_error(err, path, 0, "cannot read: %s", fusekey_status_str(st));
	if (st != FUSEKEY_OK)
		goto out;
	st = fk_policy_parse(buf, len, path, out, err);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return st;
}

/* ---- accessors ---- */

size_t fk_policy_entry_count(const struct fk_policy *p)
{
	return p ? p->nentries : 0;
}

size_t fk_policy_rule_total(const struct fk_policy *p)
{
	return p ? p->nrules : 0;
}

const char *fk_policy_entry_id(const struct fk_policy *p, size_t entry)
{
	return p && entry < p->nentries ? p->entries[entry].id : NULL;
}

size_t fk_policy_entry_rule_count(const struct fk_policy *p, size_t entry)
{
	return p && entry < p->nentries ? p->entries[entry].nrules : 0;
}

const struct fk_policy_rule *fk_policy_rule_at(const struct fk_policy *p, size_t entry,
					       size_t rule)
{
	if (p == NULL || entry >= p->nentries || rule >= p->entries[entry].nrules)
		return NULL;
	return &p->entries[entry].rules[rule].pub;
}

/* ---- evaluation ---- */

static const struct entry *find_entry(const struct fk_policy *p, const char *id)
{
	size_t lo = 0, hi = p->nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(id, p->sorted[mid]->id);
		if (r == 0)
			return p->sorted[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* How far a rule got: a mismatch's place in fk_dh_mismatch order; the digest comes after. */
enum { RANK_LAUNCH_DIGEST = FK_DH_MISMATCH_CONFIGSVN + 1, RANK_ALLOWED };

struct rule_result {
	int rank;
	enum fk_dh_mismatch mismatch;
	size_t mre_index;
	const char *reason;
};

static struct rule_result eval_rule(const struct fk_policy_rule *r,
				    const struct fk_sgx_report_body *peer,
				    const uint8_t *launch_digest)
{
	struct rule_result res = {0, FK_DH_MISMATCH_MRENCLAVE, 0, NULL};

	if (r->by_mr_enclave) {
		/* Only an equal MRENCLAVE can get further: the other fields are shared. */
		for (size_t k = 0; k < r->n_mr_enclave; k++) {
			if (memcmp(r->mr_enclave[k], peer->mr_enclave, FK_SGX_HASH_SIZE) == 0) {
				struct fk_dh_expect e = r->expect;
				memcpy(e.mr_enclave, r->mr_enclave[k], FK_SGX_HASH_SIZE);
				res.mismatch = fk_dh_identity_check(peer, &e);
				res.mre_index = k;
				break;
			}
		}
	} else {
		res.mismatch = fk_dh_identity_check(peer, &r->expect);
	}
	if (res.mismatch != FK_DH_MISMATCH_NONE) {
		res.rank = (int)res.mismatch;
		res.reason = fk_dh_mismatch_name(res.mismatch);
	} else if (r->has_launch_digest && launch_digest == NULL) {
		res.rank = RANK_LAUNCH_DIGEST;
		res.reason = FK_POLICY_REASON_LAUNCH_DIGEST_MISSING;
	} else if (r->has_launch_digest &&
		   !fk_ct_equal(launch_digest, r->launch_digest, FK_LAUNCH_DIGEST_SIZE)) {
		res.rank = RANK_LAUNCH_DIGEST;
		res.reason = FK_POLICY_REASON_LAUNCH_DIGEST;
	} else {
		res.rank = RANK_ALLOWED;
		res.reason = FK_POLICY_REASON_ALLOWED;
	}
	return res;
}

/* The first 8 bytes of a measurement, for messages. */
static void hex8(const uint8_t *p, char out[17])
{
	fk_hex_encode(p, 8, out);
}

/* What differed, in words; identities are public, launch digests are not shown. */
static void explain(char *buf, size_t cap, const struct fk_policy_rule *r,
		    const struct fk_sgx_report_body *peer, const struct rule_result *res)
{
	char a[17], b[17];

	if (strcmp(res->reason, FK_POLICY_REASON_LAUNCH_DIGEST_MISSING) == 0) {
		appendf(buf, cap, "the rule requires a launch digest and none was sent");
		return;
	}
	if (strcmp(res->reason, FK_POLICY_REASON_LAUNCH_DIGEST) == 0) {
		appendf(buf, cap, "the launch digest differs from the rule's");
		return;
	}
	switch (res->mismatch) {
	case FK_DH_MISMATCH_MRENCLAVE:
		hex8(peer->mr_enclave, a);
		appendf(buf, cap, "MRENCLAVE %s... is not in the allow-list (%zu)", a,
			r->n_mr_enclave);
		break;
	case FK_DH_MISMATCH_MRSIGNER:
		hex8(peer->mr_signer, a);
		hex8(r->expect.mr_signer, b);
		appendf(buf, cap, "MRSIGNER %s... is not the rule's %s...", a, b);
		break;
	case FK_DH_MISMATCH_ISVPRODID:
		appendf(buf, cap, "ISVPRODID %u, the rule wants %u", fk_le16(peer->isv_prod_id),
			r->expect.isv_prod_id);
		break;
	case FK_DH_MISMATCH_ISVFAMILYID:
		appendf(buf, cap, "ISVFAMILYID differs from the rule's");
		break;
	case FK_DH_MISMATCH_ISVEXTPRODID:
		appendf(buf, cap, "ISVEXTPRODID differs from the rule's");
		break;
	case FK_DH_MISMATCH_CONFIGID:
		appendf(buf, cap, "CONFIGID differs from the rule's");
		break;
	case FK_DH_MISMATCH_DEBUG:
		appendf(buf, cap, "a DEBUG enclave, and the rule does not allow_debug");
		break;
	case FK_DH_MISMATCH_ATTRIBUTES:
		appendf(buf, cap, "attributes 0x%016llx: not an initialised enclave",
			(unsigned long long)fk_le64(peer->attributes.flags));
		break;
	case FK_DH_MISMATCH_ISVSVN:
		appendf(buf, cap, "ISVSVN %u is below the rule's minimum %u",
			fk_le16(peer->isv_svn), r->expect.min_isv_svn);
		break;
	case FK_DH_MISMATCH_CONFIGSVN:
		appendf(buf, cap, "CONFIGSVN %u is below the rule's minimum %u",
			fk_le16(peer->config_svn), r->expect.min_config_svn);
		break;
	default:
		appendf(buf, cap, "%s", fk_dh_mismatch_name(res->mismatch));
		break;
	}
}

static void decision_init(struct fk_policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->mismatch = FK_DH_MISMATCH_NO_EXPECTATION;
	d->reason = FK_POLICY_REASON_INVALID;
}

fusekey_status fk_policy_evaluate(const struct fk_policy *p, const char *container_id,
				  const struct fk_sgx_report_body *peer,
				  const uint8_t *launch_digest, struct fk_policy_decision *d)
{
	const struct entry *en;
	struct rule_result best = {-1, FK_DH_MISMATCH_NO_EXPECTATION, 0, NULL};
	size_t best_rule = 0;

	if (d == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	decision_init(d);
	if (p == NULL || container_id == NULL || peer == NULL) {
		appendf(d->detail, sizeof(d->detail), "invalid argument");
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	/* Checked first: "*" as a requested id must never select the "*" entry by name. */
	if (!fusekey_container_id_valid(container_id)) {
		d->reason = FK_POLICY_REASON_CONTAINER_ID;
		appendf(d->detail, sizeof(d->detail), "not a valid container id");
		return FUSEKEY_ERR_REFUSED;
	}
	en = find_entry(p, container_id);
	if (en == NULL)
		en = find_entry(p, FK_POLICY_WILDCARD);
	d->reason = FK_POLICY_REASON_NO_RULE;
	if (en == NULL) {
		appendf(d->detail, sizeof(d->detail),
			"container \"%s\": no rule (no entry for it and no \"*\")", container_id);
		return FUSEKEY_ERR_REFUSED;
	}
	memcpy(d->entry, en->id, strlen(en->id) + 1);
	d->entry_index = (size_t)(en - p->entries);
	if (en->nrules == 0) {
		appendf(d->detail, sizeof(d->detail),
			"container \"%s\": containers.\"%s\" is an empty rule list (refused)",
			container_id, en->id);
		return FUSEKEY_ERR_REFUSED;
	}
	for (size_t i = 0; i < en->nrules; i++) {
		struct rule_result res = eval_rule(&en->rules[i].pub, peer, launch_digest);
		if (res.rank > best.rank) {
			best = res;
			best_rule = i;
		}
		if (res.rank == RANK_ALLOWED)
			break;
	}
	d->have_rule = true;
	d->rule = best_rule;
	d->mismatch = best.mismatch;
	d->reason = best.reason;
	appendf(d->detail, sizeof(d->detail), "container \"%s\": containers.\"%s\"[%zu]",
		container_id, en->id, best_rule);
	if (best.rank == RANK_ALLOWED) {
		d->allowed = true;
		d->mr_enclave_index = best.mre_index;
		appendf(d->detail, sizeof(d->detail), " allows it");
		return FUSEKEY_OK;
	}
	if (en->nrules > 1)
		appendf(d->detail, sizeof(d->detail), " (closest of %zu rules)", en->nrules);
	appendf(d->detail, sizeof(d->detail), ": ");
	explain(d->detail, sizeof(d->detail), &en->rules[best_rule].pub, peer, &best);
	return FUSEKEY_ERR_REFUSED;
}

bool fk_policy_decision_expect(const struct fk_policy *p, const struct fk_policy_decision *d,
			       struct fk_dh_expect *out)
{
	const struct entry *en;
	const struct fk_policy_rule *r;

	if (out == NULL)
		return false;
	memset(out, 0, sizeof(*out));
	if (p == NULL || d == NULL || !d->allowed || !d->have_rule || d->entry_index >= p->nentries)
		return false;
	en = &p->entries[d->entry_index];
	if (strcmp(en->id, d->entry) != 0 || d->rule >= en->nrules)
		return false;
	r = &en->rules[d->rule].pub;
	*out = r->expect;
	if (r->by_mr_enclave) {
		if (d->mr_enclave_index >= r->n_mr_enclave) {
			memset(out, 0, sizeof(*out));
			return false;
		}
		memcpy(out->mr_enclave, r->mr_enclave[d->mr_enclave_index], FK_SGX_HASH_SIZE);
	}
	return true;
}
