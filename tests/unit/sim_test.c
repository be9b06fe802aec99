/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the emulated platform, src/platform/fk_sim.{h,c}:
 *  - sdk-compat known answers (shared/docs/reference/sgx.md §10, and three
 *    PROVISION/EINITTOKEN keys from tests/vectors/sgxsdk-sim/egetkey.json);
 *  - report creation / verification;
 *  - secure mode (random roots) and the key names it refuses;
 *  - the state directory (modes, refusals, round trip, CPUSVN change, path
 *    resolution);
 *  - SVN / TCB rules for sealed blobs (docs/testing.md §3 row 12).
 * The EGETKEY policy matrix (row 4) is in sim_matrix_test.c.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "test_util.h"

/* ---- helpers ---- */

static struct fk_platform *mk(const struct fk_sim_state *st, const struct fk_sgx_identity *id)
{
	struct fk_platform *p = NULL;
	EXPECT_OK(fk_sim_platform_new(st, id, &p));
	assert_non_null(p);
	assert_true(p->emulated);
	return p;
}

static struct fk_platform *mk_sdk(enum fk_sim_cpusvn cpusvn, const struct fk_sgx_identity *id)
{
	struct fk_sim_state st;
	struct fk_platform *p;
	fk_sim_state_sdk_compat(&st, cpusvn);
	p = mk(&st, id);
	fk_sim_state_clear(&st);
	return p;
}

/* Enclave A of sgx.md §10: flags 0x7, xfrm 0x3, misc 0, mr_enclave a1.., mr_signer 51..,
 * prod id 0x0102, svn 0x0304, no KSS. */
static void enclave_a(struct fk_sgx_identity *id)
{
	th_identity(id, 0xa1, 0x51);
}

/* The sgx.md §10 seal KAT key request (bytes [0,80), zeros after). */
static void kat_request(struct fk_sgx_key_request *req)
{
	memset(req, 0, sizeof(*req));
	th_hex("04000200"
	       "04030000"
	       "4820f3376ae6b2f2034d3b7a4b48a778"
	       "0b000000000000ff"
	       "0000000000000000"
	       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	       "000000f0"
	       "0000",
	       (uint8_t *)req, 78);
}

static fusekey_status get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
			      uint8_t key[16])
{
	memset(key, 0xAA, 16);
	fusekey_status st = fk_platform_get_key(p, req, key);
	if (st != FUSEKEY_OK)
		assert_true(th_all_zero(key, 16)); /* zeroed on every failure */
	return st;
}

/* ---- sdk-compat known answers ---- */

static void test_sdk_compat_constants(void **state)
{
	(void)state;
	uint8_t v[16];
	th_hex("4820f3376ae6b2f2034d3b7a4b48a778", v, 16);
	assert_memory_equal(fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT], v, 16);
	th_hex("5339ae8c93ae8f3ce432db924d0f0733", v, 16);
	assert_memory_equal(fk_sim_cpusvn_values[FK_SIM_CPUSVN_UPGRADED], v, 16);
	th_hex("64ea4f3fa0030c36383c322d4f3a8d4f", v, 16);
	assert_memory_equal(fk_sim_cpusvn_values[FK_SIM_CPUSVN_DOWNGRADED], v, 16);

	struct fk_sim_state st;
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_UPGRADED);
	assert_int_equal(st.mode, FK_SIM_MODE_SDK_COMPAT);
	assert_int_equal(st.cpusvn, FK_SIM_CPUSVN_UPGRADED);
	th_hex("00112233445566778899aabbccddeeff", v, 16);
	assert_memory_equal(st.root_keys[FK_SGX_KEYNAME_SEAL], v, 16);
	th_hex("ff00ff00ff00ff00ff00ff00ff00ff00", v, 16);
	assert_memory_equal(st.root_keys[FK_SGX_KEYNAME_REPORT], v, 16);
	assert_memory_equal(st.owner_epoch, "THISISOWNEREPOCH", 16);
	fk_sim_state_clear(&st);
	assert_true(th_all_zero(&st, sizeof(st)));
}

static void test_seal_key_kat(void **state)
{
	(void)state;
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req;
	uint8_t key[16], want[16];

	enclave_a(&a);
	th_hex("b3ebedcc5761ffc077832297b79f9d0e", want, 16);
	struct fk_platform *p = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &a);
	kat_request(&req);
	EXPECT_OK(get_key(p, &req, key));
	assert_memory_equal(key, want, 16);
	/* an all-zero request CPUSVN means DEFAULT: same key */
	memset(req.cpu_svn, 0, sizeof(req.cpu_svn));
	EXPECT_OK(get_key(p, &req, key));
	assert_memory_equal(key, want, 16);
	fk_platform_destroy(p);

	/* The SEAL key uses the request CPUSVN, not the platform's: same key on an
	 * UPGRADED platform (which accepts a DEFAULT request). */
	p = mk_sdk(FK_SIM_CPUSVN_UPGRADED, &a);
	kat_request(&req);
	EXPECT_OK(get_key(p, &req, key));
	assert_memory_equal(key, want, 16);
	fk_platform_destroy(p);
}

static void target_b(struct fk_sgx_target_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	memset(ti->mr_enclave, 0xb2, 32);
	fk_put_le64(ti->attributes.flags, 0x7);
	fk_put_le64(ti->attributes.xfrm, 0x3);
}

