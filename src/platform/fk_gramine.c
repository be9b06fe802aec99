/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Gramine platform (see fk_gramine.h): /dev/attestation pseudo-files
 * (platforms.md §2.1) for target info and reports, ENCLU[EGETKEY]
 * (fk_enclu.c) for report verification and our own key requests.
 *
 * Facts from Gramine's libos/src/fs/dev/attestation.c and libos_fs_pseudo.c
 * that shape this file:
 *  - a pseudo-file's content is produced when it is opened, so each read is a
 *    fresh open at offset 0;
 *  - every write(2) is applied on its own (target_info / user_report_data
 *    zero-padded or truncated, keys/<name> refused unless exactly 16 bytes):
 *    a write is never split, and a short one is an error;
 *  - `report` uses whatever target_info and user_report_data were written last
 *    in this process, so both are always written right before it is read, and
 *    the sequence runs under one process-wide lock (report_lock).
 * The files are plain files to anyone who can redirect the root, so nothing
 * they say is used before a self report has verified through EGETKEY.
 */
#include "platform/fk_gramine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/fk_enclu.h"

/* Pseudo-file names below the root (platforms.md §2.1). */
#define F_MY_TARGET_INFO "my_target_info"
#define F_TARGET_INFO "target_info"
#define F_USER_REPORT_DATA "user_report_data"
#define F_REPORT "report"
#define F_KEYS_DIR "keys/"

/* Pseudo-file sizes (platforms.md §2.1): what we write and read is exactly the
 * SGX structure, so the structures must have Gramine's sizes. */
_Static_assert(sizeof(struct fk_sgx_target_info) == 512, "my_target_info / target_info: 512");
_Static_assert(FK_SGX_REPORT_DATA_SIZE == 64, "user_report_data: 64");
_Static_assert(sizeof(struct fk_sgx_report) == 432, "report: 432");
_Static_assert(FK_SGX_KEY_SIZE == 16, "keys/<name>: 16");
_Static_assert(sizeof(struct fk_sgx_key_request) == 512, "EGETKEY request: 512");

/* "keys/" + name + NUL: the longest relative path we open. */
#define REL_PATH_MAX (sizeof(F_KEYS_DIR) + FK_GRAMINE_KEY_NAME_MAX + 1u)

/* EGETKEY status codes in EAX (sgx.md §9, hardware status). */
#define EGETKEY_OK 0u
#define EGETKEY_INVALID_ATTRIBUTE 0x2u
#define EGETKEY_INVALID_CPUSVN 0x20u
#define EGETKEY_INVALID_ISVSVN 0x40u
#define EGETKEY_INVALID_KEYNAME 0x100u

/* A call may be interrupted: retry, but at most this many times in a row
 * (every successful read makes progress, so reads are bounded by their size). */
#define EINTR_RETRIES 64u

/*
 * Gramine's /dev/attestation is per process and unlocked (platforms.md §2.1):
 * one lock for every platform in the process, held across each
 * target_info / user_report_data / report sequence and each key install.
 */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* The real io's context: the root directory, opened once (openat below it). */
struct real_ctx {
	int dirfd;
};

struct gramine {
	struct fk_platform base; /* first: fk_platform* <-> struct gramine* */
	struct fk_gramine_io io;
	struct real_ctx real;            /* the real io's ctx (io == NULL at open) */
	struct fk_sgx_target_info my_ti; /* my_target_info, once the self report verified */
	struct fk_sgx_identity id;       /* from the verified self report */
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
};

static const struct fk_platform_ops gramine_ops;

static struct gramine *gramine_of(struct fk_platform *p)
{
	return (struct gramine *)p;
}

/* ---- the real io: POSIX files below the root directory, ENCLU ---- */

/* Open the root directory once; 0 or -errno. */
static int real_ctx_open(struct real_ctx *rc, const char *root)
{
	do {
		rc->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} while (rc->dirfd < 0 && errno == EINTR);
	return rc->dirfd >= 0 ? 0 : -errno;
}

static void real_ctx_close(struct real_ctx *rc)
{
	if (rc->dirfd >= 0)
		(void)close(rc->dirfd); /* Linux releases it even when close fails */
	rc->dirfd = -1;
}

