/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Occlum platform (see fk_occlum.h): the fk_platform operations as ioctls
 * on Occlum's /dev/sgx (platforms.md §1.1).
 *
 * Occlum's handlers are thin wrappers over the SDK's trusted runtime and turn
 * every failure into EINVAL. To give the same precise errors as the SDK and the
 * emulated platform, get_key re-runs EGETKEY's checks on the request in the
 * SDM's order (sgx.md §3) against the identity of our own report, and only
 * asks the device what the request alone cannot tell (is this CPUSVN beyond
 * the platform's?). The request itself always goes to the device unchanged:
 * building it fully populated is the job of the callers (fk_seal,
 * fk_method_derive use the SDK default masks and our own CPUSVN / ISVSVN /
 * CONFIGSVN, platforms.md §1.1 "GET_KEY must be fully populated").
 */
#include "platform/fk_occlum.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- ABI pins (platforms.md §1.1) ---- */

/* x86-64 _IOC encoding: dir (2 bits: 1 write, 2 read) << 30 | size << 16 | type << 8 | nr. */
#define FK_OCC_IOC(dir, size, nr) \
	((unsigned long)(dir) << 30 | (unsigned long)(size) << 16 | (unsigned long)'s' << 8 | (nr))
enum { OCC_W = 1, OCC_R = 2, OCC_RW = 3 };

/* Occlum is x86-64 only: the pointers in the argument structs are 8 bytes. */
_Static_assert(sizeof(struct fk_occlum_create_report_arg) == 24, "sgxioc_create_report_arg_t");
_Static_assert(offsetof(struct fk_occlum_create_report_arg, target_info) == 0, "target_info");
_Static_assert(offsetof(struct fk_occlum_create_report_arg, report_data) == 8, "report_data");
_Static_assert(offsetof(struct fk_occlum_create_report_arg, report) == 16, "report");
_Static_assert(sizeof(struct fk_occlum_get_key_arg) == 16, "sgxioc_get_key_arg_t");
_Static_assert(offsetof(struct fk_occlum_get_key_arg, key_request) == 0, "key_request");
_Static_assert(offsetof(struct fk_occlum_get_key_arg, key) == 8, "key");
/* The numbers are what the encoding gives for these argument sizes. */
_Static_assert(FK_OCCLUM_IOC_IS_EDMM_SUPPORTED == FK_OCC_IOC(OCC_R, sizeof(int), 0), "EDMM");
_Static_assert(FK_OCCLUM_IOC_SELF_TARGET ==
		       FK_OCC_IOC(OCC_R, sizeof(struct fk_sgx_target_info), 3),
	       "SELF_TARGET");
_Static_assert(FK_OCCLUM_IOC_CREATE_REPORT ==
		       FK_OCC_IOC(OCC_RW, sizeof(struct fk_occlum_create_report_arg), 4),
	       "CREATE_REPORT");
_Static_assert(FK_OCCLUM_IOC_VERIFY_REPORT == FK_OCC_IOC(OCC_W, sizeof(struct fk_sgx_report), 5),
	       "VERIFY_REPORT");
_Static_assert(FK_OCCLUM_IOC_GET_KEY ==
		       FK_OCC_IOC(OCC_RW, sizeof(struct fk_occlum_get_key_arg), 11),
	       "GET_KEY");

/* ---- the real device ---- */

/*
 * The error real_open gives for a path that is not a character device. open(2)
 * itself never fails with ENOTTY, so the probe can say what it means.
 */
#define NOT_A_CHAR_DEVICE ENOTTY

static int real_open(void *ctx, const char *path)
{
	struct stat sb;
	int fd;

	(void)ctx;
	/* Occlum's /dev/sgx is a character device of mode 0666 (dev_sgx: FileType::
	 * CharDevice); read(2)/write(2) on it are EPERM, only ioctls work. Never
	 * block (a FIFO in its place), never take a terminal. */
	do {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -(errno != 0 ? errno : EIO);
	/* Anything else (a regular file, a FIFO, a socket) is not Occlum's
	 * device: refuse it before any ioctl reaches it. */
	if (fstat(fd, &sb) != 0 || !S_ISCHR(sb.st_mode)) {
		(void)close(fd);
		return -NOT_A_CHAR_DEVICE;
	}
	return fd;
}

static int real_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	int r;
	(void)ctx;
#ifdef __GLIBC__
	r = ioctl(fd, request, arg);
#else
	/* musl (occlum-gcc) declares ioctl(int, int, ...). */
	r = ioctl(fd, (int)request, arg);
#endif
	return r >= 0 ? 0 : -(errno != 0 ? errno : EIO);
}

static void real_close(void *ctx, int fd)
{
	(void)ctx;
	(void)close(fd);
}

static void real_io(struct fk_occlum_io *io)
{
	memset(io, 0, sizeof(*io));
	io->open = real_open;
	io->ioctl = real_ioctl;
	io->close = real_close;
}

static bool io_valid(const struct fk_occlum_io *io)
{
	return io->open != NULL && io->ioctl != NULL && io->close != NULL;
}

/* ---- the platform ---- */

struct occlum {
	struct fk_platform base; /* first: fk_platform* <-> struct occlum* */
	struct fk_occlum_io io;
	int fd;
	struct fk_sgx_identity id; /* from our own report (open) */
	uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE];
};

