/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The launch-spec digest: SHA-256 over how the workload is started --
 * process.args, process.env and process.cwd of the OCI bundle's config.json.
 * None of these enter MRENCLAVE (a libOS enclave runs whatever entrypoint the
 * host names), so a release policy can pin them separately (docs/policy.md).
 *
 * Canonical form (all integers u32 little-endian; "len" is a byte count; no
 * terminators, no padding):
 *
 *   "FKLAUNCH1"                         9 bytes, ASCII, the domain and version
 *   nargs                               u32
 *   nargs x ( len, bytes )              process.args, in order
 *   nenv                                u32
 *   nenv  x ( len, bytes )              process.env, in order ("K=V" strings as
 *                                       given: no sorting, no deduplication --
 *                                       with a duplicate name, order decides)
 *   len, bytes                          process.cwd
 *
 *   digest = SHA-256(canonical form)
 *
 * Every string is counted and length-prefixed, so two different (args, env,
 * cwd) triples never share a canonical form (["ab","c"] vs ["a","bc"], or a
 * string moved from args to env, give different bytes).
 *
 * From config.json: the file is JSON (UTF-8, no duplicate keys anywhere);
 * "process" must be an object; "args" and "env" must be arrays of strings, or
 * absent or null (both = no entries, the same digest as []); "cwd" must be a
 * string and is required (the OCI runtime spec requires it: a launch spec
 * without one is refused, not hashed as ""). Every other field of config.json
 * is ignored. Strings are hashed as their exact UTF-8 bytes after JSON
 * unescaping; a string containing U+0000 is refused (no C program can receive
 * it in argv/envp).
 *
 * Bounds (refused beyond, never truncated): config.json <= 1 MiB; each string
 * <= 64 KiB; <= 4096 args and <= 4096 env entries; the strings together
 * <= 1 MiB. A config.json within its bound always meets the last one, so an
 * enclave hashing its own values with fk_launch_digest_parts accepts anything
 * fk_launch_digest_from_config accepts.
 *
 * Error texts name the field ("process.env[3]: not a string") and never quote
 * a value: environments carry secrets.
 */
#ifndef FK_LAUNCH_H
#define FK_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "fusekey/fusekey.h"

#define FK_LAUNCH_MAGIC "FKLAUNCH1"
#define FK_LAUNCH_MAGIC_LEN 9u
#define FK_LAUNCH_DIGEST_SIZE 32u
#define FK_LAUNCH_MAX_CONFIG (1024u * 1024u)  /* config.json */
#define FK_LAUNCH_MAX_STRING (64u * 1024u)    /* one arg, env entry or cwd */
#define FK_LAUNCH_MAX_ENTRIES 4096u           /* args; env (each) */
#define FK_LAUNCH_MAX_TOTAL (1024u * 1024u)   /* all strings together */

_Static_assert(sizeof(FK_LAUNCH_MAGIC) - 1 == FK_LAUNCH_MAGIC_LEN, "launch magic length");
/* The u32 counts and lengths of the canonical form hold every bound. */
_Static_assert(FK_LAUNCH_MAX_STRING <= UINT32_MAX && FK_LAUNCH_MAX_ENTRIES <= UINT32_MAX,
	       "launch bounds fit u32");

/*
 * Digest of the launch spec in a config.json held in memory (json, len bytes;
 * no NUL byte). jansson's copies of the strings are freed without wiping:
 * config.json is the host's file, no secret from the host; callers wipe
 * their own buffer (fk_file_free does). FUSEKEY_ERR_FORMAT for anything refused above, with the
 * reason in err (errlen bytes, always NUL-terminated when errlen > 0; may be
 * NULL). On failure digest is zeroed.
 */
fusekey_status fk_launch_digest_from_config(const uint8_t *json, size_t len,
					    uint8_t digest[FK_LAUNCH_DIGEST_SIZE], char *err,
					    size_t errlen) __attribute__((warn_unused_result));

/*
 * The same for <bundle_dir>/config.json, read with fk_file_read (bounded,
 * regular file, no symlink as the last component): FUSEKEY_ERR_NOT_FOUND if
 * missing, FUSEKEY_ERR_FORMAT if too large, not a regular file or refused.
 */
fusekey_status fk_launch_digest_from_bundle(const char *bundle_dir,
					    uint8_t digest[FK_LAUNCH_DIGEST_SIZE], char *err,
					    size_t errlen) __attribute__((warn_unused_result));

/*
 * For callers that hold the values (an app enclave hashing how it was
 * launched): NUL-terminated strings; args / env may be NULL when their count
 * is 0; cwd is required. FUSEKEY_ERR_INVALID_PARAMETER beyond the bounds.
 * Equal inputs give the digest fk_launch_digest_from_config gives.
 */
fusekey_status fk_launch_digest_parts(const char *const *args, size_t nargs,
				      const char *const *env, size_t nenv, const char *cwd,
				      uint8_t digest[FK_LAUNCH_DIGEST_SIZE])
	__attribute__((warn_unused_result));

#endif
