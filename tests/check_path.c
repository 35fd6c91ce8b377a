// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_path.c: xbtree_path() (path.c), the `path` query's library part.
 *
 * Deep trees (512-byte blocks, heights 3 to 5) of each type: kv with even
 * keys only, rmap with overlapping extents of several owners and forks,
 * refcount with shared and CoW extents.  For every record's key and for
 * keys that are not there (between two records, below the first, past
 * the last), the path must equal the one an independent descent finds:
 * the test reads the raw blocks (xbtree_read_block()) and walks them
 * with linear scans and the type's cmp_keys, not the engine's search.
 * Then the path must mean what it says: the leaf's record at the slot
 * has the key (present keys), or the key lies between the records
 * before and at the slot (missing keys; slot numrecs past the last of
 * the rightmost leaf, 0 below the first of the leftmost), each node
 * slot points at the next step's block, and the levels count down to 0.
 * An empty tree is one step (level 0, block 1, slot 0); damage on the
 * way is -EUCLEAN or -EBADMSG, never a path.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "tests/lib/btree_test.h"

#define BS	512

static uint64_t	seed;

static void
quiet(const char *msg)
{
	(void)msg;
}

/* ---- an independent descent over raw blocks ------------------------- */

struct raw {
	struct xbtree		*bt;
	const struct xbt_ops	*ops;
	unsigned int		keyslot;
	unsigned int		ptr_off;
	uint8_t			buf[BS];
};

static void
raw_init(struct raw *r, struct xbtree *bt)
{
	unsigned int	maxn;

	r->bt = bt;
	r->ops = xbtree_ops(bt);
	r->keyslot = r->ops->key_len *
		     ((r->ops->flags & XBT_OPS_OVERLAPPING) ? 2 : 1);
	maxn = (BS - XBT_BLOCK_HDR_LEN) / (r->keyslot + XBT_PTR_LEN);
	r->ptr_off = XBT_BLOCK_HDR_LEN + maxn * r->keyslot;
}

/* Read block @bno into r->buf; its level and numrecs. */
static void
raw_read(struct raw *r, uint64_t bno, unsigned int *level, unsigned int *n)
{
	T_EQ(xbtree_read_block(r->bt, bno, r->buf), 0);
	T_EQ(get_be32(r->buf), r->ops->magic);
	*level = get_be16(r->buf + 4);
	*n = get_be16(r->buf + 6);
}

/* Low key of entry @i of the block in r->buf at @level. */
static void
raw_key(struct raw *r, unsigned int level, unsigned int i, uint8_t *key)
{
	const uint8_t	*e;

	if (level) {
		e = r->buf + XBT_BLOCK_HDR_LEN + i * r->keyslot;
		memcpy(key, e, r->ops->key_len);
	} else {
		e = r->buf + XBT_BLOCK_HDR_LEN + i * r->ops->rec_len;
		r->ops->init_key_from_rec(key, e);
	}
}

/*
 * The descent a reader of the format makes, by linear scans: in a node
 * the last entry whose key is <= @key (0 if none), in the leaf the
 * first record whose key is >= @key (numrecs if none).
 */
static unsigned int
raw_path(struct raw *r, const void *key, struct xbt_path_step *steps)
{
	uint8_t		head[BS], k[XBT_KEY_MAX];
	unsigned int	height, level, n, i, slot, nsteps = 0;
	uint64_t	bno;

	T_EQ(xbtree_read_block(r->bt, 0, head), 0);
	height = get_be32(head + 4);
	bno = get_be64(head + 16);
	for (;;) {
		raw_read(r, bno, &level, &n);
		T_EQ(level, height - 1 - nsteps);
		slot = 0;
		for (i = 0; i < n; i++) {
			raw_key(r, level, i, k);
			if (level && r->ops->cmp_keys(k, key) <= 0)
				slot = i;
			if (!level && r->ops->cmp_keys(k, key) >= 0)
				break;
		}
		if (!level)
			slot = i;
		steps[nsteps++] = (struct xbt_path_step){ level, bno, slot };
		if (!level)
			return nsteps;
		bno = get_be64(r->buf + r->ptr_off + slot * XBT_PTR_LEN);
	}
}

