// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_bload.c: bulk loading (btree/bload.c) and in-place record changes
 * (xbt_cur_modify()), through the public API.
 *
 * Geometry: xbt_bload_geometry() against a model of the documented
 * rule (every level ceil(entries / maxrecs) blocks) for every type and
 * block size, record counts from 0 to 2^64 - 1, and bad block sizes.
 *
 * Loads: kv, rmap and refcount records (sorted, unique; rmap records
 * valid and several owners per start block; refcount extents disjoint in
 * each domain, both domains) at 512, 1024, 4096 and 65536-byte blocks,
 * with 0, 1, maxrecs - 1, maxrecs, maxrecs + 1, maxrecs * maxrecs_node
 * and one either side, the same for three levels when small enough,
 * 100000 (scaled by $XFB_TEST_SCALE) and a random count of records.
 * Each loaded tree must pass the structure check, hold exactly the
 * records in order (cursor walk, and an EQ lookup of every key), have
 * the height and block count the geometry gives, and every level spread
 * evenly: each non-root block between minrecs and maxrecs, within one of
 * the others at its level, the larger ones first.  It must take no more
 * blocks than the same records inserted one by one in random order, and
 * ordinary transactions (deletes, inserts that split the full blocks,
 * cancels) must keep working on it.
 *
 * Errors: a duplicate key, records out of order, a record the type
 * rejects, overlapping refcount extents, @next giving fewer or more
 * records than promised or failing, the memory cap and injected
 * allocation failures: each returns its errno, hands back no btree and
 * leaves xfile_memory_used() as it was.
 *
 * xbt_cur_modify(): values of n kv records changed in place from a
 * cursor, for n = 1 up to the end of the leaf, then committed (visible,
 * check clean) or cancelled (every block byte for byte as before), mixed
 * with inserts and deletes in the same transaction; a whole tree changed
 * leaf by leaf; rmap and refcount fields that are not key bytes; and a
 * cursor off a record or n past the leaf, -EUCLEAN, on scratch trees.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "btree/format.h"
#include "tests/lib/btree_test.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"

static const unsigned int blocksizes[] = { 512, 1024, 4096, 65536 };
#define NR_BLOCKSIZES	(sizeof(blocksizes) / sizeof(blocksizes[0]))

/* Loads bigger than this are skipped (64 KiB blocks: M * N is 10^7). */
#define MAX_LOAD	400000ULL

static void
setup(void)
{
	test_log_quiet();
}

static void
teardown(void)
{
	xfile_set_memory_cap(0);
	xmem_fault_disarm();
}

/* ---- record sets --------------------------------------------------------- */

struct rtype {
	const char		*name;
	const struct xbt_ops	*ops;
	/* Fill @recs with @n sorted, unique, valid records. */
	void			(*gen)(uint8_t *recs, uint64_t n,
				       uint64_t *seed);
};

/* kv: even keys with gaps, so odd keys are free for later inserts. */
static void
gen_kv(uint8_t *recs, uint64_t n, uint64_t *seed)
{
	uint64_t	i, k = 0;

	for (i = 0; i < n; i++) {
		k += 2 + 2 * (test_rand(seed) % 4);
		kvbt_rec_init(recs + i * KVBT_REC_LEN, k, test_rand(seed));
	}
}

/*
 * rmap: start blocks rising, often several owners at one start block;
 * inode owners with data and attr fork mappings, bmbt blocks and
 * unwritten extents, and special owners.  (start, owner) rises strictly,
 * so the keys do.
 */
static void
gen_rmap(uint8_t *recs, uint64_t n, uint64_t *seed)
{
	struct rmapbt_irec	r = { 0 }, prev = { 0 };
	uint64_t		i;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if (i && test_rand(seed) % 3 == 0 &&
		    rmapbt_owner_is_inode(prev.owner)) {
			r.startblock = prev.startblock;
			r.owner = prev.owner + 1 + test_rand(seed) % 1000;
		} else {
			r.startblock = (i ? prev.startblock : 0) + 1 +
				       test_rand(seed) % 8;
			if (test_rand(seed) % 10 == 0)
				r.owner = (uint64_t)-1 - test_rand(seed) % 9;
			else
				r.owner = 1 + test_rand(seed) % 100000;
		}
		r.blockcount = 1 + test_rand(seed) % 50;
		if (rmapbt_owner_is_inode(r.owner)) {
			switch (test_rand(seed) % 5) {
			case 0:
				r.flags = RMAPBT_F_ATTR;
				break;
			case 1:
				r.flags = RMAPBT_F_BMBT;
				break;
			case 2:
				r.flags = RMAPBT_F_UNWRITTEN;
				break;
			case 3:
				r.flags = RMAPBT_F_ATTR | RMAPBT_F_BMBT;
				break;
			default:
				break;
			}
			if (!(r.flags & RMAPBT_F_BMBT))
				r.offset = test_rand(seed) % (1ULL << 40);
		}
		rmapbt_rec_init(recs + i * RMAPBT_REC_LEN, &r);
		T_ASSERT(rmapbt_ops.verify_rec(recs + i * RMAPBT_REC_LEN) ==
			 NULL);
		prev = r;
	}
}

/*
 * refcount: the first two thirds shared extents (refcount >= 2), the
 * rest CoW staging extents (refcount 1); in each domain the extents are
 * disjoint, sometimes touching.
 */
static void
gen_refc(uint8_t *recs, uint64_t n, uint64_t *seed)
{
	struct refcbt_irec	r;
	uint64_t		i, nshared = n - n / 3;
	uint32_t		next = 0;

	for (i = 0; i < n; i++) {
		if (i == nshared)
			next = 0;
		r.cow = i >= nshared;
		r.startblock = next + test_rand(seed) % 4;
		r.blockcount = 1 + test_rand(seed) % 20;
		r.refcount = r.cow ? 1 : 2 + test_rand(seed) % 5;
		next = r.startblock + r.blockcount;
		refcbt_rec_init(recs + i * REFCBT_REC_LEN, &r);
		T_ASSERT(refcbt_ops.verify_rec(recs + i * REFCBT_REC_LEN) ==
			 NULL);
	}
}

static const struct rtype rtypes[] = {
	{ "kv",		&kvbt_ops,	gen_kv },
	{ "rmap",	&rmapbt_ops,	gen_rmap },
	{ "refcount",	&refcbt_ops,	gen_refc },
};
#define NR_RTYPES	(sizeof(rtypes) / sizeof(rtypes[0]))

static uint8_t *
make_recs(const struct rtype *rt, uint64_t n, uint64_t *seed)
{
	uint8_t		*recs = malloc(n * rt->ops->rec_len + 1);

	T_ASSERT(recs != NULL);
	rt->gen(recs, n, seed);
	return recs;
}

/* ---- geometry ------------------------------------------------------------ */