static void test_report_kat(void **state)
{
	(void)state;
	struct fk_sgx_identity a, b;
	struct fk_sgx_target_info tb;
	struct fk_sgx_report rep, t;
	struct fk_sgx_key_request req;
	uint8_t rd[64], want_mac[16], want_kid[32] = {0}, key[16], want_key[16];

	enclave_a(&a);
	th_identity(&b, 0xb2, 0x52);
	target_b(&tb);
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)i;
	th_hex("97db945b9d7c3607a1b0400137dc9cb2", want_mac, 16);
	th_hex("ff00ff00ff00ff00ff00ff00ff00ff00", want_kid, 16);

	struct fk_platform *pa = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &a);
	struct fk_platform *pb = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &b);
	memset(&rep, 0xAA, sizeof(rep));
	EXPECT_OK(fk_platform_create_report(pa, &tb, rd, &rep));
	assert_memory_equal(rep.mac, want_mac, 16);
	assert_memory_equal(rep.key_id, want_kid, 32);
	/* body: platform CPUSVN, A's identity, the report data */
	const uint8_t *body = (const uint8_t *)&rep.body;
	assert_memory_equal(body + 0, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT], 16);
	assert_int_equal(body[48], 0x07);
	assert_int_equal(body[56], 0x03);
	assert_int_equal(body[64], 0xa1);
	assert_int_equal(body[128], 0x51);
	assert_int_equal(body[256], 0x02);
	assert_int_equal(body[258], 0x04);
	assert_memory_equal(body + 320, rd, 64);

	/* B's REPORT key for that KEYID (sgx.md §10) */
	th_hex("96e99370a09534b0e109ad86f6e7fe57", want_key, 16);
	memset(&req, 0, sizeof(req));
	fk_put_le16(req.key_name, FK_SGX_KEYNAME_REPORT);
	memcpy(req.key_id, rep.key_id, 32);
	EXPECT_OK(get_key(pb, &req, key));
	assert_memory_equal(key, want_key, 16);
	/* ...and the REPORT key ignores the request's other fields (SDM) */
	fk_put_le16(req.key_policy, 3);
	fk_put_le16(req.isv_svn, 0xFFFF);
	memset(req.cpu_svn, 0x77, 16);
	memset(&req.attribute_mask, 0xFF, 16);
	EXPECT_OK(get_key(pb, &req, key));
	assert_memory_equal(key, want_key, 16);

	/* only the target verifies */
	EXPECT_OK(fk_platform_verify_report(pb, &rep));
	EXPECT_STATUS(fk_platform_verify_report(pa, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	/* any body byte, the KEYID or the MAC changed -> MAC_MISMATCH */
	for (size_t off = 0; off < sizeof(rep); off += 7) {
		t = rep;
		((uint8_t *)&t)[off] ^= 0x01;
		EXPECT_STATUS(fk_platform_verify_report(pb, &t), FUSEKEY_ERR_MAC_MISMATCH);
	}
	t = rep;
	t.body.report_data[63] ^= 0x80;
	EXPECT_STATUS(fk_platform_verify_report(pb, &t), FUSEKEY_ERR_MAC_MISMATCH);
	t = rep;
	t.mac[15] ^= 0x80;
	EXPECT_STATUS(fk_platform_verify_report(pb, &t), FUSEKEY_ERR_MAC_MISMATCH);

	/* B on another platform CPUSVN does not verify a DEFAULT-platform report */
	struct fk_platform *pb2 = mk_sdk(FK_SIM_CPUSVN_UPGRADED, &b);
	EXPECT_STATUS(fk_platform_verify_report(pb2, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	fk_platform_destroy(pb2);

	/* B's production twin (DEBUG clear: other attributes) does not verify it either */
	struct fk_sgx_identity b_prod = b;
	b_prod.flags = 0x5;
	pb2 = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &b_prod);
	EXPECT_STATUS(fk_platform_verify_report(pb2, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	fk_platform_destroy(pb2);

	fk_platform_destroy(pa);
	fk_platform_destroy(pb);
}

static void test_self_target_and_null_inputs(void **state)
{
	(void)state;
	struct fk_sgx_identity a;
	struct fk_sgx_target_info ti, want;
	struct fk_sgx_report rep;

	enclave_a(&a);
	a.misc_select = 0x11;
	a.cet_attributes = 0x3;
	struct fk_platform *pa = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &a);
	EXPECT_OK(fk_platform_self_target(pa, &ti));
	fk_sgx_target_info_from_identity(&a, &want);
	assert_memory_equal(&ti, &want, sizeof(ti));
	/* A reports to itself and verifies it */
	EXPECT_OK(fk_platform_create_report(pa, &ti, NULL, &rep));
	assert_true(th_all_zero(rep.body.report_data, 64));
	EXPECT_OK(fk_platform_verify_report(pa, &rep));
	/* NULL target = the all-zero target info: A does not verify it */
	EXPECT_OK(fk_platform_create_report(pa, NULL, NULL, &rep));
	EXPECT_STATUS(fk_platform_verify_report(pa, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	/* identity and cpu_svn accessors */
	struct fk_sgx_identity got;
	uint8_t cs[16];
	EXPECT_OK(fk_platform_identity(pa, &got));
	assert_memory_equal(&got, &a, sizeof(a));
	EXPECT_OK(fk_platform_cpu_svn(pa, cs));
	assert_memory_equal(cs, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT], 16);
	fk_platform_destroy(pa);

	/* parameter checks of the wrappers and the constructor */
	struct fk_sim_state st;
	struct fk_platform *p = (struct fk_platform *)1;
	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	EXPECT_STATUS(fk_sim_platform_new(NULL, &a, &p), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(p);
	EXPECT_STATUS(fk_sim_platform_new(&st, NULL, &p), FUSEKEY_ERR_INVALID_PARAMETER);
	st.cpusvn = (enum fk_sim_cpusvn)3;
	EXPECT_STATUS(fk_sim_platform_new(&st, &a, &p), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_platform_create_report(NULL, NULL, NULL, &rep),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	uint8_t key[16];
	memset(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(NULL, NULL, key), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(key, 16));
	fk_platform_destroy(NULL);
}

/* ---- secure mode ---- */

static void test_secure_random_roots(void **state)
{
	(void)state;
	struct fk_sim_state s1, s2;
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req;
	uint8_t k1[16], k2[16], k1b[16], ksdk[16];

	enclave_a(&a);
	kat_request(&req);
	EXPECT_OK(fk_sim_state_random(&s1, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_state_random(&s2, FK_SIM_CPUSVN_DEFAULT));
	assert_int_equal(s1.mode, FK_SIM_MODE_SECURE);
	assert_memory_not_equal(s1.root_keys, s2.root_keys, sizeof(s1.root_keys));
	assert_memory_not_equal(s1.owner_epoch, s2.owner_epoch, 16);
	assert_memory_not_equal(s1.report_key_id, s2.report_key_id, 32);

	struct fk_platform *p1 = mk(&s1, &a), *p1b = mk(&s1, &a), *p2 = mk(&s2, &a);
	struct fk_platform *psdk = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &a);
	EXPECT_OK(get_key(p1, &req, k1));
	EXPECT_OK(get_key(p1b, &req, k1b));
	EXPECT_OK(get_key(p2, &req, k2));
	EXPECT_OK(get_key(psdk, &req, ksdk));
	assert_memory_equal(k1, k1b, 16);
	assert_memory_not_equal(k1, k2, 16);
	assert_memory_not_equal(k1, ksdk, 16);
	assert_false(th_all_zero(k1, 16));

	/* the report KEYID is the platform's own random value */
	struct fk_sgx_report rep;
	struct fk_sgx_target_info ti;
	EXPECT_OK(fk_platform_self_target(p1, &ti));
	EXPECT_OK(fk_platform_create_report(p1, &ti, NULL, &rep));
	assert_memory_equal(rep.key_id, s1.report_key_id, 32);
	EXPECT_OK(fk_platform_verify_report(p1b, &rep));
	EXPECT_STATUS(fk_platform_verify_report(p2, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	EXPECT_STATUS(fk_platform_verify_report(psdk, &rep), FUSEKEY_ERR_MAC_MISMATCH);

	fk_platform_destroy(p1);
	fk_platform_destroy(p1b);
	fk_platform_destroy(p2);
	fk_platform_destroy(psdk);
	fk_sim_state_clear(&s1);
	fk_sim_state_clear(&s2);
}

/* tests/vectors/sgxsdk-sim/egetkey.json cases 165, 169, 173 (SDK simulation output). */
struct named_kat {
	const char *id;
	uint64_t flags;
	uint16_t key_name, policy;
	const char *key;
};
static const struct named_kat named_kats[] = {
	{"egetkey-165", 0x27, FK_SGX_KEYNAME_EINITTOKEN, 0, "2aba2d258b37d2a3002d889f46d03587"},
	{"egetkey-169", 0x17, FK_SGX_KEYNAME_PROVISION, 0, "3d00cb7eb8eaa8a21a70e8eff3e2dc42"},
	{"egetkey-173", 0x17, FK_SGX_KEYNAME_PROVISION_SEAL, 2, "9b5117c10d4ed1bf00bb5922e62577dc"},
};

static void vec_enclave(struct fk_sgx_identity *id, uint64_t flags)
{
	memset(id, 0, sizeof(*id));
	id->flags = flags;
	id->xfrm = 0x3;
	th_hex("159c0833c83a437781c93ee403dd4ed2eedd91ef2b20d27e968f3ffead3af452", id->mr_enclave,
	       32);
	th_hex("b315545ad23dfd986b161593c583a1d49fdac0e17e6967f6689009204833ba78", id->mr_signer,
	       32);
	id->isv_prod_id = 183;
	id->isv_svn = 35;
}

static void vec_request(struct fk_sgx_key_request *req, uint16_t key_name, uint16_t policy)
{
	struct fk_sgx_key_request_fields f;
	memset(&f, 0, sizeof(f));
	f.key_name = key_name;
	f.key_policy = policy;
	f.isv_svn = 35;
	memcpy(f.cpu_svn, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DEFAULT], 16);
	f.attr_mask_flags = 0xff0000000000000bULL;
	th_hex("1b09af12311c593f46050f705dd3fd78025b5f728d7df46eb7c6a663a489937b", f.key_id, 32);
	f.misc_mask = 0xf0000000u;
	fk_sgx_key_request_encode(&f, req);
}

static void test_key_names_by_mode(void **state)
{
	(void)state;
	struct fk_sim_state sec;
	struct fk_sgx_identity id;
	struct fk_sgx_key_request req;
	uint8_t key[16], want[16];

	EXPECT_OK(fk_sim_state_random(&sec, FK_SIM_CPUSVN_DEFAULT));
	for (size_t i = 0; i < sizeof(named_kats) / sizeof(named_kats[0]); i++) {
		const struct named_kat *k = &named_kats[i];
		vec_enclave(&id, k->flags);
		vec_request(&req, k->key_name, k->policy);
		/* sdk-compat: the SDK simulation's key, byte for byte */
		struct fk_platform *p = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &id);
		th_hex(k->key, want, 16);
		EXPECT_OK(get_key(p, &req, key));
		if (memcmp(key, want, 16) != 0)
			fail_msg("%s: sdk-compat key differs from the SDK vector", k->id);
		fk_platform_destroy(p);
		/* without the PROVISION_KEY / EINITTOKEN_KEY attribute -> INVALID_ATTRIBUTE */
		vec_enclave(&id, 0x7);
		p = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &id);
		EXPECT_STATUS(get_key(p, &req, key), FUSEKEY_ERR_INVALID_ATTRIBUTE);
		fk_platform_destroy(p);
		/* secure mode: these key names do not exist, attribute or not */
		vec_enclave(&id, k->flags);
		p = mk(&sec, &id);
		EXPECT_STATUS(get_key(p, &req, key), FUSEKEY_ERR_INVALID_KEYNAME);
		fk_platform_destroy(p);
	}
	/* unknown key names, both modes */
	static const uint16_t unknown[] = {5, 6, 0x100, 0x8004, 0xFFFF};
	vec_enclave(&id, 0x37);
	struct fk_platform *ps = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &id), *pr = mk(&sec, &id);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		vec_request(&req, unknown[i], 2);
		EXPECT_STATUS(get_key(ps, &req, key), FUSEKEY_ERR_INVALID_KEYNAME);
		EXPECT_STATUS(get_key(pr, &req, key), FUSEKEY_ERR_INVALID_KEYNAME);
	}
	/* SEAL and REPORT work in secure mode */
	vec_request(&req, FK_SGX_KEYNAME_SEAL, 2);
	EXPECT_OK(get_key(pr, &req, key));
	vec_request(&req, FK_SGX_KEYNAME_REPORT, 0);
	EXPECT_OK(get_key(pr, &req, key));
	fk_platform_destroy(ps);
	fk_platform_destroy(pr);
	fk_sim_state_clear(&sec);
}

static void test_names_parse(void **state)
{
	(void)state;
	enum fk_sim_mode m;
	enum fk_sim_cpusvn c;
	assert_true(fk_sim_mode_parse("secure", &m) && m == FK_SIM_MODE_SECURE);
	assert_true(fk_sim_mode_parse("sdk-compat", &m) && m == FK_SIM_MODE_SDK_COMPAT);
	assert_false(fk_sim_mode_parse("sdk", &m));
	assert_false(fk_sim_mode_parse("", &m));
	assert_true(fk_sim_cpusvn_parse("UPGRADED", &c) && c == FK_SIM_CPUSVN_UPGRADED);
	assert_true(fk_sim_cpusvn_parse("downgraded", &c) && c == FK_SIM_CPUSVN_DOWNGRADED);
	assert_false(fk_sim_cpusvn_parse("NEWER", &c));
	assert_string_equal(fk_sim_mode_name(FK_SIM_MODE_SDK_COMPAT), "sdk-compat");
	assert_string_equal(fk_sim_cpusvn_name(FK_SIM_CPUSVN_DEFAULT), "DEFAULT");
	assert_string_equal(fk_sim_mode_name((enum fk_sim_mode)9), "unknown");
}

/* ---- state directory ---- */

struct dirfx {
	char base[256];
	char dir[512]; /* base/state/fusekey/sim: parents do not exist yet */
	char conf[600], roots[600];
};

static int dir_setup(void **state)
{
	struct dirfx *fx = calloc(1, sizeof(*fx));
	if (fx == NULL)
		return -1;
	umask(022);
	th_tmpdir(fx->base, sizeof(fx->base));
	snprintf(fx->dir, sizeof(fx->dir), "%s/state/fusekey/sim", fx->base);
	snprintf(fx->conf, sizeof(fx->conf), "%s/platform.conf", fx->dir);
	snprintf(fx->roots, sizeof(fx->roots), "%s/roots.bin", fx->dir);
	*state = fx;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dirfx *fx = *state;
	int rc = th_rmtree(fx->base);
	free(fx);
	return rc == 0 ? 0 : -1;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;
	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, cap);
	assert_true(n >= 0 && (size_t)n < cap);
	close(fd);
	return (size_t)n;
}

static void spill(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void seal_key_of(const struct fk_sim_state *st, uint8_t key[16])
{
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req;
	enclave_a(&a);
	kat_request(&req);
	struct fk_platform *p = mk(st, &a);
	EXPECT_OK(get_key(p, &req, key));
	fk_platform_destroy(p);
}

static void test_dir_init_secure(void **state)
{
	struct dirfx *fx = *state;
	struct fk_sim_state st;
	uint8_t r1[512], r2[512], k1[16], k2[16];

	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, false));
	assert_int_equal(mode_of(fx->dir), 0700);
	assert_int_equal(mode_of(fx->conf), 0600);
	assert_int_equal(mode_of(fx->roots), 0600);
	size_t n1 = slurp(fx->roots, r1, sizeof(r1));
	assert_true(n1 >= 5 * 16 + 16 + 32);

	/* load: secure mode, random roots (not the SDK constants) */
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));
	assert_int_equal(st.mode, FK_SIM_MODE_SECURE);
	assert_int_equal(st.cpusvn, FK_SIM_CPUSVN_DEFAULT);
	struct fk_sim_state sdk;
	fk_sim_state_sdk_compat(&sdk, FK_SIM_CPUSVN_DEFAULT);
	assert_memory_not_equal(st.root_keys[FK_SGX_KEYNAME_SEAL], sdk.root_keys[FK_SGX_KEYNAME_SEAL],
				16);
	assert_memory_not_equal(st.owner_epoch, sdk.owner_epoch, 16);
	seal_key_of(&st, k1);

	/* re-init without force -> EXISTS, roots byte-identical, same keys */
	EXPECT_STATUS(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, false),
		      FUSEKEY_ERR_EXISTS);
	EXPECT_STATUS(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SDK_COMPAT, FK_SIM_CPUSVN_DEFAULT, false),
		      FUSEKEY_ERR_EXISTS);
	size_t n2 = slurp(fx->roots, r2, sizeof(r2));
	assert_int_equal(n1, n2);
	assert_memory_equal(r1, r2, n1);

	/* load again: the same state, the same keys */
	struct fk_sim_state st2;
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st2));
	assert_memory_equal(&st, &st2, sizeof(st));
	seal_key_of(&st2, k2);
	assert_memory_equal(k1, k2, 16);

	/* force: new roots, keys sealed before are lost */
	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, true));
	n2 = slurp(fx->roots, r2, sizeof(r2));
	assert_int_equal(n1, n2);
	assert_memory_not_equal(r1, r2, n1);
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st2));
	seal_key_of(&st2, k2);
	assert_memory_not_equal(k1, k2, 16);
	assert_int_equal(mode_of(fx->roots), 0600);

	/* nothing but the two state files in the directory (no temporary files) */
	DIR *d = opendir(fx->dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "platform.conf") != 0 && strcmp(e->d_name, "roots.bin") != 0)
			fail_msg("unexpected file in the state directory: %s", e->d_name);
	closedir(d);

	fk_sim_state_clear(&st);
	fk_sim_state_clear(&st2);
	fk_sim_state_clear(&sdk);
}

