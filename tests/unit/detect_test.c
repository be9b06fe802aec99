/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform selection and auto-detection (fk_detect, issue 6): the order
 * (Gramine, then Occlum, never the emulated platform), one "why" line per
 * candidate tried, explicit names, fake roots on the file system, the
 * backends opened over the test emulators, and the public API around it
 * (fusekey_platform_detect, fusekey_ctx_open, fusekey_gramine_install_key).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

#include "delivery/fk_api.h"
#include "gramine_emu.h"
#include "occlum_emu.h"
#include "platform/fk_detect.h"
#include "platform/fk_sim.h"

struct fixture {
	char dir[256];
	/* a fake /dev/attestation, complete: my_target_info, target_info,
	 * user_report_data and a genuine self report of the fixture's enclave */
	char gramine[320];
	char short_g[320];  /* my_target_info of 100 bytes */
	char nothing[320];  /* does not exist */
	char sgx_file[320]; /* a regular file in place of /dev/sgx */
	struct fk_sim_state st;
	struct fk_sgx_identity id;
};

static void write_file(const char *path, size_t n)
{
	uint8_t buf[512];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_true(n <= sizeof(buf));
	th_fill(buf, 0x5a, sizeof(buf));
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static void put(const char *dir, const char *name, const void *data, size_t n)
{
	char p[400];
	int fd;

	assert_true((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) < sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	if (n > 0)
		assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

/* Everything Gramine's /dev/attestation has for `id`, as plain files. */
static void fake_gramine_dir(const char *dir, const struct fk_sim_state *st,
			     const struct fk_sgx_identity *id)
{
	struct fk_platform *p = NULL;
	struct fk_sgx_target_info ti;
	struct fk_sgx_report rep;

	EXPECT_OK(fk_sim_platform_new(st, id, &p));
	EXPECT_OK(fk_platform_self_target(p, &ti));
	EXPECT_OK(fk_platform_create_report(p, &ti, NULL, &rep));
	put(dir, "my_target_info", &ti, sizeof(ti));
	put(dir, "target_info", NULL, 0);
	put(dir, "user_report_data", NULL, 0);
	put(dir, "report", &rep, sizeof(rep));
	put(dir, "attestation_type", "none", 4);
	fk_platform_destroy(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char p[400];

	assert_non_null(f);
	th_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->gramine, sizeof(f->gramine), "%s/gramine", f->dir);
	snprintf(f->short_g, sizeof(f->short_g), "%s/short", f->dir);
	snprintf(f->nothing, sizeof(f->nothing), "%s/nothing", f->dir);
	snprintf(f->sgx_file, sizeof(f->sgx_file), "%s/sgx", f->dir);
	assert_int_equal(mkdir(f->gramine, 0700), 0);
	assert_int_equal(mkdir(f->short_g, 0700), 0);
	snprintf(p, sizeof(p), "%s/my_target_info", f->short_g);
	write_file(p, 100);
	write_file(f->sgx_file, 0);
	EXPECT_OK(fk_sim_state_random(&f->st, FK_SIM_CPUSVN_DEFAULT));
	th_identity(&f->id, 0xa1, 0xb2);
	fake_gramine_dir(f->gramine, &f->st, &f->id);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fk_sim_state_clear(&f->st);
	th_rmtree(f->dir);
	free(f);
	return 0;
}

static size_t lines_of(const char *s)
{
	size_t n = s[0] != '\0';
	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Line i (0-based) of why into buf. */
static void line_of(const char *why, size_t i, char *buf, size_t len)
{
	const char *s = why;
	for (; i > 0 && s != NULL; i--) {
		s = strchr(s, '\n');
		if (s != NULL)
			s++;
	}
	assert_non_null(s);
	const char *nl = strchr(s, '\n');
	size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
	assert_true(n < len);
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static void test_kind_names(void **state)
{
	enum fk_platform_kind k = FK_PLATFORM_SIM;
	(void)state;
	static const char *const names[] = {"auto", "sim", "gramine", "occlum"};
	for (size_t i = 0; i < 4; i++) {
		assert_true(fk_platform_kind_parse(names[i], &k));
		assert_int_equal((int)k, (int)i);
		assert_string_equal(fk_platform_kind_name(k), names[i]);
	}
	/* Exact names only: no case folding, no other spellings. */
	assert_false(fk_platform_kind_parse("SIM", &k));
	assert_false(fk_platform_kind_parse("sgx", &k));
	assert_false(fk_platform_kind_parse("", &k));
	assert_false(fk_platform_kind_parse("gramine ", &k));
	assert_false(fk_platform_kind_parse(NULL, &k));
	assert_string_equal(fk_platform_kind_name((enum fk_platform_kind)9), "unknown");
}

static void test_gramine_fake_root(void **state)
{
	struct fixture *f = *state;
	struct fk_detect_opts o = {.gramine_dir = f->gramine, .occlum_device = f->nothing};
	struct fk_detect_result r;
	char want[400];

	EXPECT_OK(fk_detect(FK_PLATFORM_AUTO, &o, &r));
	assert_non_null(r.name);
	assert_string_equal(r.name, "gramine");
	assert_int_equal(r.kind, FK_PLATFORM_GRAMINE);
	assert_true(r.answered);
	/* One candidate tried: Occlum is not probed once Gramine answered. */
	assert_int_equal(lines_of(r.why), 1);
	snprintf(want, sizeof(want), "gramine: %s/my_target_info", f->gramine);
	assert_memory_equal(r.why, want, strlen(want));
	assert_null(strstr(r.why, "occlum"));
}

static void test_nothing_there(void **state)
{
	struct fixture *f = *state;
	struct fk_detect_opts o = {.gramine_dir = f->nothing, .occlum_device = f->nothing};
	struct fk_detect_result r;
	struct fk_platform *p = (struct fk_platform *)&o; /* must be reset to NULL */
	char l0[400], l1[400];

	EXPECT_STATUS(fk_detect(FK_PLATFORM_AUTO, &o, &r), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(r.name);
	assert_false(r.answered);
	assert_int_equal(lines_of(r.why), 2);
	line_of(r.why, 0, l0, sizeof(l0));
	line_of(r.why, 1, l1, sizeof(l1));
	assert_memory_equal(l0, "gramine: ", 9);
	assert_non_null(strstr(l0, f->nothing));
	assert_memory_equal(l1, "occlum: ", 8);
	assert_non_null(strstr(l1, f->nothing));
	/* Never the emulated platform: opening fails the same way, nothing opened. */
	EXPECT_STATUS(fk_detect_open(FK_PLATFORM_AUTO, &o, &r, &p), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(p);
	assert_int_equal(lines_of(r.why), 2);
}

static void test_short_target_info(void **state)
{
	struct fixture *f = *state;
	struct fk_detect_opts o = {.gramine_dir = f->short_g, .occlum_device = f->nothing};
	struct fk_detect_result r;
	char l0[400];

	EXPECT_STATUS(fk_detect(FK_PLATFORM_AUTO, &o, &r), FUSEKEY_ERR_NO_PLATFORM);
	line_of(r.why, 0, l0, sizeof(l0));
	assert_memory_equal(l0, "gramine: ", 9);
	assert_non_null(strstr(l0, f->short_g));
}

static void test_occlum_regular_file(void **state)
{
	struct fixture *f = *state;
	struct fk_detect_opts o = {.gramine_dir = f->nothing, .occlum_device = f->sgx_file};
	struct fk_detect_result r;
	char l1[400], want[400];

	EXPECT_STATUS(fk_detect(FK_PLATFORM_AUTO, &o, &r), FUSEKEY_ERR_NO_PLATFORM);
	assert_int_equal(lines_of(r.why), 2);
	line_of(r.why, 1, l1, sizeof(l1));
	/* "occlum: <device>: <reason>", with a reason after the path. */
	snprintf(want, sizeof(want), "occlum: %s: ", f->sgx_file);
	assert_memory_equal(l1, want, strlen(want));
	assert_true(strlen(l1) > strlen(want));
}

static void test_explicit_names(void **state)
{
	struct fixture *f = *state;
	struct fk_detect_opts o = {.gramine_dir = f->gramine, .occlum_device = f->nothing};
	struct fk_detect_result r;
	struct fk_platform *p = NULL;

	/* occlum: only Occlum is probed, even though Gramine's files are there. */
	EXPECT_STATUS(fk_detect(FK_PLATFORM_OCCLUM, &o, &r), FUSEKEY_ERR_NO_PLATFORM);
	assert_int_equal(lines_of(r.why), 1);
	assert_memory_equal(r.why, "occlum: ", 8);
	assert_null(r.name);
	/* gramine: only Gramine. */
	EXPECT_OK(fk_detect(FK_PLATFORM_GRAMINE, &o, &r));
	assert_string_equal(r.name, "gramine");
	assert_int_equal(lines_of(r.why), 1);
	o.gramine_dir = f->nothing;
	EXPECT_STATUS(fk_detect(FK_PLATFORM_GRAMINE, &o, &r), FUSEKEY_ERR_NO_PLATFORM);
	assert_int_equal(lines_of(r.why), 1);
	assert_memory_equal(r.why, "gramine: ", 9);
	/* sim never comes from detection, nor an unknown kind. */
	EXPECT_STATUS(fk_detect(FK_PLATFORM_SIM, &o, &r), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(r.name);
	assert_string_equal(r.why, "");
	EXPECT_STATUS(fk_detect_open(FK_PLATFORM_SIM, &o, &r, &p), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(p);
	EXPECT_STATUS(fk_detect((enum fk_platform_kind)7, &o, &r), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_detect(FK_PLATFORM_AUTO, &o, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
}

/*
 * Gramine answers the probe (a complete set of fake files) but cannot be
 * opened: outside Gramine the real io refuses before any ENCLU, and says so.
 * No fall-through to Occlum.
 */
static void test_open_failure_is_final(void **state)
{
	struct fixture *f = *state;
	struct fk_detect_opts o = {.gramine_dir = f->gramine, .occlum_device = f->sgx_file};
	struct fk_detect_result r;
	struct fk_platform *p = NULL;
	char l1[400], want[400];

	if (access("/dev/attestation", F_OK) == 0)
		skip(); /* inside Gramine the open would go on to the instruction */
	EXPECT_STATUS(fk_detect_open(FK_PLATFORM_AUTO, &o, &r, &p), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(p);
	assert_true(r.answered);
	assert_null(r.name);
	assert_int_equal(r.kind, FK_PLATFORM_GRAMINE);
	assert_int_equal(lines_of(r.why), 2);
	line_of(r.why, 1, l1, sizeof(l1));
	snprintf(want, sizeof(want), "gramine: answered the probe, but opening it failed: %s: %s",
		 fusekey_status_str(FUSEKEY_ERR_NO_PLATFORM),
		 "not inside Gramine: /dev/attestation is missing");
	assert_string_equal(l1, want);
	assert_null(strstr(r.why, "occlum"));
	/* The probe's line says it was a file check. */
	line_of(r.why, 0, l1, sizeof(l1));
	assert_non_null(strstr(l1, "(not verified until opened)"));
}

/* An io around an emulator's whose destroy sets a flag (fk_detect_opts: the
 * injected ctx stays the caller's, destroy is never called). */
struct occ_wrap {
	struct fk_occlum_io inner;
	bool destroyed;
};

static int ow_open(void *ctx, const char *path)
{
	struct occ_wrap *w = ctx;
	return w->inner.open(w->inner.ctx, path);
}
static int ow_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct occ_wrap *w = ctx;
	return w->inner.ioctl(w->inner.ctx, fd, request, arg);
}
static void ow_close(void *ctx, int fd)
{
	struct occ_wrap *w = ctx;
	w->inner.close(w->inner.ctx, fd);
}
static void ow_destroy(void *ctx)
{
	struct occ_wrap *w = ctx;
	w->destroyed = true;
}

static void occ_wrap_io(struct occ_wrap *w, const struct fk_occlum_io *inner,
			struct fk_occlum_io *io)
{
	memset(w, 0, sizeof(*w));
	w->inner = *inner;
	*io = *inner;
	io->open = ow_open;
	io->ioctl = ow_ioctl;
	io->close = ow_close;
	io->destroy = ow_destroy;
	io->ctx = w;
}

struct gr_wrap {
	struct fk_gramine_io inner;
	bool destroyed;
};

static int gw_open(void *ctx, const char *path, int flags)
{
	struct gr_wrap *w = ctx;
	return w->inner.open(w->inner.ctx, path, flags);
}
static ssize_t gw_read(void *ctx, int fd, void *buf, size_t len)
{
	struct gr_wrap *w = ctx;
	return w->inner.read(w->inner.ctx, fd, buf, len);
}
static ssize_t gw_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct gr_wrap *w = ctx;
	return w->inner.write(w->inner.ctx, fd, buf, len);
}
static void gw_close(void *ctx, int fd)
{
	struct gr_wrap *w = ctx;
	w->inner.close(w->inner.ctx, fd);
}
static uint32_t gw_egetkey(void *ctx, const struct fk_sgx_key_request *req, uint8_t key[16])
{
	struct gr_wrap *w = ctx;
	return w->inner.egetkey(w->inner.ctx, req, key);
}
static void gw_destroy(void *ctx)
{
	struct gr_wrap *w = ctx;
	w->destroyed = true;
}

static void gr_wrap_io(struct gr_wrap *w, const struct fk_gramine_io *inner,
		       struct fk_gramine_io *io)
{
	memset(w, 0, sizeof(*w));
	w->inner = *inner;
	*io = *inner;
	io->open = gw_open;
	io->read = gw_read;
	io->write = gw_write;
	io->close = gw_close;
	io->egetkey = gw_egetkey;
	io->destroy = gw_destroy;
	io->ctx = w;
}

static struct fk_platform *sim_platform(struct fixture *f)
{
	struct fk_platform *p = NULL;
	EXPECT_OK(fk_sim_platform_new(&f->st, &f->id, &p));
	return p;
}

/* Occlum's /dev/sgx emulated: detected when Gramine is absent, and opened. */
static void test_occlum_over_emulator(void **state)
{
	struct fixture *f = *state;
	struct occlum_emu *e = NULL;
	struct fk_occlum_io eio, io;
	struct occ_wrap w;
	struct fk_detect_opts o = {.gramine_dir = f->nothing};
	struct fk_detect_result r;
	struct fk_platform *p = NULL;
	struct fk_sgx_identity id;

	EXPECT_OK(occlum_emu_new(sim_platform(f), &e));
	occlum_emu_io(e, &eio);
	occ_wrap_io(&w, &eio, &io);
	o.occlum_io = &io;
	EXPECT_OK(fk_detect_open(FK_PLATFORM_AUTO, &o, &r, &p));
	assert_non_null(p);
	assert_string_equal(r.name, "occlum");
	assert_int_equal(lines_of(r.why), 2);
	assert_memory_equal(r.why, "gramine: ", 9);
	assert_string_equal(p->ops->name, "occlum");
	assert_true(p->emulated);
	EXPECT_OK(fk_platform_identity(p, &id));
	assert_memory_equal(id.mr_enclave, f->id.mr_enclave, sizeof(id.mr_enclave));
	assert_memory_equal(id.mr_signer, f->id.mr_signer, sizeof(id.mr_signer));
	assert_int_equal(occlum_emu_calls(e, FK_OCCLUM_IOC_SELF_TARGET), 2); /* probe + open */
	/* The injected io's ctx stays the caller's: neither the probe, the open
	 * nor destroying p calls its destroy. */
	assert_false(w.destroyed);
	fk_platform_destroy(p);
	assert_false(w.destroyed);
	assert_int_equal(occlum_emu_open_fds(e), 0); /* p closed its descriptor */
	occlum_emu_free(e);
}

/* Both emulated: Gramine wins (the order), and its key store is reachable
 * through the public API. */
static void test_gramine_first_and_install(void **state)
{
	struct fixture *f = *state;
	struct occlum_emu *oe = NULL;
	struct gramine_emu *ge = NULL;
	struct fk_occlum_io oio;
	struct fk_gramine_io geio, gio;
	struct gr_wrap gw;
	struct fk_detect_opts o;
	struct fk_detect_result r;
	struct fk_platform *p = NULL;
	fusekey_ctx *ctx = NULL;
	uint8_t key[16], got[16], key32[32];

	EXPECT_OK(occlum_emu_new(sim_platform(f), &oe));
	EXPECT_OK(gramine_emu_new(sim_platform(f), &ge));
	EXPECT_OK(gramine_emu_declare_key(ge, "fuse"));
	occlum_emu_io(oe, &oio);
	gramine_emu_io(ge, &geio);
	gr_wrap_io(&gw, &geio, &gio);
	memset(&o, 0, sizeof(o));
	o.gramine_io = &gio;
	o.occlum_io = &oio;
	EXPECT_OK(fk_detect_open(FK_PLATFORM_AUTO, &o, &r, &p));
	assert_string_equal(r.name, "gramine");
	assert_int_equal(lines_of(r.why), 1);
	assert_string_equal(p->ops->name, "gramine");
	assert_int_equal(occlum_emu_calls(oe, FK_OCCLUM_IOC_SELF_TARGET), 0);

	EXPECT_OK(fk_ctx_wrap(p, &ctx));
	th_fill(key, 0x3c, sizeof(key));
	EXPECT_OK(fusekey_gramine_install_key(ctx, "fuse", key, sizeof(key)));
	assert_true(gramine_emu_installed_key(ge, "fuse", got));
	assert_memory_equal(got, key, sizeof(key));
	/* Not declared in the manifest: Gramine refuses; NOT_FOUND. */
	EXPECT_STATUS(fusekey_gramine_install_key(ctx, "other", key, sizeof(key)),
		      FUSEKEY_ERR_NOT_FOUND);
	assert_false(gramine_emu_installed_key(ge, "other", got));
	/* Gramine's keys are AES-128; names as Gramine allows. */
	th_fill(key32, 0x11, sizeof(key32));
	EXPECT_STATUS(fusekey_gramine_install_key(ctx, "fuse", key32, sizeof(key32)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fusekey_gramine_install_key(ctx, NULL, key, sizeof(key)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fusekey_gramine_install_key(NULL, "fuse", key, sizeof(key)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(gramine_emu_installed_key(ge, "fuse", got));
	assert_memory_equal(got, key, sizeof(key)); /* unchanged by the refusals */
	fusekey_ctx_free(ctx);
	fk_platform_destroy(p);
	assert_false(gw.destroyed); /* the injected ctx stays ours */
	gramine_emu_free(ge);
	occlum_emu_free(oe);
}

static void test_install_needs_gramine(void **state)
{
	struct fixture *f = *state;
	struct fk_platform *p = sim_platform(f);
	fusekey_ctx *ctx = NULL;
	uint8_t key[16];

	th_fill(key, 0x3c, sizeof(key));
	EXPECT_OK(fk_ctx_wrap(p, &ctx));
	EXPECT_STATUS(fusekey_gramine_install_key(ctx, "fuse", key, sizeof(key)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	fusekey_ctx_free(ctx);
	fk_platform_destroy(p);
}

static void test_public_detect(void **state)
{
	struct fixture *f = *state;
	struct fusekey_platform_opts po = {.gramine_dir = f->gramine, .occlum_device = f->nothing};
	const char *name = "unset";
	char why[512], tiny[8];

	EXPECT_OK(fusekey_platform_detect(&po, &name, why, sizeof(why)));
	assert_non_null(name);
	assert_string_equal(name, "gramine");
	assert_memory_equal(why, "gramine: ", 9);
	assert_non_null(strstr(why, f->gramine));
	/* Truncated, always terminated. */
	EXPECT_OK(fusekey_platform_detect(&po, &name, tiny, sizeof(tiny)));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	assert_memory_equal(tiny, "gramine", 7);
	EXPECT_OK(fusekey_platform_detect(&po, NULL, NULL, 0));

	po.gramine_dir = f->nothing;
	name = "unset";
	EXPECT_STATUS(fusekey_platform_detect(&po, &name, why, sizeof(why)),
		      FUSEKEY_ERR_NO_PLATFORM);
	assert_null(name);
	assert_int_equal(lines_of(why), 2);

	po.platform = "sim";
	name = "unset";
	EXPECT_STATUS(fusekey_platform_detect(&po, &name, why, sizeof(why)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(name);
	assert_string_equal(why, "");
	po.platform = "Gramine";
	EXPECT_STATUS(fusekey_platform_detect(&po, &name, why, sizeof(why)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	po.platform = "gramine";
	po.gramine_dir = f->gramine;
	EXPECT_OK(fusekey_platform_detect(&po, &name, why, sizeof(why)));
	assert_string_equal(name, "gramine");
}

static void test_public_open(void **state)
{
	struct fixture *f = *state;
	struct fusekey_platform_opts po = {.gramine_dir = f->nothing, .occlum_device = f->nothing};
	fusekey_ctx *ctx = (fusekey_ctx *)&po; /* must be reset to NULL */

	EXPECT_STATUS(fusekey_ctx_open(&po, &ctx), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(ctx);
	/* Emulation is never reached by a name: only fusekey_ctx_open_sim. */
	po.platform = "sim";
	ctx = (fusekey_ctx *)&po;
	EXPECT_STATUS(fusekey_ctx_open(&po, &ctx), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(ctx);
	po.platform = "bogus";
	EXPECT_STATUS(fusekey_ctx_open(&po, &ctx), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_null(ctx);
	po.platform = "occlum";
	po.occlum_device = f->sgx_file;
	EXPECT_STATUS(fusekey_ctx_open(&po, &ctx), FUSEKEY_ERR_NO_PLATFORM);
	assert_null(ctx);
	/* Gramine's files answer, complete, but they are fakes outside Gramine:
	 * the open fails (no platform), nothing emulated. */
	po.platform = NULL;
	po.gramine_dir = f->gramine;
	ctx = (fusekey_ctx *)&po;
	if (access("/dev/attestation", F_OK) != 0) {
		EXPECT_STATUS(fusekey_ctx_open(&po, &ctx), FUSEKEY_ERR_NO_PLATFORM);
		assert_null(ctx);
		po.platform = "gramine";
		ctx = (fusekey_ctx *)&po;
		EXPECT_STATUS(fusekey_ctx_open(&po, &ctx), FUSEKEY_ERR_NO_PLATFORM);
		assert_null(ctx);
		po.platform = NULL;
	}
	EXPECT_STATUS(fusekey_ctx_open(&po, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test_setup_teardown(test_gramine_fake_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_there, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_target_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_occlum_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_failure_is_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_occlum_over_emulator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_first_and_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_install_needs_gramine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_open, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
