// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_btree.c: the engine at its edges, through the public API.
 *
 * Empty tree (block 0 + an empty root leaf at block 1), one block, the
 * first root split, root collapse, first and last slots, shifts, joins,
 * lookups in every direction, cursors across leaves, range queries on a
 * plain and an overlapping btree, the on-memory format of block 0 and of
 * a btree block, verifiers catching every kind of damage, and rollback of
 * a cancelled transaction byte for byte.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/crc32c.h"
#include "btree/format.h"
#include "tests/lib/btree_test.h"
#include "xfile/xfile.h"

static struct xbt_trans *
begin(struct xbtree *bt)
{
	struct xbt_trans	*tp = NULL;

	ck_assert_int_eq(xbt_trans_alloc(bt, &tp), 0);
	return tp;
}

static void
commit(struct xbt_trans *tp)
{
	ck_assert_int_eq(xbt_trans_commit(tp), 0);
}

/* Insert keys lo..hi (step) with value key * 3 in one transaction. */
static void
fill(struct xbtree *bt, uint64_t lo, uint64_t hi, uint64_t step)
{
	struct xbt_trans	*tp = begin(bt);
	uint64_t		k;
	int			stat;

	for (k = lo; k <= hi; k += step) {
		ck_assert_int_eq(kv_insert(tp, k, k * 3, &stat), 0);
		ck_assert_int_eq(stat, 1);
	}
	commit(tp);
}

START_TEST(test_empty_tree)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 4096);
	struct xbtree_stats	st;
	uint8_t			blk[4096];
	struct xbt_head_block	*h = (struct xbt_head_block *)blk;
	struct xbt_block	*b = (struct xbt_block *)blk;
	uint64_t		k, v, next;
	int			stat;

	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.height, 1);
	ck_assert_uint_eq(st.blocks, 2);
	ck_assert_uint_eq(st.maxrecs[0], (4096 - 72) / 16);
	ck_assert_uint_eq(st.maxrecs[1], (4096 - 72) / 16);

	/* Block 0: the header, 40 bytes as the seed patchset's first. */
	ck_assert_int_eq(xbtree_read_block(bt, 0, blk), 0);
	ck_assert_uint_eq(get_be32(blk), XBT_HEAD_MAGIC);
	ck_assert(!memcmp(blk, "CATM", 4));
	ck_assert_uint_eq(get_be32(blk + 4), 1);	/* height */
	ck_assert_uint_eq(get_be64(blk + 8), 42);	/* owner */
	ck_assert_uint_eq(get_be64(blk + 16), 1);	/* root */
	ck_assert_uint_eq(get_be32(blk + 40), KVBT_MAGIC);
	ck_assert_uint_eq(get_be32(blk + 44), 4096);
	ck_assert_uint_eq(le32_load(h->hb_crc),
			  xbt_crc32c_block(blk, 4096, 124));

	/* Block 1: the empty root leaf. */
	ck_assert_int_eq(xbtree_read_block(bt, 1, blk), 0);
	ck_assert(!memcmp(blk, "XKV3", 4));
	ck_assert_uint_eq(xbt_level(b), 0);
	ck_assert_uint_eq(xbt_numrecs(b), 0);
	ck_assert_uint_eq(xbt_leftsib(b), UINT64_MAX);
	ck_assert_uint_eq(xbt_rightsib(b), UINT64_MAX);
	ck_assert_uint_eq(xbt_daddr(b), 8);		/* 1 * 4096 / 512 */
	ck_assert_uint_eq(xbt_owner(b), 42);
	ck_assert(!memcmp(b->bb_uuid, h->hb_uuid, 0));
	ck_assert_uint_eq(le32_load(b->bb_crc),
			  xbt_crc32c_block(blk, 4096, 64));

	ck_assert(!xbtree_next_block(bt, 2, &next));
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_GE, 0, &k, &v, &stat), 0);
	ck_assert_int_eq(stat, 0);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_LE, UINT64_MAX, &k, &v, &stat),
			 0);
	ck_assert_int_eq(stat, 0);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_one_block_lookups)
{
	struct xbtree	*bt = bt_create(&kvbt_ops, 4096);
	uint64_t	k, v;
	int		stat;

	fill(bt, 10, 100, 10);
	bt_assert_ok(bt);

	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_EQ, 50, &k, &v, &stat), 0);
	ck_assert(stat && k == 50 && v == 150);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_EQ, 55, &k, &v, &stat), 0);
	ck_assert_int_eq(stat, 0);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_GE, 55, &k, &v, &stat), 0);
	ck_assert(stat && k == 60);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_LE, 55, &k, &v, &stat), 0);
	ck_assert(stat && k == 50);
	/* Before the first and past the last slot. */
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_LE, 9, &k, &v, &stat), 0);
	ck_assert_int_eq(stat, 0);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_GE, 9, &k, &v, &stat), 0);
	ck_assert(stat && k == 10);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_GE, 101, &k, &v, &stat), 0);
	ck_assert_int_eq(stat, 0);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_LE, 101, &k, &v, &stat), 0);
	ck_assert(stat && k == 100);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_LE, 100, &k, &v, &stat), 0);
	ck_assert(stat && k == 100);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_duplicate_and_missing)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 512);
	struct xbt_trans	*tp;
	uint8_t			key[8], rec[16], old[16];
	int			stat;

	fill(bt, 1, 200, 1);
	tp = begin(bt);
	ck_assert_int_eq(kv_insert(tp, 77, 1, &stat), 0);
	ck_assert_int_eq(stat, 0);
	ck_assert_int_eq(kv_delete(tp, 1000, &stat), 0);
	ck_assert_int_eq(stat, 0);
	/* A whole-record delete must match the value too. */
	kvbt_key_init(key, 77);
	kvbt_rec_init(rec, 77, 5);
	ck_assert_int_eq(xbt_delete(tp, key, rec, NULL, &stat), 0);
	ck_assert_int_eq(stat, 0);
	kvbt_rec_init(rec, 77, 231);
	ck_assert_int_eq(xbt_delete(tp, key, rec, old, &stat), 0);
	ck_assert_int_eq(stat, 1);
	ck_assert(!memcmp(old, rec, 16));
	/* Update in place. */
	kvbt_rec_init(rec, 78, 9);
	ck_assert_int_eq(xbt_update(tp, rec, &stat), 0);
	ck_assert_int_eq(stat, 1);
	kvbt_rec_init(rec, 77, 9);
	ck_assert_int_eq(xbt_update(tp, rec, &stat), 0);
	ck_assert_int_eq(stat, 0);
	commit(tp);
	ck_assert_uint_eq(xbtree_nrecords(bt), 199);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

