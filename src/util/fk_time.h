/* SPDX-License-Identifier: Apache-2.0 */
/* Monotonic time for deadlines and timeouts (CLOCK_MONOTONIC, nanoseconds). */
#ifndef FK_TIME_H
#define FK_TIME_H

#include <stdint.h>

uint64_t fk_mono_ns(void);

/* now + timeout_ns, saturating at UINT64_MAX; timeout_ns <= 0: 0 (= no deadline). */
uint64_t fk_deadline_after(int64_t timeout_ns);

/* Milliseconds until deadline for poll/epoll_wait, rounded up so that a wait
 * never ends early: -1 for no deadline (0), 0 when passed, at most INT_MAX. */
int fk_ms_until(uint64_t deadline);

#endif
