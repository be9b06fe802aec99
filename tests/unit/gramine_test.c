/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the Gramine platform, src/platform/fk_gramine.{h,c} and
 * fk_enclu.c, over the test seam tests/seams/gramine_emu.c (an in-memory
 * /dev/attestation and an emulated EGETKEY over the emulated platform), and
 * over real files in a temporary directory for the production file path
 * (never the real ENCLU: outside an enclave it is #UD, and the real io
 * refuses to open outside Gramine before it could run).
 *
 *  - open: identity, self target and CPUSVN equal the backing enclave's, and
 *    come from a self report that verified (one EGETKEY); a forged self
 *    report, or one of another enclave, is refused; failures release the io
 *    exactly once;
 *  - reports: made for a peer verify on the peer, not on another enclave,
 *    not after tampering; verification runs the (emulated) EGETKEY;
 *  - get_key: the backing's keys and status codes, pre-checks without EGETKEY;
 *  - sealing across "Gramine over emulation" and the bare emulated platform;
 *  - keys/<name>: declared names installed, undeclared -> NOT_FOUND, bad names;
 *    the shared name validator, and the plain-file form never blocking;
 *  - the report sequence under the process-wide lock, from several threads;
 *  - the probe, on the emulator and on real files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery/fk_forms.h"
#include "gramine_emu.h"
#include "platform/fk_enclu.h"
#include "platform/fk_gramine.h"
#include "platform/fk_sim.h"
#include "seal/fk_seal.h"
#include "test_util.h"

/* ---- fixtures ---- */

/* Enclave A (sgx.md §10 shape), a peer B of the same signer, C of another. */
static void id_a(struct fk_sgx_identity *id)
{
	th_identity(id, 0xa1, 0x51);
}
static void id_b(struct fk_sgx_identity *id)
{
	th_identity(id, 0xb2, 0x51);
}
static void id_c(struct fk_sgx_identity *id)
{
	th_identity(id, 0xc3, 0x62);
}

static struct fk_platform *mk_sim(const struct fk_sim_state *st, const struct fk_sgx_identity *id)
{
	struct fk_platform *p = NULL;
	EXPECT_OK(fk_sim_platform_new(st, id, &p));
	assert_non_null(p);
	return p;
}

/* An emulator over a sim platform running `id` on state `st`. */
static struct gramine_emu *mk_emu(const struct fk_sim_state *st, const struct fk_sgx_identity *id)
{
	struct gramine_emu *e = NULL;
	EXPECT_OK(gramine_emu_new(mk_sim(st, id), &e));
	assert_non_null(e);
	return e;
}

/* "Gramine over emulation": the platform over an emulator; *emu stays valid
 * until the platform is destroyed (which frees it). */
static struct fk_platform *mk_gramine(const struct fk_sim_state *st,
				      const struct fk_sgx_identity *id, struct gramine_emu **emu)
{
	struct fk_gramine_io io;
	struct fk_platform *g = NULL;
	struct gramine_emu *e = mk_emu(st, id);

	gramine_emu_io(e, &io);
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g));
	assert_non_null(g);
	if (emu != NULL)
		*emu = e;
	return g;
}

static void random_state(struct fk_sim_state *st)
{
	EXPECT_OK(fk_sim_state_random(st, FK_SIM_CPUSVN_DEFAULT));
}

/* A SEAL request as fk_seal builds it: SDK masks, own CPUSVN / ISVSVN, random KEYID. */
static void seal_request(struct fk_platform *p, uint16_t policy, struct fk_sgx_key_request *req)
{
	struct fk_sgx_identity id;
	struct fk_sgx_key_request_fields f;

	EXPECT_OK(fk_platform_identity(p, &id));
	memset(&f, 0, sizeof(f));
	f.key_name = FK_SGX_KEYNAME_SEAL;
	f.key_policy = policy;
	f.isv_svn = id.isv_svn;
	EXPECT_OK(fk_platform_cpu_svn(p, f.cpu_svn));
	f.attr_mask_flags = FK_SGX_TSEAL_DEFAULT_FLAGSMASK;
	f.attr_mask_xfrm = FK_SGX_TSEAL_DEFAULT_XFRMMASK;
	f.misc_mask = FK_SGX_TSEAL_DEFAULT_MISCMASK;
	EXPECT_OK(fk_random(f.key_id, sizeof(f.key_id)));
	fk_sgx_key_request_encode(&f, req);
}

/* ---- a wrapping io: counts destroy, injects failures ---- */

struct wrap {
	struct fk_gramine_io inner; /* may be all NULL: then every open fails */
	unsigned destroyed;
	const char *fail_open; /* this relative path fails at open with -fail_errno */
	int fail_errno;
	bool force_eax;
	uint32_t eax;
	unsigned egetkey_calls;
	bool read_eintr_forever; /* every read: -EINTR */
	bool short_write;        /* every write reports one byte less than done */
};

static int w_open(void *ctx, const char *path, int flags)
{
	struct wrap *w = ctx;
	if (w->inner.open == NULL)
		return -ENOENT;
	if (w->fail_open != NULL && strcmp(path, w->fail_open) == 0)
		return -w->fail_errno;
	return w->inner.open(w->inner.ctx, path, flags);
}
static ssize_t w_read(void *ctx, int fd, void *buf, size_t len)
{
	struct wrap *w = ctx;
	if (w->read_eintr_forever)
		return -EINTR;
	return w->inner.read(w->inner.ctx, fd, buf, len);
}
static ssize_t w_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct wrap *w = ctx;
	ssize_t r = w->inner.write(w->inner.ctx, fd, buf, len);
	if (w->short_write && r > 0)
		r--; /* reports a short write */
	return r;
}
static void w_close(void *ctx, int fd)
{
	struct wrap *w = ctx;
	w->inner.close(w->inner.ctx, fd);
}
static uint32_t w_egetkey(void *ctx, const struct fk_sgx_key_request *req, uint8_t key[16])
{
	struct wrap *w = ctx;
	w->egetkey_calls++;
	if (w->force_eax) {
		memset(key, 0x5A, 16); /* garbage the platform must not pass on */
		return w->eax;
	}
	return w->inner.egetkey(w->inner.ctx, req, key);
}
static void w_destroy(void *ctx)
{
	struct wrap *w = ctx;
	w->destroyed++;
	if (w->inner.destroy != NULL)
		w->inner.destroy(w->inner.ctx);
}

/* w wraps `inner` (NULL = an io whose every open fails with ENOENT). */
static void wrap_io(struct wrap *w, const struct fk_gramine_io *inner, struct fk_gramine_io *io)
{
	memset(w, 0, sizeof(*w));
	if (inner != NULL)
		w->inner = *inner;
	memset(io, 0, sizeof(*io));
	io->open = w_open;
	io->read = w_read;
	io->write = w_write;
	io->close = w_close;
	io->egetkey = w_egetkey;
	io->destroy = w_destroy;
	io->ctx = w;
	io->emulated = true;
}

