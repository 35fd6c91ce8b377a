// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_text.c: record text (fusefs/text.c, fusefs/text_xfs.c).
 *
 * For kv, rmap and refcount: random valid records print canonically
 * (decimal, one space between fields, a newline) and parse back to the
 * same bytes, and printing that again gives the same text.  Then, per
 * type, tables of lines with the record or text they must give (hex
 * input, owner names and their values, flags in every order), and of
 * lines that must be refused with -EINVAL and a reason (one per rule),
 * for records, keys and ranges.
 *
 * The table for each type is used directly, so this suite needs no FUSE.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "fusefs/text.h"
#include "tests/lib/btree_test.h"

/* In text.h once the daemon knows the types; repeating them is harmless. */

#define BIT_ATTR	(1ULL << 63)
#define BIT_BMBT	(1ULL << 62)

/* ---- helpers ---------------------------------------------------------- */

enum what { REC, KEY, RANGE };

/*
 * Split @line and hand it to the type's parser for @w.  Returns what the
 * parser returns; *why is set on failure.  Record bytes go to @out,
 * range keys to @out and @out2.
 */
static int
parse(const struct xfbfs_type *t, enum what w, const char *line, void *out,
		void *out2, const char **why)
{
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	int			nf;

	*why = NULL;
	nf = xfbfs_split_fields(line, strlen(line), f, why);
	if (nf < 0)
		return nf;
	switch (w) {
	case REC:
		return t->parse_rec(f, nf, out, why);
	case KEY:
		return t->parse_key(f, nf, out, why);
	default: {
		uint8_t	lo[XFBFS_RANGES_MAX][XBT_KEY_MAX];
		uint8_t	hi[XFBFS_RANGES_MAX][XBT_KEY_MAX];
		int	n = t->parse_range(f, nf, lo, hi, why);

		/* The first interval; range_parse() gives all of them. */
		if (n < 0)
			return n;
		T_ASSERT(n >= 1 && n <= XFBFS_RANGES_MAX);
		memcpy(out, lo[0], t->ops->key_len);
		memcpy(out2, hi[0], t->ops->key_len);
		return 0;
	}
	}
}

/* Print @rec into @buf as a C string (the newline kept). */
static const char *
format(const struct xfbfs_type *t, const void *rec, char *buf)
{
	size_t	n = t->format_rec(rec, buf);

	T_ASSERT(n > 0 && n < XFBFS_REC_TEXT_MAX);
	T_ASSERT(buf[n - 1] == '\n');
	buf[n] = '\0';
	return buf;
}

