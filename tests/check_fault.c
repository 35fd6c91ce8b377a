// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_fault.c: every allocation point failed, through the C API.
 *
 * For each record type (kv, rmap, refcount) and block sizes 512 and
 * 4096, a batch of changes runs in phases, each phase a transaction.
 * Each phase is run again and again from the same tree, with the n-th
 * allocation failed for n = 1, 2, ... (xmem_fault_arm(n, XMEM_ANY):
 * heap allocations through xmem and xfile page preallocations alike)
 * until a run makes no allocation fail; that one commits.  The phases
 * grow the tree by runs (xbt_insert_run) and single inserts until the
 * root splits (new roots, splits, shifts, the block map grows), change
 * runs of records in place (xbt_cur_modify), set the data size, then
 * delete most of it again (joins, root kills).
 *
 * After every failure:
 *	- the failing call returned the injected errno (-ENOMEM for the
 *	  heap, -ENOSPC for pages) and every call before it 0;
 *	- after the cancel, the whole xfile is its image from before the
 *	  batch, byte for byte (every block the map ever covered: allocated
 *	  ones as they were, the others zeros), with the same pages held;
 *	- the structure check passes, and the statistics count one more
 *	  cancel and no change.
 * Bulk loads and btree creation get the same treatment: a failed one
 * returns the errno and leaves no memory held.  Leaks show in the ASan
 * build (LeakSanitizer).
 *
 * Sizes scale with $XFB_TEST_SCALE.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_priv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "tests/lib/btree_test.h"
#include "xfile/xmem.h"

static const struct xbt_ops *const types[] = {
	&kvbt_ops, &rmapbt_ops, &refcbt_ops,
};
#define NR_TYPES	(sizeof(types) / sizeof(types[0]))

/* ---- records of every type from a number ------------------------------- */

/*
 * Record number @k with variant @v: keys grow with @k in every type, and
 * @v changes only bytes no key is made of (kv value, rmap unwritten
 * flag, refcount count), so xbt_cur_modify() may change it.
 */
static void
frec(const struct xbt_ops *ops, uint64_t k, uint64_t v, void *rec)
{
	struct rmapbt_irec	rm = {
		.startblock = (uint32_t)(4 * k), .blockcount = 2,
		.owner = 100 + k % 7, .offset = 2 * k,
		.flags = v & 1 ? RMAPBT_F_UNWRITTEN : 0,
	};
	struct refcbt_irec	rc = {
		.startblock = (uint32_t)(4 * k), .blockcount = 2,
		.refcount = 2 + (uint32_t)(v % 1000),
	};

	if (ops == &kvbt_ops)
		kvbt_rec_init(rec, k, v);
	else if (ops == &rmapbt_ops)
		rmapbt_rec_init(rec, &rm);
	else
		refcbt_rec_init(rec, &rc);
}

/* The key of record number @k. */
static void
fkey(const struct xbt_ops *ops, uint64_t k, void *key)
{
	uint8_t		rec[XBT_REC_MAX];

	frec(ops, k, 0, rec);
	ops->init_key_from_rec(key, rec);
}

/* Record @rec with its variant moved on by one (non-key bytes only). */
static void
fbump(const struct xbt_ops *ops, void *rec)
{
	struct rmapbt_irec	rm;
	struct refcbt_irec	rc;

	if (ops == &kvbt_ops) {
		kvbt_rec_set_val(rec, kvbt_rec_val(rec) + 1);
	} else if (ops == &rmapbt_ops) {
		rmapbt_rec_get(rec, &rm);
		rm.flags ^= RMAPBT_F_UNWRITTEN;
		rmapbt_rec_init(rec, &rm);
	} else {
		refcbt_rec_get(rec, &rc);
		rc.refcount = 2 + (rc.refcount - 1) % 1000;
		refcbt_rec_init(rec, &rc);
	}
}

/* ---- the whole xfile's image ------------------------------------------- */

/*
 * The bytes of every block the allocation map has ever covered, and the
 * memory the xfile holds.  White box: through btree_priv.h.
 */