/* ---- temporary directories as /dev/attestation ---- */

static void put_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	int fd;
	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static size_t get_file(const char *dir, const char *name, void *data, size_t cap)
{
	char path[512];
	ssize_t r;
	int fd;
	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	r = read(fd, data, cap);
	assert_true(r >= 0);
	assert_int_equal(close(fd), 0);
	return (size_t)r;
}

/*
 * A directory shaped like /dev/attestation for enclave `me` (report files are
 * regular files here, so `report` holds a fixed self report of `reporter`).
 */
static void fake_attestation_dir(const char *dir, const struct fk_sim_state *st,
				 const struct fk_sgx_identity *me,
				 const struct fk_sgx_identity *reporter)
{
	struct fk_platform *pm = mk_sim(st, me), *pr = mk_sim(st, reporter);
	struct fk_sgx_target_info ti;
	struct fk_sgx_report rep;

	EXPECT_OK(fk_platform_self_target(pm, &ti));
	EXPECT_OK(fk_platform_create_report(pr, &ti, NULL, &rep));
	put_file(dir, "my_target_info", &ti, sizeof(ti));
	put_file(dir, "target_info", NULL, 0);
	put_file(dir, "user_report_data", NULL, 0);
	put_file(dir, "report", &rep, sizeof(rep));
	fk_platform_destroy(pm);
	fk_platform_destroy(pr);
}

/* ---- ENCLU ---- */

/* A misaligned request is refused before the instruction (it would #GP): safe
 * to call outside an enclave, and on other architectures the stub refuses. */
static void test_enclu_misaligned_refused(void **state)
{
	(void)state;
	static _Alignas(512) uint8_t buf[2 * FK_SGX_KEY_REQUEST_SIZE];
	_Alignas(16) uint8_t key[16 + 1];

	memset(key, 0xAA, sizeof(key));
	assert_int_equal(fk_enclu_egetkey((const struct fk_sgx_key_request *)(buf + 8), key),
			 0xFFFFFFFFu);
	assert_int_equal(fk_enclu_egetkey((const struct fk_sgx_key_request *)buf, key + 1),
			 0xFFFFFFFFu);
	for (size_t i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], 0xAA); /* nothing written by either refused call */
}

/* ---- open ---- */

static void test_open_identity_equals_backing(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, got;
	struct fk_sgx_target_info ti_g, ti_s;
	uint8_t svn_g[16], svn_s[16];
	struct gramine_emu *e;
	struct fk_platform *g, *s;

	random_state(&st);
	id_a(&a);
	g = mk_gramine(&st, &a, &e);
	s = mk_sim(&st, &a);
	assert_string_equal(g->ops->name, "gramine");
	assert_true(g->emulated);

	EXPECT_OK(fk_platform_identity(g, &got));
	assert_memory_equal(&got, &a, sizeof(a));
	EXPECT_OK(fk_platform_self_target(g, &ti_g));
	EXPECT_OK(fk_platform_self_target(s, &ti_s));
	assert_memory_equal(&ti_g, &ti_s, sizeof(ti_s));
	EXPECT_OK(fk_platform_cpu_svn(g, svn_g));
	EXPECT_OK(fk_platform_cpu_svn(s, svn_s));
	assert_memory_equal(svn_g, svn_s, 16);
	/* Opening verifies its self report: exactly one EGETKEY (the REPORT key). */
	assert_int_equal(gramine_emu_egetkey_calls(e), 1);
	assert_int_equal(gramine_emu_faults(e), 0);

	fk_platform_destroy(g);
	fk_platform_destroy(s);
	fk_sim_state_clear(&st);
}

/* Another platform CPUSVN reaches the identity cache through the report. */
static void test_open_cpusvn_from_report(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	uint8_t svn[16];
	struct fk_platform *g;

	EXPECT_OK(fk_sim_state_random(&st, FK_SIM_CPUSVN_UPGRADED));
	id_a(&a);
	g = mk_gramine(&st, &a, NULL);
	EXPECT_OK(fk_platform_cpu_svn(g, svn));
	assert_memory_equal(svn, fk_sim_cpusvn_values[FK_SIM_CPUSVN_UPGRADED], 16);
	fk_platform_destroy(g);
	fk_sim_state_clear(&st);
}

/* Reads that come in 7-byte pieces, each after an EINTR, still give the platform. */
static void test_open_short_reads(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, got;
	struct fk_gramine_io io;
	struct fk_platform *g = NULL, *b;
	struct fk_sgx_target_info ti_b;
	struct fk_sgx_report rep;
	struct gramine_emu *e;
	struct fk_sgx_identity bid;

	random_state(&st);
	id_a(&a);
	id_b(&bid);
	e = mk_emu(&st, &a);
	gramine_emu_set_short_reads(e, 7);
	gramine_emu_io(e, &io);
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g));
	EXPECT_OK(fk_platform_identity(g, &got));
	assert_memory_equal(&got, &a, sizeof(a));
	b = mk_sim(&st, &bid);
	EXPECT_OK(fk_platform_self_target(b, &ti_b));
	EXPECT_OK(fk_platform_create_report(g, &ti_b, NULL, &rep));
	EXPECT_OK(fk_platform_verify_report(b, &rep));
	fk_platform_destroy(g);
	fk_platform_destroy(b);
	fk_sim_state_clear(&st);
}

/* Every failure path releases the injected io exactly once. */
static void test_open_failures_destroy_once(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_gramine_io io, eio;
	struct fk_platform *g = (struct fk_platform *)&g;
	struct wrap w;
	char longroot[FK_GRAMINE_ROOT_MAX + 2];

	random_state(&st);
	id_a(&a);

	/* Nothing answers: NO_PLATFORM. */
	wrap_io(&w, NULL, &io);
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(g);
	assert_int_equal(w.destroyed, 1);

	/* No out pointer. */
	wrap_io(&w, NULL, &io);
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(w.destroyed, 1);

	/* A root too long, and an empty one. */
	memset(longroot, 'r', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	wrap_io(&w, NULL, &io);
	EXPECT_STATUS(fk_gramine_platform_new(longroot, &io, &g), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(w.destroyed, 1);
	wrap_io(&w, NULL, &io);
	EXPECT_STATUS(fk_gramine_platform_new("", &io, &g), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(w.destroyed, 1);

	/* An incomplete table. */
	wrap_io(&w, NULL, &io);
	io.egetkey = NULL;
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(w.destroyed, 1);

	/* my_target_info answers but the report does not: still no platform. */
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	w.fail_open = "report";
	w.fail_errno = EACCES;
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(g);
	assert_int_equal(w.destroyed, 1);

	/* Same when target_info cannot be written. */
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	w.fail_open = "target_info";
	w.fail_errno = EACCES;
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_NO_PLATFORM);
	assert_int_equal(w.destroyed, 1);

	/* Reads interrupted for ever: bounded, no platform. */
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	w.read_eintr_forever = true;
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_NO_PLATFORM);
	assert_int_equal(w.destroyed, 1);

	/* A short write of target_info (Gramine would zero-pad it): no platform. */
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	w.short_write = true;
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_NO_PLATFORM);
	assert_int_equal(w.destroyed, 1);

	/* Success: destroyed once, by fk_platform_destroy only. */
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g));
	assert_int_equal(w.destroyed, 0);
	fk_platform_destroy(g);
	assert_int_equal(w.destroyed, 1);
	fk_sim_state_clear(&st);
}