/*
 * 512-byte blocks hold 27 kv records: the 28th insert splits the root
 * leaf and grows the tree; deleting back collapses it.
 */
START_TEST(test_root_split_and_collapse)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 512);
	struct xbtree_stats	st;
	struct xbt_trans	*tp;
	unsigned int		max;
	uint64_t		k;
	int			stat;

	xbtree_get_stats(bt, &st);
	max = st.maxrecs[0];
	ck_assert_uint_eq(max, (512 - 72) / 16);
	fill(bt, 1, max, 1);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.height, 1);
	ck_assert_uint_eq(st.blocks, 2);

	fill(bt, max + 1, max + 1, 1);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.height, 2);
	ck_assert_uint_eq(st.blocks, 4);
	ck_assert_uint_eq(st.splits, 1);
	ck_assert_uint_eq(st.new_roots, 1);
	bt_assert_ok(bt);

	/* Delete from the front until the two leaves join. */
	tp = begin(bt);
	for (k = 1; k <= max; k++) {
		ck_assert_int_eq(kv_delete(tp, k, &stat), 0);
		ck_assert_int_eq(stat, 1);
	}
	commit(tp);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.height, 1);
	ck_assert_uint_eq(st.records, 1);
	ck_assert_uint_eq(st.blocks, 2);
	ck_assert_uint_ge(st.root_kills, 1);
	bt_assert_ok(bt);

	/* Empty again: the root is an empty leaf. */
	tp = begin(bt);
	ck_assert_int_eq(kv_delete(tp, max + 1, &stat), 0);
	ck_assert_int_eq(stat, 1);
	commit(tp);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.blocks, 2);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

/* Deep trees from few records; walk them both ways with a cursor. */
START_TEST(test_cursor_walks)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 512);
	struct xbtree_stats	st;
	struct xbt_cur		cur;
	uint8_t			key[8];
	uint64_t		k, n = 20000;
	int			stat;

	fill(bt, 0, 2 * (n - 1), 2);	/* even keys */
	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, 3);
	bt_assert_ok(bt);

	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, 0);
	ck_assert_int_eq(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
	for (k = 0; stat; k += 2) {
		ck_assert_uint_eq(kvbt_rec_key(xbt_cur_rec(&cur)), k);
		ck_assert_int_eq(xbt_increment(&cur, &stat), 0);
	}
	ck_assert_uint_eq(k, 2 * n);

	kvbt_key_init(key, UINT64_MAX);
	ck_assert_int_eq(xbt_lookup(&cur, XBT_LOOKUP_LE, key, &stat), 0);
	for (k = 2 * (n - 1); stat; k -= 2) {
		ck_assert_uint_eq(kvbt_rec_key(xbt_cur_rec(&cur)), k);
		ck_assert_int_eq(xbt_decrement(&cur, &stat), 0);
	}
	ck_assert_uint_eq(k, (uint64_t)-2);

	/* GE/LE of odd keys cross leaf boundaries correctly. */
	for (k = 1; k < 2 * n - 2; k += 2) {
		uint64_t	fk, fv;

		ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_GE, k, &fk, &fv, &stat),
				 0);
		ck_assert(stat && fk == k + 1);
		ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_LE, k, &fk, &fv, &stat),
				 0);
		ck_assert(stat && fk == k - 1);
	}
	xbtree_destroy(bt);
}
END_TEST

