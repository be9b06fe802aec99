/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/delivery/fk_forms.{h,c}: hex, the Occlum key string and
 * its parser, Occlum mount option strings, the Gramine key-store install
 * (a temporary directory stands in for /dev/attestation) and fk_form_write_fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery/fk_forms.h"
#include "platform/fk_gramine.h"
#include "test_util.h"

/* The key enclave-cc hard-coded before PR #312 (enclave-cc.md §5). */
static const uint8_t ECC_KEY[16] = { 0xc7, 0x32, 0xb3, 0xed, 0x44, 0xdf, 0xec, 0x7b,
				     0x25, 0x2d, 0x9a, 0x32, 0x38, 0x8d, 0x58, 0x61 };
static const char ECC_KEY_STRING[] = "c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61";

/* ---------------------------------------------------------------- hex */

static void test_hex_known(void **state)
{
	static const uint8_t k[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	char out[17];
	(void)state;

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_hex(k, sizeof(k), out, sizeof(out)));
	assert_string_equal(out, "00017f80abcdefff");

	EXPECT_OK(fk_form_hex(ECC_KEY, 4, out, sizeof(out)));
	assert_string_equal(out, "c732b3ed");

	/* Empty input: just the NUL. */
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_hex(NULL, 0, out, 1));
	assert_string_equal(out, "");
}

static void test_hex_all_bytes(void **state)
{
	uint8_t k[256];
	char out[513];
	(void)state;

	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	EXPECT_OK(fk_form_hex(k, sizeof(k), out, sizeof(out)));
	assert_int_equal(strlen(out), 512);
	for (size_t i = 0; i < sizeof(k); i++) {
		char want[3];
		snprintf(want, sizeof(want), "%02x", (unsigned int)i);
		assert_memory_equal(out + 2 * i, want, 2);
	}
}