/*
 * xbtree_path() for @key must equal the raw descent and mean what it
 * says.  @present: a record with exactly this key is in the tree.
 */
static void
assert_path(struct raw *r, const void *key, bool present)
{
	struct xbt_path_step	got[XBT_MAXLEVELS], want[XBT_MAXLEVELS];
	unsigned int		ngot, nwant, i, level, n;
	uint8_t			k[XBT_KEY_MAX];
	struct xbtree_stats	st;

	T_EQ(xbtree_path(r->bt, key, got, &ngot), 0);
	nwant = raw_path(r, key, want);
	xbtree_get_stats(r->bt, &st);
	T_EQ(ngot, st.height);
	T_EQ(ngot, nwant);
	for (i = 0; i < ngot; i++) {
		T_EQ(got[i].level, ngot - 1 - i);
		T_EQ(got[i].level, want[i].level);
		T_EQ(got[i].bno, want[i].bno);
		T_EQ(got[i].slot, want[i].slot);
	}
	/* Each node slot points at the next step's block. */
	for (i = 0; i + 1 < ngot; i++) {
		raw_read(r, got[i].bno, &level, &n);
		T_ASSERT(got[i].slot < n);
		T_EQ(get_be64(r->buf + r->ptr_off +
			      got[i].slot * XBT_PTR_LEN), got[i + 1].bno);
	}
	/* The leaf: the record itself, or where it would be inserted. */
	raw_read(r, got[ngot - 1].bno, &level, &n);
	T_EQ(level, 0);
	T_ASSERT(got[ngot - 1].slot <= n);
	if (present) {
		T_ASSERT(got[ngot - 1].slot < n);
		raw_key(r, 0, got[ngot - 1].slot, k);
		T_EQ(r->ops->cmp_keys(k, key), 0);
		return;
	}
	if (got[ngot - 1].slot > 0) {
		raw_key(r, 0, got[ngot - 1].slot - 1, k);
		T_ASSERT(r->ops->cmp_keys(k, key) < 0);
	}
	if (got[ngot - 1].slot < n) {
		raw_key(r, 0, got[ngot - 1].slot, k);
		T_ASSERT(r->ops->cmp_keys(k, key) > 0);
	} else {
		/* Past this leaf's last: the next leaf starts above the key. */
		uint64_t	right = get_be64(r->buf + 16);

		if (right != XBT_NULLBLOCK) {
			raw_read(r, right, &level, &n);
			raw_key(r, 0, 0, k);
			T_ASSERT(r->ops->cmp_keys(k, key) > 0);
		}
	}
}

/* Every record's key, in key order, through a cursor. */
static uint8_t *
all_keys(struct xbtree *bt, size_t *np)
{
	const struct xbt_ops	*ops = xbtree_ops(bt);
	size_t			n = xbtree_nrecords(bt), i = 0;
	uint8_t			*keys = malloc(n * XBT_KEY_MAX + 1);
	uint8_t			zero[XBT_KEY_MAX] = { 0 };
	struct xbt_cur		cur;
	int			stat;

	ck_assert_ptr_nonnull(keys);
	xbt_cur_init(&cur, bt);
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, zero, &stat), 0);
	while (stat) {
		T_ASSERT(i < n);
		ops->init_key_from_rec(keys + i * XBT_KEY_MAX,
				       xbt_cur_rec(&cur));
		i++;
		T_EQ(xbt_increment(&cur, &stat), 0);
	}
	T_EQ(i, n);
	*np = n;
	return keys;
}

/* kv: even keys in random order, so every odd key is missing. */
static void
make_kv(unsigned int i, uint64_t *rng, void *rec)
{
	(void)i;
	kvbt_rec_init(rec, 2 * (test_rand(rng) % 1000000) + 2,
		      test_rand(rng));
}

