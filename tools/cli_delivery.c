/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `fusekey generate` (the agent enclave) and `fusekey get` (the app enclave):
 * the FUSE key of one container, through the public API (fusekey_generate,
 * fusekey_get) on a context that wraps the platform opened as for seal/unseal.
 *
 * The key lives in stack buffers wiped on every path. It leaves the process
 * only in the form and to the place the user named: --out (atomic, 0600),
 * --stdout or --fd (write(2), no stdio buffer keeps it), or Gramine's key
 * store. Never in a message.
 *
 * When the library refuses a key, the message explains the refusal with what
 * the bundle file records in clear (container id, policy, the maker's
 * measurements): read after the library has decided, for the words only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_common.h"
#include "delivery/fk_api.h"
#include "delivery/fk_bundle.h"
#include "delivery/fk_forms.h"
#include "platform/fk_gramine.h"
#include "ttrpc/fk_ttrpc_addr.h"
#include "policy/fk_launch.h"
#include "util/fk_file.h"

enum form { FORM_RAW, FORM_HEX, FORM_OCCLUM, FORM_OCCLUM_MOUNT, FORM_GRAMINE, FORM__COUNT };
static const char *const form_names[FORM__COUNT] = {"raw", "hex", "occlum", "occlum-mount",
						    "gramine"};

enum dest { DEST_NONE, DEST_FILE, DEST_STDOUT, DEST_FD };

struct output {
	enum form form;
	enum dest dest;
	const char *path; /* DEST_FILE */
	int fd;		  /* DEST_FD */
	bool sefs;	  /* occlum-mount: sefs (dir) or unionfs (lowerdir, upperdir) */
	const char *dir, *lowerdir, *upperdir;
	const char *gramine_dir, *key_name;
};

struct request {
	const char *cmd; /* "generate" or "get" */
	const char *cid;
	const char *bundle;
	fusekey_method method;
	uint16_t policy; /* 0: generate's default (MRSIGNER) / get: accept the recorded one */
	size_t key_len;	 /* generate */
	bool force;
	struct output out;
	/* la (get) */
	const char *socket_path;
	uint8_t agent_mrenclave[32], agent_mrsigner[32];
	struct fusekey_agent_expect agent;
	uint8_t launch_digest[32];
	bool has_launch;
	bool no_fallback;
	uint32_t timeout_ms;
	/* After the platform is open: --format gramine goes through Gramine itself. */
	fusekey_ctx *ctx;
	bool on_gramine;
};

/* Room for the longest form: unionfs options with two PATH_MAX directories. */
enum { TEXT_MAX = 2 * PATH_MAX + 128 };

static int help_or_usage(const char *topic, int rc)
{
	if (rc == CLI_PARSE_HELP) {
		cli_help(topic, stdout);
		return CLI_EXIT_OK;
	}
	return rc;
}

static const char *method_name(fusekey_method m)
{
	switch (m) {
	case FUSEKEY_METHOD_SEAL:
		return "seal";
	case FUSEKEY_METHOD_DERIVE:
		return "derive";
	case FUSEKEY_METHOD_LA:
		return "la";
	default:
		return "auto";
	}
}

static const char *file_of(fusekey_method m)
{
	return m == FUSEKEY_METHOD_DERIVE ? FK_BUNDLE_DERIVE_NAME
	       : m == FUSEKEY_METHOD_LA   ? FK_BUNDLE_LA_NAME
					  : FK_BUNDLE_SEALED_NAME;
}

/* ---- options ---- */