static int real_open(void *ctx, const char *rel, int flags)
{
	const struct real_ctx *rc = ctx;
	struct stat sb;
	int fd;

	if (rel[0] == '/')
		return -EINVAL; /* always below the root */
	/* Never create, never follow a final symlink, never block on a FIFO: on a
	 * host without Gramine the probe may meet anything at this path. */
	do {
		fd = openat(rc->dirfd, rel, flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	/* Gramine's pseudo-files are regular files (pseudo_lookup: S_IFREG). */
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		(void)close(fd);
		return -EINVAL;
	}
	return fd;
}

static ssize_t real_read(void *ctx, int fd, void *buf, size_t len)
{
	ssize_t r;

	(void)ctx;
	r = read(fd, buf, len);
	return r < 0 ? -(ssize_t)errno : r;
}

static ssize_t real_write(void *ctx, int fd, const void *buf, size_t len)
{
	ssize_t w;

	(void)ctx;
	w = write(fd, buf, len);
	return w < 0 ? -(ssize_t)errno : w;
}

static void real_close(void *ctx, int fd)
{
	(void)ctx;
	/* Linux releases the descriptor even when close fails. */
	(void)close(fd);
}

static uint32_t real_egetkey(void *ctx, const struct fk_sgx_key_request *req, uint8_t key[16])
{
	(void)ctx;
	return fk_enclu_egetkey(req, key);
}

static void real_destroy(void *ctx)
{
	real_ctx_close(ctx);
}

/* The real io over rc (which outlives the io; destroy closes its directory). */
static void real_io(struct fk_gramine_io *io, struct real_ctx *rc)
{
	memset(io, 0, sizeof(*io));
	io->open = real_open;
	io->read = real_read;
	io->write = real_write;
	io->close = real_close;
	io->egetkey = real_egetkey;
	io->destroy = real_destroy;
	io->ctx = rc;
	io->emulated = false;
}

/* Copy root (NULL = /dev/attestation) into buf; false when empty or too long. */
static bool root_copy(const char *root, char buf[FK_GRAMINE_ROOT_MAX + 1u])
{
	size_t n;

	if (root == NULL)
		root = FK_GRAMINE_ROOT;
	n = strnlen(root, FK_GRAMINE_ROOT_MAX + 1u);
	if (n == 0 || n > FK_GRAMINE_ROOT_MAX)
		return false;
	memcpy(buf, root, n);
	buf[n] = '\0';
	return true;
}

/* ---- pseudo-file access through the io ---- */

/*
 * Read the whole of a pseudo-file into buf (capacity cap); *got = bytes read.
 * Reads until EOF or cap, looping on short reads and EINTR. 0 or -errno.
 */
static int pf_read(const struct fk_gramine_io *io, const char *rel, uint8_t *buf, size_t cap,
		   size_t *got)
{
	unsigned eintr = 0;
	int fd, err = 0;

	*got = 0;
	fd = io->open(io->ctx, rel, O_RDONLY);
	if (fd < 0)
		return fd;
	while (*got < cap) {
		ssize_t r = io->read(io->ctx, fd, buf + *got, cap - *got);
		if (r == -EINTR && eintr++ < EINTR_RETRIES)
			continue;
		if (r < 0) {
			err = (int)r;
			break;
		}
		if (r == 0)
			break;
		if ((size_t)r > cap - *got) { /* an io that overruns the buffer is broken */
			err = -EIO;
			break;
		}
		*got += (size_t)r;
		eintr = 0;
	}
	io->close(io->ctx, fd);
	return err;
}

/* Read exactly n bytes (one more byte available means the file is not ours). */
static fusekey_status pf_read_exact(const struct fk_gramine_io *io, const char *rel, void *out,
				    size_t n)
{
	uint8_t buf[FK_SGX_TARGET_INFO_SIZE + 1u];
	size_t got = 0;
	fusekey_status st = FUSEKEY_ERR_IO;

	if (n >= sizeof(buf))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (pf_read(io, rel, buf, n + 1u, &got) == 0 && got == n) {
		memcpy(out, buf, n);
		st = FUSEKEY_OK;
	}
	fk_wipe(buf, sizeof(buf));
	return st;
}

/*
 * Write n bytes in ONE write(2): Gramine applies each write on its own, so a
 * split write would replace, not extend (attestation.c update_buffer).
 * 0, -errno, or -EIO for a short write.
 */
static int pf_write(const struct fk_gramine_io *io, const char *rel, const void *data, size_t n)
{
	unsigned eintr = 0;
	ssize_t w;
	int fd, err = 0;

	fd = io->open(io->ctx, rel, O_WRONLY);
	if (fd < 0)
		return fd;
	do {
		w = io->write(io->ctx, fd, data, n);
	} while (w == -EINTR && eintr++ < EINTR_RETRIES);
	if (w < 0)
		err = (int)w;
	else if ((size_t)w != n)
		err = -EIO;
	io->close(io->ctx, fd);
	return err;
}

static const char *errno_text(int e)
{
	switch (e) {
	case ENOENT:
		return "no such file";
	case EACCES:
	case EPERM:
		return "permission denied";
	case ENOTDIR:
		return "not a directory";
	case EINVAL:
		return "not a regular file";
	case ELOOP:
		return "is a symbolic link";
	case ENAMETOOLONG:
		return "path too long";
	default:
		return NULL;
	}
}

/* "<prefix><root>/my_target_info: <what errno e means>" to why. */
static void say_errno(char *why, size_t why_len, const char *prefix, const char *root, int e)
{
	const char *text = errno_text(e);

	if (text != NULL)
		fk_platform_say(why, why_len, "%s%s/" F_MY_TARGET_INFO ": %s", prefix, root, text);
	else
		fk_platform_say(why, why_len, "%s%s/" F_MY_TARGET_INFO ": error %d", prefix, root,
				e);
}

/*
 * Read <name>/my_target_info through io (up to 513 bytes: exactly 512 is
 * Gramine's) into ti when non-NULL; true when it gave 512. why says what was
 * seen, prefixed with prefix, naming the file as <name>/my_target_info.
 */
static bool target_info_file(const struct fk_gramine_io *io, const char *name, const char *prefix,
			     struct fk_sgx_target_info *ti, char *why, size_t why_len)
{
	uint8_t buf[FK_SGX_TARGET_INFO_SIZE + 1u];
	size_t got = 0;
	int err;
	bool ok = false;

	err = pf_read(io, F_MY_TARGET_INFO, buf, sizeof(buf), &got);
	if (err < 0) {
		say_errno(why, why_len, prefix, name, -err);
	} else if (got > FK_SGX_TARGET_INFO_SIZE) {
		fk_platform_say(why, why_len, "%s%s/" F_MY_TARGET_INFO ": read more than %d bytes, want %d",
		    prefix, name, FK_SGX_TARGET_INFO_SIZE, FK_SGX_TARGET_INFO_SIZE);
	} else if (got != FK_SGX_TARGET_INFO_SIZE) {
		fk_platform_say(why, why_len, "%s%s/" F_MY_TARGET_INFO ": read %zu bytes, want %d", prefix, name,
		    got, FK_SGX_TARGET_INFO_SIZE);
	} else {
		if (ti != NULL)
			memcpy(ti, buf, sizeof(*ti));
		ok = true;
	}
	fk_wipe(buf, sizeof(buf));
	return ok;
}

/*
 * The same read through the real files of `root` (opened for this call only):
 * the root directory failing to open is reported as its my_target_info would
 * be ("<root>/my_target_info: no such file").
 */
static bool real_target_info_file(const char *root, const char *prefix, char *why, size_t why_len)
{
	struct real_ctx rc;
	struct fk_gramine_io io;
	bool ok;
	int err;

	err = real_ctx_open(&rc, root);
	if (err < 0) {
		say_errno(why, why_len, prefix, root, -err);
		return false;
	}
	real_io(&io, &rc);
	ok = target_info_file(&io, root, prefix, NULL, why, why_len);
	real_ctx_close(&rc);
	return ok;
}

/*
 * With the real io, ENCLU runs for real: it must exist in this build (x86-64)
 * and we must be inside Gramine, i.e. the real /dev/attestation answers,
 * whatever root the caller chose. Outside an enclave EGETKEY is #UD (SIGILL):
 * refuse cleanly instead (sgx.md §3; fk_enclu.h).
 */
static bool real_enclu_usable(char *why, size_t why_len)
{
	if (!fk_enclu_available()) {
		fk_platform_say(why, why_len, "this build cannot execute ENCLU (Gramine's SGX needs x86-64)");
		return false;
	}
	if (access(FK_GRAMINE_ROOT, F_OK) != 0 && errno == ENOENT) {
		fk_platform_say(why, why_len, "not inside Gramine: " FK_GRAMINE_ROOT " is missing");
		return false;
	}
	return real_target_info_file(FK_GRAMINE_ROOT, "not inside Gramine: ", why, why_len);
}

/*
 * EREPORT through the pseudo-files (platforms.md §2.1): target_info, then
 * user_report_data, then report, under report_lock. NULL = zeros, written
 * explicitly, because Gramine would otherwise reuse what was written last.
 */
static fusekey_status pf_report(const struct fk_gramine_io *io,
				const struct fk_sgx_target_info *target_info,
				const uint8_t *report_data, struct fk_sgx_report *report)
{
	static const struct fk_sgx_target_info zero_ti;
	static const uint8_t zero_rd[FK_SGX_REPORT_DATA_SIZE];
	fusekey_status st = FUSEKEY_ERR_IO;

	if (target_info == NULL)
		target_info = &zero_ti;
	if (report_data == NULL)
		report_data = zero_rd;
	memset(report, 0, sizeof(*report));
	if (pthread_mutex_lock(&report_lock) != 0)
		return FUSEKEY_ERR_UNEXPECTED;
	if (pf_write(io, F_TARGET_INFO, target_info, sizeof(*target_info)) == 0 &&
	    pf_write(io, F_USER_REPORT_DATA, report_data, FK_SGX_REPORT_DATA_SIZE) == 0)
		st = pf_read_exact(io, F_REPORT, report, sizeof(*report));
	(void)pthread_mutex_unlock(&report_lock);
	/* The report must carry our report data: anything else means someone
	 * outside our lock wrote user_report_data in between. */
	if (st == FUSEKEY_OK &&
	    memcmp(report->body.report_data, report_data, FK_SGX_REPORT_DATA_SIZE) != 0)
		st = FUSEKEY_ERR_UNEXPECTED;
	if (st != FUSEKEY_OK)
		memset(report, 0, sizeof(*report));
	return st;
}

/* ---- operations ---- */

static fusekey_status gr_self_target(struct fk_platform *p, struct fk_sgx_target_info *ti)
{
	*ti = gramine_of(p)->my_ti;
	return FUSEKEY_OK;
}

/* Does a report body come from the enclave whose identity we cached? */
static bool body_is_ours(const struct fk_sgx_report_body *body, const struct fk_sgx_identity *id)
{
	struct fk_sgx_identity bid;
	bool ok;

	fk_sgx_identity_from_report_body(body, &bid);
	ok = memcmp(bid.mr_enclave, id->mr_enclave, sizeof(bid.mr_enclave)) == 0 &&
	     bid.flags == id->flags && bid.xfrm == id->xfrm;
	FK_WIPE(bid);
	return ok;
}

static fusekey_status gr_create_report(struct fk_platform *p,
				       const struct fk_sgx_target_info *target_info,
				       const uint8_t *report_data, struct fk_sgx_report *report)
{
	struct gramine *g = gramine_of(p);
	fusekey_status st = pf_report(&g->io, target_info, report_data, report);

	/* A report of another enclave means the files are not (or no longer)
	 * this enclave's /dev/attestation: never hand it out. */
	if (st == FUSEKEY_OK && !body_is_ours(&report->body, &g->id)) {
		memset(report, 0, sizeof(*report));
		st = FUSEKEY_ERR_UNEXPECTED;
	}
	return st;
}

/*
 * Verify a report made for us (sgx.md §4): EGETKEY{REPORT, key_id =
 * report.key_id, everything else 0}, AES-128-CMAC over body[0,384), constant
 * time compare. Every failure is the one MAC_MISMATCH.
 */
static fusekey_status gr_verify_report(struct fk_platform *p, const struct fk_sgx_report *report)
{
	struct gramine *g = gramine_of(p);
	_Alignas(512) struct fk_sgx_key_request req;
	_Alignas(16) uint8_t key[FK_SGX_KEY_SIZE];
	uint8_t mac[FK_SGX_MAC_SIZE];
	fusekey_status st = FUSEKEY_ERR_MAC_MISMATCH;

	memset(&req, 0, sizeof(req));
	memset(key, 0, sizeof(key));
	memset(mac, 0, sizeof(mac));
	/* _Alignas above: EGETKEY's operands must be aligned (SDM EGETKEY: #GP otherwise). */
	fk_put_le16(req.key_name, FK_SGX_KEYNAME_REPORT);
	memcpy(req.key_id, report->key_id, sizeof(req.key_id));
	if (g->io.egetkey(g->io.ctx, &req, key) != EGETKEY_OK)
		goto out;
	if (fk_cmac128(key, &report->body, sizeof(report->body), mac) != FUSEKEY_OK)
		goto out;
	if (fk_ct_equal(mac, report->mac, sizeof(mac)))
		st = FUSEKEY_OK;
out:
	FK_WIPE(key);
	FK_WIPE(mac);
	FK_WIPE(req);
	return st;
}

static fusekey_status egetkey_status(uint32_t eax)
{
	switch (eax) {
	case EGETKEY_OK:
		return FUSEKEY_OK;
	case EGETKEY_INVALID_ATTRIBUTE:
		return FUSEKEY_ERR_INVALID_ATTRIBUTE;
	case EGETKEY_INVALID_CPUSVN:
		return FUSEKEY_ERR_INVALID_CPUSVN;
	case EGETKEY_INVALID_ISVSVN:
		return FUSEKEY_ERR_INVALID_ISVSVN;
	case EGETKEY_INVALID_KEYNAME:
		return FUSEKEY_ERR_INVALID_KEYNAME;
	default:
		return FUSEKEY_ERR_UNEXPECTED;
	}
}

/*
 * sgx_get_key (sgx.md §7): the request is copied into the aligned buffer
 * first and the parameter pre-checks run on that copy (what is checked is
 * what the instruction gets; it would #GP on what they refuse), then EGETKEY;
 * statuses as the SDK maps them.
 */
static fusekey_status gr_get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
				 uint8_t key[FK_SGX_KEY_SIZE])
{
	struct gramine *g = gramine_of(p);
	_Alignas(512) struct fk_sgx_key_request areq;
	_Alignas(16) uint8_t akey[FK_SGX_KEY_SIZE];
	fusekey_status st;

	memset(akey, 0, sizeof(akey));
	fk_wipe(key, FK_SGX_KEY_SIZE);
	areq = *req; /* aligned as EGETKEY needs (_Alignas above) */
	st = fk_platform_check_key_request(&areq, &g->id);
	if (st != FUSEKEY_OK)
		goto out;
	st = egetkey_status(g->io.egetkey(g->io.ctx, &areq, akey));
	if (st == FUSEKEY_OK)
		memcpy(key, akey, FK_SGX_KEY_SIZE);
out:
	if (st != FUSEKEY_OK)
		fk_wipe(key, FK_SGX_KEY_SIZE);
	FK_WIPE(akey);
	FK_WIPE(areq);
	return st;
}