static struct occlum *occ_of(struct fk_platform *p)
{
	return (struct occlum *)p;
}

static int occ_ioctl(struct occlum *o, unsigned long request, void *arg)
{
	return o->io.ioctl(o->io.ctx, o->fd, request, arg);
}

/* A failed ioctl as a status. Occlum reports every SGX failure as EINVAL
 * (src/libos/src/util/sgx): the caller says what EINVAL means for its call. */
static fusekey_status ioctl_status(int rc, fusekey_status on_einval)
{
	if (rc == -EINVAL)
		return on_einval;
	if (rc == -ENOMEM)
		return FUSEKEY_ERR_NO_MEMORY;
	if (rc < 0)
		return FUSEKEY_ERR_IO;
	return FUSEKEY_ERR_UNEXPECTED; /* not the ABI: 0 or -errno */
}

static fusekey_status occ_self_target(struct fk_platform *p, struct fk_sgx_target_info *ti)
{
	_Alignas(512) struct fk_sgx_target_info ati; /* EREPORT's TARGETINFO alignment */
	int rc;

	memset(&ati, 0, sizeof(ati));
	rc = occ_ioctl(occ_of(p), FK_OCCLUM_IOC_SELF_TARGET, &ati);
	if (rc != 0) {
		memset(ti, 0, sizeof(*ti));
		return ioctl_status(rc, FUSEKEY_ERR_UNEXPECTED);
	}
	*ti = ati;
	return FUSEKEY_OK;
}

static fusekey_status occ_create_report(struct fk_platform *p,
					const struct fk_sgx_target_info *target_info,
					const uint8_t *report_data, struct fk_sgx_report *report)
{
	/* EREPORT alignments: TARGETINFO 512, REPORTDATA 128, OUTPUTDATA 512 (SDM). */
	_Alignas(512) struct fk_sgx_target_info ati;
	_Alignas(128) uint8_t ard[FK_SGX_REPORT_DATA_SIZE];
	_Alignas(512) struct fk_sgx_report arep;
	struct fk_occlum_create_report_arg arg;
	int rc;

	memset(&arep, 0, sizeof(arep));
	/* NULL stays NULL: Occlum passes it to sgx_create_report, which uses zeros. */
	arg.target_info = NULL;
	arg.report_data = NULL;
	arg.report = &arep;
	if (target_info != NULL) {
		ati = *target_info;
		arg.target_info = &ati;
	}
	if (report_data != NULL) {
		memcpy(ard, report_data, sizeof(ard));
		arg.report_data = ard;
	}
	rc = occ_ioctl(occ_of(p), FK_OCCLUM_IOC_CREATE_REPORT, &arg);
	if (rc != 0) {
		memset(report, 0, sizeof(*report));
		return ioctl_status(rc, FUSEKEY_ERR_UNEXPECTED);
	}
	*report = arep;
	return FUSEKEY_OK;
}

