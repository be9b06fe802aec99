/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey_bench: seal, unseal, EGETKEY and EREPORT + verify per second on the
 * emulated platform, each beside its crypto floor (docs/bench.md); then the
 * delivery API: fusekey_generate (seal, derive) split into its crypto, its file
 * part (atomic write and fsyncs) and the rest, and fusekey_get beside the
 * foundation figure it is compared with (unseal, EGETKEY), on a bundle in a
 * temporary directory that is removed at exit; then local attestation: the
 * whole sgx_dh handshake (LAv1, LAv2) between two emulated enclaves beside its
 * crypto floor, the emulated EREPORT work it also does, and an in-process
 * TLS 1.3 handshake for comparison.
 *
 * The floor of an operation is the crypto it cannot avoid, done directly with
 * OpenSSL: algorithms fetched and contexts created once, outside the timed
 * loop, and only re-keyed per call. An operation far above its floor is paying
 * for something else, typically an algorithm fetched or a context set up anew
 * per call.
 *
 * This is the one place besides src/crypto that calls OpenSSL, since it
 * measures it (and the only user of libssl, for the TLS 1.3 comparison). The delivery section mirrors a few lines of src/delivery (the
 * seal binding, derive's KEYID) to time the crypto alone; dl_init checks that
 * they still give the key fusekey_get returns.
 *
 * Informational: the exit status is 0 unless an operation fails (or the
 * options are wrong), whatever the speed.
 */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/fk_crypto.h"
#include "delivery/fk_api.h"
#include "delivery/fk_bundle.h"
#include "delivery/fk_wire.h"
#include "la/fk_dh.h"
#include "platform/fk_platform.h"
#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "sgx/fk_sgx.h"
#include "util/fk_file.h"

/* ---- sizes of the work each operation does (fk_sim.c, fk_seal.c) ---- */

enum {
	SECRET_SIZE = 16,   /* the sealed key: a FUSE key is 16 bytes */
	DD_SEAL_SIZE = 280, /* dd_seal_key_t: the SEAL key derivation input */
	DD_REPORT_SIZE = 192, /* dd_report_key_t: the REPORT key derivation input */
	BLOB_SIZE = FK_SGX_SEALED_HDR_SIZE + SECRET_SIZE, /* 576 */
	MAX_RUNS = 99,
	MAX_GROUP = 5,
};

#define NS_PER_S 1000000000.0

/* ---- options ---- */

struct options {
	unsigned runs;
	double target_s; /* wall time of one run */
	bool json;
	bool quick;
};

/* ---- failure reporting ---- */

/* Why the last step failed; the harness prints it with the operation's name. */
static char g_why[512];

static int fail_fk(const char *call, fusekey_status st)
{
	snprintf(g_why, sizeof(g_why), "%s returned %s (%s)", call, fusekey_status_name(st),
		 fusekey_status_str(st));
	return -1;
}

static int fail_ossl(const char *call)
{
	char err[256] = "no OpenSSL error queued";
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, err, sizeof(err));
	snprintf(g_why, sizeof(g_why), "%s failed: %s", call, err);
	ERR_clear_error();
	return -1;
}

static int fail_msg(const char *msg)
{
	snprintf(g_why, sizeof(g_why), "%s", msg);
	return -1;
}

/* ---- timing ---- */

typedef int (*bench_fn)(void *arg); /* 0 on success, else -1 with g_why set */

struct target {
	const char *label; /* for error messages */
	bench_fn fn;
	void *arg;
};

struct result {
	uint64_t iters;  /* per run */
	double med_ns;   /* per operation, median over runs */
	double min_ns;
	double max_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		fprintf(stderr, "fusekey_bench: clock_gettime: %s\n", strerror(errno));
		exit(1);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* n calls of t; returns the elapsed nanoseconds. Any failure ends the program. */
static uint64_t run_n(const struct target *t, uint64_t n)
{
	uint64_t start = now_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (t->fn(t->arg) != 0) {
			fprintf(stderr, "fusekey_bench: %s failed (call %llu of a run): %s\n",
				t->label, (unsigned long long)i + 1, g_why);
			exit(1);
		}
	}
	return now_ns() - start;
}

/* Iterations for one run of about target_s; also warms caches and the CPU up. */
static uint64_t calibrate(const struct target *t, double target_s)
{
	const double target_ns = target_s * NS_PER_S;
	uint64_t n = 1, el;

	for (;;) {
		el = run_n(t, n);
		if ((double)el >= target_ns / 8 || n >= (1ull << 32))
			break;
		n *= ((double)el < target_ns / 128) ? 8 : 2;
	}
	if (el == 0)
		el = 1;
	double want = (double)n * target_ns / (double)el;
	return want < 1.0 ? 1 : (uint64_t)want;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Time k targets together: runs are interleaved (t0, t1, ..., t0, t1, ...) so
 * that frequency changes and noisy neighbours hit an operation and its floor
 * alike.
 */
static void measure(const struct options *o, const struct target *t, size_t k,
		    struct result *res)
{
	static double per_op[MAX_GROUP][MAX_RUNS];

	for (size_t j = 0; j < k; j++)
		res[j].iters = calibrate(&t[j], o->target_s);
	for (unsigned r = 0; r < o->runs; r++)
		for (size_t j = 0; j < k; j++)
			per_op[j][r] = (double)run_n(&t[j], res[j].iters) / (double)res[j].iters;
	for (size_t j = 0; j < k; j++) {
		double lo = per_op[j][0], hi = per_op[j][0];
		for (unsigned r = 1; r < o->runs; r++) {
			lo = per_op[j][r] < lo ? per_op[j][r] : lo;
			hi = per_op[j][r] > hi ? per_op[j][r] : hi;
		}
		res[j].min_ns = lo;
		res[j].max_ns = hi;
		res[j].med_ns = median(per_op[j], o->runs);
	}
}

/* ---- floors: the same crypto, straight OpenSSL, everything prefetched ---- */

static char g_cbc_name[] = "AES-128-CBC"; /* OSSL_PARAM wants char * */
static const uint8_t zero_iv[FK_GCM_IV_SIZE];

struct floors {
	EVP_MAC *cmac_alg;
	EVP_CIPHER *gcm_alg;
	EVP_MAC_CTX *cmac;     /* CMAC(AES-128-CBC), re-keyed per call */
	EVP_CIPHER_CTX *enc;   /* AES-128-GCM encryption, re-keyed per call */
	EVP_CIPHER_CTX *dec;   /* AES-128-GCM decryption, re-keyed per call */
	uint8_t root_seal[16]; /* stand-ins for the platform's root keys */
	uint8_t root_report[16];
	uint8_t dd_seal[DD_SEAL_SIZE];
	uint8_t dd_fresh[DD_SEAL_SIZE]; /* floor_seal's: a new KEYID each call */
	uint8_t dd_report[DD_REPORT_SIZE];
	uint8_t body[FK_SGX_REPORT_BODY_SIZE];
	uint8_t secret[SECRET_SIZE];
	uint8_t ct[SECRET_SIZE]; /* secret sealed under CMAC(root_seal, dd_seal) */
	uint8_t tag[FK_GCM_TAG_SIZE];
	uint8_t out[SECRET_SIZE];
	uint8_t out_tag[FK_GCM_TAG_SIZE];
	uint8_t key_id[FK_SGX_KEYID_SIZE];
};

static int fl_cmac(struct floors *f, const uint8_t key[16], const uint8_t *msg, size_t len,
		   uint8_t mac[16])
{
	size_t outl = 0;

	if (EVP_MAC_init(f->cmac, key, 16, NULL) != 1)
		return fail_ossl("EVP_MAC_init");
	if (EVP_MAC_update(f->cmac, msg, len) != 1)
		return fail_ossl("EVP_MAC_update");
	if (EVP_MAC_final(f->cmac, mac, &outl, 16) != 1 || outl != 16)
		return fail_ossl("EVP_MAC_final");
	return 0;
}

static int fl_gcm_encrypt(struct floors *f, const uint8_t key[16], const uint8_t *pt,
			  uint8_t *ct, uint8_t tag[16])
{
	uint8_t spill[16];
	OSSL_PARAM params[2];
	int outl = 0;

	if (EVP_EncryptInit_ex2(f->enc, NULL, key, zero_iv, NULL) != 1)
		return fail_ossl("EVP_EncryptInit_ex2");
	if (EVP_EncryptUpdate(f->enc, ct, &outl, pt, SECRET_SIZE) != 1 || outl != SECRET_SIZE)
		return fail_ossl("EVP_EncryptUpdate");
	if (EVP_EncryptFinal_ex(f->enc, spill, &outl) != 1 || outl != 0)
		return fail_ossl("EVP_EncryptFinal_ex");
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_get_params(f->enc, params) != 1)
		return fail_ossl("EVP_CIPHER_CTX_get_params");
	return 0;
}

static int fl_gcm_decrypt(struct floors *f, const uint8_t key[16], const uint8_t *ct,
			  const uint8_t tag[16], uint8_t *pt)
{
	uint8_t spill[16], tag_copy[16];
	OSSL_PARAM params[2];
	int outl = 0;

	if (EVP_DecryptInit_ex2(f->dec, NULL, key, zero_iv, NULL) != 1)
		return fail_ossl("EVP_DecryptInit_ex2");
	if (EVP_DecryptUpdate(f->dec, pt, &outl, ct, SECRET_SIZE) != 1 || outl != SECRET_SIZE)
		return fail_ossl("EVP_DecryptUpdate");
	memcpy(tag_copy, tag, 16);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag_copy, 16);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(f->dec, params) != 1)
		return fail_ossl("EVP_CIPHER_CTX_set_params");
	if (EVP_DecryptFinal_ex(f->dec, spill, &outl) != 1)
		return fail_msg("floor GCM tag did not verify");
	return 0;
}

/* seal: KEYID = RAND_bytes(32); key = CMAC(root, dd_seal 280 B); GCM-encrypt 16 B. */
static int floor_seal(void *arg)
{
	struct floors *f = arg;
	uint8_t key[16];

	if (RAND_bytes(f->key_id, sizeof(f->key_id)) != 1)
		return fail_ossl("RAND_bytes");
	memcpy(f->dd_fresh + DD_SEAL_SIZE - FK_SGX_KEYID_SIZE, f->key_id, FK_SGX_KEYID_SIZE);
	if (fl_cmac(f, f->root_seal, f->dd_fresh, DD_SEAL_SIZE, key) != 0)
		return -1;
	return fl_gcm_encrypt(f, key, f->secret, f->out, f->out_tag);
}

/* unseal: key = CMAC(root, dd_seal 280 B); GCM-decrypt 16 B and check the tag. */
static int floor_unseal(void *arg)
{
	struct floors *f = arg;
	uint8_t key[16];

	if (fl_cmac(f, f->root_seal, f->dd_seal, DD_SEAL_SIZE, key) != 0)
		return -1;
	return fl_gcm_decrypt(f, key, f->ct, f->tag, f->out);
}

/* EGETKEY(SEAL): one CMAC over dd_seal (280 B). */
static int floor_getkey(void *arg)
{
	struct floors *f = arg;

	return fl_cmac(f, f->root_seal, f->dd_seal, DD_SEAL_SIZE, f->out);
}

/* EREPORT + verify: twice (report key = CMAC over 192 B, then CMAC of the 384 B body). */
static int floor_report(void *arg)
{
	struct floors *f = arg;
	uint8_t key[16], mac[16], mac2[16];

	if (fl_cmac(f, f->root_report, f->dd_report, DD_REPORT_SIZE, key) != 0 ||
	    fl_cmac(f, key, f->body, sizeof(f->body), mac) != 0 ||
	    fl_cmac(f, f->root_report, f->dd_report, DD_REPORT_SIZE, key) != 0 ||
	    fl_cmac(f, key, f->body, sizeof(f->body), mac2) != 0)
		return -1;
	if (CRYPTO_memcmp(mac, mac2, sizeof(mac)) != 0)
		return fail_msg("floor report MACs differ");
	return 0;
}

static int floors_init(struct floors *f)
{
	OSSL_PARAM params[2];

	memset(f, 0, sizeof(*f));
	f->cmac_alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (f->cmac_alg == NULL)
		return fail_ossl("EVP_MAC_fetch(CMAC)");
	f->gcm_alg = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	if (f->gcm_alg == NULL)
		return fail_ossl("EVP_CIPHER_fetch(AES-128-GCM)");
	f->cmac = EVP_MAC_CTX_new(f->cmac_alg);
	if (f->cmac == NULL)
		return fail_ossl("EVP_MAC_CTX_new");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, g_cbc_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(f->cmac, params) != 1)
		return fail_ossl("EVP_MAC_CTX_set_params(cipher)");
	f->enc = EVP_CIPHER_CTX_new();
	f->dec = EVP_CIPHER_CTX_new();
	if (f->enc == NULL || f->dec == NULL)
		return fail_ossl("EVP_CIPHER_CTX_new");
	if (EVP_EncryptInit_ex2(f->enc, f->gcm_alg, NULL, NULL, NULL) != 1)
		return fail_ossl("EVP_EncryptInit_ex2(AES-128-GCM)");
	if (EVP_DecryptInit_ex2(f->dec, f->gcm_alg, NULL, NULL, NULL) != 1)
		return fail_ossl("EVP_DecryptInit_ex2(AES-128-GCM)");

	if (RAND_bytes(f->root_seal, sizeof(f->root_seal)) != 1 ||
	    RAND_bytes(f->root_report, sizeof(f->root_report)) != 1 ||
	    RAND_bytes(f->dd_seal, sizeof(f->dd_seal)) != 1 ||
	    RAND_bytes(f->dd_fresh, sizeof(f->dd_fresh)) != 1 ||
	    RAND_bytes(f->dd_report, sizeof(f->dd_report)) != 1 ||
	    RAND_bytes(f->body, sizeof(f->body)) != 1 ||
	    RAND_bytes(f->secret, sizeof(f->secret)) != 1)
		return fail_ossl("RAND_bytes");

	/* The blob the unseal floor opens, and a self-check of every floor. */
	uint8_t key[16];
	if (fl_cmac(f, f->root_seal, f->dd_seal, DD_SEAL_SIZE, key) != 0 ||
	    fl_gcm_encrypt(f, key, f->secret, f->ct, f->tag) != 0 ||
	    fl_gcm_decrypt(f, key, f->ct, f->tag, f->out) != 0)
		return -1;
	if (memcmp(f->out, f->secret, SECRET_SIZE) != 0)
		return fail_msg("floor GCM round trip returned other bytes");
	if (floor_seal(f) != 0 || floor_unseal(f) != 0 || floor_getkey(f) != 0 ||
	    floor_report(f) != 0)
		return -1;
	return 0;
}