/* Occlum's mount options are k=v pairs split at ',': a value may hold neither. */
static bool mount_dir_ok(const char *d)
{
	if (d[0] == '\0' || strlen(d) >= PATH_MAX)
		return false;
	for (const char *c = d; *c != '\0'; c++) {
		if (*c == ',' || *c == '=' || (unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	}
	return true;
}

/* Gramine key names: 1..64 of [A-Za-z0-9_.-], not starting with '.' or '_'. */
static int parse_dest(const char *cmd, const struct cli_args *a, struct output *o)
{
	int n = (int)a->has[OPT_OUT] + (int)a->has[OPT_STDOUT] + (int)a->has[OPT_FD];
	uint64_t fd;
	int fl;

	if (n > 1)
		return cli_usage_err(cmd, "give one place for the key: --out FILE, --stdout or "
					  "--fd N");
	if (a->has[OPT_OUT]) {
		if (a->val[OPT_OUT][0] == '\0')
			return cli_usage_err(cmd, "--out needs a file name");
		o->dest = DEST_FILE;
		o->path = a->val[OPT_OUT];
	} else if (a->has[OPT_STDOUT]) {
		o->dest = DEST_STDOUT;
	} else if (a->has[OPT_FD]) {
		if (!cli_parse_uint(a->val[OPT_FD], INT32_MAX, &fd))
			return cli_usage_err(cmd, "--fd must be a file descriptor number, got '%s'",
					     a->val[OPT_FD]);
		fl = fcntl((int)fd, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
			return cli_usage_err(
				cmd, "--fd %d is not a file descriptor open for writing", (int)fd);
		o->dest = DEST_FD;
		o->fd = (int)fd;
	}
	return CLI_EXIT_OK;
}

static int parse_form_options(const char *cmd, const struct cli_args *a, struct output *o)
{
	bool mount_opts = a->has[OPT_MOUNT_TYPE] || a->has[OPT_DIR] || a->has[OPT_LOWERDIR] ||
			  a->has[OPT_UPPERDIR];
	bool gramine_opts = a->has[OPT_KEY_NAME];
	char pb[160];

	if (o->form != FORM_OCCLUM_MOUNT && mount_opts)
		return cli_usage_err(cmd, "--mount-type, --dir, --lowerdir and --upperdir go with "
					  "--format occlum-mount");
	if (o->form != FORM_GRAMINE && gramine_opts)
		return cli_usage_err(cmd, "--key-name goes with --format gramine");
	if (o->form == FORM_GRAMINE) {
		if (o->dest != DEST_NONE)
			return cli_usage_err(cmd, "--format gramine installs the key into "
						  "Gramine's key store: --out, --stdout and --fd "
						  "do not apply");
		if (!a->has[OPT_KEY_NAME])
			return cli_usage_err(cmd, "--format gramine needs --key-name NAME: the "
						  "key name the manifest declares (an encrypted "
						  "mount's key_name, or fs.insecure__keys)");
		if (!fk_gramine_key_name_ok(a->val[OPT_KEY_NAME]))
			return cli_usage_err(cmd,
					     "--key-name '%s' is not a Gramine key name: 1 to 64 "
					     "of A-Z a-z 0-9 _ . -, not starting with '.' or '_' "
					     "('_' names are Gramine's own)",
					     cli_printable(a->val[OPT_KEY_NAME], pb, sizeof(pb)));
		o->key_name = a->val[OPT_KEY_NAME];
		/* The same root as the Gramine platform's (--gramine-dir, FUSEKEY_GRAMINE_DIR). */
		if (a->has[OPT_GRAMINE_DIR] && a->val[OPT_GRAMINE_DIR][0] == '\0')
			return cli_usage_err(cmd, "--gramine-dir needs a directory");
		o->gramine_dir = cli_gramine_dir(a);
		return CLI_EXIT_OK;
	}
	if (o->form != FORM_OCCLUM_MOUNT)
		return CLI_EXIT_OK;
	if (!a->has[OPT_MOUNT_TYPE])
		return cli_usage_err(cmd, "--format occlum-mount needs --mount-type sefs (with "
					  "--dir) or unionfs (with --lowerdir and --upperdir)");
	if (strcmp(a->val[OPT_MOUNT_TYPE], "sefs") == 0) {
		if (!a->has[OPT_DIR] || a->has[OPT_LOWERDIR] || a->has[OPT_UPPERDIR])
			return cli_usage_err(cmd, "--mount-type sefs takes --dir DIR (and not "
						  "--lowerdir/--upperdir)");
		o->sefs = true;
		o->dir = a->val[OPT_DIR];
	} else if (strcmp(a->val[OPT_MOUNT_TYPE], "unionfs") == 0) {
		if (a->has[OPT_DIR] || !a->has[OPT_LOWERDIR] || !a->has[OPT_UPPERDIR])
			return cli_usage_err(cmd, "--mount-type unionfs takes --lowerdir DIR and "
						  "--upperdir DIR (and not --dir)");
		o->lowerdir = a->val[OPT_LOWERDIR];
		o->upperdir = a->val[OPT_UPPERDIR];
	} else {
		return cli_usage_err(cmd, "--mount-type must be sefs or unionfs, got '%s'",
				     cli_printable(a->val[OPT_MOUNT_TYPE], pb, sizeof(pb)));
	}
	if ((o->dir != NULL && !mount_dir_ok(o->dir)) ||
	    (o->lowerdir != NULL && !mount_dir_ok(o->lowerdir)) ||
	    (o->upperdir != NULL && !mount_dir_ok(o->upperdir)))
		return cli_usage_err(cmd, "mount directories must be non-empty and contain no ',', "
					  "'=' or control character (Occlum splits its options "
					  "there)");
	return CLI_EXIT_OK;
}

static int parse_output(const char *cmd, const struct cli_args *a, bool is_get, struct output *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->form = FORM_RAW;
	if (a->has[OPT_FORMAT]) {
		size_t i;
		for (i = 0; i < FORM__COUNT; i++) {
			if (strcmp(a->val[OPT_FORMAT], form_names[i]) == 0)
				break;
		}
		if (i == FORM__COUNT) {
			char pb[160];
			return cli_usage_err(cmd,
					     "--format must be raw, hex, occlum, occlum-mount or "
					     "gramine, got '%s'",
					     cli_printable(a->val[OPT_FORMAT], pb, sizeof(pb)));
		}
		o->form = (enum form)i;
	}
	rc = parse_dest(cmd, a, o);
	if (rc == CLI_EXIT_OK)
		rc = parse_form_options(cmd, a, o);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (o->form == FORM_GRAMINE || o->dest != DEST_NONE)
		return CLI_EXIT_OK;
	if (is_get)
		return cli_usage_err(cmd, "say where the key goes: --out FILE, --stdout or --fd N "
					  "(or --format gramine); it is never printed otherwise");
	if (a->has[OPT_FORMAT])
		return cli_usage_err(cmd, "--format %s needs --out FILE, --stdout or --fd N",
				     form_names[o->form]);
	return CLI_EXIT_OK;
}

static bool needs_16(enum form f)
{
	return f == FORM_OCCLUM || f == FORM_OCCLUM_MOUNT || f == FORM_GRAMINE;
}

/*
 * get's la options: the socket, the agent the app accepts, its launch digest
 * (--launch-digest, else computed from <bundle>/config.json when there is one).
 */
static int parse_la(const char *cmd, const struct cli_args *a, struct request *r)
{
	bool any_agent = a->has[OPT_AGENT_MRENCLAVE] || a->has[OPT_AGENT_MRSIGNER];
	char err[256];
	uint64_t v;

	r->agent.isv_prod_id = -1;
	if (a->has[OPT_SOCKET]) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (a->val[OPT_SOCKET][0] == '\0')
			return cli_usage_err(cmd, "--socket needs a path");
		if (fk_ttrpc_addr_is_tcp(a->val[OPT_SOCKET]) &&
		    fk_ttrpc_addr_parse_tcp(a->val[OPT_SOCKET], false, &ss, &sl) != FUSEKEY_OK)
			return cli_usage_err(cmd,
					     "--socket %s: a TCP address must be tcp:127.0.0.1:PORT or "
					     "tcp:[::1]:PORT (loopback only, PORT 1..65535)",
					     a->val[OPT_SOCKET]);
		r->socket_path = a->val[OPT_SOCKET];
	}
	if (r->method == FUSEKEY_METHOD_LA && r->socket_path == NULL)
		return cli_usage_err(cmd, "--method la needs --socket PATH: the fusekeyd socket");
	if (r->socket_path == NULL) {
		if (any_agent || a->has[OPT_LAUNCH_DIGEST] || a->has[OPT_NO_FALLBACK] ||
		    a->has[OPT_TIMEOUT_MS] || a->has[OPT_AGENT_PRODID] ||
		    a->has[OPT_AGENT_MIN_SVN] || a->has[OPT_AGENT_DEBUG])
			return cli_usage_err(cmd, "the --agent-*, --launch-digest, --no-fallback "
						  "and --timeout-ms options go with --socket");
		return CLI_EXIT_OK;
	}
	if (r->method != FUSEKEY_METHOD_LA && r->method != FUSEKEY_METHOD_AUTO)
		return cli_usage_err(cmd, "--socket goes with --method la or auto");
	if (!any_agent)
		return cli_usage_err(cmd,
				     "la needs the agent the app accepts: --agent-mrenclave HEX "
				     "and/or --agent-mrsigner HEX (64 hex digits each)");
	if (a->has[OPT_AGENT_MRENCLAVE]) {
		if (!cli_parse_hex_exact(a->val[OPT_AGENT_MRENCLAVE], r->agent_mrenclave, 32))
			return cli_usage_err(cmd, "--agent-mrenclave must be 64 hex digits");
		r->agent.mr_enclave = r->agent_mrenclave;
	}
	if (a->has[OPT_AGENT_MRSIGNER]) {
		if (!cli_parse_hex_exact(a->val[OPT_AGENT_MRSIGNER], r->agent_mrsigner, 32))
			return cli_usage_err(cmd, "--agent-mrsigner must be 64 hex digits");
		r->agent.mr_signer = r->agent_mrsigner;
	}
	if (a->has[OPT_AGENT_PRODID]) {
		if (!cli_parse_uint(a->val[OPT_AGENT_PRODID], 0xFFFF, &v))
			return cli_usage_err(cmd, "--agent-isvprodid must be 0..65535");
		r->agent.isv_prod_id = (int)v;
	}
	if (a->has[OPT_AGENT_MIN_SVN]) {
		if (!cli_parse_uint(a->val[OPT_AGENT_MIN_SVN], 0xFFFF, &v))
			return cli_usage_err(cmd, "--agent-min-svn must be 0..65535");
		r->agent.min_isv_svn = (uint16_t)v;
	}
	r->agent.allow_debug = a->has[OPT_AGENT_DEBUG];
	if (a->has[OPT_TIMEOUT_MS]) {
		if (!cli_parse_uint(a->val[OPT_TIMEOUT_MS], 600000, &v) || v == 0)
			return cli_usage_err(cmd, "--timeout-ms must be 1..600000");
		r->timeout_ms = (uint32_t)v;
	}
	r->no_fallback = a->has[OPT_NO_FALLBACK];
	if (a->has[OPT_LAUNCH_DIGEST]) {
		if (!cli_parse_hex_exact(a->val[OPT_LAUNCH_DIGEST], r->launch_digest, 32))
			return cli_usage_err(cmd, "--launch-digest must be 64 hex digits "
						  "(fusekey launch-digest prints it)");
		r->has_launch = true;
	} else {
		char cfg[PATH_MAX];
		int k = snprintf(cfg, sizeof(cfg), "%s/config.json", r->bundle);
		if (k > 0 && (size_t)k < sizeof(cfg) && access(cfg, F_OK) == 0) {
			if (fk_launch_digest_from_bundle(r->bundle, r->launch_digest, err,
							 sizeof(err)) != FUSEKEY_OK) {
				cli_err("cannot compute the launch digest from '%s': %s", cfg,
					err);
				return CLI_EXIT_FORMAT;
			}
			r->has_launch = true;
		}
	}
	return CLI_EXIT_OK;
}

static int parse_request(const char *cmd, const struct cli_args *a, bool is_get,
			 struct request *r)
{
	char pb[160], bad[80];
	uint64_t v;
	int rc;

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	if (!a->has[OPT_CONTAINER])
		return cli_usage_err(cmd, "--container ID is required: the id of the container "
					  "whose key this is");
	r->cid = a->val[OPT_CONTAINER];
	if (!fusekey_container_id_valid(r->cid))
		return cli_usage_err(cmd,
				     "container id '%s' is not valid: 1 to %u characters of "
				     "A-Z a-z 0-9 _ . -, not starting with '.' or '-' (it "
				     "becomes a directory name in the bundle)",
				     cli_printable(r->cid, pb, sizeof(pb)), FUSEKEY_CONTAINER_ID_MAX);
	if (!a->has[OPT_BUNDLE] || a->val[OPT_BUNDLE][0] == '\0')
		return cli_usage_err(cmd, "--bundle DIR is required: the container's bundle "
					  "directory, shared by the agent and the app");
	r->bundle = a->val[OPT_BUNDLE];

	r->method = is_get ? FUSEKEY_METHOD_AUTO : FUSEKEY_METHOD_SEAL;
	if (a->has[OPT_METHOD]) {
		const char *m = a->val[OPT_METHOD];
		if (strcmp(m, "seal") == 0)
			r->method = FUSEKEY_METHOD_SEAL;
		else if (strcmp(m, "derive") == 0)
			r->method = FUSEKEY_METHOD_DERIVE;
		else if (strcmp(m, "la") == 0)
			r->method = FUSEKEY_METHOD_LA;
		else if (is_get && strcmp(m, "auto") == 0)
			r->method = FUSEKEY_METHOD_AUTO;
		else
			return cli_usage_err(cmd, "--method must be %s, got '%s'",
					     is_get ? "auto, seal, derive or la" : "seal, derive or la",
					     cli_printable(m, pb, sizeof(pb)));
	}
	if (is_get) {
		rc = parse_la(cmd, a, r);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	if (a->has[OPT_POLICY] && !cli_parse_policy(a->val[OPT_POLICY], &r->policy, bad,
						    sizeof(bad)))
		return cli_usage_err(cmd,
				     "--policy: unknown word '%s' (use mrsigner, mrenclave, "
				     "noisvprodid, configid, familyid, extprodid, kss, "
				     "separated by commas)",
				     cli_printable(bad, pb, sizeof(pb)));
	r->key_len = FUSEKEY_KEY_SIZE;
	if (a->has[OPT_KEY_LEN]) {
		if (!cli_parse_uint(a->val[OPT_KEY_LEN], 64, &v) || (v != 16 && v != 32))
			return cli_usage_err(cmd, "--key-len must be 16 or 32 (bytes), got '%s'",
					     cli_printable(a->val[OPT_KEY_LEN], pb, sizeof(pb)));
		r->key_len = (size_t)v;
	}
	r->force = a->has[OPT_FORCE];
	rc = parse_output(cmd, a, is_get, &r->out);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (!is_get && r->key_len != 16 && needs_16(r->out.form))
		return cli_usage_err(cmd,
				     "--format %s takes a 16-byte key (Occlum's key string and "
				     "Gramine's key store are AES-128): use --key-len 16, or "
				     "--format raw or hex",
				     form_names[r->out.form]);
	if (a->has[OPT_POLICY] &&
	    !(r->policy & (FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER))) {
		cli_err("--policy must include mrenclave or mrsigner: a FUSE key is always bound "
			"to the enclave or to its signer");
		return CLI_EXIT_REFUSED;
	}
	return CLI_EXIT_OK;
}

/* ---- before the key exists: refuse what would fail afterwards ---- */

/* Is --out inside <bundle>/fusekey/, the store the host reads? (Both must exist.) */
static bool out_in_store(const struct request *r)
{
	char store[PATH_MAX], parent[PATH_MAX], rs[PATH_MAX], rp[PATH_MAX];
	const char *slash = strrchr(r->out.path, '/');
	size_t n;
	int k = snprintf(store, sizeof(store), "%s/%s", r->bundle, FK_BUNDLE_SUBDIR);

	if (k < 0 || (size_t)k >= sizeof(store))
		return false;
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == r->out.path)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - r->out.path), r->out.path);
	if (realpath(store, rs) == NULL || realpath(parent, rp) == NULL)
		return false;
	n = strlen(rs);
	return strncmp(rp, rs, n) == 0 && (rp[n] == '\0' || rp[n] == '/');
}

