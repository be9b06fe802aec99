/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEST ONLY: an emulated Occlum /dev/sgx (see occlum_emu.h).
 *
 * Dispatch follows Occlum's DevSgx::ioctl (platforms.md §1.1): the command's
 * number selects the handler, the argument is cast to the type the handler
 * expects after checking that the size encoded in the command is that type's
 * (Occlum's arg::<T>() check: a mismatch is EINVAL), unknown numbers are
 * ENOSYS. Every SGX failure of a handler is EINVAL, as in Occlum's
 * src/libos/src/util/sgx wrappers; GET_KEY leaves the caller's key untouched
 * on failure (Occlum assigns it only on success).
 */
#include "occlum_emu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

enum {
	EMU_FD_BASE = 100,
	EMU_MAX_FDS = 32,
};

/* The commands the emulator knows, by number (nr) with their argument size. */
struct emu_cmd {
	unsigned long request;
	unsigned nr;
	size_t arg_size;
};

static const struct emu_cmd emu_cmds[] = {
	{FK_OCCLUM_IOC_IS_EDMM_SUPPORTED, 0, sizeof(int)},
	{FK_OCCLUM_IOC_SELF_TARGET, 3, sizeof(struct fk_sgx_target_info)},
	{FK_OCCLUM_IOC_CREATE_REPORT, 4, sizeof(struct fk_occlum_create_report_arg)},
	{FK_OCCLUM_IOC_VERIFY_REPORT, 5, sizeof(struct fk_sgx_report)},
	{FK_OCCLUM_IOC_GET_KEY, 11, sizeof(struct fk_occlum_get_key_arg)},
};
enum { EMU_NCMDS = sizeof(emu_cmds) / sizeof(emu_cmds[0]) };

_Static_assert(sizeof(struct fk_occlum_create_report_arg) == 24, "create_report arg");
_Static_assert(sizeof(struct fk_occlum_get_key_arg) == 16, "get_key arg");

struct occlum_emu {
	struct fk_platform *backing;
	uint32_t open_fds; /* bit i: fd EMU_FD_BASE + i is open */
	unsigned calls[EMU_NCMDS];
	unsigned other_calls; /* numbers not in emu_cmds */
	struct fk_sgx_key_request last_req;
	bool have_last_req;
	bool fail_armed;
	unsigned long fail_request;
	int fail_err;
};

fusekey_status occlum_emu_new(struct fk_platform *backing, struct occlum_emu **out)
{
	struct occlum_emu *e;

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

void occlum_emu_free(struct occlum_emu *e)
{
	if (e == NULL)
		return;
	fk_platform_destroy(e->backing);
	fk_wipe(e, sizeof(*e));
	free(e);
}

static int emu_open(void *ctx, const char *path)
{
	struct occlum_emu *e = ctx;

	if (path == NULL || strcmp(path, FK_OCCLUM_DEVICE) != 0)
		return -ENOENT;
	for (int i = 0; i < EMU_MAX_FDS; i++)
		if (!(e->open_fds & (1u << i))) {
			e->open_fds |= 1u << i;
			return EMU_FD_BASE + i;
		}
	return -EMFILE;
}

static bool fd_open(const struct occlum_emu *e, int fd)
{
	return fd >= EMU_FD_BASE && fd < EMU_FD_BASE + EMU_MAX_FDS &&
	       (e->open_fds & (1u << (fd - EMU_FD_BASE)));
}

static void emu_close(void *ctx, int fd)
{
	struct occlum_emu *e = ctx;

	if (fd_open(e, fd))
		e->open_fds &= ~(1u << (fd - EMU_FD_BASE));
}

static void emu_destroy(void *ctx)
{
	occlum_emu_free(ctx);
}

/* Occlum's handlers, over the backing platform. */
static int do_self_target(struct occlum_emu *e, struct fk_sgx_target_info *ti)
{
	return fk_platform_self_target(e->backing, ti) == FUSEKEY_OK ? 0 : -EINVAL;
}

static int do_create_report(struct occlum_emu *e, struct fk_occlum_create_report_arg *a)
{
	static const struct fk_sgx_target_info zero_ti;
	static const uint8_t zero_rd[FK_SGX_REPORT_DATA_SIZE];
	struct fk_sgx_report rep;

	if (a->report == NULL)
		return -EINVAL; /* "output pointer for report must not be null" */
	/* NULL target info / report data: sgx_create_report uses zeros. */
	if (fk_platform_create_report(e->backing, a->target_info ? a->target_info : &zero_ti,
				      a->report_data ? a->report_data : zero_rd,
				      &rep) != FUSEKEY_OK)
		return -EINVAL;
	*a->report = rep;
	return 0;
}

static int do_verify_report(struct occlum_emu *e, const struct fk_sgx_report *rep)
{
	/* sgx_verify_report: MAC_MISMATCH -> EINVAL. */
	return fk_platform_verify_report(e->backing, rep) == FUSEKEY_OK ? 0 : -EINVAL;
}

static int do_get_key(struct occlum_emu *e, struct fk_occlum_get_key_arg *a)
{
	uint8_t key[FK_SGX_KEY_SIZE];
	int rc = 0;

	if (a->key_request == NULL || a->key == NULL)
		return -EINVAL;
	e->last_req = *a->key_request;
	e->have_last_req = true;
	/* sgx_get_key on the request unchanged; every failure is EINVAL. */
	if (fk_platform_get_key(e->backing, a->key_request, key) != FUSEKEY_OK)
		rc = -EINVAL;
	else
		memcpy(a->key, key, sizeof(key));
	fk_wipe(key, sizeof(key));
	return rc;
}

static int emu_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct occlum_emu *e = ctx;
	const struct emu_cmd *cmd = NULL;
	int i;

	if (!fd_open(e, fd))
		return -EBADF;
	for (i = 0; i < EMU_NCMDS; i++)
		if (emu_cmds[i].nr == _IOC_NR(request) && _IOC_TYPE(request) == 's') {
			cmd = &emu_cmds[i];
			break;
		}
	if (cmd == NULL) {
		e->other_calls++;
		return -ENOSYS; /* "unknown ioctl cmd for /dev/sgx" */
	}
	e->calls[i]++;
	if (e->fail_armed && e->fail_request == request) {
		e->fail_armed = false;
		/* A failing GET_KEY scribbles on its output: the backend must not pass it on. */
		if (request == FK_OCCLUM_IOC_GET_KEY && arg != NULL &&
		    ((struct fk_occlum_get_key_arg *)arg)->key != NULL)
			memset(((struct fk_occlum_get_key_arg *)arg)->key, 0x5A, 16);
		return e->fail_err > 0 ? -e->fail_err : (e->fail_err < 0 ? e->fail_err : -EIO);
	}
	/* Occlum casts the argument only after checking its size (and we the direction). */
	if (request != cmd->request || _IOC_SIZE(request) != cmd->arg_size)
		return -EINVAL;
	if (arg == NULL)
		return -EFAULT;
	switch (cmd->nr) {
	case 0:
		*(int *)arg = 0; /* no EDMM */
		return 0;
	case 3:
		return do_self_target(e, arg);
	case 4:
		return do_create_report(e, arg);
	case 5:
		return do_verify_report(e, arg);
	case 11:
		return do_get_key(e, arg);
	default:
		return -ENOSYS;
	}
}

void occlum_emu_io(struct occlum_emu *e, struct fk_occlum_io *io)
{
	memset(io, 0, sizeof(*io));
	io->open = emu_open;
	io->ioctl = emu_ioctl;
	io->close = emu_close;
	io->destroy = emu_destroy;
	io->ctx = e;
	io->emulated = e->backing->emulated;
}

unsigned occlum_emu_calls(const struct occlum_emu *e, unsigned long request)
{
	for (int i = 0; i < EMU_NCMDS; i++)
		if (emu_cmds[i].request == request)
			return e->calls[i];
	return e->other_calls;
}

bool occlum_emu_last_key_request(const struct occlum_emu *e, struct fk_sgx_key_request *out)
{
	if (!e->have_last_req)
		return false;
	*out = e->last_req;
	return true;
}

void occlum_emu_fail_next(struct occlum_emu *e, unsigned long request, int err)
{
	e->fail_armed = true;
	e->fail_request = request;
	e->fail_err = err;
}

unsigned occlum_emu_open_fds(const struct occlum_emu *e)
{
	unsigned n = 0;
	for (uint32_t m = e->open_fds; m != 0; m &= m - 1)
		n++;
	return n;
}
