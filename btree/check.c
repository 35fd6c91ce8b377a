// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c: the full structure check of a btree.
 *
 * A depth-first walk from the root that reads every block itself, trusting
 * nothing the fast paths have cached (it recomputes every checksum).  It
 * reports, one call of the report function per problem, naming the block:
 *
 *  - header block: checksum, magic, height, owner, UUID, type, block size,
 *    root; its record and block counts against what the walk finds;
 *  - every btree block: checksum, magic, level (equal depth follows: each
 *    pointer must lead exactly one level down), bb_blkno, owner, UUID,
 *    lsn and pad, numrecs between minrecs and maxrecs (the root is exempt,
 *    but a root node needs two entries), record contents (ops->verify_rec),
 *    keys strictly increasing inside the block and across leaves, unused
 *    space zeroed; for XBT_OPS_DISJOINT types, no record's key range
 *    reaching into the next one's;
 *  - every parent key slot equal to the keys of the child it points at
 *    (low key, and for overlapping btrees the highest high key);
 *  - sibling pointers: each level, left to right, is a doubly linked list
 *    with null ends;
 *  - every allocated block reached exactly once, and nothing else.
 *
 * A block that fails its own checks is reported and not descended into,
 * so damaged pointers cannot lead the walk anywhere.  Finding a problem
 * marks the btree corrupt.
 *
 * Locking: a reader; the caller keeps writers out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_priv.h"
#include "btree/crc32c.h"

struct xbt_checker {
	struct xbtree		*bt;
	xbt_check_report_fn	report;
	void			*priv;
	uint64_t		problems;
	uint64_t		*seen;		/* bitmap of blocks reached */
	uint64_t		records;
	uint64_t		blocks;
	uint64_t		prev_bno[XBT_MAXLEVELS];	/* per level */
	uint8_t			last_key[XBT_KEY_MAX];
	uint8_t			last_high[XBT_KEY_MAX];	/* DISJOINT */
	bool			have_last_key;
};

static void __attribute__((format(printf, 3, 4)))
xbt_check_problem(struct xbt_checker *ck, uint64_t bno, const char *fmt, ...)
{
	char		msg[256];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->problems++;
	if (ck->report)
		ck->report(bno, msg, ck->priv);
}

/* A block number for a message: "null" for no block. */
static const char *
xbt_check_bno_str(uint64_t bno, char *buf, size_t len)
{
	if (bno == XBT_NULLBLOCK)
		return "null";
	snprintf(buf, len, "%llu", (unsigned long long)bno);
	return buf;
}

/* Sibling links at @level: @bno must follow the block seen before it. */
static void
xbt_check_siblings(struct xbt_checker *ck, struct xbt_block *block,
		uint64_t bno, unsigned int level)
{
	struct xbtree		*bt = ck->bt;
	uint64_t		prev = ck->prev_bno[level];
	struct xbt_block	*pblock;
	char			b1[24], b2[24];

	if (xbt_leftsib(block) != prev)
		xbt_check_problem(ck, bno, "left sibling is %s, expected %s",
				  xbt_check_bno_str(xbt_leftsib(block), b1,
						    sizeof(b1)),
				  xbt_check_bno_str(prev, b2, sizeof(b2)));
	if (prev != XBT_NULLBLOCK) {
		pblock = xbuf_addr(&bt->targ, prev);
		if (xbt_rightsib(pblock) != bno)
			xbt_check_problem(ck, prev,
					  "right sibling is %s, expected %llu",
					  xbt_check_bno_str(xbt_rightsib(pblock),
							    b1, sizeof(b1)),
					  (unsigned long long)bno);
	}
	ck->prev_bno[level] = bno;
}

/*
 * Check block @bno, expected at @level.  @pkeys is the key slot the parent
 * holds for it (NULL at the root).
 */