static void floors_free(struct floors *f)
{
	EVP_CIPHER_CTX_free(f->enc);
	EVP_CIPHER_CTX_free(f->dec);
	EVP_MAC_CTX_free(f->cmac);
	EVP_CIPHER_free(f->gcm_alg);
	EVP_MAC_free(f->cmac_alg);
	OPENSSL_cleanse(f, sizeof(*f));
}

/* ---- context: single primitives, the library's and the anti-patterns ---- */

/* CMAC over 280 B, the floor's way (context reused, re-keyed). */
static int ctx_cmac_floor(void *arg)
{
	struct floors *f = arg;

	return fl_cmac(f, f->root_seal, f->dd_seal, DD_SEAL_SIZE, f->out);
}

/* The same through the library. */
static int ctx_cmac_fk(void *arg)
{
	struct floors *f = arg;
	fusekey_status st = fk_cmac128(f->root_seal, f->dd_seal, DD_SEAL_SIZE, f->out);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_cmac128", st);
}

/* A new context per call from the prefetched CMAC: setting the cipher by name
 * makes the provider fetch AES-128-CBC on every call. */
static int cmac_new_ctx(EVP_MAC *alg, const uint8_t key[16], const uint8_t *msg, size_t len,
			uint8_t mac[16])
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(alg);
	size_t outl = 0;
	int rc = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, g_cbc_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL)
		rc = fail_ossl("EVP_MAC_CTX_new");
	else if (EVP_MAC_init(ctx, key, 16, params) != 1)
		rc = fail_ossl("EVP_MAC_init");
	else if (EVP_MAC_update(ctx, msg, len) != 1)
		rc = fail_ossl("EVP_MAC_update");
	else if (EVP_MAC_final(ctx, mac, &outl, 16) != 1 || outl != 16)
		rc = fail_ossl("EVP_MAC_final");
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static int ctx_cmac_new_ctx(void *arg)
{
	struct floors *f = arg;

	return cmac_new_ctx(f->cmac_alg, f->root_seal, f->dd_seal, DD_SEAL_SIZE, f->out);
}

/* The anti-pattern: EVP_MAC_fetch + EVP_MAC_CTX_new + init on every call. */
static int ctx_cmac_fetch(void *arg)
{
	struct floors *f = arg;
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "CMAC", NULL);
	int rc;

	if (alg == NULL)
		return fail_ossl("EVP_MAC_fetch(CMAC)");
	rc = cmac_new_ctx(alg, f->root_seal, f->dd_seal, DD_SEAL_SIZE, f->out);
	EVP_MAC_free(alg);
	return rc;
}

/* Worse still: a library context made per call, so nothing is cached at all. */
static int ctx_cmac_libctx(void *arg)
{
	struct floors *f = arg;
	OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
	EVP_MAC *alg;
	int rc;

	if (lib == NULL)
		return fail_ossl("OSSL_LIB_CTX_new");
	alg = EVP_MAC_fetch(lib, "CMAC", NULL);
	if (alg == NULL) {
		OSSL_LIB_CTX_free(lib);
		return fail_ossl("EVP_MAC_fetch(CMAC)");
	}
	rc = cmac_new_ctx(alg, f->root_seal, f->dd_seal, DD_SEAL_SIZE, f->out);
	EVP_MAC_free(alg);
	OSSL_LIB_CTX_free(lib);
	return rc;
}

static int ctx_gcm_enc_floor(void *arg)
{
	struct floors *f = arg;

	return fl_gcm_encrypt(f, f->root_seal, f->secret, f->out, f->out_tag);
}

static int ctx_gcm_enc_fk(void *arg)
{
	struct floors *f = arg;
	fusekey_status st = fk_gcm128_encrypt(f->root_seal, zero_iv, NULL, 0, f->secret,
					      SECRET_SIZE, f->out, f->out_tag);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_gcm128_encrypt", st);
}

/* The decryption pair opens (ct, tag) made under CMAC(root_seal, dd_seal). */
struct gcm_dec_arg {
	struct floors *f;
	uint8_t key[16];
};

static int ctx_gcm_dec_floor(void *arg)
{
	struct gcm_dec_arg *a = arg;

	return fl_gcm_decrypt(a->f, a->key, a->f->ct, a->f->tag, a->f->out);
}

static int ctx_gcm_dec_fk(void *arg)
{
	struct gcm_dec_arg *a = arg;
	fusekey_status st = fk_gcm128_decrypt(a->key, zero_iv, NULL, 0, a->f->ct, SECRET_SIZE,
					      a->f->tag, a->f->out);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_gcm128_decrypt", st);
}

static int ctx_rand_floor(void *arg)
{
	struct floors *f = arg;

	return RAND_bytes(f->key_id, sizeof(f->key_id)) == 1 ? 0 : fail_ossl("RAND_bytes");
}

static int ctx_rand_fk(void *arg)
{
	struct floors *f = arg;
	fusekey_status st = fk_random(f->key_id, sizeof(f->key_id));

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_random", st);
}

/* ---- the operations, on an emulated platform with a fixed identity ---- */

struct ops {
	struct fk_platform *p;
	struct fk_seal_policy pol;
	struct fk_sgx_key_request req;  /* EGETKEY(SEAL), the request fk_seal builds */
	struct fk_sgx_target_info self; /* reports are made for ourselves */
	uint8_t report_data[FK_SGX_REPORT_DATA_SIZE];
	uint8_t secret[SECRET_SIZE];
	uint8_t blob[BLOB_SIZE];      /* sealed once, opened by op_unseal */
	uint8_t blob_out[BLOB_SIZE];  /* op_seal writes here */
	uint8_t txt[SECRET_SIZE];
	uint8_t key[FK_SGX_KEY_SIZE];
	struct fk_sgx_report report;
};

static int op_seal(void *arg)
{
	struct ops *o = arg;
	fusekey_status st = fk_seal(o->p, &o->pol, NULL, 0, o->secret, SECRET_SIZE, o->blob_out,
				    BLOB_SIZE);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_seal", st);
}

static int op_unseal(void *arg)
{
	struct ops *o = arg;
	uint32_t txt_len = SECRET_SIZE, aad_len = 0;
	fusekey_status st = fk_unseal(o->p, o->blob, BLOB_SIZE, o->txt, &txt_len, NULL, &aad_len);

	if (st != FUSEKEY_OK)
		return fail_fk("fk_unseal", st);
	if (txt_len != SECRET_SIZE || aad_len != 0)
		return fail_msg("fk_unseal returned unexpected lengths");
	return 0;
}

static int op_getkey(void *arg)
{
	struct ops *o = arg;
	fusekey_status st = fk_platform_get_key(o->p, &o->req, o->key);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_platform_get_key(SEAL)", st);
}

static int op_report(void *arg)
{
	struct ops *o = arg;
	fusekey_status st = fk_platform_create_report(o->p, &o->self, o->report_data, &o->report);

	if (st != FUSEKEY_OK)
		return fail_fk("fk_platform_create_report", st);
	st = fk_platform_verify_report(o->p, &o->report);
	return st == FUSEKEY_OK ? 0 : fail_fk("fk_platform_verify_report", st);
}

/* A production (non-debug, non-KSS) 64-bit enclave with fixed measurements. */
static void bench_identity(struct fk_sgx_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->flags = FK_SGX_FLAGS_INITTED | FK_SGX_FLAGS_MODE64BIT;
	id->xfrm = FK_SGX_XFRM_LEGACY;
	for (unsigned i = 0; i < FK_SGX_HASH_SIZE; i++) {
		id->mr_enclave[i] = (uint8_t)(0xA0u + i);
		id->mr_signer[i] = (uint8_t)(0x50u + i);
	}
	id->isv_prod_id = 1;
	id->isv_svn = 1;
}

static int ops_init(struct ops *o, enum fk_sim_mode mode)
{
	struct fk_sim_state state;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request_fields f;
	fusekey_status st;

	memset(o, 0, sizeof(*o));
	if (mode == FK_SIM_MODE_SECURE) {
		st = fk_sim_state_random(&state, FK_SIM_CPUSVN_DEFAULT);
		if (st != FUSEKEY_OK)
			return fail_fk("fk_sim_state_random", st);
	} else {
		fk_sim_state_sdk_compat(&state, FK_SIM_CPUSVN_DEFAULT);
	}
	bench_identity(&id);
	st = fk_sim_platform_new(&state, &id, &o->p);
	fk_sim_state_clear(&state);
	if (st != FUSEKEY_OK)
		return fail_fk("fk_sim_platform_new", st);
	fk_seal_policy_default(&o->pol);

	/* The SEAL key request fk_seal makes (fk_seal.c seal_core), with a fixed KEYID. */
	memset(&f, 0, sizeof(f));
	f.key_name = FK_SGX_KEYNAME_SEAL;
	f.key_policy = o->pol.key_policy;
	f.isv_svn = id.isv_svn;
	f.attr_mask_flags = o->pol.attr_mask_flags;
	f.attr_mask_xfrm = o->pol.attr_mask_xfrm;
	f.misc_mask = o->pol.misc_mask;
	if ((st = fk_platform_cpu_svn(o->p, f.cpu_svn)) != FUSEKEY_OK)
		return fail_fk("fk_platform_cpu_svn", st);
	if ((st = fk_random(f.key_id, sizeof(f.key_id))) != FUSEKEY_OK)
		return fail_fk("fk_random", st);
	fk_sgx_key_request_encode(&f, &o->req);

	if ((st = fk_platform_self_target(o->p, &o->self)) != FUSEKEY_OK)
		return fail_fk("fk_platform_self_target", st);
	if ((st = fk_random(o->report_data, sizeof(o->report_data))) != FUSEKEY_OK ||
	    (st = fk_random(o->secret, sizeof(o->secret))) != FUSEKEY_OK)
		return fail_fk("fk_random", st);

	/* The blob op_unseal opens; check every operation once before timing. */
	st = fk_seal(o->p, &o->pol, NULL, 0, o->secret, SECRET_SIZE, o->blob, BLOB_SIZE);
	if (st != FUSEKEY_OK)
		return fail_fk("fk_seal", st);
	if (op_unseal(o) != 0)
		return -1;
	if (memcmp(o->txt, o->secret, SECRET_SIZE) != 0)
		return fail_msg("fk_unseal returned other bytes than were sealed");
	if (op_seal(o) != 0 || op_getkey(o) != 0 || op_report(o) != 0)
		return -1;
	return 0;
}

static void ops_free(struct ops *o)
{
	fk_platform_destroy(o->p);
	OPENSSL_cleanse(o, sizeof(*o));
}

/* ---- delivery: fusekey_generate / fusekey_get on a bundle on disk ---- */

/*
 * One emulated platform (secure mode, the identity above) under a context, and
 * a bundle directory under mkdtemp in $TMPDIR or /tmp: a real disk, so that
 * fsync costs what it costs. Every figure uses the default 16-byte key and
 * policy (MRSIGNER). Repeated generates use force on one container id each
 * (the write is then rename(), not link(): same system calls otherwise).
 */
#define DL_CID_GEN_SEAL "bench-gen-seal"
#define DL_CID_GEN_DERIVE "bench-gen-derive"
#define DL_CID_FILE "bench-file"
#define DL_CID_NOFSYNC "bench-nofsync"
#define DL_CID_REMOVE "bench-remove" /* exists, stays empty */
#define DL_CID_GET_SEAL "bench-get-seal"
#define DL_CID_GET_DERIVE "bench-get-derive"

enum { DL_KEY = 16, DL_SEALED = (int)FK_SEALED_KEY_SIZE(DL_KEY), DL_FILE_MAX = 4096 };

static char g_dl_root[PATH_MAX]; /* removed at exit, whatever happens */

struct dlv {
	struct ops fnd; /* the foundation operations, on the same platform */
	fusekey_ctx *ctx;
	char bundle[PATH_MAX];
	char nofsync_path[PATH_MAX], nofsync_tmp[PATH_MAX + 8];
	struct fusekey_key_opts gen_seal, gen_derive, get_seal, get_derive;
	struct fk_seal_policy pol; /* what generate seals under */
	uint8_t key[FUSEKEY_KEY_MAX];
	uint8_t blob[DL_SEALED]; /* generate's crypto writes here */
	/* a real key.sealed and derive.json, for the file-only and crypto-only parts */
	uint8_t sealed_file[DL_SEALED];
	char *json;
	size_t json_len;
	struct fk_seal_binding aad;
	/* derive.json's request, for get's crypto alone */
	struct fk_sgx_key_request_fields dreq;
	uint8_t salt[FK_DERIVE_SALT_SIZE];
	uint8_t check[FK_CMAC_SIZE];
	char path_seal[PATH_MAX + 64], path_derive[PATH_MAX + 64]; /* get's files */
	uint8_t readbuf[DL_FILE_MAX];
};

/* What generate does first and get checks: the seal binding (fk_method_seal.c). */
static void dl_binding(const struct fk_sgx_identity *self, uint16_t policy, const char *cid,
		       struct fk_seal_binding *b)
{
	size_t cid_len = strlen(cid);

	memset(b, 0, sizeof(*b));
	memcpy(b->magic, FK_WIRE_MAGIC, sizeof(b->magic));
	fk_put_le16(b->version, FK_WIRE_VERSION);
	b->method = FK_WIRE_METHOD_SEAL;
	b->key_len = DL_KEY;
	fk_put_le16(b->key_policy, policy);
	fk_put_le16(b->cid_len, (uint16_t)cid_len);
	fk_wire_identity_from(self, &b->sealer);
	memcpy(b->container_id, cid, cid_len);
}