/* Canonical: decimal digits, names and commas, single spaces. */
static void
assert_canonical(const char *text)
{
	const char	*p;

	T_ASSERT(text[0] != ' ');
	for (p = text; *p != '\n'; p++) {
		T_ASSERT((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			 *p == ',' || *p == ' ');
		T_ASSERT(!(p[0] == ' ' && (p[1] == ' ' || p[1] == '\n')));
		/* No leading zeros. */
		if ((p == text || p[-1] == ' ') && p[0] == '0')
			T_ASSERT(p[1] == ' ' || p[1] == '\n');
	}
	T_ASSERT(p[1] == '\0');
}

/*
 * The round trip: format @rec, check the text, parse it back to the same
 * bytes, and format again to the same text.
 */
static void
round_trip(const struct xfbfs_type *t, const void *rec)
{
	char		a[XFBFS_REC_TEXT_MAX + 1], b[XFBFS_REC_TEXT_MAX + 1];
	uint8_t		back[XBT_REC_MAX];
	const char	*why;
	int		error;

	format(t, rec, a);
	assert_canonical(a);
	/* The daemon hands parsers lines without their newline. */
	memcpy(b, a, strlen(a) - 1);
	b[strlen(a) - 1] = '\0';
	memset(back, 0xA5, sizeof(back));
	error = parse(t, REC, b, back, NULL, &why);
	ck_assert_msg(error == 0, "%s: '%.*s' does not parse: %s", t->name,
		      (int)strlen(a) - 1, a, why);
	ck_assert_msg(!memcmp(back, rec, t->ops->rec_len),
		      "%s: '%.*s' parses to other bytes", t->name,
		      (int)strlen(a) - 1, a);
	format(t, back, b);
	ck_assert_str_eq(a, b);
}

/* Parse @line as a record and check it prints as @want (no newline). */
static void
check_canon(const struct xfbfs_type *t, const char *line, const char *want)
{
	char		buf[XFBFS_REC_TEXT_MAX + 1];
	uint8_t		rec[XBT_REC_MAX];
	const char	*why;
	int		error;

	error = parse(t, REC, line, rec, NULL, &why);
	ck_assert_msg(error == 0, "%s: '%s' refused: %s", t->name, line, why);
	format(t, rec, buf);
	buf[strlen(buf) - 1] = '\0';
	ck_assert_msg(!strcmp(buf, want), "%s: '%s' prints as '%s', not '%s'",
		      t->name, line, buf, want);
}

/* @line must be refused as a @w with -EINVAL and a reason. */
static void
check_reject(const struct xfbfs_type *t, enum what w, const char *line,
		const char *reason)
{
	uint8_t		a[XBT_REC_MAX], b[XBT_REC_MAX];
	const char	*why;
	int		error;

	error = parse(t, w, line, a, b, &why);
	ck_assert_msg(error == -EINVAL, "%s: '%s' gave %d, not -EINVAL",
		      t->name, line, error);
	ck_assert_msg(why && *why, "%s: '%s' refused without a reason",
		      t->name, line);
	if (reason)
		ck_assert_msg(strstr(why, reason) != NULL,
			      "%s: '%s' refused with '%s', expected '%s'",
			      t->name, line, why, reason);
}

/* ---- the type tables -------------------------------------------------- */

START_TEST(test_tables)
{
	ck_assert_str_eq(xfbfs_type_rmap.name, "rmap");
	ck_assert_ptr_eq(xfbfs_type_rmap.ops, &rmapbt_ops);
	ck_assert(!xfbfs_type_rmap.delete_by_key);
	ck_assert_str_eq(xfbfs_type_refcount.name, "refcount");
	ck_assert_ptr_eq(xfbfs_type_refcount.ops, &refcbt_ops);
	ck_assert(xfbfs_type_refcount.delete_by_key);
	ck_assert(xfbfs_type_kv.delete_by_key);
	ck_assert_ptr_nonnull(xfbfs_type_rmap.parse_rec);
	ck_assert_ptr_nonnull(xfbfs_type_rmap.parse_key);
	ck_assert_ptr_nonnull(xfbfs_type_rmap.parse_range);
	ck_assert_ptr_nonnull(xfbfs_type_rmap.format_rec);
	ck_assert_ptr_nonnull(xfbfs_type_refcount.parse_rec);
	ck_assert_ptr_nonnull(xfbfs_type_refcount.parse_key);
	ck_assert_ptr_nonnull(xfbfs_type_refcount.parse_range);
	ck_assert_ptr_nonnull(xfbfs_type_refcount.format_rec);
}
END_TEST

/* ---- round trips ------------------------------------------------------ */

static uint64_t
rnd(uint64_t *seed, uint64_t n)
{
	return test_rand(seed) % n;
}

/* A random number of a random width, 1 .. @bits bits. */
static uint64_t
rnd_mag(uint64_t *seed, unsigned int bits)
{
	unsigned int	b = 1 + rnd(seed, bits);
	uint64_t	v = test_rand(seed);

	return b >= 64 ? v : v & ((1ULL << b) - 1);
}

/* Numbers print as printf prints them, at every digit-count edge. */
START_TEST(test_format_u64)
{
	uint64_t	seed = test_seed("format_u64");
	uint64_t	p = 1, v;
	char		want[32], got[32];
	size_t		n;
	int		i, d;

	for (d = 0; d < 20; d++, p *= 10) {
		for (i = -1; i <= 1; i++) {
			v = p + i;
			if (d == 0 && i < 0)
				v = 0;
			snprintf(want, sizeof(want), "%llu",
				 (unsigned long long)v);
			memset(got, 'x', sizeof(got));
			n = xfbfs_format_u64(got, v);
			ck_assert_int_eq(got[n], 'x');	/* nothing past */
			got[n] = 0;
			ck_assert_str_eq(got, want);
		}
	}
	for (i = 0; i < 100000; i++) {
		v = test_rand(&seed) >> (test_rand(&seed) % 64);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		memset(got, 'x', sizeof(got));
		n = xfbfs_format_u64(got, v);
		T_ASSERT(got[n] == 'x');
		got[n] = 0;
		T_ASSERT(!strcmp(got, want));
	}
	n = xfbfs_format_u64(got, UINT64_MAX);
	got[n] = 0;
	ck_assert_str_eq(got, "18446744073709551615");
}
END_TEST

/*
 * kv's fast line parser agrees with the general one wherever it answers,
 * answers for every canonical line, and never reads past the buffer (the
 * buffers are exactly as long as the text, for the sanitizers).
 */
START_TEST(test_kv_fast_lines)
{
	static const char *const odd[] = {
		"1 2", "1  2\n", " 1 2\n", "1\t2\n", "0x10 2\n", "1 2 \n",
		"12345678901234567890 1\n", "1 18446744073709551616\n",
		"-1 2\n", "1 2x\n", "\n", "1\n", "1 \n", "a b\n",
	};
	uint64_t	seed = test_seed("kv_fast_lines");
	uint8_t		r1[16], r2[16];
	char		text[64], *buf;
	const char	*why;
	size_t		len, got;
	unsigned int	i;
	uint64_t	k, v;

	for (i = 0; i < 200000; i++) {
		k = test_rand(&seed) >> (test_rand(&seed) % 64);
		v = test_rand(&seed) >> (test_rand(&seed) % 64);
		len = snprintf(text, sizeof(text), "%llu %llu\n",
			       (unsigned long long)k, (unsigned long long)v);
		buf = malloc(len);
		memcpy(buf, text, len);
		got = xfbfs_type_kv.parse_line_fast(buf, len, r1);
		if (k < 10000000000000000000ULL &&
		    v < 10000000000000000000ULL)
			T_EQ(got, len);		/* 19 digits or fewer */
		if (got) {
			T_EQ(got, len);
			T_EQ(kvbt_rec_key(r1), k);
			T_EQ(kvbt_rec_val(r1), v);
		}
		/* Every prefix: either no answer or the same record. */
		got = xfbfs_type_kv.parse_line_fast(buf, len - 1, r2);
		T_EQ(got, 0);
		free(buf);
	}
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		len = strlen(odd[i]);
		buf = malloc(len + 1);
		memcpy(buf, odd[i], len + 1);
		got = xfbfs_type_kv.parse_line_fast(buf, len, r1);
		ck_assert_msg(got == 0, "fast parser took \"%s\"", odd[i]);
		free(buf);
	}
	/* And what it takes, the general parser takes the same way. */
	ck_assert_uint_eq(xfbfs_type_kv.parse_line_fast("42 7\n", 5, r1), 5);
	ck_assert_int_eq(parse(&xfbfs_type_kv, REC, "42 7", r2, NULL, &why),
			 0);
	ck_assert(!memcmp(r1, r2, 16));
}
END_TEST

