/* SPDX-License-Identifier: Apache-2.0 */
/* Shared CLI machinery: exit codes, messages, options, value parsing, I/O. */
#include "cli_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "crypto/fk_crypto.h"
#include "util/fk_file.h"
#include "util/fk_hex.h"

/* ---- exit codes ---- */

/* The one mapping from library status to exit code (docs/cli.md "Exit codes"). */
static const struct {
	fusekey_status st;
	int code;
} exit_table[] = {
	{FUSEKEY_OK, CLI_EXIT_OK},
	{FUSEKEY_ERR_INVALID_PARAMETER, CLI_EXIT_REFUSED},
	{FUSEKEY_ERR_MAC_MISMATCH, CLI_EXIT_AUTH},
	{FUSEKEY_ERR_INVALID_ATTRIBUTE, CLI_EXIT_REFUSED},
	{FUSEKEY_ERR_INVALID_CPUSVN, CLI_EXIT_TCB},
	{FUSEKEY_ERR_INVALID_ISVSVN, CLI_EXIT_TCB},
	{FUSEKEY_ERR_INVALID_KEYNAME, CLI_EXIT_REFUSED},
	{FUSEKEY_ERR_UNEXPECTED, CLI_EXIT_INTERNAL},
	{FUSEKEY_ERR_NO_MEMORY, CLI_EXIT_INTERNAL},
	{FUSEKEY_ERR_CRYPTO, CLI_EXIT_INTERNAL},
	{FUSEKEY_ERR_IO, CLI_EXIT_IO},
	{FUSEKEY_ERR_NOT_FOUND, CLI_EXIT_NOT_FOUND},
	{FUSEKEY_ERR_EXISTS, CLI_EXIT_EXISTS},
	{FUSEKEY_ERR_FORMAT, CLI_EXIT_FORMAT},
	{FUSEKEY_ERR_INVALID_SIGSTRUCT, CLI_EXIT_FORMAT},
	{FUSEKEY_ERR_INVALID_SIGNATURE, CLI_EXIT_FORMAT},
	{FUSEKEY_ERR_NO_PLATFORM, CLI_EXIT_NO_PLATFORM},
	{FUSEKEY_ERR_PERMISSION, CLI_EXIT_PERMISSION},
	{FUSEKEY_ERR_INVALID_STATE, CLI_EXIT_INTERNAL},
	{FUSEKEY_ERR_KDF_MISMATCH, CLI_EXIT_AUTH},
	{FUSEKEY_ERR_WRONG_IDENTITY, CLI_EXIT_WRONG_IDENTITY},
	{FUSEKEY_ERR_WRONG_CONTAINER, CLI_EXIT_WRONG_CONTAINER},
	{FUSEKEY_ERR_TRUNCATED, CLI_EXIT_TRUNCATED},
	{FUSEKEY_ERR_POLICY_MISMATCH, CLI_EXIT_POLICY},
	{FUSEKEY_ERR_HANDSHAKE, CLI_EXIT_AUTH},
	{FUSEKEY_ERR_PEER_IDENTITY, CLI_EXIT_WRONG_IDENTITY},
	{FUSEKEY_ERR_EXHAUSTED, CLI_EXIT_INTERNAL},
	{FUSEKEY_ERR_UNAVAILABLE, CLI_EXIT_UNAVAILABLE},
	{FUSEKEY_ERR_TIMEOUT, CLI_EXIT_UNAVAILABLE},
	{FUSEKEY_ERR_REFUSED, CLI_EXIT_REFUSED_RELEASE},
};

int cli_exit_for_status(fusekey_status st)
{
	for (size_t i = 0; i < sizeof(exit_table) / sizeof(exit_table[0]); i++) {
		if (exit_table[i].st == st)
			return exit_table[i].code;
	}
	return CLI_EXIT_INTERNAL;
}

/* ---- messages ---- */