/* ---- reports ---- */

static void test_report_for_peer_verifies_on_peer(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, b, c, body_id;
	struct fk_sgx_target_info ti_b, ti_c;
	struct fk_sgx_report rep, bad;
	struct fk_platform *g, *pb, *pc;
	uint8_t rd[64], svn[16];

	random_state(&st);
	id_a(&a);
	id_b(&b);
	id_c(&c);
	g = mk_gramine(&st, &a, NULL);
	pb = mk_sim(&st, &b);
	pc = mk_sim(&st, &c);
	EXPECT_OK(fk_platform_self_target(pb, &ti_b));
	EXPECT_OK(fk_platform_self_target(pc, &ti_c));
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(0x40 + i);

	EXPECT_OK(fk_platform_create_report(g, &ti_b, rd, &rep));
	EXPECT_OK(fk_platform_verify_report(pb, &rep));
	assert_memory_equal(rep.body.report_data, rd, 64);
	fk_sgx_identity_from_report_body(&rep.body, &body_id);
	assert_memory_equal(&body_id, &a, sizeof(a));
	EXPECT_OK(fk_platform_cpu_svn(g, svn));
	assert_memory_equal(rep.body.cpu_svn, svn, 16);

	/* Not for C. */
	EXPECT_STATUS(fk_platform_verify_report(pc, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	/* A report for C does not verify on B. */
	EXPECT_OK(fk_platform_create_report(g, &ti_c, rd, &bad));
	EXPECT_OK(fk_platform_verify_report(pc, &bad));
	EXPECT_STATUS(fk_platform_verify_report(pb, &bad), FUSEKEY_ERR_MAC_MISMATCH);
	/* Tampered body. */
	bad = rep;
	bad.body.isv_svn[0] ^= 1;
	EXPECT_STATUS(fk_platform_verify_report(pb, &bad), FUSEKEY_ERR_MAC_MISMATCH);
	bad = rep;
	bad.body.report_data[63] ^= 0x80;
	EXPECT_STATUS(fk_platform_verify_report(pb, &bad), FUSEKEY_ERR_MAC_MISMATCH);

	fk_platform_destroy(g);
	fk_platform_destroy(pb);
	fk_platform_destroy(pc);
	fk_sim_state_clear(&st);
}

/* NULL target info and report data are written as zeros, not left from the
 * previous report (Gramine would reuse them). */
static void test_report_null_args_are_zeros(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, b;
	struct fk_sgx_target_info ti_b, zero_ti;
	struct fk_sgx_report rep;
	struct fk_platform *g, *pb, *pa;
	uint8_t rd[64];

	random_state(&st);
	id_a(&a);
	id_b(&b);
	g = mk_gramine(&st, &a, NULL);
	pb = mk_sim(&st, &b);
	pa = mk_sim(&st, &a);
	EXPECT_OK(fk_platform_self_target(pb, &ti_b));
	th_fill(rd, 0x77, sizeof(rd));
	EXPECT_OK(fk_platform_create_report(g, &ti_b, rd, &rep));

	EXPECT_OK(fk_platform_create_report(g, NULL, NULL, &rep));
	assert_true(th_all_zero(rep.body.report_data, 64));
	EXPECT_STATUS(fk_platform_verify_report(pb, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	/* It equals the bare platform's report for a zero target. */
	memset(&zero_ti, 0, sizeof(zero_ti));
	{
		struct fk_sgx_report want;
		EXPECT_OK(fk_platform_create_report(pa, &zero_ti, NULL, &want));
		assert_memory_equal(&rep, &want, sizeof(want));
	}
	fk_platform_destroy(g);
	fk_platform_destroy(pb);
	fk_platform_destroy(pa);
	fk_sim_state_clear(&st);
}

static void test_verify_uses_egetkey(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, b;
	struct fk_sgx_target_info ti_a, ti_b;
	struct fk_sgx_report rep, bad;
	struct gramine_emu *e;
	struct fk_platform *g, *pb;
	uint8_t rd[64];
	unsigned calls;

	random_state(&st);
	id_a(&a);
	id_b(&b);
	g = mk_gramine(&st, &a, &e);
	pb = mk_sim(&st, &b);
	EXPECT_OK(fk_platform_self_target(g, &ti_a));
	EXPECT_OK(fk_platform_self_target(pb, &ti_b));
	th_fill(rd, 0x31, sizeof(rd));

	calls = gramine_emu_egetkey_calls(e); /* open's self report */
	EXPECT_OK(fk_platform_create_report(pb, &ti_a, rd, &rep));
	EXPECT_OK(fk_platform_verify_report(g, &rep));
	assert_int_equal(gramine_emu_egetkey_calls(e), calls + 1);

	/* Made for B, not for us. */
	EXPECT_OK(fk_platform_create_report(pb, &ti_b, rd, &bad));
	EXPECT_STATUS(fk_platform_verify_report(g, &bad), FUSEKEY_ERR_MAC_MISMATCH);
	/* Tampered body, MAC, KEYID. */
	bad = rep;
	bad.body.mr_signer[0] ^= 1;
	EXPECT_STATUS(fk_platform_verify_report(g, &bad), FUSEKEY_ERR_MAC_MISMATCH);
	bad = rep;
	bad.mac[15] ^= 1;
	EXPECT_STATUS(fk_platform_verify_report(g, &bad), FUSEKEY_ERR_MAC_MISMATCH);
	bad = rep;
	bad.key_id[0] ^= 1;
	EXPECT_STATUS(fk_platform_verify_report(g, &bad), FUSEKEY_ERR_MAC_MISMATCH);
	assert_int_equal(gramine_emu_egetkey_calls(e), calls + 5);
	/* Our own report for ourselves verifies too. */
	EXPECT_OK(fk_platform_create_report(g, &ti_a, rd, &rep));
	EXPECT_OK(fk_platform_verify_report(g, &rep));
	assert_int_equal(gramine_emu_faults(e), 0);

	fk_platform_destroy(g);
	fk_platform_destroy(pb);
	fk_sim_state_clear(&st);
}

/* An EGETKEY failure during verification is the same MAC_MISMATCH. */
static void test_verify_egetkey_failure(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, b;
	struct fk_sgx_target_info ti_a;
	struct fk_sgx_report rep;
	struct fk_gramine_io io, eio;
	struct fk_platform *g = NULL, *pb;
	struct wrap w;

	random_state(&st);
	id_a(&a);
	id_b(&b);
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g));
	pb = mk_sim(&st, &b);
	EXPECT_OK(fk_platform_self_target(g, &ti_a));
	EXPECT_OK(fk_platform_create_report(pb, &ti_a, NULL, &rep));
	assert_int_equal(w.egetkey_calls, 1); /* open's self report */
	EXPECT_OK(fk_platform_verify_report(g, &rep));
	w.force_eax = true;
	w.eax = 0x100;
	EXPECT_STATUS(fk_platform_verify_report(g, &rep), FUSEKEY_ERR_MAC_MISMATCH);
	assert_int_equal(w.egetkey_calls, 3);
	fk_platform_destroy(g);
	fk_platform_destroy(pb);
	fk_sim_state_clear(&st);
}

/* ---- get_key ---- */

static void test_get_key_equals_backing(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req;
	struct gramine_emu *e;
	struct fk_platform *g, *s;
	uint8_t kg[16], ks[16];
	unsigned calls;
	static const uint16_t policies[] = {FK_SGX_KEYPOLICY_MRSIGNER, FK_SGX_KEYPOLICY_MRENCLAVE,
					    FK_SGX_KEYPOLICY_MRSIGNER | FK_SGX_KEYPOLICY_MRENCLAVE};

	random_state(&st);
	id_a(&a);
	g = mk_gramine(&st, &a, &e);
	s = mk_sim(&st, &a);
	calls = gramine_emu_egetkey_calls(e); /* open's self report */
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		seal_request(g, policies[i], &req);
		th_fill(kg, 0xAA, 16);
		EXPECT_OK(fk_platform_get_key(g, &req, kg));
		EXPECT_OK(fk_platform_get_key(s, &req, ks));
		assert_memory_equal(kg, ks, 16);
		assert_false(th_all_zero(kg, 16));
		assert_int_equal(gramine_emu_egetkey_calls(e), calls + i + 1);
	}
	/* The REPORT key, too. */
	memset(&req, 0, sizeof(req));
	fk_put_le16(req.key_name, FK_SGX_KEYNAME_REPORT);
	th_fill(req.key_id, 0x12, sizeof(req.key_id));
	EXPECT_OK(fk_platform_get_key(g, &req, kg));
	EXPECT_OK(fk_platform_get_key(s, &req, ks));
	assert_memory_equal(kg, ks, 16);
	assert_int_equal(gramine_emu_faults(e), 0);
	fk_platform_destroy(g);
	fk_platform_destroy(s);
	fk_sim_state_clear(&st);
}

static void test_get_key_status_codes(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req, base;
	struct gramine_emu *e;
	struct fk_platform *g;
	uint8_t key[16];
	unsigned calls;

	random_state(&st); /* platform CPUSVN DEFAULT */
	id_a(&a);
	g = mk_gramine(&st, &a, &e);
	seal_request(g, FK_SGX_KEYPOLICY_MRSIGNER, &base);
	calls = gramine_emu_egetkey_calls(e); /* open's self report */

	/* CPUSVN beyond the platform's. */
	req = base;
	memcpy(req.cpu_svn, fk_sim_cpusvn_values[FK_SIM_CPUSVN_UPGRADED], 16);
	th_fill(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_CPUSVN);
	assert_true(th_all_zero(key, 16));
	/* ISVSVN beyond the enclave's. */
	req = base;
	fk_put_le16(req.isv_svn, (uint16_t)(a.isv_svn + 1));
	th_fill(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_ISVSVN);
	assert_true(th_all_zero(key, 16));
	/* Unknown key name. */
	req = base;
	fk_put_le16(req.key_name, 9);
	th_fill(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_KEYNAME);
	assert_true(th_all_zero(key, 16));
	assert_int_equal(gramine_emu_egetkey_calls(e), calls + 3);
	calls = gramine_emu_egetkey_calls(e);

	/* Pre-checks: refused before the instruction (which would #GP). */
	req = base;
	req.reserved2[100] = 1;
	th_fill(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(key, 16));
	for (int k = 0; k < 4; k++) {
		req = base;
		if (k == 0)
			req.reserved1[0] = 1;
		else if (k == 1)
			fk_put_le16(req.key_policy, FK_SGX_KEYPOLICY_MRSIGNER | 0x0040);
		else if (k == 2) /* KSS policy in a non-KSS enclave */
			fk_put_le16(req.key_policy,
				    FK_SGX_KEYPOLICY_MRSIGNER | FK_SGX_KEYPOLICY_ISVFAMILYID);
		else /* CONFIGSVN in a non-KSS enclave */
			fk_put_le16(req.config_svn, 1);
		th_fill(key, 0xAA, 16);
		EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_PARAMETER);
		assert_true(th_all_zero(key, 16));
	}
	assert_int_equal(gramine_emu_egetkey_calls(e), calls);
	assert_int_equal(gramine_emu_faults(e), 0);

	fk_platform_destroy(g);
	fk_sim_state_clear(&st);
}