/*
 * Leaf runs and skips: the runs from the first record cover every record
 * once, in order; a skip of n lands where n increments land, across
 * leaves and past the end; a run's values change through kvbt_rec_at()
 * and kvbt_rec_set_val() on what xbt_cur_modify() hands out.
 */
START_TEST(test_cursor_runs_and_skips)
{
	static const unsigned int	steps[] = { 0, 1, 2, 5, 17, 60, 61,
						    300, 5000, 40000 };
	struct xbtree			*bt = bt_create(&kvbt_ops, 512);
	struct xbt_trans		*tp;
	struct xbt_cur			cur, ref;
	const void			*run;
	void				*w;
	uint8_t				key[8];
	uint64_t			k, n = 20000, seen = 0;
	unsigned int			len, i, j, runs = 0;
	int				stat, rstat;

	fill(bt, 0, 2 * (n - 1), 2);	/* even keys, value 3 * key */

	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, 0);
	ck_assert_int_eq(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
	while (stat) {
		run = xbt_cur_leaf_recs(&cur, &len);
		ck_assert_ptr_eq(run, xbt_cur_rec(&cur));
		ck_assert_uint_ge(len, 1);
		for (i = 0; i < len; i++) {
			ck_assert_uint_eq(kvbt_rec_key(kvbt_rec_at(run, i)),
					  2 * (seen + i));
			ck_assert_uint_eq(kvbt_rec_val(kvbt_rec_at(run, i)),
					  6 * (seen + i));
		}
		seen += len;
		runs++;
		ck_assert_int_eq(xbt_cur_skip(&cur, len, &stat), 0);
	}
	ck_assert_uint_eq(seen, n);
	ck_assert_uint_gt(runs, 1);
	/* Off the end: no run, and a skip stays off. */
	ck_assert_ptr_null(xbt_cur_leaf_recs(&cur, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(xbt_cur_skip(&cur, 3, &stat), 0);
	ck_assert_int_eq(stat, 0);

	/* A skip of n is n increments, from many starting points. */
	for (k = 0; k < 2 * n; k += 2 * 997) {
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			kvbt_key_init(key, k);
			xbt_cur_init(&cur, bt);
			xbt_cur_init(&ref, bt);
			ck_assert_int_eq(xbt_lookup(&cur, XBT_LOOKUP_EQ, key,
						    &stat), 0);
			ck_assert_int_eq(xbt_lookup(&ref, XBT_LOOKUP_EQ, key,
						    &rstat), 0);
			ck_assert_int_eq(xbt_cur_skip(&cur, steps[j], &stat),
					 0);
			for (i = 0; i < steps[j] && rstat; i++)
				ck_assert_int_eq(xbt_increment(&ref, &rstat),
						 0);
			ck_assert_int_eq(stat, rstat);
			ck_assert_int_eq(stat, k / 2 + steps[j] < n);
			if (stat)
				ck_assert_uint_eq(
					kvbt_rec_key(xbt_cur_rec(&cur)),
					k + 2 * steps[j]);
		}
	}

	/* Change a run's values in place; the keys stay. */
	tp = begin(bt);
	xbt_cur_init(&cur, bt);		/* a writer's: it takes tp */
	kvbt_key_init(key, 2 * 100);
	ck_assert_int_eq(xbt_lookup(&cur, XBT_LOOKUP_EQ, key, &stat), 0);
	ck_assert_ptr_nonnull(xbt_cur_leaf_recs(&cur, &len));
	ck_assert_int_eq(xbt_cur_modify(&cur, len, &w), 0);
	for (i = 0; i < len; i++)
		kvbt_rec_set_val(kvbt_rec_at(w, i), 7 + i);
	commit(tp);
	bt_assert_ok(bt);
	for (i = 0; i < len; i++) {
		uint64_t	fk, fv;

		ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_EQ, 2 * (100 + i), &fk,
					&fv, &stat), 0);
		ck_assert(stat && fv == 7 + i);
	}
	xbtree_destroy(bt);
}
END_TEST

struct range_acc {
	uint64_t	count;
	uint64_t	last;
	uint64_t	sum;
};

static int
kv_range_fn(const void *rec, void *priv)
{
	struct range_acc	*a = priv;
	uint64_t		k = kvbt_rec_key(rec);

	ck_assert(a->count == 0 || k > a->last);
	a->last = k;
	a->count++;
	a->sum += k;
	return 0;
}

