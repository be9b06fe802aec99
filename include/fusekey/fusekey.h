/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey public API: status codes and sizes.
 *
 * fusekey hands the encrypted-filesystem ("FUSE") key from the agent enclave to
 * the app enclave of a confidential container (seal, derive or local
 * attestation). This header is the stable surface; everything under src/ is
 * internal.
 *
 * The hand-over in two calls: the agent enclave calls fusekey_generate() for a
 * container id, the app enclave of that container calls fusekey_get(). The
 * method (seal, derive; la later) is an option; both sides use the same
 * bundle directory, which the untrusted host shares between them.
 *
 * Contract for every function returning fusekey_status: FUSEKEY_OK (0) on
 * success; on failure no output buffer holds secret or unauthenticated data
 * (outputs are zeroed).
 */
#ifndef FUSEKEY_FUSEKEY_H
#define FUSEKEY_FUSEKEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FUSEKEY_VERSION_STRING "0.1.0"

/*
 * One status enum for the whole library. Every authentication failure
 * (tag mismatch, forged blob, wrong key, tampered reserved bytes) is
 * FUSEKEY_ERR_MAC_MISMATCH, so an attacker learns nothing from which check
 * failed. The SGX_ERROR_* value each status corresponds to is given by
 * fusekey_status_to_sgx().
 */
typedef enum fusekey_status {
	FUSEKEY_OK = 0,
	FUSEKEY_ERR_INVALID_PARAMETER = 1, /* caller error: bad argument or size */
	FUSEKEY_ERR_MAC_MISMATCH = 2,      /* any authentication failure */
	FUSEKEY_ERR_INVALID_ATTRIBUTE = 3, /* EGETKEY: attribute not allowed */
	FUSEKEY_ERR_INVALID_CPUSVN = 4,    /* request CPUSVN beyond the platform's */
	FUSEKEY_ERR_INVALID_ISVSVN = 5,    /* request ISVSVN/CONFIGSVN beyond the enclave's */
	FUSEKEY_ERR_INVALID_KEYNAME = 6,   /* key name not supported */
	FUSEKEY_ERR_UNEXPECTED = 7,        /* internal failure (SDK's UNEXPECTED) */
	FUSEKEY_ERR_NO_MEMORY = 8,
	FUSEKEY_ERR_CRYPTO = 9,            /* the crypto library failed */
	FUSEKEY_ERR_IO = 10,               /* reading or writing a file failed */
	FUSEKEY_ERR_NOT_FOUND = 11,        /* a file or state directory is missing */
	FUSEKEY_ERR_EXISTS = 12,           /* refusing to overwrite */
	FUSEKEY_ERR_FORMAT = 13,           /* input is not the expected format */
	FUSEKEY_ERR_INVALID_SIGSTRUCT = 14,/* SIGSTRUCT header/exponent/layout wrong */
	FUSEKEY_ERR_INVALID_SIGNATURE = 15,/* SIGSTRUCT signature does not verify */
	FUSEKEY_ERR_NO_PLATFORM = 16,      /* no SGX platform selected or detected */
	FUSEKEY_ERR_PERMISSION = 17,       /* unsafe file mode or ownership */
	FUSEKEY_ERR_INVALID_STATE = 18,    /* call made in the wrong state */
	FUSEKEY_ERR_KDF_MISMATCH = 19,     /* LA: peer uses another KDF */
	FUSEKEY_ERR_WRONG_IDENTITY = 20,   /* key made for another enclave identity */
	FUSEKEY_ERR_WRONG_CONTAINER = 21,  /* authentic key of another container */
	FUSEKEY_ERR_TRUNCATED = 22,        /* key file shorter than its own framing says */
	FUSEKEY_ERR_POLICY_MISMATCH = 23,  /* key made under another policy than required */
	FUSEKEY_ERR_HANDSHAKE = 24,        /* LA: a handshake message is not authentic */
	FUSEKEY_ERR_PEER_IDENTITY = 25,    /* LA: the peer enclave is not an allowed one */
	FUSEKEY_ERR_EXHAUSTED = 26,        /* LA: the channel's message counter is used up */
	FUSEKEY_ERR_UNAVAILABLE = 27,      /* the key service cannot be reached */
	FUSEKEY_ERR_TIMEOUT = 28,          /* a deadline passed */
	FUSEKEY_ERR_REFUSED = 29,          /* the key service refused the release */
} fusekey_status;

/* A stable, short English description; never NULL. */
const char *fusekey_status_str(fusekey_status status);

/* The stable identifier, e.g. "FUSEKEY_ERR_MAC_MISMATCH"; never NULL. */
const char *fusekey_status_name(fusekey_status status);

