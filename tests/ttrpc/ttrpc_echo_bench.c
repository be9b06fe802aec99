/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Echo benchmark over any ttrpc server (informational, no thresholds):
 *   ttrpc_echo_bench SOCKET [SERVICE METHOD [PAYLOAD_BYTES]]
 * defaults fusekey.test.Echo / Echo / 32 (ttrpc_echo_server). Prints the
 * round trip of one client (p50, p99, mean) and the calls per second of
 * one client keeping 50 calls in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ttrpc/fk_ttrpc.h"

enum { ROUND_TRIPS = 20000, WINDOW = 50, PIPELINED = 200000 };

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int wait_ok(struct fk_ttrpc_client *c, uint32_t id, size_t len)
{
	struct fk_ttrpc_result r;
	fusekey_status st = fk_ttrpc_client_wait(c, id, 10000000000LL, &r);
	int ok = st == FUSEKEY_OK && r.code == FK_TTRPC_OK && r.payload_len == len;
	if (!ok)
		fprintf(stderr, "call failed: %s, code %u %s\n", fusekey_status_str(st), r.code,
			r.message != NULL ? r.message : "");
	fk_ttrpc_result_free(&r);
	return ok;
}

int main(int argc, char **argv)
{
	const char *svc = argc > 3 ? argv[2] : "fusekey.test.Echo";
	const char *meth = argc > 3 ? argv[3] : "Echo";
	size_t len = argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 32;
	struct fk_ttrpc_client *c;
	uint64_t *lat, t0, sum = 0;
	uint32_t ids[WINDOW];
	uint8_t *pl;
	fusekey_status st;

	if (argc != 2 && argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s SOCKET [SERVICE METHOD [PAYLOAD_BYTES]]\n", argv[0]);
		return 2;
	}
	pl = calloc(1, len != 0 ? len : 1);
	lat = calloc(ROUND_TRIPS, sizeof(*lat));
	if (pl == NULL || lat == NULL)
		return 1;
	memset(pl, 'e', len);
	st = fk_ttrpc_client_connect(argv[1], &c);
	if (st != FUSEKEY_OK) {
		fprintf(stderr, "connect %s: %s\n", argv[1], fusekey_status_str(st));
		return 1;
	}
	for (int i = 0; i < ROUND_TRIPS; i++) {
		uint32_t id;
		t0 = now_ns();
		if (fk_ttrpc_client_send(c, svc, meth, pl, len, NULL, 0, 0, &id) != FUSEKEY_OK ||
		    !wait_ok(c, id, len))
			return 1;
		lat[i] = now_ns() - t0;
		sum += lat[i];
	}
	qsort(lat, ROUND_TRIPS, sizeof(*lat), cmp_u64);
	printf("echo round trip (%zu B, 1 client): p50 %.1f us, p99 %.1f us, mean %.1f us\n", len,
	       (double)lat[ROUND_TRIPS / 2] / 1e3, (double)lat[ROUND_TRIPS * 99 / 100] / 1e3,
	       (double)sum / ROUND_TRIPS / 1e3);

	/* A window of 50 in flight: wait for the oldest, send the next. */
	t0 = now_ns();
	for (int i = 0; i < PIPELINED + WINDOW; i++) {
		if (i >= WINDOW && !wait_ok(c, ids[i % WINDOW], len))
			return 1;
		if (i < PIPELINED &&
		    fk_ttrpc_client_send(c, svc, meth, pl, len, NULL, 0, 0, &ids[i % WINDOW]) !=
			    FUSEKEY_OK)
			return 1;
	}
	printf("echo pipelined (%zu B, 1 client, %d in flight): %.0f calls/s\n", len, WINDOW,
	       (double)PIPELINED / ((double)(now_ns() - t0) / 1e9));
	fk_ttrpc_client_free(c);
	free(pl);
	free(lat);
	return 0;
}
