// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_btree_refcount.c: the refcount record type (btree_refcount.[ch]).
 *
 * Unit tests: record and key bytes against the layout written out here,
 * every verify_rec rule, the high key (domain bit kept), the key order
 * (every shared record before every CoW record), and disjointness: an
 * extent overlapping another of its domain is refused (insert *stat 0,
 * update -EEXIST), the same blocks in the other domain are fine.
 *
 * Model test: seeded random inserts, deletes (by key, by whole record,
 * with a wrong record) and updates in both domains, in transactions, one
 * in six cancelled (and every transaction whose update hit -EEXIST).  The
 * model is an array of extents plus a GLib GTree ordered by the encoded
 * start block computed here.  Expected insert results come from the
 * model's neighbours; after every batch the structure check runs, the
 * model's own extents are checked disjoint, and LE/EQ/GE lookups and
 * range queries (per domain, and the both-domains interval the text
 * layer uses, filtered with refcbt_rec_overlaps()) are compared with
 * brute-force scans.  Block sizes 512 and 4096.
 *
 * Sizes scale with $XFB_TEST_SCALE; $XFB_TEST_SEED repeats a run.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_refcount.h"
#include "tests/lib/btree_test.h"
#include "tests/lib/model.h"

#define COW		(1U << 31)
#define START_LIMIT	(1ULL << 31)	/* 31-bit start blocks */

/* ---- the model's own view ---------------------------------------------- */

static uint32_t
enc(uint32_t start, bool cow)
{
	return start | (cow ? COW : 0);
}

static void
model_rec_bytes(const struct refcbt_irec *r, uint8_t *b)
{
	put_be32(b, enc(r->startblock, r->cow));
	put_be32(b + 4, r->blockcount);
	put_be32(b + 8, r->refcount);
}

static uint64_t
rec_end(const struct refcbt_irec *r)
{
	return (uint64_t)r->startblock + r->blockcount - 1;
}

static struct refcbt_irec
irec(uint32_t start, uint32_t count, uint32_t refcount, bool cow)
{
	return (struct refcbt_irec){ start, count, refcount, cow };
}

/* ---- unit tests -------------------------------------------------------- */

START_TEST(test_layout)
{
	struct refcbt_irec	r = irec(0x01020304, 0x05060708, 0x090A0B0C,
					 true), g;
	static const uint8_t	want[12] = {
		0x81, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0A, 0x0B, 0x0C,
	};
	uint8_t			rec[12], key[4];

	ck_assert_uint_eq(refcbt_ops.rec_len, 12);
	ck_assert_uint_eq(refcbt_ops.key_len, 4);
	ck_assert_uint_eq(refcbt_ops.magic, 0x52334643);
	ck_assert_str_eq(refcbt_ops.name, "refcount");
	ck_assert_uint_eq(refcbt_ops.flags,
			  XBT_OPS_KEY_PREFIX | XBT_OPS_DISJOINT);

	refcbt_rec_init(rec, &r);
	ck_assert_mem_eq(rec, want, 12);
	memset(&g, 0xff, sizeof(g));
	refcbt_rec_get(rec, &g);
	ck_assert_uint_eq(g.startblock, r.startblock);
	ck_assert_uint_eq(g.blockcount, r.blockcount);
	ck_assert_uint_eq(g.refcount, r.refcount);
	ck_assert(g.cow);

	r.cow = false;
	refcbt_rec_init(rec, &r);
	ck_assert_uint_eq(rec[0], 0x01);
	refcbt_rec_get(rec, &g);
	ck_assert(!g.cow);
	ck_assert_uint_eq(g.startblock, 0x01020304);

	/* Bit 31 of the in-core start is not the domain. */
	r = irec(0x80000005, 1, 1, false);
	refcbt_rec_init(rec, &r);
	ck_assert_uint_eq(get_be32(rec), 5);

	/* The key is the encoded start, the record's first four bytes. */
	r = irec(77, 3, 1, true);
	refcbt_rec_init(rec, &r);
	refcbt_ops.init_key_from_rec(key, rec);
	ck_assert_mem_eq(key, rec, 4);
	refcbt_key_init(key, 77, true);
	ck_assert_uint_eq(get_be32(key), 77 | COW);
	refcbt_key_init(key, 77, false);
	ck_assert_uint_eq(get_be32(key), 77);
}
END_TEST