static void test_dir_init_sdk_compat(void **state)
{
	struct dirfx *fx = *state;
	struct fk_sim_state st, sdk;

	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SDK_COMPAT, FK_SIM_CPUSVN_DOWNGRADED, false));
	assert_int_equal(mode_of(fx->dir), 0700);
	assert_int_equal(mode_of(fx->conf), 0600);
	assert_int_equal(access(fx->roots, F_OK), -1); /* no secret to keep */
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));
	fk_sim_state_sdk_compat(&sdk, FK_SIM_CPUSVN_DOWNGRADED);
	assert_memory_equal(&st, &sdk, sizeof(st));

	/* force-switch to secure creates roots.bin; back to sdk-compat removes it */
	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, true));
	assert_int_equal(access(fx->roots, F_OK), 0);
	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SDK_COMPAT, FK_SIM_CPUSVN_DEFAULT, true));
	assert_int_equal(access(fx->roots, F_OK), -1);
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));
	assert_int_equal(st.mode, FK_SIM_MODE_SDK_COMPAT);
	assert_int_equal(st.cpusvn, FK_SIM_CPUSVN_DEFAULT);
}

static void test_dir_init_closes_existing_dir(void **state)
{
	struct dirfx *fx = *state;
	char cmd[700];

	/* a directory someone made with a permissive umask is closed to 0700 by init */
	snprintf(cmd, sizeof(cmd), "mkdir -p -m 0755 '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(mode_of(fx->dir), 0755);
	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, false));
	assert_int_equal(mode_of(fx->dir), 0700);
	struct fk_sim_state st;
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));
	fk_sim_state_clear(&st);
	/* bad arguments */
	EXPECT_STATUS(fk_sim_dir_init(NULL, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, false),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sim_dir_init(fx->dir, (enum fk_sim_mode)2, FK_SIM_CPUSVN_DEFAULT, true),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, (enum fk_sim_cpusvn)3, true),
		      FUSEKEY_ERR_INVALID_PARAMETER);
}