/* The Intel SGX SDK sgx_status_t value with the same meaning (0 for OK). */
uint32_t fusekey_status_to_sgx(fusekey_status status);

/* Sizes of the SGX structures fusekey reads and writes (SDM Vol. 3D). */
#define FUSEKEY_KEY_REQUEST_SIZE 512u
#define FUSEKEY_REPORT_SIZE 432u
#define FUSEKEY_TARGET_INFO_SIZE 512u
#define FUSEKEY_REPORT_DATA_SIZE 64u
#define FUSEKEY_SIGSTRUCT_SIZE 1808u
#define FUSEKEY_SEALED_HEADER_SIZE 560u
#define FUSEKEY_KEY_SIZE 16u

/* ---- the generate / get API ---- */

/* A context: one enclave on one platform. Opaque; not thread-safe. */
typedef struct fusekey_ctx fusekey_ctx;

/*
 * Open a context on the EMULATED platform (no hardware protection; for
 * development and tests). sim_dir NULL = the default state directory
 * ($FUSEKEY_SIM_DIR, $XDG_STATE_HOME/fusekey/sim, ~/.local/state/fusekey/sim);
 * enclave = path of the enclave's SIGSTRUCT; config_id (64 bytes, may be NULL)
 * and config_svn are launch parameters of KSS enclaves only.
 * This is the only way to the emulated platform: fusekey_ctx_open refuses it.
 */
fusekey_status fusekey_ctx_open_sim(const char *sim_dir, const char *enclave,
				    const uint8_t *config_id, uint16_t config_svn,
				    fusekey_ctx **out);

/*
 * Real SGX: the enclave fusekey runs in, inside Gramine (through the
 * /dev/attestation pseudo-files) or Occlum (through ioctls on /dev/sgx).
 * Every field may be NULL; the library reads no environment variable here.
 */
struct fusekey_platform_opts {
	/* "auto" or NULL (the default): Gramine if <gramine_dir>/my_target_info
	 * answers, else Occlum if <occlum_device> answers SELF_TARGET, else
	 * FUSEKEY_ERR_NO_PLATFORM. "gramine" or "occlum": only that one.
	 * "sim" is refused (FUSEKEY_ERR_INVALID_PARAMETER): emulation is never
	 * reached from here, only through fusekey_ctx_open_sim. */
	const char *platform;
	const char *gramine_dir;   /* NULL = "/dev/attestation" */
	const char *occlum_device; /* NULL = "/dev/sgx" */
};

/*
 * Open a context on the real platform opts selects (NULL opts = auto with
 * the default paths). FUSEKEY_ERR_NO_PLATFORM when it is not there;
 * fusekey_platform_detect says why.
 */
fusekey_status fusekey_ctx_open(const struct fusekey_platform_opts *opts, fusekey_ctx **out);

/*
 * Detection only, nothing opened: which platform opts selects (*name is
 * "gramine" or "occlum", static storage; NULL on failure) and why: one line
 * per candidate tried ("gramine: ...\nocclum: ..."), written NUL-terminated
 * to why (truncated to why_len; why may be NULL). FUSEKEY_OK, or
 * FUSEKEY_ERR_NO_PLATFORM, or FUSEKEY_ERR_INVALID_PARAMETER for "sim" or an
 * unknown name.
 */
fusekey_status fusekey_platform_detect(const struct fusekey_platform_opts *opts,
				       const char **name, char *why, size_t why_len);
/* Wipes and frees; NULL allowed. */
void fusekey_ctx_free(fusekey_ctx *ctx);
/* 1 when the context runs on the emulated platform: say so to your users. */
int fusekey_ctx_is_emulated(const fusekey_ctx *ctx);

typedef enum fusekey_method {
	FUSEKEY_METHOD_AUTO = 0,   /* get: use what the agent left in the bundle */
	FUSEKEY_METHOD_SEAL = 1,   /* sealed blob in the bundle */
	FUSEKEY_METHOD_DERIVE = 2, /* EGETKEY on both sides, public descriptor in the bundle */
	FUSEKEY_METHOD_LA = 3,     /* local attestation with fusekeyd over ttrpc (docs/service.md) */
} fusekey_method;

/*
 * la, app side: the agent enclave the app accepts (checked after local
 * attestation, before any key is used). At least one of mr_enclave and
 * mr_signer; DEBUG agents are refused unless allow_debug.
 */
struct fusekey_agent_expect {
	const uint8_t *mr_enclave; /* 32 bytes, or NULL */
	const uint8_t *mr_signer;  /* 32 bytes, or NULL */
	int isv_prod_id;           /* 0..65535, or -1 for any */
	uint16_t min_isv_svn;
	int allow_debug;
};