/* Refuse --out inside the store (checked before the key exists, and again before
 * writing: generate may have just created the directory). */
static int out_not_in_store(const struct request *r)
{
	if (r->out.dest != DEST_FILE || !out_in_store(r))
		return CLI_EXIT_OK;
	cli_err("refusing to write the key to '%s': it is inside '%s/%s/', the key store the "
		"host shares and reads. Write it elsewhere",
		r->out.path, r->bundle, FK_BUNDLE_SUBDIR);
	return CLI_EXIT_REFUSED;
}

static int preflight_output(const struct request *r)
{
	const struct output *o = &r->out;
	struct stat sb;
	int rc = out_not_in_store(r);

	if (rc != CLI_EXIT_OK)
		return rc;
	if (o->dest == DEST_FILE && !r->force && lstat(o->path, &sb) == 0) {
		cli_err("key output '%s' already exists: refusing to overwrite it (use --force to "
			"replace it)",
			o->path);
		return CLI_EXIT_EXISTS;
	}
	if (o->form == FORM_GRAMINE) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/keys/%s", o->gramine_dir, o->key_name);
		if (n < 0 || (size_t)n >= sizeof(path))
			return cli_usage_err(r->cmd, "--gramine-dir is too long");
		if (lstat(path, &sb) != 0 && errno == ENOENT) {
			cli_err("Gramine has no key '%s': '%s' does not exist. Declare it in the "
				"manifest: key_name = \"%s\" on an encrypted fs.mounts entry (or "
				"fs.insecure__keys.%s), so that Gramine creates it",
				o->key_name, path, o->key_name, o->key_name);
			return CLI_EXIT_NOT_FOUND;
		}
	}
	return CLI_EXIT_OK;
}

