/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fk_secmem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t round_to_pages(size_t n)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;
	if (n > SIZE_MAX - page)
		return 0;
	return (n + page - 1) / page * page;
}

void *fk_secmem_alloc(size_t n, bool *locked)
{
	size_t len = round_to_pages(n);
	bool dump_excluded = true;
	void *p;

	if (locked != NULL)
		*locked = false;
	if (n == 0 || len == 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/*
	 * A libOS may not implement the advice (Gramine: EINVAL). There the
	 * memory is enclave memory, which no host core dump shows in the clear,
	 * and the daemon disables dumps for the whole process anyway: go on,
	 * but report the mapping as not protected. Any other failure: refuse.
	 */
	if (madvise(p, len, MADV_DONTDUMP) != 0) {
		if (errno != EINVAL && errno != ENOSYS) {
			munmap(p, len);
			return NULL;
		}
		dump_excluded = false;
	}
	if (mlock(p, len) == 0 && dump_excluded && locked != NULL)
		*locked = true;
	return p; /* anonymous mappings start zeroed */
}

void fk_secmem_free(void *p, size_t n)
{
	size_t len = round_to_pages(n);

	if (p == NULL || len == 0)
		return;
	fk_wipe(p, len);
	munlock(p, len);
	munmap(p, len);
}