static fusekey_status gr_identity(struct fk_platform *p, struct fk_sgx_identity *id)
{
	*id = gramine_of(p)->id;
	return FUSEKEY_OK;
}

static fusekey_status gr_cpu_svn(struct fk_platform *p, uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	memcpy(cpu_svn, gramine_of(p)->cpu_svn, FK_SGX_CPUSVN_SIZE);
	return FUSEKEY_OK;
}

static void gr_destroy(struct fk_platform *p)
{
	struct gramine *g = gramine_of(p);

	if (g->io.destroy != NULL)
		g->io.destroy(g->io.ctx);
	fk_wipe(g, sizeof(*g));
	free(g);
}

static const struct fk_platform_ops gramine_ops = {
	.name = "gramine",
	.self_target = gr_self_target,
	.create_report = gr_create_report,
	.verify_report = gr_verify_report,
	.get_key = gr_get_key,
	.identity = gr_identity,
	.cpu_svn = gr_cpu_svn,
	.destroy = gr_destroy,
};

/* ---- open, probe, keys ---- */

static bool io_complete(const struct fk_gramine_io *io)
{
	return io->open != NULL && io->read != NULL && io->write != NULL && io->close != NULL &&
	       io->egetkey != NULL;
}

/*
 * What open learns from the files, verified: my_target_info, then a self
 * report targeted at it with fresh random report data (a stale or replayed
 * report cannot match), which must verify with the REPORT key (EGETKEY +
 * CMAC, sgx.md §4) and describe the enclave my_target_info names. Only then
 * are identity and CPUSVN cached, as sgx_self_report does in the SDK.
 */