static void
type_maxrecs(const struct xbt_ops *ops, unsigned int bs, unsigned int mr[2])
{
	unsigned int	keyslot = ops->key_len *
				  ((ops->flags & XBT_OPS_OVERLAPPING) ? 2 : 1);

	mr[0] = (bs - XBT_BLOCK_HDR_LEN) / ops->rec_len;
	mr[1] = (bs - XBT_BLOCK_HDR_LEN) / (keyslot + XBT_PTR_LEN);
}

/* The documented shape: each level ceil(entries / maxrecs) blocks. */
static unsigned int
model_geometry(const unsigned int mr[2], uint64_t n, uint64_t *per_level,
		uint64_t *total)
{
	uint64_t	entries = n, nb;
	unsigned int	level;

	*total = 0;
	for (level = 0; level < XBT_MAXLEVELS; level++) {
		unsigned int	max = mr[level > 0];

		nb = entries <= max ? 1 : (entries - 1) / max + 1;
		if (per_level)
			per_level[level] = nb;
		*total += nb;
		if (nb == 1)
			return level + 1;
		entries = nb;
	}
	return 0;
}

START_TEST(test_geometry)
{
	const struct rtype	*rt = &rtypes[_i];
	uint64_t		seed = test_seed("geometry") + _i;
	unsigned int		b, j, mr[2], height, mh;
	uint64_t		blocks, mblocks;

	for (b = 0; b <= NR_BLOCKSIZES; b++) {
		unsigned int	bs = b < NR_BLOCKSIZES ? blocksizes[b] : 0;
		unsigned int	real_bs = bs ? bs : sysconf(_SC_PAGESIZE);
		struct xbtree	*bt = bt_create(rt->ops, real_bs);
		struct xbtree_stats st;
		uint64_t	m, nn, counts[40];
		unsigned int	nc = 0;

		type_maxrecs(rt->ops, real_bs, mr);
		xbtree_get_stats(bt, &st);
		T_EQ(st.maxrecs[0], mr[0]);
		T_EQ(st.maxrecs[1], mr[1]);
		xbtree_destroy(bt);

		m = mr[0];
		nn = (uint64_t)mr[0] * mr[1];
		counts[nc++] = 0;
		counts[nc++] = 1;
		counts[nc++] = m - 1;
		counts[nc++] = m;
		counts[nc++] = m + 1;
		counts[nc++] = nn - 1;
		counts[nc++] = nn;
		counts[nc++] = nn + 1;
		counts[nc++] = nn * mr[1];
		counts[nc++] = nn * mr[1] + 1;
		counts[nc++] = 1000000000ULL;
		counts[nc++] = 1ULL << 40;
		counts[nc++] = UINT64_MAX / 2;
		counts[nc++] = UINT64_MAX - 1;
		counts[nc++] = UINT64_MAX;
		for (j = 0; j < 20; j++)
			counts[nc++] = test_rand(&seed) >>
				       (test_rand(&seed) % 64);
		for (j = 0; j < nc; j++) {
			height = 0;
			blocks = 0;
			T_EQ(xbt_bload_geometry(rt->ops, bs, counts[j],
						   &height, &blocks), 0);
			mh = model_geometry(mr, counts[j], NULL, &mblocks);
			ck_assert_msg(height == mh && blocks == mblocks,
				      "%s bs %u n %llu: height %u blocks %llu, "
				      "expected %u and %llu", rt->name, real_bs,
				      (unsigned long long)counts[j], height,
				      (unsigned long long)blocks, mh,
				      (unsigned long long)mblocks);
		}
		/* The easy ones by hand. */
		T_EQ(xbt_bload_geometry(rt->ops, bs, 0, &height, &blocks),
		     0);
		T_EQ(height, 1);
		T_EQ(blocks, 1);
		T_EQ(xbt_bload_geometry(rt->ops, bs, m + 1, &height,
					   &blocks), 0);
		T_EQ(height, 2);
		T_EQ(blocks, 3);
		T_EQ(xbt_bload_geometry(rt->ops, bs, nn + 1, &height,
					   &blocks), 0);
		T_EQ(height, 3);
		T_EQ(blocks, mr[1] + 1 + 2 + 1);
	}
	/* kv at 512 bytes: 27 records or entries a block. */
	if (_i == 0) {
		T_EQ(xbt_bload_geometry(&kvbt_ops, 512, 729, &height,
					   &blocks), 0);
		T_EQ(height, 2);
		T_EQ(blocks, 28);
		T_EQ(xbt_bload_geometry(&kvbt_ops, 512, 730, &height,
					   &blocks), 0);
		T_EQ(height, 3);
		T_EQ(blocks, 28 + 2 + 1);
	}
	T_EQ(xbt_bload_geometry(rt->ops, 256, 10, &height, &blocks),
	     -EINVAL);
	T_EQ(xbt_bload_geometry(rt->ops, 3000, 10, &height, &blocks),
	     -EINVAL);
	T_EQ(xbt_bload_geometry(rt->ops, 131072, 10, &height, &blocks),
	     -EINVAL);
	T_EQ(xbt_bload_geometry(rt->ops, 1, 10, &height, &blocks),
	     -EINVAL);
}
END_TEST

/* ---- loading ------------------------------------------------------------- */

/* What @next hands out, and what progress saw. */
struct feed {
	const uint8_t	*recs;
	unsigned int	rec_len;
	uint64_t	avail;		/* records it has */
	uint64_t	pos;
	uint64_t	fail_at;	/* call number that fails, or ~0 */
	int		fail_err;
	uint64_t	nrecs;		/* what the load was promised */
	uint64_t	prog_calls;
	uint64_t	prog_last;
	bool		prog_bad;
};

static int
feed_next(void *rec, void *priv)
{
	struct feed	*f = priv;

	if (f->pos == f->fail_at)
		return f->fail_err;
	if (f->pos >= f->avail)
		return 0;
	memcpy(rec, f->recs + f->pos * f->rec_len, f->rec_len);
	f->pos++;
	return 1;
}

static void
feed_progress(uint64_t done, void *priv)
{
	struct feed	*f = priv;

	if (done < f->prog_last || done > f->nrecs)
		f->prog_bad = true;
	f->prog_last = done;
	f->prog_calls++;
}

static void
feed_init(struct feed *f, const struct xbt_ops *ops, const uint8_t *recs,
		uint64_t avail, uint64_t nrecs)
{
	memset(f, 0, sizeof(*f));
	f->recs = recs;
	f->rec_len = ops->rec_len;
	f->avail = avail;
	f->nrecs = nrecs;
	f->fail_at = UINT64_MAX;
}

static int
do_load(const struct xbt_ops *ops, unsigned int bs, struct feed *f,
		struct xbtree **btp)
{
	struct xbtree_params	p = { .blocksize = bs, .owner = 42 };

	return xbtree_bload(ops, &p, f->nrecs, feed_next, f, feed_progress,
			    btp);
}

