/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Memory for secrets that live long (fusekeyd's keys and open sessions):
 * its own anonymous mapping, locked in RAM (mlock: never written to swap)
 * and excluded from core dumps (MADV_DONTDUMP). Wiped before it is unmapped.
 */
#ifndef FK_SECMEM_H
#define FK_SECMEM_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/fk_crypto.h"

/*
 * n bytes, zeroed, page-aligned. *locked says whether the mapping is both
 * locked (mlock can fail under RLIMIT_MEMLOCK) and excluded from core dumps
 * (a libOS such as Gramine may not implement MADV_DONTDUMP: EINVAL/ENOSYS is
 * accepted there); when false the caller decides, and should say so. NULL
 * when the mapping fails, or MADV_DONTDUMP fails for any other reason.
 */
void *fk_secmem_alloc(size_t n, bool *locked);
/* Wipe, unlock and unmap; NULL allowed. n as given to fk_secmem_alloc. */
void fk_secmem_free(void *p, size_t n);

#endif