static void vmsg(const char *kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "fusekey: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

static const char *status_hint(fusekey_status st)
{
	switch (st) {
	case FUSEKEY_ERR_NOT_FOUND:
		return "check the path";
	case FUSEKEY_ERR_EXISTS:
		return "refusing to overwrite it; use --force to replace it";
	case FUSEKEY_ERR_PERMISSION:
		return "check the owner and mode of the file and its directory";
	case FUSEKEY_ERR_FORMAT:
		return "check that this is the right file (too large, not a regular file, a "
		       "symlink, or wrong content)";
	case FUSEKEY_ERR_IO:
		return "check the disk and the path";
	case FUSEKEY_ERR_NO_MEMORY:
		return "out of memory";
	case FUSEKEY_ERR_MAC_MISMATCH:
		return "wrong enclave, signer or policy, or the data was modified";
	case FUSEKEY_ERR_WRONG_IDENTITY:
		return "run as an enclave the key's policy names";
	case FUSEKEY_ERR_WRONG_CONTAINER:
		return "the host moved or copied another container's key here";
	case FUSEKEY_ERR_TRUNCATED:
		return "the file was cut short; restore it or generate the key again";
	case FUSEKEY_ERR_POLICY_MISMATCH:
		return "the key was made under another policy than the one required";
	case FUSEKEY_ERR_UNAVAILABLE:
		return "is fusekeyd running, and is --socket its socket?";
	case FUSEKEY_ERR_TIMEOUT:
		return "the key service did not answer in time";
	case FUSEKEY_ERR_REFUSED:
		return "the agent's release policy does not allow this enclave this container's "
		       "key: its log says why";
	case FUSEKEY_ERR_PEER_IDENTITY:
		return "the key service is not the agent enclave named by --agent-*";
	case FUSEKEY_ERR_HANDSHAKE:
		return "local attestation failed: the peer is not an enclave of this platform, or "
		       "a message was modified";
	default:
		return NULL;
	}
}

int cli_fail(fusekey_status st, const char *what)
{
	const char *hint = status_hint(st);
	if (hint != NULL)
		cli_err("%s: %s (%s)", what, fusekey_status_str(st), hint);
	else
		cli_err("%s: %s [%s]", what, fusekey_status_str(st), fusekey_status_name(st));
	return cli_exit_for_status(st);
}

int cli_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'fusekey help %s' for usage.\n", cmd);
	return CLI_EXIT_USAGE;
}

/* ---- options ---- */

static const struct cli_opt *find_opt(const struct cli_opt *opts, size_t n, const char *name,
				      size_t name_len)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(opts[i].name) == name_len && strncmp(opts[i].name, name, name_len) == 0)
			return &opts[i];
	}
	return NULL;
}