static fusekey_status load_self(struct gramine *g, const char *root, char *why, size_t why_len)
{
	struct fk_sgx_target_info ti;
	struct fk_sgx_report self;
	struct fk_sgx_identity id;
	uint8_t rd[FK_SGX_REPORT_DATA_SIZE];
	const char *what;
	fusekey_status st;

	memset(&id, 0, sizeof(id));
	if (!target_info_file(&g->io, root, "", &ti, why, why_len))
		return FUSEKEY_ERR_NO_PLATFORM;
	st = fk_random(rd, sizeof(rd));
	if (st != FUSEKEY_OK)
		goto out;
	st = pf_report(&g->io, &ti, rd, &self);
	if (st != FUSEKEY_OK) {
		fk_platform_say(why, why_len, "%s/" F_REPORT ": %s", root,
		    st == FUSEKEY_ERR_UNEXPECTED
			    ? "the self report does not carry the report data just written"
			    : "no self report (writing target_info / user_report_data or "
			      "reading report failed)");
		st = FUSEKEY_ERR_NO_PLATFORM;
		goto out;
	}
	if (gr_verify_report(&g->base, &self) != FUSEKEY_OK) {
		fk_platform_say(why, why_len,
		    "%s: the self report does not verify (EGETKEY REPORT key + CMAC): these are "
		    "not this enclave's Gramine attestation files",
		    root);
		st = FUSEKEY_ERR_MAC_MISMATCH;
		goto out;
	}
	fk_sgx_identity_from_report_body(&self.body, &id);
	what = fk_platform_self_target_mismatch(&ti, &id);
	if (what != NULL) {
		fk_platform_say(why, why_len,
		    "%s: my_target_info and the verified self report describe different enclaves "
		    "(%s)",
		    root, what);
		st = FUSEKEY_ERR_UNEXPECTED;
		goto out;
	}
	g->my_ti = ti;
	g->id = id;
	memcpy(g->cpu_svn, self.body.cpu_svn, sizeof(g->cpu_svn));
out:
	FK_WIPE(self);
	FK_WIPE(ti);
	FK_WIPE(id);
	FK_WIPE(rd);
	return st;
}

