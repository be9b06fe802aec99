/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/platform/fk_sigstruct.{h,c}: SIGSTRUCT build/sign,
 * verification (header, signature, Q1/Q2), the emulated EINIT and the
 * signing key's PEM file.
 *
 * One RSA-3072 (e = 3) key is generated for the whole group (keygen is the
 * slow part). The signature, the little-endian modulus, MRSIGNER and Q1/Q2
 * are re-checked here with OpenSSL directly, independently of fk_crypto.
 * Layout facts come from shared/docs/reference/sgx.md §2 "SIGSTRUCT".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "platform/fk_sigstruct.h"
#include "test_util.h"

struct group {
	struct fk_rsa_key *key;
	uint8_t n_le[384]; /* the key's modulus, from OpenSSL via the PEM file */
	struct fk_sgx_sigstruct base;       /* non-debug, non-KSS */
	struct fk_sgx_sigstruct base_debug; /* debug, non-KSS */
	struct fk_sgx_sigstruct base_kss;   /* non-debug, KSS */
};

static void base_params(struct fk_sigstruct_params *p)
{
	memset(p, 0, sizeof(*p));
	memset(p->enclave_hash, 0xA1, sizeof(p->enclave_hash));
	p->enclave_hash[0] = 0x01;
	p->enclave_hash[31] = 0xFE;
	p->isv_prod_id = 0x0102;
	p->isv_svn = 0x0304;
	p->misc_select = 0x00000001;
	for (int i = 0; i < 16; i++) {
		p->isv_family_id[i] = (uint8_t)(0x60 + i);
		p->isv_ext_prod_id[i] = (uint8_t)(0x70 + i);
	}
	p->date = 0x20250131;
}

/* Read the private key back with OpenSSL and extract n (little-endian) and e. */
static int modulus_from_pem(const char *path, uint8_t n_le[384], unsigned long *e_out)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pk;
	BIGNUM *n = NULL, *e = NULL;
	int ok = 0;

	if (f == NULL)
		return 0;
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL)
		return 0;
	if (EVP_PKEY_get_bits(pk) == 3072 &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
	    BN_bn2lebinpad(n, n_le, 384) == 384) {
		*e_out = BN_get_word(e);
		ok = 1;
	}
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pk);
	return ok;
}

static int group_setup(void **state)
{
	struct group *g = calloc(1, sizeof(*g));
	struct fk_sigstruct_params p;
	char dir[256], pem[300];
	unsigned long e = 0;

	if (g == NULL)
		return -1;
	if (fk_rsa3072_generate(&g->key) != FUSEKEY_OK)
		return -1;
	th_tmpdir(dir, sizeof(dir));
	snprintf(pem, sizeof(pem), "%s/key.pem", dir);
	if (fk_sigstruct_key_write(g->key, pem) != FUSEKEY_OK ||
	    !modulus_from_pem(pem, g->n_le, &e) || e != 3)
		return -1;
	if (th_rmtree(dir) != 0)
		return -1;
	base_params(&p);
	if (fk_sigstruct_sign(g->key, &p, &g->base) != FUSEKEY_OK)
		return -1;
	p.debug = true;
	if (fk_sigstruct_sign(g->key, &p, &g->base_debug) != FUSEKEY_OK)
		return -1;
	p.debug = false;
	p.kss = true;
	if (fk_sigstruct_sign(g->key, &p, &g->base_kss) != FUSEKEY_OK)
		return -1;
	*state = g;
	return 0;
}

static int group_teardown(void **state)
{
	struct group *g = *state;
	fk_rsa_free(g->key);
	free(g);
	return 0;
}

static void reverse_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

/* ---- the signing key's file ---- */

/* Entries in dir other than . and .. (a failed or finished write leaves no temp file). */
static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The reader refuses path with `want` and leaves no key behind. */
static void expect_key_read_fails(const char *path, fusekey_status want)
{
	struct fk_rsa_key *k = (struct fk_rsa_key *)1;
	EXPECT_STATUS(fk_sigstruct_key_read(path, &k), want);
	assert_null(k);
}

