// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_trace.c: the engine's event stream (xbtree_set_trace()) against
 * its own counters.
 *
 * For each record type (kv, rmap, refcount) at 512-byte blocks, a btree
 * is grown and emptied in many small transactions with a callback that
 * tallies events by type.  After every commit the tallies of that
 * transaction must equal the change in the engine's statistics (splits,
 * merges, shifts, new_roots, root_kills) and allocations minus frees the
 * change in blocks; the commit event closes the transaction.  A
 * cancelled transaction's events are still seen, its counters do not
 * move, and its cancel event comes last.  With the callback removed no
 * event arrives.
 *
 * Related: btree/xbtree.h (the event table), fusefs/trace.c (the daemon's
 * ring of them).
 */
#include "tests/lib/check_quiet.h"
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "tests/lib/btree_test.h"

#define NR_TYPES	3
#define NR_RECS		3000	/* a few levels at 512-byte blocks */
#define BATCH		37	/* records per transaction */

struct tally {
	uint64_t		n[XBT_EV_NR];
	uint64_t		total;
	enum xbt_event_type	last;
	uint64_t		last_a;
};

static void
tally_fn(const struct xbt_event *ev, void *priv)
{
	struct tally	*t = priv;

	ck_assert_int_lt(ev->type, XBT_EV_NR);
	t->n[ev->type]++;
	t->total++;
	t->last = ev->type;
	t->last_a = ev->a;
}

static const struct xbt_ops *
type_ops(int type)
{
	return type == 0 ? &kvbt_ops : type == 1 ? &rmapbt_ops : &refcbt_ops;
}

/* Record @i of @type and its key (i spread so that inserts land all over). */
static void
make_rec(int type, uint32_t i, void *rec, void *key)
{
	struct rmapbt_irec	rm = {
		.startblock = i * 2, .blockcount = 1, .owner = 1000 + i,
	};
	struct refcbt_irec	rc = {
		.startblock = i * 2, .blockcount = 1, .refcount = 2,
	};

	switch (type) {
	case 0:
		kvbt_rec_init(rec, i, i * 3);
		memcpy(key, rec, kvbt_ops.key_len);
		break;
	case 1:
		rmapbt_rec_init(rec, &rm);
		rmapbt_key_init(key, rm.startblock, rm.owner, 0, 0);
		break;
	default:
		refcbt_rec_init(rec, &rc);
		refcbt_key_init(key, rc.startblock, false);
		break;
	}
}

/* The @k-th record of the scrambled order (NR_RECS and 1009 coprime). */
static uint32_t
nth(unsigned int k)
{
	return (uint32_t)((k * 1009ULL) % NR_RECS);
}

/* The counted changes of one transaction equal its events. */
static void
assert_matches(const struct xbtree_stats *before,
		const struct xbtree_stats *after, const struct tally *t)
{
	ck_assert_uint_eq(after->splits - before->splits, t->n[XBT_EV_SPLIT]);
	ck_assert_uint_eq(after->merges - before->merges, t->n[XBT_EV_MERGE]);
	ck_assert_uint_eq(after->shifts - before->shifts, t->n[XBT_EV_SHIFT]);
	ck_assert_uint_eq(after->new_roots - before->new_roots,
			  t->n[XBT_EV_NEW_ROOT]);
	ck_assert_uint_eq(after->root_kills - before->root_kills,
			  t->n[XBT_EV_ROOT_KILL]);
	ck_assert_uint_eq(after->blocks - before->blocks,
			  t->n[XBT_EV_ALLOC_BLOCK] - t->n[XBT_EV_FREE_BLOCK]);
	ck_assert_uint_eq(t->n[XBT_EV_ALLOC_BLOCK],
			  t->n[XBT_EV_SPLIT] + t->n[XBT_EV_NEW_ROOT]);
	ck_assert_uint_eq(t->n[XBT_EV_FREE_BLOCK],
			  t->n[XBT_EV_MERGE] + t->n[XBT_EV_ROOT_KILL]);
	ck_assert_uint_eq(t->n[XBT_EV_COMMIT], 1);
	ck_assert_int_eq(t->last, XBT_EV_COMMIT);
}