static int
stop_fn(const void *rec, void *priv)
{
	(void)rec;
	return ++*(int *)priv == 3 ? XBT_QUERY_STOP : 0;
}

START_TEST(test_kv_range)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 1024);
	struct range_acc	a = { 0 };
	uint8_t			lo[8], hi[8];
	int			calls = 0;

	fill(bt, 0, 30000, 3);
	kvbt_key_init(lo, 100);
	kvbt_key_init(hi, 200);
	ck_assert_int_eq(xbtree_query_range(bt, lo, hi, kv_range_fn, &a), 0);
	/* 102, 105, ..., 198 */
	ck_assert_uint_eq(a.count, 33);
	ck_assert_uint_eq(a.sum, (102 + 198) * 33 / 2);
	ck_assert_int_eq(xbtree_query_range(bt, hi, lo, kv_range_fn, &a),
			 -EINVAL);
	kvbt_key_init(lo, 0);
	kvbt_key_init(hi, UINT64_MAX);
	ck_assert_int_eq(xbtree_query_range(bt, lo, hi, stop_fn, &calls), 0);
	ck_assert_int_eq(calls, 3);
	xbtree_destroy(bt);
}
END_TEST

struct ivl_acc {
	uint32_t	lo, hi;
	uint64_t	count;
	uint8_t		*seen;		/* by id */
};

static int
ivl_range_fn(const void *rec, void *priv)
{
	struct ivl_acc	*a = priv;
	uint32_t	start = get_be32(rec);
	uint32_t	len = get_be32((const uint8_t *)rec + 4);
	uint64_t	id = get_be64((const uint8_t *)rec + 8);

	ck_assert(start <= a->hi && start + len - 1 >= a->lo);
	a->seen[id]++;
	a->count++;
	return 0;
}

/* Overlapping btree: every range answer against a brute-force scan. */
START_TEST(test_overlapping_range)
{
	unsigned int		bs = _i ? 4096 : 512;
	struct xbtree		*bt = bt_create(&ivlbt_ops, bs);
	struct xbt_trans	*tp;
	uint64_t		seed = test_seed("overlapping_range") + bs;
	uint32_t		nrec = 6000, q, i;
	uint32_t		*start = calloc(nrec, 4), *len = calloc(nrec, 4);
	uint8_t			rec[16], lo[12], hi[12], key[12];
	struct ivl_acc		a;
	int			stat;

	a.seen = calloc(nrec, 1);
	tp = begin(bt);
	for (i = 0; i < nrec; i++) {
		start[i] = test_rand(&seed) % 100000;
		len[i] = 1 + (test_rand(&seed) % 7 == 0 ?
			      test_rand(&seed) % 20000 :
			      test_rand(&seed) % 50);
		ivlbt_rec_init(rec, start[i], len[i], i);
		ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
		ck_assert_int_eq(stat, 1);
	}
	commit(tp);
	bt_assert_ok(bt);

	for (q = 0; q < 300; q++) {
		uint64_t	expect = 0;

		a.lo = test_rand(&seed) % 120000;
		a.hi = a.lo + test_rand(&seed) % (q % 10 ? 100 : 30000);
		a.count = 0;
		memset(a.seen, 0, nrec);
		ivlbt_key_init(lo, a.lo, 0);
		ivlbt_key_init(hi, a.hi, UINT64_MAX);
		ck_assert_int_eq(xbtree_query_range(bt, lo, hi, ivl_range_fn,
						    &a), 0);
		for (i = 0; i < nrec; i++) {
			bool	hit = start[i] <= a.hi &&
				      start[i] + len[i] - 1 >= a.lo;

			ck_assert_msg(a.seen[i] == hit,
				      "query %u..%u: record %u seen %u times",
				      a.lo, a.hi, i, a.seen[i]);
			expect += hit;
		}
		ck_assert_uint_eq(a.count, expect);
	}

	/* Delete half, including whole extents that carried high keys. */
	tp = begin(bt);
	for (i = 0; i < nrec; i += 2) {
		ivlbt_key_init(key, start[i], i);
		ck_assert_int_eq(xbt_delete(tp, key, NULL, NULL, &stat), 0);
		ck_assert_int_eq(stat, 1);
		len[i] = 0;
	}
	commit(tp);
	bt_assert_ok(bt);
	for (q = 0; q < 100; q++) {
		a.lo = test_rand(&seed) % 120000;
		a.hi = a.lo + test_rand(&seed) % 3000;
		a.count = 0;
		memset(a.seen, 0, nrec);
		ivlbt_key_init(lo, a.lo, 0);
		ivlbt_key_init(hi, a.hi, UINT64_MAX);
		ck_assert_int_eq(xbtree_query_range(bt, lo, hi, ivl_range_fn,
						    &a), 0);
		for (i = 0; i < nrec; i++) {
			bool	hit = len[i] && start[i] <= a.hi &&
				      start[i] + len[i] - 1 >= a.lo;

			ck_assert_uint_eq(a.seen[i], hit);
		}
	}
	/* A record the type rejects never gets in. */
	tp = begin(bt);
	ivlbt_rec_init(rec, 5, 0, 99999);
	ck_assert_int_eq(xbt_insert(tp, rec, &stat), -EINVAL);
	xbt_trans_cancel(tp);
	free(start);
	free(len);
	free(a.seen);
	xbtree_destroy(bt);
}
END_TEST