fusekey_status fk_gramine_platform_open(const char *root, const struct fk_gramine_io *io,
					struct fk_platform **out, char *why, size_t why_len)
{
	struct gramine *g = NULL;
	char rootbuf[FK_GRAMINE_ROOT_MAX + 1u];
	fusekey_status st;
	int err;

	fk_platform_say(why, why_len, "%s", "");
	if (out != NULL)
		*out = NULL;
	if (out == NULL || (io != NULL && !io_complete(io))) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto fail_io;
	}
	if (!root_copy(root, rootbuf)) {
		fk_platform_say(why, why_len, "the attestation root is empty or longer than %u bytes",
		    FK_GRAMINE_ROOT_MAX);
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto fail_io;
	}
	/* The real instruction: refuse before anything can execute it. */
	if (io == NULL && !real_enclu_usable(why, why_len))
		return FUSEKEY_ERR_NO_PLATFORM;
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto fail_io;
	}
	g->base.ops = &gramine_ops;
	g->base.impl = g;
	g->real.dirfd = -1;
	if (io != NULL) {
		g->io = *io; /* from here on gr_destroy releases io->ctx */
	} else {
		err = real_ctx_open(&g->real, rootbuf);
		if (err < 0) {
			say_errno(why, why_len, "", rootbuf, -err);
			gr_destroy(&g->base);
			return FUSEKEY_ERR_NO_PLATFORM;
		}
		real_io(&g->io, &g->real); /* gr_destroy closes the directory */
	}
	g->base.emulated = g->io.emulated;
	st = load_self(g, rootbuf, why, why_len);
	if (st != FUSEKEY_OK) {
		gr_destroy(&g->base);
		return st;
	}
	*out = &g->base;
	return FUSEKEY_OK;