static struct xbtree *
load(const struct rtype *rt, unsigned int bs, const uint8_t *recs,
		uint64_t n)
{
	struct xbtree	*bt = NULL;
	struct feed	f;
	int		error;

	feed_init(&f, rt->ops, recs, n, n);
	error = do_load(rt->ops, bs, &f, &bt);
	ck_assert_msg(error == 0, "%s bs %u n %llu: bload: %s", rt->name, bs,
		      (unsigned long long)n, strerror(-error));
	T_ASSERT(bt != NULL);
	T_EQ(f.pos, n);
	T_ASSERT(!f.prog_bad);
	T_ASSERT(f.prog_calls >= 1);
	T_EQ(f.prog_last, n);
	return bt;
}

/* The tree holds exactly @recs[0..n), in order. */
static void
walk_compare(struct xbtree *bt, const struct xbt_ops *ops,
		const uint8_t *recs, uint64_t n)
{
	struct xbt_cur	cur;
	uint8_t		key[XBT_KEY_MAX] = { 0 };
	uint64_t	i = 0;
	int		stat;

	xbt_cur_init(&cur, bt);
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
	while (stat) {
		T_ASSERT(i < n);
		if (memcmp(xbt_cur_rec(&cur), recs + i * ops->rec_len,
			   ops->rec_len))
			ck_abort_msg("%s: record %llu differs", ops->name,
				     (unsigned long long)i);
		i++;
		T_EQ(xbt_increment(&cur, &stat), 0);
	}
	T_EQ(i, n);
	T_EQ(xbtree_nrecords(bt), n);
}

/* An EQ lookup of every @step-th record's key finds it. */
static void
get_all(struct xbtree *bt, const struct xbt_ops *ops, const uint8_t *recs,
		uint64_t n, uint64_t step)
{
	uint8_t		key[XBT_KEY_MAX], rec[XBT_REC_MAX];
	uint64_t	i;
	int		stat;

	for (i = 0; i < n; i += step) {
		ops->init_key_from_rec(key, recs + i * ops->rec_len);
		T_EQ(xbtree_get(bt, XBT_LOOKUP_EQ, key, rec, &stat), 0);
		if (!stat || memcmp(rec, recs + i * ops->rec_len,
				    ops->rec_len))
			ck_abort_msg("%s: EQ lookup of record %llu: stat %d",
				     ops->name, (unsigned long long)i, stat);
	}
}

struct blkinfo {
	unsigned int	level;
	unsigned int	numrecs;
	uint64_t	left, right;
	bool		seen;
};

/*
 * Read every block: the shape the geometry promises, every level spread
 * evenly (non-root blocks within minrecs..maxrecs and within one of each
 * other, the larger first along the sibling chain).
 */
static void
inspect_blocks(struct xbtree *bt, const struct xbt_ops *ops, unsigned int bs,
		uint64_t n)
{
	struct xbtree_stats	st;
	struct blkinfo		*bi;
	uint64_t		per_level[XBT_MAXLEVELS], total, gblocks;
	uint64_t		count[XBT_MAXLEVELS] = { 0 };
	uint64_t		sum[XBT_MAXLEVELS] = { 0 };
	unsigned int		minn[XBT_MAXLEVELS], maxn[XBT_MAXLEVELS];
	unsigned int		mr[2], height, gheight, l;
	uint8_t			*buf = malloc(bs);
	const struct xbt_head_block *h = (const void *)buf;
	const struct xbt_block	*blk = (const void *)buf;
	uint64_t		b, root, i, cur, prev;

	T_ASSERT(buf != NULL);
	type_maxrecs(ops, bs, mr);
	height = model_geometry(mr, n, per_level, &total);
	T_EQ(xbt_bload_geometry(ops, bs, n, &gheight, &gblocks), 0);
	T_EQ(gheight, height);
	T_EQ(gblocks, total);
	xbtree_get_stats(bt, &st);
	T_EQ(st.height, height);
	T_EQ(st.blocks, total + 1);
	T_EQ(st.records, n);

	T_EQ(xbtree_read_block(bt, 0, buf), 0);
	T_EQ(xbt_head_nlevels(h), height);
	T_EQ(xbt_head_nblocks(h), total + 1);
	T_EQ(xbt_head_nrecords(h), n);
	root = xbt_head_root(h);

	bi = calloc(total + 2, sizeof(*bi));
	T_ASSERT(bi != NULL);
	for (l = 0; l < XBT_MAXLEVELS; l++) {
		minn[l] = UINT32_MAX;
		maxn[l] = 0;
	}
	for (b = 1; xbtree_next_block(bt, b, &b); b++) {
		T_ASSERT(b <= total);
		T_EQ(xbtree_read_block(bt, b, buf), 0);
		T_EQ(xbt_magic(blk), ops->magic);
		l = xbt_level(blk);
		T_ASSERT(l < height);
		bi[b].level = l;
		bi[b].numrecs = xbt_numrecs(blk);
		bi[b].left = xbt_leftsib(blk);
		bi[b].right = xbt_rightsib(blk);
		count[l]++;
		sum[l] += bi[b].numrecs;
		if (bi[b].numrecs < minn[l])
			minn[l] = bi[b].numrecs;
		if (bi[b].numrecs > maxn[l])
			maxn[l] = bi[b].numrecs;
	}
	T_ASSERT(root >= 1 && root <= total);
	T_EQ(bi[root].level, height - 1);
	for (l = 0; l < height; l++) {
		T_EQ(count[l], per_level[l]);
		T_EQ(sum[l], l ? count[l - 1] : n);
		if (l == height - 1) {
			T_EQ(count[l], 1);
			continue;
		}
		ck_assert_msg(minn[l] >= st.minrecs[l > 0] &&
			      maxn[l] <= st.maxrecs[l > 0],
			      "%s bs %u n %llu level %u: %u..%u entries, "
			      "limits %u..%u", ops->name, bs,
			      (unsigned long long)n, l, minn[l], maxn[l],
			      st.minrecs[l > 0], st.maxrecs[l > 0]);
		ck_assert_msg(maxn[l] - minn[l] <= 1,
			      "%s bs %u n %llu level %u: %u..%u entries",
			      ops->name, bs, (unsigned long long)n, l,
			      minn[l], maxn[l]);
	}
	/* Each level's sibling chain: all of it, the fuller blocks first. */
	for (l = 0; l < height; l++) {
		uint64_t	first = XBT_NULLBLOCK;

		for (b = 1; b <= total; b++) {
			if (bi[b].level == l && bi[b].left == XBT_NULLBLOCK) {
				T_EQ(first, XBT_NULLBLOCK);
				first = b;
			}
		}
		T_ASSERT(first != XBT_NULLBLOCK);
		prev = XBT_NULLBLOCK;
		for (cur = first, i = 0; cur != XBT_NULLBLOCK;
		     cur = bi[cur].right, i++) {
			T_ASSERT(cur >= 1 && cur <= total);
			T_EQ(bi[cur].level, l);
			T_EQ(bi[cur].left, prev);
			T_ASSERT(!bi[cur].seen);
			bi[cur].seen = true;
			if (prev != XBT_NULLBLOCK)
				T_ASSERT(bi[cur].numrecs <= bi[prev].numrecs);
			prev = cur;
		}
		T_EQ(i, count[l]);
	}
	free(bi);
	free(buf);
}

