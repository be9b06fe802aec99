/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEST ONLY: an in-memory Gramine /dev/attestation plus an emulated
 * ENCLU[EGETKEY], over any fk_platform (normally the emulated one), injected
 * into fk_gramine through struct fk_gramine_io. Behaviour as Gramine's
 * attestation.c (platforms.md §2.1): user_report_data and target_info writes
 * zero-padded/truncated, report = EREPORT(target_info, user_report_data),
 * my_target_info read-only, keys/<name> present only for declared names
 * (undeclared: ENOENT at open, as Gramine's lookup fails) and writable only
 * with 16 bytes (else EACCES), attestation_type "none" (so no quote file).
 * Never linked into libfusekey or the installed tools.
 */
#ifndef GRAMINE_EMU_H
#define GRAMINE_EMU_H

#include "platform/fk_gramine.h"

struct gramine_emu;

/* backing is owned by the emulator from here on (even on failure). */
fusekey_status gramine_emu_new(struct fk_platform *backing, struct gramine_emu **out);
/* Fill io so that fk_gramine uses this emulator; io->destroy frees it. */
void gramine_emu_io(struct gramine_emu *e, struct fk_gramine_io *io);
void gramine_emu_free(struct gramine_emu *e);

/* A manifest key_name (fs.mounts type "encrypted"): keys/<name> becomes writable. */
fusekey_status gramine_emu_declare_key(struct gramine_emu *e, const char *name);
/* The key last written to keys/<name>; false if none. */
bool gramine_emu_installed_key(const struct gramine_emu *e, const char *name, uint8_t key[16]);
/* Calls of the emulated EGETKEY so far. */
unsigned gramine_emu_egetkey_calls(const struct gramine_emu *e);
/*
 * EGETKEY calls real hardware would have answered with #GP (misaligned
 * buffers, reserved bytes, policy bits: the platform must pre-check those).
 * The emulator returns 0xFFFFFFFF for them instead of killing the test.
 */
unsigned gramine_emu_faults(const struct gramine_emu *e);
/*
 * Short reads: from now on every read first fails once with -EINTR, then
 * returns at most chunk bytes (0 = back to whole reads).
 */
void gramine_emu_set_short_reads(struct gramine_emu *e, size_t chunk);
/*
 * Forged reports: from now on `report` hands out the report with one bit of
 * its MAC flipped (what a directory of plain files would give: a report no
 * EGETKEY vouches for). false = genuine reports again.
 */
void gramine_emu_tamper_reports(struct gramine_emu *e, bool on);
/*
 * Reports made by another enclave: from now on `report` is EREPORT of
 * reporter (owned by the emulator from here on) for the target_info and
 * user_report_data written, so its MAC is genuine for that target but the
 * body is not the backing's; my_target_info stays the backing's. NULL = the
 * backing again.
 */
void gramine_emu_set_reporter(struct gramine_emu *e, struct fk_platform *reporter);

#endif