/* ---- writing the key in its form ---- */

static int form_refused(const struct request *r, size_t key_len)
{
	cli_err("the key of container '%s' is %zu bytes, and --format %s takes exactly 16 "
		"(Occlum's key string and Gramine's key store are AES-128): use --format raw or "
		"hex",
		r->cid, key_len, form_names[r->out.form]);
	return CLI_EXIT_REFUSED;
}

static int gramine_install(const struct request *r, const uint8_t *key, size_t key_len)
{
	const struct output *o = &r->out;
	fusekey_status st;

	if (key_len != FK_OCCLUM_KEY_LEN)
		return form_refused(r, key_len);
	/* Inside Gramine: through the platform (its /dev/attestation, the same root).
	 * Elsewhere: the file write of the key form (a directory laid out alike). */
	if (r->on_gramine)
		st = fusekey_gramine_install_key(r->ctx, o->key_name, key, key_len);
	else
		st = fk_form_gramine_install(o->gramine_dir, o->key_name, key, key_len);
	switch (st) {
	case FUSEKEY_OK:
		return CLI_EXIT_OK;
	case FUSEKEY_ERR_NOT_FOUND:
		cli_err("Gramine refused key '%s' (%s/keys/%s): the manifest must declare it, as "
			"key_name = \"%s\" on an encrypted fs.mounts entry (e.g. { type = "
			"\"encrypted\", path = \"/data\", uri = \"file:data\", key_name = "
			"\"%s\" }) or as fs.insecure__keys.%s",
			o->key_name, o->gramine_dir, o->key_name, o->key_name, o->key_name,
			o->key_name);
		return CLI_EXIT_NOT_FOUND;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("Gramine refused key '%s' (%s/keys/%s): permission denied", o->key_name,
			o->gramine_dir, o->key_name);
		return CLI_EXIT_PERMISSION;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "installing the key as '%s/keys/%s'", o->gramine_dir,
			 o->key_name);
		return cli_fail(st, ctx);
	}
	}
}

/* The bytes of the form (text forms end with a newline) into buf; *len out. */
static int render_form(const struct request *r, const uint8_t *key, size_t key_len, char *buf,
		       size_t cap, size_t *len)
{
	const struct output *o = &r->out;
	fusekey_status st;

	if (needs_16(o->form) && key_len != FK_OCCLUM_KEY_LEN)
		return form_refused(r, key_len);
	switch (o->form) {
	case FORM_RAW:
		memcpy(buf, key, key_len);
		*len = key_len;
		return CLI_EXIT_OK;
	case FORM_HEX:
		st = fk_form_hex(key, key_len, buf, cap);
		break;
	case FORM_OCCLUM:
		st = cap > FK_OCCLUM_KEY_STRING_LEN ? fk_form_occlum(key, key_len, buf)
						    : FUSEKEY_ERR_INVALID_PARAMETER;
		break;
	case FORM_OCCLUM_MOUNT:
		st = o->sefs ? fk_form_occlum_mount_sefs(key, key_len, o->dir, buf, cap)
			     : fk_form_occlum_mount_unionfs(key, key_len, o->lowerdir,
							    o->upperdir, buf, cap);
		break;
	default:
		st = FUSEKEY_ERR_UNEXPECTED;
		break;
	}
	if (st != FUSEKEY_OK)
		return cli_fail(st, "making the key's form");
	*len = strlen(buf);
	if (*len + 1 >= cap)
		return cli_fail(FUSEKEY_ERR_UNEXPECTED, "making the key's form");
	buf[(*len)++] = '\n';
	return CLI_EXIT_OK;
}

static int write_dest(const struct output *o, const void *data, size_t len, bool force)
{
	fusekey_status st;

	switch (o->dest) {
	case DEST_FILE:
		return cli_write_file(o->path, data, len, 0600, force, "key output");
	case DEST_STDOUT:
		fflush(stdout);
		st = fk_form_write_fd(STDOUT_FILENO, data, len);
		return st == FUSEKEY_OK ? CLI_EXIT_OK
					: cli_fail(st, "writing the key to standard output");
	case DEST_FD:
		st = fk_form_write_fd(o->fd, data, len);
		if (st != FUSEKEY_OK) {
			char ctx[64];
			snprintf(ctx, sizeof(ctx), "writing the key to file descriptor %d", o->fd);
			return cli_fail(st, ctx);
		}
		return CLI_EXIT_OK;
	default:
		return CLI_EXIT_OK;
	}
}

static int emit_key(const struct request *r, const uint8_t *key, size_t key_len)
{
	char *text;
	size_t len = 0;
	int rc;

	if (r->out.form == FORM_GRAMINE)
		return gramine_install(r, key, key_len);
	if (r->out.dest == DEST_NONE)
		return CLI_EXIT_OK;
	text = calloc(1, TEXT_MAX);
	if (text == NULL) {
		cli_err("out of memory");
		return CLI_EXIT_INTERNAL;
	}
	rc = render_form(r, key, key_len, text, TEXT_MAX, &len);
	if (rc == CLI_EXIT_OK)
		rc = out_not_in_store(r);
	if (rc == CLI_EXIT_OK)
		rc = write_dest(&r->out, text, len, r->force);
	fk_file_free((uint8_t *)text, TEXT_MAX);
	return rc;
}