/* The same records inserted one by one in random order. */
static uint64_t
blocks_one_by_one(const struct rtype *rt, unsigned int bs,
		const uint8_t *recs, uint64_t n, uint64_t *seed)
{
	const struct xbt_ops	*ops = rt->ops;
	struct xbtree		*bt = bt_create(ops, bs);
	struct xbtree_stats	st;
	struct xbt_trans	*tp = NULL;
	uint64_t		*order = malloc((n + 1) * sizeof(*order));
	uint64_t		i, j, t;
	int			stat;

	T_ASSERT(order != NULL);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		j = test_rand(seed) % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++) {
		if (i % 8192 == 0) {
			if (tp)
				T_EQ(xbt_trans_commit(tp), 0);
			T_EQ(xbt_trans_alloc(bt, &tp), 0);
		}
		T_EQ(xbt_insert(tp, recs + order[i] * ops->rec_len, &stat),
		     0);
		T_EQ(stat, 1);
	}
	if (tp)
		T_EQ(xbt_trans_commit(tp), 0);
	bt_assert_ok(bt);
	if (n <= 5000)
		walk_compare(bt, ops, recs, n);
	xbtree_get_stats(bt, &st);
	free(order);
	xbtree_destroy(bt);
	return st.blocks;
}

/*
 * Ordinary transactions on a loaded tree: delete every fifth record
 * (kv: and insert odd keys next to every third, splitting the full
 * leaves), commit; put it all back, cancel (byte for byte as before);
 * again and commit: the tree is the loaded set again.
 */
static void
after_load(struct xbtree *bt, const struct rtype *rt, const uint8_t *recs,
		uint64_t n)
{
	const struct xbt_ops	*ops = rt->ops;
	unsigned int		rl = ops->rec_len;
	bool			kv = ops == &kvbt_ops;
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	uint8_t			key[XBT_KEY_MAX], old[XBT_REC_MAX];
	uint64_t		i, ndel = 0, nins = 0, k, v;
	int			stat, round;

	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	for (i = 0; i < n; i += 5) {
		ops->init_key_from_rec(key, recs + i * rl);
		T_EQ(xbt_delete(tp, key, recs + i * rl, old, &stat), 0);
		T_EQ(stat, 1);
		T_ASSERT(!memcmp(old, recs + i * rl, rl));
		ndel++;
	}
	for (i = 0; kv && i < n; i += 3) {
		T_EQ(kv_insert(tp, kvbt_rec_key(recs + i * rl) + 1, i, &stat),
		     0);
		T_EQ(stat, 1);
		nins++;
	}
	T_EQ(xbt_trans_commit(tp), 0);
	bt_assert_ok(bt);
	T_EQ(xbtree_nrecords(bt), n - ndel + nins);
	for (i = 0; i < n; i++) {
		uint8_t	rec[XBT_REC_MAX];

		ops->init_key_from_rec(key, recs + i * rl);
		T_EQ(xbtree_get(bt, XBT_LOOKUP_EQ, key, rec, &stat), 0);
		T_EQ(stat, i % 5 != 0);
		if (kv && i % 3 == 0) {
			T_EQ(kv_get(bt, XBT_LOOKUP_EQ,
				    kvbt_rec_key(recs + i * rl) + 1, &k, &v,
				    &stat), 0);
			T_ASSERT(stat && v == i);
		}
	}

	for (round = 0; round < 2; round++) {
		snap = round ? NULL : bt_snapshot_take(bt);
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		for (i = 0; i < n; i += 5) {
			T_EQ(xbt_insert(tp, recs + i * rl, &stat), 0);
			T_EQ(stat, 1);
		}
		for (i = 0; kv && i < n; i += 3) {
			T_EQ(kv_delete(tp, kvbt_rec_key(recs + i * rl) + 1,
				       &stat), 0);
			T_EQ(stat, 1);
		}
		if (round == 0) {
			xbt_trans_cancel(tp);
			bt_snapshot_assert_same(snap, bt);
			bt_snapshot_free(snap);
			bt_assert_ok(bt);
		} else {
			T_EQ(xbt_trans_commit(tp), 0);
		}
	}
	bt_assert_ok(bt);
	walk_compare(bt, ops, recs, n);
}

START_TEST(test_load)
{
	const struct rtype	*rt = &rtypes[_i / NR_BLOCKSIZES];
	unsigned int		bs = blocksizes[_i % NR_BLOCKSIZES];
	uint64_t		seed = test_seed("load") + _i;
	uint64_t		used0 = xfile_memory_used();
	uint64_t		counts[16], m, nn, n;
	unsigned int		mr[2], nc = 0, c;

	type_maxrecs(rt->ops, bs, mr);
	m = mr[0];
	nn = m * mr[1];
	counts[nc++] = 0;
	counts[nc++] = 1;
	counts[nc++] = m - 1;
	counts[nc++] = m;
	counts[nc++] = m + 1;
	counts[nc++] = nn - 1;
	counts[nc++] = nn;
	counts[nc++] = nn + 1;
	counts[nc++] = nn * mr[1] - 1;
	counts[nc++] = nn * mr[1] + 1;
	counts[nc++] = (uint64_t)(100000 * test_scale());
	counts[nc++] = 1 + test_rand(&seed) % (3 * nn);
	counts[nc++] = 1 + test_rand(&seed) % (3 * m);

	for (c = 0; c < nc; c++) {
		struct xbtree	*bt;
		uint8_t		*recs;
		uint64_t	inc_blocks;
		struct xbtree_stats st;

		n = counts[c];
		if (n > MAX_LOAD * test_scale() && n > 200000)
			continue;
		recs = make_recs(rt, n, &seed);
		bt = load(rt, bs, recs, n);
		bt_assert_ok(bt);
		T_ASSERT(!xbtree_is_corrupt(bt));
		walk_compare(bt, rt->ops, recs, n);
		get_all(bt, rt->ops, recs, n, 1);
		inspect_blocks(bt, rt->ops, bs, n);

		xbtree_get_stats(bt, &st);
		if (n <= 150000) {
			inc_blocks = blocks_one_by_one(rt, bs, recs, n, &seed);
			ck_assert_msg(st.blocks <= inc_blocks,
				      "%s bs %u n %llu: bload %llu blocks, "
				      "inserts %llu", rt->name, bs,
				      (unsigned long long)n,
				      (unsigned long long)st.blocks,
				      (unsigned long long)inc_blocks);
		}
		after_load(bt, rt, recs, n);
		xbtree_destroy(bt);
		free(recs);
		T_EQ(xfile_memory_used(), used0);
	}
}
END_TEST

