/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_crc32c.c: Check suite for btree/crc32c.c.
 *
 * What is checked, for every implementation the CPU can run (table,
 * crc32 instruction with and without PCLMULQDQ joins, 128-bit and 512-bit
 * folding; the others are skipped with a message), plus the dispatcher
 * and the older xbt_crc32c_hw() entry point:
 *  - the iSCSI (RFC 3720) CRC-32C vectors and "123456789";
 *  - the table code against a bit-at-a-time reference written here from
 *    the definition, so that the vectors are not the only anchor;
 *  - every implementation against the table code on pseudo-random data
 *    of every length up to 9000 bytes at several misalignments, from
 *    random registers, which runs each folding code through all of its
 *    ways of ending and the dispatcher through its crossovers; and on
 *    long buffers (64 KiB, 1 MiB and odd sizes around them); and on
 *    data that ends where its allocation ends, for the sanitizers;
 *  - a running CRC continued over a second piece equals the CRC of the
 *    two pieces at once;
 *  - xbt_crc32c_zeros() (both the PCLMULQDQ and the bit-by-bit multiply)
 *    equals feeding that many real zero bytes, for every count up to 5000
 *    and a few up to 64 MiB; for huge counts, it agrees with a property
 *    of P: x^(2^31 - 1) = 1 mod P, so any multiple of 2^31 - 1 zero bytes
 *    leaves the register as it was;
 *  - xbt_crc32c_block() (and the block code of each implementation)
 *    equals the CRC of a copy with the field zeroed, ignores what the
 *    field holds, and leaves the buffer alone.
 *
 * All data comes from a fixed-seed generator, so failures repeat.
 */
#include "tests/lib/check_quiet.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/crc32c.h"

#define MAX_LEN		9000
#define MAX_MISALIGN	64

/* Implementations: the enum, and two more for the other entry points. */
#define IMPL_DISPATCH	XBT_CRC32C_NR_IMPLS
#define IMPL_HW		(XBT_CRC32C_NR_IMPLS + 1)
#define NR_TESTED	(XBT_CRC32C_NR_IMPLS + 2)

typedef uint32_t (*crc_fn_t)(uint32_t crc, const void *buf, size_t len);

static const char *
impl_name(int which)
{
	if (which == IMPL_DISPATCH)
		return "dispatch";
	if (which == IMPL_HW)
		return "hw";
	return xbt_crc32c_impl_name(which);
}

static uint32_t
impl_crc(int which, uint32_t crc, const void *buf, size_t len)
{
	if (which == IMPL_DISPATCH)
		return xbt_crc32c(crc, buf, len);
	if (which == IMPL_HW)
		return xbt_crc32c_hw(crc, buf, len);
	return xbt_crc32c_impl(which, crc, buf, len);
}

static uint32_t
impl_block(int which, const void *buf, size_t len, size_t off)
{
	if (which == IMPL_DISPATCH || which == IMPL_HW)
		return xbt_crc32c_block(buf, len, off);
	return xbt_crc32c_block_impl(which, buf, len, off);
}

static bool
impl_have(int which)
{
	if (which == IMPL_DISPATCH)
		return true;
	if (which == IMPL_HW)
		return xbt_crc32c_hw_available();
	return xbt_crc32c_impl_available(which);
}

/* Whether to skip @which, saying so for @what. */
static bool
impl_skip(int which, const char *what)
{
	if (impl_have(which))
		return false;
	fprintf(stderr, "%s: no %s on this CPU, skipped\n", what,
		impl_name(which));
	return true;
}

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
	uint64_t	v;

	for (; len >= 8; len -= 8, p += 8) {
		v = rng_next();
		memcpy(p, &v, 8);
	}
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
std_crc(int which, const void *buf, size_t len)
{
	return ~impl_crc(which, XBT_CRC_SEED, buf, len);
}

/* ---- known vectors ----------------------------------------------------- */