struct image {
	size_t		len;
	uint8_t		*bytes;
	uint64_t	held;
	struct xbtree_stats st;
};

static void
image_take(struct image *im, struct xbtree *bt)
{
	im->len = bt->targ.nbits << bt->blkshift;
	im->bytes = malloc(im->len);
	T_ASSERT(im->bytes != NULL);
	T_EQ(xfile_load(bt->xf, im->bytes, im->len, 0), 0);
	im->held = xfile_bytes(bt->xf);
	xbtree_get_stats(bt, &im->st);
}

/* Fail unless @bt's xfile is @im again (and zeros where @im ends). */
static void
image_assert_same(const struct image *im, struct xbtree *bt)
{
	size_t		len = bt->targ.nbits << bt->blkshift, i;
	uint8_t		*now = malloc(len);

	T_ASSERT(now != NULL && len >= im->len);
	T_EQ(xfile_load(bt->xf, now, len, 0), 0);
	if (memcmp(now, im->bytes, im->len)) {
		for (i = 0; now[i] == im->bytes[i]; i++)
			;
		ck_abort_msg("byte %zu (block %zu) differs after cancel", i,
			     i >> bt->blkshift);
	}
	for (i = im->len; i < len; i++)
		T_EQ(now[i], 0);
	T_EQ(xfile_bytes(bt->xf), im->held);
	free(now);
}

/* The statistics: no change counted, @cancels more cancels. */
static void
stats_assert(const struct image *im, struct xbtree *bt, uint64_t cancels)
{
	struct xbtree_stats	st;

	xbtree_get_stats(bt, &st);
	T_EQ(st.inserts, im->st.inserts);
	T_EQ(st.deletes, im->st.deletes);
	T_EQ(st.updates, im->st.updates);
	T_EQ(st.splits, im->st.splits);
	T_EQ(st.merges, im->st.merges);
	T_EQ(st.shifts, im->st.shifts);
	T_EQ(st.new_roots, im->st.new_roots);
	T_EQ(st.root_kills, im->st.root_kills);
	T_EQ(st.commits, im->st.commits);
	T_EQ(st.cancels, im->st.cancels + cancels);
}

/* ---- the batch ------------------------------------------------------------ */

struct batch {
	const struct xbt_ops	*ops;
	uint64_t		base;	/* records 0 .. base - 1 exist */
	uint64_t		grow;	/* records added, then deleted */
};

/*
 * An error from the library while a fault is armed: it must be the one
 * injected, and the first.  Returns @error, for the caller to stop.
 */
static int
injected(int error)
{
	T_ASSERT(error == -ENOMEM || error == -ENOSPC);
	T_EQ(xmem_fault_fired(), 1);
	return error;
}

/* Insert records @from .. @to - 1 as runs of up to 64. */
static int
batch_runs(const struct batch *b, struct xbt_trans *tp, uint64_t from,
		uint64_t to)
{
	uint8_t		recs[64 * XBT_REC_MAX];
	unsigned int	n, len = b->ops->rec_len;
	int		stat, error;

	while (from < to) {
		for (n = 0; n < 64 && from + n < to; n++)
			frec(b->ops, from + n, from + n, recs + n * len);
		error = xbt_insert_run(tp, recs, n, &stat);
		if (error)
			return injected(error);
		T_EQ(stat, 1);
		from += n;
	}
	return 0;
}

/* Change the records from number @k on, a leaf's run at a time. */
static int
batch_modify(const struct batch *b, struct xbt_trans *tp, uint64_t k,
		unsigned int runs)
{
	uint8_t		key[XBT_KEY_MAX];
	struct xbt_cur	cur;
	unsigned int	n, i;
	void		*recs;
	int		stat, error;

	xbt_cur_init(&cur, tp->bt);
	fkey(b->ops, k, key);
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_EQ, key, &stat), 0);
	T_EQ(stat, 1);
	while (runs-- && stat) {
		T_ASSERT(xbt_cur_leaf_recs(&cur, &n) != NULL);
		error = xbt_cur_modify(&cur, n, &recs);
		if (error)
			return injected(error);
		for (i = 0; i < n; i++)
			fbump(b->ops, (uint8_t *)recs + i * b->ops->rec_len);
		T_EQ(xbt_cur_skip(&cur, n, &stat), 0);
	}
	return 0;
}

