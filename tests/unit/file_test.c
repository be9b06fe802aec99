/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/util/fk_file.{h,c}: bounded reads, atomic writes, mkdirs.
 * Every test works in its own mkdtemp directory, removed afterwards.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "util/fk_file.h"

struct fixture {
	char dir[256];
	mode_t old_umask;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (fx == NULL)
		return -1;
	th_tmpdir(fx->dir, sizeof(fx->dir));
	fx->old_umask = umask(022);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = th_rmtree(fx->dir);
	umask(fx->old_umask);
	free(fx);
	return rc == 0 ? 0 : -1;
}

static void path_in(const struct fixture *fx, const char *name, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s/%s", fx->dir, name);
	assert_true(k > 0 && (size_t)k < n);
}

/* Write a file directly (not through the code under test). */
static void raw_write(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Read a whole file directly; returns its length. */
static size_t raw_read(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	assert_true(n >= 0);
	assert_int_equal(close(fd), 0);
	return (size_t)n;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;
	assert_int_equal(lstat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* Number of directory entries other than . and .. ; names listed into `names`. */
static int count_entries(const char *dir, char *names, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	if (cap)
		names[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (cap && strlen(names) + strlen(e->d_name) + 2 < cap) {
			strcat(names, e->d_name);
			strcat(names, " ");
		}
	}
	closedir(d);
	return n;
}

/* No temp file ("*.tmp.*") anywhere in the directory. */
static void assert_no_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp") != NULL)
			fail_msg("temporary file left behind: %s/%s", dir, e->d_name);
	closedir(d);
}

static void test_write_creates_with_exact_mode(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	uint8_t got[64];
	static const char data[] = "secret root material";

	path_in(fx, "a.bin", p, sizeof(p));
	EXPECT_OK(fk_file_write_atomic(p, data, sizeof(data), 0600, false));
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(raw_read(p, got, sizeof(got)), sizeof(data));
	assert_memory_equal(got, data, sizeof(data));

	/* the mode is exact, not filtered through the umask: 0640 under umask 027,
	 * 0600 under a permissive umask 0 */
	umask(027);
	path_in(fx, "b.bin", p, sizeof(p));
	EXPECT_OK(fk_file_write_atomic(p, data, 3, 0640, false));
	assert_int_equal(mode_of(p), 0640);
	umask(0);
	path_in(fx, "c.bin", p, sizeof(p));
	EXPECT_OK(fk_file_write_atomic(p, data, 3, 0600, false));
	assert_int_equal(mode_of(p), 0600);
	umask(077);
	path_in(fx, "d.bin", p, sizeof(p));
	EXPECT_OK(fk_file_write_atomic(p, data, 3, 0751, false));
	assert_int_equal(mode_of(p), 0751);
	umask(022);

	/* empty file is fine */
	path_in(fx, "empty", p, sizeof(p));
	EXPECT_OK(fk_file_write_atomic(p, NULL, 0, 0600, false));
	assert_int_equal(raw_read(p, got, sizeof(got)), 0);

	assert_int_equal(count_entries(fx->dir, NULL, 0), 5);
	assert_no_temp_files(fx->dir);
}

static void test_write_refuses_existing(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	uint8_t got[64];

	path_in(fx, "x", p, sizeof(p));
	raw_write(p, "old content", 11, 0644);
	EXPECT_STATUS(fk_file_write_atomic(p, "new", 3, 0600, false), FUSEKEY_ERR_EXISTS);
	assert_int_equal(raw_read(p, got, sizeof(got)), 11);
	assert_memory_equal(got, "old content", 11);
	assert_int_equal(mode_of(p), 0644); /* untouched, mode included */
	assert_int_equal(count_entries(fx->dir, NULL, 0), 1);
	assert_no_temp_files(fx->dir);
}

static void test_write_overwrite(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	uint8_t got[64];
	struct stat before, after;

	path_in(fx, "x", p, sizeof(p));
	raw_write(p, "old content that is longer", 26, 0644);
	assert_int_equal(lstat(p, &before), 0);
	EXPECT_OK(fk_file_write_atomic(p, "new", 3, 0600, true));
	assert_int_equal(raw_read(p, got, sizeof(got)), 3);
	assert_memory_equal(got, "new", 3);
	assert_int_equal(mode_of(p), 0600);
	/* replaced by rename: a new inode, not rewritten in place */
	assert_int_equal(lstat(p, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_int_equal(count_entries(fx->dir, NULL, 0), 1);
	assert_no_temp_files(fx->dir);

	/* overwrite of a missing file creates it */
	path_in(fx, "y", p, sizeof(p));
	EXPECT_OK(fk_file_write_atomic(p, "yy", 2, 0600, true));
	assert_int_equal(raw_read(p, got, sizeof(got)), 2);
}

static void test_write_refuses_symlink(void **state)
{
	struct fixture *fx = *state;
	char target[512], link_path[512], dangling[512];
	uint8_t got[64];

	path_in(fx, "target", target, sizeof(target));
	path_in(fx, "link", link_path, sizeof(link_path));
	raw_write(target, "target stays", 12, 0644);
	assert_int_equal(symlink(target, link_path), 0);

	/* refused with and without overwrite */
	EXPECT_STATUS(fk_file_write_atomic(link_path, "evil", 4, 0600, true), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(fk_file_write_atomic(link_path, "evil", 4, 0600, false),
		      FUSEKEY_ERR_FORMAT);
	assert_int_equal(raw_read(target, got, sizeof(got)), 12);
	assert_memory_equal(got, "target stays", 12);
	assert_int_equal(mode_of(target), 0644);
	/* the link is still a link */
	struct stat sb;
	assert_int_equal(lstat(link_path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));

	/* a dangling symlink is not followed either: nothing gets created */
	path_in(fx, "dangling", dangling, sizeof(dangling));
	assert_int_equal(symlink("nowhere-file", dangling), 0);
	EXPECT_STATUS(fk_file_write_atomic(dangling, "evil", 4, 0600, true), FUSEKEY_ERR_FORMAT);
	char nowhere[512];
	path_in(fx, "nowhere-file", nowhere, sizeof(nowhere));
	assert_int_equal(access(nowhere, F_OK), -1);

	assert_int_equal(count_entries(fx->dir, NULL, 0), 3);
	assert_no_temp_files(fx->dir);
}

static void test_write_refuses_directory_and_bad_args(void **state)
{
	struct fixture *fx = *state;
	char p[512];

	path_in(fx, "sub", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	EXPECT_STATUS(fk_file_write_atomic(p, "x", 1, 0600, true), FUSEKEY_ERR_FORMAT);
	EXPECT_STATUS(fk_file_write_atomic(p, "x", 1, 0600, false), FUSEKEY_ERR_EXISTS);
	EXPECT_STATUS(fk_file_write_atomic(NULL, "x", 1, 0600, false),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_file_write_atomic("", "x", 1, 0600, false),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	path_in(fx, "n", p, sizeof(p));
	EXPECT_STATUS(fk_file_write_atomic(p, NULL, 1, 0600, false),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	/* missing parent directory */
	path_in(fx, "missing/dir/file", p, sizeof(p));
	EXPECT_STATUS(fk_file_write_atomic(p, "x", 1, 0600, false), FUSEKEY_ERR_NOT_FOUND);
	assert_int_equal(count_entries(fx->dir, NULL, 0), 1);
	assert_no_temp_files(fx->dir);
}

static void test_no_temp_files_after_many_writes(void **state)
{
	struct fixture *fx = *state;
	char p[512], names[1024];
	uint8_t got[16];

	path_in(fx, "f", p, sizeof(p));
	for (int i = 0; i < 50; i++) {
		uint8_t v = (uint8_t)i;
		EXPECT_OK(fk_file_write_atomic(p, &v, 1, 0600, i > 0));
		if (i > 0)
			EXPECT_STATUS(fk_file_write_atomic(p, &v, 1, 0600, false),
				      FUSEKEY_ERR_EXISTS);
	}
	assert_int_equal(raw_read(p, got, sizeof(got)), 1);
	assert_int_equal(got[0], 49);
	int n = count_entries(fx->dir, names, sizeof(names));
	if (n != 1)
		fail_msg("expected exactly one entry, got %d: %s", n, names);
}

static void test_read_round_trip_and_bound(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	uint8_t data[300], *buf = NULL;
	size_t len = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	path_in(fx, "r", p, sizeof(p));
	raw_write(p, data, sizeof(data), 0600);

	/* exactly at the bound: accepted */
	EXPECT_OK(fk_file_read(p, sizeof(data), &buf, &len));
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	fk_file_free(buf, len);

	EXPECT_OK(fk_file_read(p, 1 << 20, &buf, &len));
	assert_int_equal(len, sizeof(data));
	fk_file_free(buf, len);

	/* one byte over: refused, never truncated */
	buf = (uint8_t *)1;
	len = 99;
	EXPECT_STATUS(fk_file_read(p, sizeof(data) - 1, &buf, &len), FUSEKEY_ERR_FORMAT);
	assert_null(buf);
	assert_int_equal(len, 0);
	EXPECT_STATUS(fk_file_read(p, 0, &buf, &len), FUSEKEY_ERR_FORMAT);
	assert_null(buf);

	/* empty file with bound 0 */
	path_in(fx, "e", p, sizeof(p));
	raw_write(p, "", 0, 0600);
	EXPECT_OK(fk_file_read(p, 0, &buf, &len));
	assert_int_equal(len, 0);
	fk_file_free(buf, len);
}

static void test_read_missing_symlink_dir(void **state)
{
	struct fixture *fx = *state;
	char p[512], l[512];
	uint8_t *buf = (uint8_t *)1;
	size_t len = 5;

	path_in(fx, "missing", p, sizeof(p));
	EXPECT_STATUS(fk_file_read(p, 100, &buf, &len), FUSEKEY_ERR_NOT_FOUND);
	assert_null(buf);
	assert_int_equal(len, 0);
	path_in(fx, "missing/below", p, sizeof(p));
	EXPECT_STATUS(fk_file_read(p, 100, &buf, &len), FUSEKEY_ERR_NOT_FOUND);

	/* a symlink in the last component is not followed */
	path_in(fx, "real", p, sizeof(p));
	raw_write(p, "abc", 3, 0600);
	path_in(fx, "link", l, sizeof(l));
	assert_int_equal(symlink(p, l), 0);
	EXPECT_STATUS(fk_file_read(l, 100, &buf, &len), FUSEKEY_ERR_FORMAT);
	assert_null(buf);

	/* a directory is not a regular file */
	EXPECT_STATUS(fk_file_read(fx->dir, 1 << 20, &buf, &len), FUSEKEY_ERR_FORMAT);
	assert_null(buf);
}

static void test_mkdirs(void **state)
{
	struct fixture *fx = *state;
	char p[512], q[512];
	struct stat sb;

	path_in(fx, "a/b/c/d", p, sizeof(p));
	EXPECT_OK(fk_file_mkdirs(p, 0700));
	static const char *const levels[] = {"a", "a/b", "a/b/c", "a/b/c/d"};
	for (size_t i = 0; i < 4; i++) {
		path_in(fx, levels[i], q, sizeof(q));
		assert_int_equal(lstat(q, &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, 0700);
	}
	/* idempotent */
	EXPECT_OK(fk_file_mkdirs(p, 0700));
	/* trailing slash */
	path_in(fx, "t/u/", p, sizeof(p));
	EXPECT_OK(fk_file_mkdirs(p, 0700));
	path_in(fx, "t/u", q, sizeof(q));
	assert_int_equal(lstat(q, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	/* a file in the way */
	path_in(fx, "file", p, sizeof(p));
	raw_write(p, "x", 1, 0600);
	EXPECT_STATUS(fk_file_mkdirs(p, 0700), FUSEKEY_ERR_FORMAT);
	path_in(fx, "file/below", p, sizeof(p));
	assert_true(fk_file_mkdirs(p, 0700) != FUSEKEY_OK);
	EXPECT_STATUS(fk_file_mkdirs("", 0700), FUSEKEY_ERR_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_creates_with_exact_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses_directory_and_bad_args, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_temp_files_after_many_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_round_trip_and_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_missing_symlink_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
	};
	return cmocka_run_group_tests_name("file", tests, NULL, NULL);
}