struct verify_case {
	const char		*what;
	uint32_t		start_enc;	/* as stored */
	uint32_t		count, refcount;
	bool			ok;
};

static const struct verify_case verify_cases[] = {
	{ "shared, refcount 2", 10, 5, 2, true },
	{ "shared, refcount max", 10, 5, UINT32_MAX, true },
	{ "shared, refcount 1", 10, 5, 1, false },
	{ "shared, refcount 0", 10, 5, 0, false },
	{ "cow, refcount 1", COW | 10, 5, 1, true },
	{ "cow, refcount 2", COW | 10, 5, 2, false },
	{ "cow, refcount 0", COW | 10, 5, 0, false },
	{ "zero count", 10, 0, 2, false },
	{ "cow zero count", COW | 10, 0, 1, false },
	{ "ends at 2^31 - 1", (1U << 31) - 10, 10, 2, true },
	{ "cow ends at 2^31 - 1", COW | ((1U << 31) - 10), 10, 1, true },
	{ "last block", (1U << 31) - 1, 1, 2, true },
	{ "wraps past 2^31", (1U << 31) - 10, 11, 2, false },
	{ "cow wraps past 2^31", COW | ((1U << 31) - 10), 11, 1, false },
	{ "whole space", 0, 1U << 31, 2, true },
	{ "more than the space", 0, (1U << 31) + 1, 2, false },
	{ "huge count", 5, UINT32_MAX, 2, false },
};

START_TEST(test_verify_rec)
{
	const struct verify_case	*c = &verify_cases[_i];
	uint8_t				rec[12];
	const char			*why;

	put_be32(rec, c->start_enc);
	put_be32(rec + 4, c->count);
	put_be32(rec + 8, c->refcount);
	why = refcbt_ops.verify_rec(rec);
	ck_assert_msg((why == NULL) == c->ok, "%s: %s", c->what,
		      why ? why : "accepted");

	bt_assert_insert_verdict(&refcbt_ops, rec, c->ok);
}
END_TEST

START_TEST(test_high_key)
{
	static const struct {
		struct refcbt_irec	r;
		uint32_t		high;
	} cases[] = {
		{ { 100, 1, 2, false }, 100 },
		{ { 100, 8, 2, false }, 107 },
		{ { 100, 8, 1, true }, COW | 107 },
		{ { (1U << 31) - 8, 8, 2, false }, (1U << 31) - 1 },
		{ { (1U << 31) - 8, 8, 1, true }, UINT32_MAX },
		{ { 0, 1U << 31, 2, false }, (1U << 31) - 1 },
	};
	uint8_t		rec[12], key[4];
	unsigned int	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		model_rec_bytes(&cases[i].r, rec);
		ck_assert_ptr_null(refcbt_ops.verify_rec(rec));
		refcbt_ops.init_high_key_from_rec(key, rec);
		ck_assert_uint_eq(get_be32(key), cases[i].high);
	}
}
END_TEST

START_TEST(test_key_order)
{
	static const uint32_t	keys[] = {
		0, 1, 255, 256, 65536, (1U << 31) - 1,
		COW, COW | 1, COW | 256, UINT32_MAX,
	};
	const unsigned int	n = sizeof(keys) / sizeof(keys[0]);
	uint8_t			a[4], b[4];
	unsigned int		i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			put_be32(a, keys[i]);
			put_be32(b, keys[j]);
			ck_assert_int_eq(test_sign(refcbt_ops.cmp_keys(a, b)),
					 (i > j) - (i < j));
			/* XBT_OPS_KEY_PREFIX: memcmp must agree. */
			ck_assert_int_eq(test_sign(memcmp(a, b, 4)),
					 (i > j) - (i < j));
		}
	}
}
END_TEST