/* XBT_OPS_DISJOINT: an extent overlapping a neighbour is refused. */
START_TEST(test_disjoint)
{
	struct xbtree		*bt = bt_create(&ivlbt_disjoint_ops, 512);
	struct xbt_trans	*tp;
	uint8_t			rec[16];
	uint32_t		s;
	int			stat;

	tp = begin(bt);
	/* Many extents [10s, 10s + 4], so neighbours sit in other leaves. */
	for (s = 1; s < 2000; s++) {
		ivlbt_rec_init(rec, 10 * s, 5, 0);
		ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
		ck_assert_int_eq(stat, 1);
	}
	for (s = 1; s < 1999; s++) {
		/* Reaching into the next extent, or back into the last. */
		ivlbt_rec_init(rec, 10 * s + 5, 6, 0);
		ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
		ck_assert_int_eq(stat, 0);
		ivlbt_rec_init(rec, 10 * s + 4, 1, 0);
		ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
		ck_assert_int_eq(stat, 0);
		/* The gap between them is free. */
		ivlbt_rec_init(rec, 10 * s + 6, 3, 0);
		ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
		ck_assert_int_eq(stat, 1);
	}
	ivlbt_rec_init(rec, 0, 11, 0);
	ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
	ck_assert_int_eq(stat, 0);
	ivlbt_rec_init(rec, 0, 5, 0);
	ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
	ck_assert_int_eq(stat, 1);
	ivlbt_rec_init(rec, 3, 3, 0);
	ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
	ck_assert_int_eq(stat, 0);
	/* Growing an extent by update into its neighbour: EEXIST. */
	ivlbt_rec_init(rec, 10, 6, 0);
	ck_assert_int_eq(xbt_update(tp, rec, &stat), 0);
	ck_assert_int_eq(stat, 1);
	ivlbt_rec_init(rec, 10, 7, 0);
	ck_assert_int_eq(xbt_update(tp, rec, &stat), -EEXIST);
	xbt_trans_cancel(tp);
	xbtree_destroy(bt);
}
END_TEST

/* The check catches extents made to overlap behind the engine's back. */
START_TEST(test_disjoint_check)
{
	struct xbtree		*bt = bt_create(&ivlbt_disjoint_ops, 512);
	struct xbt_trans	*tp = begin(bt);
	uint8_t			rec[16], blk[512];
	uint32_t		crc;
	int			stat;

	ivlbt_rec_init(rec, 10, 5, 0);
	ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
	ivlbt_rec_init(rec, 20, 5, 0);
	ck_assert_int_eq(xbt_insert(tp, rec, &stat), 0);
	commit(tp);
	bt_assert_ok(bt);
	/* Stretch the first extent over the second, checksum fixed up. */
	ck_assert_int_eq(xbtree_read_block(bt, 1, blk), 0);
	put_be32(blk + 72 + 4, 20);
	crc = htole32(xbt_crc32c_block(blk, 512, 64));
	memcpy(blk + 64, &crc, 4);
	ck_assert_int_eq(xbtree_write_block(bt, 1, blk, 512, 0), 0);
	ck_assert_uint_eq(bt_problems(bt), 1);
	xbtree_destroy(bt);
}
END_TEST

/* Cancel puts every byte back, at every block size. */
START_TEST(test_cancel_restores_bytes)
{
	static const unsigned int sizes[] = { 512, 1024, 4096, 65536 };
	unsigned int		bs = sizes[_i];
	struct xbtree		*bt = bt_create(&kvbt_ops, bs);
	uint64_t		seed = test_seed("cancel") + bs;
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	int			round, i, stat;

	fill(bt, 0, 40000, 4);
	for (round = 0; round < 8; round++) {
		snap = bt_snapshot_take(bt);
		tp = begin(bt);
		for (i = 0; i < 3000; i++) {
			uint64_t	k = test_rand(&seed) % 200000;

			if (test_rand(&seed) % 2)
				ck_assert_int_eq(kv_insert(tp, k, i, &stat), 0);
			else
				ck_assert_int_eq(kv_delete(tp, k / 4 * 4,
							   &stat), 0);
		}
		xbt_trans_cancel(tp);
		bt_snapshot_assert_same(snap, bt);
		bt_snapshot_free(snap);
		bt_assert_ok(bt);

		/* And a committed change in between, so rounds differ. */
		tp = begin(bt);
		for (i = 0; i < 500; i++)
			ck_assert_int_eq(kv_delete(tp,
					 test_rand(&seed) % 40000 / 4 * 4,
					 &stat), 0);
		commit(tp);
		bt_assert_ok(bt);
	}
	xbtree_destroy(bt);
}
END_TEST

