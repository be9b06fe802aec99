/* SPDX-License-Identifier: Apache-2.0 */
/*
 * la_app: the app-enclave side of a fusekey.v1.KeyService session, run by
 * the Go interop client (gocli keysession, docs/interop.md) so that a Go
 * peer carries messages our C library made and checks. An enclave on the
 * emulated platform, speaking one line per step on stdin/stdout:
 *
 *   in  "msg1 <hex>"                  -> out "msg2 <hex>"   (initiator, default LA version)
 *   in  "msg3 <hex> record <hex>"     -> out "key <hex>"
 *
 * After msg3 the agent must be the enclave named by --agent-mrenclave
 * (fk_dh_check_peer), and the grant in the record must be for --container.
 * Any failure: one line on stderr, nothing more on stdout, exit 1.
 *
 *   la_app --sim-dir DIR --enclave APP.sig --agent-mrenclave HEX --container CID [--lav1]
 *
 * A test tool: it prints the key, which is what the test compares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/fk_crypto.h"
#include "delivery/fk_api.h"
#include "delivery/fk_wire.h"
#include "la/fk_dh.h"
#include "util/fk_hex.h"

/* msg3 with additional properties is bounded by FK_DH_PROPS_MAX; a line holds hex. */
enum { LINE_MAX_BYTES = 2 * (FK_DH_MSG3_FIXED_SIZE + FK_DH_PROPS_MAX) + 1024 };

static void put_hex(const char *tag, const uint8_t *p, size_t n)
{
	fputs(tag, stdout);
	fputc(' ', stdout);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	fputc('\n', stdout);
	fflush(stdout);
}

/*
 * Read one line "<tag> <hex>..." from stdin into *line (getline's buffer);
 * the newline is removed. False at EOF, on an over-long line, or a wrong tag.
 */
static bool read_line(const char *tag, char **line, size_t *cap)
{
	ssize_t n = getline(line, cap, stdin);
	size_t tl = strlen(tag);

	if (n <= 0 || (size_t)n > LINE_MAX_BYTES) {
		fprintf(stderr, "la_app: error: expected a '%s' line\n", tag);
		return false;
	}
	if ((*line)[n - 1] == '\n')
		(*line)[n - 1] = '\0';
	if (strncmp(*line, tag, tl) != 0 || (*line)[tl] != ' ') {
		fprintf(stderr, "la_app: error: expected a '%s' line\n", tag);
		return false;
	}
	return true;
}

struct args {
	const char *sim_dir, *enclave, *agent_hex, *cid;
	enum fk_dh_version version;
};

static bool parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->version = FK_DH_VERSION_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;
		if (strcmp(argv[i], "--lav1") == 0) {
			a->version = FK_DH_LAV1;
			continue;
		}
		if (strcmp(argv[i], "--sim-dir") == 0)
			dst = &a->sim_dir;
		else if (strcmp(argv[i], "--enclave") == 0)
			dst = &a->enclave;
		else if (strcmp(argv[i], "--agent-mrenclave") == 0)
			dst = &a->agent_hex;
		else if (strcmp(argv[i], "--container") == 0)
			dst = &a->cid;
		if (dst == NULL || i + 1 >= argc)
			return false;
		*dst = argv[++i];
	}
	return a->sim_dir && a->enclave && a->agent_hex && a->cid;
}