static int
ins(struct xbt_trans *tp, struct refcbt_irec r)
{
	uint8_t	rec[12];
	int	stat = -1;

	model_rec_bytes(&r, rec);
	T_EQ(xbt_insert(tp, rec, &stat), 0);
	return stat;
}

/* The rules of disjointness, one by one. */
START_TEST(test_disjoint)
{
	struct xbtree		*bt = bt_create(&refcbt_ops, 512);
	struct xbt_trans	*tp;
	struct bt_snapshot	*snap;
	uint8_t			rec[12], key[4];
	int			stat;

	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	T_EQ(ins(tp, irec(100, 10, 2, false)), 1);	/* 100..109 */
	/* Same domain: any overlap is refused. */
	T_EQ(ins(tp, irec(100, 10, 3, false)), 0);
	T_EQ(ins(tp, irec(95, 6, 2, false)), 0);	/* ends at 100 */
	T_EQ(ins(tp, irec(109, 5, 2, false)), 0);	/* starts at 109 */
	T_EQ(ins(tp, irec(102, 2, 2, false)), 0);	/* inside */
	T_EQ(ins(tp, irec(50, 100, 2, false)), 0);	/* around */
	/* Touching is fine. */
	T_EQ(ins(tp, irec(95, 5, 2, false)), 1);	/* 95..99 */
	T_EQ(ins(tp, irec(110, 5, 4, false)), 1);	/* 110..114 */
	/* The other domain: the same blocks are fine. */
	T_EQ(ins(tp, irec(100, 10, 1, true)), 1);
	T_EQ(ins(tp, irec(90, 30, 1, true)), 0);	/* but not twice */
	T_EQ(ins(tp, irec(90, 10, 1, true)), 1);
	/* The top shared extent and the bottom CoW extent do not meet. */
	T_EQ(ins(tp, irec((1U << 31) - 4, 4, 2, false)), 1);
	T_EQ(ins(tp, irec(0, 4, 1, true)), 1);
	T_EQ(xbt_trans_commit(tp), 0);
	T_EQ(xbtree_nrecords(bt), 7);
	bt_assert_ok(bt);

	/* An update that would grow into the neighbour: -EEXIST. */
	snap = bt_snapshot_take(bt);
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	model_rec_bytes(&(struct refcbt_irec){ 100, 11, 2, false }, rec);
	T_EQ(xbt_update(tp, rec, &stat), -EEXIST);
	xbt_trans_cancel(tp);
	bt_snapshot_assert_same(snap, bt);
	bt_snapshot_free(snap);

	/* Shrinking or changing the count in place is fine. */
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	model_rec_bytes(&(struct refcbt_irec){ 100, 3, 7, false }, rec);
	T_EQ(xbt_update(tp, rec, &stat), 0);
	T_EQ(stat, 1);
	/* Now 103.. is free in the shared domain. */
	T_EQ(ins(tp, irec(103, 7, 2, false)), 1);
	/* Delete by key: the domain is part of the key. */
	refcbt_key_init(key, 100, true);
	T_EQ(xbt_delete(tp, key, NULL, NULL, &stat), 0);
	T_EQ(stat, 1);
	T_EQ(xbt_delete(tp, key, NULL, NULL, &stat), 0);
	T_EQ(stat, 0);
	refcbt_key_init(key, 100, false);
	T_EQ(xbtree_get(bt, XBT_LOOKUP_EQ, key, rec, &stat), 0);
	T_EQ(stat, 1);
	T_EQ(get_be32(rec + 8), 7);
	T_EQ(xbt_trans_commit(tp), 0);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

/* ---- the model test ---------------------------------------------------- */

struct slot {
	struct refcbt_irec	r;
	uint32_t		key;	/* encoded start, while live */
	bool			live;
};

struct model {
	struct tmodel	tm;		/* keyed by &slot.key */
	struct slot	*s;		/* tm.slots */
	uint32_t	space;
};

static gint
u32_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	(void)unused;
	return (x > y) - (x < y);
}

static uint64_t
rnd(struct model *m, uint64_t n)
{
	return tmodel_rnd(&m->tm, n);
}

static const struct refcbt_irec *
node_rec(struct model *m, GTreeNode *node)
{
	return &m->s[tmodel_node_index(node)].r;
}