/* A load over a refcount domain boundary: shared up to 2^31 - 1, CoW 0. */
START_TEST(test_load_refcount_domains)
{
	struct refcbt_irec	r;
	uint8_t			recs[4 * REFCBT_REC_LEN];
	struct xbtree		*bt;

	r = (struct refcbt_irec){ 10, 5, 2, false };
	refcbt_rec_init(recs, &r);
	r = (struct refcbt_irec){ REFCBT_START_MAX - 9, 10, 3, false };
	refcbt_rec_init(recs + 12, &r);
	r = (struct refcbt_irec){ 0, 20, 1, true };
	refcbt_rec_init(recs + 24, &r);
	r = (struct refcbt_irec){ 20, 1, 1, true };	/* touching */
	refcbt_rec_init(recs + 36, &r);
	bt = load(&rtypes[2], 512, recs, 4);
	bt_assert_ok(bt);
	walk_compare(bt, &refcbt_ops, recs, 4);
	get_all(bt, &refcbt_ops, recs, 4, 1);
	xbtree_destroy(bt);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

/* A load of @f that must fail with @want, leaving nothing behind. */
static void
expect_fail(const struct rtype *rt, unsigned int bs, struct feed *f, int want,
		const char *what)
{
	uint64_t	used0 = xfile_memory_used();
	struct xbtree	*bt = NULL;
	int		error;

	error = do_load(rt->ops, bs, f, &bt);
	ck_assert_msg(error == want, "%s bs %u, %s: bload gave %d, not %d",
		      rt->name, bs, what, error, want);
	ck_assert_msg(bt == NULL, "%s: a btree came back from a failed load",
		      what);
	ck_assert_msg(xfile_memory_used() == used0, "%s bs %u, %s: %lld "
		      "bytes left held", rt->name, bs, what,
		      (long long)(xfile_memory_used() - used0));
}

/* Load @recs with record @p replaced by @fn's change of it. */
static void
fail_with(const struct rtype *rt, unsigned int bs, const uint8_t *recs,
		uint64_t n, uint64_t p,
		void (*fn)(uint8_t *recs, uint64_t p, unsigned int rl),
		int want, const char *what)
{
	unsigned int	rl = rt->ops->rec_len;
	uint8_t		*bad = malloc(n * rl);
	struct feed	f;
	char		msg[128];

	T_ASSERT(bad != NULL);
	memcpy(bad, recs, n * rl);
	fn(bad, p, rl);
	feed_init(&f, rt->ops, bad, n, n);
	snprintf(msg, sizeof(msg), "%s at %llu of %llu", what,
		 (unsigned long long)p, (unsigned long long)n);
	expect_fail(rt, bs, &f, want, msg);
	free(bad);
}

/* Record p the same as record p - 1. */
static void
mk_dup(uint8_t *recs, uint64_t p, unsigned int rl)
{
	memcpy(recs + p * rl, recs + (p - 1) * rl, rl);
}

/* kv: record p with p - 1's key and another value. */
static void
mk_dup_key(uint8_t *recs, uint64_t p, unsigned int rl)
{
	memcpy(recs + p * rl, recs + (p - 1) * rl, 8);
	put_be64(recs + p * rl + 8, ~get_be64(recs + (p - 1) * rl + 8));
}

static void
mk_swap(uint8_t *recs, uint64_t p, unsigned int rl)
{
	uint8_t	t[XBT_REC_MAX];

	memcpy(t, recs + p * rl, rl);
	memcpy(recs + p * rl, recs + (p - 1) * rl, rl);
	memcpy(recs + (p - 1) * rl, t, rl);
}

/* rmap and refcount: a block count of zero. */
static void
mk_zero_count(uint8_t *recs, uint64_t p, unsigned int rl)
{
	put_be32(recs + p * rl + 4, 0);
}

/* refcount: a shared extent with refcount 1. */
static void
mk_refcount_one(uint8_t *recs, uint64_t p, unsigned int rl)
{
	put_be32(recs + p * rl + 8, 1);
}

/* rmap: unwritten on an attr fork mapping (or flags on a special owner). */
static void
mk_bad_flags(uint8_t *recs, uint64_t p, unsigned int rl)
{
	put_be64(recs + p * rl + 16, get_be64(recs + p * rl + 16) |
		 RMAPBT_OFF_ATTR_BIT | RMAPBT_OFF_UNWRITTEN_BIT);
}

/* refcount: record p starts on the last block of record p - 1. */
static void
mk_overlap(uint8_t *recs, uint64_t p, unsigned int rl)
{
	uint32_t	start = get_be32(recs + (p - 1) * rl);
	uint32_t	count = get_be32(recs + (p - 1) * rl + 4);

	put_be32(recs + p * rl, start + count - 1);
}

/* refcount: record p - 1 grown over the first block of record p. */
static void
mk_overlap_grow(uint8_t *recs, uint64_t p, unsigned int rl)
{
	uint32_t	start = get_be32(recs + (p - 1) * rl);
	uint32_t	next = get_be32(recs + p * rl);

	put_be32(recs + (p - 1) * rl + 4, next - start + 1);
}

START_TEST(test_errors)
{
	const struct rtype	*rt = &rtypes[_i / 2];
	unsigned int		bs = _i % 2 ? 4096 : 512;
	uint64_t		seed = test_seed("errors") + _i;
	uint64_t		used0 = xfile_memory_used();
	uint64_t		n = 3000, nshared = n - n / 3;
	uint64_t		pos[] = { 1, 2, 27, 28, 1500, n - 1 };
	uint8_t			*recs = make_recs(rt, n, &seed);
	struct xbtree_params	p = { .blocksize = bs };
	struct xbtree		*bt = NULL;
	struct feed		f;
	uint64_t		pgsz = sysconf(_SC_PAGESIZE), room[5];
	uint64_t		blocks, need;
	unsigned int		j, nth, height;
	char			msg[80];
	int			error;

	for (j = 0; j < sizeof(pos) / sizeof(pos[0]); j++) {
		uint64_t	q = pos[j];

		fail_with(rt, bs, recs, n, q, mk_dup, -EEXIST, "duplicate");
		fail_with(rt, bs, recs, n, q, mk_swap, -EINVAL, "out of order");
		if (rt->ops == &kvbt_ops)
			fail_with(rt, bs, recs, n, q, mk_dup_key, -EEXIST,
				  "duplicate key");
		if (rt->ops != &kvbt_ops) {
			fail_with(rt, bs, recs, n, q, mk_zero_count, -EINVAL,
				  "zero count");
			fail_with(rt, bs, recs, n, 0, mk_zero_count, -EINVAL,
				  "zero count");
		}
		if (rt->ops == &rmapbt_ops)
			fail_with(rt, bs, recs, n, q, mk_bad_flags, -EINVAL,
				  "bad flags");
		if (rt->ops == &refcbt_ops && q < nshared) {
			fail_with(rt, bs, recs, n, q, mk_refcount_one, -EINVAL,
				  "refcount 1");
			fail_with(rt, bs, recs, n, q, mk_overlap, -EEXIST,
				  "overlap");
			fail_with(rt, bs, recs, n, q, mk_overlap_grow, -EEXIST,
				  "overlap");
		}
		if (rt->ops == &refcbt_ops && q > nshared) {
			fail_with(rt, bs, recs, n, q, mk_overlap, -EEXIST,
				  "cow overlap");
			fail_with(rt, bs, recs, n, q, mk_overlap_grow, -EEXIST,
				  "cow overlap");
		}

		/* @next fails at record q (and at the end-of-records call). */
		feed_init(&f, rt->ops, recs, n, n);
		f.fail_at = q;
		f.fail_err = -EIO;
		expect_fail(rt, bs, &f, -EIO, "next -EIO");
		feed_init(&f, rt->ops, recs, n, n);
		f.fail_at = q;
		f.fail_err = -ENOMEM;
		expect_fail(rt, bs, &f, -ENOMEM, "next -ENOMEM");

		/* Fewer records than promised, and more. */
		feed_init(&f, rt->ops, recs, q, n);
		expect_fail(rt, bs, &f, -EINVAL, "fewer");
		feed_init(&f, rt->ops, recs, n, q);
		expect_fail(rt, bs, &f, -EINVAL, "more");
	}
	feed_init(&f, rt->ops, recs, n, n);
	f.fail_at = 0;
	f.fail_err = -EIO;
	expect_fail(rt, bs, &f, -EIO, "next -EIO at once");
	feed_init(&f, rt->ops, recs, n, n);
	f.fail_at = n;
	f.fail_err = -EIO;
	expect_fail(rt, bs, &f, -EIO, "next -EIO after the last");
	feed_init(&f, rt->ops, recs, 0, n);
	expect_fail(rt, bs, &f, -EINVAL, "no records at all");
	feed_init(&f, rt->ops, recs, 1, 0);
	expect_fail(rt, bs, &f, -EINVAL, "one more than none");
	feed_init(&f, rt->ops, recs, n, n + 1000000);
	expect_fail(rt, bs, &f, -EINVAL, "far fewer");

	/*
	 * The memory cap, from nothing at all up to a page short of what the
	 * tree takes; with exactly that much, the load fits.
	 */
	T_EQ(xbt_bload_geometry(rt->ops, bs, n, &height, &blocks), 0);
	need = ((blocks + 1) * bs + pgsz - 1) / pgsz * pgsz;
	room[0] = 1;		/* (0 would mean no cap) */
	room[1] = pgsz;
	room[2] = 2 * pgsz;
	room[3] = need / 2;
	room[4] = need - pgsz;
	for (j = 0; j < 5; j++) {
		xfile_set_memory_cap(used0 + room[j]);
		feed_init(&f, rt->ops, recs, n, n);
		snprintf(msg, sizeof(msg), "memory cap %llu of %llu",
			 (unsigned long long)room[j], (unsigned long long)need);
		expect_fail(rt, bs, &f, -ENOSPC, msg);
		xfile_set_memory_cap(0);
	}
	xfile_set_memory_cap(used0 + need);
	feed_init(&f, rt->ops, recs, n, n);
	T_EQ(do_load(rt->ops, bs, &f, &bt), 0);
	xfile_set_memory_cap(0);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
	bt = NULL;

	/* An injected allocation failure, wherever it falls. */
	for (nth = 1; nth < 50; nth++) {
		bt = NULL;
		feed_init(&f, rt->ops, recs, n, n);
		xmem_fault_arm(nth, XMEM_PAGES, -ENOMEM);
		error = do_load(rt->ops, bs, &f, &bt);
		xmem_fault_disarm();
		if (error == 0) {
			T_ASSERT(bt != NULL);
			bt_assert_ok(bt);
			walk_compare(bt, rt->ops, recs, n);
			xbtree_destroy(bt);
			break;
		}
		T_EQ(error, -ENOMEM);
		T_ASSERT(bt == NULL);
		T_EQ(xfile_memory_used(), used0);
	}
	T_ASSERT(nth > 1 && nth < 50);

	/* Bad parameters. */
	bt = NULL;
	p.blocksize = 3000;
	feed_init(&f, rt->ops, recs, n, n);
	T_EQ(xbtree_bload(rt->ops, &p, n, feed_next, &f, NULL, &bt), -EINVAL);
	T_ASSERT(bt == NULL);

	/* After all that, a good load still works (no progress callback). */
	p.blocksize = bs;
	feed_init(&f, rt->ops, recs, n, n);
	T_EQ(xbtree_bload(rt->ops, &p, n, feed_next, &f, NULL, &bt), 0);
	bt_assert_ok(bt);
	walk_compare(bt, rt->ops, recs, n);
	xbtree_destroy(bt);
	free(recs);
	T_EQ(xfile_memory_used(), used0);
}
END_TEST

/* ---- xbt_cur_modify() ---------------------------------------------------- */

static struct xbtree *
kv_tree(unsigned int bs, uint64_t n, uint8_t **recsp, uint64_t *seed)
{
	uint8_t		*recs = make_recs(&rtypes[0], n, seed);
	struct xbtree	*bt = load(&rtypes[0], bs, recs, n);

	*recsp = recs;
	return bt;
}

/*
 * In @tp, position a new cursor on record @idx and change the values of
 * @n records from there (0 for "to the end of the leaf"); mirror it in
 * @recs.  Returns how many were changed.
 */
static unsigned int
modify_at(struct xbtree *bt, uint8_t *recs, uint64_t nrecs, uint64_t idx,
		unsigned int n, uint64_t tag)
{
	struct xbt_cur	cur;
	uint8_t		key[8];
	uint8_t		*p;
	void		*vp = NULL;
	unsigned int	j, avail;
	int		stat;

	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, kvbt_rec_key(recs + idx * 16));
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_EQ, key, &stat), 0);
	T_EQ(stat, 1);
	T_ASSERT(xbt_cur_leaf_recs(&cur, &avail) == xbt_cur_rec(&cur));
	T_ASSERT(avail >= 1);
	if (n == 0 || n > avail)
		n = avail;
	T_EQ(xbt_cur_modify(&cur, n, &vp), 0);
	p = vp;
	T_ASSERT(p == xbt_cur_rec(&cur));
	for (j = 0; j < n; j++) {
		uint8_t	*r = p + j * 16;

		T_ASSERT(idx + j < nrecs);
		T_ASSERT(!memcmp(r, recs + (idx + j) * 16, 16));
		put_be64(r + 8, tag ^ (idx + j));
		memcpy(recs + (idx + j) * 16, r, 16);
	}
	/* The cursor is still good: it walks on from where it was. */
	for (j = 0; j < n; j++) {
		T_ASSERT(stat);
		T_ASSERT(!memcmp(xbt_cur_rec(&cur), recs + (idx + j) * 16,
				 16));
		T_EQ(xbt_increment(&cur, &stat), 0);
	}
	if (stat)
		T_ASSERT(!memcmp(xbt_cur_rec(&cur), recs + (idx + n) * 16,
				 16));
	else
		T_EQ(idx + n, nrecs);
	return n;
}

