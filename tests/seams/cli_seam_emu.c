/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEST ONLY: the libOS seam of the CLI (tools/cli_libos_seam.h) for the
 * test-only programs fusekey-libos-emu and fusekeyd-libos-emu. Never linked
 * into the installed fusekey / fusekeyd (they link cli_libos_seam_real.c).
 *
 * FUSEKEY_TEST_LIBOS selects what runs under `--platform sim`:
 *   unset or ""  the emulated platform itself (as the real tools)
 *   occlum       the Occlum backend (fk_occlum) over an emulated /dev/sgx
 *                (occlum_emu) over the emulated platform
 *   gramine      the Gramine backend (fk_gramine) over an in-memory
 *                /dev/attestation and emulated EGETKEY (gramine_emu) over the
 *                emulated platform; FUSEKEY_TEST_GRAMINE_KEYS is the
 *                manifest's key names, comma-separated
 * so that every enclave operation of the CLI (reports, report verification,
 * EGETKEY) runs through the backend's code. It is still the emulated
 * platform underneath: the EMULATED banner stays, and a line says which
 * backend is on top.
 *
 * Gramine's keys/<name> lives in the emulator's memory; so that the CLI
 * tests can see what the backend installed, a write the emulator accepted
 * is also copied to <gramine_dir>/keys/<name> when that file exists there
 * (the test declares its names by creating them). Nothing else is mirrored.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_libos_seam.h"
#include "gramine_emu.h"
#include "occlum_emu.h"

enum { MIRROR_FDS = 16 };

struct mirror {
	struct fk_gramine_io inner;
	char root[PATH_MAX];
	struct {
		int fd;
		char name[FK_GRAMINE_KEY_NAME_MAX + 1u];
	} keys[MIRROR_FDS];
};

static int m_open(void *ctx, const char *path, int flags)
{
	struct mirror *m = ctx;
	int fd = m->inner.open(m->inner.ctx, path, flags);

	if (fd < 0 || path == NULL || strncmp(path, "keys/", 5) != 0 ||
	    strlen(path + 5) > FK_GRAMINE_KEY_NAME_MAX)
		return fd;
	for (int i = 0; i < MIRROR_FDS; i++) {
		if (m->keys[i].name[0] == '\0') {
			m->keys[i].fd = fd;
			memcpy(m->keys[i].name, path + 5, strlen(path + 5) + 1);
			break;
		}
	}
	return fd;
}

static ssize_t m_read(void *ctx, int fd, void *buf, size_t len)
{
	struct mirror *m = ctx;
	return m->inner.read(m->inner.ctx, fd, buf, len);
}

/* Copy an accepted key write to <root>/keys/<name>, only if that file exists. */
static void mirror_key(const struct mirror *m, const char *name, const void *buf, size_t len)
{
	char path[PATH_MAX + 80];
	int n = snprintf(path, sizeof(path), "%s/keys/%s", m->root, name);
	int fd;

	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, buf, len) != (ssize_t)len)
		fprintf(stderr, "fusekey: test seam: could not mirror key '%s' to %s\n", name,
			path);
	close(fd);
}

static ssize_t m_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct mirror *m = ctx;
	ssize_t r = m->inner.write(m->inner.ctx, fd, buf, len);

	if (r == (ssize_t)len) {
		for (int i = 0; i < MIRROR_FDS; i++) {
			if (m->keys[i].name[0] != '\0' && m->keys[i].fd == fd)
				mirror_key(m, m->keys[i].name, buf, len);
		}
	}
	return r;
}

static void m_close(void *ctx, int fd)
{
	struct mirror *m = ctx;

	for (int i = 0; i < MIRROR_FDS; i++) {
		if (m->keys[i].name[0] != '\0' && m->keys[i].fd == fd)
			m->keys[i].name[0] = '\0';
	}
	m->inner.close(m->inner.ctx, fd);
}

static uint32_t m_egetkey(void *ctx, const struct fk_sgx_key_request *req, uint8_t key[16])
{
	struct mirror *m = ctx;
	return m->inner.egetkey(m->inner.ctx, req, key);
}

static void m_destroy(void *ctx)
{
	struct mirror *m = ctx;

	if (m == NULL)
		return;
	if (m->inner.destroy != NULL)
		m->inner.destroy(m->inner.ctx);
	fk_wipe(m, sizeof(*m));
	free(m);
}

