/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared pieces of the fusekey CLI, declared once for its files:
 *   cli_common.c    exit codes and the one status -> exit code table, messages,
 *                   the strict option parser, hex and integer parsing, bounded
 *                   input, atomic output
 *   cli_platform.c  platform selection (auto-detection, gramine, occlum, sim),
 *                   opening it "as an enclave"
 *   cli_libos_seam.h  the test-only seam after the emulated platform opens
 *   cli_output.c    flag and policy names, identities as text and JSON
 *   fusekey.c       main, dispatch, help texts; cli_sim/seal/inspect.c commands
 *                   (cli_sim.c also `fusekey platform`)
 *   cli_delivery.c  generate and get: the FUSE key of a container (public API)
 *
 * Every command returns an exit code (enum cli_exit). Errors are printed once,
 * where they are detected, as "fusekey: error: <what>: <why>" plus a hint on
 * what to do, to stderr. No message ever contains secret bytes.
 */
#ifndef FK_CLI_COMMON_H
#define FK_CLI_COMMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "fusekey/fusekey.h"
#include "platform/fk_detect.h"
#include "platform/fk_sim.h"
#include "sgx/fk_sgx.h"

/* Exit codes: documented in `fusekey --help` and docs/cli.md. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_INTERNAL = 1,	  /* internal or unexpected failure */
	CLI_EXIT_USAGE = 2,	  /* bad option or argument */
	CLI_EXIT_NO_PLATFORM = 3, /* no SGX platform selected or available */
	CLI_EXIT_AUTH = 4,	  /* authentication failure (wrong enclave, tampered blob) */
	CLI_EXIT_TCB = 5,	  /* CPUSVN/ISVSVN too low to unseal */
	CLI_EXIT_FORMAT = 6,	  /* invalid input format, SIGSTRUCT or signature */
	CLI_EXIT_NOT_FOUND = 7,	  /* file or state directory missing */
	CLI_EXIT_EXISTS = 8,	  /* refusing to overwrite */
	CLI_EXIT_PERMISSION = 9,  /* unsafe modes / permission denied */
	CLI_EXIT_REFUSED = 10,	  /* parameter or policy refused */
	CLI_EXIT_IO = 11,	  /* I/O error */
	/* fusekey get: why the key of a container was refused (docs/delivery.md). */
	CLI_EXIT_WRONG_IDENTITY = 12,  /* key made for another enclave identity */
	CLI_EXIT_WRONG_CONTAINER = 13, /* authentic key of another container */
	CLI_EXIT_TRUNCATED = 14,       /* key file cut short */
	CLI_EXIT_POLICY = 15,	       /* key made under another policy than required */
	CLI_EXIT_UNAVAILABLE = 16,     /* key service unreachable or timed out */
	CLI_EXIT_REFUSED_RELEASE = 17, /* key service refused the release */
};

/* Input bounds (documented in docs/cli.md). */
#define CLI_MAX_SEAL_INPUT (1024u * 1024u)	   /* seal --in: 1 MiB */
#define CLI_MAX_AAD (1024u * 1024u)		   /* --aad-file / --aad-hex: 1 MiB */
#define CLI_MAX_BLOB (4u * 1024u * 1024u)	   /* unseal / inspect input: 4 MiB */
#define CLI_MAX_MEASURE_FILE (16u * 1024u * 1024u) /* each --measure file: 16 MiB */
#define CLI_MAX_MEASURE_FILES 16
#define CLI_MAX_POSITIONAL 4

/* The one table from library status to exit code. */
int cli_exit_for_status(fusekey_status st);

/* "fusekey: error: ..." to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fusekey: warning: ..." to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Report a library failure about `what` (a file name or an action) with the
 * status description and a generic hint for the status; returns the exit code.
 */
int cli_fail(fusekey_status st, const char *what);

/* ---- options ---- */