/* In @tp, change the value of the record with key @k alone. */
static void
modify_key(struct xbtree *bt, uint64_t k, uint64_t v)
{
	struct xbt_cur	cur;
	uint8_t		key[8];
	void		*vp;
	int		stat;

	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, k);
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_EQ, key, &stat), 0);
	T_EQ(stat, 1);
	T_EQ(xbt_cur_modify(&cur, 1, &vp), 0);
	T_EQ(kvbt_rec_key(vp), k);
	put_be64((uint8_t *)vp + 8, v);
}

/* Some modifications of several sizes at random places. */
static void
modify_batch(struct xbtree *bt, uint8_t *recs, uint64_t n, uint64_t *seed,
		uint64_t tag)
{
	static const unsigned int	sizes[] = { 1, 2, 5, 20, 64, 100, 0 };
	unsigned int			j;

	for (j = 0; j < 40; j++)
		modify_at(bt, recs, n, test_rand(seed) % n,
			  sizes[j % (sizeof(sizes) / sizeof(sizes[0]))],
			  tag + j);
	/* The very first and the very last records. */
	modify_at(bt, recs, n, 0, 0, tag);
	modify_at(bt, recs, n, n - 1, 1, tag);
}

START_TEST(test_modify_commit)
{
	unsigned int		bs = blocksizes[_i];
	uint64_t		seed = test_seed("modify") + bs;
	uint64_t		n = 20000;
	uint8_t			*recs, *before;
	struct xbtree		*bt = kv_tree(bs, n, &recs, &seed);
	struct xbtree_stats	st0, st;
	struct xbt_trans	*tp;
	int			round;

	before = malloc(n * 16);
	T_ASSERT(before != NULL);
	for (round = 0; round < 3; round++) {
		memcpy(before, recs, n * 16);
		xbtree_get_stats(bt, &st0);
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		modify_batch(bt, recs, n, &seed, 0x1000000ULL * (round + 1));
		/* Visible inside the transaction already. */
		get_all(bt, &kvbt_ops, recs, n, 7);
		T_EQ(xbt_trans_commit(tp), 0);
		T_ASSERT(memcmp(before, recs, n * 16));
		bt_assert_ok(bt);
		walk_compare(bt, &kvbt_ops, recs, n);
		get_all(bt, &kvbt_ops, recs, n, 1);
		xbtree_get_stats(bt, &st);
		T_EQ(st.records, n);
		T_EQ(st.blocks, st0.blocks);
		T_EQ(st.height, st0.height);
		T_ASSERT(!st.corrupt);
	}
	free(before);
	free(recs);
	xbtree_destroy(bt);
}
END_TEST