static void test_dir_refusals(void **state)
{
	struct dirfx *fx = *state;
	struct fk_sim_state st;

	/* missing directory */
	memset(&st, 0xAA, sizeof(st));
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_NOT_FOUND);
	assert_true(th_all_zero(&st, sizeof(st)));

	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, false));
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));

	/* directory open to others */
	assert_int_equal(chmod(fx->dir, 0755), 0);
	memset(&st, 0xAA, sizeof(st));
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_PERMISSION);
	assert_true(th_all_zero(&st, sizeof(st)));
	assert_int_equal(chmod(fx->dir, 0701), 0);
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_PERMISSION);
	assert_int_equal(chmod(fx->dir, 0700), 0);
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));

	/* root file readable by the group / others */
	assert_int_equal(chmod(fx->roots, 0644), 0);
	memset(&st, 0xAA, sizeof(st));
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_PERMISSION);
	assert_true(th_all_zero(&st, sizeof(st)));
	assert_int_equal(chmod(fx->roots, 0640), 0);
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_PERMISSION);
	assert_int_equal(chmod(fx->roots, 0600), 0);
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));

	/* corrupt platform.conf */
	uint8_t conf[512];
	size_t n = slurp(fx->conf, conf, sizeof(conf));
	conf[n] = '\0';
	static const char *const bad[] = {
		"garbage without equals\n",
		"mode=secure\n",                       /* no cpusvn */
		"cpusvn=DEFAULT\n",                    /* no mode */
		"mode=bogus\ncpusvn=DEFAULT\n",        /* unknown mode */
		"mode=secure\ncpusvn=NEWER\n",         /* unknown cpusvn */
		"mode=secure\ncpusvn=DEFAULT\nx=1\n",  /* unknown key */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spill(fx->conf, bad[i]);
		memset(&st, 0xAA, sizeof(st));
		fusekey_status s = fk_sim_dir_load(fx->dir, &st);
		if (s != FUSEKEY_ERR_FORMAT)
			fail_msg("conf %zu (\"%s\"): got %s, want FORMAT", i, bad[i],
				 fusekey_status_name(s));
		assert_true(th_all_zero(&st, sizeof(st)));
	}
	spill(fx->conf, (const char *)conf);
	EXPECT_OK(fk_sim_dir_load(fx->dir, &st));

	/* truncated / wrong-magic roots.bin */
	uint8_t roots[512];
	n = slurp(fx->roots, roots, sizeof(roots));
	int fd = open(fx->roots, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, roots, n - 1), (ssize_t)(n - 1));
	close(fd);
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_FORMAT);
	roots[0] ^= 0x01;
	fd = open(fx->roots, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, roots, n), (ssize_t)n);
	close(fd);
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_FORMAT);
	roots[0] ^= 0x01;
	/* missing roots.bin in secure mode */
	assert_int_equal(unlink(fx->roots), 0);
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_NOT_FOUND);
	/* roots.bin replaced by a symlink to a private file: refused */
	char other[600];
	snprintf(other, sizeof(other), "%s/other.bin", fx->base);
	fd = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, roots, n), (ssize_t)n);
	close(fd);
	assert_int_equal(symlink(other, fx->roots), 0);
	assert_true(fk_sim_dir_load(fx->dir, &st) != FUSEKEY_OK);

	/* an initialised-looking directory without platform.conf is "never initialised" */
	assert_int_equal(unlink(fx->conf), 0);
	EXPECT_STATUS(fk_sim_dir_load(fx->dir, &st), FUSEKEY_ERR_NOT_FOUND);
	EXPECT_STATUS(fk_sim_dir_load(NULL, &st), FUSEKEY_ERR_INVALID_PARAMETER);
}