/*
 * The batch, in phases, each its own transaction (so that each starts
 * with an empty undo log and its own operations allocate): grow by runs
 * past the end; grow by single inserts of every third number after
 * that; change runs and set the data size; delete what was added and
 * half of what was there; set the data size again.
 */
#define NR_PHASES	5

static int
batch_phase(const struct batch *b, struct xbt_trans *tp, unsigned int phase)
{
	uint8_t		rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	uint64_t	end = b->base + b->grow, k;
	int		stat, error = 0;

	switch (phase) {
	case 0:
		return batch_runs(b, tp, b->base, end);
	case 1:
		for (k = end + 2; k < end + 3 * b->grow / 2; k += 3) {
			frec(b->ops, k, k, rec);
			error = xbt_insert(tp, rec, &stat);
			if (error)
				return injected(error);
			T_EQ(stat, 1);
		}
		return 0;
	case 2:
		error = batch_modify(b, tp, b->base / 2, 3);
		if (!error)
			error = xbt_trans_set_data_size(tp, 8 * end);
		return error ? injected(error) : 0;
	case 3:
		for (k = b->base / 2; k < end + 3 * b->grow / 2; k++) {
			if (k >= end && k % 3 != (end + 2) % 3)
				continue;
			fkey(b->ops, k, key);
			error = xbt_delete(tp, key, NULL, NULL, &stat);
			if (error)
				return injected(error);
			T_EQ(stat, 1);
		}
		return 0;
	default:
		error = xbt_trans_set_data_size(tp, 8 * (b->base / 2));
		return error ? injected(error) : 0;
	}
}

/*
 * Run phase @phase of @b with the n-th allocation failed for n = 1, 2,
 * ... until it goes through, then commit it.  Returns how many
 * allocation points it had (0 in a release build: no injector).
 */
static unsigned long
phase_every_failure(const struct batch *b, struct xbtree *bt,
		unsigned int phase)
{
	struct xbt_trans	*tp = NULL;
	struct image		im;
	unsigned long		n;
	uint64_t		cancels = 0, used = xfile_memory_used();
	int			error;

	image_take(&im, bt);
	for (n = 1;; n++) {
		if (xmem_fault_arm(n, XMEM_ANY, -ENOSPC) == -EOPNOTSUPP) {
			T_EQ(xbt_trans_alloc(bt, &tp), 0);
			T_EQ(batch_phase(b, tp, phase), 0);
			break;			/* a release build */
		}
		error = xbt_trans_alloc(bt, &tp);
		if (error) {
			T_EQ(injected(error), -ENOMEM);
		} else {
			error = batch_phase(b, tp, phase);
			if (error) {
				xbt_trans_cancel(tp);
				cancels++;
			}
		}
		if (!error && !xmem_fault_fired())
			break;			/* n is past the last one */
		xmem_fault_disarm();
		/* A failure nobody reported would show here. */
		T_ASSERT(error != 0);
		image_assert_same(&im, bt);
		T_EQ(xfile_memory_used(), used);
		stats_assert(&im, bt, cancels);
		bt_assert_ok(bt);
	}
	xmem_fault_disarm();
	T_EQ(xbt_trans_commit(tp), 0);
	bt_assert_ok(bt);
	free(im.bytes);
	return n - 1;
}

/* A btree of type @ops with records 0 .. @n - 1. */
static struct xbtree *
base_tree(const struct xbt_ops *ops, unsigned int bs, uint64_t n)
{
	struct batch		b = { .ops = ops, .base = 0, .grow = n };
	struct xbtree		*bt = bt_create(ops, bs);
	struct xbt_trans	*tp;

	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	T_EQ(batch_runs(&b, tp, 0, n), 0);
	T_EQ(xbt_trans_commit(tp), 0);
	return bt;
}

/*
 * Every allocation of every phase of the batch failed in turn.  _i: type
 * and block size.
 */
