/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_crc32c.c: Check suite for btree/crc32c.c.
 *
 * What is checked:
 *  - the iSCSI (RFC 3720) CRC-32C vectors and "123456789", through the
 *    table code, the SSE4.2 code (when the CPU has it) and the dispatcher;
 *  - the table code against a bit-at-a-time reference written here from
 *    the definition, so that the vectors are not the only anchor;
 *  - table and SSE4.2 agree on pseudo-random data of every length up to
 *    4200 bytes at several misalignments and seeds, and on a few long
 *    buffers that take more than one 3-stream pass;
 *  - a running CRC continued over a second piece equals the CRC of the
 *    two pieces at once;
 *  - xbt_crc32c_block() equals the CRC of a copy with the field zeroed,
 *    ignores what the field holds, and leaves the buffer alone.
 *
 * All data comes from a fixed-seed generator, so failures repeat.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/crc32c.h"

#define MAX_LEN		4200
#define MAX_MISALIGN	16

typedef uint32_t (*crc_fn_t)(uint32_t crc, const void *buf, size_t len);

static const struct {
	const char	*name;
	crc_fn_t	fn;
	bool		needs_hw;
} impls[] = {
	{ "table",	xbt_crc32c_table,	false },
	{ "hw",		xbt_crc32c_hw,		true },
	{ "dispatch",	xbt_crc32c,		false },
};
#define NR_IMPLS	(sizeof(impls) / sizeof(impls[0]))

static uint64_t	rng_state;

static void
rng_seed(uint64_t seed)
{
	rng_state = seed;
}

/* splitmix64 */
static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void
rng_fill(unsigned char *p, size_t len)
{
	while (len--)
		*p++ = (unsigned char)rng_next();
}

static void *
xmalloc(size_t len)
{
	void	*p = malloc(len);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* Bit at a time, straight from the definition: reflected, no inversion. */
static uint32_t
ref_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	int			i;

	while (len--) {
		crc ^= *p++;
		for (i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0x82F63B78U & -(crc & 1));
	}
	return crc;
}

/* Standard CRC-32C: init ~0, xorout ~0. */
static uint32_t
std_crc(crc_fn_t fn, const void *buf, size_t len)
{
	return ~fn(XBT_CRC_SEED, buf, len);
}

static bool
skip_hw(const char *what)
{
	if (xbt_crc32c_hw_available())
		return false;
	fprintf(stderr, "%s: no SSE4.2 crc32 here, hw checks skipped\n",
		what);
	return true;
}

/* ---- known vectors ----------------------------------------------------- */

static void
check_vectors(crc_fn_t fn, const char *name)
{
	unsigned char	buf[32];
	int		i;

	ck_assert_msg(std_crc(fn, "123456789", 9) == 0xE3069283U,
		      "%s: \"123456789\" gave %08x", name,
		      std_crc(fn, "123456789", 9));

	memset(buf, 0, sizeof(buf));
	ck_assert_msg(std_crc(fn, buf, 32) == 0x8A9136AAU,
		      "%s: zeros gave %08x", name, std_crc(fn, buf, 32));

	memset(buf, 0xFF, sizeof(buf));
	ck_assert_msg(std_crc(fn, buf, 32) == 0x62A8AB43U,
		      "%s: ones gave %08x", name, std_crc(fn, buf, 32));

	for (i = 0; i < 32; i++)
		buf[i] = i;
	ck_assert_msg(std_crc(fn, buf, 32) == 0x46DD794EU,
		      "%s: incrementing gave %08x", name,
		      std_crc(fn, buf, 32));

	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	ck_assert_msg(std_crc(fn, buf, 32) == 0x113FDB5CU,
		      "%s: decrementing gave %08x", name,
		      std_crc(fn, buf, 32));

	/* The empty message leaves the register alone. */
	ck_assert_uint_eq(fn(0x12345678U, buf, 0), 0x12345678U);
	ck_assert_uint_eq(std_crc(fn, NULL, 0), 0);
}

START_TEST(test_vectors_table)
{
	check_vectors(xbt_crc32c_table, "table");
	check_vectors(ref_crc32c, "reference");
}
END_TEST

START_TEST(test_vectors_hw)
{
	if (skip_hw("test_vectors_hw"))
		return;
	check_vectors(xbt_crc32c_hw, "hw");
}
END_TEST

START_TEST(test_vectors_dispatch)
{
	check_vectors(xbt_crc32c, "dispatch");
}
END_TEST

/* ---- table against the reference ---------------------------------------- */

