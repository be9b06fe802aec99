/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey_bench: seal, unseal, EGETKEY and EREPORT + verify per second on the
 * emulated platform, each beside its crypto floor (docs/bench.md).
 *
 * The floor of an operation is the crypto it cannot avoid, done directly with
 * OpenSSL: algorithms fetched and contexts created once, outside the timed
 * loop, and only re-keyed per call. An operation far above its floor is paying
 * for something else, typically an algorithm fetched or a context set up anew
 * per call.
 *
 * This is the one place besides src/crypto that calls OpenSSL, since it
 * measures it. Informational: the exit status is 0 unless an operation fails
 * (or the options are wrong), whatever the speed.
 */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/fk_crypto.h"
#include "platform/fk_platform.h"
#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "sgx/fk_sgx.h"

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

static void print_text(const struct options *o, const struct op_row *rows, size_t nrows,
		       const struct ctx_row *ctx, size_t nctx, const char *cpu, long ncpu)
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
}

static void print_result_json(const char *key, const struct result *r)
{
	printf("\"%s\": {\"iterations_per_run\": %llu, \"median_ops_per_s\": %.1f, "
	       "\"median_us\": %.4f, \"min_us\": %.4f, \"max_us\": %.4f}",
	       key, (unsigned long long)r->iters, ops_per_s(r->med_ns), us(r->med_ns),
	       us(r->min_ns), us(r->max_ns));
}

static void print_json(const struct options *o, const struct op_row *rows, size_t nrows,
		       const struct ctx_row *ctx, size_t nctx, const char *cpu, long ncpu)
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
	printf(" ]}\n");
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

	if (o.json)
		print_json(&o, rows, nrows, ctx, NCTX, cpu, ncpu);
	else
		print_text(&o, rows, nrows, ctx, NCTX, cpu, ncpu);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fusekey_bench: writing the results failed\n");
		return 1;
	}
	return 0;
}
