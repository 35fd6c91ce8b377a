// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_btree_model.c: the engine against a model, at random.
 *
 * Model test: seeded random inserts, deletes, updates, lookups (LE, EQ,
 * GE) and range queries on a kv btree, compared answer by answer with a
 * GLib GTree.  Operations run in transactions of random size; one in
 * eight is cancelled instead of committed, and the model forgets that
 * batch too.  After every batch the structure check must pass, and every
 * few batches the whole tree is compared with the model.  Several block
 * sizes, 512 included (deep trees from few records).
 *
 * Fault injection: the n-th page allocation of a batch fails, for every n
 * until the batch gets through; after each failure the transaction is
 * cancelled and the tree must equal the model, byte for byte equal its
 * snapshot, and pass the check.
 *
 * Overlapping model: the same for the interval test type, with every range
 * answer checked against a brute-force scan of the model.
 *
 * Sizes scale with $XFB_TEST_SCALE; the seed is printed, and
 * $XFB_TEST_SEED repeats a run.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "tests/lib/btree_test.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"

static gint
u64_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	(void)unused;
	return (x > y) - (x < y);
}

static GTree *
model_new(void)
{
	return g_tree_new_full(u64_cmp, NULL, g_free, g_free);
}

static void
model_set(GTree *m, uint64_t k, uint64_t v)
{
	uint64_t	*kp = g_new(uint64_t, 1), *vp = g_new(uint64_t, 1);

	*kp = k;
	*vp = v;
	g_tree_replace(m, kp, vp);
}

static bool
model_get(GTree *m, uint64_t k, uint64_t *v)
{
	uint64_t	*vp = g_tree_lookup(m, &k);

	if (vp)
		*v = *vp;
	return vp != NULL;
}

/* One change, for forgetting a cancelled batch. */
struct change {
	uint64_t	key;
	uint64_t	old;
	bool		existed;
};

struct cmp_walk {
	struct xbt_cur	cur;
	int		stat;
	uint64_t	n;
};

static gboolean
cmp_one(gpointer k, gpointer v, gpointer priv)
{
	struct cmp_walk	*w = priv;
	const void	*rec;

	T_EQ(w->stat, 1);
	rec = xbt_cur_rec(&w->cur);
	T_EQ(kvbt_rec_key(rec), *(uint64_t *)k);
	T_EQ(kvbt_rec_val(rec), *(uint64_t *)v);
	w->n++;
	T_EQ(xbt_increment(&w->cur, &w->stat), 0);
	return FALSE;
}

/* The whole tree must be exactly the model, in order. */
static void
compare_all(struct xbtree *bt, GTree *m)
{
	struct cmp_walk	w = { .n = 0 };
	uint8_t		key[8];

	xbt_cur_init(&w.cur, bt);
	kvbt_key_init(key, 0);
	T_EQ(xbt_lookup(&w.cur, XBT_LOOKUP_GE, key, &w.stat), 0);
	g_tree_foreach(m, cmp_one, &w);
	T_EQ(w.stat, 0);
	T_EQ(w.n, (uint64_t)g_tree_nnodes(m));
	T_EQ(xbtree_nrecords(bt), w.n);
}

struct nearest {
	uint64_t	target;
	uint64_t	*found;
};

static gint
ge_search(gconstpointer k, gconstpointer t)
{
	uint64_t	x = *(const uint64_t *)k, y = *(const uint64_t *)t;

	return (x > y) - (x < y);
}

/* Model answer to LE / GE: a linear-free search through GTree nodes. */
static bool
model_nearest(GTree *m, uint64_t k, bool ge, uint64_t *found)
{
	GTreeNode	*node;

	if (ge)
		node = g_tree_lower_bound(m, &k);
	else {
		node = g_tree_upper_bound(m, &k);
		node = node ? g_tree_node_previous(node) : g_tree_node_last(m);
	}
	(void)ge_search;
	if (!node)
		return false;
	*found = *(uint64_t *)g_tree_node_key(node);
	return true;
}