START_TEST(test_kv_round_trip)
{
	uint64_t	seed = test_seed("text_kv");
	uint8_t		rec[16];
	unsigned int	i;

	for (i = 0; i < 100000; i++) {
		kvbt_rec_init(rec, rnd_mag(&seed, 64), rnd_mag(&seed, 64));
		round_trip(&xfbfs_type_kv, rec);
	}
	kvbt_rec_init(rec, 0, 0);
	round_trip(&xfbfs_type_kv, rec);
	kvbt_rec_init(rec, UINT64_MAX, UINT64_MAX);
	round_trip(&xfbfs_type_kv, rec);
	check_canon(&xfbfs_type_kv, "0x10\t0XfF", "16 255");
	check_canon(&xfbfs_type_kv, "  007 0x0000000000000001  ", "7 1");
	check_reject(&xfbfs_type_kv, REC, "1", NULL);
	check_reject(&xfbfs_type_kv, REC, "1 2 3", NULL);
	check_reject(&xfbfs_type_kv, REC, "18446744073709551616 1",
		     "out of range");
}
END_TEST

/* A random valid rmap record, from every corner of the rules. */
static void
gen_rmap(uint64_t *seed, struct rmapbt_irec *r)
{
	static const unsigned int fork_flags[] = {
		0, RMAPBT_F_UNWRITTEN, RMAPBT_F_ATTR, RMAPBT_F_BMBT,
		RMAPBT_F_ATTR | RMAPBT_F_BMBT,
	};
	uint64_t	room;

	r->startblock = rnd_mag(seed, 32);
	r->blockcount = 1 + rnd_mag(seed, 32);
	room = (1ULL << 32) - r->startblock;
	if (r->blockcount > room)
		r->blockcount = room;
	r->offset = 0;
	r->flags = 0;
	if (rnd(seed, 5) == 0) {
		r->owner = RMAPBT_OWN_NULL - rnd(seed, RMAPBT_NR_SPECIAL);
		return;
	}
	r->owner = 1 + rnd_mag(seed, 63) % ((1ULL << 63) - 1);
	r->flags = fork_flags[rnd(seed, 5)];
	if (r->flags & RMAPBT_F_BMBT)
		return;
	r->offset = rnd_mag(seed, 54);
	if (r->offset + r->blockcount > (1ULL << 54))
		r->offset = (1ULL << 54) - r->blockcount;
}