int cli_parse(const char *cmd, int argc, char **argv, const struct cli_opt *opts, size_t nopts,
	      size_t max_pos, struct cli_args *out)
{
	bool only_pos = false;

	memset(out, 0, sizeof(*out));
	if (max_pos > CLI_MAX_POSITIONAL)
		max_pos = CLI_MAX_POSITIONAL;
	/* --help wins wherever it is (before "--"), even after a bad option. */
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return CLI_PARSE_HELP;
	}
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		const struct cli_opt *o;
		const char *name, *eq, *val = NULL;
		size_t name_len;

		if (!only_pos && strcmp(w, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (only_pos || w[0] != '-' || strcmp(w, "-") == 0) {
			if (out->npos >= max_pos)
				return cli_usage_err(cmd, "unexpected argument '%s'", w);
			out->pos[out->npos++] = w;
			continue;
		}
		if (w[1] != '-')
			return cli_usage_err(cmd, "unknown option '%s' (options are long: --name)",
					     w);
		name = w + 2;
		eq = strchr(name, '=');
		name_len = eq ? (size_t)(eq - name) : strlen(name);
		o = find_opt(opts, nopts, name, name_len);
		if (o == NULL)
			return cli_usage_err(cmd, "unknown option '--%.*s' for '%s'", (int)name_len,
					     name, cmd);
		if (o->has_arg) {
			if (eq != NULL) {
				val = eq + 1;
			} else {
				if (i + 1 >= argc)
					return cli_usage_err(cmd, "option '--%s' needs a value",
							     o->name);
				val = argv[++i];
				/* "--out --force": a forgotten value, not a file "--force". */
				if (strncmp(val, "--", 2) == 0 && val[2] != '\0')
					return cli_usage_err(
						cmd,
						"option '--%s' needs a value, got the "
						"option '%s' (use --%s=VALUE for a value "
						"starting with --)",
						o->name, val, o->name);
			}
		} else if (eq != NULL) {
			return cli_usage_err(cmd, "option '--%s' takes no value", o->name);
		}
		if (o->repeatable) {
			if (out->nmulti >= CLI_MAX_MEASURE_FILES)
				return cli_usage_err(cmd, "too many '--%s' (at most %d)", o->name,
						     CLI_MAX_MEASURE_FILES);
			out->multi[out->nmulti++] = val;
		} else if (out->has[o->id]) {
			return cli_usage_err(cmd, "option '--%s' given twice", o->name);
		}
		out->has[o->id] = true;
		out->val[o->id] = val ? val : "";
	}
	return CLI_PARSE_OK;
}

/* ---- strict value parsing ---- */

static int hexval(char c)
{
	return fk_hex_digit(c, FK_HEX_ANY_CASE);
}

static const char *skip_0x(const char *s)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return s + 2;
	return s;
}

bool cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	const char *d;
	unsigned long long v;
	char *end = NULL;
	int base = 10;

	if (s == NULL || s[0] == '\0')
		return false;
	d = skip_0x(s);
	if (d != s)
		base = 16;
	if (d[0] == '\0' || strlen(d) > 20)
		return false;
	for (const char *c = d; *c != '\0'; c++) {
		if (base == 16 ? hexval(*c) < 0 : (*c < '0' || *c > '9'))
			return false;
	}
	errno = 0;
	v = strtoull(d, &end, base);
	if (errno != 0 || end == NULL || *end != '\0' || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

bool cli_parse_hex_u64(const char *s, uint64_t *out)
{
	const char *d;
	uint64_t v = 0;
	size_t n;

	if (s == NULL)
		return false;
	d = skip_0x(s);
	n = strlen(d);
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(d[i]);
		if (h < 0)
			return false;
		v = v << 4 | (uint64_t)h;
	}
	*out = v;
	return true;
}