START_TEST(test_table_vs_reference)
{
	unsigned char	*buf = xmalloc(MAX_LEN + MAX_MISALIGN);
	size_t		len, mis;
	uint32_t	seed;

	rng_seed(1);
	rng_fill(buf, MAX_LEN + MAX_MISALIGN);
	for (len = 0; len <= 300; len++) {
		for (mis = 0; mis < 8; mis++) {
			seed = (uint32_t)rng_next();
			ck_assert_msg(xbt_crc32c_table(seed, buf + mis, len) ==
				      ref_crc32c(seed, buf + mis, len),
				      "len %zu misalign %zu", len, mis);
		}
	}
	for (len = 301; len <= MAX_LEN; len += 97) {
		seed = (uint32_t)rng_next();
		ck_assert_msg(xbt_crc32c_table(seed, buf + 3, len) ==
			      ref_crc32c(seed, buf + 3, len), "len %zu", len);
	}
	free(buf);
}
END_TEST

/* ---- table against hw ---------------------------------------------------- */

START_TEST(test_table_vs_hw)
{
	static const size_t	misalign[] = { 0, 1, 2, 3, 4, 5, 6, 7, 13 };
	unsigned char		*buf = xmalloc(MAX_LEN + MAX_MISALIGN);
	size_t			len, m;
	uint32_t		seed, t, h;

	if (skip_hw("test_table_vs_hw")) {
		free(buf);
		return;
	}

	rng_seed(2);
	for (len = 0; len <= MAX_LEN; len++) {
		rng_fill(buf, MAX_LEN + MAX_MISALIGN);
		for (m = 0; m < sizeof(misalign) / sizeof(misalign[0]); m++) {
			/* Odd lengths use a random register, even ~0. */
			seed = (len & 1) ? (uint32_t)rng_next() : XBT_CRC_SEED;
			t = xbt_crc32c_table(seed, buf + misalign[m], len);
			h = xbt_crc32c_hw(seed, buf + misalign[m], len);
			ck_assert_msg(t == h,
				      "len %zu mis %zu seed %08x: %08x != %08x",
				      len, misalign[m], seed, t, h);
		}
	}
	free(buf);
}
END_TEST

/* Lengths that need several 3-stream passes, and a 0-filled stretch. */
START_TEST(test_table_vs_hw_long)
{
	static const size_t	lens[] = {
		65536, 196607, 196608, 196609, 196608 + 255, 196608 + 256,
		3 * 196608 + 1000, (1U << 20) + 13,
	};
	size_t			maxlen = (1U << 20) + 13 + MAX_MISALIGN;
	unsigned char		*buf = xmalloc(maxlen);
	size_t			i, mis;
	uint32_t		t, h;

	if (skip_hw("test_table_vs_hw_long")) {
		free(buf);
		return;
	}

	rng_seed(3);
	rng_fill(buf, maxlen);
	memset(buf + 70000, 0, 50000);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (mis = 0; mis < 8; mis += 3) {
			t = xbt_crc32c_table(XBT_CRC_SEED, buf + mis, lens[i]);
			h = xbt_crc32c_hw(XBT_CRC_SEED, buf + mis, lens[i]);
			ck_assert_msg(t == h, "len %zu misalign %zu: %08x %08x",
				      lens[i], mis, t, h);
		}
	}
	free(buf);
}
END_TEST

/* ---- running CRC ------------------------------------------------------- */

START_TEST(test_incremental)
{
	const size_t	len = 3000;
	unsigned char	*buf = xmalloc(len);
	size_t		i, cut;
	uint32_t	whole, part;

	rng_seed(4);
	rng_fill(buf, len);
	for (i = 0; i < NR_IMPLS; i++) {
		if (impls[i].needs_hw && skip_hw("test_incremental"))
			continue;
		whole = impls[i].fn(XBT_CRC_SEED, buf, len);
		ck_assert_uint_eq(whole, ref_crc32c(XBT_CRC_SEED, buf, len));
		for (cut = 0; cut <= len; cut++) {
			part = impls[i].fn(XBT_CRC_SEED, buf, cut);
			part = impls[i].fn(part, buf + cut, len - cut);
			ck_assert_msg(part == whole, "%s: cut at %zu",
				      impls[i].name, cut);
		}
		/* Three pieces, the middle one long enough for 3 streams. */
		part = impls[i].fn(XBT_CRC_SEED, buf, 5);
		part = impls[i].fn(part, buf + 5, 2048);
		part = impls[i].fn(part, buf + 5 + 2048, len - 5 - 2048);
		ck_assert_msg(part == whole, "%s: three pieces",
			      impls[i].name);
	}
	free(buf);
}
END_TEST

