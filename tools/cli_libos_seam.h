/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A seam of the CLI that is not in the production path (issue 6, point 4).
 *
 * cli_platform_open calls cli_libos_seam right after it opened the EMULATED
 * platform (--platform sim) as an enclave. Two implementations exist, and a
 * binary links exactly one:
 *   tools/cli_libos_seam_real.c  fusekey, fusekeyd (installed): does nothing
 *   tests/seams/cli_seam_emu.c   fusekey-libos-emu, fusekeyd-libos-emu (test
 *                                only, never installed): with
 *                                FUSEKEY_TEST_LIBOS=occlum|gramine, puts the
 *                                Occlum or Gramine backend over an emulated
 *                                /dev/sgx or /dev/attestation on top of the
 *                                emulated platform, so that every enclave
 *                                operation of the CLI runs through that
 *                                backend's code
 * The real platforms (Gramine, Occlum) never pass through here.
 */
#ifndef FK_CLI_LIBOS_SEAM_H
#define FK_CLI_LIBOS_SEAM_H

#include "platform/fk_platform.h"

/*
 * *p: the emulated platform just opened. The seam may replace it by a
 * platform that owns it. gramine_dir: the Gramine root the CLI resolved
 * (--gramine-dir, FUSEKEY_GRAMINE_DIR or /dev/attestation). On failure the
 * seam has freed the platform and *p is NULL; an error was printed.
 */
fusekey_status cli_libos_seam(const char *gramine_dir, struct fk_platform **p);

#endif