/* INVALID_ATTRIBUTE (EAX 2): a PROVISION key without the attribute (sdk-compat). */
static void test_get_key_invalid_attribute(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req;
	struct fk_platform *g;
	uint8_t key[16];

	fk_sim_state_sdk_compat(&st, FK_SIM_CPUSVN_DEFAULT);
	id_a(&a);
	g = mk_gramine(&st, &a, NULL);
	seal_request(g, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	fk_put_le16(req.key_name, FK_SGX_KEYNAME_PROVISION);
	th_fill(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_ATTRIBUTE);
	assert_true(th_all_zero(key, 16));
	fk_platform_destroy(g);
}

/* A status the SDK does not know is UNEXPECTED, and whatever the instruction
 * left in the output never reaches the caller. */
static void test_get_key_unknown_status(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_sgx_key_request req;
	struct fk_gramine_io io, eio;
	struct fk_platform *g = NULL;
	struct wrap w;
	uint8_t key[16];

	random_state(&st);
	id_a(&a);
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g));
	seal_request(g, FK_SGX_KEYPOLICY_MRSIGNER, &req);
	w.force_eax = true;
	w.eax = 0x8;
	th_fill(key, 0xAA, 16);
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_UNEXPECTED);
	assert_true(th_all_zero(key, 16));
	w.eax = 0x40;
	EXPECT_STATUS(fk_platform_get_key(g, &req, key), FUSEKEY_ERR_INVALID_ISVSVN);
	assert_true(th_all_zero(key, 16));
	fk_platform_destroy(g);
	fk_sim_state_clear(&st);
}