static void
check_vectors(int which)
{
	const char	*name = impl_name(which);
	unsigned char	buf[48];
	int		i;

	ck_assert_msg(std_crc(which, "123456789", 9) == 0xE3069283U,
		      "%s: \"123456789\" gave %08x", name,
		      std_crc(which, "123456789", 9));

	memset(buf, 0, sizeof(buf));
	ck_assert_msg(std_crc(which, buf, 32) == 0x8A9136AAU,
		      "%s: zeros gave %08x", name, std_crc(which, buf, 32));

	memset(buf, 0xFF, sizeof(buf));
	ck_assert_msg(std_crc(which, buf, 32) == 0x62A8AB43U,
		      "%s: ones gave %08x", name, std_crc(which, buf, 32));

	for (i = 0; i < 32; i++)
		buf[i] = i;
	ck_assert_msg(std_crc(which, buf, 32) == 0x46DD794EU,
		      "%s: incrementing gave %08x", name,
		      std_crc(which, buf, 32));

	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	ck_assert_msg(std_crc(which, buf, 32) == 0x113FDB5CU,
		      "%s: decrementing gave %08x", name,
		      std_crc(which, buf, 32));

	/* The same at an odd address (the folding code's masked loads). */
	memmove(buf + 5, buf, 32);
	ck_assert_msg(std_crc(which, buf + 5, 32) == 0x113FDB5CU,
		      "%s: decrementing, misaligned, gave %08x", name,
		      std_crc(which, buf + 5, 32));

	/* The empty message leaves the register alone. */
	ck_assert_uint_eq(impl_crc(which, 0x12345678U, buf, 0), 0x12345678U);
	ck_assert_uint_eq(std_crc(which, NULL, 0), 0);
}

START_TEST(test_vectors)
{
	int	which;

	check_vectors(XBT_CRC32C_TABLE);
	ck_assert_uint_eq(~xbt_crc32c_table(XBT_CRC_SEED, "123456789", 9),
			  0xE3069283U);
	ck_assert_uint_eq(~ref_crc32c(XBT_CRC_SEED, "123456789", 9),
			  0xE3069283U);
	for (which = 0; which < NR_TESTED; which++)
		if (!impl_skip(which, "test_vectors"))
			check_vectors(which);
}
END_TEST