START_TEST(test_rmap_round_trip)
{
	uint64_t		seed = test_seed("text_rmap");
	struct rmapbt_irec	r;
	uint8_t			rec[24];
	unsigned int		i;

	for (i = 0; i < 100000; i++) {
		gen_rmap(&seed, &r);
		rmapbt_rec_init(rec, &r);
		T_ASSERT(rmapbt_ops.verify_rec(rec) == NULL);
		round_trip(&xfbfs_type_rmap, rec);
	}
	/* The extremes. */
	r = (struct rmapbt_irec){ UINT32_MAX, 1, (1ULL << 63) - 1,
				  (1ULL << 54) - 1, RMAPBT_F_ATTR };
	rmapbt_rec_init(rec, &r);
	round_trip(&xfbfs_type_rmap, rec);
	r = (struct rmapbt_irec){ 0, UINT32_MAX, 1, 0, RMAPBT_F_UNWRITTEN };
	rmapbt_rec_init(rec, &r);
	round_trip(&xfbfs_type_rmap, rec);
}
END_TEST

START_TEST(test_refcount_round_trip)
{
	uint64_t		seed = test_seed("text_refcount");
	struct refcbt_irec	r;
	uint8_t			rec[12];
	unsigned int		i;

	for (i = 0; i < 100000; i++) {
		r.cow = rnd(&seed, 2);
		r.startblock = rnd_mag(&seed, 31);
		r.blockcount = 1 + rnd_mag(&seed, 31);
		if ((uint64_t)r.startblock + r.blockcount > (1ULL << 31))
			r.blockcount = (1U << 31) - r.startblock;
		r.refcount = r.cow ? 1 : 2 + rnd_mag(&seed, 32) %
					     (UINT32_MAX - 1);
		refcbt_rec_init(rec, &r);
		T_ASSERT(refcbt_ops.verify_rec(rec) == NULL);
		round_trip(&xfbfs_type_refcount, rec);
	}
}
END_TEST

/* ---- rmap lines ------------------------------------------------------- */

static const char *const rmap_canon[][2] = {
	{ "10 5 131 0", "10 5 131 0" },
	{ "0x10 0x5 0x83 0x20", "16 5 131 32" },
	{ "0X10 0XA 0XABCDEF 0x0", "16 10 11259375 0" },
	{ "\t 10\t5  131 \t7 ", "10 5 131 7" },
	{ "0010 05 0131 007", "10 5 131 7" },
	/* Flags, any order in, canonical order out. */
	{ "1 1 2 3 attr", "1 1 2 3 attr" },
	{ "1 1 2 3 unwritten", "1 1 2 3 unwritten" },
	{ "1 1 2 0 bmbt", "1 1 2 0 bmbt" },
	{ "1 1 2 0 attr,bmbt", "1 1 2 0 attr,bmbt" },
	{ "1 1 2 0 bmbt,attr", "1 1 2 0 attr,bmbt" },
	/* Special owners: by name, by value, in hex. */
	{ "1 1 null 0", "1 1 null 0" },
	{ "1 1 unknown 0", "1 1 unknown 0" },
	{ "1 1 fs 0", "1 1 fs 0" },
	{ "1 1 log 0", "1 1 log 0" },
	{ "1 1 ag 0", "1 1 ag 0" },
	{ "1 1 inobt 0", "1 1 inobt 0" },
	{ "1 1 inodes 0", "1 1 inodes 0" },
	{ "1 1 refc 0", "1 1 refc 0" },
	{ "1 1 cow 0", "1 1 cow 0" },
	{ "1 1 18446744073709551615 0", "1 1 null 0" },
	{ "1 1 18446744073709551614 0", "1 1 unknown 0" },
	{ "1 1 18446744073709551613 0", "1 1 fs 0" },
	{ "1 1 18446744073709551612 0", "1 1 log 0" },
	{ "1 1 18446744073709551611 0", "1 1 ag 0" },
	{ "1 1 18446744073709551610 0", "1 1 inobt 0" },
	{ "1 1 18446744073709551609 0", "1 1 inodes 0" },
	{ "1 1 18446744073709551608 0", "1 1 refc 0" },
	{ "1 1 18446744073709551607 0", "1 1 cow 0" },
	{ "1 1 0xfffffffffffffffd 0", "1 1 fs 0" },
	{ "1 1 0xFFFFFFFFFFFFFFF7 0", "1 1 cow 0" },
	/* Limits. */
	{ "4294967295 1 1 0", "4294967295 1 1 0" },
	{ "0 4294967295 1 0", "0 4294967295 1 0" },
	{ "0 1 9223372036854775807 0", "0 1 9223372036854775807 0" },
	{ "0 1 1 18014398509481983", "0 1 1 18014398509481983" },
	{ "0 10 1 0x3ffffffffffff6 unwritten",
	  "0 10 1 18014398509481974 unwritten" },
};