/* "to key.hex (mode 0600)", "to standard output", ... */
static void describe_dest(const struct output *o, char *buf, size_t len)
{
	switch (o->dest) {
	case DEST_FILE:
		snprintf(buf, len, "%s (mode 0600)", o->path);
		break;
	case DEST_STDOUT:
		snprintf(buf, len, "standard output");
		break;
	case DEST_FD:
		snprintf(buf, len, "file descriptor %d", o->fd);
		break;
	default:
		if (o->form == FORM_GRAMINE)
			snprintf(buf, len, "Gramine's key store as '%s' (%s/keys/%s)", o->key_name,
				 o->gramine_dir, o->key_name);
		else
			snprintf(buf, len, "nowhere");
		break;
	}
}

static bool key_on_stdout(const struct output *o)
{
	return o->dest == DEST_STDOUT || (o->dest == DEST_FD && o->fd == STDOUT_FILENO);
}

/* ---- messages for refusals ---- */

static bool is_symlink(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

static bool bundle_missing(const struct request *r)
{
	struct stat sb;

	if (stat(r->bundle, &sb) == 0 && S_ISDIR(sb.st_mode))
		return false;
	cli_err("bundle directory '%s' does not exist or is not a directory: pass the "
		"container's bundle directory with --bundle (the host makes it; fusekey "
		"creates only '%s/%s/' inside it)",
		r->bundle, r->bundle, FK_BUNDLE_SUBDIR);
	return true;
}

/* A symlink in the layout (fusekey/, fusekey/<cid>/ or the file itself)? Says so. */
static bool symlink_refused(const struct request *r, const char *name, bool writing)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", r->bundle, FK_BUNDLE_SUBDIR);

	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	if (!is_symlink(path) &&
	    (fk_bundle_path(r->bundle, r->cid, NULL, path, sizeof(path)) != FUSEKEY_OK ||
	     !is_symlink(path)) &&
	    (fk_bundle_path(r->bundle, r->cid, name, path, sizeof(path)) != FUSEKEY_OK ||
	     !is_symlink(path)))
		return false;
	cli_err("refusing to %s the symlink '%s': the key files and their directories must be "
		"real files and directories (a symlink could send the key elsewhere). Remove it "
		"and run again",
		writing ? "write through" : "follow", path);
	return true;
}

static void policy_text(uint16_t policy, char *buf, size_t len)
{
	cli_policy_names(policy, buf, len);
}

/* Which recorded field differs from ours, in words (public measurements only). */
static void explain_identity(const struct request *r, const struct cli_recorded *rec,
			     const struct cli_platform *pl)
{
	const struct fk_sgx_identity *m = &rec->maker, *me = &pl->id;
	char pol[96], a[65], b[65];

	/* Measurements shown by their first 16 hex digits (inspect shows them whole). */
	policy_text(rec->policy, pol, sizeof(pol));
	if (!rec->have_maker || !rec->have_policy) {
		cli_err("the key of container '%s' was made for another enclave identity than "
			"enclave '%s': run the app as an enclave its policy names",
			r->cid, pl->enclave_path);
		return;
	}
	if ((m->flags ^ me->flags) & FK_SGX_FLAGS_DEBUG) {
		if (me->flags & FK_SGX_FLAGS_DEBUG)
			cli_err("the key of container '%s' was made by a production enclave, and "
				"enclave '%s' is a DEBUG enclave: a DEBUG enclave (whose memory "
				"the host can read) never gets a production key. Run the app as a "
				"production enclave",
				r->cid, pl->enclave_path);
		else
			cli_err("the key of container '%s' was made by a DEBUG enclave, and "
				"enclave '%s' is a production enclave: keys of DEBUG and "
				"production enclaves always differ. Generate the key with a "
				"production agent",
				r->cid, pl->enclave_path);
		return;
	}
	if ((rec->policy & FK_SGX_KEYPOLICY_MRENCLAVE) &&
	    memcmp(m->mr_enclave, me->mr_enclave, sizeof(me->mr_enclave)) != 0) {
		cli_hex(m->mr_enclave, 8, a);
		cli_hex(me->mr_enclave, 8, b);
		cli_err("the key of container '%s' was made under policy %s for MRENCLAVE %s... "
			"only, and enclave '%s' has MRENCLAVE %s...: run the app as that enclave, "
			"or have the agent generate the key under policy mrsigner",
			r->cid, pol, a, pl->enclave_path, b);
		return;
	}
	if ((rec->policy & FK_SGX_KEYPOLICY_MRSIGNER) &&
	    memcmp(m->mr_signer, me->mr_signer, sizeof(me->mr_signer)) != 0) {
		cli_hex(m->mr_signer, 8, a);
		cli_hex(me->mr_signer, 8, b);
		cli_err("the key of container '%s' was made under policy %s for enclaves of "
			"signer MRSIGNER %s..., and enclave '%s' is signed by MRSIGNER %s...: "
			"only enclaves of the agent's signer get it",
			r->cid, pol, a, pl->enclave_path, b);
		return;
	}
	if (!(rec->policy & FK_SGX_KEYPOLICY_NOISVPRODID) && m->isv_prod_id != me->isv_prod_id) {
		cli_err("the key of container '%s' was made for ISVPRODID %u, and enclave '%s' has "
			"ISVPRODID %u: only the agent's product gets it",
			r->cid, (unsigned)m->isv_prod_id, pl->enclave_path,
			(unsigned)me->isv_prod_id);
		return;
	}
	cli_err("the key of container '%s' was made under policy %s for another enclave identity "
		"than enclave '%s' (another CONFIGID, family or extended product id): run the app "
		"as an enclave the policy names",
		r->cid, pol, pl->enclave_path);
}

static int get_not_found(const struct request *r)
{
	char sealed[PATH_MAX], derive[PATH_MAX];
	bool has_sealed = fk_bundle_exists(r->bundle, r->cid, FK_BUNDLE_SEALED_NAME);
	bool has_derive = fk_bundle_exists(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME);

	if (bundle_missing(r))
		return CLI_EXIT_NOT_FOUND;
	if (fk_bundle_path(r->bundle, r->cid, FK_BUNDLE_SEALED_NAME, sealed, sizeof(sealed)) !=
		    FUSEKEY_OK ||
	    fk_bundle_path(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME, derive, sizeof(derive)) !=
		    FUSEKEY_OK)
		return cli_fail(FUSEKEY_ERR_NOT_FOUND, "getting the key");
	if (r->method == FUSEKEY_METHOD_SEAL && has_derive)
		cli_err("no sealed key for container '%s': '%s' does not exist, but the agent left "
			"a derive descriptor ('%s'): use --method derive (or auto)",
			r->cid, sealed, derive);
	else if (r->method == FUSEKEY_METHOD_DERIVE && has_sealed)
		cli_err("no derive descriptor for container '%s': '%s' does not exist, but the "
			"agent left a sealed key ('%s'): use --method seal (or auto)",
			r->cid, derive, sealed);
	else
		cli_err("no key for container '%s' in bundle '%s': %s does not exist. Run "
			"'fusekey generate --container %s --bundle %s' as the agent first",
			r->cid, r->bundle,
			r->method == FUSEKEY_METHOD_SEAL     ? sealed
			: r->method == FUSEKEY_METHOD_DERIVE ? derive
							     : "neither key.sealed nor derive.json",
			r->cid, r->bundle);
	return CLI_EXIT_NOT_FOUND;
}