START_TEST(test_impl_info)
{
	enum xbt_crc32c_which	best = xbt_crc32c_impl_best();
	int			which;

	ck_assert(xbt_crc32c_impl_available(XBT_CRC32C_TABLE));
	ck_assert(xbt_crc32c_impl_available(best));
	ck_assert(!xbt_crc32c_impl_available(XBT_CRC32C_NR_IMPLS));
	for (which = 0; which < XBT_CRC32C_NR_IMPLS; which++)
		ck_assert_str_ne(xbt_crc32c_impl_name(which), "?");
	fprintf(stderr, "crc32c: dispatcher uses %s for long buffers\n",
		xbt_crc32c_impl_name(best));
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

/* ---- every implementation against the table ------------------------------ */

START_TEST(test_impls_vs_table)
{
	static const size_t	misalign[] = { 0, 1, 3, 7, 8, 13, 32, 61 };
	unsigned char		*buf = xmalloc(MAX_LEN + MAX_MISALIGN);
	bool			run[NR_TESTED];
	size_t			len, m;
	uint32_t		seed, t, h;
	int			which;

	for (which = 0; which < NR_TESTED; which++)
		run[which] = which != XBT_CRC32C_TABLE &&
			     !impl_skip(which, "test_impls_vs_table");

	rng_seed(2);
	for (len = 0; len <= MAX_LEN; len++) {
		rng_fill(buf, len + MAX_MISALIGN);
		for (m = 0; m < sizeof(misalign) / sizeof(misalign[0]); m++) {
			/* Mostly random registers, some the usual ~0. */
			seed = (len + m) % 4 ? (uint32_t)rng_next() :
					       XBT_CRC_SEED;
			t = xbt_crc32c_table(seed, buf + misalign[m], len);
			for (which = 0; which < NR_TESTED; which++) {
				if (!run[which])
					continue;
				h = impl_crc(which, seed, buf + misalign[m],
					     len);
				ck_assert_msg(t == h,
					      "%s: len %zu mis %zu seed %08x: "
					      "%08x, table %08x",
					      impl_name(which), len,
					      misalign[m], seed, h, t);
			}
		}
	}
	free(buf);
}
END_TEST

/*
 * Data that ends exactly where its allocation does, so that a sanitizer
 * sees any read past the end (the folding code ends with masked loads
 * and partial lanes).
 */
START_TEST(test_impls_exact_end)
{
	unsigned char	*buf;
	size_t		len;
	uint32_t	seed, t, h;
	int		which;

	rng_seed(11);
	for (len = 0; len <= 1100; len++) {
		buf = xmalloc(len ? len : 1);
		rng_fill(buf, len);
		seed = (uint32_t)rng_next();
		t = xbt_crc32c_table(seed, buf, len);
		for (which = 0; which < NR_TESTED; which++) {
			if (!impl_have(which))
				continue;
			h = impl_crc(which, seed, buf, len);
			ck_assert_msg(t == h, "%s: len %zu: %08x, table %08x",
				      impl_name(which), len, h, t);
			if (len >= 4)
				ck_assert_uint_eq(
					impl_block(which, buf, len, len - 4),
					impl_block(XBT_CRC32C_TABLE, buf, len,
						   len - 4));
		}
		free(buf);
	}
}
END_TEST

/* Long buffers, odd sizes around them, and a long zero stretch. */
START_TEST(test_impls_long)
{
	static const size_t	lens[] = {
		65536, 65535, 65537, 196607, 196608, 196609,
		196608 + 255, 196608 + 256, 3 * 196608 + 1000,
		1U << 20, (1U << 20) + 13, (1U << 20) - 77,
	};
	size_t			maxlen = (1U << 20) + 13 + MAX_MISALIGN;
	unsigned char		*buf = xmalloc(maxlen);
	size_t			i, mis;
	uint32_t		seed, t, h;
	int			which;

	rng_seed(3);
	rng_fill(buf, maxlen);
	memset(buf + 70000, 0, 50000);
	for (which = 0; which < NR_TESTED; which++) {
		if (which == XBT_CRC32C_TABLE ||
		    impl_skip(which, "test_impls_long"))
			continue;
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			for (mis = 0; mis < 8; mis += 5) {
				seed = i & 1 ? (uint32_t)rng_next() :
					       XBT_CRC_SEED;
				t = xbt_crc32c_table(seed, buf + mis, lens[i]);
				h = impl_crc(which, seed, buf + mis, lens[i]);
				ck_assert_msg(t == h,
					      "%s: len %zu misalign %zu: "
					      "%08x, table %08x",
					      impl_name(which), lens[i], mis,
					      h, t);
			}
		}
	}
	free(buf);
}
END_TEST

/* ---- running CRC ------------------------------------------------------- */

START_TEST(test_incremental)
{
	const size_t	len = 5000;
	unsigned char	*buf = xmalloc(len);
	size_t		cut;
	uint32_t	whole, part;
	int		which;

	rng_seed(4);
	rng_fill(buf, len);
	for (which = 0; which < NR_TESTED; which++) {
		if (impl_skip(which, "test_incremental"))
			continue;
		whole = impl_crc(which, XBT_CRC_SEED, buf, len);
		ck_assert_uint_eq(whole, ref_crc32c(XBT_CRC_SEED, buf, len));
		for (cut = 0; cut <= len; cut++) {
			part = impl_crc(which, XBT_CRC_SEED, buf, cut);
			part = impl_crc(which, part, buf + cut, len - cut);
			ck_assert_msg(part == whole, "%s: cut at %zu",
				      impl_name(which), cut);
		}
		/* Three pieces, the middle one long enough for streams. */
		part = impl_crc(which, XBT_CRC_SEED, buf, 5);
		part = impl_crc(which, part, buf + 5, 4096);
		part = impl_crc(which, part, buf + 5 + 4096, len - 5 - 4096);
		ck_assert_msg(part == whole, "%s: three pieces",
			      impl_name(which));
	}
	free(buf);
}
END_TEST

/* ---- zero bytes -------------------------------------------------------- */

#define ZERO_BUF	(1U << 20)

/* @crc run over @n real zero bytes by the table code. */
static uint32_t
feed_zeros(const unsigned char *zero, uint32_t crc, uint64_t n)
{
	for (; n > ZERO_BUF; n -= ZERO_BUF)
		crc = xbt_crc32c_table(crc, zero, ZERO_BUF);
	return xbt_crc32c_table(crc, zero, n);
}