START_TEST(test_rmap_canonical)
{
	unsigned int	i;

	for (i = 0; i < sizeof(rmap_canon) / sizeof(rmap_canon[0]); i++)
		check_canon(&xfbfs_type_rmap, rmap_canon[i][0],
			    rmap_canon[i][1]);
}
END_TEST

/* Every flag set in every order gives the same bits. */
START_TEST(test_rmap_flag_orders)
{
	static const char *const lists[][2] = {
		{ "attr,bmbt", "bmbt,attr" },
		{ "attr", "attr" },
		{ "bmbt", "bmbt" },
		{ "unwritten", "unwritten" },
	};
	static const char *const three[] = {
		"attr,bmbt,unwritten", "attr,unwritten,bmbt",
		"bmbt,attr,unwritten", "bmbt,unwritten,attr",
		"unwritten,attr,bmbt", "unwritten,bmbt,attr",
	};
	uint8_t		a[24], b[24], k[20], want[20];
	char		line[128];
	const char	*why;
	unsigned int	i;

	for (i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "7 2 99 0 %s", lists[i][0]);
		T_EQ(parse(&xfbfs_type_rmap, REC, line, a, NULL, &why), 0);
		snprintf(line, sizeof(line), "7 2 99 0 %s", lists[i][1]);
		T_EQ(parse(&xfbfs_type_rmap, REC, line, b, NULL, &why), 0);
		ck_assert_mem_eq(a, b, 24);
	}
	/* All three cannot make a record, but a key takes them. */
	rmapbt_key_init(want, 7, 99, 0, RMAPBT_F_ATTR | RMAPBT_F_BMBT);
	for (i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "7 2 99 0 %s", three[i]);
		check_reject(&xfbfs_type_rmap, REC, line, "unwritten");
		snprintf(line, sizeof(line), "7 99 0 %s", three[i]);
		T_EQ(parse(&xfbfs_type_rmap, KEY, line, k, NULL, &why), 0);
		ck_assert_mem_eq(k, want, 20);
	}
}
END_TEST

static const char *const rmap_bad[][2] = {
	/* Shape. */
	{ "1 2 3", "expected" },
	{ "1 2 3 4 attr 6", "expected" },
	{ "a 1 1 0", "not a number" },
	{ "1 -1 1 0", "not a number" },
	{ "1 1 1 0x", "not a number" },
	{ "1 1 1 1.5", "not a number" },
	{ "1 1 1 0xg", "not a number" },
	/* Widths. */
	{ "4294967296 1 1 0", "below 2^32" },
	{ "0x100000000 1 1 0", "below 2^32" },
	{ "0 4294967296 1 0", "below 2^32" },
	{ "1 1 18446744073709551616 0", "out of range" },
	{ "1 1 1 18014398509481984", "below 2^54" },
	{ "1 1 1 0x40000000000000", "below 2^54" },
	{ "1 1 1 0x8000000000000000", "below 2^54" },
	/* XFS's rules. */
	{ "1 0 1 0", "zero" },
	{ "4294967295 2 1 0", "past block" },
	{ "4294967000 1000 1 0", "past block" },
	{ "1 1 0 0", "owner 0" },
	{ "1 1 0x8000000000000000 0", "not an inode" },
	{ "1 1 18446744073709551606 0", "not an inode" },	/* OWN_MIN */
	{ "1 1 fs 1", "nonzero offset" },
	{ "1 1 cow 5", "nonzero offset" },
	{ "1 1 ag 0 attr", "flags" },
	{ "1 1 log 0 bmbt", "flags" },
	{ "1 1 null 0 unwritten", "flags" },
	{ "1 1 5 1 bmbt", "bmbt" },
	{ "1 1 5 8 attr,bmbt", "bmbt" },
	{ "1 1 5 0 attr,unwritten", "unwritten" },
	{ "1 1 5 0 bmbt,unwritten", "unwritten" },
	{ "1 10 5 18014398509481975", "2^54" },
	{ "1 2 5 18014398509481983 attr", "2^54" },
	/* Owner names and flags. */
	{ "1 1 FS 0", "unknown owner" },
	{ "1 1 min 0", "unknown owner" },
	{ "1 1 fsx 0", "unknown owner" },
	{ "1 1 inode 0", "unknown owner" },
	{ "1 1 5 0 Attr", "unknown flag" },
	{ "1 1 5 0 data", "unknown flag" },
	{ "1 1 5 0 attr,", "empty flag" },
	{ "1 1 5 0 ,attr", "empty flag" },
	{ "1 1 5 0 attr,,bmbt", "empty flag" },
	{ "1 1 5 0 ,", "empty flag" },
	{ "1 1 5 0 attr,attr", "twice" },
	{ "1 1 5 0 unwritten,unwritten", "twice" },
	{ "1 1 5 0 attr bmbt", "expected" },
	/* The line splitter's own rule. */
	{ "1 1 5 0\x01", "control" },
};