static void
xbt_check_block(struct xbt_checker *ck, uint64_t bno, unsigned int level,
		const uint8_t *pkeys, bool is_root)
{
	struct xbtree		*bt = ck->bt;
	const struct xbt_ops	*ops = bt->ops;
	struct xbt_block	*block;
	uint8_t			keys[2 * XBT_KEY_MAX];
	uint8_t			k[XBT_KEY_MAX];
	const char		*why;
	bool			bad_crc = false;
	unsigned int		n, i;

	if (bno == XBT_HEAD_BLOCK || !xbuf_is_allocated(&bt->targ, bno)) {
		xbt_check_problem(ck, bno, "pointer to a block not allocated");
		return;
	}
	if (ck->seen[bno / 64] & (1ULL << (bno % 64))) {
		xbt_check_problem(ck, bno, "block reached twice");
		return;
	}
	ck->seen[bno / 64] |= 1ULL << (bno % 64);
	ck->blocks++;

	block = xbuf_addr(&bt->targ, bno);
	why = xbt_verify_block_full(block, bno, bt, &bad_crc);
	if (!why && xbt_level(block) != level)
		why = "unexpected level";
	if (why) {
		xbt_check_problem(ck, bno, "%s", why);
		return;
	}
	xbuf_state_set(&bt->targ, bno, XBUF_TRUSTED);

	n = xbt_numrecs(block);
	if (!is_root && n < xbtree_minrecs(bt, level))
		xbt_check_problem(ck, bno, "%u entries, below minrecs %u", n,
				  xbtree_minrecs(bt, level));
	if (is_root && level > 0 && n < 2)
		xbt_check_problem(ck, bno, "root node with %u entries", n);
	xbt_check_siblings(ck, block, bno, level);
	if (n == 0)
		return;

	if (pkeys) {
		memset(keys, 0, sizeof(keys));
		xbtree_block_keys(bt, block, level, keys, keys + ops->key_len);
		if (ops->cmp_keys(keys, pkeys))
			xbt_check_problem(ck, bno,
					  "low key differs from the parent's");
		if (xbtree_is_overlapping(bt) &&
		    ops->cmp_keys(keys + ops->key_len, pkeys + ops->key_len))
			xbt_check_problem(ck, bno,
					  "high key differs from the parent's");
	}

	if (level == 0) {
		xbtree_entry_low_key(bt, block, 0, 0, k);
		if (ck->have_last_key && ops->cmp_keys(ck->last_key, k) >= 0)
			xbt_check_problem(ck, bno,
					  "first key not above the previous leaf's last");
		if (ops->flags & XBT_OPS_DISJOINT) {
			for (i = 0; i < n; i++) {
				xbtree_entry_low_key(bt, block, 0, i, k);
				if ((i || ck->have_last_key) &&
				    ops->cmp_keys(ck->last_high, k) >= 0)
					xbt_check_problem(ck, bno,
						"record %u overlaps the one before it",
						i);
				ops->init_high_key_from_rec(ck->last_high,
						xbtree_rec_addr(bt, block, i));
			}
		}
		xbtree_entry_low_key(bt, block, 0, n - 1, ck->last_key);
		ck->have_last_key = true;
		ck->records += n;
		return;
	}
	for (i = 0; i < n; i++)
		xbt_check_block(ck, xbtree_ptr(bt, block, i), level - 1,
				xbtree_key_addr(bt, block, i), false);
}

int
xbtree_check(struct xbtree *bt, xbt_check_report_fn report, void *priv,
		uint64_t *problems)
{
	struct xbt_checker	ck = {
		.bt = bt, .report = report, .priv = priv,
	};
	struct xbt_head_block	*h = bt->head;
	bool			bad_crc = false;
	const char		*why;
	uint64_t		bno, nblocks;
	unsigned int		level;

	ck.seen = xmem_zalloc((bt->targ.nbits / 64 + 1) * sizeof(uint64_t));
	if (!ck.seen)
		return -ENOMEM;
	for (level = 0; level < XBT_MAXLEVELS; level++)
		ck.prev_bno[level] = XBT_NULLBLOCK;

	why = xbt_verify_head(h, XBT_HEAD_BLOCK, bt, &bad_crc);
	if (why) {
		xbt_check_problem(&ck, XBT_HEAD_BLOCK, "%s", why);
		goto out;
	}
	ck.seen[0] |= 1;
	ck.blocks = 1;
	xbt_check_block(&ck, xbt_head_root(h), xbt_head_nlevels(h) - 1, NULL,
			true);

	for (level = 0; level < XBT_MAXLEVELS; level++) {
		struct xbt_block	*last;

		if (ck.prev_bno[level] == XBT_NULLBLOCK)
			continue;
		last = xbuf_addr(&bt->targ, ck.prev_bno[level]);
		if (xbt_rightsib(last) != XBT_NULLBLOCK)
			xbt_check_problem(&ck, ck.prev_bno[level],
					  "last block of level %u has a right sibling",
					  level);
	}
	if (ck.records != xbt_head_nrecords(h))
		xbt_check_problem(&ck, XBT_HEAD_BLOCK,
				  "header counts %llu records, the tree holds %llu",
				  (unsigned long long)xbt_head_nrecords(h),
				  (unsigned long long)ck.records);
	nblocks = xbt_head_nblocks(h);
	if (nblocks != bt->targ.nallocated)
		xbt_check_problem(&ck, XBT_HEAD_BLOCK,
				  "header counts %llu blocks, %llu are allocated",
				  (unsigned long long)nblocks,
				  (unsigned long long)bt->targ.nallocated);
	for (bno = 0; xbuf_next_allocated(&bt->targ, bno, &bno); bno++)
		if (!(ck.seen[bno / 64] & (1ULL << (bno % 64))))
			xbt_check_problem(&ck, bno,
					  "allocated but not in the tree");
out:
	xmem_free(ck.seen);
	if (ck.problems)
		__atomic_store_n(&bt->corrupt, true, __ATOMIC_RELAXED);
	*problems = ck.problems;
	return 0;
}