static fusekey_status occ_verify_report(struct fk_platform *p, const struct fk_sgx_report *report)
{
	_Alignas(512) struct fk_sgx_report arep = *report;
	int rc = occ_ioctl(occ_of(p), FK_OCCLUM_IOC_VERIFY_REPORT, &arep);

	/* sgx_verify_report's MAC_MISMATCH (and INVALID_PARAMETER) arrive as EINVAL:
	 * the report was not made for us here. Anything else fails closed too. */
	return rc == 0 ? FUSEKEY_OK : ioctl_status(rc, FUSEKEY_ERR_MAC_MISMATCH);
}

/* What EGETKEY will say about a request, as far as the request and our own
 * identity decide it (sgx.md §3, checks 4-5 in the SDM's order). */
enum verdict {
	V_OK,          /* the instruction should succeed */
	V_KEYNAME,     /* unknown key name */
	V_ATTRIBUTE,   /* PROVISION / EINITTOKEN key without its attribute */
	V_ISVSVN,      /* ISVSVN or CONFIGSVN above ours, CPUSVN is ours */
	V_CPUSVN,      /* CPUSVN not ours: the device decides whether it is beyond */
	V_CPUSVN_SVN,  /* both: CPUSVN is checked first, the device must say which */
};

static enum verdict egetkey_verdict(const struct occlum *o,
				    const struct fk_sgx_key_request_fields *f)
{
	bool own_cpusvn = memcmp(f->cpu_svn, o->cpu_svn, sizeof(o->cpu_svn)) == 0;
	bool svn_high;

	switch (f->key_name) {
	case FK_SGX_KEYNAME_REPORT:
		return V_OK; /* the REPORT key checks nothing more */
	case FK_SGX_KEYNAME_EINITTOKEN:
		if (!(o->id.flags & FK_SGX_FLAGS_EINITTOKEN_KEY))
			return V_ATTRIBUTE;
		break;
	case FK_SGX_KEYNAME_PROVISION:
	case FK_SGX_KEYNAME_PROVISION_SEAL:
		if (!(o->id.flags & FK_SGX_FLAGS_PROVISION_KEY))
			return V_ATTRIBUTE;
		break;
	case FK_SGX_KEYNAME_SEAL:
		break;
	default:
		return V_KEYNAME;
	}
	svn_high = f->isv_svn > o->id.isv_svn ||
		   ((f->key_name == FK_SGX_KEYNAME_SEAL ||
		     f->key_name == FK_SGX_KEYNAME_PROVISION_SEAL) &&
		    f->config_svn > o->id.config_svn);
	if (svn_high)
		return own_cpusvn ? V_ISVSVN : V_CPUSVN_SVN;
	return own_cpusvn ? V_OK : V_CPUSVN;
}

/* One GET_KEY through aligned copies (EGETKEY: KEYREQUEST 512, OUTPUTDATA 16). */
static int get_key_ioctl(struct occlum *o, const struct fk_sgx_key_request *req,
			 uint8_t key[FK_SGX_KEY_SIZE])
{
	_Alignas(512) struct fk_sgx_key_request areq = *req;
	_Alignas(16) uint8_t akey[FK_SGX_KEY_SIZE];
	struct fk_occlum_get_key_arg arg = {.key_request = &areq, .key = akey};
	int rc;

	memset(akey, 0, sizeof(akey));
	rc = occ_ioctl(o, FK_OCCLUM_IOC_GET_KEY, &arg);
	if (rc == 0)
		memcpy(key, akey, FK_SGX_KEY_SIZE);
	FK_WIPE(akey);
	FK_WIPE(areq);
	return rc;
}

/*
 * Both CPUSVN and ISVSVN/CONFIGSVN may be wrong, and EGETKEY checks CPUSVN
 * first. Ask the device about the CPUSVN alone: the same request with SVNs it
 * surely accepts (0). Its key is discarded; the caller's request is refused
 * either way.
 */
