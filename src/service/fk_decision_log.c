/* SPDX-License-Identifier: Apache-2.0 */
/* The decision line (fk_decision_log.h). */
#include "service/fk_decision_log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fusekey/fusekey.h"
#include "policy/fk_policy.h"
#include "util/fk_hex.h"

/* The worst line fits (FK_DECISION_LINE_MAX): 6 bytes per escaped outside byte. */
_Static_assert(600u + 6u * (FUSEKEY_CONTAINER_ID_MAX + FK_DECISION_RULE_MAX +
			    sizeof(((struct fk_policy_decision *)0)->detail)) <
		       FK_DECISION_LINE_MAX,
	       "the longest decision line must fit");

struct line {
	char *buf;
	size_t cap, len;
	bool cut; /* too long: the line is dropped rather than written half */
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->cap - l->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= l->cap - l->len)
		l->cut = true;
	else
		l->len += (size_t)n;
}

/* A JSON string: quotes, backslashes and control bytes escaped; bytes >= 0x80 as \u00XX. */
static void put_str(struct line *l, const char *v)
{
	static const char hex[] = "0123456789abcdef";

	if (v == NULL) {
		put(l, "null");
		return;
	}
	put(l, "\"");
	for (const unsigned char *c = (const unsigned char *)v; *c != '\0' && !l->cut; c++) {
		if (*c == '"' || *c == '\\')
			put(l, "\\%c", *c);
		else if (*c < 0x20 || *c >= 0x7f)
			put(l, "\\u00%c%c", hex[*c >> 4], hex[*c & 15]);
		else if (l->len + 1 < l->cap)
			l->buf[l->len++] = (char)*c;
		else
			l->cut = true;
	}
	put(l, "\"");
}

bool fk_decision_format(const struct fk_decision *d, uint64_t decision_id,
			const struct timespec *now, struct fk_decision_clock *clock, char *buf,
			size_t cap)
{
	struct line l = {.buf = buf, .cap = cap};

	if (cap == 0)
		return false;
	if (now->tv_sec != clock->sec || clock->text[0] == '\0') {
		struct tm tm;
		time_t t = now->tv_sec;
		/* An absurd clock (beyond year 9999) gives a fixed text, never a cut one. */
		if (gmtime_r(&t, &tm) == NULL || tm.tm_year > 9999 - 1900 ||
		    strftime(clock->text, sizeof(clock->text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			memcpy(clock->text, "invalid-clock", sizeof("invalid-clock"));
		clock->sec = now->tv_sec;
	}
	put(&l, "{\"time\":\"%s\",\"event\":\"key_release\",\"decision_id\":%" PRIu64
		",\"decision\":\"%s\",\"reason\":",
	    clock->text, decision_id, d->released ? "released" : "refused");
	put_str(&l, d->reason);
	if (d->detail != NULL) {
		put(&l, ",\"detail\":");
		put_str(&l, d->detail);
	}
	put(&l, ",\"container\":");
	put_str(&l, d->cid);
	if (d->rule != NULL) {
		put(&l, ",\"rule\":");
		put_str(&l, d->rule);
	}
	put(&l, ",\"peer\":{");
	if (d->peer != NULL && d->peer->tcp) /* loopback TCP: no credentials to log */
		put(&l, "\"transport\":\"tcp\",\"conn\":%" PRIu64 "%s", (uint64_t)d->peer->conn_id,
		    d->enclave != NULL ? "," : "");
	else if (d->peer != NULL)
		put(&l, "\"uid\":%lu,\"gid\":%lu,\"pid\":%ld,\"conn\":%" PRIu64 "%s",
		    (unsigned long)d->peer->uid, (unsigned long)d->peer->gid, (long)d->peer->pid,
		    (uint64_t)d->peer->conn_id, d->enclave != NULL ? "," : "");
	if (d->enclave != NULL) {
		const struct fk_sgx_report_body *b = d->enclave;
		uint64_t flags = fk_le64(b->attributes.flags);
		char mre[2 * FK_SGX_HASH_SIZE + 1], mrs[2 * FK_SGX_HASH_SIZE + 1];

		fk_hex_encode(b->mr_enclave, FK_SGX_HASH_SIZE, mre);
		fk_hex_encode(b->mr_signer, FK_SGX_HASH_SIZE, mrs);
		put(&l,
		    "\"mr_enclave\":\"%s\",\"mr_signer\":\"%s\",\"isv_prod_id\":%u,"
		    "\"isv_svn\":%u,\"debug\":%s",
		    mre, mrs, fk_le16(b->isv_prod_id), fk_le16(b->isv_svn),
		    (flags & FK_SGX_FLAGS_DEBUG) ? "true" : "false");
	}
	put(&l, "}}");
	if (l.cut)
		buf[0] = '\0';
	return !l.cut;
}