/*
 * xbt_insert_run: runs of new keys into the gaps of a tree, against a
 * bitmap model; some transactions cancelled (byte for byte), a run that
 * hits an existing key refused with *stat 0, one out of order with
 * -EINVAL.
 */
START_TEST(test_insert_run)
{
	static const unsigned int sizes[] = { 512, 1024, 4096, 65536 };
	unsigned int		bs = sizes[_i];
	struct xbtree		*bt = bt_create(&kvbt_ops, bs);
	uint64_t		seed = test_seed("insert_run") + bs;
	enum { SPACE = 60000, RUNMAX = 700 };
	static uint8_t		model[SPACE];
	static uint8_t		recs[RUNMAX][16];
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	uint64_t		k, key, val, count = 0, i;
	unsigned int		n, round;
	int			stat;

	memset(model, 0, sizeof(model));
	for (round = 0; round < 400; round++) {
		bool	cancel = round % 8 == 7;
		uint64_t start = test_rand(&seed) % SPACE;

		/* Gather a run of new keys from start on, skipping some. */
		n = 0;
		for (k = start; k < SPACE && n < RUNMAX && !model[k]; k++)
			if (test_rand(&seed) % 4)
				kvbt_rec_init(recs[n++], k, k * 3 + 1);
		if (!n)
			continue;
		snap = cancel ? bt_snapshot_take(bt) : NULL;
		tp = begin(bt);
		ck_assert_int_eq(xbt_insert_run(tp, recs, n, &stat), 0);
		ck_assert_int_eq(stat, 1);
		if (cancel) {
			xbt_trans_cancel(tp);
			bt_snapshot_assert_same(snap, bt);
			bt_snapshot_free(snap);
		} else {
			commit(tp);
			for (i = 0; i < n; i++)
				model[kvbt_rec_key(recs[i])] = 1;
			count += n;
		}
		T_EQ(xbtree_nrecords(bt), count);
		if (round % 40 == 0)
			bt_assert_ok(bt);
	}
	bt_assert_ok(bt);
	/* Every key of the model is there with its value, and no other. */
	for (k = 0, i = 0; k < SPACE; k++) {
		ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_EQ, k, &key, &val,
					&stat), 0);
		T_EQ(stat, model[k]);
		if (stat)
			T_EQ(val, k * 3 + 1);
		i += stat;
	}
	T_EQ(i, count);

	/* A run that reaches an existing key: *stat 0 (then cancel). */
	for (k = 0; k < SPACE && !model[k]; k++)
		;
	if (k > 0 && k < SPACE) {
		snap = bt_snapshot_take(bt);
		kvbt_rec_init(recs[0], k - 1, 1);
		kvbt_rec_init(recs[1], k, 1);
		tp = begin(bt);
		ck_assert_int_eq(xbt_insert_run(tp, recs, 2, &stat), 0);
		T_EQ(stat, 0);
		xbt_trans_cancel(tp);
		bt_snapshot_assert_same(snap, bt);
		bt_snapshot_free(snap);
	}
	/* Out of order: -EINVAL. */
	kvbt_rec_init(recs[0], SPACE + 10, 1);
	kvbt_rec_init(recs[1], SPACE + 5, 1);
	tp = begin(bt);
	ck_assert_int_eq(xbt_insert_run(tp, recs, 2, &stat), -EINVAL);
	xbt_trans_cancel(tp);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

/* Damage one block through the raw interface; nothing may crash. */
static struct xbtree *
damaged_tree(uint64_t *leaf, uint64_t *node)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 512);
	struct xbtree_stats	st;
	uint8_t			blk[512];
	uint64_t		b;

	fill(bt, 0, 3000, 1);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, 3);
	*leaf = *node = 0;
	for (b = 1; xbtree_next_block(bt, b, &b); b++) {
		ck_assert_int_eq(xbtree_read_block(bt, b, blk), 0);
		if (xbt_level((struct xbt_block *)blk) == 0 && !*leaf)
			*leaf = b;
		if (xbt_level((struct xbt_block *)blk) == 1 && !*node)
			*node = b;
	}
	ck_assert(*leaf && *node);
	return bt;
}