static fusekey_status cpusvn_or_isvsvn(struct occlum *o, const struct fk_sgx_key_request *req)
{
	struct fk_sgx_key_request probe = *req;
	uint8_t key[FK_SGX_KEY_SIZE];
	int rc;

	fk_put_le16(probe.isv_svn, 0);
	fk_put_le16(probe.config_svn, 0);
	rc = get_key_ioctl(o, &probe, key);
	FK_WIPE(key);
	FK_WIPE(probe);
	if (rc == 0)
		return FUSEKEY_ERR_INVALID_ISVSVN;
	return ioctl_status(rc, FUSEKEY_ERR_INVALID_CPUSVN);
}

static fusekey_status occ_get_key(struct fk_platform *p, const struct fk_sgx_key_request *req,
				  uint8_t key[FK_SGX_KEY_SIZE])
{
	struct occlum *o = occ_of(p);
	struct fk_sgx_key_request r = *req; /* one snapshot for the checks and the ioctl */
	struct fk_sgx_key_request_fields f;
	fusekey_status st;
	int rc;

	memset(&f, 0, sizeof(f));
	fk_wipe(key, FK_SGX_KEY_SIZE);
	/*
	 * sgx_get_key's pre-checks (sgx.md §7): reserved bytes, policy bits 6..15,
	 * and KSS policy bits (0x3C) or CONFIGSVN in an enclave without KSS ->
	 * INVALID_PARAMETER, as the SDK returns, before any ioctl. The CLI reads
	 * the KSS case as "set metadata.enable_kss in Occlum.json" (platforms.md
	 * §1.1 "KSS enablement"): Occlum launches without KSS unless asked.
	 */
	st = fk_platform_check_key_request(&r, &o->id);
	if (st != FUSEKEY_OK)
		goto out;
	fk_sgx_key_request_decode(&r, &f);

	switch (egetkey_verdict(o, &f)) {
	case V_KEYNAME:
		st = FUSEKEY_ERR_INVALID_KEYNAME;
		goto out;
	case V_ATTRIBUTE:
		st = FUSEKEY_ERR_INVALID_ATTRIBUTE;
		goto out;
	case V_ISVSVN:
		st = FUSEKEY_ERR_INVALID_ISVSVN;
		goto out;
	case V_CPUSVN_SVN:
		st = cpusvn_or_isvsvn(o, &r);
		goto out;
	case V_CPUSVN:
		/* Older CPUSVNs are fine (migration); a newer one is EINVAL here. */
		rc = get_key_ioctl(o, &r, key);
		st = rc == 0 ? FUSEKEY_OK : ioctl_status(rc, FUSEKEY_ERR_INVALID_CPUSVN);
		goto out;
	case V_OK:
		rc = get_key_ioctl(o, &r, key);
		/* Nothing in the request explains an EINVAL: fail closed. */
		st = rc == 0 ? FUSEKEY_OK : ioctl_status(rc, FUSEKEY_ERR_UNEXPECTED);
		goto out;
	}
	st = FUSEKEY_ERR_UNEXPECTED;
out:
	if (st != FUSEKEY_OK)
		fk_wipe(key, FK_SGX_KEY_SIZE);
	FK_WIPE(f);
	FK_WIPE(r);
	return st;
}

static fusekey_status occ_identity(struct fk_platform *p, struct fk_sgx_identity *id)
{
	*id = occ_of(p)->id;
	return FUSEKEY_OK;
}

static fusekey_status occ_cpu_svn(struct fk_platform *p, uint8_t cpu_svn[FK_SGX_CPUSVN_SIZE])
{
	memcpy(cpu_svn, occ_of(p)->cpu_svn, FK_SGX_CPUSVN_SIZE);
	return FUSEKEY_OK;
}

static void occ_destroy(struct fk_platform *p)
{
	struct occlum *o = occ_of(p);

	if (o->fd >= 0)
		o->io.close(o->io.ctx, o->fd);
	if (o->io.destroy != NULL)
		o->io.destroy(o->io.ctx);
	fk_wipe(o, sizeof(*o));
	free(o);
}

static const struct fk_platform_ops occlum_ops = {
	.name = "occlum",
	.self_target = occ_self_target,
	.create_report = occ_create_report,
	.verify_report = occ_verify_report,
	.get_key = occ_get_key,
	.identity = occ_identity,
	.cpu_svn = occ_cpu_svn,
	.destroy = occ_destroy,
};

