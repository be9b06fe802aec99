/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The emulated SGX platform: EGETKEY, EREPORT and report verification in
 * software, for machines without SGX (development, CI, demos). It protects
 * nothing against the host: anyone who can read the state directory can
 * derive every key. It is never selected implicitly and always says so.
 *
 * Two modes:
 *  - secure (default): per-platform random root keys, owner epoch and report
 *    KEYID, kept in a state directory (0700) in a file readable only by its
 *    owner (0600). Blobs made under the SDK's public constants never unseal.
 *  - sdk-compat: the Intel SGX SDK simulation-mode constants
 *    (sdk/simulation/tinst, sgx.md §5), so keys, reports and sealed blobs
 *    equal the SDK's byte for byte. These roots are public: no secrecy.
 *
 * Derivation in both modes: key = AES-128-CMAC(root[key_name], dd) where dd is
 * the SDK's naturally aligned derivation struct (dd_seal_key_t etc., sgx.md §5).
 */
#ifndef FK_SIM_H
#define FK_SIM_H

#include "platform/fk_platform.h"

enum fk_sim_mode {
	FK_SIM_MODE_SECURE = 0,
	FK_SIM_MODE_SDK_COMPAT = 1,
};

enum fk_sim_cpusvn {
	FK_SIM_CPUSVN_DEFAULT = 0,
	FK_SIM_CPUSVN_UPGRADED = 1,
	FK_SIM_CPUSVN_DOWNGRADED = 2,
};

/* The three CPUSVN values of SDK simulation mode (sgx.md §5). */
extern const uint8_t fk_sim_cpusvn_values[3][FK_SGX_CPUSVN_SIZE];

/* The emulated "hardware": what fuses and MSRs hold on a real CPU. */
struct fk_sim_state {
	enum fk_sim_mode mode;
	enum fk_sim_cpusvn cpusvn;
	uint8_t root_keys[5][FK_SGX_KEY_SIZE]; /* indexed by key name 0..4 */
	uint8_t owner_epoch[16];
	uint8_t report_key_id[FK_SGX_KEYID_SIZE];
};

/* Wipe a state (it holds root secrets). */
void fk_sim_state_clear(struct fk_sim_state *st);

/* The SDK simulation-mode constants, with the given platform CPUSVN. */
void fk_sim_state_sdk_compat(struct fk_sim_state *st, enum fk_sim_cpusvn cpusvn);

/* Fresh random roots (secure mode). */
fusekey_status fk_sim_state_random(struct fk_sim_state *st, enum fk_sim_cpusvn cpusvn)
	FK_WARN_UNUSED;

/*
 * State directory: `dir` if non-NULL, else $FUSEKEY_SIM_DIR, else
 * $XDG_STATE_HOME/fusekey/sim, else $HOME/.local/state/fusekey/sim.
 * Writes the chosen path to buf.
 */
fusekey_status fk_sim_dir_resolve(const char *dir, char *buf, size_t buflen) FK_WARN_UNUSED;

/*
 * Create the state directory (0700; parents created 0700 as needed) holding
 * `platform.conf` (mode, cpusvn; 0600) and, in secure mode, `roots.bin` (0600).
 * An existing initialised directory is refused with FUSEKEY_ERR_EXISTS unless
 * `force` (which replaces the roots: every key sealed before is lost).
 */
fusekey_status fk_sim_dir_init(const char *dir, enum fk_sim_mode mode, enum fk_sim_cpusvn cpusvn,
			       bool force) FK_WARN_UNUSED;

/* Change only the platform CPUSVN (a TCB upgrade or downgrade). */
fusekey_status fk_sim_dir_set_cpusvn(const char *dir, enum fk_sim_cpusvn cpusvn) FK_WARN_UNUSED;

/*
 * Load a state directory. Refuses (FUSEKEY_ERR_PERMISSION) a directory or
 * root file that others can read or write, and FUSEKEY_ERR_NOT_FOUND when the
 * directory was never initialised (run `fusekey sim init`).
 */
fusekey_status fk_sim_dir_load(const char *dir, struct fk_sim_state *st) FK_WARN_UNUSED;

/*
 * A platform running one enclave with identity `secs` (INITTED is set by the
 * caller's EINIT emulation, see fk_sigstruct_to_identity). The state is copied.
 */
fusekey_status fk_sim_platform_new(const struct fk_sim_state *st,
				   const struct fk_sgx_identity *secs,
				   struct fk_platform **out) FK_WARN_UNUSED;

/* Names for messages and config files. */
const char *fk_sim_mode_name(enum fk_sim_mode mode);
const char *fk_sim_cpusvn_name(enum fk_sim_cpusvn cpusvn);
bool fk_sim_mode_parse(const char *s, enum fk_sim_mode *out);
bool fk_sim_cpusvn_parse(const char *s, enum fk_sim_cpusvn *out);

/* The banner every tool prints to stderr when the emulated platform is used. */
#define FK_SIM_BANNER \
	"fusekey: EMULATED SGX platform (no hardware protection; for development and testing only)"

#endif