/* ---- sealing across Gramine-over-emulation and the bare platform ---- */

static void test_seal_cross_platform(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, c;
	struct fk_seal_policy pol;
	struct fk_platform *g, *s, *pc;
	static const uint8_t txt[] = "the fuse key of container web";
	static const uint8_t aad[] = "web";
	uint8_t blob[700], out[64], outaad[16];
	uint32_t size = 0, tl, al;

	random_state(&st);
	id_a(&a);
	id_c(&c);
	g = mk_gramine(&st, &a, NULL);
	s = mk_sim(&st, &a);
	pc = mk_sim(&st, &c);
	assert_true(fk_seal_size(sizeof(aad), sizeof(txt), &size));
	assert_true(size <= sizeof(blob));

	for (int pass = 0; pass < 2; pass++) {
		fk_seal_policy_default(&pol);
		if (pass == 1)
			pol.key_policy = FK_SGX_KEYPOLICY_MRENCLAVE;
		/* Gramine seals, the bare platform unseals. */
		EXPECT_OK(fk_seal(g, &pol, aad, sizeof(aad), txt, sizeof(txt), blob, size));
		tl = sizeof(out);
		al = sizeof(outaad);
		EXPECT_OK(fk_unseal(s, blob, size, out, &tl, outaad, &al));
		assert_int_equal(tl, sizeof(txt));
		assert_memory_equal(out, txt, sizeof(txt));
		assert_memory_equal(outaad, aad, sizeof(aad));
		/* Another signer cannot. */
		tl = sizeof(out);
		al = sizeof(outaad);
		EXPECT_STATUS(fk_unseal(pc, blob, size, out, &tl, outaad, &al),
			      FUSEKEY_ERR_MAC_MISMATCH);
		/* The bare platform seals, Gramine unseals. */
		EXPECT_OK(fk_seal(s, &pol, aad, sizeof(aad), txt, sizeof(txt), blob, size));
		tl = sizeof(out);
		al = sizeof(outaad);
		memset(out, 0, sizeof(out));
		EXPECT_OK(fk_unseal(g, blob, size, out, &tl, outaad, &al));
		assert_memory_equal(out, txt, sizeof(txt));
	}
	fk_platform_destroy(g);
	fk_platform_destroy(s);
	fk_platform_destroy(pc);
	fk_sim_state_clear(&st);
}

/* ---- keys/<name> ---- */

static void test_install_key(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct gramine_emu *e;
	struct fk_platform *g, *s;
	uint8_t key[16], got[16];
	char n64[65], n65[66];

	random_state(&st);
	id_a(&a);
	g = mk_gramine(&st, &a, &e);
	s = mk_sim(&st, &a);
	EXPECT_OK(fk_random(key, sizeof(key)));
	memset(n64, 'k', 64);
	n64[64] = '\0';
	memset(n65, 'k', 65);
	n65[65] = '\0';
	EXPECT_OK(gramine_emu_declare_key(e, "fuse"));
	EXPECT_OK(gramine_emu_declare_key(e, n64));
	EXPECT_OK(gramine_emu_declare_key(e, "_sgx_mrenclave"));

	EXPECT_OK(fk_gramine_install_key(g, "fuse", key));
	assert_true(gramine_emu_installed_key(e, "fuse", got));
	assert_memory_equal(got, key, 16);
	EXPECT_OK(fk_gramine_install_key(g, n64, key));
	assert_true(gramine_emu_installed_key(e, n64, got));
	/* A valid name passes validation and reaches the key store, which refuses it. */
	EXPECT_STATUS(fk_gramine_install_key(g, "a.B-9_z", key), FUSEKEY_ERR_NOT_FOUND);

	/* Not declared in the manifest. */
	EXPECT_STATUS(fk_gramine_install_key(g, "other", key), FUSEKEY_ERR_NOT_FOUND);
	assert_false(gramine_emu_installed_key(e, "other", got));

	/* Names we never write. */
	EXPECT_STATUS(fk_gramine_install_key(g, "", key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, "_sgx_mrenclave", key),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_false(gramine_emu_installed_key(e, "_sgx_mrenclave", got));
	EXPECT_STATUS(fk_gramine_install_key(g, "../x", key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, "a/b", key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, ".fuse", key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, "fu se", key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, n65, key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, NULL, key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(g, "fuse", NULL), FUSEKEY_ERR_INVALID_PARAMETER);
	/* Only a Gramine platform has a key store. */
	EXPECT_STATUS(fk_gramine_install_key(s, "fuse", key), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_gramine_install_key(NULL, "fuse", key), FUSEKEY_ERR_INVALID_PARAMETER);

	fk_platform_destroy(g);
	fk_platform_destroy(s);
	fk_sim_state_clear(&st);
}

/* Write errors: a refusal is "declare the name", anything else is IO. */
static void test_install_key_errno_mapping(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_gramine_io io, eio;
	struct fk_platform *g = NULL;
	struct gramine_emu *e;
	struct wrap w;
	uint8_t key[16];
	static const struct {
		int err;
		fusekey_status want;
	} cases[] = {
		{EACCES, FUSEKEY_ERR_NOT_FOUND},
		{EPERM, FUSEKEY_ERR_NOT_FOUND},
		{ENOENT, FUSEKEY_ERR_NOT_FOUND},
		{EIO, FUSEKEY_ERR_IO},
		{ENOMEM, FUSEKEY_ERR_IO},
	};

	random_state(&st);
	id_a(&a);
	e = mk_emu(&st, &a);
	EXPECT_OK(gramine_emu_declare_key(e, "fuse"));
	gramine_emu_io(e, &eio);
	wrap_io(&w, &eio, &io);
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g));
	th_fill(key, 0x11, sizeof(key));
	w.fail_open = "keys/fuse";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w.fail_errno = cases[i].err;
		EXPECT_STATUS(fk_gramine_install_key(g, "fuse", key), cases[i].want);
	}
	w.fail_open = NULL;
	/* A short write of the key is an IO error, not "declare the name". */
	w.short_write = true;
	EXPECT_STATUS(fk_gramine_install_key(g, "fuse", key), FUSEKEY_ERR_IO);
	w.short_write = false;
	EXPECT_OK(fk_gramine_install_key(g, "fuse", key));
	{
		uint8_t got[16];
		assert_true(gramine_emu_installed_key(e, "fuse", got));
		assert_memory_equal(got, key, 16);
	}
	/* create_report after a short write fails, with the report zeroed. */
	{
		struct fk_sgx_report rep;
		w.short_write = true;
		th_fill(&rep, 0xAA, sizeof(rep));
		EXPECT_STATUS(fk_platform_create_report(g, NULL, NULL, &rep), FUSEKEY_ERR_IO);
		assert_true(th_all_zero(&rep, sizeof(rep)));
		w.short_write = false;
	}
	fk_platform_destroy(g);
	fk_sim_state_clear(&st);
}