/* Rewrite block @b with @fn applied, fixing the checksum if @fix_crc. */
static void
damage(struct xbtree *bt, uint64_t b, void (*fn)(uint8_t *blk), bool fix_crc)
{
	uint8_t		blk[512];
	uint32_t	crc;

	ck_assert_int_eq(xbtree_read_block(bt, b, blk), 0);
	fn(blk);
	if (fix_crc) {
		crc = htole32(xbt_crc32c_block(blk, 512, 64));
		memcpy(blk + 64, &crc, 4);
	}
	ck_assert_int_eq(xbtree_write_block(bt, b, blk, 512, 0), 0);
}

static void dmg_magic(uint8_t *b) { b[0] ^= 1; }
static void dmg_level(uint8_t *b) { b[5] += 1; }
static void dmg_numrecs(uint8_t *b) { put_be16(b + 6, 200); }
static void dmg_numrecs_low(uint8_t *b) { put_be16(b + 6, get_be16(b + 6) - 1); }
static void dmg_leftsib(uint8_t *b) { put_be64(b + 8, 7777); }
static void dmg_selfsib(uint8_t *b) { put_be64(b + 16, get_be64(b + 24) / 1); }
static void dmg_blkno(uint8_t *b) { put_be64(b + 24, 12345); }
static void dmg_owner(uint8_t *b) { b[63] ^= 0x10; }
static void dmg_uuid(uint8_t *b) { b[45] ^= 0x10; }
static void dmg_order(uint8_t *b)
{
	uint8_t	t[16];

	memcpy(t, b + 72, 16);
	memcpy(b + 72, b + 88, 16);
	memcpy(b + 88, t, 16);
}
static void dmg_record(uint8_t *b) { b[100] ^= 0x40; }
static void dmg_tail(uint8_t *b) { b[511] = 1; }

static const struct {
	const char	*name;
	void		(*fn)(uint8_t *blk);
	bool		fix_crc;
	int		error;
} damages[] = {
	{ "crc",	dmg_record,	false,	-EBADMSG },
	{ "magic",	dmg_magic,	true,	-EUCLEAN },
	{ "magic+crc",	dmg_magic,	false,	-EBADMSG },
	{ "level",	dmg_level,	true,	-EUCLEAN },
	{ "numrecs",	dmg_numrecs,	true,	-EUCLEAN },
	{ "leftsib",	dmg_leftsib,	true,	0 },
	{ "blkno",	dmg_blkno,	true,	-EUCLEAN },
	{ "owner",	dmg_owner,	true,	-EUCLEAN },
	{ "uuid",	dmg_uuid,	true,	-EUCLEAN },
	{ "order",	dmg_order,	true,	-EUCLEAN },
	{ "tail",	dmg_tail,	true,	-EUCLEAN },
	{ "numrecs-1",	dmg_numrecs_low, true,	0 },
	{ "selfsib",	dmg_selfsib,	true,	-EUCLEAN },
};

/*
 * A commit whose write verifier fails (an engine bug, simulated by
 * damaging a dirty leaf's header through the cursor) publishes nothing:
 * -EUCLEAN, every change undone, the btree marked corrupt, and the
 * statistics count a cancel, not the insert.
 */
START_TEST(test_commit_verifier_cancels)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 512);
	struct xbtree_stats	before, st;
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	struct xbt_cur		cur;
	uint8_t			key[8];
	int			stat;

	fill(bt, 0, 200, 2);
	snap = bt_snapshot_take(bt);
	xbtree_get_stats(bt, &before);
	tp = begin(bt);
	ck_assert_int_eq(kv_insert(tp, 51, 1, &stat), 0);
	ck_assert_int_eq(stat, 1);
	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, 51);
	ck_assert_int_eq(xbt_lookup(&cur, XBT_LOOKUP_EQ, key, &stat), 0);
	ck_assert_int_eq(stat, 1);
	/* White box: more records than a leaf holds. */
	xbt_set_numrecs(cur.lv[0].block, 1000);
	ck_assert_int_eq(xbt_trans_commit(tp), -EUCLEAN);
	ck_assert(xbtree_is_corrupt(bt));
	bt_snapshot_assert_same(snap, bt);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.inserts, before.inserts);
	ck_assert_uint_eq(st.commits, before.commits);
	ck_assert_uint_eq(st.cancels, before.cancels + 1);
	bt_snapshot_free(snap);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_verifiers)
{
	unsigned int		d = _i / 2;
	bool			at_node = _i % 2;
	struct xbtree		*bt;
	struct xbt_trans	*tp;
	struct xbt_cur		cur;
	uint64_t		leaf, node, target, k, v;
	uint8_t			blk[512], key[8];
	int			stat, error;

	bt = damaged_tree(&leaf, &node);
	target = at_node ? node : leaf;
	/* The first key under the damaged block steers a lookup into it. */
	ck_assert_int_eq(xbtree_read_block(bt, target, blk), 0);
	k = get_be64(blk + 72);
	damage(bt, target, damages[d].fn, damages[d].fix_crc);

	/* A walk over the whole tree must touch the damaged block. */
	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, 0);
	error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
	while (!error && stat)
		error = xbt_increment(&cur, &stat);
	if (damages[d].error)
		ck_assert_msg(error == damages[d].error,
			      "%s at %s: walk gave %d", damages[d].name,
			      at_node ? "node" : "leaf", error);
	if (damages[d].error) {
		error = kv_get(bt, XBT_LOOKUP_EQ, k, &k, &v, &stat);
		ck_assert_int_eq(error, damages[d].error);
		tp = begin(bt);
		error = kv_insert(tp, k, 1, &stat);
		ck_assert_int_eq(error, damages[d].error);
		xbt_trans_cancel(tp);
		ck_assert(xbtree_is_corrupt(bt));
	}
	/* The check names the problem, whatever it was. */
	ck_assert_uint_gt(bt_problems(bt), 0);
	ck_assert(xbtree_is_corrupt(bt));
	xbtree_destroy(bt);
}
END_TEST