/* derive's crypto (fk_method_derive.c derive()) for a 16-byte key: KEYID, EGETKEY, CMAC check. */
static int dl_derive_crypto(struct dlv *d, const struct fk_sgx_key_request_fields *f0,
			    const uint8_t salt[FK_DERIVE_SALT_SIZE], const char *cid,
			    uint8_t key[DL_KEY], uint8_t check[FK_CMAC_SIZE])
{
	struct fk_sgx_key_request_fields f = *f0;
	struct fk_sgx_key_request req;
	uint8_t msg[sizeof(FK_DERIVE_CHECK_LABEL) - 1 + FUSEKEY_CONTAINER_ID_MAX];
	size_t cid_len = strlen(cid), label_len = sizeof(FK_DERIVE_CHECK_LABEL) - 1;
	uint8_t key_len = DL_KEY, part = 0, len_le[2];
	fusekey_status st;

	/* KEYID_0 as fk_wire.h defines it; dl_init checks the result against fusekey_get. */
	fk_put_le16(len_le, (uint16_t)cid_len);
	struct fk_buf parts[] = {
		{FK_DERIVE_KEYID_LABEL, sizeof(FK_DERIVE_KEYID_LABEL) - 1},
		{salt, FK_DERIVE_SALT_SIZE},
		{&key_len, 1},
		{&part, 1},
		{len_le, sizeof(len_le)},
		{cid, cid_len},
	};
	if ((st = fk_sha256_parts(parts, sizeof(parts) / sizeof(parts[0]), f.key_id)) !=
	    FUSEKEY_OK)
		return fail_fk("fk_sha256_parts", st);
	fk_sgx_key_request_encode(&f, &req);
	if ((st = fk_platform_get_key(d->fnd.p, &req, key)) != FUSEKEY_OK)
		return fail_fk("fk_platform_get_key", st);
	memcpy(msg, FK_DERIVE_CHECK_LABEL, label_len);
	memcpy(msg + label_len, cid, cid_len);
	if ((st = fk_cmac128(key, msg, label_len + cid_len, check)) != FUSEKEY_OK)
		return fail_fk("fk_cmac128", st);
	return 0;
}

/* The whole generate, as the agent calls it. */
static int dl_gen_seal(void *arg)
{
	struct dlv *d = arg;
	fusekey_status st = fusekey_generate(d->ctx, DL_CID_GEN_SEAL, &d->gen_seal, d->key,
					     sizeof(d->key));

	return st == FUSEKEY_OK ? 0 : fail_fk("fusekey_generate(seal)", st);
}

static int dl_gen_derive(void *arg)
{
	struct dlv *d = arg;
	fusekey_status st = fusekey_generate(d->ctx, DL_CID_GEN_DERIVE, &d->gen_derive, d->key,
					     sizeof(d->key));

	return st == FUSEKEY_OK ? 0 : fail_fk("fusekey_generate(derive)", st);
}

/* generate seal's crypto alone: identity, a random key, the binding, fk_seal with it. */
static int dl_gen_seal_crypto(void *arg)
{
	struct dlv *d = arg;
	struct fk_sgx_identity self;
	struct fk_seal_binding b;
	fusekey_status st;

	if ((st = fk_platform_identity(d->fnd.p, &self)) != FUSEKEY_OK)
		return fail_fk("fk_platform_identity", st);
	if ((st = fk_random(d->key, DL_KEY)) != FUSEKEY_OK)
		return fail_fk("fk_random", st);
	dl_binding(&self, d->pol.key_policy, DL_CID_GEN_SEAL, &b);
	st = fk_seal(d->fnd.p, &d->pol, (const uint8_t *)&b, sizeof(b), d->key, DL_KEY, d->blob,
		     sizeof(d->blob));
	return st == FUSEKEY_OK ? 0 : fail_fk("fk_seal", st);
}

/* generate derive's crypto alone: identity, CPUSVN, a random salt, KEYID + EGETKEY + CMAC. */
static int dl_gen_derive_crypto(void *arg)
{
	struct dlv *d = arg;
	struct fk_sgx_key_request_fields f;
	struct fk_sgx_identity self;
	uint8_t salt[FK_DERIVE_SALT_SIZE], check[FK_CMAC_SIZE];
	fusekey_status st;

	memset(&f, 0, sizeof(f));
	f.key_name = FK_SGX_KEYNAME_SEAL;
	f.key_policy = d->pol.key_policy;
	f.attr_mask_flags = d->pol.attr_mask_flags;
	f.attr_mask_xfrm = d->pol.attr_mask_xfrm;
	f.misc_mask = d->pol.misc_mask;
	if ((st = fk_seal_policy_check(&d->pol)) != FUSEKEY_OK ||
	    (st = fk_platform_identity(d->fnd.p, &self)) != FUSEKEY_OK ||
	    (st = fk_platform_cpu_svn(d->fnd.p, f.cpu_svn)) != FUSEKEY_OK ||
	    (st = fk_random(salt, sizeof(salt))) != FUSEKEY_OK)
		return fail_fk("derive setup", st);
	f.isv_svn = self.isv_svn;
	f.config_svn = self.config_svn;
	return dl_derive_crypto(d, &f, salt, DL_CID_GEN_DERIVE, d->key, check);
}

/* generate's file part alone: fk_bundle_write (directory checks, temp file, write,
 * fsync, rename, directory fsync) of a real key.sealed / derive.json. */
struct dl_file_arg {
	struct dlv *d;
	const char *name;
	const void *data;
	size_t len;
};

static int dl_file_of(void *arg)
{
	struct dl_file_arg *a = arg;
	fusekey_status st = fk_bundle_write(a->d->bundle, DL_CID_FILE, a->name, a->data, a->len,
					    true);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_bundle_write", st);
}

/* generate with force, last step: fk_bundle_remove of the other method's file
 * (absent here, as in any generate that does not switch methods). */
static int dl_remove_of(void *arg)
{
	struct dl_file_arg *a = arg;
	fusekey_status st = fk_bundle_remove(a->d->bundle, DL_CID_REMOVE, a->name);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_bundle_remove", st);
}

/*
 * The same bytes written without any fsync: remove the file, temp file, write,
 * close, link(), unlink(temp) (generate's path without force). Not rename()
 * over the old file: ext4 (auto_da_alloc) flushes the data of a file renamed
 * over another even without fsync, which would hide half of the fsync cost.
 */
static int dl_nofsync_of(void *arg)
{
	struct dl_file_arg *a = arg;
	struct dlv *d = a->d;
	const uint8_t *p = a->data;
	size_t left = a->len;
	int fd;

	if (unlink(d->nofsync_path) != 0 && errno != ENOENT)
		return fail_msg("unlink(file) failed");
	fd = open(d->nofsync_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail_msg("open(temp file) failed");
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n <= 0) {
			close(fd);
			return fail_msg("write(temp file) failed");
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) != 0 || link(d->nofsync_tmp, d->nofsync_path) != 0 ||
	    unlink(d->nofsync_tmp) != 0)
		return fail_msg("close/link/unlink(temp file) failed");
	return 0;
}

/* The whole get, as the app calls it. */
static int dl_get(struct dlv *d, const char *cid, const struct fusekey_key_opts *o,
		  const char *what)
{
	size_t len = sizeof(d->key);
	fusekey_status st = fusekey_get(d->ctx, cid, o, d->key, &len);

	if (st != FUSEKEY_OK)
		return fail_fk(what, st);
	return len == DL_KEY ? 0 : fail_msg("fusekey_get returned another key length");
}

static int dl_get_seal(void *arg)
{
	struct dlv *d = arg;

	return dl_get(d, DL_CID_GET_SEAL, &d->get_seal, "fusekey_get(seal)");
}

static int dl_get_derive(void *arg)
{
	struct dlv *d = arg;

	return dl_get(d, DL_CID_GET_DERIVE, &d->get_derive, "fusekey_get(derive)");
}

/* get seal's crypto alone: fk_unseal of the 816-byte key.sealed (binding as AAD). */
static int dl_get_seal_crypto(void *arg)
{
	struct dlv *d = arg;
	uint32_t txt_len = DL_KEY, aad_len = sizeof(d->aad);
	fusekey_status st = fk_unseal(d->fnd.p, d->sealed_file, sizeof(d->sealed_file), d->key,
				      &txt_len, (uint8_t *)&d->aad, &aad_len);

	if (st != FUSEKEY_OK)
		return fail_fk("fk_unseal(key.sealed)", st);
	return txt_len == DL_KEY ? 0 : fail_msg("fk_unseal returned another key length");
}

/* get derive's crypto alone: identity, KEYID + EGETKEY + CMAC, and the check compare. */
static int dl_get_derive_crypto(void *arg)
{
	struct dlv *d = arg;
	struct fk_sgx_identity self;
	uint8_t check[FK_CMAC_SIZE];
	fusekey_status st;

	if ((st = fk_platform_identity(d->fnd.p, &self)) != FUSEKEY_OK)
		return fail_fk("fk_platform_identity", st);
	if (dl_derive_crypto(d, &d->dreq, d->salt, DL_CID_GET_DERIVE, d->key, check) != 0)
		return -1;
	return fk_ct_equal(check, d->check, sizeof(check)) ? 0 : fail_msg("key_check differs");
}

/* get's file part alone: fk_bundle_read (directory checks, open, fstat, read, close). */
static int dl_read(struct dlv *d, const char *cid, const char *name)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	fusekey_status st = fk_bundle_read(d->bundle, cid, name, DL_FILE_MAX, &buf, &len);

	fk_file_free(buf, len);
	return st == FUSEKEY_OK ? 0 : fail_fk("fk_bundle_read", st);
}

/* The least any get pays for its file: open, fstat, read, close of the full path. */
static int dl_bare_read(const char *path, uint8_t *buf, size_t cap)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail_msg("open(key file) failed");
	if (fstat(fd, &sb) != 0 || (n = read(fd, buf, cap)) <= 0) {
		close(fd);
		return fail_msg("fstat/read(key file) failed");
	}
	close(fd);
	return 0;
}

static int dl_bare_read_seal(void *arg)
{
	struct dlv *d = arg;

	return dl_bare_read(d->path_seal, d->readbuf, sizeof(d->readbuf));
}

static int dl_bare_read_derive(void *arg)
{
	struct dlv *d = arg;

	return dl_bare_read(d->path_derive, d->readbuf, sizeof(d->readbuf));
}

static int dl_read_seal(void *arg)
{
	return dl_read(arg, DL_CID_GET_SEAL, FK_BUNDLE_SEALED_NAME);
}

static int dl_read_derive(void *arg)
{
	return dl_read(arg, DL_CID_GET_DERIVE, FK_BUNDLE_DERIVE_NAME);
}

static int dl_rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void dl_cleanup(void)
{
	if (g_dl_root[0] != '\0') {
		(void)nftw(g_dl_root, dl_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		g_dl_root[0] = '\0';
	}
}

/* The file system the bundle is on: fsync is nearly free on tmpfs. */
static const char *dl_fs_name(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) != 0)
		return "unknown file system";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53UL:
		return "ext4";
	case 0x58465342UL:
		return "xfs";
	case 0x9123683EUL:
		return "btrfs";
	case 0x01021994UL:
		return "tmpfs";
	case 0x794C7630UL:
		return "overlayfs";
	default:
		return "other file system";
	}
}