static bool hex_decode(const char *d, size_t digits, uint8_t *out)
{
	for (size_t i = 0; i < digits / 2; i++) {
		int hi = hexval(d[2 * i]), lo = hexval(d[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool cli_parse_hex_exact(const char *s, uint8_t *out, size_t n)
{
	const char *d;

	if (s == NULL)
		return false;
	d = skip_0x(s);
	if (strlen(d) != 2 * n)
		return false;
	return hex_decode(d, 2 * n, out);
}

bool cli_parse_hex_alloc(const char *s, size_t max, uint8_t **out, size_t *out_len)
{
	const char *d;
	size_t digits;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (s == NULL)
		return false;
	d = skip_0x(s);
	digits = strlen(d);
	if (digits == 0 || digits % 2 != 0 || digits / 2 > max)
		return false;
	buf = malloc(digits / 2);
	if (buf == NULL)
		return false;
	if (!hex_decode(d, digits, buf)) {
		fk_file_free(buf, digits / 2);
		return false;
	}
	*out = buf;
	*out_len = digits / 2;
	return true;
}

void cli_hex(const uint8_t *p, size_t n, char *buf)
{
	fk_hex_encode(p, n, buf);
}

/* ---- input and output ---- */

static int read_stdin(size_t max, const char *what, uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(max + 1);
	size_t got = 0;

	if (buf == NULL) {
		cli_err("%s: out of memory", what);
		return CLI_EXIT_INTERNAL;
	}
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_err("%s: reading standard input failed: %s", what, strerror(errno));
			fk_file_free(buf, got);
			return CLI_EXIT_IO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			cli_err("%s: standard input is larger than the limit of %zu bytes", what,
				max);
			fk_file_free(buf, got);
			return CLI_EXIT_FORMAT;
		}
	}
	*out = buf;
	*len = got;
	return CLI_EXIT_OK;
}

int cli_read_input(const char *path, size_t max, const char *what, uint8_t **out, size_t *len)
{
	fusekey_status st;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		return read_stdin(max, what, out, len);
	st = fk_file_read(path, max, out, len);
	switch (st) {
	case FUSEKEY_OK:
		return CLI_EXIT_OK;
	case FUSEKEY_ERR_NOT_FOUND:
		cli_err("%s '%s' not found", what, path);
		return CLI_EXIT_NOT_FOUND;
	case FUSEKEY_ERR_FORMAT:
		cli_err("%s '%s': not a regular file, a symlink, or larger than the limit of "
			"%zu bytes",
			what, path, max);
		return CLI_EXIT_FORMAT;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("%s '%s': permission denied", what, path);
		return CLI_EXIT_PERMISSION;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "%s '%s'", what, path);
		return cli_fail(st, ctx);
	}
	}
}

int cli_write_file(const char *path, const void *data, size_t len, unsigned mode, bool force,
		   const char *what)
{
	fusekey_status st = fk_file_write_atomic(path, data, len, (mode_t)mode, force);
	switch (st) {
	case FUSEKEY_OK:
		return CLI_EXIT_OK;
	case FUSEKEY_ERR_EXISTS:
		cli_err("%s '%s' already exists: refusing to overwrite it (use --force to "
			"replace it)",
			what, path);
		return CLI_EXIT_EXISTS;
	case FUSEKEY_ERR_NOT_FOUND:
		cli_err("%s '%s': the directory does not exist", what, path);
		return CLI_EXIT_NOT_FOUND;
	case FUSEKEY_ERR_FORMAT:
		cli_err("%s '%s': refusing to write through a symlink or over a non-regular "
			"file",
			what, path);
		return CLI_EXIT_FORMAT;
	case FUSEKEY_ERR_PERMISSION:
		cli_err("%s '%s': permission denied", what, path);
		return CLI_EXIT_PERMISSION;
	default: {
		char ctx[PATH_MAX + 64];
		snprintf(ctx, sizeof(ctx), "writing %s '%s'", what, path);
		return cli_fail(st, ctx);
	}
	}
}

int cli_write_stdout(const void *data, size_t len)
{
	const uint8_t *p = data;

	fflush(stdout);
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_err("writing to standard output failed: %s",
				n < 0 ? strerror(errno) : "short write");
			return CLI_EXIT_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return CLI_EXIT_OK;
}

static struct rlimit saved_core;
static bool have_saved_core;

void cli_disable_core_dumps(void)
{
	struct rlimit no_core;

	if (getrlimit(RLIMIT_CORE, &saved_core) == 0) {
		have_saved_core = true;
		no_core.rlim_cur = 0;
		no_core.rlim_max = saved_core.rlim_max;
	} else {
		no_core.rlim_cur = 0;
		no_core.rlim_max = 0;
	}
	(void)setrlimit(RLIMIT_CORE, &no_core);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void cli_restore_core_dumps(void)
{
	if (have_saved_core)
		(void)setrlimit(RLIMIT_CORE, &saved_core);
}

const char *cli_printable(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s), show = n > 64 ? 64 : n;

	if (len < 68) {
		buf[0] = '\0';
		return buf;
	}
	for (size_t i = 0; i < show; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	memcpy(buf + show, n > show ? "..." : "", n > show ? 4 : 1);
	return buf;
}