/* xbt_crc32c_zeros() and each implementation's version of it. */
static void
check_zeros(uint32_t crc, uint64_t n, uint32_t want)
{
	uint32_t	got;
	int		which;

	got = xbt_crc32c_zeros(crc, n);
	ck_assert_msg(got == want, "zeros(%08x, %llu): %08x, want %08x",
		      crc, (unsigned long long)n, got, want);
	for (which = 0; which < XBT_CRC32C_NR_IMPLS; which++) {
		if (!xbt_crc32c_impl_available(which))
			continue;
		got = xbt_crc32c_zeros_impl(which, crc, n);
		ck_assert_msg(got == want,
			      "%s: zeros(%08x, %llu): %08x, want %08x",
			      impl_name(which), crc, (unsigned long long)n,
			      got, want);
	}
}

START_TEST(test_zeros)
{
	static const uint64_t	big[] = {
		255, 256, 257, 65535, 65536, 65537, 1U << 20,
		(1U << 24) - 1, 1U << 24, (1U << 24) + 12345,
		(64U << 20) + 4093,
	};
	unsigned char		*zero = calloc(ZERO_BUF, 1);
	uint32_t		crc;
	uint64_t		n;
	size_t			i;

	ck_assert_ptr_nonnull(zero);
	rng_seed(5);
	for (n = 0; n <= 5000; n++) {
		crc = (uint32_t)rng_next();
		check_zeros(crc, n, xbt_crc32c_table(crc, zero, n));
	}
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		crc = (uint32_t)rng_next();
		check_zeros(crc, big[i], feed_zeros(zero, crc, big[i]));
	}
	/* Zero registers stay zero; ~0 through 4 zero bytes, a vector. */
	check_zeros(0, 12345, 0);
	check_zeros(XBT_CRC_SEED, 32, ~0x8A9136AAU);
	free(zero);
}
END_TEST

/*
 * Counts beyond what can be fed for real.  P is (x + 1) times a
 * primitive polynomial of degree 31, so x^(2^31 - 1) = 1 mod P (the
 * factor x + 1 does not care, x = 1 mod x + 1).  So (x^8)^(2^31 - 1) is
 * 1 as well, any multiple of 2^31 - 1 zero bytes is a no-op, and
 * zeros(crc, q * (2^31 - 1) + r) = zeros(crc, r) for every q.
 */
START_TEST(test_zeros_huge)
{
	static const uint64_t	period = (1ULL << 31) - 1;
	static const uint64_t	r[] = { 0, 1, 7, 4096, 65537, 1U << 24 };
	/* The last one is as large as fits in 64 bits with any r[]. */
	static const uint64_t	q[] = {
		1, 2, 3, 255, 256, 1ULL << 20, 123456789ULL,
		(1ULL << 33) - 1, (~0ULL - (1U << 24)) / ((1ULL << 31) - 1),
	};
	uint32_t		crc, want;
	uint64_t		a, b;
	size_t			i, j;

	rng_seed(6);
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		for (j = 0; j < sizeof(r) / sizeof(r[0]); j++) {
			crc = (uint32_t)rng_next();
			want = xbt_crc32c_zeros(crc, r[j]);
			check_zeros(crc, q[i] * period + r[j], want);
		}
	}
	/* And the counts add: n then m zero bytes is n + m of them. */
	for (i = 0; i < 200; i++) {
		crc = (uint32_t)rng_next();
		a = rng_next() >> 1;
		b = rng_next() >> (1 + i % 60);
		check_zeros(xbt_crc32c_zeros(crc, a), b,
			    xbt_crc32c_zeros(crc, a + b));
	}
}
END_TEST