/*
 * Would extent @r overlap a live extent of its domain other than slot
 * @self?  The model is disjoint, so only the neighbours around @r's start
 * need looking at: the last extent starting at or before it, and the
 * first starting after it.
 */
static bool
model_overlaps(struct model *m, const struct refcbt_irec *r, int self)
{
	uint32_t			k = enc(r->startblock, r->cow);
	const struct refcbt_irec	*o;
	GTreeNode			*node, *prev;

	node = g_tree_upper_bound(m->tm.t, &k);	/* first key > k */
	prev = node ? g_tree_node_previous(node) : g_tree_node_last(m->tm.t);
	if (prev && (int)(tmodel_node_index(prev)) ==
		    self)
		prev = g_tree_node_previous(prev);
	if (prev) {
		o = node_rec(m, prev);
		if (o->cow == r->cow && rec_end(o) >= r->startblock)
			return true;
	}
	if (node) {
		o = node_rec(m, node);
		if (o->cow == r->cow && o->startblock <= rec_end(r))
			return true;
	}
	return false;
}

static void
gen_rec(struct model *m, struct refcbt_irec *r)
{
	uint64_t	room;

	r->cow = rnd(m, 2);
	r->startblock = rnd(m, 40) ? rnd(m, m->space) :
				     (1U << 31) - 1 - (uint32_t)rnd(m, 2000);
	r->blockcount = 1 + rnd(m, rnd(m, 10) ? 20 : 1000);
	room = START_LIMIT - r->startblock;
	if (r->blockcount > room)
		r->blockcount = room;
	if (r->cow)
		r->refcount = 1;
	else
		r->refcount = rnd(m, 20) ? 2 + rnd(m, 5) : UINT32_MAX;
}

/*
 * Insert @r into free slot @i and the tree: it goes in unless it has the
 * key of a live extent or overlaps one of its domain.  Returns whether
 * it went in.
 */
static bool
model_insert(struct model *m, struct xbt_trans *tp, unsigned int i,
		const struct refcbt_irec *r)
{
	struct slot	ns = { .r = *r, .key = enc(r->startblock, r->cow),
			       .live = true };
	uint8_t		rec[12];
	bool		over;
	int		stat;

	over = g_tree_lookup(m->tm.t, &ns.key) ||
	       model_overlaps(m, &ns.r, -1);
	model_rec_bytes(&ns.r, rec);
	T_EQ(xbt_insert(tp, rec, &stat), 0);
	T_EQ(stat, !over);
	if (stat)
		tmodel_set(&m->tm, i, &ns, true);
	return stat;
}

/*
 * One random batch in @tp.  Returns false if an update hit -EEXIST as
 * the model said it would; the batch must then be cancelled.
 */