static void test_dir_set_cpusvn(void **state)
{
	struct dirfx *fx = *state;
	struct fk_sim_state before, after;
	uint8_t r1[512], r2[512];

	EXPECT_OK(fk_sim_dir_init(fx->dir, FK_SIM_MODE_SECURE, FK_SIM_CPUSVN_DEFAULT, false));
	EXPECT_OK(fk_sim_dir_load(fx->dir, &before));
	size_t n1 = slurp(fx->roots, r1, sizeof(r1));

	EXPECT_OK(fk_sim_dir_set_cpusvn(fx->dir, FK_SIM_CPUSVN_UPGRADED));
	EXPECT_OK(fk_sim_dir_load(fx->dir, &after));
	assert_int_equal(after.cpusvn, FK_SIM_CPUSVN_UPGRADED);
	assert_int_equal(after.mode, FK_SIM_MODE_SECURE);
	assert_memory_equal(after.root_keys, before.root_keys, sizeof(before.root_keys));
	assert_memory_equal(after.owner_epoch, before.owner_epoch, 16);
	assert_memory_equal(after.report_key_id, before.report_key_id, 32);
	size_t n2 = slurp(fx->roots, r2, sizeof(r2));
	assert_int_equal(n1, n2);
	assert_memory_equal(r1, r2, n1);
	assert_int_equal(mode_of(fx->conf), 0600);

	EXPECT_OK(fk_sim_dir_set_cpusvn(fx->dir, FK_SIM_CPUSVN_DOWNGRADED));
	EXPECT_OK(fk_sim_dir_load(fx->dir, &after));
	assert_int_equal(after.cpusvn, FK_SIM_CPUSVN_DOWNGRADED);
	assert_memory_equal(after.root_keys, before.root_keys, sizeof(before.root_keys));

	/* the platform CPUSVN reaches reports */
	struct fk_sgx_identity a;
	uint8_t cs[16];
	enclave_a(&a);
	struct fk_platform *p = mk(&after, &a);
	EXPECT_OK(fk_platform_cpu_svn(p, cs));
	assert_memory_equal(cs, fk_sim_cpusvn_values[FK_SIM_CPUSVN_DOWNGRADED], 16);
	fk_platform_destroy(p);

	EXPECT_STATUS(fk_sim_dir_set_cpusvn(fx->dir, (enum fk_sim_cpusvn)3),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/nope", fx->base);
	EXPECT_STATUS(fk_sim_dir_set_cpusvn(missing, FK_SIM_CPUSVN_DEFAULT), FUSEKEY_ERR_NOT_FOUND);
	fk_sim_state_clear(&before);
	fk_sim_state_clear(&after);
}

/* Save / restore one environment variable. */
struct saved_env {
	const char *name;
	char *value;
};

static void env_save(struct saved_env *s, const char *name)
{
	const char *v = getenv(name);
	s->name = name;
	s->value = v ? strdup(v) : NULL;
}

static void env_restore(struct saved_env *s)
{
	if (s->value) {
		setenv(s->name, s->value, 1);
		free(s->value);
	} else {
		unsetenv(s->name);
	}
}

static void test_dir_resolve_precedence(void **state)
{
	(void)state;
	struct saved_env e[3];
	char buf[512];

	env_save(&e[0], "FUSEKEY_SIM_DIR");
	env_save(&e[1], "XDG_STATE_HOME");
	env_save(&e[2], "HOME");

	setenv("FUSEKEY_SIM_DIR", "/env/sim", 1);
	setenv("XDG_STATE_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	EXPECT_OK(fk_sim_dir_resolve("/explicit", buf, sizeof(buf)));
	assert_string_equal(buf, "/explicit");
	EXPECT_OK(fk_sim_dir_resolve(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/env/sim");
	EXPECT_OK(fk_sim_dir_resolve("", buf, sizeof(buf)));
	assert_string_equal(buf, "/env/sim");

	unsetenv("FUSEKEY_SIM_DIR");
	EXPECT_OK(fk_sim_dir_resolve(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/xdg/fusekey/sim");
	setenv("FUSEKEY_SIM_DIR", "", 1); /* empty counts as unset */
	EXPECT_OK(fk_sim_dir_resolve(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/xdg/fusekey/sim");

	unsetenv("XDG_STATE_HOME");
	EXPECT_OK(fk_sim_dir_resolve(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/home/u/.local/state/fusekey/sim");
	setenv("XDG_STATE_HOME", "relative/xdg", 1); /* XDG spec: relative paths are ignored */
	EXPECT_OK(fk_sim_dir_resolve(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/home/u/.local/state/fusekey/sim");

	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	EXPECT_STATUS(fk_sim_dir_resolve(NULL, buf, sizeof(buf)), FUSEKEY_ERR_NOT_FOUND);
	EXPECT_OK(fk_sim_dir_resolve("/still/explicit", buf, sizeof(buf)));
	assert_string_equal(buf, "/still/explicit");

	/* too small a buffer */
	char small[8];
	EXPECT_STATUS(fk_sim_dir_resolve("/a/long/path", small, sizeof(small)),
		      FUSEKEY_ERR_INVALID_PARAMETER);

	for (int i = 0; i < 3; i++)
		env_restore(&e[i]);
}

/* ---- SVN / TCB rules for sealed blobs (testing.md row 12) ---- */

enum { BLOB = 560 + 16 };
static const uint8_t secret[16] = "0123456789abcdef";

static void seal16(struct fk_platform *p, uint16_t key_policy, uint8_t blob[BLOB])
{
	struct fk_seal_policy pol;
	fk_seal_policy_default(&pol);
	pol.key_policy = key_policy;
	EXPECT_OK(fk_seal(p, &pol, NULL, 0, secret, 16, blob, BLOB));
}

static fusekey_status unseal16(struct fk_platform *p, const uint8_t blob[BLOB])
{
	uint8_t out[32];
	uint32_t out_len = sizeof(out), aad_len = 0;
	memset(out, 0xAA, sizeof(out));
	fusekey_status st = fk_unseal(p, blob, BLOB, out, &out_len, NULL, &aad_len);
	if (st == FUSEKEY_OK) {
		assert_int_equal(out_len, 16);
		assert_memory_equal(out, secret, 16);
	} else {
		assert_true(th_all_zero(out, sizeof(out)));
	}
	return st;
}

static const uint16_t tcb_policies[] = {
	FK_SGX_KEYPOLICY_MRSIGNER,
	FK_SGX_KEYPOLICY_MRENCLAVE,
	FK_SGX_KEYPOLICY_MRENCLAVE | FK_SGX_KEYPOLICY_MRSIGNER,
};

/* Two states of the same platform: sdk-compat constants or one random root. */
static void tcb_state(struct fk_sim_state *st, int secure, enum fk_sim_cpusvn cpusvn,
		      const struct fk_sim_state *random_root)
{
	if (secure) {
		*st = *random_root;
		st->cpusvn = cpusvn;
	} else {
		fk_sim_state_sdk_compat(st, cpusvn);
	}
}

static void test_isvsvn_rules(void **state)
{
	(void)state;
	struct fk_sim_state rnd, st;
	struct fk_sgx_identity n, n1;
	uint8_t blob[BLOB];

	EXPECT_OK(fk_sim_state_random(&rnd, FK_SIM_CPUSVN_DEFAULT));
	enclave_a(&n);
	n.isv_svn = 7;
	n1 = n;
	n1.isv_svn = 8;
	for (int secure = 0; secure < 2; secure++) {
		tcb_state(&st, secure, FK_SIM_CPUSVN_DEFAULT, &rnd);
		struct fk_platform *pn = mk(&st, &n), *pn1 = mk(&st, &n1);
		for (size_t i = 0; i < sizeof(tcb_policies) / sizeof(tcb_policies[0]); i++) {
			/* sealed at n: unseals at n and at n+1 (migration) */
			seal16(pn, tcb_policies[i], blob);
			assert_int_equal(fk_le16(blob + 4), 7); /* request carries the sealer's SVN */
			EXPECT_OK(unseal16(pn, blob));
			EXPECT_OK(unseal16(pn1, blob));
			/* sealed at n+1: refused at n (rollback) */
			seal16(pn1, tcb_policies[i], blob);
			EXPECT_OK(unseal16(pn1, blob));
			EXPECT_STATUS(unseal16(pn, blob), FUSEKEY_ERR_INVALID_ISVSVN);
		}
		/* far apart: sealed at 0xFFFF refused at 0xFFFE; sealed at 0 fine at 0xFFFF */
		struct fk_sgx_identity lo = n, hi = n;
		lo.isv_svn = 0;
		hi.isv_svn = 0xFFFF;
		struct fk_platform *plo = mk(&st, &lo), *phi = mk(&st, &hi);
		seal16(plo, FK_SGX_KEYPOLICY_MRSIGNER, blob);
		EXPECT_OK(unseal16(phi, blob));
		seal16(phi, FK_SGX_KEYPOLICY_MRSIGNER, blob);
		hi.isv_svn = 0xFFFE;
		struct fk_platform *phi2 = mk(&st, &hi);
		EXPECT_STATUS(unseal16(phi2, blob), FUSEKEY_ERR_INVALID_ISVSVN);
		EXPECT_STATUS(unseal16(plo, blob), FUSEKEY_ERR_INVALID_ISVSVN);
		fk_platform_destroy(plo);
		fk_platform_destroy(phi);
		fk_platform_destroy(phi2);
		fk_platform_destroy(pn);
		fk_platform_destroy(pn1);
	}
	fk_sim_state_clear(&rnd);
}

static void test_configsvn_rules(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity n, n1;
	uint8_t blob[BLOB];
	const uint16_t pol = FK_SGX_KEYPOLICY_MRSIGNER | FK_SGX_KEYPOLICY_CONFIGID;

	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	enclave_a(&n);
	n.flags |= FK_SGX_FLAGS_KSS;
	n.config_svn = 3;
	n1 = n;
	n1.config_svn = 4;
	struct fk_platform *pn = mk(&st, &n), *pn1 = mk(&st, &n1);
	seal16(pn, pol, blob);
	assert_int_equal(fk_le16(blob + 76), 3);
	EXPECT_OK(unseal16(pn1, blob));
	seal16(pn1, pol, blob);
	EXPECT_STATUS(unseal16(pn, blob), FUSEKEY_ERR_INVALID_ISVSVN);
	/* CONFIGSVN is checked even when the CONFIGID bit is not in the policy */
	seal16(pn1, FK_SGX_KEYPOLICY_MRSIGNER, blob);
	EXPECT_STATUS(unseal16(pn, blob), FUSEKEY_ERR_INVALID_ISVSVN);
	fk_platform_destroy(pn);
	fk_platform_destroy(pn1);
}

static void test_cpusvn_rules(void **state)
{
	(void)state;
	struct fk_sim_state rnd, sd, su, sdn;
	struct fk_sgx_identity a;
	uint8_t blob[BLOB];

	EXPECT_OK(fk_sim_state_random(&rnd, FK_SIM_CPUSVN_DEFAULT));
	enclave_a(&a);
	for (int secure = 0; secure < 2; secure++) {
		tcb_state(&sd, secure, FK_SIM_CPUSVN_DEFAULT, &rnd);
		tcb_state(&su, secure, FK_SIM_CPUSVN_UPGRADED, &rnd);
		tcb_state(&sdn, secure, FK_SIM_CPUSVN_DOWNGRADED, &rnd);
		struct fk_platform *pd = mk(&sd, &a), *pu = mk(&su, &a), *pdn = mk(&sdn, &a);
		for (size_t i = 0; i < sizeof(tcb_policies) / sizeof(tcb_policies[0]); i++) {
			/* sealed on UPGRADED: refused on DEFAULT and DOWNGRADED */
			seal16(pu, tcb_policies[i], blob);
			assert_memory_equal(blob + 8, fk_sim_cpusvn_values[FK_SIM_CPUSVN_UPGRADED],
					    16);
			EXPECT_OK(unseal16(pu, blob));
			EXPECT_STATUS(unseal16(pd, blob), FUSEKEY_ERR_INVALID_CPUSVN);
			EXPECT_STATUS(unseal16(pdn, blob), FUSEKEY_ERR_INVALID_CPUSVN);
			/* sealed on DEFAULT: unseals on UPGRADED, refused on DOWNGRADED */
			seal16(pd, tcb_policies[i], blob);
			EXPECT_OK(unseal16(pd, blob));
			EXPECT_OK(unseal16(pu, blob));
			EXPECT_STATUS(unseal16(pdn, blob), FUSEKEY_ERR_INVALID_CPUSVN);
			/* sealed on DOWNGRADED: unseals everywhere */
			seal16(pdn, tcb_policies[i], blob);
			EXPECT_OK(unseal16(pdn, blob));
			EXPECT_OK(unseal16(pd, blob));
			EXPECT_OK(unseal16(pu, blob));
		}
		fk_platform_destroy(pd);
		fk_platform_destroy(pu);
		fk_platform_destroy(pdn);
	}
	fk_sim_state_clear(&rnd);
}

static void test_sdk_blob_refused_by_secure_platform(void **state)
{
	(void)state;
	struct fk_sim_state rnd, rnd2;
	struct fk_sgx_identity a;
	uint8_t blob[BLOB];

	EXPECT_OK(fk_sim_state_random(&rnd, FK_SIM_CPUSVN_DEFAULT));
	EXPECT_OK(fk_sim_state_random(&rnd2, FK_SIM_CPUSVN_DEFAULT));
	enclave_a(&a);
	struct fk_platform *psdk = mk_sdk(FK_SIM_CPUSVN_DEFAULT, &a);
	struct fk_platform *psec = mk(&rnd, &a), *psec2 = mk(&rnd2, &a);
	for (size_t i = 0; i < sizeof(tcb_policies) / sizeof(tcb_policies[0]); i++) {
		seal16(psdk, tcb_policies[i], blob);
		EXPECT_OK(unseal16(psdk, blob));
		EXPECT_STATUS(unseal16(psec, blob), FUSEKEY_ERR_MAC_MISMATCH);
		/* and the other way round, and between two secure platforms */
		seal16(psec, tcb_policies[i], blob);
		EXPECT_STATUS(unseal16(psdk, blob), FUSEKEY_ERR_MAC_MISMATCH);
		EXPECT_STATUS(unseal16(psec2, blob), FUSEKEY_ERR_MAC_MISMATCH);
		EXPECT_OK(unseal16(psec, blob));
	}
	fk_platform_destroy(psdk);
	fk_platform_destroy(psec);
	fk_platform_destroy(psec2);
	fk_sim_state_clear(&rnd);
	fk_sim_state_clear(&rnd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdk_compat_constants),
		cmocka_unit_test(test_seal_key_kat),
		cmocka_unit_test(test_report_kat),
		cmocka_unit_test(test_self_target_and_null_inputs),
		cmocka_unit_test(test_secure_random_roots),
		cmocka_unit_test(test_key_names_by_mode),
		cmocka_unit_test(test_names_parse),
		cmocka_unit_test_setup_teardown(test_dir_init_secure, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_init_sdk_compat, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_init_closes_existing_dir, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_refusals, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_set_cpusvn, dir_setup, dir_teardown),
		cmocka_unit_test(test_dir_resolve_precedence),
		cmocka_unit_test(test_isvsvn_rules),
		cmocka_unit_test(test_configsvn_rules),
		cmocka_unit_test(test_cpusvn_rules),
		cmocka_unit_test(test_sdk_blob_refused_by_secure_platform),
	};
	return cmocka_run_group_tests_name("sim", tests, NULL, NULL);
}