/* Identity and CPUSVN from our own report (as sgx_self_report does: zero target
 * info, zero report data), checked against SELF_TARGET. */
static fusekey_status load_self(struct occlum *o)
{
	struct fk_sgx_target_info ti;
	struct fk_sgx_report rep;
	fusekey_status st;

	st = occ_self_target(&o->base, &ti);
	if (st != FUSEKEY_OK)
		return FUSEKEY_ERR_NO_PLATFORM; /* not Occlum's /dev/sgx */
	st = occ_create_report(&o->base, NULL, NULL, &rep);
	if (st != FUSEKEY_OK)
		return st;
	fk_sgx_identity_from_report_body(&rep.body, &o->id);
	memcpy(o->cpu_svn, rep.body.cpu_svn, sizeof(o->cpu_svn));
	/* The two must describe one enclave, or the device is not what it claims:
	 * every field sgx_self_target fills (MRENCLAVE, ATTRIBUTES, CONFIGSVN,
	 * MISCSELECT, CONFIGID; not the CET byte, which it leaves 0). */
	if (fk_platform_self_target_mismatch(&ti, &o->id) != NULL)
		return FUSEKEY_ERR_UNEXPECTED;
	return FUSEKEY_OK;
}

fusekey_status fk_occlum_platform_new(const char *device, const struct fk_occlum_io *io,
				      struct fk_platform **out)
{
	struct occlum *o = NULL;
	fusekey_status st;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || (io != NULL && !io_valid(io))) {
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		goto fail;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto fail;
	}
	o->base.ops = &occlum_ops;
	o->base.impl = o;
	o->fd = -1;
	if (io != NULL)
		o->io = *io; /* ctx owned from here on: destroyed with o */
	else
		real_io(&o->io);
	o->base.emulated = o->io.emulated;

	o->fd = o->io.open(o->io.ctx, device != NULL ? device : FK_OCCLUM_DEVICE);
	if (o->fd < 0) {
		o->fd = -1;
		fk_platform_destroy(&o->base);
		return FUSEKEY_ERR_NO_PLATFORM;
	}
	st = load_self(o);
	if (st != FUSEKEY_OK) {
		fk_platform_destroy(&o->base);
		return st;
	}
	*out = &o->base;
	return FUSEKEY_OK;
fail:
	/* io->ctx is ours even when we never got to use it. */
	if (io != NULL && io->destroy != NULL)
		io->destroy(io->ctx);
	return st;
}

bool fk_occlum_probe(const char *device, const struct fk_occlum_io *io, char *why, size_t why_len)
{
	_Alignas(512) struct fk_sgx_target_info ti;
	struct fk_occlum_io rio;
	const char *dev = device != NULL ? device : FK_OCCLUM_DEVICE;
	int fd, rc;

	fk_platform_say(why, why_len, "%s: not probed", dev);
	if (io == NULL) {
		real_io(&rio);
		io = &rio;
	} else if (!io_valid(io)) {
		fk_platform_say(why, why_len, "%s: no device functions", dev);
		return false;
	}
	fd = io->open(io->ctx, dev);
	if (fd < 0) {
		if (fd == -ENOENT)
			fk_platform_say(why, why_len, "%s: no such file", dev);
		else if (fd == -NOT_A_CHAR_DEVICE && io->open == real_open)
			fk_platform_say(why, why_len, "%s: not a character device (Occlum's /dev/sgx is one)",
			    dev);
		else
			fk_platform_say(why, why_len, "%s: cannot open: %s", dev, strerror(-fd));
		return false;
	}
	memset(&ti, 0, sizeof(ti));
	rc = io->ioctl(io->ctx, fd, FK_OCCLUM_IOC_SELF_TARGET, &ti);
	io->close(io->ctx, fd);
	if (rc != 0) {
		fk_platform_say(why, why_len, "%s: SELF_TARGET failed: %s", dev,
		    rc < 0 ? strerror(-rc) : "not an errno");
		return false;
	}
	fk_platform_say(why, why_len, "%s answered SELF_TARGET", dev);
	return true;
}