/* Insert (or delete) records [@from, @to) of the order in one transaction. */
static void
one_trans(struct xbtree *bt, int type, unsigned int from, unsigned int to,
		bool del, struct tally *sum)
{
	struct xbtree_stats	before, after;
	struct tally		t = { 0 };
	struct xbt_trans	*tp;
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	unsigned int		k, i;
	int			stat;

	xbtree_set_trace(bt, tally_fn, &t);
	xbtree_get_stats(bt, &before);
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	for (k = from; k < to; k++) {
		make_rec(type, nth(k), rec, key);
		if (del)
			T_EQ(xbt_delete(tp, key, NULL, NULL, &stat), 0);
		else
			T_EQ(xbt_insert(tp, rec, &stat), 0);
		T_EQ(stat, 1);
	}
	T_EQ(xbt_trans_commit(tp), 0);
	xbtree_get_stats(bt, &after);
	assert_matches(&before, &after, &t);
	for (i = 0; i < XBT_EV_NR; i++)
		sum->n[i] += t.n[i];
}

START_TEST(test_counters)
{
	struct xbtree		*bt = bt_create(type_ops(_i), 512);
	struct xbtree_stats	st;
	struct tally		sum = { 0 };
	unsigned int		k;

	for (k = 0; k < NR_RECS; k += BATCH)
		one_trans(bt, _i, k, k + BATCH < NR_RECS ? k + BATCH : NR_RECS,
			  false, &sum);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, 3);
	ck_assert_uint_gt(sum.n[XBT_EV_SPLIT], 0);
	ck_assert_uint_gt(sum.n[XBT_EV_SHIFT], 0);
	ck_assert_uint_ge(sum.n[XBT_EV_NEW_ROOT], 2);
	ck_assert_uint_gt(sum.n[XBT_EV_XFILE_GROW], 0);
	for (k = 0; k < NR_RECS; k += BATCH)
		one_trans(bt, _i, k, k + BATCH < NR_RECS ? k + BATCH : NR_RECS,
			  true, &sum);
	xbtree_get_stats(bt, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.height, 1);
	ck_assert_uint_gt(sum.n[XBT_EV_MERGE], 0);
	ck_assert_uint_ge(sum.n[XBT_EV_ROOT_KILL], 2);
	/* The totals agree too. */
	ck_assert_uint_eq(st.splits, sum.n[XBT_EV_SPLIT]);
	ck_assert_uint_eq(st.merges, sum.n[XBT_EV_MERGE]);
	ck_assert_uint_eq(st.commits, sum.n[XBT_EV_COMMIT]);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_cancel)
{
	struct xbtree		*bt = bt_create(type_ops(_i), 512);
	struct xbtree_stats	before, after;
	struct tally		t = { 0 };
	struct xbt_trans	*tp;
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	unsigned int		k;
	int			stat;

	xbtree_set_trace(bt, tally_fn, &t);
	xbtree_get_stats(bt, &before);
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	for (k = 0; k < 500; k++) {
		make_rec(_i, nth(k), rec, key);
		T_EQ(xbt_insert(tp, rec, &stat), 0);
	}
	xbt_trans_cancel(tp);
	xbtree_get_stats(bt, &after);
	/* What was tried is seen; none of it counted; cancel comes last. */
	ck_assert_uint_gt(t.n[XBT_EV_SPLIT], 0);
	ck_assert_uint_gt(t.n[XBT_EV_NEW_ROOT], 0);
	ck_assert_uint_eq(t.n[XBT_EV_ALLOC_BLOCK],
			  t.n[XBT_EV_SPLIT] + t.n[XBT_EV_NEW_ROOT]);
	ck_assert_uint_eq(t.n[XBT_EV_CANCEL], 1);
	ck_assert_uint_eq(t.n[XBT_EV_COMMIT], 0);
	ck_assert_int_eq(t.last, XBT_EV_CANCEL);
	ck_assert_uint_ge(t.last_a, t.n[XBT_EV_ALLOC_BLOCK]);
	ck_assert_uint_eq(after.splits, before.splits);
	ck_assert_uint_eq(after.new_roots, before.new_roots);
	ck_assert_uint_eq(after.blocks, before.blocks);
	ck_assert_uint_eq(after.cancels, before.cancels + 1);

	/* Off: nothing more arrives. */
	xbtree_set_trace(bt, NULL, NULL);
	memset(&t, 0, sizeof(t));
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	for (k = 0; k < 500; k++) {
		make_rec(_i, nth(k), rec, key);
		T_EQ(xbt_insert(tp, rec, &stat), 0);
	}
	T_EQ(xbt_trans_commit(tp), 0);
	ck_assert_uint_eq(t.total, 0);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("trace");
	TCase	*tc = tcase_create("events");

	test_log_quiet();
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_counters, 0, NR_TYPES);
	tcase_add_loop_test(tc, test_cancel, 0, NR_TYPES);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