/* rmap: overlapping extents of a few owners, both forks, bmbt blocks. */
static void
make_rmap(unsigned int i, uint64_t *rng, void *rec)
{
	struct rmapbt_irec	irec = {
		.startblock = 2 * (test_rand(rng) % 20000) + 2,
		.blockcount = 1 + test_rand(rng) % 40,
		.owner = 128 + test_rand(rng) % 6,
		.offset = 2 * (test_rand(rng) % 1000),
		.flags = 0,
	};

	(void)i;
	switch (test_rand(rng) % 4) {
	case 1:
		irec.flags = RMAPBT_F_ATTR;
		break;
	case 2:
		irec.flags = RMAPBT_F_BMBT;
		irec.offset = 0;
		break;
	case 3:
		irec.flags = RMAPBT_F_UNWRITTEN;
		break;
	}
	rmapbt_rec_init(rec, &irec);
}

/* refcount: disjoint extents, every fourth slot taken, some CoW. */
static void
make_refc(unsigned int i, uint64_t *rng, void *rec)
{
	bool			cow = test_rand(rng) % 3 == 0;
	struct refcbt_irec	irec = {
		.startblock = 4 * i + 8,
		.blockcount = 1 + test_rand(rng) % 2,
		.refcount = cow ? 1 : 2 + test_rand(rng) % 5,
		.cow = cow,
	};

	refcbt_rec_init(rec, &irec);
}

/* ---- the tests ------------------------------------------------------- */

START_TEST(test_empty)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, BS);
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	uint8_t			key[KVBT_KEY_LEN];
	unsigned int		n = 99;

	kvbt_key_init(key, 42);
	T_EQ(xbtree_path(bt, key, steps, &n), 0);
	T_EQ(n, 1);
	T_EQ(steps[0].level, 0);
	T_EQ(steps[0].bno, 1);
	T_EQ(steps[0].slot, 0);
	xbtree_destroy(bt);
}
END_TEST

/*
 * Keys near present key @k that are not in the tree (the makers leave
 * gaps: odd kv keys, odd rmap start blocks and offsets, refcount starts
 * that are 4i + 8), one drawn anywhere; returns how many, into @out.
 */
static unsigned int
near_kv(const uint8_t *k, uint64_t *rng, uint8_t out[][XBT_KEY_MAX])
{
	kvbt_key_init(out[0], get_be64(k) + 1);
	kvbt_key_init(out[1], 2 * (test_rand(rng) % 1000000) + 1);
	return 2;
}

static unsigned int
near_rmap(const uint8_t *k, uint64_t *rng, uint8_t out[][XBT_KEY_MAX])
{
	uint64_t	packed = get_be64(k + 12);

	rmapbt_key_init(out[0], get_be32(k) + 1, 128, 0, 0);
	rmapbt_key_init(out[1], get_be32(k), get_be64(k + 4),
			(packed & RMAPBT_OFF_MASK) | 1,
			rmapbt_unpack_flags(packed));
	rmapbt_key_init(out[2], 2 * (test_rand(rng) % 20000) + 1,
			test_rand(rng) % 140, test_rand(rng) % 999,
			test_rand(rng) % 4 & RMAPBT_F_ALL);
	return 3;
}

static unsigned int
near_refc(const uint8_t *k, uint64_t *rng, uint8_t out[][XBT_KEY_MAX])
{
	uint32_t	enc = get_be32(k);

	(void)rng;
	/* start + 3 is never a start; the same start, the other domain. */
	refcbt_key_init(out[0], (enc & REFCBT_START_MAX) + 3,
			enc & REFCBT_COW_BIT);
	refcbt_key_init(out[1], enc & REFCBT_START_MAX,
			!(enc & REFCBT_COW_BIT));
	return 2;
}