/* The method get used (or would have): auto picks the file that exists. */
static fusekey_method used_method(const struct request *r)
{
	if (r->method != FUSEKEY_METHOD_AUTO)
		return r->method;
	return fk_bundle_exists(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME) ? FUSEKEY_METHOD_DERIVE
									  : FUSEKEY_METHOD_SEAL;
}

static int get_failed(fusekey_status st, const struct request *r, const struct cli_platform *pl)
{
	fusekey_method m = used_method(r);
	struct cli_recorded rec;
	char pol[96], want[96];
	enum fk_sim_cpusvn which;

	/* Failures of the key service itself: nothing in the bundle explains them. */
	if (r->socket_path != NULL &&
	    (st == FUSEKEY_ERR_UNAVAILABLE || st == FUSEKEY_ERR_TIMEOUT ||
	     st == FUSEKEY_ERR_REFUSED || st == FUSEKEY_ERR_PEER_IDENTITY ||
	     st == FUSEKEY_ERR_HANDSHAKE ||
	     (r->method != FUSEKEY_METHOD_AUTO && st == FUSEKEY_ERR_NOT_FOUND))) {
		char what[PATH_MAX + 64];
		snprintf(what, sizeof(what), "la: the key service at '%s'", r->socket_path);
		if (st == FUSEKEY_ERR_NOT_FOUND)
			cli_err("%s has no key for container '%s' (was it generated with --method "
				"la?)",
				what, r->cid);
		return st == FUSEKEY_ERR_NOT_FOUND ? cli_exit_for_status(st) : cli_fail(st, what);
	}
	cli_recorded_read(r->bundle, r->cid, m, &rec);
	switch (st) {
	case FUSEKEY_ERR_NOT_FOUND:
		return get_not_found(r);
	case FUSEKEY_ERR_TRUNCATED:
		cli_err("the key file '%s' of container '%s' is truncated: it is shorter than its "
			"own framing says (a copy cut short?). Restore it, or have the agent "
			"generate the key again (fusekey generate --force)",
			rec.path, r->cid);
		return CLI_EXIT_TRUNCATED;
	case FUSEKEY_ERR_WRONG_CONTAINER:
		if (rec.cid_valid)
			cli_err("the key file under '%s' belongs to container '%s', not '%s': the "
				"host moved or copied it. Refusing it; the agent must generate the "
				"key of '%s'",
				rec.path, rec.cid, r->cid, r->cid);
		else
			cli_err("the key file under '%s' belongs to another container than '%s': "
				"the host moved or copied it. Refusing it",
				rec.path, r->cid);
		return CLI_EXIT_WRONG_CONTAINER;
	case FUSEKEY_ERR_WRONG_IDENTITY:
		explain_identity(r, &rec, pl);
		return CLI_EXIT_WRONG_IDENTITY;
	case FUSEKEY_ERR_POLICY_MISMATCH:
		policy_text(r->policy, want, sizeof(want));
		policy_text(rec.policy, pol, sizeof(pol));
		cli_err("the key of container '%s' was made under policy %s, and --policy requires "
			"%s: refusing it. Have the agent generate it under that policy (fusekey "
			"generate --policy ... --force), or drop --policy",
			r->cid, rec.have_policy ? pol : "another one", want);
		return CLI_EXIT_POLICY;
	case FUSEKEY_ERR_MAC_MISMATCH:
		if (rec.have_policy && (rec.policy & FK_SGX_KEYPOLICY_KSS)) {
			policy_text(rec.policy, pol, sizeof(pol));
			cli_err("the key file '%s' of container '%s' failed authentication: it "
				"was made for another CONFIGID, ISVFAMILYID or ISVEXTPRODID (its "
				"policy %s binds them, and the file does not record them: check "
				"--config-id), or it was modified, or made on another platform",
				rec.path, r->cid, pol);
			return CLI_EXIT_AUTH;
		}
		cli_err("the key file '%s' of container '%s' failed authentication: it was "
			"modified, or made on another platform (other root keys). Have the agent "
			"generate the key again on this platform",
			rec.path, r->cid);
		return CLI_EXIT_AUTH;
	case FUSEKEY_ERR_INVALID_ISVSVN:
		if (rec.have_req_svn)
			cli_err("the key of container '%s' was made by enclave version ISVSVN %u "
				"(CONFIGSVN %u), and enclave '%s' has ISVSVN %u (CONFIGSVN %u): "
				"only that version or a newer one gets it",
				r->cid, (unsigned)rec.req_isv_svn, (unsigned)rec.req_config_svn,
				pl->enclave_path, (unsigned)pl->id.isv_svn,
				(unsigned)pl->id.config_svn);
		else
			cli_err("the key of container '%s' was made by a newer enclave version "
				"than enclave '%s' (ISVSVN %u)",
				r->cid, pl->enclave_path, (unsigned)pl->id.isv_svn);
		return CLI_EXIT_TCB;
	case FUSEKEY_ERR_INVALID_CPUSVN:
		/* The emulator's CPUSVN names mean something only on the emulated platform. */
		if (pl->emulated && rec.have_cpu_svn && cli_cpusvn_is_sim(rec.cpu_svn, &which))
			cli_err("the key of container '%s' was made at a newer platform TCB "
				"(CPUSVN %s) than the current one (%s): it is available again "
				"once the platform is back at that TCB or above",
				r->cid, fk_sim_cpusvn_name(which), fk_sim_cpusvn_name(pl->cpusvn));
		else
			cli_err("the key of container '%s' names a CPUSVN this platform does not "
				"know (a newer TCB, another platform, or a modified file)",
				r->cid);
		return CLI_EXIT_TCB;
	case FUSEKEY_ERR_FORMAT:
		if (symlink_refused(r, file_of(m), false))
			return CLI_EXIT_FORMAT;
		if (r->method == FUSEKEY_METHOD_AUTO &&
		    fk_bundle_exists(r->bundle, r->cid, FK_BUNDLE_SEALED_NAME) &&
		    fk_bundle_exists(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME)) {
			cli_err("container '%s' has both a sealed key and a derive descriptor in "
				"'%s/%s/%s/': generate leaves exactly one, so the other was put "
				"there by someone else. Give --method, or remove the file the "
				"agent did not write",
				r->cid, r->bundle, FK_BUNDLE_SUBDIR, r->cid);
			return CLI_EXIT_FORMAT;
		}
		cli_err("'%s' is not a valid fusekey %s (not a regular file, too large, or "
			"malformed): have the agent generate the key again",
			rec.path, m == FUSEKEY_METHOD_DERIVE ? "derive descriptor" : "sealed key");
		return CLI_EXIT_FORMAT;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("reading the key of container '%s' in '%s': permission denied", r->cid,
			r->bundle);
		return CLI_EXIT_PERMISSION;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "getting the key of container '%s' from '%s'", r->cid,
			 r->bundle);
		return cli_fail(st, ctx);
	}
	}
}