enum cli_opt_id {
	OPT_NONE = 0,
	OPT_HELP,
	/* platform */
	OPT_PLATFORM,
	OPT_SIM_DIR,
	OPT_ENCLAVE,
	OPT_CONFIG_ID,
	OPT_CONFIG_SVN,
	/* common */
	OPT_JSON,
	OPT_FORCE,
	OPT_OUT,
	OPT_IN,
	/* sim */
	OPT_MODE,
	OPT_CPUSVN,
	OPT_KEY,
	OPT_MRENCLAVE,
	OPT_MEASURE,
	OPT_PRODID,
	OPT_SVN,
	OPT_DEBUG,
	OPT_KSS,
	OPT_FAMILY_ID,
	OPT_EXT_PRODID,
	OPT_MISC_SELECT,
	OPT_DATE,
	/* seal / unseal */
	OPT_AAD_FILE,
	OPT_AAD_HEX,
	OPT_POLICY,
	OPT_ATTR_MASK,
	OPT_XFRM_MASK,
	OPT_MISC_MASK,
	OPT_STDOUT,
	OPT_AAD_OUT,
	/* inspect */
	OPT_TYPE,
	/* generate / get */
	OPT_CONTAINER,
	OPT_BUNDLE,
	OPT_METHOD,
	OPT_KEY_LEN,
	OPT_FORMAT,
	OPT_FD,
	OPT_MOUNT_TYPE,
	OPT_DIR,
	OPT_LOWERDIR,
	OPT_UPPERDIR,
	OPT_GRAMINE_DIR,
	OPT_KEY_NAME,
	/* la: fusekey get, fusekeyd */
	OPT_SOCKET,
	OPT_AGENT_MRENCLAVE,
	OPT_AGENT_MRSIGNER,
	OPT_AGENT_PRODID,
	OPT_AGENT_MIN_SVN,
	OPT_AGENT_DEBUG,
	OPT_LAUNCH_DIGEST,
	OPT_NO_FALLBACK,
	OPT_TIMEOUT_MS,
	OPT_RELEASE_POLICY,
	OPT_ALLOW_UID,
	OPT_ALLOW_GID,
	OPT_SESSION_TTL_MS,
	OPT_MAX_SESSIONS,
	OPT_MAX_CONNECTIONS,
	OPT_CONN_TIMEOUT_MS,
	OPT_LOG_FILE,
	OPT_CONFIG, /* launch-digest --config */
	OPT_OCCLUM_DEVICE,
	OPT__COUNT
};

struct cli_opt {
	const char *name; /* long name without "--" */
	bool has_arg;
	bool repeatable; /* values collected in cli_args.multi (only --measure) */
	enum cli_opt_id id;
};

/* The platform options of every command that runs as an enclave (and fusekeyd). */
#define CLI_PLATFORM_OPTS                                                                          \
	{"platform", true, false, OPT_PLATFORM}, {"sim-dir", true, false, OPT_SIM_DIR},            \
		{"enclave", true, false, OPT_ENCLAVE}, {"config-id", true, false, OPT_CONFIG_ID},  \
		{"config-svn", true, false, OPT_CONFIG_SVN},                                       \
		{"gramine-dir", true, false, OPT_GRAMINE_DIR},                                     \
	{                                                                                          \
		"occlum-device", true, false, OPT_OCCLUM_DEVICE                                    \
	}

struct cli_args {
	bool has[OPT__COUNT];
	const char *val[OPT__COUNT];
	const char *multi[CLI_MAX_MEASURE_FILES];
	size_t nmulti;
	const char *pos[CLI_MAX_POSITIONAL];
	size_t npos;
};

enum { CLI_PARSE_OK = -1, CLI_PARSE_HELP = -2 };

/*
 * Parse argv[0..argc) (the words after the command name) against `opts`.
 * Accepts "--name value", "--name=value", "-h", "--" and the single "-" as a
 * positional. Exact names only (no abbreviations); an option given twice is an
 * error unless repeatable. Returns CLI_PARSE_OK, CLI_PARSE_HELP (--help seen),
 * or CLI_EXIT_USAGE after printing the error.
 */