/* A damaged header block stops every operation cleanly. */
START_TEST(test_damaged_header)
{
	struct xbtree	*bt = bt_create(&kvbt_ops, 4096);
	uint8_t		b = 0x77;
	uint64_t	k, v;
	int		stat;

	fill(bt, 0, 100, 1);
	ck_assert_int_eq(xbtree_write_block(bt, 0, &b, 1, 4), 0);
	ck_assert_int_eq(kv_get(bt, XBT_LOOKUP_EQ, 5, &k, &v, &stat),
			 -EBADMSG);
	ck_assert_uint_gt(bt_problems(bt), 0);
	xbtree_destroy(bt);
}
END_TEST

/* -ENOSPC from the memory cap leaves the tree as it was after cancel. */
START_TEST(test_memory_cap)
{
	struct xbtree		*bt = bt_create(&kvbt_ops, 4096);
	struct xbt_trans	*tp;
	struct bt_snapshot	*snap;
	uint64_t		k;
	int			stat, error = 0;

	fill(bt, 0, 999, 1);
	snap = bt_snapshot_take(bt);
	xfile_set_memory_cap(xfile_memory_used() + 8 * 4096);
	tp = begin(bt);
	for (k = 1000; k < 100000 && !error; k++)
		error = kv_insert(tp, k, k, &stat);
	ck_assert_int_eq(error, -ENOSPC);
	xbt_trans_cancel(tp);
	xfile_set_memory_cap(0);
	bt_snapshot_assert_same(snap, bt);
	bt_snapshot_free(snap);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_bad_params)
{
	struct xbtree_params	p = { .blocksize = 3000 };
	struct xbtree		*bt = NULL;

	ck_assert_int_eq(xbtree_create(&kvbt_ops, &p, &bt), -EINVAL);
	p.blocksize = 256;
	ck_assert_int_eq(xbtree_create(&kvbt_ops, &p, &bt), -EINVAL);
	p.blocksize = 131072;
	ck_assert_int_eq(xbtree_create(&kvbt_ops, &p, &bt), -EINVAL);
	p.blocksize = 65536;
	ck_assert_int_eq(xbtree_create(&kvbt_ops, &p, &bt), 0);
	xbtree_destroy(bt);
}
END_TEST

static Suite *
btree_suite(void)
{
	Suite	*s = suite_create("btree");
	TCase	*tc = tcase_create("edges");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_empty_tree);
	tcase_add_test(tc, test_one_block_lookups);
	tcase_add_test(tc, test_duplicate_and_missing);
	tcase_add_test(tc, test_root_split_and_collapse);
	tcase_add_test(tc, test_cursor_walks);
	tcase_add_test(tc, test_cursor_runs_and_skips);
	tcase_add_test(tc, test_kv_range);
	tcase_add_loop_test(tc, test_overlapping_range, 0, 2);
	tcase_add_test(tc, test_disjoint);
	tcase_add_test(tc, test_disjoint_check);
	tcase_add_loop_test(tc, test_insert_run, 0, 4);
	tcase_add_loop_test(tc, test_cancel_restores_bytes, 0, 4);
	tcase_add_loop_test(tc, test_verifiers, 0,
			    2 * sizeof(damages) / sizeof(damages[0]));
	tcase_add_test(tc, test_damaged_header);
	tcase_add_test(tc, test_commit_verifier_cancels);
	tcase_add_test(tc, test_memory_cap);
	tcase_add_test(tc, test_bad_params);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return test_run_suite(btree_suite());
}