struct range_check {
	GTreeNode	*next;
	uint64_t	count;
};

static int
range_fn(const void *rec, void *priv)
{
	struct range_check	*r = priv;

	T_ASSERT((r->next) != NULL);
	T_EQ(kvbt_rec_key(rec),
			  *(uint64_t *)g_tree_node_key(r->next));
	T_EQ(kvbt_rec_val(rec),
			  *(uint64_t *)g_tree_node_value(r->next));
	r->next = g_tree_node_next(r->next);
	r->count++;
	return 0;
}

static void
check_range(struct xbtree *bt, GTree *m, uint64_t lo, uint64_t hi)
{
	struct range_check	r = { .next = g_tree_lower_bound(m, &lo) };
	uint8_t			lk[8], hk[8];
	uint64_t		expect = 0;
	GTreeNode		*n;

	kvbt_key_init(lk, lo);
	kvbt_key_init(hk, hi);
	T_EQ(xbtree_query_range(bt, lk, hk, range_fn, &r), 0);
	for (n = g_tree_lower_bound(m, &lo);
	     n && *(uint64_t *)g_tree_node_key(n) <= hi;
	     n = g_tree_node_next(n))
		expect++;
	T_EQ(r.count, expect);
}

/*
 * Run a random batch of @nops changes and reads in @tp.  Changes are
 * applied to the model and remembered in @log so a cancel can take them
 * back.  Returns 0 or the first engine error (the batch stops there).
 */
static int
random_batch(struct xbtree *bt, struct xbt_trans *tp, GTree *m,
		uint64_t *seed, unsigned int nops, uint64_t keyspace,
		GArray *log)
{
	unsigned int	i;
	uint64_t	k, v, fk, fv, mv;
	struct change	c;
	int		stat, error, op;
	bool		have;

	for (i = 0; i < nops; i++) {
		k = test_rand(seed) % keyspace;
		op = test_rand(seed) % 100;
		c.key = k;
		c.existed = model_get(m, k, &c.old);
		if (op < 45) {
			v = test_rand(seed);
			error = kv_insert(tp, k, v, &stat);
			if (error)
				return error;
			T_EQ(stat, !c.existed);
			if (stat) {
				g_array_append_val(log, c);
				model_set(m, k, v);
			}
		} else if (op < 80) {
			error = kv_delete(tp, k, &stat);
			if (error)
				return error;
			T_EQ(stat, c.existed);
			if (stat) {
				g_array_append_val(log, c);
				g_tree_remove(m, &k);
			}
		} else if (op < 85) {
			uint8_t	rec[16];

			v = test_rand(seed);
			kvbt_rec_init(rec, k, v);
			error = xbt_update(tp, rec, &stat);
			if (error)
				return error;
			T_EQ(stat, c.existed);
			if (stat) {
				g_array_append_val(log, c);
				model_set(m, k, v);
			}
		} else if (op < 98) {
			enum xbt_lookup	dir = op % 3;

			error = kv_get(bt, dir, k, &fk, &fv, &stat);
			if (error)
				return error;
			if (dir == XBT_LOOKUP_EQ) {
				T_EQ(stat, c.existed);
				if (stat)
					T_EQ(fv, c.old);
				continue;
			}
			have = model_nearest(m, k, dir == XBT_LOOKUP_GE, &fk);
			T_EQ(stat, have);
			if (stat) {
				uint64_t	gk;

				T_EQ(kv_get(bt, dir, k, &gk, &fv,
							&stat), 0);
				T_EQ(gk, fk);
				T_ASSERT(model_get(m, gk, &mv) && mv == fv);
			}
		} else {
			check_range(bt, m, k, k + test_rand(seed) %
				    (keyspace / 50 + 1));
		}
	}
	return 0;
}