/* ---- probe ---- */

static void test_probe_emulated(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_gramine_io io, wio;
	struct gramine_emu *e;
	struct wrap w;
	char why[256];

	random_state(&st);
	id_a(&a);
	e = mk_emu(&st, &a);
	gramine_emu_io(e, &io);
	why[0] = '\0';
	assert_true(fk_gramine_probe(NULL, &io, why, sizeof(why)));
	assert_non_null(strstr(why, "answered with 512 bytes (not verified until opened)"));
	assert_non_null(strstr(why, "/dev/attestation/my_target_info"));
	/* The probe borrows the io: still usable, not destroyed. */
	wrap_io(&w, &io, &wio);
	assert_true(fk_gramine_probe(NULL, &wio, NULL, 0));
	assert_int_equal(w.destroyed, 0);
	/* An io that answers nothing. */
	wrap_io(&w, NULL, &wio);
	assert_false(fk_gramine_probe(NULL, &wio, why, sizeof(why)));
	assert_non_null(strstr(why, "no such file"));
	assert_int_equal(w.destroyed, 0);
	gramine_emu_free(e);
	fk_sim_state_clear(&st);
}

static void test_probe_real_files(void **state)
{
	(void)state;
	char dir[256], why[512], path[300];
	uint8_t ti[600];

	th_tmpdir(dir, sizeof(dir));
	th_fill(ti, 0x42, sizeof(ti));

	/* Empty directory: no my_target_info. */
	why[0] = '\0';
	assert_false(fk_gramine_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "no such file"));
	assert_non_null(strstr(why, dir));

	/* 100 bytes: not Gramine's. */
	put_file(dir, "my_target_info", ti, 100);
	assert_false(fk_gramine_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "read 100 bytes"));

	/* 600 bytes: neither. */
	put_file(dir, "my_target_info", ti, 600);
	assert_false(fk_gramine_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "more than 512"));

	/* Exactly 512: the production file path answers. */
	put_file(dir, "my_target_info", ti, 512);
	assert_true(fk_gramine_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "answered"));
	assert_true(fk_gramine_probe(dir, NULL, NULL, 0));

	/* A FIFO or a directory in its place is refused, without blocking. */
	assert_true((size_t)snprintf(path, sizeof(path), "%s/my_target_info", dir) < sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_false(fk_gramine_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_false(fk_gramine_probe(dir, NULL, why, sizeof(why)));

	/* Bad roots. */
	assert_false(fk_gramine_probe("", NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "root"));
	assert_int_equal(th_rmtree(dir), 0);
}

/* ---- open over real files (the production path, minus ENCLU) ---- */

static void skip_inside_gramine(void)
{
	/* Inside Gramine the real io would go on to the instruction: these tests
	 * are about a host without it. */
	if (access(FK_GRAMINE_ROOT, F_OK) == 0)
		skip();
}

/*
 * A complete, plausible /dev/attestation made of plain files: the probe (a
 * file check) answers, but opening it with the real io is refused because the
 * real /dev/attestation is not there: not inside Gramine, so ENCLU would be
 * #UD (SIGILL). Nothing is written and no instruction runs (this test
 * process would die).
 */
static void test_open_real_files(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_platform *g = (struct fk_platform *)&g;
	char dir[256], why[512], path[300];
	uint8_t buf[600];

	skip_inside_gramine();
	random_state(&st);
	id_a(&a);
	th_tmpdir(dir, sizeof(dir));
	fake_attestation_dir(dir, &st, &a, &a);

	why[0] = '\0';
	assert_true(fk_gramine_probe(dir, NULL, why, sizeof(why)));
	assert_non_null(strstr(why, "answered with 512 bytes (not verified until opened)"));

	th_fill(why, 'x', sizeof(why));
	EXPECT_STATUS(fk_gramine_platform_open(dir, NULL, &g, why, sizeof(why)),
		      FUSEKEY_ERR_NO_PLATFORM);
	assert_null(g);
	assert_string_equal(why, "not inside Gramine: /dev/attestation is missing");
	g = (struct fk_platform *)&g;
	EXPECT_STATUS(fk_gramine_platform_new(dir, NULL, &g), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(g);
	/* The report sequence never started. */
	assert_int_equal(get_file(dir, "target_info", buf, sizeof(buf)), 0);
	assert_int_equal(get_file(dir, "user_report_data", buf, sizeof(buf)), 0);
	/* Whatever the root: missing, a 100-byte my_target_info, the default. */
	assert_true((size_t)snprintf(path, sizeof(path), "%s/none", dir) < sizeof(path));
	EXPECT_STATUS(fk_gramine_platform_open(path, NULL, &g, why, sizeof(why)),
		      FUSEKEY_ERR_NO_PLATFORM);
	assert_string_equal(why, "not inside Gramine: /dev/attestation is missing");
	th_fill(buf, 0x42, sizeof(buf));
	put_file(dir, "my_target_info", buf, 100);
	EXPECT_STATUS(fk_gramine_platform_open(dir, NULL, &g, why, sizeof(why)),
		      FUSEKEY_ERR_NO_PLATFORM);
	assert_string_equal(why, "not inside Gramine: /dev/attestation is missing");
	EXPECT_STATUS(fk_gramine_platform_open(NULL, NULL, &g, why, sizeof(why)),
		      FUSEKEY_ERR_NO_PLATFORM);
	assert_string_equal(why, "not inside Gramine: /dev/attestation is missing");
	assert_null(g);
	/* A bad root is a parameter error, said as such. */
	EXPECT_STATUS(fk_gramine_platform_open("", NULL, &g, why, sizeof(why)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_non_null(strstr(why, "root"));
	assert_int_equal(th_rmtree(dir), 0);
	fk_sim_state_clear(&st);
}

/* ---- open: the self report must verify and describe my_target_info's enclave ---- */

/* Files that hand out forged reports (a MAC no EGETKEY vouches for). */
static void test_open_forged_self_report(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_gramine_io io, eio;
	struct fk_platform *g = (struct fk_platform *)&g;
	struct gramine_emu *e;
	struct wrap w;
	char why[512];

	random_state(&st);
	id_a(&a);
	e = mk_emu(&st, &a);
	gramine_emu_tamper_reports(e, true);
	gramine_emu_io(e, &eio);
	wrap_io(&w, &eio, &io);
	EXPECT_STATUS(fk_gramine_platform_open(NULL, &io, &g, why, sizeof(why)),
		      FUSEKEY_ERR_MAC_MISMATCH);
	assert_null(g);
	assert_int_equal(w.egetkey_calls, 1); /* verified, and refused */
	assert_int_equal(w.destroyed, 1);
	assert_non_null(strstr(why, "the self report does not verify"));

	/* An EGETKEY that fails is no verification either. */
	gramine_emu_io(mk_emu(&st, &a), &eio);
	wrap_io(&w, &eio, &io);
	w.force_eax = true;
	w.eax = 0x100;
	EXPECT_STATUS(fk_gramine_platform_new(NULL, &io, &g), FUSEKEY_ERR_MAC_MISMATCH);
	assert_null(g);
	assert_int_equal(w.destroyed, 1);

	/* The same emulator with genuine reports opens (the refusals were real),
	 * and a successful open leaves why empty. */
	e = mk_emu(&st, &a);
	gramine_emu_tamper_reports(e, true);
	gramine_emu_tamper_reports(e, false);
	gramine_emu_io(e, &eio);
	th_fill(why, 'x', sizeof(why));
	EXPECT_OK(fk_gramine_platform_open(NULL, &eio, &g, why, sizeof(why)));
	assert_string_equal(why, "");
	fk_platform_destroy(g);
	fk_sim_state_clear(&st);
}

/*
 * Genuine reports, but of another enclave than my_target_info names: each
 * field a target info carries is compared (MRENCLAVE, ATTRIBUTES, CONFIGSVN,
 * MISCSELECT, CONFIGID). The reporter's report is made for our target, so its
 * MAC verifies: only the comparison refuses it.
 */
static void test_open_self_report_of_another_enclave(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, other;
	struct fk_gramine_io eio;
	struct fk_platform *g = NULL;
	struct gramine_emu *e;
	char why[512];
	static const char *const fields[] = {"MRENCLAVE", "ATTRIBUTES", "ATTRIBUTES",
					     "CONFIGSVN", "MISCSELECT", "CONFIGID"};

	random_state(&st);
	id_a(&a);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		other = a;
		switch (i) {
		case 0:
			id_b(&other); /* same signer, other code */
			break;
		case 1:
			other.xfrm ^= 0x4;
			break;
		case 2:
			other.flags &= ~(uint64_t)FK_SGX_FLAGS_DEBUG;
			break;
		case 3:
			other.config_svn = 7;
			break;
		case 4:
			other.misc_select ^= 1u;
			break;
		default:
			other.config_id[63] ^= 0x80;
			break;
		}
		e = mk_emu(&st, &a);
		gramine_emu_set_reporter(e, mk_sim(&st, &other));
		gramine_emu_io(e, &eio);
		why[0] = '\0';
		g = (struct fk_platform *)&g;
		EXPECT_STATUS(fk_gramine_platform_open(NULL, &eio, &g, why, sizeof(why)),
			      FUSEKEY_ERR_UNEXPECTED);
		assert_null(g);
		assert_non_null(strstr(why, "describe different enclaves"));
		if (strstr(why, fields[i]) == NULL)
			fail_msg("case %zu: want %s in '%s'", i, fields[i], why);
	}
	/* An enclave not initialised (both files agree) is no running enclave. */
	other = a;
	other.flags &= ~(uint64_t)FK_SGX_FLAGS_INITTED;
	e = mk_emu(&st, &other);
	gramine_emu_io(e, &eio);
	EXPECT_STATUS(fk_gramine_platform_open(NULL, &eio, &g, why, sizeof(why)),
		      FUSEKEY_ERR_UNEXPECTED);
	assert_non_null(strstr(why, "INIT"));
	fk_sim_state_clear(&st);
}

/* After open: a report of another enclave is never handed out. */
static void test_report_of_another_enclave_refused(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, b, a_xfrm;
	struct fk_sgx_target_info ti_b;
	struct fk_sgx_report rep;
	struct fk_platform *g, *pb;
	struct gramine_emu *e;
	uint8_t rd[64];

	random_state(&st);
	id_a(&a);
	id_b(&b);
	a_xfrm = a;
	a_xfrm.xfrm ^= 0x4;
	g = mk_gramine(&st, &a, &e);
	pb = mk_sim(&st, &b);
	EXPECT_OK(fk_platform_self_target(pb, &ti_b));
	th_fill(rd, 0x5c, sizeof(rd));
	EXPECT_OK(fk_platform_create_report(g, &ti_b, rd, &rep));

	gramine_emu_set_reporter(e, mk_sim(&st, &b));
	th_fill(&rep, 0xAA, sizeof(rep));
	EXPECT_STATUS(fk_platform_create_report(g, &ti_b, rd, &rep), FUSEKEY_ERR_UNEXPECTED);
	assert_true(th_all_zero(&rep, sizeof(rep)));
	gramine_emu_set_reporter(e, mk_sim(&st, &a_xfrm));
	th_fill(&rep, 0xAA, sizeof(rep));
	EXPECT_STATUS(fk_platform_create_report(g, &ti_b, rd, &rep), FUSEKEY_ERR_UNEXPECTED);
	assert_true(th_all_zero(&rep, sizeof(rep)));
	/* Our own enclave again: fine. */
	gramine_emu_set_reporter(e, NULL);
	EXPECT_OK(fk_platform_create_report(g, &ti_b, rd, &rep));
	EXPECT_OK(fk_platform_verify_report(pb, &rep));
	fk_platform_destroy(g);
	fk_platform_destroy(pb);
	fk_sim_state_clear(&st);
}

/* ---- the report lock ---- */

enum { LOCK_THREADS = 4, LOCK_ROUNDS = 1000 };

struct report_thread {
	struct fk_platform *g;
	struct fk_sgx_target_info ti;
	uint8_t tag;
	unsigned failures;
};

static void *report_loop(void *arg)
{
	struct report_thread *t = arg;
	struct fk_sgx_report rep;
	uint8_t rd[64];

	for (unsigned i = 0; i < LOCK_ROUNDS; i++) {
		memset(rd, t->tag, sizeof(rd));
		memcpy(rd, &i, sizeof(i));
		if (fk_platform_create_report(t->g, &t->ti, rd, &rep) != FUSEKEY_OK ||
		    memcmp(rep.body.report_data, rd, sizeof(rd)) != 0)
			t->failures++;
	}
	return NULL;
}

/*
 * Two platforms over one (process-wide) set of pseudo-files, four threads
 * taking reports with their own report data: every sequence runs whole under
 * the lock, so none comes back with another thread's data or fails.
 */
static void test_report_lock_threads(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a, b;
	struct fk_gramine_io io;
	struct fk_platform *g[2] = {NULL, NULL}, *pb;
	struct gramine_emu *e;
	struct report_thread t[LOCK_THREADS];
	pthread_t tid[LOCK_THREADS];
	struct fk_sgx_target_info ti_b;

	random_state(&st);
	id_a(&a);
	id_b(&b);
	e = mk_emu(&st, &a);
	gramine_emu_io(e, &io);
	io.destroy = NULL; /* shared: freed below */
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g[0]));
	EXPECT_OK(fk_gramine_platform_new(NULL, &io, &g[1]));
	pb = mk_sim(&st, &b);
	EXPECT_OK(fk_platform_self_target(pb, &ti_b));
	for (int i = 0; i < LOCK_THREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].g = g[i % 2];
		t[i].ti = ti_b;
		t[i].tag = (uint8_t)(0x10 + i);
		assert_int_equal(pthread_create(&tid[i], NULL, report_loop, &t[i]), 0);
	}
	for (int i = 0; i < LOCK_THREADS; i++) {
		assert_int_equal(pthread_join(tid[i], NULL), 0);
		assert_int_equal(t[i].failures, 0);
	}
	fk_platform_destroy(g[0]);
	fk_platform_destroy(g[1]);
	fk_platform_destroy(pb);
	gramine_emu_free(e);
	fk_sim_state_clear(&st);
}