static const struct {
	const struct xbt_ops	*ops;
	unsigned int		nrecs;
	bt_make_fn		make;
	unsigned int		min_height;
	unsigned int		(*near)(const uint8_t *k, uint64_t *rng,
					uint8_t out[][XBT_KEY_MAX]);
	uint8_t			lowest[XBT_KEY_MAX];	/* all zeros */
	uint8_t			highest[XBT_KEY_MAX];
} cases[] = {
	{ &kvbt_ops, 20000, make_kv, 4, near_kv, { 0 },
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ &rmapbt_ops, 4000, make_rmap, 4, near_rmap, { 0 },
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ &refcbt_ops, 6000, make_refc, 3, near_refc, { 0 },
	  { 0xff, 0xff, 0xff, 0xff } },
};

/*
 * Every record's key, keys near each that are not there, keys drawn at
 * random, and the two ends of the key space.
 */
START_TEST(test_types)
{
	struct xbtree		*bt;
	struct xbtree_stats	st;
	struct raw		r;
	uint8_t			*keys, near[3][XBT_KEY_MAX];
	uint64_t		rng = seed;
	unsigned int		j, nn;
	size_t			n, i;

	bt = bt_build(cases[_i].ops, BS, cases[_i].nrecs, cases[_i].make,
		      seed);
	raw_init(&r, bt);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, cases[_i].min_height);
	keys = all_keys(bt, &n);
	ck_assert_uint_eq(n, cases[_i].nrecs);
	for (i = 0; i < n; i++) {
		assert_path(&r, keys + i * XBT_KEY_MAX, true);
		nn = cases[_i].near(keys + i * XBT_KEY_MAX, &rng, near);
		for (j = 0; j < nn; j++)
			assert_path(&r, near[j], false);
	}
	assert_path(&r, cases[_i].lowest, false);
	assert_path(&r, cases[_i].highest, false);
	free(keys);
	xbtree_destroy(bt);
}
END_TEST

/* The path agrees with a cursor's EQ lookup, the leaf included. */
START_TEST(test_cursor)
{
	struct xbtree		*bt;
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	struct xbt_cur		cur;
	uint8_t			*keys;
	unsigned int		ns, l;
	size_t			n, i;
	int			stat;

	bt = bt_build(&rmapbt_ops, BS, 3000, make_rmap, seed);
	keys = all_keys(bt, &n);
	for (i = 0; i < n; i += 7) {
		T_EQ(xbtree_path(bt, keys + i * XBT_KEY_MAX, steps, &ns), 0);
		xbt_cur_init(&cur, bt);
		T_EQ(xbt_lookup(&cur, XBT_LOOKUP_EQ, keys + i * XBT_KEY_MAX,
				&stat), 0);
		T_EQ(stat, 1);
		T_EQ(cur.nlevels, ns);
		for (l = 0; l < ns; l++) {
			T_EQ(cur.lv[l].bno, steps[ns - 1 - l].bno);
			T_EQ(cur.lv[l].slot, steps[ns - 1 - l].slot);
		}
	}
	free(keys);
	xbtree_destroy(bt);
}
END_TEST

/* A damaged node on the way: an error, not a path. */
START_TEST(test_damaged)
{
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	uint8_t			head[BS], key[KVBT_KEY_LEN];
	struct xbtree		*bt;
	unsigned int		ns;
	uint64_t		root;
	int			error;

	bt = bt_build(&kvbt_ops, BS, 3000, make_kv, seed);
	T_EQ(xbtree_read_block(bt, 0, head), 0);
	root = get_be64(head + 16);
	/* A byte of the root's first key: the checksum no longer matches. */
	T_EQ(xbtree_write_block(bt, root, "\x77", 1, XBT_BLOCK_HDR_LEN + 3),
	     0);
	kvbt_key_init(key, 1000);
	error = xbtree_path(bt, key, steps, &ns);
	T_EQ(error, -EBADMSG);
	T_EQ(ns, 0);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("path");
	TCase	*tc = tcase_create("path");

	xbt_set_log_fn(quiet);
	seed = test_seed("path");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_empty);
	tcase_add_loop_test(tc, test_types, 0, 3);
	tcase_add_test(tc, test_cursor);
	tcase_add_test(tc, test_damaged);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