static void test_hex_refusals(void **state)
{
	char out[33];
	(void)state;

	/* cap = 2 * len + 1 exactly is enough; one less is refused and zeroed. */
	EXPECT_OK(fk_form_hex(ECC_KEY, 16, out, 33));
	assert_string_equal(out, "c732b3ed44dfec7b252d9a32388d5861");
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_hex(ECC_KEY, 16, out, 32), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, 32));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_hex(NULL, 16, out, sizeof(out)), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	/* Absurd length: no overflow of 2 * len + 1. */
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_hex(ECC_KEY, SIZE_MAX / 2 + 1, out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	EXPECT_STATUS(fk_form_hex(ECC_KEY, 16, NULL, 33), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_hex(ECC_KEY, 16, out, 0), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* ------------------------------------------------------ Occlum string */

static void test_occlum_enclave_cc_key(void **state)
{
	char out[FK_OCCLUM_KEY_STRING_LEN + 1];
	(void)state;

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_occlum(ECC_KEY, sizeof(ECC_KEY), out));
	assert_string_equal(out, ECC_KEY_STRING);
	assert_int_equal(strlen(out), FK_OCCLUM_KEY_STRING_LEN);
}

static void test_occlum_matches_printf(void **state)
{
	(void)state;
	/* Every byte value in every position, against "%02x" joined by '-'. */
	for (unsigned int base = 0; base < 256; base += 16) {
		uint8_t k[16];
		char out[FK_OCCLUM_KEY_STRING_LEN + 1];
		char want[FK_OCCLUM_KEY_STRING_LEN + 1];
		size_t pos = 0;

		for (unsigned int i = 0; i < 16; i++)
			k[i] = (uint8_t)(base + ((i * 7u) % 16u));
		for (unsigned int i = 0; i < 16; i++) {
			int n = snprintf(want + pos, sizeof(want) - pos, i ? "-%02x" : "%02x",
					 (unsigned int)k[i]);
			assert_true(n > 0);
			pos += (size_t)n;
		}
		EXPECT_OK(fk_form_occlum(k, sizeof(k), out));
		assert_string_equal(out, want);
	}
}

static void test_occlum_wrong_length(void **state)
{
	uint8_t k32[32];
	char out[FK_OCCLUM_KEY_STRING_LEN + 1];
	(void)state;

	th_fill(k32, 0x5c, sizeof(k32));
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum(k32, sizeof(k32), out), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum(k32, 15, out), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum(k32, 17, out), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum(k32, 0, out), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum(NULL, 16, out), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	EXPECT_STATUS(fk_form_occlum(ECC_KEY, 16, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* ------------------------------------------------------------ parser */

static void test_parse_enclave_cc_key(void **state)
{
	uint8_t k[16];
	(void)state;

	th_fill(k, 0xAA, sizeof(k));
	EXPECT_OK(fk_form_occlum_parse(ECC_KEY_STRING, k));
	assert_memory_equal(k, ECC_KEY, 16);
}

static void test_parse_round_trip(void **state)
{
	(void)state;
	for (unsigned int base = 0; base < 256; base += 16) {
		uint8_t k[16];
		uint8_t back[16];
		char s[FK_OCCLUM_KEY_STRING_LEN + 1];
		char line[FK_OCCLUM_KEY_STRING_LEN + 3];

		for (unsigned int i = 0; i < 16; i++)
			k[i] = (uint8_t)(base + ((i * 5u + 3u) % 16u));
		EXPECT_OK(fk_form_occlum(k, sizeof(k), s));

		th_fill(back, 0xAA, sizeof(back));
		EXPECT_OK(fk_form_occlum_parse(s, back));
		assert_memory_equal(back, k, 16);

		/* key.txt as written by a text editor: trailing "\n" or "\r\n". */
		snprintf(line, sizeof(line), "%s\n", s);
		th_fill(back, 0xAA, sizeof(back));
		EXPECT_OK(fk_form_occlum_parse(line, back));
		assert_memory_equal(back, k, 16);

		snprintf(line, sizeof(line), "%s\r\n", s);
		th_fill(back, 0xAA, sizeof(back));
		EXPECT_OK(fk_form_occlum_parse(line, back));
		assert_memory_equal(back, k, 16);
	}
}

static void test_parse_uppercase(void **state)
{
	uint8_t k[16];
	(void)state;

	th_fill(k, 0xAA, sizeof(k));
	EXPECT_OK(fk_form_occlum_parse("C7-32-B3-ED-44-DF-EC-7B-25-2D-9A-32-38-8D-58-61", k));
	assert_memory_equal(k, ECC_KEY, 16);

	th_fill(k, 0xAA, sizeof(k));
	EXPECT_OK(fk_form_occlum_parse("c7-32-B3-eD-44-Df-ec-7B-25-2d-9A-32-38-8d-58-61\r\n", k));
	assert_memory_equal(k, ECC_KEY, 16);

	th_fill(k, 0xAA, sizeof(k));
	EXPECT_OK(fk_form_occlum_parse("00-ff-FF-0a-A0-09-90-af-Fa-aF-Af-11-22-33-44-55", k));
	{
		static const uint8_t want[16] = { 0x00, 0xff, 0xff, 0x0a, 0xa0, 0x09, 0x90, 0xaf,
						  0xfa, 0xaf, 0xaf, 0x11, 0x22, 0x33, 0x44, 0x55 };
		assert_memory_equal(k, want, 16);
	}
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"\r\n",
		/* 15 parts */
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58",
		/* 17 parts */
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61-00",
		/* one-digit part (Rust's from_str_radix would take it; we do not) */
		"c-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-1",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-1\n",
		/* three-digit part */
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-611",
		"c7-032-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6",
		/* non-hex digits */
		"g7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6z",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6:",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6@",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6`",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6G",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-6/",
		"+7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		" 7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		/* wrong separators */
		"c7:32:b3:ed:44:df:ec:7b:25:2d:9a:32:38:8d:58:61",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58_61",
		"c732b3ed44dfec7b252d9a32388d5861",
		"c7--32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		/* leading or trailing garbage */
		" c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		"-c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61-",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61 ",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61x",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\t",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\r",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\n\n",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\n\r",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\r\n\n",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\r\r\n",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61\nxx",
		"c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61 c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32",
	};
	uint8_t k[16];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		th_fill(k, 0xAA, sizeof(k));
		if (fk_form_occlum_parse(bad[i], k) != FUSEKEY_ERR_FORMAT)
			fail_msg("accepted or wrong status for bad key string #%zu \"%s\"", i, bad[i]);
		assert_true(th_all_zero(k, sizeof(k)));
	}

	/* A key string longer than any valid input is refused without reading it all. */
	{
		char big[4096];
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		th_fill(k, 0xAA, sizeof(k));
		EXPECT_STATUS(fk_form_occlum_parse(big, k), FUSEKEY_ERR_FORMAT);
		assert_true(th_all_zero(k, sizeof(k)));
	}

	th_fill(k, 0xAA, sizeof(k));
	EXPECT_STATUS(fk_form_occlum_parse(NULL, k), FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(k, sizeof(k)));
	EXPECT_STATUS(fk_form_occlum_parse(ECC_KEY_STRING, NULL), FUSEKEY_ERR_INVALID_PARAMETER);
}

/* Every byte value in a digit position: only [0-9a-fA-F] is accepted, with its value. */
static void test_parse_every_char(void **state)
{
	(void)state;
	for (unsigned int c = 1; c < 256; c++) {
		int want = -1;
		char s[FK_OCCLUM_KEY_STRING_LEN + 1];
		uint8_t k[16];
		fusekey_status st;

		if (c >= '0' && c <= '9')
			want = (int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			want = (int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			want = (int)(c - 'A' + 10);
		for (size_t pos = 0; pos < 2; pos++) {
			memcpy(s, ECC_KEY_STRING, sizeof(s));
			s[3 * 7 + pos] = (char)c; /* the digits of byte 7 (0x7b) */
			th_fill(k, 0xAA, sizeof(k));
			st = fk_form_occlum_parse(s, k);
			if (want < 0) {
				assert_int_equal(st, FUSEKEY_ERR_FORMAT);
				assert_true(th_all_zero(k, sizeof(k)));
			} else {
				uint8_t b = pos == 0 ? (uint8_t)((unsigned int)want << 4 | 0xbu)
						     : (uint8_t)(0x70u | (unsigned int)want);
				assert_int_equal(st, FUSEKEY_OK);
				assert_int_equal(k[7], b);
				assert_memory_equal(k, ECC_KEY, 7);
				assert_memory_equal(k + 8, ECC_KEY + 8, 8);
			}
		}
	}
}

/* ----------------------------------------------------- mount strings */

static void test_mount_sefs_exact(void **state)
{
	static const char want[] =
		"dir=/images/abc/sefs/lower,key=c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61";
	char out[256];
	(void)state;

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_occlum_mount_sefs(ECC_KEY, 16, "/images/abc/sefs/lower", out,
					    sizeof(out)));
	assert_string_equal(out, want);

	/* The exact size (with the NUL) is enough. */
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_occlum_mount_sefs(ECC_KEY, 16, "/images/abc/sefs/lower", out,
					    sizeof(want)));
	assert_string_equal(out, want);
}

static void test_mount_unionfs_exact(void **state)
{
	static const char want[] =
		"lowerdir=L,upperdir=U,key=c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61";
	static const char want2[] = "lowerdir=/sefs/lower,upperdir=/sefs/upper,"
				    "key=c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61";
	char out[256];
	(void)state;

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_occlum_mount_unionfs(ECC_KEY, 16, "L", "U", out, sizeof(out)));
	assert_string_equal(out, want);

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_OK(fk_form_occlum_mount_unionfs(ECC_KEY, 16, "/sefs/lower", "/sefs/upper", out,
					       sizeof(want2)));
	assert_string_equal(out, want2);
}

static void test_mount_small_cap(void **state)
{
	static const char sefs[] =
		"dir=/images/abc/sefs/lower,key=c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61";
	static const char uni[] =
		"lowerdir=L,upperdir=U,key=c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61";
	char out[256];
	(void)state;

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_sefs(ECC_KEY, 16, "/images/abc/sefs/lower", out,
						sizeof(sefs) - 1),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(sefs) - 1));
	assert_int_equal((unsigned char)out[sizeof(sefs) - 1], 0xAA); /* nothing past cap */

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_sefs(ECC_KEY, 16, "/d", out, 10),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, 10));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_unionfs(ECC_KEY, 16, "L", "U", out, sizeof(uni) - 1),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(uni) - 1));
	assert_int_equal((unsigned char)out[sizeof(uni) - 1], 0xAA);

	EXPECT_STATUS(fk_form_occlum_mount_sefs(ECC_KEY, 16, "/d", NULL, 256),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_occlum_mount_sefs(ECC_KEY, 16, "/d", out, 0),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_occlum_mount_unionfs(ECC_KEY, 16, "L", "U", NULL, 256),
		      FUSEKEY_ERR_INVALID_PARAMETER);
}

static void test_mount_bad_dirs(void **state)
{
	static const char *const bad[] = {
		"",
		"/images/a,b",
		"/images/a=b",
		"/images/abc\n",
		"/images/\nabc",
		"/images/a\tb",
		"/images/a\rb",
		"/images/a\x7f",
		"/images/a\x01",
		",key=00-00-00-00-00-00-00-00-00-00-00-00-00-00-00-00",
	};
	char out[256];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		th_fill(out, 0xAA, sizeof(out));
		if (fk_form_occlum_mount_sefs(ECC_KEY, 16, bad[i], out, sizeof(out)) !=
		    FUSEKEY_ERR_INVALID_PARAMETER)
			fail_msg("sefs accepted bad dir #%zu", i);
		assert_true(th_all_zero(out, sizeof(out)));

		th_fill(out, 0xAA, sizeof(out));
		if (fk_form_occlum_mount_unionfs(ECC_KEY, 16, bad[i], "/u", out, sizeof(out)) !=
		    FUSEKEY_ERR_INVALID_PARAMETER)
			fail_msg("unionfs accepted bad lowerdir #%zu", i);
		assert_true(th_all_zero(out, sizeof(out)));

		th_fill(out, 0xAA, sizeof(out));
		if (fk_form_occlum_mount_unionfs(ECC_KEY, 16, "/l", bad[i], out, sizeof(out)) !=
		    FUSEKEY_ERR_INVALID_PARAMETER)
			fail_msg("unionfs accepted bad upperdir #%zu", i);
		assert_true(th_all_zero(out, sizeof(out)));
	}

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_sefs(ECC_KEY, 16, NULL, out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_unionfs(ECC_KEY, 16, NULL, "/u", out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_unionfs(ECC_KEY, 16, "/l", NULL, out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	/* An over-long directory is refused (bounded scan), not truncated. */
	{
		size_t n = 8192;
		char *dir = malloc(n);
		char *big = malloc(n + 128);
		assert_non_null(dir);
		assert_non_null(big);
		memset(dir, 'd', n - 1);
		dir[0] = '/';
		dir[n - 1] = '\0';
		th_fill(big, 0xAA, n + 128);
		EXPECT_STATUS(fk_form_occlum_mount_sefs(ECC_KEY, 16, dir, big, n + 128),
			      FUSEKEY_ERR_INVALID_PARAMETER);
		assert_true(th_all_zero(big, n + 128));
		free(dir);
		free(big);
	}
}

static void test_mount_bad_key(void **state)
{
	uint8_t k32[32];
	char out[256];
	(void)state;

	th_fill(k32, 0x11, sizeof(k32));
	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_sefs(k32, sizeof(k32), "/d", out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_unionfs(k32, sizeof(k32), "/l", "/u", out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_sefs(NULL, 16, "/d", out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));

	th_fill(out, 0xAA, sizeof(out));
	EXPECT_STATUS(fk_form_occlum_mount_unionfs(NULL, 16, "/l", "/u", out, sizeof(out)),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_true(th_all_zero(out, sizeof(out)));
}

/* ----------------------------------------------------------- Gramine */

struct fixture {
	char dir[256];  /* stands in for /dev/attestation */
	char keys[300]; /* <dir>/keys */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int n;
	if (fx == NULL)
		return -1;
	th_tmpdir(fx->dir, sizeof(fx->dir));
	n = snprintf(fx->keys, sizeof(fx->keys), "%s/keys", fx->dir);
	if (n < 0 || (size_t)n >= sizeof(fx->keys) || mkdir(fx->keys, 0700) != 0) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = th_rmtree(fx->dir);
	free(fx);
	return rc == 0 ? 0 : -1;
}

static void path_in(const char *dir, const char *name, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s/%s", dir, name);
	assert_true(k > 0 && (size_t)k < n);
}

/* Create an empty file (a "declared" key name). */
static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
}

/* Read a whole (small) file directly; returns its length. */
static size_t raw_read(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	assert_true(fd >= 0);
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (size_t)n;
		assert_true(got < cap);
	}
	assert_int_equal(close(fd), 0);
	return got;
}

static size_t file_size(const char *path)
{
	struct stat sb;
	assert_int_equal(lstat(path, &sb), 0);
	return (size_t)sb.st_size;
}

static void assert_missing(const char *path)
{
	struct stat sb;
	assert_int_not_equal(lstat(path, &sb), 0);
	assert_int_equal(errno, ENOENT);
}

static void test_gramine_install(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	uint8_t buf[64];
	(void)state;

	path_in(fx->keys, "fuse", p, sizeof(p));
	touch(p);
	EXPECT_OK(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16));
	assert_int_equal(raw_read(p, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, ECC_KEY, 16);

	/* Names at the edges of the allowed alphabet and length. */
	{
		char name[65];
		memset(name, 'n', 64);
		name[64] = '\0';
		path_in(fx->keys, name, p, sizeof(p));
		touch(p);
		EXPECT_OK(fk_form_gramine_install(fx->dir, name, ECC_KEY, 16));
		assert_int_equal(raw_read(p, buf, sizeof(buf)), 16);
		assert_memory_equal(buf, ECC_KEY, 16);
	}
	path_in(fx->keys, "Key-1.v2_x", p, sizeof(p));
	touch(p);
	EXPECT_OK(fk_form_gramine_install(fx->dir, "Key-1.v2_x", ECC_KEY, 16));
	assert_int_equal(raw_read(p, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, ECC_KEY, 16);

	/* "default" is Gramine's default key_name for an encrypted mount. */
	path_in(fx->keys, "default", p, sizeof(p));
	touch(p);
	EXPECT_OK(fk_form_gramine_install(fx->dir, "default", ECC_KEY, 16));
	assert_int_equal(file_size(p), 16);
}

static void test_gramine_not_declared(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	(void)state;

	/* Missing name: NOT_FOUND, and the file is not created. */
	path_in(fx->keys, "fuse", p, sizeof(p));
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16), FUSEKEY_ERR_NOT_FOUND);
	assert_missing(p);

	/* Missing keys directory altogether. */
	assert_int_equal(rmdir(fx->keys), 0);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16), FUSEKEY_ERR_NOT_FOUND);
	assert_missing(fx->keys);
	assert_int_equal(mkdir(fx->keys, 0700), 0);
}

static void test_gramine_bad_names(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = {
		"",
		"../x",
		"..",
		".",
		".hidden",
		"_sgx_mrenclave",
		"_sgx_mrsigner",
		"_x",
		"a/b",
		"/x",
		"fu se",
		"fuse\n",
		"fu:se",
		"f\xc3\xa9",
		/* 65 characters */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char p[512];
	char name65[66];
	(void)state;

	/* Decoys: files a traversal would reach must stay untouched. */
	path_in(fx->dir, "x", p, sizeof(p));
	touch(p);
	memset(name65, 'a', 65);
	name65[65] = '\0';
	path_in(fx->keys, name65, p, sizeof(p));
	touch(p);
	path_in(fx->keys, "_sgx_mrenclave", p, sizeof(p));
	touch(p);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (fk_form_gramine_install(fx->dir, bad[i], ECC_KEY, 16) !=
		    FUSEKEY_ERR_INVALID_PARAMETER)
			fail_msg("accepted bad name #%zu", i);
	}
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, NULL, ECC_KEY, 16),
		      FUSEKEY_ERR_INVALID_PARAMETER);

	path_in(fx->dir, "x", p, sizeof(p));
	assert_int_equal(file_size(p), 0);
	path_in(fx->keys, name65, p, sizeof(p));
	assert_int_equal(file_size(p), 0);
	path_in(fx->keys, "_sgx_mrenclave", p, sizeof(p));
	assert_int_equal(file_size(p), 0);
}

static void test_gramine_bad_length(void **state)
{
	struct fixture *fx = *state;
	uint8_t k32[32];
	char p[512];
	(void)state;

	th_fill(k32, 0x42, sizeof(k32));
	path_in(fx->keys, "fuse", p, sizeof(p));
	touch(p);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", k32, 15),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", k32, 17),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", k32, 32),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", k32, 0),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", NULL, 16),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_gramine_install("", "fuse", ECC_KEY, 16),
		      FUSEKEY_ERR_INVALID_PARAMETER);
	assert_int_equal(file_size(p), 0);
}

static void test_gramine_symlink_refused(void **state)
{
	struct fixture *fx = *state;
	char target[512];
	char link[512];
	(void)state;

	path_in(fx->dir, "target", target, sizeof(target));
	touch(target);
	path_in(fx->keys, "fuse", link, sizeof(link));
	assert_int_equal(symlink(target, link), 0);

	assert_int_not_equal(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16), FUSEKEY_OK);
	assert_int_equal(file_size(target), 0);

	/* A dangling symlink is not followed to create its target either. */
	assert_int_equal(unlink(target), 0);
	assert_int_not_equal(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16), FUSEKEY_OK);
	assert_missing(target);
}

static void test_gramine_not_a_file(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	(void)state;

	path_in(fx->keys, "fuse", p, sizeof(p));
	assert_int_equal(mkdir(p, 0700), 0);
	EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16), FUSEKEY_ERR_IO);
}

/*
 * A key file the caller may not write (Gramine: EACCES) gives PERMISSION and
 * is left as it was. Root ignores file modes, so as root the call is made in a
 * child that has dropped to uid/gid 65534 (meson counts a skipped case as a
 * failure, so this test never skips).
 */
static void test_gramine_permission(void **state)
{
	struct fixture *fx = *state;
	char p[512];
	int status = 0;
	pid_t pid;
	(void)state;

	path_in(fx->keys, "fuse", p, sizeof(p));
	touch(p);
	assert_int_equal(chmod(p, 0400), 0);
	if (geteuid() != 0) {
		EXPECT_STATUS(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16),
			      FUSEKEY_ERR_PERMISSION);
		assert_int_equal(file_size(p), 0);
		return;
	}
	/* The directories must be searchable by the unprivileged child. */
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(chmod(fx->keys, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		_exit(fk_form_gramine_install(fx->dir, "fuse", ECC_KEY, 16) ==
				      FUSEKEY_ERR_PERMISSION
			      ? 0
			      : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(file_size(p), 0);
}

static void test_gramine_default_dir(void **state)
{
	struct stat sb;
	(void)state;

	/* Outside Gramine there is no /dev/attestation: NOT_FOUND, nothing created. */
	if (lstat(FK_GRAMINE_ROOT, &sb) == 0)
		return; /* inside Gramine: nothing to check without a manifest */
	EXPECT_STATUS(fk_form_gramine_install(NULL, "fuse", ECC_KEY, 16), FUSEKEY_ERR_NOT_FOUND);
	assert_missing(FK_GRAMINE_ROOT);
}

/* ----------------------------------------------------------- write_fd */

static void test_write_fd_pipe(void **state)
{
	int fds[2];
	uint8_t buf[64];
	ssize_t n;
	(void)state;

	assert_int_equal(pipe(fds), 0);
	EXPECT_OK(fk_form_write_fd(fds[1], ECC_KEY, 16));
	EXPECT_OK(fk_form_write_fd(fds[1], NULL, 0));
	assert_int_equal(close(fds[1]), 0);
	n = read(fds[0], buf, sizeof(buf));
	assert_int_equal(n, 16);
	assert_memory_equal(buf, ECC_KEY, 16);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 0);
	assert_int_equal(close(fds[0]), 0);
}

/* More than a pipe holds: the writer blocks and resumes while a child reads. */
static void test_write_fd_large(void **state)
{
	const size_t len = 1u << 20;
	uint8_t *data = malloc(len);
	int fds[2];
	int status = 0;
	pid_t pid;
	(void)state;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 31u + (i >> 11));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Child: read everything, compare, report through the exit code. */
		uint8_t chunk[4096];
		size_t got = 0;
		int ok = 1;
		close(fds[1]);
		for (;;) {
			ssize_t r = read(fds[0], chunk, sizeof(chunk));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			if (got + (size_t)r > len || memcmp(chunk, data + got, (size_t)r) != 0)
				ok = 0;
			got += (size_t)r;
		}
		_exit(ok && got == len ? 0 : 1);
	}
	assert_int_equal(close(fds[0]), 0);
	EXPECT_OK(fk_form_write_fd(fds[1], data, len));
	assert_int_equal(close(fds[1]), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(data);
}

static void test_write_fd_errors(void **state)
{
	int fds[2];
	void (*old)(int);
	(void)state;

	EXPECT_STATUS(fk_form_write_fd(-1, ECC_KEY, 16), FUSEKEY_ERR_INVALID_PARAMETER);
	EXPECT_STATUS(fk_form_write_fd(1, NULL, 16), FUSEKEY_ERR_INVALID_PARAMETER);

	/* A closed descriptor. */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(close(fds[0]), 0);
	assert_int_equal(close(fds[1]), 0);
	EXPECT_STATUS(fk_form_write_fd(fds[1], ECC_KEY, 16), FUSEKEY_ERR_IO);

	/* A read-only descriptor. */
	assert_int_equal(pipe(fds), 0);
	EXPECT_STATUS(fk_form_write_fd(fds[0], ECC_KEY, 16), FUSEKEY_ERR_IO);

	/* No reader (EPIPE; SIGPIPE is the caller's business, ignored here). */
	assert_int_equal(close(fds[0]), 0);
	old = signal(SIGPIPE, SIG_IGN);
	assert_true(old != SIG_ERR);
	EXPECT_STATUS(fk_form_write_fd(fds[1], ECC_KEY, 16), FUSEKEY_ERR_IO);
	assert_true(signal(SIGPIPE, old) != SIG_ERR);
	assert_int_equal(close(fds[1]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_known),
		cmocka_unit_test(test_hex_all_bytes),
		cmocka_unit_test(test_hex_refusals),
		cmocka_unit_test(test_occlum_enclave_cc_key),
		cmocka_unit_test(test_occlum_matches_printf),
		cmocka_unit_test(test_occlum_wrong_length),
		cmocka_unit_test(test_parse_enclave_cc_key),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_uppercase),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_every_char),
		cmocka_unit_test(test_mount_sefs_exact),
		cmocka_unit_test(test_mount_unionfs_exact),
		cmocka_unit_test(test_mount_small_cap),
		cmocka_unit_test(test_mount_bad_dirs),
		cmocka_unit_test(test_mount_bad_key),
		cmocka_unit_test_setup_teardown(test_gramine_install, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_not_declared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_bad_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_not_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gramine_permission, setup, teardown),
		cmocka_unit_test(test_gramine_default_dir),
		cmocka_unit_test(test_write_fd_pipe),
		cmocka_unit_test(test_write_fd_large),
		cmocka_unit_test(test_write_fd_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