static bool
model_batch(struct model *m, struct xbtree *bt, struct xbt_trans *tp,
		unsigned int nops)
{
	uint8_t		rec[12], wrong[12], key[4], old[12];
	struct slot	ns;
	unsigned int	i, op, pick;
	int		stat, error;
	bool		over;

	for (op = 0; op < nops; op++) {
		i = rnd(m, m->tm.n);
		pick = rnd(m, 10);
		if (m->s[i].live && pick < 6) {
			/* Delete: by key, by record, or a wrong record. */
			model_rec_bytes(&m->s[i].r, rec);
			put_be32(key, m->s[i].key);
			if (pick == 0) {
				memcpy(wrong, rec, 12);
				put_be32(wrong + 8, get_be32(rec + 8) + 1);
				T_EQ(xbt_delete(tp, key, wrong, NULL, &stat),
				     0);
				T_EQ(stat, 0);
			}
			T_EQ(xbt_delete(tp, key, pick < 3 ? rec : NULL, old,
					&stat), 0);
			T_EQ(stat, 1);
			T_ASSERT(memcmp(old, rec, 12) == 0);
			ns = m->s[i];
			ns.live = false;
			tmodel_set(&m->tm, i, &ns, true);
		} else if (m->s[i].live) {
			/* Update in place: new count and refcount. */
			ns = m->s[i];
			ns.r.blockcount = 1 + rnd(m, 2 * ns.r.blockcount + 4);
			if (ns.r.blockcount > START_LIMIT - ns.r.startblock)
				ns.r.blockcount = START_LIMIT -
						  ns.r.startblock;
			if (!ns.r.cow)
				ns.r.refcount = 2 + rnd(m, 9);
			over = model_overlaps(m, &ns.r, i);
			/* A refused update costs the batch: keep it rare. */
			if (over && rnd(m, 100))
				continue;
			model_rec_bytes(&ns.r, rec);
			error = xbt_update(tp, rec, &stat);
			if (over) {
				T_EQ(error, -EEXIST);
				return false;
			}
			T_EQ(error, 0);
			T_EQ(stat, 1);
			tmodel_set(&m->tm, i, &ns, true);
		} else if (pick < 8) {
			/* Insert, and perhaps the same blocks over there. */
			gen_rec(m, &ns.r);
			if (!model_insert(m, tp, i, &ns.r))
				continue;
			i = rnd(m, m->tm.n);
			if (m->s[i].live || rnd(m, 3))
				continue;
			ns.r.cow = !ns.r.cow;
			ns.r.refcount = ns.r.cow ? 1 : 2;
			model_insert(m, tp, i, &ns.r);
		} else {
			/* Delete of a random key: only if the model has it. */
			struct refcbt_irec	r;
			uint32_t		k;

			gen_rec(m, &r);
			k = enc(r.startblock, r.cow);
			put_be32(key, k);
			T_EQ(xbt_delete(tp, key, NULL, NULL, &stat), 0);
			T_EQ(stat, g_tree_lookup(m->tm.t, &k) != NULL);
			if (stat) {
				unsigned int j = GPOINTER_TO_UINT(
						g_tree_lookup(m->tm.t, &k)) - 1;

				ns = m->s[j];
				ns.live = false;
				tmodel_set(&m->tm, j, &ns, true);
			}
		}
	}
	(void)bt;
	return true;
}

/* The model itself stays disjoint per domain. */
struct disjoint_walk {
	struct model		*m;
	bool			have;
	struct refcbt_irec	prev;
};

static gboolean
disjoint_one(gpointer k, gpointer v, gpointer priv)
{
	struct disjoint_walk		*w = priv;
	const struct refcbt_irec	*r =
		&w->m->s[GPOINTER_TO_UINT(v) - 1].r;

	(void)k;
	if (w->have && w->prev.cow == r->cow)
		T_ASSERT(rec_end(&w->prev) < r->startblock);
	w->prev = *r;
	w->have = true;
	return FALSE;
}

/* The records a query must return, in key order. */
struct expect {
	uint32_t	lo, hi;		/* blocks */
	int		domain;		/* 0 shared, 1 cow, -1 both */
	GArray		*want;		/* slot indexes */
	struct model	*m;
	guint		next;
};

static gboolean
expect_one(gpointer k, gpointer v, gpointer priv)
{
	struct expect			*e = priv;
	unsigned int			i = GPOINTER_TO_UINT(v) - 1;
	const struct refcbt_irec	*r = &e->m->s[i].r;

	(void)k;
	if (e->domain >= 0 && r->cow != e->domain)
		return FALSE;
	if (r->startblock <= e->hi && rec_end(r) >= e->lo)
		g_array_append_val(e->want, i);
	return FALSE;
}

static int
answer_one(const void *rec, void *priv)
{
	struct expect	*e = priv;
	uint8_t		want[12];
	unsigned int	i;

	/* The both-domains interval: drop what misses the blocks. */
	if (e->domain < 0 && !refcbt_rec_overlaps(rec, e->lo, e->hi))
		return 0;
	T_ASSERT(e->next < e->want->len);
	i = g_array_index(e->want, unsigned int, e->next);
	model_rec_bytes(&e->m->s[i].r, want);
	T_ASSERT(memcmp(rec, want, 12) == 0);
	e->next++;
	return 0;
}