int cli_parse(const char *cmd, int argc, char **argv, const struct cli_opt *opts, size_t nopts,
	      size_t max_pos, struct cli_args *out);

/*
 * No core dumps while keys and plaintext pass through this process: the soft
 * RLIMIT_CORE goes to 0 (the hard limit is kept) and the process is made
 * not dumpable. cli_restore_core_dumps puts the soft limit back, for a
 * program this process is replaced with (`get --exec`).
 */
void cli_disable_core_dumps(void);
void cli_restore_core_dumps(void);

/*
 * s for an error message: at most 64 characters, anything not printable
 * ASCII as '?', "..." when cut. buf holds at least 68 bytes (else empty).
 */
const char *cli_printable(const char *s, char *buf, size_t len);

/* "fusekey: error: ...", then "try 'fusekey help CMD'"; returns CLI_EXIT_USAGE. */
int cli_usage_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- strict value parsing (all return false on any deviation) ---- */

/* Decimal "0".."max", or "0x" + hex digits; no sign, no spaces, no octal. */
bool cli_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Hex digits only (optional 0x), 1..16 digits: a 64-bit mask. */
bool cli_parse_hex_u64(const char *s, uint64_t *out);
/* Exactly 2*n hex digits (optional 0x) into n bytes. */
bool cli_parse_hex_exact(const char *s, uint8_t *out, size_t n);
/* Even number of hex digits, at most 2*max; *out malloc'd (free with fk_file_free). */
bool cli_parse_hex_alloc(const char *s, size_t max, uint8_t **out, size_t *out_len);
/* Lowercase hex of n bytes into buf (2n+1). */
void cli_hex(const uint8_t *p, size_t n, char *buf);

/* ---- input and output ---- */

/*
 * Read `path` ("-" = standard input) of at most max bytes. Errors are printed
 * (naming `what`, e.g. "seal input") and returned as an exit code; on success
 * returns CLI_EXIT_OK and *out must be freed with fk_file_free (which wipes).
 */
int cli_read_input(const char *path, size_t max, const char *what, uint8_t **out, size_t *len);

/* Atomic write, printed error on failure (EXISTS -> "use --force"). */
int cli_write_file(const char *path, const void *data, size_t len, unsigned mode, bool force,
		   const char *what);

/* write(2) all of data to fd 1 (no stdio buffer holds it afterwards). */
int cli_write_stdout(const void *data, size_t len);

/* ---- names of flags and policies ---- */

/*
 * "mrsigner,noisvprodid" -> key policy bits (words: mrsigner, mrenclave,
 * noisvprodid, configid, familyid, extprodid, kss; case-insensitive). On an
 * unknown word returns false and copies it (shortened) into bad.
 */
bool cli_parse_policy(const char *s, uint16_t *out, char *bad, size_t bad_len);

/* "INITTED|DEBUG|MODE64BIT" (+ "|0x..." for unknown bits; "none" for 0). */
void cli_attr_names(uint64_t flags, char *buf, size_t len);
/* "MRSIGNER|NOISVPRODID" (+ "|0x.." for reserved bits; "none" for 0). */
void cli_policy_names(uint16_t policy, char *buf, size_t len);
const char *cli_key_name(uint16_t key_name); /* "SEAL", ... or "unknown" */
/* One of the three emulator CPUSVN values? Sets *which. */
bool cli_cpusvn_is_sim(const uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE], enum fk_sim_cpusvn *which);

/* ---- output of identities and fields ---- */