START_TEST(test_rmap_reject)
{
	unsigned int	i;

	for (i = 0; i < sizeof(rmap_bad) / sizeof(rmap_bad[0]); i++)
		check_reject(&xfbfs_type_rmap, REC, rmap_bad[i][0],
			     rmap_bad[i][1]);
}
END_TEST

START_TEST(test_rmap_keys)
{
	uint8_t		k[20], want[20], lo[20], hi[20];
	const char	*why;

	T_EQ(parse(&xfbfs_type_rmap, KEY, "10 131 7", k, NULL, &why), 0);
	put_be32(want, 10);
	put_be64(want + 4, 131);
	put_be64(want + 12, 7);
	ck_assert_mem_eq(k, want, 20);

	/* attr and bmbt are in the key; unwritten is not. */
	T_EQ(parse(&xfbfs_type_rmap, KEY, "0xa 131 7 attr", k, NULL, &why),
	     0);
	put_be64(want + 12, 7 | BIT_ATTR);
	ck_assert_mem_eq(k, want, 20);
	T_EQ(parse(&xfbfs_type_rmap, KEY, "10 131 7 unwritten,attr", k, NULL,
		   &why), 0);
	ck_assert_mem_eq(k, want, 20);
	T_EQ(parse(&xfbfs_type_rmap, KEY, "10 131 0 bmbt", k, NULL, &why), 0);
	put_be64(want + 12, BIT_BMBT);
	ck_assert_mem_eq(k, want, 20);

	/* Owners by name; keys need not be records' (no offset rule). */
	T_EQ(parse(&xfbfs_type_rmap, KEY, "10 inobt 99", k, NULL, &why), 0);
	put_be64(want + 4, RMAPBT_OWN_INOBT);
	put_be64(want + 12, 99);
	ck_assert_mem_eq(k, want, 20);
	T_EQ(parse(&xfbfs_type_rmap, KEY, "0 0 0", k, NULL, &why), 0);

	/* The key of a parsed record is what parse_key gives. */
	{
		uint8_t	rec[24], rk[20];

		T_EQ(parse(&xfbfs_type_rmap, REC, "5 3 8 4 attr", rec, NULL,
			   &why), 0);
		rmapbt_ops.init_key_from_rec(rk, rec);
		T_EQ(parse(&xfbfs_type_rmap, KEY, "5 8 4 attr", k, NULL,
			   &why), 0);
		ck_assert_mem_eq(k, rk, 20);
		T_EQ(parse(&xfbfs_type_rmap, REC, "5 3 8 4 unwritten", rec,
			   NULL, &why), 0);
		rmapbt_ops.init_key_from_rec(rk, rec);
		T_EQ(parse(&xfbfs_type_rmap, KEY, "5 8 4", k, NULL, &why), 0);
		ck_assert_mem_eq(k, rk, 20);
	}

	check_reject(&xfbfs_type_rmap, KEY, "10 131", "expected");
	check_reject(&xfbfs_type_rmap, KEY, "10 131 7 attr 1", "expected");
	check_reject(&xfbfs_type_rmap, KEY, "4294967296 1 1", "2^32");
	check_reject(&xfbfs_type_rmap, KEY, "1 1 18014398509481984", "2^54");
	check_reject(&xfbfs_type_rmap, KEY, "1 bogus 0", "unknown owner");
	check_reject(&xfbfs_type_rmap, KEY, "1 1 0 attr,attr", "twice");
	check_reject(&xfbfs_type_rmap, KEY, "1 1 0 nope", "unknown flag");

	/* Ranges: (LOW, 0, 0) .. (HIGH, ~0, ~0). */
	T_EQ(parse(&xfbfs_type_rmap, RANGE, "100 0x200", lo, hi, &why), 0);
	memset(want, 0, 20);
	put_be32(want, 100);
	ck_assert_mem_eq(lo, want, 20);
	memset(want, 0xff, 20);
	put_be32(want, 0x200);
	ck_assert_mem_eq(hi, want, 20);
	T_EQ(parse(&xfbfs_type_rmap, RANGE, "7 7", lo, hi, &why), 0);
	T_EQ(parse(&xfbfs_type_rmap, RANGE, "0 4294967295", lo, hi, &why), 0);
	check_reject(&xfbfs_type_rmap, RANGE, "8 7", "LOW is above HIGH");
	check_reject(&xfbfs_type_rmap, RANGE, "1", "expected LOW HIGH");
	check_reject(&xfbfs_type_rmap, RANGE, "1 2 3", "expected LOW HIGH");
	check_reject(&xfbfs_type_rmap, RANGE, "0 4294967296", "2^32");
	check_reject(&xfbfs_type_rmap, RANGE, "x 1", "not a number");
}
END_TEST