/* ---- block checksum ---------------------------------------------------- */

static void
check_block(unsigned char *buf, unsigned char *copy, unsigned char *save,
	    size_t len, size_t off)
{
	uint32_t	got, want;
	size_t		nz;

	memcpy(save, buf, len);
	memcpy(copy, buf, len);
	if (off < len) {
		nz = len - off < 4 ? len - off : 4;
		memset(copy + off, 0, nz);
	}
	want = ~ref_crc32c(XBT_CRC_SEED, copy, len);
	ck_assert_uint_eq(~xbt_crc32c_table(XBT_CRC_SEED, copy, len), want);

	got = xbt_crc32c_block(buf, len, off);
	ck_assert_msg(got == want, "len %zu off %zu: got %08x want %08x",
		      len, off, got, want);
	ck_assert_msg(memcmp(buf, save, len) == 0,
		      "len %zu off %zu: buffer modified", len, off);

	/* Whatever the field holds does not matter. */
	if (off + 4 <= len) {
		memset(buf + off, 0xA5, 4);
		ck_assert_uint_eq(xbt_crc32c_block(buf, len, off), want);
		memcpy(buf + off, &got, 4);
		ck_assert_uint_eq(xbt_crc32c_block(buf, len, off), want);
		memcpy(buf, save, len);
	}
}

START_TEST(test_block)
{
	static const size_t	offs[] = { 64, 124 };
	const size_t		max = 65536;
	unsigned char		*buf = xmalloc(max);
	unsigned char		*copy = xmalloc(max);
	unsigned char		*save = xmalloc(max);
	size_t			bs, i;

	rng_seed(5);
	for (bs = 512; bs <= max; bs *= 2) {
		for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			rng_fill(buf, bs);
			check_block(buf, copy, save, bs, offs[i]);
		}
	}
	free(buf);
	free(copy);
	free(save);
}
END_TEST

/* Odd sizes and field positions, including at and past the end. */
START_TEST(test_block_edges)
{
	static const size_t	lens[] = { 0, 1, 3, 4, 5, 100, 300, 4096 };
	static const size_t	offs[] = { 0, 1, 2, 3, 61, 97, 124, 4092,
					   4093, 4096, 5000 };
	unsigned char		*buf = xmalloc(4096);
	unsigned char		*copy = xmalloc(4096);
	unsigned char		*save = xmalloc(4096);
	size_t			i, j;

	rng_seed(6);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
			rng_fill(buf, lens[i]);
			check_block(buf, copy, save, lens[i], offs[j]);
		}
	}
	free(buf);
	free(copy);
	free(save);
}
END_TEST

/* Block checksum (dispatched) against three table pieces, many offsets. */
START_TEST(test_block_table_vs_hw)
{
	unsigned char	*buf = xmalloc(65536);
	size_t		bs, off;
	uint32_t	t;

	if (skip_hw("test_block_table_vs_hw")) {
		free(buf);
		return;
	}
	rng_seed(7);
	rng_fill(buf, 65536);
	for (bs = 512; bs <= 65536; bs *= 2) {
		for (off = 0; off + 4 <= bs && off < 200; off += 4) {
			t = xbt_crc32c_table(XBT_CRC_SEED, buf, off);
			t = xbt_crc32c_table(t, "\0\0\0\0", 4);
			t = ~xbt_crc32c_table(t, buf + off + 4, bs - off - 4);
			ck_assert_msg(xbt_crc32c_block(buf, bs, off) == t,
				      "bs %zu off %zu", bs, off);
		}
	}
	free(buf);
}
END_TEST

static Suite *
crc32c_suite(void)
{
	Suite	*s = suite_create("crc32c");
	TCase	*tc;

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_vectors_table);
	tcase_add_test(tc, test_vectors_hw);
	tcase_add_test(tc, test_vectors_dispatch);
	tcase_add_test(tc, test_table_vs_reference);
	suite_add_tcase(s, tc);

	tc = tcase_create("agreement");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_table_vs_hw);
	tcase_add_test(tc, test_table_vs_hw_long);
	tcase_add_test(tc, test_incremental);
	suite_add_tcase(s, tc);

	tc = tcase_create("block");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_block);
	tcase_add_test(tc, test_block_edges);
	tcase_add_test(tc, test_block_table_vs_hw);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(crc32c_suite());
	int	failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
