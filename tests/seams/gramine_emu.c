/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEST ONLY: an in-memory Gramine /dev/attestation and an emulated
 * ENCLU[EGETKEY] over a backing fk_platform (see gramine_emu.h).
 *
 * Modelled on Gramine's libos/src/fs/dev/attestation.c and libos_fs_pseudo.c
 * (platforms.md §2.1):
 *  - a file's content is produced at open ("load"): my_target_info is the
 *    backing's self target, report is EREPORT(target_info, user_report_data)
 *    of the backing, attestation_type is "none"; reads start at offset 0;
 *  - each write is applied on its own ("save"): target_info and
 *    user_report_data are zero-padded/truncated to 512 / 64; keys/<name>
 *    refuses any length but 16 with EACCES;
 *  - keys/<name> exists only for declared names. Gramine's lookup
 *    (name_exists -> get_encrypted_files_key) fails for others, so open gives
 *    ENOENT; we do the same rather than EACCES so the platform's mapping of
 *    both errnos to "declare key_name in the manifest" is exercised;
 *  - read-only files opened for writing give EACCES (PSEUDO_PERM_FILE_R);
 *    no quote file, since attestation_type is "none".
 * EGETKEY runs the backing's get_key and maps its status back to the
 * instruction's EAX codes (sgx.md §9). What hardware answers with #GP
 * (misaligned operands, or a request the backing refuses as a parameter
 * error) is counted as a fault and answered 0xFFFFFFFF. Test knobs: short
 * reads, forged reports (a flipped MAC bit), reports of another enclave.
 */
#include "gramine_emu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	EMU_MAX_FDS = 16,
	EMU_FD_BASE = 100, /* fds that cannot be confused with real ones */
	EMU_MAX_KEYS = 8,
	EMU_FILE_MAX = FK_SGX_TARGET_INFO_SIZE, /* the largest pseudo-file */
};

enum emu_kind {
	K_NONE = 0,
	K_ATTESTATION_TYPE,
	K_MY_TARGET_INFO,
	K_TARGET_INFO,
	K_USER_REPORT_DATA,
	K_REPORT,
	K_KEY,
};

struct emu_key {
	char name[FK_GRAMINE_KEY_NAME_MAX + 1u];
	bool declared, set;
	uint8_t key[16];
};

struct emu_fd {
	enum emu_kind kind;
	int accmode; /* O_RDONLY / O_WRONLY / O_RDWR */
	size_t key_index;
	uint8_t content[EMU_FILE_MAX];
	size_t len, pos;
};

struct gramine_emu {
	struct fk_platform *backing;
	struct fk_platform *reporter; /* NULL: the backing makes the reports */
	bool tamper;                  /* flip a MAC bit of every report */
	uint8_t target_info[FK_SGX_TARGET_INFO_SIZE];
	uint8_t user_report_data[FK_SGX_REPORT_DATA_SIZE];
	struct emu_key keys[EMU_MAX_KEYS];
	struct emu_fd fds[EMU_MAX_FDS];
	unsigned egetkey_calls, faults;
	size_t short_chunk;
	bool eintr_next;
};

fusekey_status gramine_emu_new(struct fk_platform *backing, struct gramine_emu **out)
{
	struct gramine_emu *e;

	if (out != NULL)
		*out = NULL;
	if (backing == NULL || out == NULL) {
		fk_platform_destroy(backing);
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		fk_platform_destroy(backing);
		return FUSEKEY_ERR_NO_MEMORY;
	}
	e->backing = backing;
	*out = e;
	return FUSEKEY_OK;
}

void gramine_emu_free(struct gramine_emu *e)
{
	if (e == NULL)
		return;
	fk_platform_destroy(e->backing);
	fk_platform_destroy(e->reporter);
	fk_wipe(e, sizeof(*e));
	free(e);
}

static struct emu_key *find_key(struct gramine_emu *e, const char *name)
{
	for (size_t i = 0; i < EMU_MAX_KEYS; i++)
		if (e->keys[i].declared && strcmp(e->keys[i].name, name) == 0)
			return &e->keys[i];
	return NULL;
}