/* ---- key names, and the plain-file form of keys/<name> ---- */

/* One validator for the platform's install and the plain-file form. */
static void test_key_name_validator_shared(void **state)
{
	(void)state;
	struct fk_sim_state st;
	struct fk_sgx_identity a;
	struct fk_platform *g;
	struct gramine_emu *e;
	char dir[256], n64[65], n65[66];
	uint8_t key[16];
	static const char *const bad[] = {"",  ".", "..", "../x", ".fuse", "_sgx_mrenclave",
					  "_x", "a/b", "/x", "fu se", "fuse\n", "f\xc3\xa9"};
	static const char *const good[] = {"fuse", "default", "Key-1.v2_x", "a.B-9_z", "9"};

	memset(n64, 'k', 64);
	n64[64] = '\0';
	memset(n65, 'k', 65);
	n65[65] = '\0';
	assert_true(fk_gramine_key_name_ok(n64));
	assert_false(fk_gramine_key_name_ok(n65));
	assert_false(fk_gramine_key_name_ok(NULL));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(fk_gramine_key_name_ok(good[i]));

	random_state(&st);
	id_a(&a);
	g = mk_gramine(&st, &a, &e);
	th_tmpdir(dir, sizeof(dir));
	th_fill(key, 0x21, sizeof(key));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fk_gramine_key_name_ok(bad[i]))
			fail_msg("validator accepted bad name #%zu", i);
		EXPECT_STATUS(fk_gramine_install_key(g, bad[i], key),
			      FUSEKEY_ERR_INVALID_PARAMETER);
		EXPECT_STATUS(fk_form_gramine_install(dir, bad[i], key, sizeof(key)),
			      FUSEKEY_ERR_INVALID_PARAMETER);
	}
	fk_platform_destroy(g);
	assert_int_equal(th_rmtree(dir), 0);
	fk_sim_state_clear(&st);
}