/* Take a cancelled batch back out of the model, newest change first. */
static void
forget(GTree *m, GArray *log)
{
	guint		i;
	struct change	*c;

	for (i = log->len; i-- > 0;) {
		c = &g_array_index(log, struct change, i);
		if (c->existed)
			model_set(m, c->key, c->old);
		else
			g_tree_remove(m, &c->key);
	}
	g_array_set_size(log, 0);
}

static const unsigned int model_sizes[] = { 512, 1024, 4096, 65536 };

START_TEST(test_model)
{
	unsigned int		bs = model_sizes[_i];
	struct xbtree		*bt = bt_create(&kvbt_ops, bs);
	GTree			*m = model_new();
	GArray			*log = g_array_new(FALSE, FALSE,
						   sizeof(struct change));
	uint64_t		seed = test_seed("model") ^ bs;
	uint64_t		total = 0, target;
	uint64_t		keyspace;
	struct xbt_trans	*tp;
	unsigned int		batch = 0, nops;

	/* Fewer operations at 64 KiB: each check walks bigger blocks. */
	target = (uint64_t)((bs == 65536 ? 800000 : 2000000) * test_scale());
	while (total < target) {
		/* Grow, then shrink, then grow: joins as well as splits. */
		keyspace = (batch / 40) % 3 == 1 ? 3000 : 60000;
		nops = 1 + test_rand(&seed) % 2000;
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		T_EQ(random_batch(bt, tp, m, &seed, nops, keyspace,
					      log), 0);
		if (test_rand(&seed) % 8 == 0) {
			xbt_trans_cancel(tp);
			forget(m, log);
		} else {
			T_EQ(xbt_trans_commit(tp), 0);
			g_array_set_size(log, 0);
		}
		bt_assert_ok(bt);
		if (batch % 8 == 0)
			compare_all(bt, m);
		total += nops;
		batch++;
	}
	compare_all(bt, m);
	g_array_free(log, TRUE);
	g_tree_destroy(m);
	xbtree_destroy(bt);
}
END_TEST

/* Fail the n-th allocation for every n through a batch. */
START_TEST(test_fault_injection)
{
	unsigned int		bs = _i ? 4096 : 512;
	struct xbtree		*bt = bt_create(&kvbt_ops, bs);
	GTree			*m = model_new();
	GArray			*log = g_array_new(FALSE, FALSE,
						   sizeof(struct change));
	uint64_t		seed = test_seed("fault") ^ bs;
	uint64_t		bseed;
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	unsigned int		round, nrounds, n, failed = 0;
	int			error;

	/* Start from a tree of some height. */
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	T_EQ(random_batch(bt, tp, m, &seed, 5000, 20000, log), 0);
	T_EQ(xbt_trans_commit(tp), 0);
	g_array_set_size(log, 0);

	/* check_fault.c fails every point of every type: two rounds here. */
	nrounds = (unsigned int)(2 * test_scale());
	if (nrounds == 0)
		nrounds = 1;	/* a small scale still fails every point once */
	for (round = 0; round < nrounds; round++) {
		bseed = seed;
		for (n = 1;; n++) {
			snap = bt_snapshot_take(bt);
			seed = bseed;	/* the same batch every time */
			xmem_fault_arm(n, XMEM_PAGES, n % 2 ? -ENOSPC : -ENOMEM);
			T_EQ(xbt_trans_alloc(bt, &tp), 0);
			error = random_batch(bt, tp, m, &seed, 3000, 100000,
					     log);
			xmem_fault_disarm();
			if (!error) {
				T_EQ(xbt_trans_commit(tp), 0);
				g_array_set_size(log, 0);
				bt_snapshot_free(snap);
				break;
			}
			T_ASSERT(error == -ENOSPC || error == -ENOMEM);
			xbt_trans_cancel(tp);
			forget(m, log);
			bt_snapshot_assert_same(snap, bt);
			bt_snapshot_free(snap);
			bt_assert_ok(bt);
			compare_all(bt, m);
		}
		/* The batch needed n - 1 allocations; every one was failed. */
		failed += n - 1;
		bt_assert_ok(bt);
		compare_all(bt, m);
	}
	T_ASSERT(failed > 5);
	g_array_free(log, TRUE);
	g_tree_destroy(m);
	xbtree_destroy(bt);
}
END_TEST