START_TEST(test_batch_every_failure)
{
	const struct xbt_ops	*ops = types[_i % NR_TYPES];
	unsigned int		bs = _i / NR_TYPES ? 4096 : 512;
	/* Never below 1: a smaller batch would not split the root leaf. */
	uint64_t		scale = test_scale() < 1 ? 1 :
					(uint64_t)test_scale();
	/*
	 * At 512 bytes, enough blocks that the block map grows too; at
	 * 4096, a few leaves: the root leaf splits, and joins back.
	 */
	struct batch		b = {
		.ops = ops,
		.base = bs / ops->rec_len / 2,
		.grow = scale * (bs == 512 ? 4000 : 2 * bs / ops->rec_len),
	};
	struct xbtree		*bt = base_tree(ops, bs, b.base);
	struct xbtree_stats	st;
	unsigned long		points = 0;
	unsigned int		phase;

	xbtree_get_stats(bt, &st);
	T_EQ(st.height, 1);
	for (phase = 0; phase < NR_PHASES; phase++)
		points += phase_every_failure(&b, bt, phase);

	/* The shape changed as the batch meant it to. */
	xbtree_get_stats(bt, &st);
	T_ASSERT(st.new_roots > 0 && st.root_kills > 0);
	T_ASSERT(st.splits > 0 && st.merges > 0);
	T_EQ(st.records, b.base / 2);
	T_EQ(st.height, 1);
	T_EQ(xbtree_data_size(bt), 8 * (b.base / 2));
#ifdef XFB_DEBUG
	/* Heap and pages in every phase: a few dozen points at least. */
	ck_assert_msg(points > 20, "only %lu allocation points", points);
#endif
	xbtree_destroy(bt);
}
END_TEST

/* ---- bulk load and create ------------------------------------------------ */

struct feed {
	const struct xbt_ops	*ops;
	uint64_t		next, n;
};

static int
feed_next(void *rec, void *priv)
{
	struct feed	*f = priv;

	if (f->next == f->n)
		return 0;
	frec(f->ops, f->next, f->next, rec);
	f->next++;
	return 1;
}

/* Every allocation of a bulk load (and of a create) failed in turn. */
START_TEST(test_bload_every_failure)
{
	const struct xbt_ops	*ops = types[_i % NR_TYPES];
	unsigned int		bs = _i / NR_TYPES ? 4096 : 512;
	struct xbtree_params	params = { .blocksize = bs, .owner = 7 };
	uint64_t		nrecs = (uint64_t)(test_scale() * 20 * bs /
						   ops->rec_len);
	struct feed		f = { .ops = ops, .n = nrecs };
	struct xbtree		*bt;
	uint64_t		used = xfile_memory_used();
	unsigned long		n;
	bool			create;
	int			error;

	for (create = true;; create = false) {
		for (n = 1;; n++) {
			if (xmem_fault_arm(n, XMEM_ANY, -ENOSPC) ==
			    -EOPNOTSUPP)
				return;		/* a release build */
			bt = NULL;
			f.next = 0;
			error = create ? xbtree_create(ops, &params, &bt) :
				xbtree_bload(ops, &params, nrecs, feed_next,
					     &f, NULL, &bt);
			if (!error && !xmem_fault_fired())
				break;
			xmem_fault_disarm();
			T_ASSERT(error == -ENOMEM || error == -ENOSPC);
			T_ASSERT(bt == NULL);
			T_EQ(xfile_memory_used(), used);
		}
		xmem_fault_disarm();
		T_ASSERT(n > 3);
		bt_assert_ok(bt);
		T_EQ(xbtree_nrecords(bt), create ? 0 : nrecs);
		xbtree_destroy(bt);
		if (!create)
			break;
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("fault");
	TCase	*tc = tcase_create("fault");

	test_log_quiet();
	tcase_set_timeout(tc, 1200);
	tcase_add_loop_test(tc, test_batch_every_failure, 0, 2 * NR_TYPES);
	tcase_add_loop_test(tc, test_bload_every_failure, 0, 2 * NR_TYPES);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
