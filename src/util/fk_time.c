/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fk_time.h"

#include <limits.h>
#include <time.h>

uint64_t fk_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t fk_deadline_after(int64_t timeout_ns)
{
	uint64_t now = fk_mono_ns();
	if (timeout_ns <= 0)
		return 0;
	return now + (uint64_t)timeout_ns < now ? UINT64_MAX : now + (uint64_t)timeout_ns;
}

int fk_ms_until(uint64_t deadline)
{
	uint64_t now, ms;
	if (deadline == 0)
		return -1;
	now = fk_mono_ns();
	if (now >= deadline)
		return 0;
	ms = (deadline - now + 999999u) / 1000000u;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}