/* ---- refcount lines --------------------------------------------------- */

static const char *const refc_canon[][2] = {
	{ "10 5 2", "10 5 2" },
	{ "10 5 1 cow", "10 5 1 cow" },
	{ "0xa 0x5 0x2", "10 5 2" },
	{ "\t0x7fffffff 1 0xffffffff ", "2147483647 1 4294967295" },
	{ "0 2147483648 2", "0 2147483648 2" },
	{ "2147483646 2 1 cow", "2147483646 2 1 cow" },
	{ "00 01 0001  cow", "0 1 1 cow" },
};

START_TEST(test_refcount_canonical)
{
	unsigned int	i;

	for (i = 0; i < sizeof(refc_canon) / sizeof(refc_canon[0]); i++)
		check_canon(&xfbfs_type_refcount, refc_canon[i][0],
			    refc_canon[i][1]);
}
END_TEST

static const char *const refc_bad[][2] = {
	{ "10 5", "expected" },
	{ "10 5 2 cow 1", "expected" },
	{ "10 5 2 shared", "only be cow" },
	{ "10 5 1 COW", "only be cow" },
	{ "10 5 1 cow,", "only be cow" },
	{ "2147483648 1 2", "below 2^31" },
	{ "0x80000000 1 1 cow", "below 2^31" },
	{ "4294967296 1 2", "below 2^31" },
	{ "1 4294967296 2", "below 2^32" },
	{ "1 1 4294967296", "below 2^32" },
	{ "10 0 2", "zero" },
	{ "10 0 1 cow", "zero" },
	{ "2147483647 2 2", "past block" },
	{ "2 2147483647 1 cow", "past block" },
	{ "1 2147483648 1 cow", "past block" },
	{ "0 4294967295 2", "past block" },
	{ "10 5 1", "below 2" },
	{ "10 5 0", "below 2" },
	{ "10 5 2 cow", "other than 1" },
	{ "10 5 0 cow", "other than 1" },
	{ "-1 5 2", "not a number" },
	{ "1e3 5 2", "not a number" },
};

START_TEST(test_refcount_reject)
{
	unsigned int	i;

	for (i = 0; i < sizeof(refc_bad) / sizeof(refc_bad[0]); i++)
		check_reject(&xfbfs_type_refcount, REC, refc_bad[i][0],
			     refc_bad[i][1]);
}
END_TEST

