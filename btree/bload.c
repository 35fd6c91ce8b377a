// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bload.c: build a btree bottom-up from records in key order.
 *
 * The way XFS online repair rebuilds a btree (xfs_btree_bload), with no
 * slack: every level is cut into as few blocks as hold its entries,
 * blocks = ceil(entries / maxrecs), and the entries are spread evenly,
 * the first (entries % blocks) blocks taking one more than the rest.  A
 * level that fits in one block is the root.  Each non-root block then
 * holds more than (blocks - 1) / blocks of maxrecs, so never fewer than
 * minrecs.
 *
 * Block numbers are given out level by level, leaves first:
 *
 *	block 0			header block
 *	1 .. L			the leaves, left to right (block 1 is the
 *				empty tree's root leaf, reused)
 *	L + 1 .. L + N1		level 1, left to right
 *	...			...
 *	last			the root
 *
 * so a block's right sibling is the next block number unless it is the
 * last of its level.  The records stream through once: each finished
 * block hands its keys and block number up to the block being filled one
 * level higher, so every level is built at the same time, and a block is
 * checksummed as soon as it is full.
 *
 * The new btree belongs to the caller alone until it is published, so
 * nothing here takes a lock or logs anything: on error the whole new
 * btree is destroyed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "btree/btree_priv.h"
#include "btree/crc32c.h"

struct xbt_bload_level {
	uint64_t	nblocks;	/* blocks at this level */
	uint64_t	nentries;	/* entries at this level */
	uint64_t	first_bno;	/* block number of its first block */
	uint64_t	index;		/* block being filled */
	unsigned int	fill;		/* entries in it so far */
	struct xbt_block *block;	/* it, or NULL before the first */
};

/* Entries the @i-th block of a level takes. */
static unsigned int
xbt_bload_share(const struct xbt_bload_level *lv, uint64_t i)
{
	uint64_t	per = lv->nentries / lv->nblocks;

	return per + (i < lv->nentries % lv->nblocks);
}

/*
 * Cut every level: fill lv[0..height-1] from the record count up.
 * Returns the height, or -ENOSPC past XBT_MAXLEVELS.
 */
static int
xbt_bload_levels(const unsigned int maxrecs[2], uint64_t nrecs,
		struct xbt_bload_level *lv)
{
	uint64_t	entries = nrecs;
	unsigned int	level;

	for (level = 0; level < XBT_MAXLEVELS; level++) {
		unsigned int	max = maxrecs[level > 0];

		memset(&lv[level], 0, sizeof(lv[level]));
		lv[level].nentries = entries;
		lv[level].nblocks = entries <= max ? 1 :
				    (entries - 1) / max + 1;
		if (lv[level].nblocks == 1)
			return level + 1;
		entries = lv[level].nblocks;
	}
	return -ENOSPC;
}

static void
xbt_bload_maxrecs(const struct xbt_ops *ops, unsigned int blocksize,
		unsigned int maxrecs[2])
{
	unsigned int	avail = blocksize - XBT_BLOCK_HDR_LEN;
	unsigned int	keyslot = ops->key_len *
				  ((ops->flags & XBT_OPS_OVERLAPPING) ? 2 : 1);

	maxrecs[0] = avail / ops->rec_len;
	maxrecs[1] = avail / (keyslot + XBT_PTR_LEN);
}

int
xbt_bload_geometry(const struct xbt_ops *ops, unsigned int blocksize,
		uint64_t nrecs, unsigned int *height, uint64_t *blocks)
{
	struct xbt_bload_level	lv[XBT_MAXLEVELS];
	unsigned int		maxrecs[2];
	uint64_t		total = 0;
	int			h, i;

	if (!blocksize)
		blocksize = sysconf(_SC_PAGESIZE);
	if (blocksize < XBT_MIN_BLOCKSIZE || blocksize > XBT_MAX_BLOCKSIZE ||
	    (blocksize & (blocksize - 1)) || !ops->rec_len ||
	    ops->rec_len > XBT_REC_MAX)
		return -EINVAL;
	xbt_bload_maxrecs(ops, blocksize, maxrecs);
	h = xbt_bload_levels(maxrecs, nrecs, lv);
	if (h < 0)
		return h;
	for (i = 0; i < h; i++)
		total += lv[i].nblocks;
	*height = h;
	*blocks = total;
	return 0;
}

/* Checksum a finished block and trust it. */
static void
xbtree_bload_seal(struct xbtree *bt, struct xbt_block *block, uint64_t bno)
{
	block->bb_crc = le32_store(xbt_crc32c_block(block, bt->blksize,
						      XBT_BLOCK_CRC_OFF));
	xbuf_state_set(&bt->targ, bno, XBUF_TRUSTED);
}

/*
 * Add one entry to the block being filled at @level: a record at the
 * leaves, a child's keys and block number above.  When the block is full
 * it is sealed and its own keys go up a level.
 */
static void
xbtree_bload_add(struct xbtree *bt, struct xbt_bload_level *lvs,
		unsigned int height, unsigned int level, const void *rec,
		const void *low, const void *high, uint64_t child)
{
	struct xbt_bload_level	*lv = &lvs[level];
	struct xbt_block	*block;
	uint64_t		bno;
	uint8_t			klow[XBT_KEY_MAX], khigh[XBT_KEY_MAX];
	unsigned int		klen = bt->ops->key_len;

	if (!lv->block) {
		bno = lv->first_bno + lv->index;
		lv->block = xbuf_addr(&bt->targ, bno);
		xbtree_init_block(bt, lv->block, bno, level);
		if (lv->index > 0)
			xbt_set_leftsib(lv->block, bno - 1);
		if (lv->index + 1 < lv->nblocks)
			xbt_set_rightsib(lv->block, bno + 1);
	}
	block = lv->block;
	if (level == 0) {
		memcpy(xbtree_rec_addr(bt, block, lv->fill), rec,
		       bt->ops->rec_len);
	} else {
		memcpy(xbtree_key_addr(bt, block, lv->fill), low, klen);
		if (xbtree_is_overlapping(bt))
			memcpy(xbtree_high_key_addr(bt, block, lv->fill), high,
			       klen);
		put_be64(xbtree_ptr_addr(bt, block, lv->fill), child);
	}
	lv->fill++;
	if (lv->fill < xbt_bload_share(lv, lv->index))
		return;

	/* Full: seal it and pass its keys up. */
	xbt_set_numrecs(block, lv->fill);
	bno = lv->first_bno + lv->index;
	if (level + 1 < height)
		xbtree_block_keys(bt, block, level, klow, khigh);
	xbtree_bload_seal(bt, block, bno);
	lv->block = NULL;
	lv->fill = 0;
	lv->index++;
	if (level + 1 < height)
		xbtree_bload_add(bt, lvs, height, level + 1, NULL, klow, khigh,
			      bno);
}

/*
 * Is @rec acceptable after @prev (NULL for the first record)?  0,
 * -EEXIST for a duplicate or overlap, -EINVAL for a bad record or one
 * out of order.
 */
static int
xbtree_bload_check_order(struct xbtree *bt, const void *prev, const void *rec)
{
	const struct xbt_ops	*ops = bt->ops;
	uint8_t			pk[XBT_KEY_MAX], k[XBT_KEY_MAX];
	int			c;

	if (ops->verify_rec && ops->verify_rec(rec))
		return -EINVAL;
	if (!prev)
		return 0;
	ops->init_key_from_rec(k, rec);
	ops->init_key_from_rec(pk, prev);
	c = ops->cmp_keys(pk, k);
	if (c == 0)
		return -EEXIST;
	if (c > 0)
		return -EINVAL;
	if (ops->flags & XBT_OPS_DISJOINT) {
		ops->init_high_key_from_rec(pk, prev);
		if (ops->cmp_keys(pk, k) >= 0)
			return -EEXIST;
	}
	return 0;
}

#define XBT_BLOAD_PROGRESS_STEP	(1U << 16)

int
xbtree_bload(const struct xbt_ops *ops, const struct xbtree_params *params,
		uint64_t nrecs, xbt_bload_next_fn next, void *priv,
		void (*progress)(uint64_t done, void *priv),
		struct xbtree **btp)
{
	struct xbt_bload_level	lv[XBT_MAXLEVELS];
	struct xbtree		*bt;
	struct xbt_head_block	*h;
	uint8_t			rec[2][XBT_REC_MAX];
	uint64_t		total = 0, bno, i;
	int			height, level, error, got;

	error = xbtree_create(ops, params, &bt);
	if (error)
		return error;
	height = xbt_bload_levels(bt->maxrecs, nrecs, lv);
	if (height < 0) {
		error = height;
		goto out_destroy;
	}
	/* Number the blocks level by level; block 1 is the first leaf. */
	bno = XBT_FIRST_LEAF;
	for (level = 0; level < height; level++) {
		lv[level].first_bno = bno;
		bno += lv[level].nblocks;
		total += lv[level].nblocks;
	}
	if (total > 1) {
		/* One fallocate for all of it, then the block map. */
		error = xfile_prealloc(bt->xf,
				(XBT_FIRST_LEAF + 1) << bt->blkshift,
				(total - 1) << bt->blkshift);
		if (error)
			goto out_destroy;
		for (i = 1; i < total; i++) {
			error = xbuf_alloc(&bt->targ, &bno);
			if (error)
				goto out_destroy;
			ASSERT(bno == XBT_FIRST_LEAF + i);
		}
	}

	for (i = 0; i < nrecs; i++) {
		uint8_t	*cur = rec[i & 1];

		got = next(cur, priv);
		if (got < 0) {
			error = got;
			goto out_destroy;
		}
		if (got == 0) {
			error = -EINVAL;	/* fewer than promised */
			goto out_destroy;
		}
		error = xbtree_bload_check_order(bt, i ? rec[!(i & 1)] : NULL,
					      cur);
		if (error)
			goto out_destroy;
		xbtree_bload_add(bt, lv, height, 0, cur, NULL, NULL, 0);
		if (progress && (i + 1) % XBT_BLOAD_PROGRESS_STEP == 0)
			progress(i + 1, priv);
	}
	got = next(rec[0], priv);
	if (got != 0) {
		error = got < 0 ? got : -EINVAL;	/* more than promised */
		goto out_destroy;
	}
	if (nrecs == 0)		/* the empty root leaf stays as it was */
		total = 1;

	h = bt->head;
	h->hb_nlevels = be32_store(height);
	h->hb_root = be64_store(XBT_FIRST_LEAF + total - 1);
	h->hb_nrecords = be64_store(nrecs);
	h->hb_nblocks = be64_store(total + 1);
	h->hb_crc = le32_store(xbt_crc32c_block(h, bt->blksize,
						  XBT_HEAD_CRC_OFF));
	if (progress)
		progress(nrecs, priv);
	*btp = bt;
	return 0;

out_destroy:
	xbtree_destroy(bt);
	return error;
}