/* "  name: value" lines of an identity (SECS fields), each prefixed by indent. */
void cli_identity_print(FILE *f, const char *indent, const struct fk_sgx_identity *id);
/* The same as a JSON object (NULL on allocation failure). */
json_t *cli_identity_json(const struct fk_sgx_identity *id);
/* JSON helpers: hex string of bytes, "0x%016llx"-style strings; NULL-safe set. */
json_t *cli_json_hex(const uint8_t *p, size_t n);
json_t *cli_json_u64hex(uint64_t v, int width);
json_t *cli_json_names(uint64_t v, void (*fn)(uint64_t, char *, size_t));
/* Dump obj (indented) to stdout and release it; CLI_EXIT_INTERNAL if NULL or failing. */
int cli_json_print(json_t *obj);
/* Adapter for cli_json_names. */
void cli_attr_names_u64(uint64_t flags, char *buf, size_t len);
void cli_policy_names_u64(uint64_t policy, char *buf, size_t len);
/* Print hex of n bytes to f (no newline). */
void cli_print_hex(FILE *f, const uint8_t *p, size_t n);

/* ---- the platform ---- */

/*
 * Which platform: --platform / FUSEKEY_PLATFORM, default auto. auto tries
 * Gramine (--gramine-dir / FUSEKEY_GRAMINE_DIR, default /dev/attestation),
 * then Occlum (--occlum-device / FUSEKEY_OCCLUM_DEVICE, default /dev/sgx),
 * and never the emulated platform: only an explicit "sim" gets that.
 */
struct cli_selection {
	enum fk_platform_kind kind; /* as requested */
	const char *requested_by;   /* "--platform", "FUSEKEY_PLATFORM" or "default" */
	const char *gramine_dir;    /* resolved, never NULL */
	const char *occlum_device;  /* resolved, never NULL */
	const char *chosen;	    /* "sim", "gramine", "occlum"; NULL if none (yet) */
	bool probed;		    /* detection ran: det holds its lines */
	struct fk_detect_result det;
};

/*
 * Resolve the selection; with probe, also run detection for auto, gramine
 * and occlum (sim is never probed). Prints errors: unknown name -> exit 2;
 * nothing detected -> exit 3, the lines of every candidate tried and the
 * hint to pass --platform sim.
 */
int cli_platform_select(const char *cmd, const struct cli_args *a, bool probe,
			struct cli_selection *sel);
/* The selection as "  name: what was seen" lines, and as JSON (NULL on allocation failure). */
void cli_selection_print(FILE *f, const struct cli_selection *sel);
json_t *cli_selection_json(const struct cli_selection *sel);

struct cli_platform {
	struct cli_selection sel;
	const char *name; /* "sim", "gramine", "occlum" (the backend's ops name) */
	bool emulated;	  /* the emulated platform (also under a test seam) */
	/* The emulated platform only: */
	char dir[PATH_MAX];
	enum fk_sim_mode mode;
	enum fk_sim_cpusvn cpusvn;
	/* The enclave: */
	bool have_enclave;
	const char *enclave_path; /* sim: its SIGSTRUCT; else "this Gramine enclave", ... */
	struct fk_sgx_identity id;
	struct fk_platform *p; /* only when have_enclave */
};

enum cli_enclave_need { CLI_ENCLAVE_OPTIONAL, CLI_ENCLAVE_REQUIRED };

/*
 * Select the platform (cli_platform_select) and open it as the enclave.
 * sim: load the state directory, print the EMULATED banner, and run the
 * emulated EINIT on the enclave's SIGSTRUCT (--enclave / FUSEKEY_ENCLAVE,
 * required when need says so) with --config-id / --config-svn.
 * gramine, occlum (explicit or detected): open that backend; the enclave is
 * the one fusekey runs in (--enclave and the config options are refused).
 * Prints errors; returns an exit code. Close with cli_platform_close.
 */
int cli_platform_open(const char *cmd, const struct cli_args *a, enum cli_enclave_need need,
		      struct cli_platform *out);