fail_io:
	if (io != NULL && io->destroy != NULL)
		io->destroy(io->ctx);
	return st;
}

fusekey_status fk_gramine_platform_new(const char *root, const struct fk_gramine_io *io,
				       struct fk_platform **out)
{
	return fk_gramine_platform_open(root, io, out, NULL, 0);
}

bool fk_gramine_probe(const char *root, const struct fk_gramine_io *io, char *why, size_t why_len)
{
	char rootbuf[FK_GRAMINE_ROOT_MAX + 1u];

	if (!root_copy(root, rootbuf)) {
		fk_platform_say(why, why_len, "the attestation root is empty or longer than %u bytes",
		    FK_GRAMINE_ROOT_MAX);
		return false;
	}
	if (io == NULL) {
		/* The real io would need ENCLU once opened. */
		if (!fk_enclu_available()) {
			fk_platform_say(why, why_len,
			    "%s: not probed: this build cannot execute ENCLU (Gramine's SGX needs "
			    "x86-64)",
			    rootbuf);
			return false;
		}
		if (!real_target_info_file(rootbuf, "", why, why_len))
			return false;
	} else {
		if (!io_complete(io)) {
			fk_platform_say(why, why_len, "incomplete io table");
			return false;
		}
		if (!target_info_file(io, rootbuf, "", NULL, why, why_len))
			return false;
	}
	/* A file check only: what the files say is verified when the platform
	 * opens (a self report through EGETKEY). */
	fk_platform_say(why, why_len,
	    "%s/" F_MY_TARGET_INFO " answered with %d bytes (not verified until opened)", rootbuf,
	    FK_SGX_TARGET_INFO_SIZE);
	return true;
}

