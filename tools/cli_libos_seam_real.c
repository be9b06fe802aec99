/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The production side of the CLI's libOS seam (cli_libos_seam.h): nothing.
 * The emulated platform stays the emulated platform; the test-only binaries
 * link tests/seams/cli_seam_emu.c instead of this file.
 */
#include "cli_libos_seam.h"

fusekey_status cli_libos_seam(const char *gramine_dir, struct fk_platform **p)
{
	(void)gramine_dir;
	return (p != NULL && *p != NULL) ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_PARAMETER;
}