static void test_key_file(void **state)
{
	struct group *g = *state;
	char dir[256], path[300], other[300], link_path[300], missing[300], junk[300];
	struct stat sb;
	uint8_t mod[384];
	struct fk_rsa_key *k = NULL;
	char head[32] = {0};
	unsigned long e = 0;

	th_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/signer.pem", dir);
	snprintf(other, sizeof(other), "%s/other.pem", dir);
	snprintf(link_path, sizeof(link_path), "%s/link.pem", dir);
	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", dir);

	/* A regular file, 0600, PKCS#8 unencrypted, and nothing else left behind. */
	EXPECT_OK(fk_sigstruct_key_write(g->key, path));
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(dir), 1);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(head, sizeof(head), f));
	fclose(f);
	assert_string_equal(head, "-----BEGIN PRIVATE KEY-----\n");
	assert_true(modulus_from_pem(path, mod, &e)); /* OpenSSL reads it as our key */
	assert_int_equal(e, 3);
	assert_memory_equal(mod, g->n_le, 384);

	/* Round trip through the reader: the same modulus. */
	EXPECT_OK(fk_sigstruct_key_read(path, &k));
	assert_non_null(k);
	EXPECT_OK(fk_rsa_modulus_le(k, mod));
	assert_memory_equal(mod, g->n_le, 384);
	fk_rsa_free(k);
	k = NULL;

	/* Never overwrite: the existing key is untouched. */
	off_t size = sb.st_size;
	EXPECT_STATUS(fk_sigstruct_key_write(g->key, path), FUSEKEY_ERR_EXISTS);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, size);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(dir), 1);

	/* Never through a symlink, even a dangling one: nothing created at its target. */
	assert_int_equal(symlink(other, link_path), 0);
	EXPECT_STATUS(fk_sigstruct_key_write(g->key, link_path), FUSEKEY_ERR_FORMAT);
	assert_int_equal(lstat(other, &sb), -1);
	assert_int_equal(lstat(link_path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_int_equal(dir_entries(dir), 2);
	/* ... and a symlink to a real key is not read through either. */
	assert_int_equal(unlink(link_path), 0);
	assert_int_equal(symlink(path, link_path), 0);
	expect_key_read_fails(link_path, FUSEKEY_ERR_FORMAT);

	/* Missing file, missing directory. */
	expect_key_read_fails(missing, FUSEKEY_ERR_NOT_FOUND);
	snprintf(other, sizeof(other), "%s/no/such/dir.pem", dir);
	EXPECT_STATUS(fk_sigstruct_key_write(g->key, other), FUSEKEY_ERR_NOT_FOUND);
	expect_key_read_fails(other, FUSEKEY_ERR_NOT_FOUND);

	/* A file that is not a key, and one larger than any PEM key: refused. */
	f = fopen(junk, "wx");
	assert_non_null(f);
	fputs("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	expect_key_read_fails(junk, FUSEKEY_ERR_FORMAT);
	assert_int_equal(truncate(junk, (off_t)FK_PEM_MAX + 1), 0);
	expect_key_read_fails(junk, FUSEKEY_ERR_FORMAT);

	/* A directory is not a key file. */
	expect_key_read_fails(dir, FUSEKEY_ERR_FORMAT);

	/* Bad arguments. */
	EXPECT_STATUS(fk_sigstruct_key_write(NULL, missing), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sigstruct_key_write(g->key, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sigstruct_key_write(g->key, ""), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(lstat(missing, &sb), -1);
	expect_key_read_fails(NULL, FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sigstruct_key_read(path, NULL), FUSEKEY_ERR_INVALID_PARAMETER);

	assert_int_equal(th_rmtree(dir), 0);
}

/* ---- sign and verify ---- */

static void test_sign_verify_ok(void **state)
{
	struct group *g = *state;
	EXPECT_OK(fk_sigstruct_verify(&g->base));
	EXPECT_OK(fk_sigstruct_verify(&g->base_debug));
	EXPECT_OK(fk_sigstruct_verify(&g->base_kss));
	/* signing is deterministic (PKCS#1 v1.5): same params, same bytes */
	struct fk_sigstruct_params p;
	struct fk_sgx_sigstruct again;
	base_params(&p);
	EXPECT_OK(fk_sigstruct_sign(g->key, &p, &again));
	assert_memory_equal(&again, &g->base, sizeof(again));
	EXPECT_STATUS(fk_sigstruct_verify(NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sigstruct_sign(NULL, &p, &again), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sigstruct_sign(g->key, NULL, &again), FUSEKEY_ERR_INVALID_PARAMETER);
}

static void test_raw_layout(void **state)
{
	struct group *g = *state;
	const uint8_t *b = (const uint8_t *)&g->base;
	const uint8_t *d = (const uint8_t *)&g->base_debug;

	assert_int_equal(sizeof(g->base), 1808);
	/* HEADER: 06000000 E1000000 00000100, then the type u32 (bit 31 = debug) */
	static const uint8_t header[12] = {0x06, 0x00, 0x00, 0x00, 0xE1, 0x00,
					   0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
	assert_memory_equal(b, header, 12);
	assert_memory_equal(d, header, 12);
	static const uint8_t type_prod[4] = {0, 0, 0, 0}, type_debug[4] = {0, 0, 0, 0x80};
	assert_memory_equal(b + 12, type_prod, 4);
	assert_memory_equal(d + 12, type_debug, 4);
	/* VENDOR 0 (not Intel), DATE 0x20250131 little-endian */
	assert_true(th_all_zero(b + 16, 4));
	static const uint8_t date[4] = {0x31, 0x01, 0x25, 0x20};
	assert_memory_equal(b + 20, date, 4);
	/* HEADER2 at 24 */
	static const uint8_t header2[16] = {0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
					    0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
	assert_memory_equal(b + 24, header2, 16);
	/* SWDEFINED 0, reserved 44..128 zero */
	assert_true(th_all_zero(b + 40, 4));
	assert_true(th_all_zero(b + 44, 84));
	/* MODULUS at 128, little-endian: exactly the key's n */
	assert_memory_equal(b + 128, g->n_le, 384);
	assert_true(b[128 + 383] & 0x80); /* top bit of a 3072-bit modulus (LE: last byte) */
	assert_true(b[128] & 0x01);       /* odd (LE: first byte) */
	/* EXPONENT 3 at 512 */
	static const uint8_t e3[4] = {3, 0, 0, 0};
	assert_memory_equal(b + 512, e3, 4);
	/* MISCSELECT at 900 */
	static const uint8_t misc[4] = {1, 0, 0, 0};
	assert_memory_equal(b + 900, misc, 4);
	assert_true(th_all_zero(b + 910, 2));
	for (int i = 0; i < 16; i++) {
		assert_int_equal(b[912 + i], 0x60 + i); /* ISVFAMILYID */
		assert_int_equal(b[1008 + i], 0x70 + i); /* ISVEXTPRODID */
	}
	/* ATTRIBUTES at 928: DEBUG iff debug, KSS iff kss */
	assert_int_equal(b[928] & 0x02, 0);
	assert_int_equal(d[928] & 0x02, 0x02);
	assert_int_equal(b[928] & 0x80, 0);
	assert_int_equal(((const uint8_t *)&g->base_kss)[928] & 0x80, 0x80);
	/* ENCLAVEHASH at 960 */
	assert_int_equal(b[960], 0x01);
	assert_int_equal(b[961], 0xA1);
	assert_int_equal(b[991], 0xFE);
	assert_true(th_all_zero(b + 992, 16));
	/* ISVPRODID 0x0102 @1024, ISVSVN 0x0304 @1026, then 12 reserved */
	static const uint8_t ids[4] = {0x02, 0x01, 0x04, 0x03};
	assert_memory_equal(b + 1024, ids, 4);
	assert_true(th_all_zero(b + 1028, 12));
	/* signature, Q1 and Q2 are present */
	assert_false(th_all_zero(b + 516, 384));
	assert_false(th_all_zero(b + 1040, 384));
	assert_false(th_all_zero(b + 1424, 384));
}

/* OpenSSL alone: PKCS#1 v1.5 SHA-256 over [0,128) || [900,1028), n and S little-endian. */
static int openssl_verify(const struct fk_sgx_sigstruct *ss)
{
	const uint8_t *b = (const uint8_t *)ss;
	uint8_t n_be[384], s_be[384], msg[256];
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	int ok = -1;

	reverse_copy(n_be, b + 128, 384);
	reverse_copy(s_be, b + 516, 384);
	memcpy(msg, b, 128);
	memcpy(msg + 128, b + 900, 128);
	n = BN_bin2bn(n_be, 384, NULL);
	e = BN_new();
	bld = OSSL_PARAM_BLD_new();
	if (n == NULL || e == NULL || bld == NULL || BN_set_word(e, 3) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1 ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1)
		goto out;
	ok = EVP_DigestVerify(md, s_be, sizeof(s_be), msg, sizeof(msg)) == 1;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return ok;
}

static void test_signature_verifies_with_openssl(void **state)
{
	struct group *g = *state;
	assert_int_equal(openssl_verify(&g->base), 1);
	assert_int_equal(openssl_verify(&g->base_debug), 1);
	assert_int_equal(openssl_verify(&g->base_kss), 1);
	/* and the check is not vacuous: a signed byte changed -> OpenSSL rejects too */
	struct fk_sgx_sigstruct t = g->base;
	((uint8_t *)&t)[1026] ^= 1;
	assert_int_equal(openssl_verify(&t), 0);
}

/* Q1 = floor(S^2 / N), Q2 = floor((S^3 - Q1*S*N) / N), with OpenSSL BIGNUMs. */
static void test_q1_q2_independent(void **state)
{
	struct group *g = *state;
	const uint8_t *b = (const uint8_t *)&g->base;
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = BN_lebin2bn(b + 128, 384, NULL);
	BIGNUM *s = BN_lebin2bn(b + 516, 384, NULL);
	BIGNUM *s2 = BN_new(), *s3 = BN_new(), *q1 = BN_new(), *q2 = BN_new(), *t = BN_new();
	uint8_t q1_le[384], q2_le[384];

	assert_non_null(ctx);
	assert_non_null(n);
	assert_non_null(s);
	assert_true(s2 && s3 && q1 && q2 && t);
	assert_int_equal(BN_sqr(s2, s, ctx), 1);
	assert_int_equal(BN_div(q1, NULL, s2, n, ctx), 1);
	assert_int_equal(BN_mul(s3, s2, s, ctx), 1);
	assert_int_equal(BN_mul(t, q1, s, ctx), 1);
	assert_int_equal(BN_mul(t, t, n, ctx), 1);
	assert_int_equal(BN_sub(t, s3, t), 1);
	assert_int_equal(BN_div(q2, NULL, t, n, ctx), 1);
	assert_int_equal(BN_bn2lebinpad(q1, q1_le, 384), 384);
	assert_int_equal(BN_bn2lebinpad(q2, q2_le, 384), 384);
	assert_memory_equal(b + 1040, q1_le, 384);
	assert_memory_equal(b + 1424, q2_le, 384);
	BN_free(n);
	BN_free(s);
	BN_free(s2);
	BN_free(s3);
	BN_free(q1);
	BN_free(q2);
	BN_free(t);
	BN_CTX_free(ctx);
}

static void test_date_zero_means_today(void **state)
{
	struct group *g = *state;
	struct fk_sigstruct_params p;
	struct fk_sgx_sigstruct ss;

	base_params(&p);
	p.date = 0;
	EXPECT_OK(fk_sigstruct_sign(g->key, &p, &ss));
	uint32_t date = fk_le32(ss.date);
	/* every nibble a decimal digit, year >= 2024, month 1..12, day 1..31 */
	for (int i = 0; i < 8; i++)
		assert_true(((date >> (4 * i)) & 0xF) <= 9);
	unsigned y = (date >> 28) * 1000 + ((date >> 24) & 0xF) * 100 + ((date >> 20) & 0xF) * 10 +
		     ((date >> 16) & 0xF);
	unsigned m = ((date >> 12) & 0xF) * 10 + ((date >> 8) & 0xF);
	unsigned d = ((date >> 4) & 0xF) * 10 + (date & 0xF);
	assert_true(y >= 2024 && y < 2200);
	assert_true(m >= 1 && m <= 12);
	assert_true(d >= 1 && d <= 31);
	EXPECT_OK(fk_sigstruct_verify(&ss));
}

/* ---- emulated EINIT ---- */

static void sha256_ossl(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned int len = 0;
	assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
}

static void check_identity(const struct fk_sgx_sigstruct *ss, const struct fk_sgx_identity *id,
			   bool debug, bool kss)
{
	struct fk_sigstruct_params p;
	uint8_t mrsigner[32];

	base_params(&p);
	sha256_ossl((const uint8_t *)ss + 128, 384, mrsigner);
	assert_memory_equal(id->mr_signer, mrsigner, 32);
	assert_memory_equal(id->mr_enclave, p.enclave_hash, 32);
	assert_int_equal(id->isv_prod_id, 0x0102);
	assert_int_equal(id->isv_svn, 0x0304);
	assert_memory_equal(id->isv_family_id, p.isv_family_id, 16);
	assert_memory_equal(id->isv_ext_prod_id, p.isv_ext_prod_id, 16);
	assert_true(id->misc_select == 1);
	assert_true(id->flags & FK_SGX_FLAGS_INITTED);
	assert_int_equal(!!(id->flags & FK_SGX_FLAGS_DEBUG), debug);
	assert_int_equal(!!(id->flags & FK_SGX_FLAGS_KSS), kss);
	/* SECS attributes are the signed ones plus INITTED */
	assert_true(id->flags == (fk_le64(ss->attributes.flags) | FK_SGX_FLAGS_INITTED));
	assert_true(id->xfrm == fk_le64(ss->attributes.xfrm));
}

static void test_identity_from_sigstruct(void **state)
{
	struct group *g = *state;
	struct fk_sgx_identity id;

	memset(&id, 0xAA, sizeof(id));
	EXPECT_OK(fk_sigstruct_to_identity(&g->base, NULL, 0, &id));
	check_identity(&g->base, &id, false, false);
	assert_int_equal(id.config_svn, 0);
	assert_true(th_all_zero(id.config_id, 64));

	EXPECT_OK(fk_sigstruct_to_identity(&g->base_debug, NULL, 0, &id));
	check_identity(&g->base_debug, &id, true, false);

	EXPECT_OK(fk_sigstruct_to_identity(&g->base_kss, NULL, 0, &id));
	check_identity(&g->base_kss, &id, false, true);

	/* MRSIGNER is the hash of the modulus as stored (LE), not of its big-endian form */
	uint8_t be[384], h_be[32];
	reverse_copy(be, g->n_le, 384);
	sha256_ossl(be, 384, h_be);
	EXPECT_OK(fk_sigstruct_to_identity(&g->base, NULL, 0, &id));
	assert_memory_not_equal(id.mr_signer, h_be, 32);

	/* a different key gives a different MRSIGNER; same MRENCLAVE */
	struct fk_rsa_key *k2 = NULL;
	struct fk_sigstruct_params p;
	struct fk_sgx_sigstruct ss2;
	struct fk_sgx_identity id2;
	base_params(&p);
	EXPECT_OK(fk_rsa3072_generate(&k2));
	EXPECT_OK(fk_sigstruct_sign(k2, &p, &ss2));
	fk_rsa_free(k2);
	EXPECT_OK(fk_sigstruct_to_identity(&ss2, NULL, 0, &id2));
	assert_memory_not_equal(id.mr_signer, id2.mr_signer, 32);
	assert_memory_equal(id.mr_enclave, id2.mr_enclave, 32);
}

static void test_identity_refused_on_bad_sigstruct(void **state)
{
	struct group *g = *state;
	struct fk_sgx_sigstruct t = g->base;
	struct fk_sgx_identity id;

	((uint8_t *)&t)[960] ^= 0x01; /* enclave hash */
	memset(&id, 0xAA, sizeof(id));
	EXPECT_STATUS(fk_sigstruct_to_identity(&t, NULL, 0, &id), FUSEKEY_ERR_INVALID_SIGNATURE);
	assert_true(th_all_zero(&id, sizeof(id)));
	t = g->base;
	fk_put_le32(t.exponent, 1);
	memset(&id, 0xAA, sizeof(id));
	EXPECT_STATUS(fk_sigstruct_to_identity(&t, NULL, 0, &id), FUSEKEY_ERR_INVALID_SIGSTRUCT);
	assert_true(th_all_zero(&id, sizeof(id)));
	EXPECT_STATUS(fk_sigstruct_to_identity(&g->base, NULL, 0, NULL),
		      FUSEKEY_ERR_INVALID_PARAMETER);
}

static void test_config_launch_parameters(void **state)
{
	struct group *g = *state;
	struct fk_sgx_identity id;
	uint8_t cfg[64], zero[64] = {0};

	for (int i = 0; i < 64; i++)
		cfg[i] = (uint8_t)(0x40 + i);
	/* non-KSS: config_id or config_svn -> INVALID_PARAMETER, output zeroed */
	memset(&id, 0xAA, sizeof(id));
	EXPECT_STATUS(fk_sigstruct_to_identity(&g->base, cfg, 0, &id),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(&id, sizeof(id)));
	memset(&id, 0xAA, sizeof(id));
	EXPECT_STATUS(fk_sigstruct_to_identity(&g->base, NULL, 1, &id),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(&id, sizeof(id)));
	EXPECT_STATUS(fk_sigstruct_to_identity(&g->base_debug, cfg, 7, &id),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	/* a single non-zero config_id byte is enough to refuse */
	zero[63] = 1;
	EXPECT_STATUS(fk_sigstruct_to_identity(&g->base, zero, 0, &id),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	zero[63] = 0;
	/* an all-zero config_id is the same as none */
	EXPECT_OK(fk_sigstruct_to_identity(&g->base, zero, 0, &id));
	assert_true(th_all_zero(id.config_id, 64));

	/* KSS: both carried into the identity */
	EXPECT_OK(fk_sigstruct_to_identity(&g->base_kss, cfg, 0x1234, &id));
	assert_memory_equal(id.config_id, cfg, 64);
	assert_int_equal(id.config_svn, 0x1234);
	check_identity(&g->base_kss, &id, false, true);
	EXPECT_OK(fk_sigstruct_to_identity(&g->base_kss, NULL, 9, &id));
	assert_true(th_all_zero(id.config_id, 64));
	assert_int_equal(id.config_svn, 9);
}

/* ---- tampering ---- */

struct region {
	size_t off, len;
	fusekey_status st;
	const char *name;
};

/* Expected verify status for a changed byte, by region (sgx.md §2; fk_sigstruct.h). */
static const struct region regions[] = {
	{0, 12, FUSEKEY_ERR_INVALID_SIGSTRUCT, "header"},
	{16, 4, FUSEKEY_ERR_INVALID_SIGNATURE, "vendor"},
	{20, 4, FUSEKEY_ERR_INVALID_SIGNATURE, "date"},
	{24, 16, FUSEKEY_ERR_INVALID_SIGSTRUCT, "header2"},
	{40, 4, FUSEKEY_ERR_INVALID_SIGNATURE, "swdefined"},
	{44, 84, FUSEKEY_ERR_INVALID_SIGSTRUCT, "reserved1"},
	{128, 384, FUSEKEY_ERR_INVALID_SIGNATURE, "modulus"},
	{512, 4, FUSEKEY_ERR_INVALID_SIGSTRUCT, "exponent"},
	{516, 384, FUSEKEY_ERR_INVALID_SIGNATURE, "signature"},
	{900, 4, FUSEKEY_ERR_INVALID_SIGNATURE, "misc_select"},
	{904, 4, FUSEKEY_ERR_INVALID_SIGNATURE, "misc_mask"},
	{908, 2, FUSEKEY_ERR_INVALID_SIGNATURE, "cet"},
	{910, 2, FUSEKEY_ERR_INVALID_SIGSTRUCT, "reserved2"},
	{912, 16, FUSEKEY_ERR_INVALID_SIGNATURE, "isv_family_id"},
	{928, 16, FUSEKEY_ERR_INVALID_SIGNATURE, "attributes"},
	{944, 16, FUSEKEY_ERR_INVALID_SIGNATURE, "attribute_mask"},
	{960, 32, FUSEKEY_ERR_INVALID_SIGNATURE, "enclave_hash"},
	{992, 16, FUSEKEY_ERR_INVALID_SIGSTRUCT, "reserved3"},
	{1008, 16, FUSEKEY_ERR_INVALID_SIGNATURE, "isv_ext_prod_id"},
	{1024, 2, FUSEKEY_ERR_INVALID_SIGNATURE, "isv_prod_id"},
	{1026, 2, FUSEKEY_ERR_INVALID_SIGNATURE, "isv_svn"},
	{1028, 12, FUSEKEY_ERR_INVALID_SIGSTRUCT, "reserved4"},
	{1040, 384, FUSEKEY_ERR_INVALID_SIGNATURE, "q1"},
	{1424, 384, FUSEKEY_ERR_INVALID_SIGNATURE, "q2"},
};

static fusekey_status flip_verify(const struct fk_sgx_sigstruct *base, size_t off, int bit)
{
	struct fk_sgx_sigstruct t = *base;
	((uint8_t *)&t)[off] ^= (uint8_t)(1u << bit);
	return fk_sigstruct_verify(&t);
}

/* The signed fields named in the brief: one flip each -> INVALID_SIGNATURE. */
static void test_flip_signed_fields(void **state)
{
	struct group *g = *state;
	/* header type bit 31 (debug-signed) is a valid type: only the signature catches it */
	EXPECT_STATUS(flip_verify(&g->base, 15, 7), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(flip_verify(&g->base_debug, 15, 7), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(flip_verify(&g->base, 20, 0), FUSEKEY_ERR_INVALID_SIGNATURE);  /* date */
	EXPECT_STATUS(flip_verify(&g->base, 900, 1), FUSEKEY_ERR_INVALID_SIGNATURE); /* misc */
	EXPECT_STATUS(flip_verify(&g->base, 928, 1), FUSEKEY_ERR_INVALID_SIGNATURE); /* DEBUG */
	EXPECT_STATUS(flip_verify(&g->base_debug, 928, 1), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(flip_verify(&g->base, 928, 7), FUSEKEY_ERR_INVALID_SIGNATURE); /* KSS */
	EXPECT_STATUS(flip_verify(&g->base, 975, 4), FUSEKEY_ERR_INVALID_SIGNATURE); /* hash */
	EXPECT_STATUS(flip_verify(&g->base, 1024, 0), FUSEKEY_ERR_INVALID_SIGNATURE); /* prodid */
	EXPECT_STATUS(flip_verify(&g->base, 1027, 7), FUSEKEY_ERR_INVALID_SIGNATURE); /* svn */
	/* header / exponent -> INVALID_SIGSTRUCT */
	EXPECT_STATUS(flip_verify(&g->base, 0, 0), FUSEKEY_ERR_INVALID_SIGSTRUCT);
	EXPECT_STATUS(flip_verify(&g->base, 4, 0), FUSEKEY_ERR_INVALID_SIGSTRUCT);
	EXPECT_STATUS(flip_verify(&g->base, 12, 0), FUSEKEY_ERR_INVALID_SIGSTRUCT); /* type 1 */
	EXPECT_STATUS(flip_verify(&g->base, 24, 0), FUSEKEY_ERR_INVALID_SIGSTRUCT);
	EXPECT_STATUS(flip_verify(&g->base, 512, 0), FUSEKEY_ERR_INVALID_SIGSTRUCT); /* e = 2 */
	EXPECT_STATUS(flip_verify(&g->base, 514, 0), FUSEKEY_ERR_INVALID_SIGSTRUCT);
	/* Q1 / Q2 -> INVALID_SIGNATURE (signature itself still valid) */
	EXPECT_STATUS(flip_verify(&g->base, 1040, 0), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(flip_verify(&g->base, 1423, 7), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(flip_verify(&g->base, 1424, 0), FUSEKEY_ERR_INVALID_SIGNATURE);
	EXPECT_STATUS(flip_verify(&g->base, 1807, 7), FUSEKEY_ERR_INVALID_SIGNATURE);
	/* exponent 65537 is refused although the layout is otherwise valid */
	struct fk_sgx_sigstruct t = g->base;
	fk_put_le32(t.exponent, 65537);
	EXPECT_STATUS(fk_sigstruct_verify(&t), FUSEKEY_ERR_INVALID_SIGSTRUCT);
}

/* Every byte, low and high bit, against the region table: 3,616 cells. */
static void test_flip_every_byte(void **state)
{
	struct group *g = *state;
	size_t cells = 0, bad = 0;
	const size_t nreg = sizeof(regions) / sizeof(regions[0]);

	for (size_t off = 0; off < 1808; off++) {
		for (int bit = 0; bit < 8; bit += 7) {
			fusekey_status want;
			const char *name = "?";
			if (off >= 12 && off < 16) {
				/* type: 0 or 0x80000000 only; bit 31 of a 0 type gives the
				 * other valid value and is caught by the signature */
				want = (off == 15 && bit == 7) ? FUSEKEY_ERR_INVALID_SIGNATURE
							       : FUSEKEY_ERR_INVALID_SIGSTRUCT;
				name = "type";
			} else {
				want = FUSEKEY_OK;
				for (size_t r = 0; r < nreg; r++)
					if (off >= regions[r].off &&
					    off < regions[r].off + regions[r].len) {
						want = regions[r].st;
						name = regions[r].name;
					}
				assert_true(want != FUSEKEY_OK); /* table covers every byte */
			}
			fusekey_status got = flip_verify(&g->base, off, bit);
			cells++;
			if (got != want) {
				bad++;
				print_error("# sigstruct flip byte %zu bit %d (%s): got %s want %s\n",
					    off, bit, name, fusekey_status_name(got),
					    fusekey_status_name(want));
			}
		}
	}
	print_message("# sigstruct tamper cells: %zu\n", cells);
	assert_int_equal(cells, 1808 * 2);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_sign_verify_ok),
		cmocka_unit_test(test_raw_layout),
		cmocka_unit_test(test_signature_verifies_with_openssl),
		cmocka_unit_test(test_q1_q2_independent),
		cmocka_unit_test(test_date_zero_means_today),
		cmocka_unit_test(test_identity_from_sigstruct),
		cmocka_unit_test(test_identity_refused_on_bad_sigstruct),
		cmocka_unit_test(test_config_launch_parameters),
		cmocka_unit_test(test_flip_signed_fields),
		cmocka_unit_test(test_flip_every_byte),
	};
	return cmocka_run_group_tests_name("sigstruct", tests, group_setup, group_teardown);
}