/* Policy bits: the SGX key policy (sgx_key_request_t.key_policy). */
#define FUSEKEY_POLICY_MRENCLAVE 0x0001u
#define FUSEKEY_POLICY_MRSIGNER 0x0002u
#define FUSEKEY_POLICY_NOISVPRODID 0x0004u
#define FUSEKEY_POLICY_CONFIGID 0x0008u
#define FUSEKEY_POLICY_ISVFAMILYID 0x0010u
#define FUSEKEY_POLICY_ISVEXTPRODID 0x0020u

#define FUSEKEY_CONTAINER_ID_MAX 128u
#define FUSEKEY_KEY_MAX 32u

struct fusekey_key_opts {
	fusekey_method method; /* generate: SEAL or DERIVE (AUTO means SEAL) */
	/*
	 * generate: the key policy (0 = MRSIGNER). get: the policy the key must
	 * have been made under (0 = accept the one recorded in the bundle); set it
	 * to refuse, for example, an MRSIGNER key when you expect MRENCLAVE.
	 */
	uint16_t policy;
	const char *bundle_dir; /* required: the container's bundle directory */
	size_t key_len;         /* generate: 16 (default when 0) or 32 */
	int force;              /* generate: replace an existing key */
	/*
	 * la (get with method LA, or AUTO when socket_path is set): the fusekeyd
	 * socket, the agent the app accepts, and the app's launch-spec digest
	 * (32 bytes, docs/policy.md; NULL sends none). With AUTO, get falls back
	 * to the bundle's sealed key only when the service cannot be reached
	 * (FUSEKEY_ERR_UNAVAILABLE) — never after a refusal — unless no_fallback.
	 * generate with method LA keeps the key for fusekeyd (key.la, sealed to
	 * the agent itself) and writes key.sealed for the fallback under policy.
	 */
	const char *socket_path;
	const struct fusekey_agent_expect *agent;
	const uint8_t *launch_digest;
	int no_fallback;
	uint32_t timeout_ms; /* la: per call, 0 = 5000 */
};

/*
 * Agent side: make the FUSE key of container_id and leave what the app needs in
 * the bundle (docs/delivery.md). Container ids: 1..128 of [A-Za-z0-9_.-], not
 * starting with '.' or '-'. If key is non-NULL the key is also returned
 * (key_cap >= key length). An existing key is never replaced unless force:
 * FUSEKEY_ERR_EXISTS. Files are written atomically, 0600, never through a
 * symlink. On failure key is zeroed.
 */
fusekey_status fusekey_generate(fusekey_ctx *ctx, const char *container_id,
				const struct fusekey_key_opts *opts, uint8_t *key,
				size_t key_cap);

/*
 * App side: obtain the FUSE key of container_id from the bundle. *key_len is
 * the capacity on entry and the key length on success. Distinct errors:
 * NOT_FOUND (no key in the bundle), TRUNCATED, WRONG_CONTAINER (an authentic
 * key of another container was put here), WRONG_IDENTITY (made for another
 * enclave identity), POLICY_MISMATCH (made under another policy than
 * opts->policy), MAC_MISMATCH (modified, or made on another platform),
 * INVALID_ISVSVN / INVALID_CPUSVN (made by a newer enclave or TCB).
 * On failure key is zeroed. Wipe the key when done (fusekey_wipe).
 */
fusekey_status fusekey_get(fusekey_ctx *ctx, const char *container_id,
			   const struct fusekey_key_opts *opts, uint8_t *key, size_t *key_len);

/*
 * Gramine only: install a 16-byte key as Gramine's encrypted-FS key
 * key_name (written to <gramine_dir>/keys/<key_name>), for the encrypted
 * fs.mounts entry that declares key_name = "<key_name>" in the manifest.
 * Names: 1..64 of [A-Za-z0-9_.-], not starting with '.' or '_' (Gramine's
 * own). FUSEKEY_ERR_NOT_FOUND when Gramine refuses the name (not declared
 * in the manifest); FUSEKEY_ERR_INVALID_PARAMETER for a context that is not
 * on Gramine, a bad name, or key_len != 16.
 */
fusekey_status fusekey_gramine_install_key(fusekey_ctx *ctx, const char *key_name,
					   const uint8_t *key, size_t key_len);

/* Wipe memory that held a key; the compiler may not remove it. */
void fusekey_wipe(void *p, size_t n);

/* 1 if container_id is acceptable (see fusekey_generate). */
int fusekey_container_id_valid(const char *container_id);

#ifdef __cplusplus
}
#endif
#endif