/*
 * Cancel: every byte back, however the changes were logged (small runs,
 * whole blocks, a small run then the whole leaf and the other way round,
 * modified leaves then split or shrunk by inserts and deletes).
 */
START_TEST(test_modify_cancel)
{
	unsigned int		bs = blocksizes[_i];
	uint64_t		seed = test_seed("modify_cancel") + bs;
	uint64_t		n = 20000, idx, i, keys[200];
	uint8_t			*recs, *orig;
	struct xbtree		*bt = kv_tree(bs, n, &recs, &seed);
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	int			round, stat;

	orig = malloc(n * 16);
	T_ASSERT(orig != NULL);
	memcpy(orig, recs, n * 16);
	for (round = 0; round < 5; round++) {
		snap = bt_snapshot_take(bt);
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		idx = test_rand(&seed) % (n - 1000);
		switch (round) {
		case 0:
			modify_batch(bt, recs, n, &seed, 0xabc0000);
			break;
		case 1:
			/* Small, then the whole rest of the same leaf. */
			modify_at(bt, recs, n, idx, 1, 1);
			modify_at(bt, recs, n, idx, 2, 2);
			modify_at(bt, recs, n, idx, 0, 3);
			break;
		case 2:
			/* The whole rest of the leaf, then small again. */
			modify_at(bt, recs, n, idx, 0, 4);
			modify_at(bt, recs, n, idx, 1, 5);
			break;
		case 3:
			/*
			 * Modified leaves, then split (full after bload),
			 * then records in the new blocks modified.
			 */
			for (i = 0; i < 30; i++)
				modify_at(bt, recs, n, keys[i] =
					  test_rand(&seed) % n, 3, 6 + i);
			for (i = 0; i < 30; i++) {
				T_EQ(kv_insert(tp, kvbt_rec_key(recs +
						keys[i] * 16) + 1, i, &stat), 0);
				T_EQ(stat, 1);
			}
			for (i = 0; i < 30; i++)
				modify_key(bt, kvbt_rec_key(recs +
						keys[i] * 16) + 1, ~i);
			break;
		case 4:
			/* Modified leaves, then records deleted from them. */
			for (i = 0; i < 200; i++)
				modify_at(bt, recs, n, keys[i] =
					  test_rand(&seed) % (n - 1), 2, 7 + i);
			for (i = 0; i < 200; i++)
				T_EQ(kv_delete(tp, kvbt_rec_key(recs +
						(keys[i] + 1) * 16), &stat), 0);
			break;
		}
		xbt_trans_cancel(tp);
		bt_snapshot_assert_same(snap, bt);
		bt_snapshot_free(snap);
		bt_assert_ok(bt);
		walk_compare(bt, &kvbt_ops, orig, n);
		memcpy(recs, orig, n * 16);
	}
	free(orig);
	free(recs);
	xbtree_destroy(bt);
}
END_TEST

/* Every record of the tree changed, leaf by leaf, from one cursor. */
START_TEST(test_modify_whole_tree)
{
	unsigned int		bs = blocksizes[_i / 2];
	bool			cancel = _i % 2;
	uint64_t		seed = test_seed("modify_all") + _i;
	uint64_t		n = 30000, i = 0, leaves = 0;
	uint8_t			*recs, *orig, key[8] = { 0 };
	struct xbtree		*bt = kv_tree(bs, n, &recs, &seed);
	struct bt_snapshot	*snap = bt_snapshot_take(bt);
	struct xbt_trans	*tp;
	struct xbt_cur		cur;
	unsigned int		j, len;
	void			*vp;
	int			stat;

	orig = malloc(n * 16);
	T_ASSERT(orig != NULL);
	memcpy(orig, recs, n * 16);
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	xbt_cur_init(&cur, bt);
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
	while (stat) {
		/* Each leaf's run starts at its first record. */
		T_EQ(cur.lv[0].slot, 0);
		T_ASSERT(xbt_cur_leaf_recs(&cur, &len) != NULL);
		T_EQ(xbt_cur_modify(&cur, len, &vp), 0);
		for (j = 0; j < len; j++, i++) {
			uint8_t	*r = (uint8_t *)vp + j * 16;

			T_EQ(kvbt_rec_key(r), kvbt_rec_key(recs + i * 16));
			put_be64(r + 8, ~kvbt_rec_val(r));
			memcpy(recs + i * 16, r, 16);
		}
		leaves++;
		for (j = 0; j < len; j++)
			T_EQ(xbt_increment(&cur, &stat), 0);
	}
	T_EQ(i, n);
	T_ASSERT(leaves > 1);
	if (cancel) {
		xbt_trans_cancel(tp);
		bt_snapshot_assert_same(snap, bt);
		walk_compare(bt, &kvbt_ops, orig, n);
	} else {
		T_EQ(xbt_trans_commit(tp), 0);
		walk_compare(bt, &kvbt_ops, recs, n);
		get_all(bt, &kvbt_ops, recs, n, 1);
	}
	bt_assert_ok(bt);
	bt_snapshot_free(snap);
	free(orig);
	free(recs);
	xbtree_destroy(bt);
}
END_TEST

