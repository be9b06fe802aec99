/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEST ONLY: an emulated Occlum /dev/sgx over any fk_platform (normally the
 * emulated one), injected into fk_occlum through struct fk_occlum_io. It
 * behaves as Occlum's handlers do (platforms.md §1.1): SELF_TARGET ->
 * sgx_self_target, CREATE_REPORT -> sgx_create_report (NULL target/report
 * data = zeros), VERIFY_REPORT -> sgx_verify_report (mismatch -> EINVAL),
 * GET_KEY -> sgx_get_key on the request unchanged (any failure -> EINVAL),
 * unknown numbers -> ENOSYS, a path other than the device -> ENOENT.
 * Never linked into libfusekey or the installed tools.
 */
#ifndef OCCLUM_EMU_H
#define OCCLUM_EMU_H

#include "platform/fk_occlum.h"

struct occlum_emu;

/* backing is owned by the emulator from here on (even on failure). */
fusekey_status occlum_emu_new(struct fk_platform *backing, struct occlum_emu **out);
/* Fill io so that fk_occlum uses this emulator; io->destroy frees it. */
void occlum_emu_io(struct occlum_emu *e, struct fk_occlum_io *io);
void occlum_emu_free(struct occlum_emu *e);

/* Test knobs and observations. */
/* Calls with `request`'s number (any size or direction); unknown numbers are
 * counted together under any request that is not one of the emulated ones. */
unsigned occlum_emu_calls(const struct occlum_emu *e, unsigned long request);
/* The last GET_KEY request as received (to assert it is fully populated); false if none. */
bool occlum_emu_last_key_request(const struct occlum_emu *e, struct fk_sgx_key_request *out);
/* The next call with `request` fails (once) with -err; err is a positive errno
 * (a negative one is taken as is). Counted in occlum_emu_calls all the same. */
void occlum_emu_fail_next(struct occlum_emu *e, unsigned long request, int err);
/* Descriptors opened and not yet closed (a backend must not leak them). */
unsigned occlum_emu_open_fds(const struct occlum_emu *e);

#endif