fusekey_status gramine_emu_declare_key(struct gramine_emu *e, const char *name)
{
	size_t n;

	if (e == NULL || name == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	n = strnlen(name, FK_GRAMINE_KEY_NAME_MAX + 1u);
	if (n == 0 || n > FK_GRAMINE_KEY_NAME_MAX)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (find_key(e, name) != NULL)
		return FUSEKEY_OK;
	for (size_t i = 0; i < EMU_MAX_KEYS; i++) {
		if (!e->keys[i].declared) {
			memcpy(e->keys[i].name, name, n + 1u);
			e->keys[i].declared = true;
			return FUSEKEY_OK;
		}
	}
	return FUSEKEY_ERR_NO_MEMORY;
}

bool gramine_emu_installed_key(const struct gramine_emu *e, const char *name, uint8_t key[16])
{
	if (e == NULL || name == NULL)
		return false;
	for (size_t i = 0; i < EMU_MAX_KEYS; i++) {
		const struct emu_key *k = &e->keys[i];
		if (k->declared && k->set && strcmp(k->name, name) == 0) {
			memcpy(key, k->key, 16);
			return true;
		}
	}
	return false;
}

unsigned gramine_emu_egetkey_calls(const struct gramine_emu *e)
{
	return e->egetkey_calls;
}

unsigned gramine_emu_faults(const struct gramine_emu *e)
{
	return e->faults;
}

void gramine_emu_set_short_reads(struct gramine_emu *e, size_t chunk)
{
	e->short_chunk = chunk;
	e->eintr_next = chunk > 0;
}

void gramine_emu_tamper_reports(struct gramine_emu *e, bool on)
{
	e->tamper = on;
}

void gramine_emu_set_reporter(struct gramine_emu *e, struct fk_platform *reporter)
{
	fk_platform_destroy(e->reporter);
	e->reporter = reporter;
}

/* ---- the pseudo-files ---- */

static struct emu_fd *fd_of(struct gramine_emu *e, int fd)
{
	if (fd < EMU_FD_BASE || fd >= EMU_FD_BASE + EMU_MAX_FDS)
		return NULL;
	struct emu_fd *f = &e->fds[fd - EMU_FD_BASE];
	return f->kind == K_NONE ? NULL : f;
}

/* "load" at open: the content a read of this handle returns. 0 or -errno. */
static int load(struct gramine_emu *e, struct emu_fd *f)
{
	static const char type[] = "none";
	struct fk_sgx_target_info ti;
	struct fk_sgx_report report;

	switch (f->kind) {
	case K_ATTESTATION_TYPE:
		memcpy(f->content, type, sizeof(type) - 1u);
		f->len = sizeof(type) - 1u;
		return 0;
	case K_MY_TARGET_INFO:
		if (fk_platform_self_target(e->backing, &ti) != FUSEKEY_OK)
			return -EACCES;
		memcpy(f->content, &ti, sizeof(ti));
		f->len = sizeof(ti);
		return 0;
	case K_REPORT:
		/* Gramine: PalAttestationReport(user_report_data, target_info), -EACCES on error. */
		memcpy(&ti, e->target_info, sizeof(ti));
		if (fk_platform_create_report(e->reporter != NULL ? e->reporter : e->backing, &ti,
					      e->user_report_data, &report) != FUSEKEY_OK)
			return -EACCES;
		if (e->tamper)
			report.mac[0] ^= 1u;
		memcpy(f->content, &report, sizeof(report));
		f->len = sizeof(report);
		return 0;
	case K_KEY:
		if (e->keys[f->key_index].set) {
			memcpy(f->content, e->keys[f->key_index].key, 16);
			f->len = 16;
		}
		return 0;
	case K_TARGET_INFO: /* no load callback in Gramine: empty until written */
	case K_USER_REPORT_DATA:
	case K_NONE:
	default:
		return 0;
	}
}

static int emu_open(void *ctx, const char *path, int flags)
{
	struct gramine_emu *e = ctx;
	static const struct {
		const char *name;
		enum emu_kind kind;
		bool writable;
	} files[] = {
		{"attestation_type", K_ATTESTATION_TYPE, false},
		{"my_target_info", K_MY_TARGET_INFO, false},
		{"target_info", K_TARGET_INFO, true},
		{"user_report_data", K_USER_REPORT_DATA, true},
		{"report", K_REPORT, false},
	};
	enum emu_kind kind = K_NONE;
	bool writable = false;
	size_t key_index = 0;
	int accmode = flags & O_ACCMODE;
	int slot = -1, err;

	if (path == NULL)
		return -EFAULT;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].name) == 0) {
			kind = files[i].kind;
			writable = files[i].writable;
		}
	}
	if (strncmp(path, "keys/", 5) == 0) {
		struct emu_key *k = find_key(e, path + 5);
		if (k == NULL)
			return -ENOENT; /* Gramine: no dentry for an undeclared name */
		kind = K_KEY;
		writable = true;
		key_index = (size_t)(k - e->keys);
	}
	if (kind == K_NONE)
		return -ENOENT;
	if (accmode != O_RDONLY && !writable)
		return -EACCES;
	for (int i = 0; i < EMU_MAX_FDS; i++) {
		if (e->fds[i].kind == K_NONE) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return -EMFILE;
	struct emu_fd *f = &e->fds[slot];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->accmode = accmode;
	f->key_index = key_index;
	err = load(e, f);
	if (err != 0) {
		fk_wipe(f, sizeof(*f));
		return err;
	}
	return EMU_FD_BASE + slot;
}