void cli_platform_close(struct cli_platform *pl);
/* The Gramine root: --gramine-dir, else FUSEKEY_GRAMINE_DIR, else /dev/attestation. */
const char *cli_gramine_dir(const struct cli_args *a);
/* What to do to get a KSS enclave on this platform (for "needs a KSS enclave" messages). */
const char *cli_kss_hint(const struct cli_platform *pl);
/* The platform is Gramine (real, or the Gramine backend under a test seam). */
bool cli_platform_is_gramine(const struct cli_platform *pl);
/* Report a failure to load or change the state in dir (not initialised -> 7 with
 * "run fusekey sim init", unsafe modes -> 9); returns the exit code. */
int cli_sim_state_error(fusekey_status st, const char *dir, const char *action);

/* One line describing a mode, for banners and `sim show`. */
const char *cli_mode_note(enum fk_sim_mode mode);
/* Print FK_SIM_BANNER and the mode to stderr. */
void cli_banner(enum fk_sim_mode mode);

/* ---- what the bundle files record in clear (cli_bundle.c) ---- */

/* The seal binding (AAD of a sealed FUSE key, fk_wire.h), decoded. */
struct cli_binding {
	uint16_t version;
	uint8_t method;
	uint8_t key_len;
	uint16_t key_policy;
	uint16_t cid_len;
	char cid[FUSEKEY_CONTAINER_ID_MAX + 1]; /* "" unless cid_valid */
	bool cid_valid;				/* a valid id, zero-padded */
	/* The sealer: mr_enclave, mr_signer, flags, isv_prod_id, isv_svn (rest zero). */
	struct fk_sgx_identity maker;
	bool reserved_zero;
};
/* False unless len is 240 and the magic is "FUSEKEY1". */
bool cli_binding_decode(const uint8_t *aad, size_t len, struct cli_binding *b);
/* A consistent sealed blob whose AAD is a binding? (info is filled when it parses.) */
struct fk_sealed_info;
bool cli_sealed_key_decode(const uint8_t *blob, size_t len, struct fk_sealed_info *info,
			   struct cli_binding *b);
/* Exactly 2n lowercase hex digits (derive.json's spelling). */
bool cli_hex_lower_exact(const char *s, uint8_t *out, size_t n);
/* "0x" + 16 lowercase hex digits. */
bool cli_hex_u64_field(const char *s, uint64_t *out);

/* What a container's key file says about itself, for messages after a refusal. */
struct cli_recorded {
	fusekey_method method; /* the file read: SEAL (key.sealed) or DERIVE (derive.json) */
	char path[PATH_MAX];   /* its path ("" if the id or bundle is unusable) */
	bool read;	       /* the file was read */
	bool decoded;	       /* it is a fusekey file (binding / descriptor) */
	char cid[FUSEKEY_CONTAINER_ID_MAX + 1];
	bool cid_valid;
	bool have_policy;
	uint16_t policy;
	size_t key_len;
	bool have_maker;
	struct fk_sgx_identity maker; /* as in cli_binding */
	bool have_req_svn;
	uint16_t req_isv_svn, req_config_svn;
	bool have_cpu_svn;
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
};
/* Read <bundle>/fusekey/<cid>/{key.sealed|derive.json} as the library does (no
 * symlinks, bounded) and decode what it records; fields stay zero when absent. */
void cli_recorded_read(const char *bundle, const char *cid, fusekey_method m,
		       struct cli_recorded *r);

/* ---- commands ---- */
int cli_cmd_sim(int argc, char **argv);
int cli_cmd_policy(int argc, char **argv);
int cli_cmd_launch_digest(int argc, char **argv);
int cli_cmd_seal(int argc, char **argv);
int cli_cmd_unseal(int argc, char **argv);
int cli_cmd_inspect(int argc, char **argv);
int cli_cmd_generate(int argc, char **argv);
int cli_cmd_get(int argc, char **argv);
int cli_cmd_platform(int argc, char **argv);

/* Help texts (fusekey.c). `topic` is "seal", "sim init", ...; NULL = overview. */
bool cli_help(const char *topic, FILE *f);

#endif