/* Is g a well-formed grant for container cid? (The key itself is not judged.) */
static bool grant_ok(const struct fk_key_grant *g, const char *cid)
{
	size_t cid_len = strlen(cid);
	uint16_t glen = fk_le16(g->cid_len);

	if (memcmp(g->magic, FK_GRANT_MAGIC, sizeof(g->magic)) != 0 ||
	    fk_le16(g->version) != FK_GRANT_VERSION) {
		fprintf(stderr, "la_app: error: the record is not a key grant (magic/version)\n");
		return false;
	}
	if (g->key_len != 16 && g->key_len != 32) {
		fprintf(stderr, "la_app: error: grant key length %u\n", g->key_len);
		return false;
	}
	if (glen != cid_len || cid_len > FK_WIRE_CID_MAX ||
	    memcmp(g->container_id, cid, cid_len) != 0) {
		fprintf(stderr, "la_app: error: the grant is for another container\n");
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct args a;
	struct fk_platform *p = NULL;
	struct fk_dh_session s;
	struct fk_dh_msg1 msg1;
	struct fk_dh_msg2 msg2;
	struct fk_dh_expect e;
	struct fk_key_grant g;
	enum fk_dh_mismatch why = FK_DH_MISMATCH_NONE;
	uint8_t *msg3 = NULL, *rec = NULL;
	char *line = NULL;
	size_t cap = 0, msg3_len, rec_len, pt_len = 0;
	fusekey_status st;
	int rc = 1;

	memset(&s, 0, sizeof(s));
	memset(&g, 0, sizeof(g));
	memset(&e, 0, sizeof(e));
	if (!parse_args(argc, argv, &a)) {
		fprintf(stderr, "usage: la_app --sim-dir DIR --enclave APP.sig --agent-mrenclave HEX "
				"--container CID [--lav1]\n");
		return 2;
	}
	if (!fk_hex_decode(a.agent_hex, e.mr_enclave, sizeof(e.mr_enclave), FK_HEX_ANY_CASE)) {
		fprintf(stderr, "la_app: error: --agent-mrenclave must be 64 hex digits\n");
		return 2;
	}
	e.fields = FK_DH_EXPECT_MRENCLAVE;
	if ((st = fk_sim_open_enclave(a.sim_dir, a.enclave, NULL, 0, &p)) != FUSEKEY_OK) {
		fprintf(stderr, "la_app: error: platform: %s\n", fusekey_status_str(st));
		goto out;
	}
	if ((st = fk_dh_init(&s, FK_DH_ROLE_INITIATOR)) != FUSEKEY_OK)
		goto fail;

	/* msg1 -> msg2 */
	if (!read_line("msg1", &line, &cap))
		goto out;
	if (!fk_hex_decode(line + 5, (uint8_t *)&msg1, sizeof(msg1), FK_HEX_ANY_CASE)) {
		fprintf(stderr, "la_app: error: msg1 must be %zu bytes of hex\n", sizeof(msg1));
		goto out;
	}
	if ((st = fk_dh_initiator_proc_msg1(&s, p, a.version, &msg1, &msg2)) != FUSEKEY_OK)
		goto fail;
	put_hex("msg2", (const uint8_t *)&msg2, sizeof(msg2));

	/* "msg3 <hex> record <hex>" -> key */
	if (!read_line("msg3", &line, &cap))
		goto out;
	{
		char *m3 = line + 5, *sep = strstr(m3, " record ");
		if (sep == NULL) {
			fprintf(stderr, "la_app: error: expected 'msg3 <hex> record <hex>'\n");
			goto out;
		}
		*sep = '\0';
		char *r = sep + 8;
		size_t m3_hex = strlen(m3), r_hex = strlen(r);
		msg3_len = m3_hex / 2;
		rec_len = r_hex / 2;
		/* Bounded before anything is allocated or copied. */
		if (msg3_len < FK_DH_MSG3_FIXED_SIZE || msg3_len > FK_DH_MSG3_FIXED_SIZE + FK_DH_PROPS_MAX ||
		    rec_len != fk_dh_record_size(sizeof(g))) {
			fprintf(stderr, "la_app: error: msg3 %zu bytes, record %zu bytes (want >= %d, %zu)\n",
				msg3_len, rec_len, FK_DH_MSG3_FIXED_SIZE, fk_dh_record_size(sizeof(g)));
			goto out;
		}
		msg3 = malloc(msg3_len);
		rec = malloc(rec_len);
		if (msg3 == NULL || rec == NULL || !fk_hex_decode(m3, msg3, msg3_len, FK_HEX_ANY_CASE) ||
		    !fk_hex_decode(r, rec, rec_len, FK_HEX_ANY_CASE)) {
			fprintf(stderr, "la_app: error: msg3 or record is not hex\n");
			goto out;
		}
	}
	if ((st = fk_dh_initiator_proc_msg3(&s, p, msg3, msg3_len)) != FUSEKEY_OK)
		goto fail;
	if ((st = fk_dh_check_peer(&s, &e, 1, NULL, &why)) != FUSEKEY_OK) {
		fprintf(stderr, "la_app: error: the agent is not the expected enclave (%s)\n",
			fk_dh_mismatch_name(why));
		goto out;
	}
	if ((st = fk_dh_open(&s, rec, rec_len, (uint8_t *)&g, sizeof(g), &pt_len)) != FUSEKEY_OK)
		goto fail;
	if (pt_len != sizeof(g) || !grant_ok(&g, a.cid))
		goto out;
	put_hex("key", g.key, g.key_len);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "la_app: error: %s\n", fusekey_status_str(st));
out:
	fk_dh_wipe(&s);
	fk_wipe(&g, sizeof(g));
	if (line != NULL) {
		fk_wipe(line, cap);
		free(line);
	}
	free(msg3);
	free(rec);
	fk_platform_destroy(p);
	return rc;
}