/* Pull a string field out of derive.json for get's crypto-alone figure. */
static int dl_hex(const char *json, const char *field, uint8_t *out, size_t n)
{
	char pat[64];
	const char *s;

	snprintf(pat, sizeof(pat), "\"%s\": \"", field);
	s = strstr(json, pat);
	if (s == NULL)
		return fail_msg("derive.json lacks a field the bench needs");
	s += strlen(pat);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return fail_msg("derive.json: bad hex");
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int dl_init(struct dlv *d)
{
	const char *base = getenv("TMPDIR");
	struct fk_sgx_identity self;
	fusekey_status st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int n;

	memset(d, 0, sizeof(*d));
	if (ops_init(&d->fnd, FK_SIM_MODE_SECURE) != 0)
		return -1;
	if ((st = fk_ctx_wrap(d->fnd.p, &d->ctx)) != FUSEKEY_OK)
		return fail_fk("fk_ctx_wrap", st);
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(g_dl_root, sizeof(g_dl_root), "%s/fusekey-bench-XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(g_dl_root) || mkdtemp(g_dl_root) == NULL) {
		g_dl_root[0] = '\0';
		return fail_msg("mkdtemp of the bundle directory failed");
	}
	atexit(dl_cleanup);
	n = snprintf(d->bundle, sizeof(d->bundle), "%.*s/bundle", (int)(sizeof(d->bundle) - 8),
		     g_dl_root);
	if (n < 0 || (size_t)n >= sizeof(d->bundle) || mkdir(d->bundle, 0700) != 0)
		return fail_msg("mkdir of the bundle failed");

	fk_seal_policy_default(&d->pol);
	d->pol.key_policy = FK_SGX_KEYPOLICY_MRSIGNER;
	d->gen_seal = (struct fusekey_key_opts){
		.method = FUSEKEY_METHOD_SEAL, .bundle_dir = d->bundle, .key_len = DL_KEY, .force = 1};
	d->gen_derive = d->gen_seal;
	d->gen_derive.method = FUSEKEY_METHOD_DERIVE;
	d->get_seal = (struct fusekey_key_opts){.method = FUSEKEY_METHOD_SEAL, .bundle_dir = d->bundle};
	d->get_derive = d->get_seal;
	d->get_derive.method = FUSEKEY_METHOD_DERIVE;

	/* The keys get opens, and real files for the file-only and crypto-only parts. */
	if ((st = fusekey_generate(d->ctx, DL_CID_GET_SEAL, &d->gen_seal, NULL, 0)) != FUSEKEY_OK)
		return fail_fk("fusekey_generate(seal)", st);
	if ((st = fusekey_generate(d->ctx, DL_CID_GET_DERIVE, &d->gen_derive, NULL, 0)) !=
	    FUSEKEY_OK)
		return fail_fk("fusekey_generate(derive)", st);
	if ((st = fk_bundle_read(d->bundle, DL_CID_GET_SEAL, FK_BUNDLE_SEALED_NAME, DL_FILE_MAX,
				 &buf, &len)) != FUSEKEY_OK)
		return fail_fk("fk_bundle_read(key.sealed)", st);
	if (len != sizeof(d->sealed_file)) {
		fk_file_free(buf, len);
		return fail_msg("key.sealed has an unexpected size");
	}
	memcpy(d->sealed_file, buf, len);
	fk_file_free(buf, len);
	if ((st = fk_bundle_read(d->bundle, DL_CID_GET_DERIVE, FK_BUNDLE_DERIVE_NAME, DL_FILE_MAX,
				 &buf, &len)) != FUSEKEY_OK)
		return fail_fk("fk_bundle_read(derive.json)", st);
	d->json = calloc(1, len + 1);
	if (d->json == NULL) {
		fk_file_free(buf, len);
		return fail_msg("out of memory");
	}
	memcpy(d->json, buf, len);
	d->json_len = len;
	fk_file_free(buf, len);

	/* derive.json's request, as derive_get rebuilds it. */
	if ((st = fk_platform_identity(d->fnd.p, &self)) != FUSEKEY_OK)
		return fail_fk("fk_platform_identity", st);
	d->dreq.key_name = FK_SGX_KEYNAME_SEAL;
	d->dreq.key_policy = d->pol.key_policy;
	d->dreq.attr_mask_flags = d->pol.attr_mask_flags;
	d->dreq.attr_mask_xfrm = d->pol.attr_mask_xfrm;
	d->dreq.misc_mask = d->pol.misc_mask;
	d->dreq.isv_svn = self.isv_svn;
	d->dreq.config_svn = self.config_svn;
	if ((st = fk_platform_cpu_svn(d->fnd.p, d->dreq.cpu_svn)) != FUSEKEY_OK)
		return fail_fk("fk_platform_cpu_svn", st);
	if (dl_hex(d->json, "salt", d->salt, sizeof(d->salt)) != 0 ||
	    dl_hex(d->json, "key_check", d->check, sizeof(d->check)) != 0)
		return -1;

	n = snprintf(d->nofsync_path, sizeof(d->nofsync_path), "%s/%s/%s", d->bundle,
		     FK_BUNDLE_SUBDIR, DL_CID_NOFSYNC);
	if (n < 0 || (size_t)n >= sizeof(d->nofsync_path) ||
	    fk_file_mkdirs(d->nofsync_path, 0700) != FUSEKEY_OK)
		return fail_msg("making the no-fsync directory failed");
	snprintf(d->nofsync_tmp, sizeof(d->nofsync_tmp), "%s/f.tmp", d->nofsync_path);
	{
		char rm_dir[PATH_MAX + 64];
		snprintf(rm_dir, sizeof(rm_dir), "%s/%s/%s", d->bundle, FK_BUNDLE_SUBDIR,
			 DL_CID_REMOVE);
		if (fk_file_mkdirs(rm_dir, 0700) != FUSEKEY_OK)
			return fail_msg("making the remove directory failed");
	}
	strncat(d->nofsync_path, "/f", sizeof(d->nofsync_path) - strlen(d->nofsync_path) - 1);

	snprintf(d->path_seal, sizeof(d->path_seal), "%s/%s/%s/%s", d->bundle, FK_BUNDLE_SUBDIR,
		 DL_CID_GET_SEAL, FK_BUNDLE_SEALED_NAME);
	snprintf(d->path_derive, sizeof(d->path_derive), "%s/%s/%s/%s", d->bundle,
		 FK_BUNDLE_SUBDIR, DL_CID_GET_DERIVE, FK_BUNDLE_DERIVE_NAME);

	/* Check every operation once before timing (get's crypto against get itself). */
	uint8_t want[DL_KEY];
	if (dl_get_seal(d) != 0)
		return -1;
	memcpy(want, d->key, DL_KEY);
	if (dl_get_seal_crypto(d) != 0)
		return -1;
	if (memcmp(want, d->key, DL_KEY) != 0)
		return fail_msg("fk_unseal of key.sealed differs from fusekey_get");
	if (dl_get_derive(d) != 0)
		return -1;
	memcpy(want, d->key, DL_KEY);
	if (dl_get_derive_crypto(d) != 0)
		return -1;
	if (memcmp(want, d->key, DL_KEY) != 0)
		return fail_msg("the derive crypto differs from fusekey_get");
	OPENSSL_cleanse(want, sizeof(want));
	if (dl_gen_seal(d) != 0 || dl_gen_derive(d) != 0 || dl_gen_seal_crypto(d) != 0 ||
	    dl_gen_derive_crypto(d) != 0 || dl_read_seal(d) != 0 || dl_read_derive(d) != 0 ||
	    dl_bare_read_seal(d) != 0 || dl_bare_read_derive(d) != 0)
		return -1;
	return 0;
}

static void dl_free(struct dlv *d)
{
	fusekey_ctx_free(d->ctx);
	free(d->json);
	ops_free(&d->fnd);
	OPENSSL_cleanse(d, sizeof(*d));
	dl_cleanup();
}

static void progress(const struct options *o, const char *what);

/* ---- local attestation: the sgx_dh handshake, its floor, TLS 1.3 beside it ---- */

/*
 * Two enclaves of one emulated platform in secure mode (fk_sim_state_random,
 * then fk_sim_platform_new twice from that state): the responder (the agent,
 * bench_identity) and the initiator (an app enclave: another MRENCLAVE, the
 * same signer). One la_handshake call is a whole handshake, both sides, in
 * one thread: responder gen_msg1, initiator proc_msg1, responder proc_msg2,
 * initiator proc_msg3, then each side's fk_dh_check_peer against an
 * expectation of the other, and both sessions wiped.
 *
 * Its floor (la_floor) is the crypto the protocol cannot avoid, timed alone
 * through fk_crypto, counted from src/la/fk_dh.c (the trace below):
 *   2 fk_p256_keygen       the two ephemeral keys (gen_msg1, proc_msg1)
 *   2 fk_p256_ecdh         proc_msg1 and proc_msg2, each checking the peer's point
 *   8 fk_cmac128 (KDF)     SMK and AEK on each side, 2 CMACs per key: over the
 *                          32-B shared x (the KDK), then over the 7-B label block
 *   4 fk_cmac128           msg2's CMAC made (proc_msg1) and checked (proc_msg2),
 *                          msg3's made (proc_msg2) and checked (proc_msg3);
 *                          LAv1: over the 432-B report, the 436-B msg3 body;
 *                          LAv2: over g_b, props || g_a (64 B, no props)
 *   4 fk_sha256 of 128 B   report_data of msg2 made and checked, of msg3 made and
 *                          checked: LAv1 g_a || g_b, g_b || g_a; LAv2 spec || g_b,
 *                          g_a || spec
 * The handshake's emulated EREPORT and report checks are part of the protocol
 * but not of the floor; la_platform times them alone: 3
 * fk_platform_create_report (the responder's self report in gen_msg1, msg2's
 * report, msg3's) and 2 fk_platform_verify_report (of msg2's, of msg3's).
 *
 * Trace (fk_dh.c), LAv1 | LAv2; [P] = platform op:
 *   gen_msg1   [P] self report, keygen
 *   proc_msg1  keygen, ecdh, 4 KDF CMACs, sha256, [P] report, CMAC(SMK, report) | CMAC(SMK, g_b)
 *   proc_msg2  ecdh, 4 KDF CMACs;
 *              LAv1: CMAC(SMK, report) check, [P] verify, sha256 check;
 *              LAv2 (the LAv1 check stops at the KDF id, no crypto): sha256,
 *              [P] verify, CMAC(SMK, g_b) check;
 *              then sha256 (msg3's report_data), [P] report, msg3 CMAC
 *   proc_msg3  LAv1: CMAC check, [P] verify, sha256 check;
 *              LAv2: sha256 check, [P] verify, CMAC check
 *
 * The TLS 1.3 comparison uses OpenSSL's libssl, linked into this benchmark
 * only for it (fusekey itself never uses TLS): client and server in one
 * thread over an in-memory BIO pair, ECDHE on P-256 only, the server's
 * self-signed ECDSA P-256 certificate made once at start-up and trusted by
 * the client (which verifies the chain and CertificateVerify), no session
 * tickets nor cache, so every handshake is a full one.
 */

enum {
	LA_LAV1_CMAC_MSG2 = FK_SGX_REPORT_SIZE,            /* 432: the report */
	LA_LAV1_CMAC_MSG3 = FK_SGX_REPORT_SIZE + 4,        /* 436: report || length */
	LA_LAV2_CMAC = FK_DH_PUB_SIZE,                     /* 64: g_b; props (none) || g_a */
	LA_SHA_IN = FK_DH_PUB_SIZE + FK_DH_PROTO_SPEC_SIZE, /* 128 either way */
	LA_NKDF = 8,
	LA_NPROTO_CMAC = 4,
	LA_NSHA = 4,
};
_Static_assert(FK_DH_MSG3_FIXED_SIZE - FK_DH_MSG3_BODY_OFF == LA_LAV1_CMAC_MSG3,
	       "LAv1 msg3 CMAC input");
_Static_assert(2 * FK_DH_PUB_SIZE == LA_SHA_IN, "LAv1 hashes g_a || g_b");

/*
 * The P-256 work straight with OpenSSL, as the other floors do it: the group
 * built once, BIGNUMs, points and the BN_CTX made once and reused. A key pair
 * is a random scalar 1 <= d < n times the generator; an ECDH is the peer's
 * coordinates checked (< p, on the curve, which for P-256, of prime order,
 * also means order n), then d times that point. Keys travel in SGX's
 * little-endian encoding, as fk_p256_* take and give them.
 */
struct la_raw {
	EC_GROUP *group;
	BN_CTX *bn;
	BIGNUM *d, *x, *y, *p;
	EC_POINT *q, *r;
};

static int raw_keygen(struct la_raw *w, uint8_t priv[FK_DH_PRIV_SIZE],
		      uint8_t pub[FK_DH_PUB_SIZE])
{
	do {
		if (BN_priv_rand_range_ex(w->d, EC_GROUP_get0_order(w->group), 0, w->bn) != 1)
			return fail_ossl("BN_priv_rand_range_ex");
	} while (BN_is_zero(w->d));
	BN_set_flags(w->d, BN_FLG_CONSTTIME);
	if (EC_POINT_mul(w->group, w->q, w->d, NULL, NULL, w->bn) != 1 ||
	    EC_POINT_get_affine_coordinates(w->group, w->q, w->x, w->y, w->bn) != 1)
		return fail_ossl("EC_POINT_mul(G)");
	if (BN_bn2lebinpad(w->d, priv, FK_DH_PRIV_SIZE) != FK_DH_PRIV_SIZE ||
	    BN_bn2lebinpad(w->x, pub, 32) != 32 || BN_bn2lebinpad(w->y, pub + 32, 32) != 32)
		return fail_ossl("BN_bn2lebinpad");
	return 0;
}

/* The peer point of an ECDH, checked, into w->q. */
static int raw_peer(struct la_raw *w, const uint8_t pub[FK_DH_PUB_SIZE])
{
	if (BN_lebin2bn(pub, 32, w->x) == NULL || BN_lebin2bn(pub + 32, 32, w->y) == NULL)
		return fail_ossl("BN_lebin2bn");
	if (BN_cmp(w->x, w->p) >= 0 || BN_cmp(w->y, w->p) >= 0 ||
	    EC_POINT_set_affine_coordinates(w->group, w->q, w->x, w->y, w->bn) != 1 ||
	    EC_POINT_is_on_curve(w->group, w->q, w->bn) != 1 ||
	    EC_POINT_is_at_infinity(w->group, w->q))
		return fail_msg("raw ECDH: the peer point is invalid");
	return 0;
}

static int raw_ecdh(struct la_raw *w, const uint8_t priv[FK_DH_PRIV_SIZE],
		    const uint8_t pub[FK_DH_PUB_SIZE], uint8_t shared[FK_DH_SHARED_SIZE])
{
	if (raw_peer(w, pub) != 0)
		return -1;
	if (BN_lebin2bn(priv, FK_DH_PRIV_SIZE, w->d) == NULL)
		return fail_ossl("BN_lebin2bn");
	BN_set_flags(w->d, BN_FLG_CONSTTIME);
	if (EC_POINT_mul(w->group, w->r, NULL, w->q, w->d, w->bn) != 1 ||
	    EC_POINT_get_affine_coordinates(w->group, w->r, w->x, NULL, w->bn) != 1)
		return fail_ossl("EC_POINT_mul(Q)");
	if (BN_bn2lebinpad(w->x, shared, FK_DH_SHARED_SIZE) != FK_DH_SHARED_SIZE)
		return fail_ossl("BN_bn2lebinpad");
	return 0;
}

static int raw_init(struct la_raw *w)
{
	memset(w, 0, sizeof(*w));
	w->group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, NID_X9_62_prime256v1);
	w->bn = BN_CTX_new();
	w->d = BN_secure_new();
	w->x = BN_new();
	w->y = BN_new();
	w->p = BN_new();
	if (w->group == NULL || w->bn == NULL || w->d == NULL || w->x == NULL || w->y == NULL ||
	    w->p == NULL)
		return fail_ossl("raw P-256 setup");
	w->q = EC_POINT_new(w->group);
	w->r = EC_POINT_new(w->group);
	if (w->q == NULL || w->r == NULL ||
	    EC_GROUP_get_curve(w->group, w->p, NULL, NULL, w->bn) != 1)
		return fail_ossl("raw P-256 setup");
	return 0;
}

static void raw_free(struct la_raw *w)
{
	EC_POINT_free(w->q);
	EC_POINT_clear_free(w->r);
	BN_clear_free(w->d);
	BN_free(w->x);
	BN_free(w->y);
	BN_free(w->p);
	BN_CTX_free(w->bn);
	EC_GROUP_free(w->group);
	memset(w, 0, sizeof(*w));
}

/* The platforms and what both versions share. */
struct la_env {
	struct fk_platform *resp_p, *init_p;
	struct fk_dh_expect want_init; /* what the responder accepts: the app's MRENCLAVE */
	struct fk_dh_expect want_resp; /* what the initiator accepts: the agent's signer */
	/* la_platform's scratch: the targets EREPORT is made for */
	struct fk_sgx_target_info resp_ti, init_ti;
	uint8_t rd[FK_SGX_REPORT_DATA_SIZE];
	struct fk_sgx_report rep[3];
	struct la_raw raw; /* the floor's P-256 straight with OpenSSL */
};

/* One version's handshake and floor. */
struct la_run {
	struct la_env *env;
	enum fk_dh_version version;
	struct fk_dh_session r, i;
	struct fk_dh_msg1 m1;
	struct fk_dh_msg2 m2;
	uint8_t m3[FK_DH_MSG3_FIXED_SIZE];
	/* the floor's inputs of the protocol CMACs and hashes (their lengths are what counts) */
	size_t cmac_len[LA_NPROTO_CMAC];
	uint8_t cmac_in[LA_LAV1_CMAC_MSG3];
	uint8_t sha_in[LA_SHA_IN];
};

