/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fk_vectors: the vector runner. Every argument is a vector file or a
 * directory (walked recursively: every *.json below it, sorted by path).
 * Each file is loaded with jansson and handed to the schema runners in turn
 * (Wycheproof, SGX SDK simulation); the first that recognises it runs every
 * case. A file no runner recognises, or that does not parse, counts as one
 * failure.
 *
 * Output: one line per failing case ("FAIL <file> <id>: <why>"), lines for
 * skipped groups, and a final "N passed, N failed[, N skipped]".
 * Exit status 0 only when nothing failed (2 for a usage error).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vec.h"

/* Same declaration as vec.h, plus printf format checking. */
__attribute__((format(printf, 5, 6))) void fk_vec_result(struct fk_vec_tally *t, const char *file,
							 const char *id, int ok,
							 const char *why_fmt, ...);

static bool verbose;

void fk_vec_result(struct fk_vec_tally *t, const char *file, const char *id, int ok,
		   const char *why_fmt, ...)
{
	if (ok) {
		t->passed++;
		if (verbose)
			printf("PASS %s %s\n", file, id ? id : "?");
		return;
	}
	t->failed++;
	printf("FAIL %s %s: ", file, id ? id : "?");
	if (why_fmt != NULL && why_fmt[0] != '\0') {
		va_list ap;
		va_start(ap, why_fmt);
		vprintf(why_fmt, ap);
		va_end(ap);
	} else {
		fputs("failed", stdout);
	}
	putchar('\n');
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *fk_vec_hex(const char *hex, size_t *len)
{
	if (hex == NULL || len == NULL)
		return NULL;
	size_t n = strlen(hex);
	if (n % 2 != 0)
		return NULL;
	uint8_t *out = malloc(n / 2 > 0 ? n / 2 : 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_nibble(hex[2 * i]);
		int lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

/* ---- collecting files ---- */

struct path_list {
	char **v;
	size_t n, cap;
};

static int path_list_add(struct path_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	char *s = strdup(path);
	if (s == NULL)
		return -1;
	l->v[l->n++] = s;
	return 0;
}

static void path_list_free(struct path_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_json(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	bool slash = a > 0 && dir[a - 1] == '/';
	char *s = malloc(a + b + 2);
	if (s == NULL)
		return NULL;
	memcpy(s, dir, a);
	if (!slash)
		s[a++] = '/';
	memcpy(s + a, name, b + 1);
	return s;
}

/* Every *.json below dir (hidden entries skipped). Returns -1 on error. */
static int walk_dir(const char *dir, struct path_list *out, int depth)
{
	if (depth > 32) {
		fprintf(stderr, "fk_vectors: %s: directories nested too deep\n", dir);
		return -1;
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "fk_vectors: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = join_path(dir, e->d_name);
		if (p == NULL) {
			rc = -1;
			break;
		}
		struct stat sb;
		if (stat(p, &sb) != 0) {
			fprintf(stderr, "fk_vectors: %s: %s\n", p, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(sb.st_mode)) {
			if (walk_dir(p, out, depth + 1) != 0)
				rc = -1;
		} else if (S_ISREG(sb.st_mode) && ends_with_json(e->d_name)) {
			if (path_list_add(out, p) != 0)
				rc = -1;
		}
		free(p);
	}
	closedir(d);
	return rc;
}

/* ---- running one file ---- */

static void run_file(const char *path, struct fk_vec_tally *total)
{
	struct fk_vec_tally t = {0, 0, 0};
	json_error_t err;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		fk_vec_result(&t, path, "(file)", 0, "cannot load JSON: %s (line %d, column %d)",
			      err.text, err.line, err.column);
	} else if (fk_vec_wycheproof(root, path, &t) != 0 && fk_vec_sgxsdk(root, path, &t) != 0) {
		fk_vec_result(&t, path, "(file)", 0,
			      "not a known vector schema (Wycheproof or sgxsdk-sim)");
	} else if (t.passed + t.failed + t.skipped == 0) {
		fk_vec_result(&t, path, "(file)", 0, "recognised, but holds no cases");
	}
	json_decref(root);
	fflush(stdout);
	if (verbose) {
		printf("%s: %u passed, %u failed", path, t.passed, t.failed);
		if (t.skipped)
			printf(", %u skipped", t.skipped);
		putchar('\n');
	}
	total->passed += t.passed;
	total->failed += t.failed;
	total->skipped += t.skipped;
}

static void usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [--verbose] PATH...\n"
		"Check fusekey against test-vector files.\n"
		"Each PATH is a vector file or a directory; a directory is walked recursively\n"
		"and every *.json file below it is run, in sorted path order.\n"
		"Known schemas: Wycheproof (AES-GCM, AES-CMAC, ECDH P-256) and the SGX SDK\n"
		"simulation-mode vectors (platform, egetkey, ereport, seal, dh, derive_key).\n"
		"Prints one line per failing case and a final 'N passed, N failed[, N skipped]'.\n"
		"  -v, --verbose  also print passing cases and a summary per file\n"
		"  -h, --help     this text\n"
		"Exit status: 0 if no case failed, 1 otherwise, 2 on a usage error.\n",
		argv0);
}

int main(int argc, char **argv)
{
	struct fk_vec_tally total = {0, 0, 0};
	int npaths = 0;
	bool opts_done = false;

	/* Options first, wherever they are (until "--"). */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			verbose = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			fprintf(stderr, "fk_vectors: unknown option '%s'\n", a);
			usage(stderr, argv[0]);
			return 2;
		}
	}

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (!opts_done && a[0] == '-' && a[1] != '\0')
			continue;
		npaths++;
		struct stat sb;
		if (stat(a, &sb) != 0) {
			fk_vec_result(&total, a, "(path)", 0, "%s", strerror(errno));
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			run_file(a, &total);
			continue;
		}
		struct path_list files = {NULL, 0, 0};
		if (walk_dir(a, &files, 0) != 0)
			fk_vec_result(&total, a, "(dir)", 0, "could not read every entry");
		if (files.n == 0)
			fk_vec_result(&total, a, "(dir)", 0, "no *.json vector files found");
		else
			qsort(files.v, files.n, sizeof(*files.v), cmp_str);
		for (size_t j = 0; j < files.n; j++)
			run_file(files.v[j], &total);
		path_list_free(&files);
	}
	if (npaths == 0) {
		usage(stderr, argv[0]);
		return 2;
	}

	printf("%u passed, %u failed", total.passed, total.failed);
	if (total.skipped)
		printf(", %u skipped", total.skipped);
	putchar('\n');
	return total.failed == 0 ? 0 : 1;
}