/* The plain-file form writes regular files only, and never blocks on a FIFO. */
static void test_form_install_fifo(void **state)
{
	(void)state;
	char dir[256], keys[300], path[400];
	uint8_t key[16], got[32];

	th_tmpdir(dir, sizeof(dir));
	th_fill(key, 0x3d, sizeof(key));
	assert_true((size_t)snprintf(keys, sizeof(keys), "%s/keys", dir) < sizeof(keys));
	assert_int_equal(mkdir(keys, 0700), 0);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/fuse", keys) < sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10); /* a blocking open would hang: SIGALRM ends the test as a failure */
	EXPECT_STATUS(fk_form_gramine_install(dir, "fuse", key, sizeof(key)), FUSEKEY_ERR_IO);
	alarm(0);
	/* With a reader at the other end the open succeeds: the file type refuses
	 * it, and nothing reaches the reader. */
	{
		int rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		assert_true(rfd >= 0);
		EXPECT_STATUS(fk_form_gramine_install(dir, "fuse", key, sizeof(key)),
			      FUSEKEY_ERR_IO);
		assert_int_equal(read(rfd, got, sizeof(got)), 0); /* EOF: no writer, no data */
		assert_int_equal(close(rfd), 0);
	}
	assert_int_equal(unlink(path), 0);
	/* A regular file in its place takes the key. */
	put_file(keys, "fuse", NULL, 0);
	EXPECT_OK(fk_form_gramine_install(dir, "fuse", key, sizeof(key)));
	assert_int_equal(get_file(keys, "fuse", got, sizeof(got)), 16);
	assert_memory_equal(got, key, 16);
	assert_int_equal(th_rmtree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enclu_misaligned_refused),
		cmocka_unit_test(test_open_identity_equals_backing),
		cmocka_unit_test(test_open_cpusvn_from_report),
		cmocka_unit_test(test_open_short_reads),
		cmocka_unit_test(test_open_failures_destroy_once),
		cmocka_unit_test(test_report_for_peer_verifies_on_peer),
		cmocka_unit_test(test_report_null_args_are_zeros),
		cmocka_unit_test(test_verify_uses_egetkey),
		cmocka_unit_test(test_verify_egetkey_failure),
		cmocka_unit_test(test_get_key_equals_backing),
		cmocka_unit_test(test_get_key_status_codes),
		cmocka_unit_test(test_get_key_invalid_attribute),
		cmocka_unit_test(test_get_key_unknown_status),
		cmocka_unit_test(test_seal_cross_platform),
		cmocka_unit_test(test_install_key),
		cmocka_unit_test(test_install_key_errno_mapping),
		cmocka_unit_test(test_probe_emulated),
		cmocka_unit_test(test_probe_real_files),
		cmocka_unit_test(test_open_real_files),
		cmocka_unit_test(test_open_forged_self_report),
		cmocka_unit_test(test_open_self_report_of_another_enclave),
		cmocka_unit_test(test_report_of_another_enclave_refused),
		cmocka_unit_test(test_report_lock_threads),
		cmocka_unit_test(test_key_name_validator_shared),
		cmocka_unit_test(test_form_install_fifo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