/*
 * Other types: bytes that are no key bytes.  refcount: the refcount of
 * shared extents; rmap: the unwritten flag (bit 61, masked out of keys)
 * of data-fork mappings.
 */
START_TEST(test_modify_types)
{
	const struct rtype	*rt = &rtypes[1 + _i];
	unsigned int		rl = rt->ops->rec_len;
	uint64_t		seed = test_seed("modify_types") + _i;
	uint64_t		n = 5000, i = 0, changed = 0;
	uint8_t			*recs = make_recs(rt, n, &seed);
	struct xbtree		*bt = load(rt, 1024, recs, n);
	uint8_t			key[XBT_KEY_MAX] = { 0 };
	struct xbt_trans	*tp;
	struct xbt_cur		cur;
	unsigned int		j, len;
	void			*vp;
	int			stat;

	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	xbt_cur_init(&cur, bt);
	T_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
	while (stat) {
		T_ASSERT(xbt_cur_leaf_recs(&cur, &len) != NULL);
		if (len > 7)
			len = 7;
		T_EQ(xbt_cur_modify(&cur, len, &vp), 0);
		for (j = 0; j < len; j++, i++) {
			uint8_t	*r = (uint8_t *)vp + j * rl;

			T_ASSERT(!memcmp(r, recs + i * rl, rl));
			if (rt->ops == &refcbt_ops) {
				if (get_be32(r + 8) >= 2) {
					put_be32(r + 8, get_be32(r + 8) + 1);
					changed++;
				}
			} else {
				struct rmapbt_irec	ir;

				rmapbt_rec_get(r, &ir);
				if (rmapbt_owner_is_inode(ir.owner) &&
				    !(ir.flags & (RMAPBT_F_ATTR |
						  RMAPBT_F_BMBT))) {
					ir.flags ^= RMAPBT_F_UNWRITTEN;
					rmapbt_rec_init(r, &ir);
					changed++;
				}
			}
			T_ASSERT(rt->ops->verify_rec(r) == NULL);
			memcpy(recs + i * rl, r, rl);
		}
		for (j = 0; j < len; j++)
			T_EQ(xbt_increment(&cur, &stat), 0);
	}
	T_EQ(i, n);
	T_ASSERT(changed > n / 4);
	T_EQ(xbt_trans_commit(tp), 0);
	bt_assert_ok(bt);
	walk_compare(bt, rt->ops, recs, n);
	get_all(bt, rt->ops, recs, n, 1);
	free(recs);
	xbtree_destroy(bt);
}
END_TEST

/*
 * A cursor off a record, n = 0, n past the leaf: a caller's bug, so an
 * assertion failure (SIGABRT) in debug builds; in release builds -EINVAL
 * with nothing changed and the btree not marked corrupt.
 */
START_TEST(test_modify_errors)
{
	uint64_t		seed = test_seed("modify_errors") + _i;
	uint64_t		n = 5000, k;
	uint8_t			*recs = NULL, key[8];
	struct xbtree		*bt;
	struct bt_snapshot	*snap;
	struct xbt_trans	*tp;
	struct xbt_cur		cur;
	void			*vp = NULL;
	unsigned int		avail;
	int			stat, error;

	bt = _i == 5 ? bt_create(&kvbt_ops, 512) : kv_tree(512, n, &recs,
							   &seed);
	snap = bt_snapshot_take(bt);
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	xbt_cur_init(&cur, bt);
	switch (_i) {
	case 0:		/* one past the end of the leaf */
	case 1:		/* far past it */
	case 2:		/* n = 0 */
		k = kvbt_rec_key(recs + (test_rand(&seed) % n) * 16);
		kvbt_key_init(key, k);
		T_EQ(xbt_lookup(&cur, XBT_LOOKUP_EQ, key, &stat), 0);
		T_EQ(stat, 1);
		T_ASSERT(xbt_cur_leaf_recs(&cur, &avail) == xbt_cur_rec(&cur));
		/* And the whole rest of the leaf is fine, first. */
		T_EQ(xbt_cur_modify(&cur, avail, &vp), 0);
		vp = NULL;
		error = xbt_cur_modify(&cur, _i == 0 ? avail + 1 :
				       _i == 1 ? 100000 : 0, &vp);
		break;
	case 3:		/* past the last record */
		kvbt_key_init(key, kvbt_rec_key(recs + (n - 1) * 16) + 1);
		T_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
		T_EQ(stat, 0);
		error = xbt_cur_modify(&cur, 1, &vp);
		break;
	case 4:		/* before the first */
		kvbt_key_init(key, kvbt_rec_key(recs) - 1);
		T_EQ(xbt_lookup(&cur, XBT_LOOKUP_LE, key, &stat), 0);
		T_EQ(stat, 0);
		error = xbt_cur_modify(&cur, 1, &vp);
		break;
	default:	/* an empty tree */
		kvbt_key_init(key, 0);
		T_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), 0);
		T_EQ(stat, 0);
		error = xbt_cur_modify(&cur, 1, &vp);
		break;
	}
	T_EQ(error, -EINVAL);
	T_ASSERT(vp == NULL);
	T_ASSERT(!xbtree_is_corrupt(bt));
	xbt_trans_cancel(tp);
	bt_snapshot_assert_same(snap, bt);
	bt_snapshot_free(snap);
	free(recs);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("bload");
	TCase	*tg = tcase_create("geometry");
	TCase	*tl = tcase_create("load");
	TCase	*tm = tcase_create("modify");

	test_log_quiet();
	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_loop_test(tg, test_geometry, 0, NR_RTYPES);
	suite_add_tcase(s, tg);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_set_timeout(tl, 1200);
	tcase_add_loop_test(tl, test_load, 0, NR_RTYPES * NR_BLOCKSIZES);
	tcase_add_test(tl, test_load_refcount_domains);
	tcase_add_loop_test(tl, test_errors, 0, 2 * NR_RTYPES);
	suite_add_tcase(s, tl);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_set_timeout(tm, 600);
	tcase_add_loop_test(tm, test_modify_commit, 0, NR_BLOCKSIZES);
	tcase_add_loop_test(tm, test_modify_cancel, 0, NR_BLOCKSIZES);
	tcase_add_loop_test(tm, test_modify_whole_tree, 0,
			    2 * NR_BLOCKSIZES);
	tcase_add_loop_test(tm, test_modify_types, 0, 2);
#ifdef XFB_DEBUG
	tcase_add_loop_test_raise_signal(tm, test_modify_errors, SIGABRT, 0, 6);
#else
	tcase_add_loop_test(tm, test_modify_errors, 0, 6);
#endif
	suite_add_tcase(s, tm);
	return test_run_suite(s);
}