START_TEST(test_refcount_keys)
{
	uint8_t		k[4], lo[4], hi[4], rec[12];
	const char	*why;

	T_EQ(parse(&xfbfs_type_refcount, KEY, "100", k, NULL, &why), 0);
	T_EQ(get_be32(k), 100);
	T_EQ(parse(&xfbfs_type_refcount, KEY, "0x64 cow", k, NULL, &why), 0);
	T_EQ(get_be32(k), 100 | (1U << 31));
	T_EQ(parse(&xfbfs_type_refcount, KEY, "2147483647 cow", k, NULL,
		   &why), 0);
	T_EQ(get_be32(k), UINT32_MAX);
	/* The key of a record is what parse_key gives. */
	T_EQ(parse(&xfbfs_type_refcount, REC, "77 3 1 cow", rec, NULL, &why),
	     0);
	T_EQ(parse(&xfbfs_type_refcount, KEY, "77 cow", k, NULL, &why), 0);
	ck_assert_mem_eq(k, rec, 4);

	check_reject(&xfbfs_type_refcount, KEY, "", "expected");
	check_reject(&xfbfs_type_refcount, KEY, "1 2", "only be cow");
	check_reject(&xfbfs_type_refcount, KEY, "1 cow 2", "expected");
	check_reject(&xfbfs_type_refcount, KEY, "2147483648", "below 2^31");
	check_reject(&xfbfs_type_refcount, KEY, "0x80000000 cow",
		     "below 2^31");

	/* Ranges: LOW..HIGH in the shared domain, then in the CoW one. */
	{
		struct xfbfs_field	f[XFBFS_FIELDS_MAX];
		uint8_t			l2[XFBFS_RANGES_MAX][XBT_KEY_MAX];
		uint8_t			h2[XFBFS_RANGES_MAX][XBT_KEY_MAX];
		int			nf;

		nf = xfbfs_split_fields("100 200", 7, f, &why);
		T_EQ(xfbfs_type_refcount.parse_range(f, nf, l2, h2, &why), 2);
		T_EQ(get_be32(l2[0]), 100);
		T_EQ(get_be32(h2[0]), 200);
		T_EQ(get_be32(l2[1]), 100 | (1U << 31));
		T_EQ(get_be32(h2[1]), 200 | (1U << 31));
	}
	T_EQ(parse(&xfbfs_type_refcount, RANGE, "0 2147483647", lo, hi, &why),
	     0);
	T_EQ(get_be32(lo), 0);
	T_EQ(get_be32(hi), INT32_MAX);
	T_EQ(parse(&xfbfs_type_refcount, RANGE, "5 5", lo, hi, &why), 0);
	check_reject(&xfbfs_type_refcount, RANGE, "6 5", "LOW is above HIGH");
	check_reject(&xfbfs_type_refcount, RANGE, "0 2147483648",
		     "below 2^31");
	check_reject(&xfbfs_type_refcount, RANGE, "1 2 cow", "expected");
	check_reject(&xfbfs_type_refcount, RANGE, "1", "expected");

	/* refcbt_rec_overlaps: the filter for that interval. */
	T_EQ(parse(&xfbfs_type_refcount, REC, "100 10 2", rec, NULL, &why), 0);
	T_ASSERT(refcbt_rec_overlaps(rec, 109, 500));
	T_ASSERT(refcbt_rec_overlaps(rec, 0, 100));
	T_ASSERT(refcbt_rec_overlaps(rec, 102, 103));
	T_ASSERT(!refcbt_rec_overlaps(rec, 110, 500));
	T_ASSERT(!refcbt_rec_overlaps(rec, 0, 99));
	T_EQ(parse(&xfbfs_type_refcount, REC, "2147483640 8 1 cow", rec, NULL,
		   &why), 0);
	T_ASSERT(refcbt_rec_overlaps(rec, 2147483647, 2147483647));
	T_ASSERT(!refcbt_rec_overlaps(rec, 0, 2147483639));
}
END_TEST

/* ---- the longest records fit the output buffer ------------------------ */

START_TEST(test_longest)
{
	struct rmapbt_irec	r = { UINT32_MAX - 1, 2, (1ULL << 63) - 1,
				      (1ULL << 54) - 2, RMAPBT_F_ATTR };
	char			buf[XFBFS_REC_TEXT_MAX + 1];
	uint8_t			rec[24];

	rmapbt_rec_init(rec, &r);
	ck_assert_str_eq(format(&xfbfs_type_rmap, rec, buf),
			 "4294967294 2 9223372036854775807 "
			 "18014398509481982 attr\n");
	r = (struct rmapbt_irec){ 1, 1, 2, 0, RMAPBT_F_ATTR | RMAPBT_F_BMBT };
	rmapbt_rec_init(rec, &r);
	ck_assert_str_eq(format(&xfbfs_type_rmap, rec, buf),
			 "1 1 2 0 attr,bmbt\n");
	r = (struct rmapbt_irec){ 1, 1, RMAPBT_OWN_INODES, 0, 0 };
	rmapbt_rec_init(rec, &r);
	ck_assert_str_eq(format(&xfbfs_type_rmap, rec, buf),
			 "1 1 inodes 0\n");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("text");
	TCase	*tc = tcase_create("text");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_format_u64);
	tcase_add_test(tc, test_kv_fast_lines);
	tcase_add_test(tc, test_kv_round_trip);
	tcase_add_test(tc, test_rmap_round_trip);
	tcase_add_test(tc, test_refcount_round_trip);
	tcase_add_test(tc, test_rmap_canonical);
	tcase_add_test(tc, test_rmap_flag_orders);
	tcase_add_test(tc, test_rmap_reject);
	tcase_add_test(tc, test_rmap_keys);
	tcase_add_test(tc, test_refcount_canonical);
	tcase_add_test(tc, test_refcount_reject);
	tcase_add_test(tc, test_refcount_keys);
	tcase_add_test(tc, test_longest);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