static int generate_failed(fusekey_status st, const struct request *r,
			   const struct cli_platform *pl)
{
	char path[PATH_MAX];

	switch (st) {
	case FUSEKEY_ERR_EXISTS: {
		fusekey_method m = fk_bundle_exists(r->bundle, r->cid, FK_BUNDLE_DERIVE_NAME)
					   ? FUSEKEY_METHOD_DERIVE
					   : FUSEKEY_METHOD_SEAL;
		if (fk_bundle_path(r->bundle, r->cid, file_of(m), path, sizeof(path)) != FUSEKEY_OK)
			path[0] = '\0';
		cli_err("container '%s' already has a key in bundle '%s' ('%s'): refusing to "
			"replace it. Use --force to replace it: the old key is lost, and a "
			"filesystem encrypted with it can no longer be opened",
			r->cid, r->bundle, path);
		return CLI_EXIT_EXISTS;
	}
	case FUSEKEY_ERR_NOT_FOUND:
		if (bundle_missing(r))
			return CLI_EXIT_NOT_FOUND;
		return cli_fail(st, "writing the key to the bundle");
	case FUSEKEY_ERR_FORMAT:
		if (symlink_refused(r, file_of(r->method), true))
			return CLI_EXIT_FORMAT;
		if (fk_bundle_path(r->bundle, r->cid, NULL, path, sizeof(path)) != FUSEKEY_OK)
			path[0] = '\0';
		cli_err("refusing to write the key into '%s': it, or '%s/%s', is not a directory, "
			"or the key file is not a regular file",
			path, r->bundle, FK_BUNDLE_SUBDIR);
		return CLI_EXIT_FORMAT;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("writing the key of container '%s' into '%s': permission denied", r->cid,
			r->bundle);
		return CLI_EXIT_PERMISSION;
	case FUSEKEY_ERR_INVALID_PARAMETER:
		cli_err("the platform refused to make the key of container '%s' under this policy "
			"(a KSS policy for a non-KSS enclave? %s)",
			r->cid, cli_kss_hint(pl));
		return CLI_EXIT_REFUSED;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "generating the key of container '%s' in '%s'", r->cid,
			 r->bundle);
		return cli_fail(st, ctx);
	}
	}
}

/* ---- the commands ---- */

#define DELIVERY_OPTS                                                                              \
	CLI_PLATFORM_OPTS, {"container", true, false, OPT_CONTAINER},                              \
		{"bundle", true, false, OPT_BUNDLE}, {"method", true, false, OPT_METHOD},          \
		{"policy", true, false, OPT_POLICY}, {"force", false, false, OPT_FORCE},           \
		{"format", true, false, OPT_FORMAT}, {"out", true, false, OPT_OUT},                \
		{"stdout", false, false, OPT_STDOUT}, {"fd", true, false, OPT_FD},                 \
		{"mount-type", true, false, OPT_MOUNT_TYPE}, {"dir", true, false, OPT_DIR},        \
		{"lowerdir", true, false, OPT_LOWERDIR}, {"upperdir", true, false, OPT_UPPERDIR},  \
	{                                                                                          \
		"key-name", true, false, OPT_KEY_NAME                                              \
	}

/* Open the platform as the enclave and wrap it for the API. */
static int open_ctx(struct request *r, const struct cli_args *a, struct cli_platform *pl,
		    fusekey_ctx **ctx)
{
	fusekey_status st;
	int rc = cli_platform_open(r->cmd, a, CLI_ENCLAVE_REQUIRED, pl);

	if (rc != CLI_EXIT_OK)
		return rc;
	st = fk_ctx_wrap(pl->p, ctx);
	if (st != FUSEKEY_OK)
		return cli_fail(st, "starting the fusekey context");
	r->ctx = *ctx;
	r->on_gramine = cli_platform_is_gramine(pl);
	return CLI_EXIT_OK;
}

int cli_cmd_generate(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		DELIVERY_OPTS,
		{"key-len", true, false, OPT_KEY_LEN},
	};
	struct fusekey_key_opts ko;
	struct cli_platform pl;
	struct request r;
	struct cli_args a;
	fusekey_ctx *ctx = NULL;
	uint8_t key[FUSEKEY_KEY_MAX];
	char pol[96], path[PATH_MAX], dest[PATH_MAX + 128];
	fusekey_status st;
	const char *lead;
	FILE *info;
	int rc;

	memset(&pl, 0, sizeof(pl));
	memset(key, 0, sizeof(key));
	rc = cli_parse("generate", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("generate", rc);
	rc = parse_request("generate", &a, false, &r);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = open_ctx(&r, &a, &pl, &ctx);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (r.policy == 0)
		r.policy = FK_SGX_KEYPOLICY_MRSIGNER;
	policy_text(r.policy, pol, sizeof(pol));
	if ((r.policy & FK_SGX_KEYPOLICY_NEEDS_KSS) && !(pl.id.flags & FK_SGX_FLAGS_KSS)) {
		cli_err("policy %s needs a KSS enclave, and enclave '%s' has no KSS attribute "
			"(%s; or drop noisvprodid/configid/familyid/extprodid/kss from "
			"--policy)",
			pol, pl.enclave_path, cli_kss_hint(&pl));
		rc = CLI_EXIT_REFUSED;
		goto out;
	}
	rc = preflight_output(&r);
	if (rc != CLI_EXIT_OK)
		goto out;
	memset(&ko, 0, sizeof(ko));
	ko.method = r.method;
	ko.policy = r.policy;
	ko.bundle_dir = r.bundle;
	ko.key_len = r.key_len;
	ko.force = r.force;
	st = fusekey_generate(ctx, r.cid, &ko, key, sizeof(key));
	if (st != FUSEKEY_OK) {
		rc = generate_failed(st, &r, &pl);
		goto out;
	}
	if (fk_bundle_path(r.bundle, r.cid, file_of(r.method), path, sizeof(path)) != FUSEKEY_OK)
		path[0] = '\0';
	/* The summary is a result (stdout), unless the key itself goes there. */
	info = key_on_stdout(&r.out) ? stderr : stdout;
	lead = info == stderr ? "fusekey: " : "";
	fprintf(info, "%sgenerated a %zu-byte key for container '%s' (method %s, policy %s): %s "
		      "(mode 0600)\n",
		lead, r.key_len, r.cid, method_name(r.method), pol, path);
	fflush(info);
	rc = emit_key(&r, key, r.key_len);
	if (rc != CLI_EXIT_OK) {
		cli_err("the key is stored in the bundle, but was not delivered in form %s; get it "
			"with 'fusekey get --container %s --bundle %s'",
			form_names[r.out.form], r.cid, r.bundle);
		goto out;
	}
	if (r.out.dest != DEST_NONE || r.out.form == FORM_GRAMINE) {
		describe_dest(&r.out, dest, sizeof(dest));
		fprintf(info, "%sthe key, in form %s, went to %s\n", lead, form_names[r.out.form],
			dest);
	}
out:
	fusekey_wipe(key, sizeof(key));
	fusekey_ctx_free(ctx);
	cli_platform_close(&pl);
	return rc;
}