bool fk_gramine_key_name_ok(const char *name)
{
	size_t n;

	if (name == NULL)
		return false;
	n = strnlen(name, FK_GRAMINE_KEY_NAME_MAX + 1u);
	if (n == 0 || n > FK_GRAMINE_KEY_NAME_MAX || name[0] == '_' || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

fusekey_status fk_gramine_install_key(struct fk_platform *p, const char *name,
				      const uint8_t key[16])
{
	char rel[REL_PATH_MAX];
	int n, err;

	if (p == NULL || p->ops != &gramine_ops || key == NULL || !fk_gramine_key_name_ok(name))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	n = snprintf(rel, sizeof(rel), F_KEYS_DIR "%s", name);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	/* keys/<name> exists only for names the manifest declares (platforms.md
	 * §2.1): ENOENT at open; EACCES / EPERM if Gramine refuses the write.
	 * Under the report lock: the pseudo-files are one per process. */
	if (pthread_mutex_lock(&report_lock) != 0)
		return FUSEKEY_ERR_UNEXPECTED;
	err = pf_write(&gramine_of(p)->io, rel, key, FK_SGX_KEY_SIZE);
	(void)pthread_mutex_unlock(&report_lock);
	if (err == 0)
		return FUSEKEY_OK;
	if (err == -EACCES || err == -ENOENT || err == -EPERM)
		return FUSEKEY_ERR_NOT_FOUND;
	return FUSEKEY_ERR_IO;
}