/* FUSEKEY_TEST_GRAMINE_KEYS="a,b": the manifest's key_name values. */
static fusekey_status declare_keys(struct gramine_emu *e)
{
	const char *list = getenv("FUSEKEY_TEST_GRAMINE_KEYS");
	char name[FK_GRAMINE_KEY_NAME_MAX + 1u];

	while (list != NULL && *list != '\0') {
		const char *comma = strchr(list, ',');
		size_t n = comma != NULL ? (size_t)(comma - list) : strlen(list);
		if (n > 0) {
			if (n > FK_GRAMINE_KEY_NAME_MAX)
				return FUSEKEY_ERR_INVALID_PARAMETER;
			memcpy(name, list, n);
			name[n] = '\0';
			fusekey_status st = gramine_emu_declare_key(e, name);
			if (st != FUSEKEY_OK)
				return st;
		}
		list = comma != NULL ? comma + 1 : NULL;
	}
	return FUSEKEY_OK;
}

static fusekey_status seam_occlum(struct fk_platform **p)
{
	struct occlum_emu *e = NULL;
	struct fk_occlum_io io;
	fusekey_status st;

	st = occlum_emu_new(*p, &e); /* owns *p from here on, even on failure */
	*p = NULL;
	if (st != FUSEKEY_OK)
		return st;
	occlum_emu_io(e, &io);
	/* The emulated device answers at Occlum's path; io.destroy frees e. */
	return fk_occlum_platform_new(FK_OCCLUM_DEVICE, &io, p);
}

static fusekey_status seam_gramine(const char *gramine_dir, struct fk_platform **p)
{
	struct gramine_emu *e = NULL;
	struct mirror *m;
	struct fk_gramine_io io;
	fusekey_status st;

	st = gramine_emu_new(*p, &e);
	*p = NULL;
	if (st != FUSEKEY_OK)
		return st;
	st = declare_keys(e);
	m = st == FUSEKEY_OK ? calloc(1, sizeof(*m)) : NULL;
	if (m == NULL) {
		gramine_emu_free(e);
		return st != FUSEKEY_OK ? st : FUSEKEY_ERR_NO_MEMORY;
	}
	gramine_emu_io(e, &m->inner); /* m->inner.destroy frees e */
	snprintf(m->root, sizeof(m->root), "%s", gramine_dir != NULL ? gramine_dir : "");
	memset(&io, 0, sizeof(io));
	io.open = m_open;
	io.read = m_read;
	io.write = m_write;
	io.close = m_close;
	io.egetkey = m_egetkey;
	io.destroy = m_destroy;
	io.ctx = m;
	io.emulated = true;
	return fk_gramine_platform_new(gramine_dir, &io, p);
}

fusekey_status cli_libos_seam(const char *gramine_dir, struct fk_platform **p)
{
	const char *which = getenv("FUSEKEY_TEST_LIBOS");
	const char *what;
	fusekey_status st;

	if (p == NULL || *p == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (which == NULL || which[0] == '\0')
		return FUSEKEY_OK;
	if (strcmp(which, "occlum") == 0) {
		what = "Occlum backend over an emulated /dev/sgx";
		st = seam_occlum(p);
	} else if (strcmp(which, "gramine") == 0) {
		what = "Gramine backend over an emulated /dev/attestation";
		st = seam_gramine(gramine_dir, p);
	} else {
		fprintf(stderr, "fusekey: error: test seam: FUSEKEY_TEST_LIBOS must be occlum or "
				"gramine (or unset)\n");
		fk_platform_destroy(*p);
		*p = NULL;
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "fusekey: error: test seam: opening the %s failed: %s\n", what,
			fusekey_status_str(st));
		*p = NULL;
		return st;
	}
	if ((*p)->emulated != true) {
		/* The emulators say so; a backend that drops the flag would hide emulation. */
		fprintf(stderr, "fusekey: error: test seam: the %s does not say it is emulated\n",
			what);
		fk_platform_destroy(*p);
		*p = NULL;
		return FUSEKEY_ERR_UNEXPECTED;
	}
	fprintf(stderr, "fusekey: test seam: %s\n", what);
	return FUSEKEY_OK;
}