static int la_handshake(void *arg)
{
	struct la_run *l = arg;
	struct la_env *e = l->env;
	size_t m3_len = 0, matched = 0;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
	fusekey_status st;
	int rc = -1;

	if ((st = fk_dh_init(&l->r, FK_DH_ROLE_RESPONDER)) != FUSEKEY_OK ||
	    (st = fk_dh_init(&l->i, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_init", st);
	else if ((st = fk_dh_responder_gen_msg1(&l->r, e->resp_p, &l->m1)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_responder_gen_msg1", st);
	else if ((st = fk_dh_initiator_proc_msg1(&l->i, e->init_p, l->version, &l->m1, &l->m2)) !=
		 FUSEKEY_OK)
		rc = fail_fk("fk_dh_initiator_proc_msg1", st);
	else if ((st = fk_dh_responder_proc_msg2(&l->r, e->resp_p, &l->m2, NULL, 0, l->m3,
						 sizeof(l->m3), &m3_len)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_responder_proc_msg2", st);
	else if ((st = fk_dh_initiator_proc_msg3(&l->i, e->init_p, l->m3, m3_len)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_initiator_proc_msg3", st);
	else if ((st = fk_dh_check_peer(&l->r, &e->want_init, 1, &matched, &why)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_check_peer(responder)", st);
	else if ((st = fk_dh_check_peer(&l->i, &e->want_resp, 1, &matched, &why)) != FUSEKEY_OK)
		rc = fail_fk("fk_dh_check_peer(initiator)", st);
	else
		rc = 0;
	fk_dh_wipe(&l->r);
	fk_dh_wipe(&l->i);
	return rc;
}

/* The floor, its P-256 through fk_crypto, or (raw) straight with OpenSSL. */
static int la_floor_with(struct la_run *l, bool raw)
{
	static const uint8_t zero_key[FK_AES128_KEY_SIZE];
	static const uint8_t label[2][7] = {{0x01, 'S', 'M', 'K', 0x00, 0x80, 0x00},
					    {0x01, 'A', 'E', 'K', 0x00, 0x80, 0x00}};
	struct la_raw *w = &l->env->raw;
	uint8_t pa[FK_DH_PRIV_SIZE], ga[FK_DH_PUB_SIZE], pb[FK_DH_PRIV_SIZE], gb[FK_DH_PUB_SIZE];
	uint8_t z[2][FK_DH_SHARED_SIZE], kdk[FK_CMAC_SIZE], key[2][2][FK_SGX_KEY_SIZE];
	uint8_t mac[FK_CMAC_SIZE], h[FK_SHA256_SIZE];
	fusekey_status st;

	if (raw) {
		if (raw_keygen(w, pa, ga) != 0 || raw_keygen(w, pb, gb) != 0 ||
		    raw_ecdh(w, pb, ga, z[0]) != 0 || raw_ecdh(w, pa, gb, z[1]) != 0)
			return -1;
	} else {
		if ((st = fk_p256_keygen(pa, ga)) != FUSEKEY_OK || /* responder, gen_msg1 */
		    (st = fk_p256_keygen(pb, gb)) != FUSEKEY_OK)   /* initiator, proc_msg1 */
			return fail_fk("fk_p256_keygen", st);
		if ((st = fk_p256_ecdh(pb, ga, z[0])) != FUSEKEY_OK || /* proc_msg1 */
		    (st = fk_p256_ecdh(pa, gb, z[1])) != FUSEKEY_OK)   /* proc_msg2 */
			return fail_fk("fk_p256_ecdh", st);
	}
	for (size_t side = 0; side < 2; side++) {
		for (size_t k = 0; k < 2; k++) {
			if ((st = fk_cmac128(zero_key, z[side], FK_DH_SHARED_SIZE, kdk)) !=
				    FUSEKEY_OK ||
			    (st = fk_cmac128(kdk, label[k], sizeof(label[k]), key[side][k])) !=
				    FUSEKEY_OK)
				return fail_fk("fk_cmac128 (KDF)", st);
		}
	}
	for (size_t j = 0; j < LA_NPROTO_CMAC; j++)
		if ((st = fk_cmac128(key[j % 2][0], l->cmac_in, l->cmac_len[j], mac)) != FUSEKEY_OK)
			return fail_fk("fk_cmac128", st);
	for (size_t j = 0; j < LA_NSHA; j++) {
		struct fk_buf parts[2] = {{l->sha_in, LA_SHA_IN / 2},
					  {l->sha_in + LA_SHA_IN / 2, LA_SHA_IN / 2}};
		if ((st = fk_sha256_parts(parts, 2, h)) != FUSEKEY_OK)
			return fail_fk("fk_sha256_parts", st);
	}
	if (memcmp(key[0], key[1], sizeof(key[0])) != 0)
		return fail_msg("floor: the two sides derived other keys");
	return 0;
}

static int la_floor(void *arg)
{
	return la_floor_with(arg, false);
}

static int la_floor_raw(void *arg)
{
	return la_floor_with(arg, true);
}

/* ---- P-256 alone: fk_crypto's calls beside the same work straight with OpenSSL ---- */

struct la_p256 {
	struct la_raw *w;
	uint8_t pa[FK_DH_PRIV_SIZE], ga[FK_DH_PUB_SIZE]; /* a fixed pair for the ECDH rows */
	uint8_t pb[FK_DH_PRIV_SIZE], gb[FK_DH_PUB_SIZE];
	uint8_t priv[FK_DH_PRIV_SIZE], pub[FK_DH_PUB_SIZE], z[FK_DH_SHARED_SIZE];
};

static int p256_keygen_fk(void *arg)
{
	struct la_p256 *a = arg;
	fusekey_status st = fk_p256_keygen(a->priv, a->pub);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_p256_keygen", st);
}

static int p256_keygen_raw(void *arg)
{
	struct la_p256 *a = arg;

	return raw_keygen(a->w, a->priv, a->pub);
}

static int p256_ecdh_fk(void *arg)
{
	struct la_p256 *a = arg;
	fusekey_status st = fk_p256_ecdh(a->pb, a->ga, a->z);

	return st == FUSEKEY_OK ? 0 : fail_fk("fk_p256_ecdh", st);
}

static int p256_ecdh_raw(void *arg)
{
	struct la_p256 *a = arg;

	return raw_ecdh(a->w, a->pb, a->ga, a->z);
}

/*
 * The raw ECDH plus what OpenSSL's peer validation (EVP_PKEY_public_check,
 * which EVP_PKEY_derive_set_peer_ex(..., 1) runs) adds for an EC key: n * Q
 * must be the point at infinity, a second full scalar multiplication. For
 * P-256 (cofactor 1) it cannot fail once the point is on the curve.
 */
static int p256_ecdh_raw_order(void *arg)
{
	struct la_p256 *a = arg;
	struct la_raw *w = a->w;

	if (raw_ecdh(w, a->pb, a->ga, a->z) != 0)
		return -1;
	if (EC_POINT_mul(w->group, w->r, NULL, w->q, EC_GROUP_get0_order(w->group), w->bn) != 1)
		return fail_ossl("EC_POINT_mul(n, Q)");
	return EC_POINT_is_at_infinity(w->group, w->r) ? 0 : fail_msg("n * Q is not infinity");
}

static int la_p256_init(struct la_p256 *a, struct la_raw *w)
{
	uint8_t z2[FK_DH_SHARED_SIZE];
	fusekey_status st;

	memset(a, 0, sizeof(*a));
	a->w = w;
	if ((st = fk_p256_keygen(a->pa, a->ga)) != FUSEKEY_OK)
		return fail_fk("fk_p256_keygen", st);
	if (raw_keygen(w, a->pb, a->gb) != 0)
		return -1;
	/* Both ways agree on both sides' keys. */
	if ((st = fk_p256_ecdh(a->pa, a->gb, z2)) != FUSEKEY_OK)
		return fail_fk("fk_p256_ecdh", st);
	if (p256_ecdh_raw(a) != 0 || memcmp(a->z, z2, sizeof(z2)) != 0)
		return fail_msg("raw and fk_p256_ecdh disagree");
	if (p256_ecdh_fk(a) != 0 || memcmp(a->z, z2, sizeof(z2)) != 0)
		return fail_msg("fk_p256_ecdh disagrees with itself across sides");
	if (p256_keygen_fk(a) != 0 || p256_keygen_raw(a) != 0 || p256_ecdh_raw_order(a) != 0)
		return -1;
	return 0;
}

/* The handshake's emulated platform work alone: 3 EREPORT, 2 report checks. */
static int la_platform(void *arg)
{
	struct la_env *e = arg;
	fusekey_status st;

	if ((st = fk_platform_create_report(e->resp_p, NULL, NULL, &e->rep[0])) != FUSEKEY_OK ||
	    (st = fk_platform_create_report(e->init_p, &e->resp_ti, e->rd, &e->rep[1])) !=
		    FUSEKEY_OK ||
	    (st = fk_platform_create_report(e->resp_p, &e->init_ti, e->rd, &e->rep[2])) !=
		    FUSEKEY_OK)
		return fail_fk("fk_platform_create_report", st);
	if ((st = fk_platform_verify_report(e->resp_p, &e->rep[1])) != FUSEKEY_OK ||
	    (st = fk_platform_verify_report(e->init_p, &e->rep[2])) != FUSEKEY_OK)
		return fail_fk("fk_platform_verify_report", st);
	return 0;
}

/* The app enclave: bench_identity with another MRENCLAVE. */
static void la_app_identity(struct fk_sgx_identity *id)
{
	bench_identity(id);
	for (unsigned i = 0; i < FK_SGX_HASH_SIZE; i++)
		id->mr_enclave[i] = (uint8_t)(0xC0u + i);
	id->isv_prod_id = 2;
}

static int la_env_init(struct la_env *e)
{
	struct fk_sim_state state;
	struct fk_sgx_identity agent, app;
	fusekey_status st;

	memset(e, 0, sizeof(*e));
	if ((st = fk_sim_state_random(&state, FK_SIM_CPUSVN_DEFAULT)) != FUSEKEY_OK)
		return fail_fk("fk_sim_state_random", st);
	bench_identity(&agent);
	la_app_identity(&app);
	st = fk_sim_platform_new(&state, &agent, &e->resp_p);
	if (st == FUSEKEY_OK)
		st = fk_sim_platform_new(&state, &app, &e->init_p);
	fk_sim_state_clear(&state);
	if (st != FUSEKEY_OK)
		return fail_fk("fk_sim_platform_new", st);

	e->want_init.fields = FK_DH_EXPECT_MRENCLAVE | FK_DH_EXPECT_ISVPRODID;
	memcpy(e->want_init.mr_enclave, app.mr_enclave, sizeof(app.mr_enclave));
	e->want_init.isv_prod_id = app.isv_prod_id;
	e->want_init.min_isv_svn = app.isv_svn;
	e->want_resp.fields = FK_DH_EXPECT_MRSIGNER | FK_DH_EXPECT_ISVPRODID;
	memcpy(e->want_resp.mr_signer, agent.mr_signer, sizeof(agent.mr_signer));
	e->want_resp.isv_prod_id = agent.isv_prod_id;
	e->want_resp.min_isv_svn = agent.isv_svn;

	if ((st = fk_platform_self_target(e->resp_p, &e->resp_ti)) != FUSEKEY_OK ||
	    (st = fk_platform_self_target(e->init_p, &e->init_ti)) != FUSEKEY_OK)
		return fail_fk("fk_platform_self_target", st);
	if ((st = fk_random(e->rd, sizeof(e->rd))) != FUSEKEY_OK)
		return fail_fk("fk_random", st);
	if (raw_init(&e->raw) != 0)
		return -1;
	return la_platform(e);
}

static void la_env_free(struct la_env *e)
{
	fk_platform_destroy(e->resp_p);
	fk_platform_destroy(e->init_p);
	raw_free(&e->raw);
	OPENSSL_cleanse(e, sizeof(*e));
}

/* One version; checks the handshake once (both AEKs equal, the version on the wire). */
static int la_run_init(struct la_run *l, struct la_env *e, enum fk_dh_version v)
{
	struct fk_dh_session r, i;
	uint8_t aek_r[FK_SGX_KEY_SIZE], aek_i[FK_SGX_KEY_SIZE];
	size_t m3_len = 0, matched = 0;
	fusekey_status st;

	memset(l, 0, sizeof(*l));
	l->env = e;
	l->version = v;
	if (v == FK_DH_LAV1) {
		l->cmac_len[0] = l->cmac_len[1] = LA_LAV1_CMAC_MSG2;
		l->cmac_len[2] = l->cmac_len[3] = LA_LAV1_CMAC_MSG3;
	} else {
		for (size_t j = 0; j < LA_NPROTO_CMAC; j++)
			l->cmac_len[j] = LA_LAV2_CMAC;
	}
	if ((st = fk_random(l->cmac_in, sizeof(l->cmac_in))) != FUSEKEY_OK ||
	    (st = fk_random(l->sha_in, sizeof(l->sha_in))) != FUSEKEY_OK)
		return fail_fk("fk_random", st);

	/* The same steps as la_handshake, keeping the sessions to compare them. */
	if (fk_dh_init(&r, FK_DH_ROLE_RESPONDER) != FUSEKEY_OK ||
	    fk_dh_init(&i, FK_DH_ROLE_INITIATOR) != FUSEKEY_OK ||
	    fk_dh_responder_gen_msg1(&r, e->resp_p, &l->m1) != FUSEKEY_OK ||
	    fk_dh_initiator_proc_msg1(&i, e->init_p, v, &l->m1, &l->m2) != FUSEKEY_OK ||
	    fk_dh_responder_proc_msg2(&r, e->resp_p, &l->m2, NULL, 0, l->m3, sizeof(l->m3),
				      &m3_len) != FUSEKEY_OK ||
	    fk_dh_initiator_proc_msg3(&i, e->init_p, l->m3, m3_len) != FUSEKEY_OK ||
	    fk_dh_check_peer(&r, &e->want_init, 1, &matched, NULL) != FUSEKEY_OK ||
	    fk_dh_check_peer(&i, &e->want_resp, 1, &matched, NULL) != FUSEKEY_OK ||
	    fk_dh_export_aek(&r, aek_r) != FUSEKEY_OK || fk_dh_export_aek(&i, aek_i) != FUSEKEY_OK) {
		fk_dh_wipe(&r);
		fk_dh_wipe(&i);
		return fail_msg("the local-attestation handshake failed before timing");
	}
	fk_dh_wipe(&r);
	fk_dh_wipe(&i);
	bool same = memcmp(aek_r, aek_i, sizeof(aek_r)) == 0;
	OPENSSL_cleanse(aek_r, sizeof(aek_r));
	OPENSSL_cleanse(aek_i, sizeof(aek_i));
	if (!same)
		return fail_msg("the two sides of the handshake hold other AEKs");
	/* LAv1's msg2 carries the KDF id at report_data[32..34), LAv2's the spec. */
	const uint8_t *rd = l->m2.report.body.report_data;
	bool lav2_on_wire = memcmp(rd, &fk_dh_lav2_proto_spec, FK_DH_PROTO_SPEC_SIZE) == 0;
	if (lav2_on_wire != (v == FK_DH_LAV2) || (v == FK_DH_LAV1 && fk_le16(rd + 32) != FK_DH_KDF_ID))
		return fail_msg("msg2 is not of the version asked for");
	if (m3_len != FK_DH_MSG3_FIXED_SIZE)
		return fail_msg("msg3 has an unexpected length");
	return la_handshake(l) != 0 || la_floor(l) != 0 || la_floor_raw(l) != 0 ? -1 : 0;
}

/* ---- TLS 1.3 (libssl, for the comparison only) ---- */

struct tls_bench {
	SSL_CTX *server, *client;
	EVP_PKEY *key;
	X509 *cert;
};

/* Ask until both sides are done; a handshake is a few round trips. */
static int tls_drive(SSL *c, SSL *s)
{
	bool c_done = false, s_done = false;

	for (int round = 0; round < 16 && !(c_done && s_done); round++) {
		SSL *side[2] = {c, s};
		bool *done[2] = {&c_done, &s_done};
		for (size_t k = 0; k < 2; k++) {
			if (*done[k])
				continue;
			int r = SSL_do_handshake(side[k]);
			if (r == 1) {
				*done[k] = true;
				continue;
			}
			int err = SSL_get_error(side[k], r);
			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
				return fail_ossl(k == 0 ? "SSL_do_handshake(client)"
							: "SSL_do_handshake(server)");
		}
	}
	return c_done && s_done ? 0 : fail_msg("the TLS handshake did not finish");
}

static int tls_new_pair(struct tls_bench *t, SSL **c, SSL **s)
{
	BIO *bc = NULL, *bs = NULL;

	*c = SSL_new(t->client);
	*s = SSL_new(t->server);
	if (*c == NULL || *s == NULL || BIO_new_bio_pair(&bc, 0, &bs, 0) != 1) {
		SSL_free(*c);
		SSL_free(*s);
		*c = *s = NULL;
		return fail_ossl("SSL_new / BIO_new_bio_pair");
	}
	SSL_set_bio(*c, bc, bc); /* each SSL owns its end of the pair */
	SSL_set_bio(*s, bs, bs);
	SSL_set_connect_state(*c);
	SSL_set_accept_state(*s);
	return 0;
}

/* One full handshake: two new SSL objects, the pair, the handshake, both freed. */
static int tls_handshake(void *arg)
{
	struct tls_bench *t = arg;
	SSL *c, *s;
	int rc;

	if (tls_new_pair(t, &c, &s) != 0)
		return -1;
	rc = tls_drive(c, s);
	SSL_free(c);
	SSL_free(s);
	return rc;
}

static int tls_ctx_common(SSL_CTX *ctx)
{
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "P-256") != 1)
		return fail_ossl("SSL_CTX settings");
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return 0;
}

static int tls_init(struct tls_bench *t)
{
	X509_NAME *name;

	memset(t, 0, sizeof(*t));
	/* The server's certificate: ECDSA P-256, self-signed, made once. */
	t->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	t->cert = X509_new();
	if (t->key == NULL || t->cert == NULL)
		return fail_ossl("EVP_PKEY_Q_keygen / X509_new");
	name = X509_get_subject_name(t->cert);
	if (X509_set_version(t->cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(t->cert), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(t->cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(t->cert), 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)"fusekey-bench", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(t->cert, name) != 1 || X509_set_pubkey(t->cert, t->key) != 1 ||
	    X509_sign(t->cert, t->key, EVP_sha256()) <= 0)
		return fail_ossl("making the certificate");

	t->server = SSL_CTX_new(TLS_server_method());
	t->client = SSL_CTX_new(TLS_client_method());
	if (t->server == NULL || t->client == NULL)
		return fail_ossl("SSL_CTX_new");
	if (tls_ctx_common(t->server) != 0 || tls_ctx_common(t->client) != 0)
		return -1;
	if (SSL_CTX_use_certificate(t->server, t->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(t->server, t->key) != 1 ||
	    SSL_CTX_check_private_key(t->server) != 1)
		return fail_ossl("SSL_CTX_use_certificate / PrivateKey");
	if (SSL_CTX_set_num_tickets(t->server, 0) != 1)
		return fail_ossl("SSL_CTX_set_num_tickets");
	/* The client trusts exactly that certificate and checks the server with it. */
	if (X509_STORE_add_cert(SSL_CTX_get_cert_store(t->client), t->cert) != 1)
		return fail_ossl("X509_STORE_add_cert");
	SSL_CTX_set_verify(t->client, SSL_VERIFY_PEER, NULL);

	/* Once before timing: TLS 1.3, P-256, the certificate verified, a full handshake. */
	SSL *c, *s;
	int rc = -1;
	if (tls_new_pair(t, &c, &s) != 0)
		return -1;
	if (tls_drive(c, s) != 0)
		rc = -1;
	else if (SSL_version(c) != TLS1_3_VERSION || SSL_version(s) != TLS1_3_VERSION)
		rc = fail_msg("TLS: not TLS 1.3");
	else if (SSL_get_negotiated_group(c) != NID_X9_62_prime256v1)
		rc = fail_msg("TLS: the key exchange was not on P-256");
	else if (SSL_get_verify_result(c) != X509_V_OK)
		rc = fail_msg("TLS: the client did not verify the server's certificate");
	else if (SSL_session_reused(c) != 0)
		rc = fail_msg("TLS: the session was resumed");
	else
		rc = 0;
	SSL_free(c);
	SSL_free(s);
	return rc;
}

static void tls_free(struct tls_bench *t)
{
	SSL_CTX_free(t->server);
	SSL_CTX_free(t->client);
	X509_free(t->cert);
	EVP_PKEY_free(t->key);
	memset(t, 0, sizeof(*t));
}

/* ---- local attestation results ---- */

/* Rows of a version's group, measured interleaved; TLS only in LAv2's. */
enum { LA_HS, LA_FLOOR, LA_PLAT, LA_RAW, LA_TLS, LA_NROWS };
/* The P-256 group. */
enum { P256_KEYGEN_FK, P256_KEYGEN_RAW, P256_ECDH_FK, P256_ECDH_RAW, P256_ECDH_ORDER, P256_NROWS };

struct la_report {
	struct result r[2][LA_NROWS]; /* [0] LAv1, [1] LAv2 */
	struct result p256[P256_NROWS];
};

static int la_bench(const struct options *o, struct la_report *rep)
{
	static struct la_env env;
	static struct la_run run[2];
	static struct la_p256 p256;
	static struct tls_bench tls;
	static const enum fk_dh_version vers[2] = {FK_DH_LAV1, FK_DH_LAV2};

	memset(rep, 0, sizeof(*rep));
	if (la_env_init(&env) != 0 || la_run_init(&run[0], &env, FK_DH_LAV1) != 0 ||
	    la_run_init(&run[1], &env, FK_DH_LAV2) != 0 || la_p256_init(&p256, &env.raw) != 0 ||
	    tls_init(&tls) != 0)
		return -1;
	for (size_t v = 0; v < 2; v++) {
		struct target t[LA_NROWS] = {
			{vers[v] == FK_DH_LAV1 ? "LAv1 handshake" : "LAv2 handshake", la_handshake,
			 &run[v]},
			{"LA floor", la_floor, &run[v]},
			{"LA platform ops", la_platform, &env},
			{"LA floor, P-256 straight OpenSSL", la_floor_raw, &run[v]},
			{"TLS 1.3 handshake", tls_handshake, &tls},
		};
		_Static_assert((int)LA_NROWS <= (int)MAX_GROUP, "one interleaved group");
		size_t k = vers[v] == FK_DH_LAV2 ? LA_NROWS : LA_TLS;
		progress(o, t[0].label);
		measure(o, t, k, rep->r[v]);
	}
	const struct target pt[P256_NROWS] = {
		{"fk_p256_keygen", p256_keygen_fk, &p256},
		{"P-256 keygen, straight OpenSSL", p256_keygen_raw, &p256},
		{"fk_p256_ecdh", p256_ecdh_fk, &p256},
		{"P-256 ECDH, straight OpenSSL", p256_ecdh_raw, &p256},
		{"P-256 ECDH + n*Q check", p256_ecdh_raw_order, &p256},
	};
	_Static_assert((int)P256_NROWS <= (int)MAX_GROUP, "one interleaved group");
	progress(o, "P-256 keygen and ECDH");
	measure(o, pt, P256_NROWS, rep->p256);
	tls_free(&tls);
	OPENSSL_cleanse(run, sizeof(run));
	OPENSSL_cleanse(&p256, sizeof(p256));
	la_env_free(&env);
	return 0;
}

/* ---- output ---- */

struct op_row {
	const char *op;   /* stable identifier (JSON) */
	const char *desc; /* for people */
	const char *mode;
	struct result r, fl;
};

struct ctx_row {
	const char *id;
	const char *desc;
	const char *ref;  /* the row it is compared with, or NULL */
	struct result r;
	double ratio;     /* to ref; 0 when ref is NULL */
};

static double us(double ns)
{
	return ns / 1000.0;
}

static double ops_per_s(double ns)
{
	return ns > 0 ? NS_PER_S / ns : 0;
}

static double ratio_of(const struct op_row *row)
{
	return row->fl.med_ns > 0 ? row->r.med_ns / row->fl.med_ns : 0;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *fp = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown CPU");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *colon = strchr(line, ':');
			if (colon != NULL) {
				colon++;
				while (*colon == ' ' || *colon == '\t')
					colon++;
				colon[strcspn(colon, "\n")] = '\0';
				snprintf(buf, len, "%s", colon);
			}
			break;
		}
	}
	fclose(fp);
}

struct dl_report; /* the delivery section's results (below) */
static void dl_print_text(const struct dl_report *d);
static void dl_print_json(const struct dl_report *d);
static void la_print_text(const struct la_report *l);
static void la_print_json(const struct la_report *l);

static void print_text(const struct options *o, const struct op_row *rows, size_t nrows,
		       const struct ctx_row *ctx, size_t nctx, const char *cpu, long ncpu,
		       const struct dl_report *dl, const struct la_report *la)
{
	printf("fusekey_bench: emulated SGX platform, %s, %ld CPUs, %s\n", cpu, ncpu,
	       OpenSSL_version(OPENSSL_VERSION));
	printf("%u runs of ~%.2f s per figure; median per run, [min .. max] over runs; "
	       "ratio = operation / floor (medians)\n\n",
	       o->runs, o->target_s);
	printf("%-24s %-10s %10s %8s %17s | %10s %8s | %6s\n", "operation", "mode", "ops/s",
	       "us/op", "[min .. max us]", "floor op/s", "us/op", "ratio");
	for (size_t i = 0; i < nrows; i++) {
		const struct op_row *w = &rows[i];
		printf("%-24s %-10s %10.0f %8.2f [%6.2f .. %6.2f] | %10.0f %8.2f | %5.2fx\n",
		       w->desc, w->mode, ops_per_s(w->r.med_ns), us(w->r.med_ns), us(w->r.min_ns),
		       us(w->r.max_ns), ops_per_s(w->fl.med_ns), us(w->fl.med_ns), ratio_of(w));
	}
	printf("\nfloors (OpenSSL alone, algorithms fetched and contexts made once, re-keyed "
	       "per call):\n"
	       "  seal        RAND_bytes(32) + CMAC over 280 B + AES-128-GCM encrypt 16 B\n"
	       "  unseal      CMAC over 280 B + AES-128-GCM decrypt 16 B and tag check\n"
	       "  egetkey     CMAC over 280 B\n"
	       "  report      2 x (CMAC over 192 B + CMAC over 384 B)\n");

	printf("\ncontext: single primitives (median us per call)\n");
	printf("%-58s %9s %10s\n", "primitive", "us/call", "vs ref");
	for (size_t i = 0; i < nctx; i++) {
		const struct ctx_row *c = &ctx[i];
		if (c->ref != NULL)
			printf("%-58s %9.3f %9.2fx\n", c->desc, us(c->r.med_ns), c->ratio);
		else
			printf("%-58s %9.3f %10s\n", c->desc, us(c->r.med_ns), "ref");
	}

	printf("\n");
	for (size_t i = 0; i < nrows; i++) {
		const struct op_row *w = &rows[i];
		double q = ratio_of(w);
		printf("%s [%s]: %.2f us vs floor %.2f us (%.2fx): within 2x of floor: %s\n",
		       w->op, w->mode, us(w->r.med_ns), us(w->fl.med_ns), q,
		       q <= 2.0 ? "yes" : "no");
	}
	dl_print_text(dl);
	la_print_text(la);
}

static void print_result_json(const char *key, const struct result *r)
{
	printf("\"%s\": {\"iterations_per_run\": %llu, \"median_ops_per_s\": %.1f, "
	       "\"median_us\": %.4f, \"min_us\": %.4f, \"max_us\": %.4f}",
	       key, (unsigned long long)r->iters, ops_per_s(r->med_ns), us(r->med_ns),
	       us(r->min_ns), us(r->max_ns));
}

static void print_json(const struct options *o, const struct op_row *rows, size_t nrows,
		       const struct ctx_row *ctx, size_t nctx, const char *cpu, long ncpu,
		       const struct dl_report *dl, const struct la_report *la)
{
	/* Every string printed is a fixed ASCII literal of this file, except the CPU
	 * and OpenSSL names: those lose any character JSON would need escaped. */
	char cpu_clean[128], ossl_clean[128];
	const char *srcs[2] = {cpu, OpenSSL_version(OPENSSL_VERSION)};
	char *dsts[2] = {cpu_clean, ossl_clean};

	for (size_t k = 0; k < 2; k++) {
		size_t j = 0;
		for (const char *s = srcs[k]; *s != '\0' && j + 1 < sizeof(cpu_clean); s++)
			if (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
				dsts[k][j++] = *s;
		dsts[k][j] = '\0';
	}

	printf("{\"benchmark\": \"fusekey\", \"platform\": \"emulated\", \"cpu\": \"%s\", "
	       "\"cpus\": %ld, \"openssl\": \"%s\", \"runs\": %u, \"run_seconds\": %.3f,\n",
	       cpu_clean, ncpu, ossl_clean, o->runs, o->target_s);
	printf(" \"operations\": [\n");
	for (size_t i = 0; i < nrows; i++) {
		const struct op_row *w = &rows[i];
		double q = ratio_of(w);
		printf("  {\"op\": \"%s\", \"mode\": \"%s\", ", w->op, w->mode);
		print_result_json("result", &w->r);
		printf(", ");
		print_result_json("floor", &w->fl);
		printf(", \"ratio\": %.4f, \"within_2x\": %s}%s\n", q, q <= 2.0 ? "true" : "false",
		       i + 1 < nrows ? "," : "");
	}
	printf(" ],\n \"context\": [\n");
	for (size_t i = 0; i < nctx; i++) {
		const struct ctx_row *c = &ctx[i];
		printf("  {\"id\": \"%s\", ", c->id);
		print_result_json("result", &c->r);
		if (c->ref != NULL)
			printf(", \"ref\": \"%s\", \"ratio\": %.4f", c->ref, c->ratio);
		printf("}%s\n", i + 1 < nctx ? "," : "");
	}
	printf(" ],\n");
	dl_print_json(dl);
	la_print_json(la);
	printf("}\n");
}

/* ---- delivery results ---- */

enum { DL_NGROUPS = 4, DL_MAXK = MAX_GROUP };

/*
 * A generate group: [0] total, [1] crypto alone, [2] file alone (with its
 * fsyncs), [3] removing the other method's file (force), [4] the same bytes
 * written without fsync. A get group: [0] total,
 * [1] its foundation figure, [2] crypto alone, [3] file alone, [4] the bare
 * read floor. Each group is measured interleaved.
 */
struct dl_group {
	const char *id;
	const char *title;
	bool is_get;
	const char *ref; /* get: the foundation operation (op_table id) */
	size_t k;
	const char *row_id[DL_MAXK];
	const char *row_desc[DL_MAXK];
	bench_fn fn[DL_MAXK];
	void *arg[DL_MAXK];
	struct result r[DL_MAXK];
};

struct dl_report {
	const char *fs;
	struct dl_group g[DL_NGROUPS];
};

static double dl_share(const struct dl_group *g, double ns)
{
	return g->r[0].med_ns > 0 ? 100.0 * ns / g->r[0].med_ns : 0;
}

/* What is neither crypto nor file: checks, JSON encoding or parsing. */
static double dl_rest_ns(const struct dl_group *g)
{
	return g->is_get ? g->r[0].med_ns - g->r[2].med_ns - g->r[3].med_ns
			 : g->r[0].med_ns - g->r[1].med_ns - g->r[2].med_ns - g->r[3].med_ns;
}

/* generate: the file part's fsyncs (the write with them minus the write without). */
static double dl_fsync_ns(const struct dl_group *g)
{
	return g->r[2].med_ns - g->r[4].med_ns;
}

/* get: row j over the foundation figure. */
static double dl_ratio(const struct dl_group *g, size_t j)
{
	return g->r[1].med_ns > 0 ? g->r[j].med_ns / g->r[1].med_ns : 0;
}

static const char *yes_no(double ratio)
{
	return ratio <= 2.0 ? "yes" : "no";
}

static void dl_print_row(const struct dl_group *g, size_t j, bool share)
{
	const struct result *r = &g->r[j];
	printf("%-52s %9.0f %9.2f [%8.2f .. %8.2f]", g->row_desc[j], ops_per_s(r->med_ns),
	       us(r->med_ns), us(r->min_ns), us(r->max_ns));
	if (share)
		printf(" %5.1f%%", dl_share(g, r->med_ns));
	printf("\n");
}

/* A figure obtained by difference: below zero it is only the noise of the others. */
static void dl_print_diff(const struct dl_group *g, const char *desc, double ns)
{
	if (ns < 0)
		printf("%-52s %9s %9s %22s  noise\n", desc, "", "~0", "");
	else
		printf("%-52s %9s %9.2f %22s %5.1f%%\n", desc, "", us(ns), "", dl_share(g, ns));
}

static void dl_print_text(const struct dl_report *d)
{
	printf("\ndelivery: fusekey_generate / fusekey_get, 16-byte key, policy MRSIGNER, "
	       "bundle on %s%s\n", d->fs,
	       strcmp(d->fs, "tmpfs") == 0 ? " (no disk: fsync costs nothing here)" : "");
	printf("%-52s %9s %9s %22s %6s\n", "operation", "ops/s", "us/op", "[min .. max us]",
	       "share");
	for (size_t i = 0; i < DL_NGROUPS; i++) {
		const struct dl_group *g = &d->g[i];
		dl_print_row(g, 0, false);
		if (!g->is_get) {
			dl_print_row(g, 1, true);
			dl_print_row(g, 2, true);
			dl_print_row(g, 3, true);
			dl_print_diff(g, "  rest (by difference: checks, encoding)", dl_rest_ns(g));
			dl_print_row(g, 4, false);
			dl_print_diff(g, "  => fsyncs of the file part (file - no fsync)",
				      dl_fsync_ns(g));
		} else {
			printf("%-52s %9.0f %9.2f [%8.2f .. %8.2f] %5.2fx\n", g->row_desc[1],
			       ops_per_s(g->r[1].med_ns), us(g->r[1].med_ns), us(g->r[1].min_ns),
			       us(g->r[1].max_ns), dl_ratio(g, 0));
			dl_print_row(g, 2, true);
			dl_print_row(g, 3, true);
			dl_print_diff(g, "  rest (by difference: parsing, checks)", dl_rest_ns(g));
			dl_print_row(g, 4, true);
		}
	}
	printf("share: of the operation's total; on a foundation row: get / foundation\n\n");
	for (size_t i = 0; i < DL_NGROUPS; i++) {
		const struct dl_group *g = &d->g[i];
		if (!g->is_get)
			continue;
		printf("%s: %.2f us vs %s %.2f us (%.2fx): within 2x: %s\n", g->id,
		       us(g->r[0].med_ns), g->ref, us(g->r[1].med_ns), dl_ratio(g, 0),
		       yes_no(dl_ratio(g, 0)));
		printf("  %s crypto alone: %.2f us (%.2fx %s): within 2x: %s; a bare read of the "
		       "file alone: %.2f us (%.2fx)\n",
		       g->id, us(g->r[2].med_ns), dl_ratio(g, 2), g->ref, yes_no(dl_ratio(g, 2)),
		       us(g->r[4].med_ns), dl_ratio(g, 4));
	}
}

static void dl_print_json(const struct dl_report *d)
{
	printf(" \"delivery\": {\"key_len\": 16, \"bundle_fs\": \"%s\", \"groups\": [\n", d->fs);
	for (size_t i = 0; i < DL_NGROUPS; i++) {
		const struct dl_group *g = &d->g[i];
		printf("  {\"id\": \"%s\", \"rows\": [", g->id);
		for (size_t j = 0; j < g->k; j++) {
			printf("%s{\"id\": \"%s\", ", j ? ", " : "", g->row_id[j]);
			print_result_json("result", &g->r[j]);
			printf("}");
		}
		printf("], \"rest_us\": %.4f", us(dl_rest_ns(g)));
		if (g->is_get)
			printf(", \"ref\": \"%s\", \"ratio\": %.4f, \"within_2x\": %s, "
			       "\"crypto_ratio\": %.4f, \"crypto_within_2x\": %s",
			       g->ref, dl_ratio(g, 0), dl_ratio(g, 0) <= 2.0 ? "true" : "false",
			       dl_ratio(g, 2), dl_ratio(g, 2) <= 2.0 ? "true" : "false");
		else
			printf(", \"fsync_us\": %.4f", us(dl_fsync_ns(g)));
		printf("}%s\n", i + 1 < DL_NGROUPS ? "," : "");
	}
	printf(" ]},\n");
}

/* ---- local attestation output ---- */

static const char *const la_name[2] = {"LAv1", "LAv2"};

static double la_div(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* handshake / row `row` of the same version's group */
static double la_ratio(const struct la_report *l, size_t v, size_t row)
{
	return la_div(l->r[v][LA_HS].med_ns, l->r[v][row].med_ns);
}

static double la_floor_plat_ns(const struct la_report *l, size_t v)
{
	return l->r[v][LA_FLOOR].med_ns + l->r[v][LA_PLAT].med_ns;
}

static double la_ratio_fp(const struct la_report *l, size_t v)
{
	return la_div(l->r[v][LA_HS].med_ns, la_floor_plat_ns(l, v));
}

/* How many times faster than TLS 1.3 (measured in LAv2's group). */
static double la_speedup(const struct la_report *l, size_t v)
{
	return la_div(l->r[1][LA_TLS].med_ns, l->r[v][LA_HS].med_ns);
}

static void la_print_row(const char *desc, const struct result *r, const char *ratio)
{
	printf("%-52s %9.0f %9.2f [%8.2f .. %8.2f]%s%s\n", desc, ops_per_s(r->med_ns),
	       us(r->med_ns), us(r->min_ns), us(r->max_ns), ratio[0] != '\0' ? " " : "", ratio);
}

static void la_print_text(const struct la_report *l)
{
	static const char *const p256_desc[P256_NROWS] = {
		"fk_p256_keygen",
		"  keygen straight OpenSSL: d random, d * G",
		"fk_p256_ecdh",
		"  ECDH straight OpenSSL: Q checked, d * Q",
		"  the same + n * Q = O (OpenSSL's peer validation)",
	};
	char q[32];

	printf("\nlocal attestation: a whole handshake in one thread, both sides (gen_msg1, "
	       "proc_msg1, proc_msg2, proc_msg3,\n2 x check_peer), between two enclaves of one "
	       "emulated platform (secure mode)\n");
	printf("%-52s %9s %9s %22s %s\n", "operation", "hs/s", "us/hs", "[min .. max us]", "ratio");
	for (size_t v = 0; v < 2; v++) {
		const struct result *r = l->r[v];
		char desc[64];

		snprintf(desc, sizeof(desc), "%s handshake%s", la_name[v],
			 v == 1 ? " (fusekey's default)" : "");
		la_print_row(desc, &r[LA_HS], "");
		snprintf(q, sizeof(q), "%5.2fx", la_ratio(l, v, LA_FLOOR));
		la_print_row("  floor: its crypto alone, fk_crypto calls", &r[LA_FLOOR], q);
		la_print_row("  platform ops: 3 EREPORT + 2 verify (emulated)", &r[LA_PLAT], "");
		printf("%-52s %9s %9.2f %22s %5.2fx\n", "  floor + platform ops (sum of medians)", "",
		       us(la_floor_plat_ns(l, v)), "", la_ratio_fp(l, v));
		snprintf(q, sizeof(q), "%5.2fx", la_ratio(l, v, LA_RAW));
		la_print_row("  floor with P-256 straight OpenSSL", &r[LA_RAW], q);
	}
	snprintf(q, sizeof(q), "%5.2fx", la_speedup(l, 1));
	la_print_row("TLS 1.3 handshake (libssl, P-256, ECDSA P-256)", &l->r[1][LA_TLS], q);
	printf("ratio: handshake / that row (medians); on TLS: TLS / the LAv2 handshake\n");
	printf("floor, per handshake (both sides; counted from src/la/fk_dh.c):\n"
	       "  2 x fk_p256_keygen   the ephemeral keys (gen_msg1, proc_msg1)\n"
	       "  2 x fk_p256_ecdh     proc_msg1, proc_msg2; each checks the peer's point\n"
	       "  %d x fk_cmac128       KDF: SMK + AEK x 2 sides x 2 (over the 32-B shared x, "
	       "then the 7-B label)\n"
	       "  %d x fk_cmac128       msg2's made + checked, msg3's made + checked: LAv1 over "
	       "%d, %d, %d, %d B;\n"
	       "                       LAv2 over %d B each (g_b; props || g_a, no props)\n"
	       "  %d x fk_sha256_parts  %d B each: report_data of msg2 made + checked, of msg3 "
	       "made + checked\n"
	       "  (straight-OpenSSL floor: the keygens and ECDHs on a group built once, the rest "
	       "unchanged)\n",
	       LA_NKDF, LA_NPROTO_CMAC, LA_LAV1_CMAC_MSG2, LA_LAV1_CMAC_MSG2, LA_LAV1_CMAC_MSG3,
	       LA_LAV1_CMAC_MSG3, LA_LAV2_CMAC, LA_NSHA, LA_SHA_IN);
	printf("platform ops: 3 x fk_platform_create_report (gen_msg1's self report, msg2's, "
	       "msg3's) + 2 x\n  fk_platform_verify_report (msg2's, msg3's); emulated, each is 2 "
	       "CMACs (REPORT key, then the body)\n");
	printf("TLS 1.3: client + server over a BIO pair, ECDHE P-256 only, self-signed ECDSA "
	       "P-256 server certificate\n  trusted and verified by the client (server-only "
	       "authentication), no tickets, no resumption\n");

	printf("\nP-256 alone (the floor's largest part)\n");
	printf("%-52s %9s %9s %22s %s\n", "operation", "ops/s", "us/op", "[min .. max us]",
	       "vs straight");
	for (size_t i = 0; i < P256_NROWS; i++) {
		size_t ref = i < P256_ECDH_FK ? P256_KEYGEN_RAW : P256_ECDH_RAW;
		snprintf(q, sizeof(q), "%5.2fx", la_div(l->p256[i].med_ns, l->p256[ref].med_ns));
		la_print_row(p256_desc[i], &l->p256[i], i == ref ? "  ref" : q);
	}

	printf("\n");
	for (size_t v = 0; v < 2; v++) {
		double qf = la_ratio(l, v, LA_FLOOR);
		printf("la_%s: %.2f us vs floor %.2f us (%.2fx): within 1.3x of floor: %s; "
		       "vs floor + platform ops %.2f us (%.2fx); vs straight-OpenSSL floor %.2f us "
		       "(%.2fx)\n",
		       v == 0 ? "lav1" : "lav2", us(l->r[v][LA_HS].med_ns),
		       us(l->r[v][LA_FLOOR].med_ns), qf, qf <= 1.3 ? "yes" : "no",
		       us(la_floor_plat_ns(l, v)), la_ratio_fp(l, v), us(l->r[v][LA_RAW].med_ns),
		       la_ratio(l, v, LA_RAW));
	}
	printf("tls13: %.2f us per handshake: the LAv2 handshake is %.1fx faster than TLS 1.3: "
	       "at least 3x: %s (LAv1: %.1fx, not interleaved with TLS)\n",
	       us(l->r[1][LA_TLS].med_ns), la_speedup(l, 1), la_speedup(l, 1) >= 3.0 ? "yes" : "no",
	       la_speedup(l, 0));
}

static void la_print_json(const struct la_report *l)
{
	static const char *const p256_id[P256_NROWS] = {
		"keygen_fk", "keygen_openssl", "ecdh_fk", "ecdh_openssl", "ecdh_openssl_order_check",
	};

	printf(" \"local_attestation\": {\"versions\": [\n");
	for (size_t v = 0; v < 2; v++) {
		const struct result *r = l->r[v];
		printf("  {\"version\": \"%s\", ", la_name[v]);
		print_result_json("handshake", &r[LA_HS]);
		printf(", ");
		print_result_json("floor", &r[LA_FLOOR]);
		printf(", ");
		print_result_json("platform_ops", &r[LA_PLAT]);
		printf(", ");
		print_result_json("floor_openssl_p256", &r[LA_RAW]);
		printf(", \"ratio\": %.4f, \"within_1_3x\": %s, \"floor_plus_platform_us\": %.4f, "
		       "\"ratio_floor_plus_platform\": %.4f, \"ratio_floor_openssl_p256\": %.4f, "
		       "\"tls13_speedup\": %.4f}%s\n",
		       la_ratio(l, v, LA_FLOOR), la_ratio(l, v, LA_FLOOR) <= 1.3 ? "true" : "false",
		       us(la_floor_plat_ns(l, v)), la_ratio_fp(l, v), la_ratio(l, v, LA_RAW),
		       la_speedup(l, v), v == 0 ? "," : "");
	}
	printf(" ], \"floor\": {\"p256_keygen\": 2, \"p256_ecdh\": 2, \"cmac_kdf\": %d, "
	       "\"cmac_protocol\": %d, \"cmac_protocol_bytes\": {\"LAv1\": [%d, %d, %d, %d], "
	       "\"LAv2\": [%d, %d, %d, %d]}, \"sha256\": %d, \"sha256_bytes\": %d},\n",
	       LA_NKDF, LA_NPROTO_CMAC, LA_LAV1_CMAC_MSG2, LA_LAV1_CMAC_MSG2, LA_LAV1_CMAC_MSG3,
	       LA_LAV1_CMAC_MSG3, LA_LAV2_CMAC, LA_LAV2_CMAC, LA_LAV2_CMAC, LA_LAV2_CMAC, LA_NSHA,
	       LA_SHA_IN);
	printf("  \"platform_ops\": {\"create_report\": 3, \"verify_report\": 2},\n  \"p256\": {");
	for (size_t i = 0; i < P256_NROWS; i++) {
		printf("%s", i ? ", " : "");
		print_result_json(p256_id[i], &l->p256[i]);
	}
	printf("},\n  ");
	print_result_json("tls13", &l->r[1][LA_TLS]);
	printf(", \"tls13_speedup\": %.4f, \"tls13_at_least_3x\": %s}\n", la_speedup(l, 1),
	       la_speedup(l, 1) >= 3.0 ? "true" : "false");
}

static void progress(const struct options *o, const char *what);

/* Measure the four groups. */
static int dl_run(const struct options *o, struct dlv *d, struct dl_report *rep)
{
	static struct dl_file_arg fa[2];
	fa[0] = (struct dl_file_arg){d, FK_BUNDLE_SEALED_NAME, d->sealed_file,
				     sizeof(d->sealed_file)};
	fa[1] = (struct dl_file_arg){d, FK_BUNDLE_DERIVE_NAME, d->json, d->json_len};
	const struct dl_group tmpl[DL_NGROUPS] = {
		{"generate_seal", "generate seal", false, NULL, 5,
		 {"total", "crypto", "file", "remove_other", "file_nofsync"},
		 {"generate seal (fusekey_generate, force)",
		  "  crypto alone: key + binding + fk_seal (816 B)",
		  "  file alone: fk_bundle_write, fsync file + dir",
		  "  force: fk_bundle_remove(derive.json), dir fsync",
		  "  (the same bytes written without fsync)"},
		 {dl_gen_seal, dl_gen_seal_crypto, dl_file_of, dl_remove_of, dl_nofsync_of},
		 {d, d, &fa[0], &fa[1], &fa[0]},
		 {{0}}},
		{"generate_derive", "generate derive", false, NULL, 5,
		 {"total", "crypto", "file", "remove_other", "file_nofsync"},
		 {"generate derive (fusekey_generate, force)",
		  "  crypto alone: salt + KEYID + EGETKEY + CMAC",
		  "  file alone: fk_bundle_write, fsync file + dir",
		  "  force: fk_bundle_remove(key.sealed), dir fsync",
		  "  (the same bytes written without fsync)"},
		 {dl_gen_derive, dl_gen_derive_crypto, dl_file_of, dl_remove_of, dl_nofsync_of},
		 {d, d, &fa[1], &fa[0], &fa[1]},
		 {{0}}},
		{"get_seal", "get seal", true, "unseal", 5,
		 {"total", "foundation_unseal", "crypto", "file", "bare_read"},
		 {"get seal (fusekey_get)", "  foundation: unseal 576 B blob (get / this)",
		  "  crypto alone: fk_unseal of key.sealed (816 B)",
		  "  file alone: fk_bundle_read of key.sealed",
		  "  (bare open + fstat + read + close of it)"},
		 {dl_get_seal, op_unseal, dl_get_seal_crypto, dl_read_seal, dl_bare_read_seal},
		 {d, &d->fnd, d, d, d},
		 {{0}}},
		{"get_derive", "get derive", true, "egetkey", 5,
		 {"total", "foundation_egetkey", "crypto", "file", "bare_read"},
		 {"get derive (fusekey_get)", "  foundation: EGETKEY(SEAL) (get / this)",
		  "  crypto alone: KEYID + EGETKEY + CMAC + compare",
		  "  file alone: fk_bundle_read of derive.json",
		  "  (bare open + fstat + read + close of it)"},
		 {dl_get_derive, op_getkey, dl_get_derive_crypto, dl_read_derive,
		  dl_bare_read_derive},
		 {d, &d->fnd, d, d, d},
		 {{0}}},
	};

	rep->fs = dl_fs_name(g_dl_root);
	for (size_t i = 0; i < DL_NGROUPS; i++) {
		struct dl_group *g = &rep->g[i];
		struct target t[DL_MAXK];

		*g = tmpl[i];
		for (size_t j = 0; j < g->k; j++)
			t[j] = (struct target){g->row_desc[j], g->fn[j], g->arg[j]};
		progress(o, g->title);
		measure(o, t, g->k, g->r);
	}
	return 0;
}

/* ---- main ---- */

static void usage(FILE *fp)
{
	fprintf(fp, "usage: fusekey_bench [--runs N] [--quick] [--json]\n"
		    "  --runs N   runs per figure (1..%d; default 7, 3 with --quick)\n"
		    "  --quick    short runs (~0.05 s) for a smoke test\n"
		    "  --json     machine-readable output on stdout\n"
		    "Informational: exits 0 unless an operation fails, whatever the speed.\n",
		MAX_RUNS);
}

static bool parse_args(int argc, char **argv, struct options *o)
{
	long runs = -1;

	o->json = false;
	o->quick = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			o->json = true;
		} else if (strcmp(argv[i], "--quick") == 0) {
			o->quick = true;
		} else if (strcmp(argv[i], "--runs") == 0) {
			char *end = NULL;
			if (i + 1 >= argc) {
				fprintf(stderr, "fusekey_bench: --runs needs a value\n");
				return false;
			}
			errno = 0;
			runs = strtol(argv[++i], &end, 10);
			if (errno != 0 || end == argv[i] || *end != '\0' || runs < 1 ||
			    runs > MAX_RUNS) {
				fprintf(stderr, "fusekey_bench: --runs wants 1..%d, not '%s'\n",
					MAX_RUNS, argv[i]);
				return false;
			}
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "fusekey_bench: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return false;
		}
	}
	o->runs = runs > 0 ? (unsigned)runs : (o->quick ? 3u : 7u);
	o->target_s = o->quick ? 0.05 : 0.2;
	return true;
}

static void progress(const struct options *o, const char *what)
{
	if (!o->json)
		fprintf(stderr, "  timing %s...\n", what);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *op, *desc;
		bench_fn fn, floor;
	} op_table[] = {
		{"seal", "seal 16 B, no AAD", op_seal, floor_seal},
		{"unseal", "unseal 576 B blob", op_unseal, floor_unseal},
		{"egetkey", "EGETKEY(SEAL)", op_getkey, floor_getkey},
		{"report", "EREPORT + verify", op_report, floor_report},
	};
	static const enum fk_sim_mode modes[] = {FK_SIM_MODE_SECURE, FK_SIM_MODE_SDK_COMPAT};
	enum { NOPS = sizeof(op_table) / sizeof(op_table[0]), NMODES = 2, NCTX = 11 };
	struct options o;
	struct floors fl;
	struct op_row rows[NOPS * NMODES];
	struct ctx_row ctx[NCTX];
	char cpu[128], label[2][96];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nrows = 0;

	if (!parse_args(argc, argv, &o))
		return 2;
	fprintf(stderr, "%s\n", FK_SIM_BANNER);
	cpu_model(cpu, sizeof(cpu));
	if (floors_init(&fl) != 0) {
		fprintf(stderr, "fusekey_bench: setting up the floors failed: %s\n", g_why);
		return 1;
	}

	for (size_t m = 0; m < NMODES; m++) {
		struct ops ops;
		const char *mode = fk_sim_mode_name(modes[m]);

		if (ops_init(&ops, modes[m]) != 0) {
			fprintf(stderr, "fusekey_bench: setting up the %s platform failed: %s\n",
				mode, g_why);
			return 1;
		}
		for (size_t i = 0; i < NOPS; i++) {
			struct op_row *w = &rows[nrows++];
			struct target t[2];
			struct result r[2];

			snprintf(label[0], sizeof(label[0]), "%s [%s]", op_table[i].op, mode);
			snprintf(label[1], sizeof(label[1]), "floor of %s", op_table[i].op);
			t[0] = (struct target){label[0], op_table[i].fn, &ops};
			t[1] = (struct target){label[1], op_table[i].floor, &fl};
			progress(&o, label[0]);
			measure(&o, t, 2, r);
			w->op = op_table[i].op;
			w->desc = op_table[i].desc;
			w->mode = mode;
			w->r = r[0];
			w->fl = r[1];
		}
		ops_free(&ops);
	}

	/* Context: what one call of each primitive costs, done three ways. */
	struct gcm_dec_arg dec = {.f = &fl};
	if (fl_cmac(&fl, fl.root_seal, fl.dd_seal, DD_SEAL_SIZE, dec.key) != 0) {
		fprintf(stderr, "fusekey_bench: %s\n", g_why);
		return 1;
	}
	static const struct {
		const char *id, *desc, *ref;
		bench_fn fn;
		bool use_dec;
	} ctx_table[NCTX] = {
		{"cmac280_floor", "CMAC 280 B, floor (context reused, re-keyed)", NULL,
		 ctx_cmac_floor, false},
		{"cmac280_fk", "CMAC 280 B, fk_cmac128", "cmac280_floor", ctx_cmac_fk, false},
		{"cmac280_new_ctx", "CMAC 280 B, EVP_MAC_CTX_new + init(cipher) per call",
		 "cmac280_floor", ctx_cmac_new_ctx, false},
		{"cmac280_fetch", "CMAC 280 B, EVP_MAC_fetch + CTX_new + init per call",
		 "cmac280_floor", ctx_cmac_fetch, false},
		{"cmac280_libctx", "CMAC 280 B, OSSL_LIB_CTX_new + fetch + init per call",
		 "cmac280_floor", ctx_cmac_libctx, false},
		{"gcm_enc16_floor", "GCM encrypt 16 B, floor (context reused)", NULL,
		 ctx_gcm_enc_floor, false},
		{"gcm_enc16_fk", "GCM encrypt 16 B, fk_gcm128_encrypt", "gcm_enc16_floor",
		 ctx_gcm_enc_fk, false},
		{"gcm_dec16_floor", "GCM decrypt 16 B, floor (context reused)", NULL,
		 ctx_gcm_dec_floor, true},
		{"gcm_dec16_fk", "GCM decrypt 16 B, fk_gcm128_decrypt", "gcm_dec16_floor",
		 ctx_gcm_dec_fk, true},
		{"rand32_floor", "random 32 B, RAND_bytes", NULL, ctx_rand_floor, false},
		{"rand32_fk", "random 32 B, fk_random", "rand32_floor", ctx_rand_fk, false},
	};
	/* Groups measured together (interleaved): a reference and its variants. */
	static const size_t groups[][2] = {{0, 5}, {5, 2}, {7, 2}, {9, 2}};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		struct target t[MAX_GROUP];
		struct result r[MAX_GROUP];
		size_t first = groups[g][0], k = groups[g][1];

		for (size_t j = 0; j < k; j++) {
			size_t i = first + j;
			t[j] = (struct target){ctx_table[i].desc, ctx_table[i].fn,
					       ctx_table[i].use_dec ? (void *)&dec : (void *)&fl};
		}
		progress(&o, ctx_table[first].desc);
		measure(&o, t, k, r);
		for (size_t j = 0; j < k; j++) {
			size_t i = first + j;
			ctx[i].id = ctx_table[i].id;
			ctx[i].desc = ctx_table[i].desc;
			ctx[i].ref = ctx_table[i].ref;
			ctx[i].r = r[j];
			ctx[i].ratio = (ctx_table[i].ref != NULL && r[0].med_ns > 0)
					       ? r[j].med_ns / r[0].med_ns
					       : 0;
		}
	}
	OPENSSL_cleanse(&dec, sizeof(dec));
	floors_free(&fl);

	/* Delivery: generate and get on a bundle on disk (a temporary directory). */
	static struct dlv dv;
	static struct dl_report dlr;
	if (dl_init(&dv) != 0) {
		fprintf(stderr, "fusekey_bench: setting up the delivery bench failed: %s\n",
			g_why);
		return 1;
	}
	dl_run(&o, &dv, &dlr);
	dl_free(&dv);

	/* Local attestation: the handshake, its floor, the platform's part, TLS 1.3. */
	static struct la_report lar;
	if (la_bench(&o, &lar) != 0) {
		fprintf(stderr, "fusekey_bench: the local-attestation bench failed: %s\n", g_why);
		return 1;
	}

	if (o.json)
		print_json(&o, rows, nrows, ctx, NCTX, cpu, ncpu, &dlr, &lar);
	else
		print_text(&o, rows, nrows, ctx, NCTX, cpu, ncpu, &dlr, &lar);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fusekey_bench: writing the results failed\n");
		return 1;
	}
	return 0;
}