/* Overlapping btree: random inserts and deletes, brute-force ranges. */
struct ivl {
	uint32_t	start, len;
	bool		live;
};

struct ivl_q {
	struct ivl	*v;
	uint32_t	lo, hi;
	uint64_t	count;
	uint64_t	last_key[2];
};

static int
ivl_fn(const void *rec, void *priv)
{
	struct ivl_q	*q = priv;
	uint32_t	start = get_be32(rec);
	uint64_t	id = get_be64((const uint8_t *)rec + 8);

	T_ASSERT(q->v[id].live);
	T_EQ(q->v[id].start, start);
	T_ASSERT(start <= q->hi && start + q->v[id].len - 1 >= q->lo);
	/* In key order. */
	T_ASSERT(q->count == 0 || start > q->last_key[0] ||
		  (start == q->last_key[0] && id > q->last_key[1]));
	q->last_key[0] = start;
	q->last_key[1] = id;
	q->count++;
	return 0;
}

START_TEST(test_overlapping_model)
{
	unsigned int		bs = _i ? 4096 : 512;
	struct xbtree		*bt = bt_create(&ivlbt_ops, bs);
	uint64_t		seed = test_seed("ivl_model") ^ bs;
	uint32_t		nid = 20000, i, q, batch;
	struct ivl		*v = calloc(nid, sizeof(*v));
	struct xbt_trans	*tp;
	uint8_t			rec[16], key[12], lo[12], hi[12];
	int			stat;

	for (batch = 0; batch < (uint32_t)(150 * test_scale()); batch++) {
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		for (q = 0; q < 1000; q++) {
			i = test_rand(&seed) % nid;
			if (v[i].live) {
				ivlbt_key_init(key, v[i].start, i);
				T_EQ(xbt_delete(tp, key, NULL, NULL,
							    &stat), 0);
				T_EQ(stat, 1);
				v[i].live = false;
				continue;
			}
			v[i].start = test_rand(&seed) % 1000000;
			v[i].len = 1 + test_rand(&seed) %
				   (test_rand(&seed) % 10 ? 100 : 100000);
			ivlbt_rec_init(rec, v[i].start, v[i].len, i);
			T_EQ(xbt_insert(tp, rec, &stat), 0);
			T_EQ(stat, 1);
			v[i].live = true;
		}
		T_EQ(xbt_trans_commit(tp), 0);
		bt_assert_ok(bt);
		for (q = 0; q < 20; q++) {
			struct ivl_q	r = { .v = v };
			uint64_t	expect = 0;

			r.lo = test_rand(&seed) % 1100000;
			r.hi = r.lo + test_rand(&seed) % 20000;
			ivlbt_key_init(lo, r.lo, 0);
			ivlbt_key_init(hi, r.hi, UINT64_MAX);
			T_EQ(xbtree_query_range(bt, lo, hi, ivl_fn,
							 &r), 0);
			for (i = 0; i < nid; i++)
				expect += v[i].live && v[i].start <= r.hi &&
					  v[i].start + v[i].len - 1 >= r.lo;
			T_EQ(r.count, expect);
		}
	}
	free(v);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("btree_model");
	TCase	*tc = tcase_create("model");

	test_log_quiet();
	tcase_set_timeout(tc, 1200);
	tcase_add_loop_test(tc, test_model, 0, 4);
	tcase_add_loop_test(tc, test_fault_injection, 0, 2);
	tcase_add_loop_test(tc, test_overlapping_model, 0, 2);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