static void
check_range(struct model *m, struct xbtree *bt, uint32_t lo, uint32_t hi,
		int domain)
{
	struct expect	e = { lo, hi, domain,
			      g_array_new(FALSE, FALSE, sizeof(unsigned int)),
			      m, 0 };
	uint8_t		lk[4], hk[4];

	g_tree_foreach(m->tm.t, expect_one, &e);
	if (domain >= 0) {
		put_be32(lk, enc(lo, domain));
		put_be32(hk, enc(hi, domain));
	} else {
		/* What the text layer's parse_range builds. */
		put_be32(lk, lo);
		put_be32(hk, hi | COW);
	}
	T_EQ(xbtree_query_range(bt, lk, hk, answer_one, &e), 0);
	T_EQ(e.next, e.want->len);
	g_array_free(e.want, TRUE);
}

static void
check_lookups(struct model *m, struct xbtree *bt, unsigned int n)
{
	struct refcbt_irec	r;
	GTreeNode		*node;
	uint8_t			key[4], want[12];
	unsigned int		q;
	uint32_t		k;
	int			dir;

	for (q = 0; q < n; q++) {
		gen_rec(m, &r);
		k = enc(r.startblock, r.cow);
		put_be32(key, k);
		dir = rnd(m, 3);
		node = tmodel_lookup(&m->tm, &k, dir);
		if (node)
			model_rec_bytes(node_rec(m, node), want);
		bt_assert_get(bt, dir, key, node ? want : NULL);
	}
}

static const unsigned int model_sizes[] = { 512, 4096 };

START_TEST(test_model)
{
	unsigned int		bs = model_sizes[_i];
	struct xbtree		*bt = bt_create(&refcbt_ops, bs);
	struct model		m = { 0 };
	/* Ranges in the shared domain, the CoW domain, then both. */
	static const int	domains[3] = { 0, 1, -1 };
	struct disjoint_walk	dw = { .m = &m };
	unsigned int		batch, nbatches, q;
	struct xbt_trans	*tp;
	uint32_t		lo, hi;
	bool			whole;

	tmodel_init(&m.tm, bs == 512 ? 6000 : 40000, sizeof(struct slot),
		    offsetof(struct slot, key), offsetof(struct slot, live),
		    u32_cmp, test_seed("refcount_model") ^ bs);
	m.s = m.tm.slots;
	nbatches = (unsigned int)(200 * test_scale());
	for (batch = 0; batch < nbatches; batch++) {
		/* Crowded (many refusals), then roomy. */
		m.space = (batch / 30) % 2 ? 1000000 : 40000;
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		whole = model_batch(&m, bt, tp, 1 + rnd(&m, 2000));
		tmodel_end_batch(&m.tm, tp, !whole || rnd(&m, 6) == 0);
		bt_assert_ok(bt);
		T_EQ(xbtree_nrecords(bt), g_tree_nnodes(m.tm.t));
		dw.have = false;
		g_tree_foreach(m.tm.t, disjoint_one, &dw);
		check_lookups(&m, bt, 50);
		for (q = 0; q < 12; q++) {
			lo = rnd(&m, 4) ? rnd(&m, m.space + 100) :
					  (1U << 31) - 1 - rnd(&m, 3000);
			hi = lo + rnd(&m, rnd(&m, 4) ? 30 : 5000);
			if (hi >= START_LIMIT)
				hi = START_LIMIT - 1;
			check_range(&m, bt, lo, hi, domains[q % 3]);
		}
		check_range(&m, bt, 0, START_LIMIT - 1, -1);
	}
	for (q = 0; q < 2; q++)
		check_range(&m, bt, 0, START_LIMIT - 1, q);
	tmodel_release(&m.tm);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("btree_refcount");
	TCase	*tc = tcase_create("refcount");

	test_log_quiet();
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_layout);
	tcase_add_loop_test(tc, test_verify_rec, 0,
			    sizeof(verify_cases) / sizeof(verify_cases[0]));
	tcase_add_test(tc, test_high_key);
	tcase_add_test(tc, test_key_order);
	tcase_add_test(tc, test_disjoint);
	tcase_add_loop_test(tc, test_model, 0, 2);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