/*
 * Replace this process with the app (`get --exec`): inside a libOS the app
 * then runs in this enclave, with what was installed for it (Gramine keeps
 * encrypted-FS keys per process). Called after the key is wiped and the
 * context closed; returns only on failure.
 */
static int exec_app(char **exec_argv)
{
	int e;

	fflush(NULL);
	cli_restore_core_dumps(); /* the app's own limit, not fusekey's */
	execvp(exec_argv[0], exec_argv);
	e = errno;
	cli_err("cannot run '%s' (--exec): %s", exec_argv[0], strerror(e));
	/* As env(1) and the shells: 127 not found, 126 found but not runnable. */
	return e == ENOENT || e == ENOTDIR ? 127 : 126;
}

int cli_cmd_get(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		DELIVERY_OPTS,
		{"socket", true, false, OPT_SOCKET},
		{"agent-mrenclave", true, false, OPT_AGENT_MRENCLAVE},
		{"agent-mrsigner", true, false, OPT_AGENT_MRSIGNER},
		{"agent-isvprodid", true, false, OPT_AGENT_PRODID},
		{"agent-min-svn", true, false, OPT_AGENT_MIN_SVN},
		{"agent-allow-debug", false, false, OPT_AGENT_DEBUG},
		{"launch-digest", true, false, OPT_LAUNCH_DIGEST},
		{"no-fallback", false, false, OPT_NO_FALLBACK},
		{"timeout-ms", true, false, OPT_TIMEOUT_MS},
	};
	struct fusekey_key_opts ko;
	struct cli_platform pl;
	struct request r;
	struct cli_args a;
	fusekey_ctx *ctx = NULL;
	uint8_t key[FUSEKEY_KEY_MAX];
	size_t key_len = sizeof(key);
	char dest[PATH_MAX + 128], pol[96];
	struct cli_recorded rec;
	char **exec_argv = NULL;
	fusekey_status st;
	int rc;

	memset(&pl, 0, sizeof(pl));
	memset(key, 0, sizeof(key));
	/* --exec PROG [ARG...]: the last option; every word after it is the program's. */
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--exec", 6) == 0 && (argv[i][6] == '\0' || argv[i][6] == '=')) {
			if (argv[i][6] == '=' || i + 1 >= argc)
				return cli_usage_err("get", "--exec needs the program and its "
							    "arguments after it: --exec PROG [ARG...]");
			exec_argv = argv + i + 1;
			argc = i;
			break;
		}
	}
	rc = cli_parse("get", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), 0, &a);
	if (rc != CLI_PARSE_OK)
		return help_or_usage("get", rc);
	rc = parse_request("get", &a, true, &r);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = open_ctx(&r, &a, &pl, &ctx);
	if (rc == CLI_EXIT_OK)
		rc = preflight_output(&r);
	if (rc != CLI_EXIT_OK)
		goto out;
	memset(&ko, 0, sizeof(ko));
	ko.method = r.method;
	ko.policy = r.policy;
	ko.bundle_dir = r.bundle;
	ko.socket_path = r.socket_path;
	ko.agent = r.socket_path != NULL ? &r.agent : NULL;
	ko.launch_digest = r.has_launch ? r.launch_digest : NULL;
	ko.no_fallback = r.no_fallback;
	ko.timeout_ms = r.timeout_ms;
	if (r.socket_path != NULL) {
		/* la first; the CLI does the fallback itself so that it can say so. */
		ko.method = FUSEKEY_METHOD_LA;
		st = fusekey_get(ctx, r.cid, &ko, key, &key_len);
		if (st == FUSEKEY_ERR_UNAVAILABLE && r.method == FUSEKEY_METHOD_AUTO &&
		    !r.no_fallback) {
			cli_warn("the key service at '%s' cannot be reached: falling back to the "
				 "key the agent sealed in the bundle",
				 r.socket_path);
			ko.method = FUSEKEY_METHOD_AUTO;
			ko.socket_path = NULL;
			key_len = sizeof(key);
			st = fusekey_get(ctx, r.cid, &ko, key, &key_len);
		} else if (st == FUSEKEY_OK) {
			r.method = FUSEKEY_METHOD_LA;
		}
	} else {
		st = fusekey_get(ctx, r.cid, &ko, key, &key_len);
	}
	if (st != FUSEKEY_OK) {
		rc = get_failed(st, &r, &pl);
		goto out;
	}
	rc = emit_key(&r, key, key_len);
	if (rc != CLI_EXIT_OK)
		goto out;
	describe_dest(&r.out, dest, sizeof(dest));
	if (r.method == FUSEKEY_METHOD_LA) {
		fprintf(stderr,
			"fusekey: got the %zu-byte key of container '%s' (method la, from the key "
			"service at %s after local attestation); in form %s to %s\n",
			key_len, r.cid, r.socket_path, form_names[r.out.form], dest);
		goto out;
	}
	cli_recorded_read(r.bundle, r.cid, used_method(&r), &rec);
	policy_text(rec.policy, pol, sizeof(pol));
	fprintf(stderr,
		"fusekey: got the %zu-byte key of container '%s' (method %s, policy %s); in form "
		"%s to %s\n",
		key_len, r.cid, method_name(rec.method), rec.have_policy ? pol : "unknown",
		form_names[r.out.form], dest);
out:
	fusekey_wipe(key, sizeof(key));
	fusekey_ctx_free(ctx);
	cli_platform_close(&pl);
	if (rc == CLI_EXIT_OK && exec_argv != NULL)
		rc = exec_app(exec_argv);
	return rc;
}