/* Skipping a zero gap inside a buffer, the way it is meant to be used. */
START_TEST(test_zeros_gap)
{
	const size_t	len = 4096;
	unsigned char	*buf = xmalloc(len);
	size_t		gap_at, gap_len;
	uint32_t	crc;

	rng_seed(7);
	for (gap_at = 0; gap_at < len; gap_at += 61) {
		gap_len = rng_next() % (len - gap_at + 1);
		rng_fill(buf, len);
		memset(buf + gap_at, 0, gap_len);
		crc = xbt_crc32c(XBT_CRC_SEED, buf, gap_at);
		crc = xbt_crc32c_zeros(crc, gap_len);
		crc = xbt_crc32c(crc, buf + gap_at + gap_len,
				 len - gap_at - gap_len);
		ck_assert_msg(crc == ref_crc32c(XBT_CRC_SEED, buf, len),
			      "gap of %zu at %zu", gap_len, gap_at);
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
	int		which;

	memcpy(save, buf, len);
	memcpy(copy, buf, len);
	if (off < len) {
		nz = len - off < 4 ? len - off : 4;
		memset(copy + off, 0, nz);
	}
	want = ~ref_crc32c(XBT_CRC_SEED, copy, len);
	ck_assert_uint_eq(~xbt_crc32c_table(XBT_CRC_SEED, copy, len), want);

	/* IMPL_HW is the dispatcher's block code again. */
	for (which = 0; which < NR_TESTED; which++) {
		if (which == IMPL_HW || !impl_have(which))
			continue;
		got = impl_block(which, buf, len, off);
		ck_assert_msg(got == want,
			      "%s: len %zu off %zu: got %08x want %08x",
			      impl_name(which), len, off, got, want);
		ck_assert_msg(memcmp(buf, save, len) == 0,
			      "%s: len %zu off %zu: buffer modified",
			      impl_name(which), len, off);

		/* Whatever the field holds does not matter. */
		if (off + 4 <= len) {
			memset(buf + off, 0xA5, 4);
			ck_assert_uint_eq(impl_block(which, buf, len, off),
					  want);
			memcpy(buf + off, &got, 4);
			ck_assert_uint_eq(impl_block(which, buf, len, off),
					  want);
			memcpy(buf, save, len);
		}
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

	rng_seed(8);
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
	static const size_t	lens[] = { 0, 1, 3, 4, 5, 100, 255, 256, 300,
					   1023, 3071, 3072, 4000, 4096, 4104 };
	static const size_t	offs[] = { 0, 1, 2, 3, 61, 97, 124, 3068,
					   3069, 3996, 4092, 4093, 4096,
					   4100, 5000 };
	unsigned char		*buf = xmalloc(4104);
	unsigned char		*copy = xmalloc(4104);
	unsigned char		*save = xmalloc(4104);
	size_t			i, j;

	rng_seed(9);
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

/* Block checksum against three table pieces, many sizes and offsets. */
START_TEST(test_block_vs_table)
{
	unsigned char	*buf = xmalloc(65536);
	size_t		bs, off;
	uint32_t	t, h;
	int		which;

	rng_seed(10);
	rng_fill(buf, 65536);
	for (bs = 512; bs <= 65536; bs *= 2) {
		for (off = 0; off + 4 <= bs && off < 200; off += 4) {
			t = xbt_crc32c_table(XBT_CRC_SEED, buf, off);
			t = xbt_crc32c_table(t, "\0\0\0\0", 4);
			t = ~xbt_crc32c_table(t, buf + off + 4, bs - off - 4);
			for (which = 0; which < NR_TESTED; which++) {
				if (which == IMPL_HW || !impl_have(which))
					continue;
				h = impl_block(which, buf, bs, off);
				ck_assert_msg(h == t, "%s: bs %zu off %zu",
					      impl_name(which), bs, off);
			}
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
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_impl_info);
	tcase_add_test(tc, test_table_vs_reference);
	suite_add_tcase(s, tc);

	tc = tcase_create("agreement");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_impls_vs_table);
	tcase_add_test(tc, test_impls_exact_end);
	tcase_add_test(tc, test_impls_long);
	tcase_add_test(tc, test_incremental);
	suite_add_tcase(s, tc);

	tc = tcase_create("zeros");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_zeros);
	tcase_add_test(tc, test_zeros_huge);
	tcase_add_test(tc, test_zeros_gap);
	suite_add_tcase(s, tc);

	tc = tcase_create("block");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_block);
	tcase_add_test(tc, test_block_edges);
	tcase_add_test(tc, test_block_vs_table);
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