static ssize_t emu_read(void *ctx, int fd, void *buf, size_t len)
{
	struct gramine_emu *e = ctx;
	struct emu_fd *f = fd_of(e, fd);
	size_t n;

	if (f == NULL || f->accmode == O_WRONLY)
		return -EBADF;
	if (e->short_chunk > 0) {
		/* Short-read mode: alternate -EINTR and chunks of at most short_chunk. */
		if (e->eintr_next) {
			e->eintr_next = false;
			return -EINTR;
		}
		e->eintr_next = true;
	}
	n = f->len - f->pos;
	if (n > len)
		n = len;
	if (e->short_chunk > 0 && n > e->short_chunk)
		n = e->short_chunk;
	memcpy(buf, f->content + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

/* Zero-padded / truncated copy (attestation.c update_buffer). */
static void update_buffer(uint8_t *dst, size_t cap, const void *src, size_t len)
{
	size_t n = len < cap ? len : cap;
	memcpy(dst, src, n);
	memset(dst + n, 0, cap - n);
}

static ssize_t emu_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct gramine_emu *e = ctx;
	struct emu_fd *f = fd_of(e, fd);
	size_t n;

	if (f == NULL || f->accmode == O_RDONLY)
		return -EBADF;
	if (buf == NULL && len > 0)
		return -EFAULT;
	/* "save": each write is applied as a whole. */
	switch (f->kind) {
	case K_TARGET_INFO:
		update_buffer(e->target_info, sizeof(e->target_info), buf, len);
		break;
	case K_USER_REPORT_DATA:
		update_buffer(e->user_report_data, sizeof(e->user_report_data), buf, len);
		break;
	case K_KEY:
		if (len != 16)
			return -EACCES; /* key_save: invalid length */
		memcpy(e->keys[f->key_index].key, buf, 16);
		e->keys[f->key_index].set = true;
		break;
	default:
		return -EACCES;
	}
	/* ... and replaces the handle's content. */
	n = len < sizeof(f->content) ? len : sizeof(f->content);
	memcpy(f->content, buf, n);
	f->len = n;
	f->pos = n;
	return (ssize_t)len;
}

static void emu_close(void *ctx, int fd)
{
	struct gramine_emu *e = ctx;
	struct emu_fd *f = fd_of(e, fd);

	if (f != NULL)
		fk_wipe(f, sizeof(*f)); /* kind = K_NONE */
}

/* ---- EGETKEY ---- */

static uint32_t emu_egetkey(void *ctx, const struct fk_sgx_key_request *req, uint8_t key[16])
{
	struct gramine_emu *e = ctx;
	uint8_t k[16];
	uint32_t eax;

	e->egetkey_calls++;
	if (((uintptr_t)req & 511u) != 0 || ((uintptr_t)key & 15u) != 0) {
		e->faults++; /* #GP (SDM EGETKEY: misaligned operand) */
		return 0xFFFFFFFFu;
	}
	switch (fk_platform_get_key(e->backing, req, k)) {
	case FUSEKEY_OK:
		memcpy(key, k, 16);
		eax = 0;
		break;
	case FUSEKEY_ERR_INVALID_ATTRIBUTE:
		eax = 0x2u;
		break;
	case FUSEKEY_ERR_INVALID_CPUSVN:
		eax = 0x20u;
		break;
	case FUSEKEY_ERR_INVALID_ISVSVN:
		eax = 0x40u;
		break;
	case FUSEKEY_ERR_INVALID_KEYNAME:
		eax = 0x100u;
		break;
	case FUSEKEY_ERR_INVALID_PARAMETER:
		e->faults++; /* #GP: reserved bytes, policy bits, KSS bits (sgx.md §3 step 1-2) */
		eax = 0xFFFFFFFFu;
		break;
	default:
		eax = 0xFFFFFFFFu;
		break;
	}
	fk_wipe(k, sizeof(k));
	return eax;
}

static void emu_destroy(void *ctx)
{
	gramine_emu_free(ctx);
}

void gramine_emu_io(struct gramine_emu *e, struct fk_gramine_io *io)
{
	memset(io, 0, sizeof(*io));
	io->open = emu_open;
	io->read = emu_read;
	io->write = emu_write;
	io->close = emu_close;
	io->egetkey = emu_egetkey;
	io->destroy = emu_destroy;
	io->ctx = e;
	io->emulated = true;
}
