// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btree_update.c: changing a btree: insert, delete and update, and the
 * block surgery they need (shift, split, new root, borrow, join, kill
 * root).  Every change goes through the open transaction's undo log
 * (trans.c) before it touches a byte.
 *
 * Insert into a full block B at slot s.  Think of C, the n + 1 entries B
 * would hold with the new one in place; the choices, in order:
 *
 *  1. shift right: the right sibling R (same parent) has r free slots.
 *     The last k = ceil(r / 2) entries of C move to the front of R.
 *
 *	  B [a b c d e f]  R [x y . . .]   insert n at 4, r = 3, k = 2
 *	  C  a b c d n e f
 *	  B [a b c d n]    R [e f x y .]
 *
 *  2. shift left: the same with the left sibling L and the first k of C.
 *  3. split: a new block N goes right of B; B keeps the first ceil((n+1)/2)
 *     entries of C, N the rest, and N's keys and pointer are inserted into
 *     the parent (which may split in turn).
 *
 *	  B [a b c d e f]            B [a b c n]  N [d e f]
 *	  insert n at 3      ->      parent gains (key d, ptr N) after B
 *
 *     A full root first grows the tree: a new root with one entry pointing
 *     at the old root, which then splits under it like any other block.
 *
 * Moving k entries at once, not one as XFS does, keeps neighbours evenly
 * filled so the next insert does not shift again; shifting before
 * splitting keeps blocks fuller than half, which is most of the memory.
 * Shifts and joins only use siblings under the same parent, so the
 * cursor path doubles as the sibling's path; every non-root block has one
 * because a non-root node holds at least minrecs >= 2 entries.
 *
 * Delete from block B.  If B falls below minrecs (the root is exempt):
 * borrow from the right sibling if it has more than minrecs, else from
 * the left, as many entries as even the two out (one at a time, as XFS
 * borrows, would have the next delete borrow again); else join B into its left sibling (or the right
 * sibling into B), free the emptied block and delete its entry from the
 * parent, recursively.  A node root left with one child is freed and the
 * child becomes the root.
 *
 * Keys: after any change a block's keys are recomputed and copied into
 * its parent's slot, upward until a slot is already right
 * (xbt_fix_keys()).  For a plain btree only a change at slot 0 can alter
 * a block's key; an overlapping btree keeps the largest high key of each
 * subtree too, which any entry can change.
 *
 * Logging: a simple insert or delete logs only the slot and the numrecs
 * field; surgery logs whole blocks once per transaction.
 *
 * Locking: the btree's single writer.  Errors: an operation that fails
 * half way leaves the transaction to be cancelled by the caller.
 */
#include <string.h>

#include "btree/btree_priv.h"

/* ---- entry arrays (no logging) --------------------------------------- */

/*
 * Open @count slots at @idx of a block's entry array (and pointer array,
 * for a node) by moving the entries at and after @idx up.  The opened
 * slots hold stale bytes until the caller fills them.
 */
static void
xbtree_arr_open(struct xbtree *bt, struct xbt_block *block, unsigned int level,
		unsigned int idx, unsigned int count)
{
	unsigned int	n = xbt_numrecs(block);
	unsigned int	elen = xbtree_entry_len(bt, level);
	uint8_t		*e = xbtree_entry_addr(bt, block, level, idx);

	memmove(e + count * elen, e, (n - idx) * elen);
	if (level) {
		uint8_t	*p = xbtree_ptr_addr(bt, block, idx);

		memmove(p + count * XBT_PTR_LEN, p, (n - idx) * XBT_PTR_LEN);
	}
	xbt_set_numrecs(block, n + count);
}

/* Remove @count entries at @idx and zero the freed tail. */
static void
xbtree_arr_close(struct xbtree *bt, struct xbt_block *block, unsigned int level,
		unsigned int idx, unsigned int count)
{
	unsigned int	n = xbt_numrecs(block);
	unsigned int	elen = xbtree_entry_len(bt, level);
	uint8_t		*e = xbtree_entry_addr(bt, block, level, idx);

	if (!count)
		return;
	memmove(e, e + count * elen, (n - idx - count) * elen);
	memset(xbtree_entry_addr(bt, block, level, n - count), 0, count * elen);
	if (level) {
		uint8_t	*p = xbtree_ptr_addr(bt, block, idx);

		memmove(p, p + count * XBT_PTR_LEN,
			(n - idx - count) * XBT_PTR_LEN);
		memset(xbtree_ptr_addr(bt, block, n - count), 0,
		       count * XBT_PTR_LEN);
	}
	xbt_set_numrecs(block, n - count);
}

/* Copy @count entries (and pointers) between two different blocks. */
static void
xbtree_arr_copy(struct xbtree *bt, unsigned int level, struct xbt_block *dst,
		unsigned int didx, struct xbt_block *src, unsigned int sidx,
		unsigned int count)
{
	unsigned int	elen = xbtree_entry_len(bt, level);

	memcpy(xbtree_entry_addr(bt, dst, level, didx),
	       xbtree_entry_addr(bt, src, level, sidx), count * elen);
	if (level)
		memcpy(xbtree_ptr_addr(bt, dst, didx),
		       xbtree_ptr_addr(bt, src, sidx), count * XBT_PTR_LEN);
}

/* Store one entry (record or key slot) and, for a node, its pointer. */
static void
xbtree_arr_set(struct xbtree *bt, struct xbt_block *block, unsigned int level,
		unsigned int idx, const uint8_t *entry, uint64_t ptr)
{
	memcpy(xbtree_entry_addr(bt, block, level, idx), entry,
	       xbtree_entry_len(bt, level));
	if (level)
		put_be64(xbtree_ptr_addr(bt, block, idx), ptr);
}

/* Open one slot at @idx and store @entry (and @ptr) there. */
static void
xbtree_arr_insert(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, unsigned int idx, const uint8_t *entry,
		uint64_t ptr)
{
	xbtree_arr_open(bt, block, level, idx, 1);
	xbtree_arr_set(bt, block, level, idx, entry, ptr);
}

/*
 * Copy entries [@sidx, @send) of @src to @dst from @didx on, with @entry
 * (and @ptr) in between, before source entry @at (@sidx <= @at <= @send):
 *
 *	src   sidx ... at-1 | at ... send-1
 *	dst   didx ...      new  ...
 *
 * The slots of @dst must be open already.
 */
static void
xbtree_arr_copy_insert(struct xbtree *bt, unsigned int level,
		struct xbt_block *dst, unsigned int didx,
		struct xbt_block *src, unsigned int sidx, unsigned int send,
		unsigned int at, const uint8_t *entry, uint64_t ptr)
{
	unsigned int	j = didx + at - sidx;	/* where the new one goes */

	xbtree_arr_copy(bt, level, dst, didx, src, sidx, at - sidx);
	xbtree_arr_set(bt, dst, level, j, entry, ptr);
	xbtree_arr_copy(bt, level, dst, j + 1, src, at, send - at);
}

/* The key slot a block presents to its parent: low (and high) key. */
static void
xbtree_parent_entry(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, uint8_t *slot)
{
	xbtree_block_keys(bt, block, level, slot, slot + bt->ops->key_len);
}

/* ---- logged single-entry changes -------------------------------------- */

static void
xbt_log_numrecs(struct xbt_trans *tp, uint64_t bno)
{
	xbt_log_range(tp, bno, offsetof(struct xbt_block, bb_numrecs),
		      sizeof(xfb_be16_t));
}

/* Insert one entry into a block with room, logging it finely. */
static void
xbt_insert_entry(struct xbt_cur *cur, unsigned int level, unsigned int idx,
		const uint8_t *entry, uint64_t ptr)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	unsigned int		n = xbt_numrecs(lv->block);
	unsigned int		elen = xbtree_entry_len(bt, level);

	xbt_log_slot_insert(cur->tp, lv->bno, XBT_BLOCK_HDR_LEN + idx * elen,
			elen, XBT_BLOCK_HDR_LEN + (n + 1) * elen);
	if (level)
		xbt_log_slot_insert(cur->tp, lv->bno,
				bt->ptr_off + idx * XBT_PTR_LEN, XBT_PTR_LEN,
				bt->ptr_off + (n + 1) * XBT_PTR_LEN);
	xbt_log_numrecs(cur->tp, lv->bno);
	xbtree_arr_insert(bt, lv->block, level, idx, entry, ptr);
}

/* Remove one entry from a block, logging it finely. */
static void
xbt_remove_entry(struct xbt_cur *cur, unsigned int level, unsigned int idx)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	unsigned int		n = xbt_numrecs(lv->block);
	unsigned int		elen = xbtree_entry_len(bt, level);

	xbt_log_slot_delete(cur->tp, lv->bno, XBT_BLOCK_HDR_LEN + idx * elen,
			elen, XBT_BLOCK_HDR_LEN + n * elen);
	if (level)
		xbt_log_slot_delete(cur->tp, lv->bno,
				bt->ptr_off + idx * XBT_PTR_LEN, XBT_PTR_LEN,
				bt->ptr_off + n * XBT_PTR_LEN);
	xbt_log_numrecs(cur->tp, lv->bno);
	xbtree_arr_close(bt, lv->block, level, idx, 1);
}

/* ---- keys -------------------------------------------------------------- */

/*
 * The block at lv[level] changed: make the key slot its parent keeps for
 * it (lv[level + 1].slot) match, and go on upward while slots change.
 */
static void
xbt_fix_keys(struct xbt_cur *cur, unsigned int level)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv, *pv;
	uint8_t			keys[2 * XBT_KEY_MAX];
	uint8_t			*slot;

	for (; level + 1 < cur->nlevels; level++) {
		lv = &cur->lv[level];
		pv = &cur->lv[level + 1];
		if (xbt_numrecs(lv->block) == 0)
			return;		/* about to be joined away */
		xbtree_parent_entry(bt, lv->block, level, keys);
		slot = xbtree_key_addr(bt, pv->block, pv->slot);
		if (!memcmp(slot, keys, bt->keyslot))
			return;
		xbt_log_range(cur->tp, pv->bno,
			      slot - (uint8_t *)pv->block, bt->keyslot);
		memcpy(slot, keys, bt->keyslot);
		xbtree_shape_changed(bt);
	}
}

/*
 * The same for a sibling of lv[level] under the same parent, at parent
 * slot @pslot: borrow the cursor for the walk and put it back.
 */
static void
xbt_fix_sibling_keys(struct xbt_cur *cur, unsigned int level, uint64_t bno,
		struct xbt_block *block, int pslot)
{
	struct xbt_cur_level	save = cur->lv[level];
	int			psave = cur->lv[level + 1].slot;

	cur->lv[level].bno = bno;
	cur->lv[level].block = block;
	cur->lv[level + 1].slot = pslot;
	xbt_fix_keys(cur, level);
	cur->lv[level] = save;
	cur->lv[level + 1].slot = psave;
}

/*
 * Get the sibling of lv[level] at parent slot @pslot, checking that the
 * sibling pointers agree with the parent.
 */
static int
xbt_get_sibling(struct xbt_cur *cur, unsigned int level, int pslot,
		uint64_t *bnop, struct xbt_block **blockp)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	struct xbt_cur_level	*pv = &cur->lv[level + 1];
	uint64_t		bno = xbtree_ptr(bt, pv->block, pslot);
	uint64_t		link;
	int			error;

	link = pslot > pv->slot ? xbt_rightsib(lv->block) :
				  xbt_leftsib(lv->block);
	if (link != bno)
		return XBT_CORRUPT(bt, lv->bno,
				   "sibling pointer disagrees with parent");
	error = xbtree_get_block(bt, bno, level, blockp);
	if (error)
		return error;
	*bnop = bno;
	return 0;
}

/* Point the left-sibling link of block @bno (if any) at @left. */
static int
xbt_relink_left(struct xbt_cur *cur, unsigned int level, uint64_t bno,
		uint64_t left)
{
	struct xbt_block	*block;
	int			error;

	if (bno == XBT_NULLBLOCK)
		return 0;
	error = xbtree_get_block(cur->bt, bno, level, &block);
	if (error)
		return error;
	xbt_log_range(cur->tp, bno, offsetof(struct xbt_block, bb_leftsib),
		      sizeof(xfb_be64_t));
	xbt_set_leftsib(block, left);
	return 0;
}

/* ---- insert ------------------------------------------------------------ */

static int xbt_insrec(struct xbt_cur *cur, unsigned int level,
		const uint8_t *entry, uint64_t ptr);

/* Grow the tree: a new root above the old one, with one entry. */
static int
xbt_new_root(struct xbt_cur *cur)
{
	struct xbtree		*bt = cur->bt;
	unsigned int		level;
	struct xbt_cur_level	*old, *root;
	uint8_t			keys[2 * XBT_KEY_MAX];
	uint64_t		bno;
	int			error;

	if (cur->nlevels == 0 || cur->nlevels >= XBT_MAXLEVELS)
		return -ENOSPC;
	level = cur->nlevels - 1;
	old = &cur->lv[level];
	root = &cur->lv[level + 1];
	error = xbt_trans_alloc_block(cur->tp, &bno);
	if (error)
		return error;
	XBT_TRACE(bt, XBT_EV_ALLOC_BLOCK, level + 1, bno, 0, 0);
	root->bno = bno;
	root->block = xbuf_addr(&bt->targ, bno);
	root->slot = 0;
	xbtree_init_block(bt, root->block, bno, level + 1);
	xbtree_parent_entry(bt, old->block, level, keys);
	xbtree_arr_insert(bt, root->block, level + 1, 0, keys, old->bno);
	xbt_trans_set_root(cur->tp, bno, cur->nlevels + 1);
	cur->nlevels++;
	xbtree_shape_changed(bt);
	XBT_TRANS_COUNT(cur->tp, new_roots, 1);
	XBT_TRACE(bt, XBT_EV_NEW_ROOT, level + 1, bno, cur->nlevels, 0);
	return 0;
}

/*
 * A shift into sibling @sib (block @sbno) changes the shape and both
 * blocks, which are saved whole.  Returns how many entries move: half
 * the sibling's room, rounded up.
 */
static unsigned int
xbt_shift_begin(struct xbt_cur *cur, unsigned int level, uint64_t sbno,
		const struct xbt_block *sib)
{
	xbtree_shape_changed(cur->bt);
	xbt_log_block(cur->tp, cur->lv[level].bno);
	xbt_log_block(cur->tp, sbno);
	return (xbtree_maxrecs(cur->bt, level) - xbt_numrecs(sib) + 1) / 2;
}

/*
 * After a shift into sibling @sbno, which is entry @pslot of the parent:
 * both blocks' keys are fixed up the tree.
 */
static void
xbt_shift_end(struct xbt_cur *cur, unsigned int level, uint64_t sbno,
		struct xbt_block *sib, int pslot, unsigned int k)
{
	XBT_TRANS_COUNT(cur->tp, shifts, 1);
	XBT_TRACE(cur->bt, XBT_EV_SHIFT, level, cur->lv[level].bno, sbno,
		  k);
	xbt_fix_keys(cur, level);
	xbt_fix_sibling_keys(cur, level, sbno, sib, pslot);
}

/*
 * Cases 1 and 2 above: the last k entries of C go to the front of the
 * right sibling, or the first k to the end of the left one.  In C's
 * numbering the moved entries are [lo, lo + k); when the new entry (C's
 * slot s) is not among them, they are B's entries from b on, which is
 * lo - 1 for a right shift (the new entry lies before them) and lo for a
 * left one.
 */
static void
xbt_shift(struct xbt_cur *cur, unsigned int level, bool right, uint64_t sbno,
		struct xbt_block *sib, const uint8_t *entry, uint64_t ptr)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	struct xbt_block	*block = lv->block;
	unsigned int		n = xbt_numrecs(block);
	unsigned int		at = right ? 0 : xbt_numrecs(sib);
	unsigned int		s = lv->slot;
	unsigned int		k, lo, b;

	k = xbt_shift_begin(cur, level, sbno, sib);
	lo = right ? n + 1 - k : 0;
	xbtree_arr_open(bt, sib, level, at, k);
	if (s >= lo && s < lo + k) {
		/* The sibling gets B[lo..s), new, B[s..lo + k - 1). */
		xbtree_arr_copy_insert(bt, level, sib, at, block, lo,
				       lo + k - 1, s, entry, ptr);
		xbtree_arr_close(bt, block, level, lo, k - 1);
	} else {
		b = right ? lo - 1 : lo;
		xbtree_arr_copy(bt, level, sib, at, block, b, k);
		xbtree_arr_close(bt, block, level, b, k);
		xbtree_arr_insert(bt, block, level, right ? s : s - k, entry,
				  ptr);
	}
	xbt_shift_end(cur, level, sbno, sib,
		      cur->lv[level + 1].slot + (right ? 1 : -1), k);
}

/* Case 3: split into a new right sibling and insert it in the parent. */
static int
xbt_split(struct xbt_cur *cur, unsigned int level, const uint8_t *entry,
		uint64_t ptr)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	struct xbt_block	*block = lv->block;
	struct xbt_block	*new;
	unsigned int		n = xbt_numrecs(block);
	unsigned int		s = lv->slot;
	unsigned int		m = (n + 2) / 2;	/* B keeps m of C */
	uint64_t		rsib = xbt_rightsib(block);
	uint8_t			keys[2 * XBT_KEY_MAX];
	uint64_t		nbno;
	int			error;

	xbtree_shape_changed(bt);
	error = xbt_trans_alloc_block(cur->tp, &nbno);
	if (error)
		return error;
	XBT_TRACE(bt, XBT_EV_ALLOC_BLOCK, level, nbno, 0, 0);
	error = xbt_relink_left(cur, level, rsib, nbno);
	if (error)
		return error;
	new = xbuf_addr(&bt->targ, nbno);
	xbtree_init_block(bt, new, nbno, level);
	xbt_log_block(cur->tp, lv->bno);
	xbt_set_leftsib(new, lv->bno);
	xbt_set_rightsib(new, rsib);
	xbt_set_rightsib(block, nbno);

	if (s < m) {
		/* N gets B[m-1..n); the new entry stays in B. */
		xbtree_arr_open(bt, new, level, 0, n - m + 1);
		xbtree_arr_copy(bt, level, new, 0, block, m - 1, n - m + 1);
		xbtree_arr_close(bt, block, level, m - 1, n - m + 1);
		xbtree_arr_insert(bt, block, level, s, entry, ptr);
	} else {
		/* N gets B[m..s), new, B[s..n). */
		xbtree_arr_open(bt, new, level, 0, n + 1 - m);
		xbtree_arr_copy_insert(bt, level, new, 0, block, m, n, s,
				       entry, ptr);
		xbtree_arr_close(bt, block, level, m, n - m);
	}
	XBT_TRANS_COUNT(cur->tp, splits, 1);
	XBT_TRACE(bt, XBT_EV_SPLIT, level, lv->bno, nbno,
		  s < m ? n - m + 1 : n - m);
	xbt_fix_keys(cur, level);

	/* The new block goes into the parent right after this one. */
	xbtree_parent_entry(bt, new, level, keys);
	cur->lv[level + 1].slot++;
	return xbt_insrec(cur, level + 1, keys, nbno);
}

/*
 * Insert @entry (and @ptr, at a node) at lv[level].slot, making room by
 * shifting or splitting when the block is full.
 */
static int
xbt_insrec(struct xbt_cur *cur, unsigned int level, const uint8_t *entry,
		uint64_t ptr)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	struct xbt_cur_level	*pv;
	unsigned int		max = xbtree_maxrecs(bt, level);
	struct xbt_block	*sib;
	uint64_t		sbno;
	int			dir, pslot;
	int			error;

	if (xbt_numrecs(lv->block) < max) {
		xbt_insert_entry(cur, level, lv->slot, entry, ptr);
		if (lv->slot == 0 || xbtree_is_overlapping(bt))
			xbt_fix_keys(cur, level);
		return 0;
	}

	if (level == cur->nlevels - 1) {
		error = xbt_new_root(cur);
		if (error)
			return error;
	}
	/* A sibling with room, the right one first: shift into it. */
	pv = &cur->lv[level + 1];
	for (dir = 1; dir >= -1; dir -= 2) {
		pslot = pv->slot + dir;
		if (pslot < 0 || pslot >= (int)xbt_numrecs(pv->block))
			continue;
		error = xbt_get_sibling(cur, level, pslot, &sbno, &sib);
		if (error)
			return error;
		if (xbt_numrecs(sib) < max) {
			xbt_shift(cur, level, dir > 0, sbno, sib, entry, ptr);
			return 0;
		}
	}
	return xbt_split(cur, level, entry, ptr);
}

/*
 * Walk to the leaf where @key belongs (xbt_lookup_path()) and say whether
 * the record at the cursor's leaf slot has exactly that key.
 */
static int
xbt_lookup_exact(struct xbt_cur *cur, const void *key, bool *found)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_block	*leaf;
	uint8_t			k[XBT_KEY_MAX];
	int			error;

	*found = false;
	error = xbt_lookup_path(cur, key);
	if (error)
		return error;
	leaf = cur->lv[0].block;
	if (cur->lv[0].slot < (int)xbt_numrecs(leaf)) {
		xbtree_entry_low_key(bt, leaf, 0, cur->lv[0].slot, k);
		*found = bt->ops->cmp_keys(k, key) == 0;
	}
	return 0;
}

/*
 * Check @rec against its type's rules and walk to its key: 0 with
 * *@found saying whether the cursor's leaf slot holds a record with that
 * key, or -EINVAL for a record the type refuses.
 */
static int
xbt_lookup_rec(struct xbt_cur *cur, const void *rec, bool *found)
{
	const struct xbt_ops	*ops = cur->bt->ops;
	uint8_t			key[XBT_KEY_MAX];

	*found = false;
	if (ops->verify_rec && ops->verify_rec(rec))
		return -EINVAL;
	ops->init_key_from_rec(key, rec);
	return xbt_lookup_exact(cur, key, found);
}

/*
 * XBT_OPS_DISJOINT: would @rec, inserted at the cursor's leaf slot (or,
 * @replacing, put in place of the record under the cursor), overlap the
 * record before or after it?  Sets *@overlaps.
 */
static int
xbt_check_disjoint(const struct xbt_cur *cur, const void *rec,
		bool replacing, bool *overlaps)
{
	struct xbtree		*bt = cur->bt;
	const struct xbt_ops	*ops = bt->ops;
	struct xbt_cur		nb = *cur;
	uint8_t			lo[XBT_KEY_MAX], hi[XBT_KEY_MAX];
	uint8_t			k[XBT_KEY_MAX];
	int			stat, error;

	*overlaps = false;
	ops->init_key_from_rec(lo, rec);
	ops->init_high_key_from_rec(hi, rec);

	/* The next record starts after our last key... */
	if (replacing ||
	    nb.lv[0].slot >= (int)xbt_numrecs(nb.lv[0].block)) {
		if (!replacing)
			nb.lv[0].slot--;	/* past this leaf's end */
		error = xbt_increment(&nb, &stat);
	} else {
		error = 0;
		stat = 1;
	}
	if (error)
		return error;
	if (stat) {
		ops->init_key_from_rec(k, xbt_cur_rec(&nb));
		if (ops->cmp_keys(k, hi) <= 0) {
			*overlaps = true;
			return 0;
		}
	}
	/* ...and the previous one ends before our first. */
	nb = *cur;
	error = xbt_decrement(&nb, &stat);
	if (error || !stat)
		return error;
	ops->init_high_key_from_rec(k, xbt_cur_rec(&nb));
	*overlaps = ops->cmp_keys(k, lo) >= 0;
	return 0;
}

/*
 * The start of an insert (@update false) or an update of @rec in @tp:
 * put the cursor on @rec's key (or where it goes) and make room in the
 * log.  Returns 1 if the change can be made, 0 if not, or a negative
 * errno: an insert needs no record with that key (nor, for
 * XBT_OPS_DISJOINT types, one @rec would overlap), an update needs the
 * record.  An update whose new extent would overlap a neighbour is
 * -EEXIST.  (The 1 never leaves this file: the callers' *stat says it.)
 */
static int
xbt_change_begin(struct xbt_trans *tp, struct xbt_cur *cur, const void *rec,
		bool update)
{
	struct xbtree	*bt = tp->bt;
	bool		found, overlaps;
	int		error;

	XBT_ASSERT_TRANS(tp);
	xbt_cur_init(cur, bt);
	error = xbt_lookup_rec(cur, rec, &found);
	if (error || found != update)
		return error;
	if (bt->ops->flags & XBT_OPS_DISJOINT) {
		error = xbt_check_disjoint(cur, rec, update, &overlaps);
		if (error)
			return error;
		if (overlaps)
			return update ? -EEXIST : 0;
	}
	error = xbt_trans_reserve(tp, cur->nlevels);
	return error ? error : 1;
}

int
xbt_insert(struct xbt_trans *tp, const void *rec, int *stat)
{
	struct xbt_cur		cur;
	int			error;

	*stat = 0;
	error = xbt_change_begin(tp, &cur, rec, false);
	if (error <= 0)
		return error;
	error = xbt_insrec(&cur, 0, rec, 0);
	if (error)
		return error;
	xbt_trans_mod_nrecords(tp, 1);
	XBT_TRANS_COUNT(tp, inserts, 1);
	*stat = 1;
	return 0;
}

/*
 * The first key past the leaf the cursor's walk reached: the key of the
 * next entry at the lowest node level that has one.  Keys below it (and
 * above the leaf's low separator) belong in this leaf.  False if the
 * leaf is the last one.
 */
static bool
xbt_leaf_upper_bound(const struct xbt_cur *cur, uint8_t *bound)
{
	struct xbtree	*bt = cur->bt;
	unsigned int	level;

	for (level = 1; level < cur->nlevels; level++) {
		const struct xbt_cur_level	*lv = &cur->lv[level];

		if (lv->slot + 1 < (int)xbt_numrecs(lv->block)) {
			memcpy(bound,
			       xbtree_key_addr(bt, lv->block, lv->slot + 1),
			       bt->ops->key_len);
			return true;
		}
	}
	return false;
}

/*
 * Insert as many records of the run at @recs (up to @n, checked and in
 * order) as go into the cursor's leaf at its slot, in one shift: those
 * that fit, below the record at the slot and below the leaf's upper
 * bound.  Returns how many (0 if the leaf is full).
 */
static int
xbt_insert_piece(struct xbt_cur *cur, const uint8_t *recs, unsigned int n)
{
	struct xbtree		*bt = cur->bt;
	const struct xbt_ops	*ops = bt->ops;
	struct xbt_cur_level	*lv = &cur->lv[0];
	unsigned int		len = ops->rec_len;
	unsigned int		nr = xbt_numrecs(lv->block);
	unsigned int		room = xbtree_maxrecs(bt, 0) - nr;
	unsigned int		s = lv->slot, m;
	uint8_t			bound[XBT_KEY_MAX], next[XBT_KEY_MAX];
	uint8_t			key[XBT_KEY_MAX];
	bool			has_bound, has_next = s < nr;

	has_bound = xbt_leaf_upper_bound(cur, bound);
	if (has_next)
		xbtree_entry_low_key(bt, lv->block, 0, s, next);
	for (m = 0; m < room && m < n; m++) {
		const uint8_t	*r = recs + m * len;

		ops->init_key_from_rec(key, r);
		if ((has_next && ops->cmp_keys(key, next) >= 0) ||
		    (has_bound && ops->cmp_keys(key, bound) >= 0))
			break;
	}
	if (m == 0)
		return 0;
	xbt_log_slot_insert(cur->tp, lv->bno, XBT_BLOCK_HDR_LEN + s * len,
			m * len, XBT_BLOCK_HDR_LEN + (nr + m) * len);
	xbt_log_numrecs(cur->tp, lv->bno);
	xbtree_arr_open(bt, lv->block, 0, s, m);
	memcpy(xbtree_rec_addr(bt, lv->block, s), recs, m * len);
	cur->leaf_nrecs = nr + m;
	if (s == 0)
		xbt_fix_keys(cur, 0);
	return m;
}

int
xbt_insert_run(struct xbt_trans *tp, const void *recs, unsigned int n,
		int *stat)
{
	struct xbtree		*bt = tp->bt;
	const struct xbt_ops	*ops = bt->ops;
	const uint8_t		*r = recs;
	struct xbt_cur		cur;
	uint8_t			prev[XBT_KEY_MAX], key[XBT_KEY_MAX];
	unsigned int		i;
	bool			found;
	int			m, error;

	XBT_ASSERT_TRANS(tp);
	*stat = 0;
	/* The whole run is checked before anything changes. */
	for (i = 0; i < n; i++) {
		const uint8_t	*rec = r + i * ops->rec_len;

		if (ops->verify_rec && ops->verify_rec(rec))
			return -EINVAL;
		ops->init_key_from_rec(key, rec);
		if (i > 0 && ops->cmp_keys(prev, key) >= 0)
			return -EINVAL;
		memcpy(prev, key, ops->key_len);
	}
	/* Overlapping and disjoint types check neighbours: one at a time. */
	if (ops->flags & (XBT_OPS_OVERLAPPING | XBT_OPS_DISJOINT)) {
		for (i = 0; i < n; i++) {
			error = xbt_insert(tp, r + i * ops->rec_len, stat);
			if (error || !*stat)
				return error;
		}
		return 0;
	}
	i = 0;
	while (i < n) {
		xbt_cur_init(&cur, bt);
		error = xbt_lookup_rec(&cur, r + i * ops->rec_len, &found);
		if (error || found)
			return error;
		error = xbt_trans_reserve(tp, cur.nlevels);
		if (error)
			return error;
		m = xbt_insert_piece(&cur, r + i * ops->rec_len, n - i);
		if (m < 0)
			return m;
		if (m == 0) {
			/* The leaf is full: one insert splits it. */
			error = xbt_insrec(&cur, 0, r + i * ops->rec_len, 0);
			if (error)
				return error;
			m = 1;
		}
		xbt_trans_mod_nrecords(tp, m);
		XBT_TRANS_COUNT(tp, inserts, m);
		i += m;
	}
	*stat = 1;
	return 0;
}

/* ---- delete ------------------------------------------------------------ */

static int xbt_delrec(struct xbt_cur *cur, unsigned int level);

/* The root node has one child left: the child becomes the root. */
static int
xbt_kill_root(struct xbt_cur *cur)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*root = &cur->lv[cur->nlevels - 1];
	uint64_t		child = xbtree_ptr(bt, root->block, 0);

	xbtree_shape_changed(bt);
	xbt_trans_set_root(cur->tp, child, cur->nlevels - 1);
	xbt_trans_free_block(cur->tp, root->bno);
	XBT_TRACE(bt, XBT_EV_FREE_BLOCK, cur->nlevels - 1, root->bno, 0, 0);
	cur->nlevels--;
	XBT_TRANS_COUNT(cur->tp, root_kills, 1);
	XBT_TRACE(bt, XBT_EV_ROOT_KILL, cur->nlevels - 1, child, cur->nlevels,
		  0);
	return 0;
}

/* Move every entry of @src to the end of @dst and unlink @src. */
static int
xbt_join(struct xbt_cur *cur, unsigned int level, uint64_t dbno,
		struct xbt_block *dst, uint64_t sbno, struct xbt_block *src)
{
	struct xbtree	*bt = cur->bt;
	unsigned int	dn = xbt_numrecs(dst);
	unsigned int	sn = xbt_numrecs(src);
	int		error;

	if (dn + sn > xbtree_maxrecs(bt, level))
		return XBT_CORRUPT(bt, sbno, "siblings too full to join");
	xbtree_shape_changed(bt);
	error = xbt_relink_left(cur, level, xbt_rightsib(src), dbno);
	if (error)
		return error;
	xbt_log_block(cur->tp, dbno);
	xbtree_arr_open(bt, dst, level, dn, sn);
	xbtree_arr_copy(bt, level, dst, dn, src, 0, sn);
	xbt_set_rightsib(dst, xbt_rightsib(src));
	xbt_trans_free_block(cur->tp, sbno);
	XBT_TRANS_COUNT(cur->tp, merges, 1);
	XBT_TRACE(bt, XBT_EV_FREE_BLOCK, level, sbno, 0, 0);
	XBT_TRACE(bt, XBT_EV_MERGE, level, sbno, dbno, 0);
	return 0;
}

/* lv[level] fell below minrecs: borrow from a sibling or join with it. */
static int
xbt_rebalance(struct xbt_cur *cur, unsigned int level)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	struct xbt_cur_level	*pv = &cur->lv[level + 1];
	unsigned int		min = xbtree_minrecs(bt, level);
	unsigned int		n = xbt_numrecs(lv->block);
	int			p = pv->slot;
	struct xbt_block	*right = NULL, *left = NULL;
	uint64_t		rbno = 0, lbno = 0;
	int			error;

	if (p + 1 < (int)xbt_numrecs(pv->block)) {
		error = xbt_get_sibling(cur, level, p + 1, &rbno, &right);
		if (error)
			return error;
		if (xbt_numrecs(right) > min) {
			/* Borrow R's first k entries, evening the two out. */
			unsigned int	k = (xbt_numrecs(right) - n) / 2;

			xbtree_shape_changed(bt);
			xbt_log_block(cur->tp, lv->bno);
			xbt_log_block(cur->tp, rbno);
			xbtree_arr_open(bt, lv->block, level, n, k);
			xbtree_arr_copy(bt, level, lv->block, n, right, 0, k);
			xbtree_arr_close(bt, right, level, 0, k);
			XBT_TRANS_COUNT(cur->tp, shifts, 1);
			XBT_TRACE(bt, XBT_EV_SHIFT, level, rbno, lv->bno, k);
			xbt_fix_keys(cur, level);
			xbt_fix_sibling_keys(cur, level, rbno, right, p + 1);
			return 0;
		}
	}
	if (p > 0) {
		error = xbt_get_sibling(cur, level, p - 1, &lbno, &left);
		if (error)
			return error;
		if (xbt_numrecs(left) > min) {
			/* Borrow L's last k entries. */
			unsigned int	ln = xbt_numrecs(left);
			unsigned int	k = (ln - n) / 2;

			xbtree_shape_changed(bt);
			xbt_log_block(cur->tp, lv->bno);
			xbt_log_block(cur->tp, lbno);
			xbtree_arr_open(bt, lv->block, level, 0, k);
			xbtree_arr_copy(bt, level, lv->block, 0, left, ln - k,
					k);
			xbtree_arr_close(bt, left, level, ln - k, k);
			XBT_TRANS_COUNT(cur->tp, shifts, 1);
			XBT_TRACE(bt, XBT_EV_SHIFT, level, lbno, lv->bno, k);
			xbt_fix_keys(cur, level);
			xbt_fix_sibling_keys(cur, level, lbno, left, p - 1);
			return 0;
		}
		/* Join into the left sibling; drop our parent entry. */
		error = xbt_join(cur, level, lbno, left, lv->bno, lv->block);
		if (error)
			return error;
		xbt_fix_sibling_keys(cur, level, lbno, left, p - 1);
		return xbt_delrec(cur, level + 1);
	}
	if (!right)
		return XBT_CORRUPT(bt, pv->bno, "non-root node with one entry");
	/* Join the right sibling into this block; drop its parent entry. */
	error = xbt_join(cur, level, lv->bno, lv->block, rbno, right);
	if (error)
		return error;
	xbt_fix_keys(cur, level);
	pv->slot = p + 1;
	return xbt_delrec(cur, level + 1);
}

/* Delete the entry at lv[level].slot and rebalance. */
static int
xbt_delrec(struct xbt_cur *cur, unsigned int level)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv = &cur->lv[level];
	unsigned int		n;

	xbt_remove_entry(cur, level, lv->slot);
	n = xbt_numrecs(lv->block);
	if (level == cur->nlevels - 1) {
		if (level > 0 && n == 1)
			return xbt_kill_root(cur);
		return 0;
	}
	if (lv->slot == 0 || xbtree_is_overlapping(bt))
		xbt_fix_keys(cur, level);
	if (n >= xbtree_minrecs(bt, level))
		return 0;
	return xbt_rebalance(cur, level);
}

int
xbt_delete(struct xbt_trans *tp, const void *key, const void *rec,
		void *old, int *stat)
{
	struct xbtree		*bt = tp->bt;
	struct xbt_cur		cur;
	const uint8_t		*found_rec;
	bool			found;
	int			error;

	XBT_ASSERT_TRANS(tp);
	*stat = 0;
	xbt_cur_init(&cur, bt);
	error = xbt_lookup_exact(&cur, key, &found);
	if (error || !found)
		return error;
	found_rec = xbt_cur_rec(&cur);
	if (rec && memcmp(found_rec, rec, bt->ops->rec_len))
		return 0;
	if (old)
		memcpy(old, found_rec, bt->ops->rec_len);
	error = xbt_trans_reserve(tp, cur.nlevels);
	if (error)
		return error;
	error = xbt_delrec(&cur, 0);
	if (error)
		return error;
	xbt_trans_mod_nrecords(tp, -1);
	XBT_TRANS_COUNT(tp, deletes, 1);
	*stat = 1;
	return 0;
}

/* ---- update ------------------------------------------------------------ */

int
xbt_update(struct xbt_trans *tp, const void *rec, int *stat)
{
	struct xbtree		*bt = tp->bt;
	const struct xbt_ops	*ops = bt->ops;
	struct xbt_cur		cur;
	unsigned int		off;
	int			error;

	*stat = 0;
	error = xbt_change_begin(tp, &cur, rec, true);
	if (error <= 0)
		return error;
	off = XBT_BLOCK_HDR_LEN + cur.lv[0].slot * ops->rec_len;
	xbt_log_range(tp, cur.lv[0].bno, off, ops->rec_len);
	memcpy((uint8_t *)cur.lv[0].block + off, rec, ops->rec_len);
	if (xbtree_is_overlapping(bt))
		xbt_fix_keys(&cur, 0);
	XBT_TRANS_COUNT(tp, updates, 1);
	*stat = 1;
	return 0;
}

int
xbt_cur_modify(struct xbt_cur *cur, unsigned int n, void **recs)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_trans	*tp = cur->tp;
	struct xbt_cur_level	*lv = &cur->lv[0];
	unsigned int		off, len;
	int			error;

	/* The cursor was set up while this transaction was open. */
	XBT_ASSERT_TRANS(tp);
	ASSERT(cur->bt == tp->bt);
	ASSERT(cur->nlevels > 0 && n > 0 && lv->slot >= 0 &&
	       lv->slot + n <= (unsigned int)cur->leaf_nrecs);
	if (!cur->nlevels || n == 0 || lv->slot < 0 ||
	    lv->slot + n > (unsigned int)cur->leaf_nrecs)
		return -EINVAL;
	error = xbt_trans_reserve(tp, cur->nlevels);
	if (error)
		return error;
	off = XBT_BLOCK_HDR_LEN + lv->slot * bt->ops->rec_len;
	len = n * bt->ops->rec_len;
	/* A big run saves the block once; later runs in it log nothing. */
	if (len >= bt->blksize / 4)
		xbt_log_block(tp, lv->bno);
	else
		xbt_log_range(tp, lv->bno, off, len);
	*recs = (uint8_t *)lv->block + off;
	XBT_TRANS_COUNT(tp, updates, n);
	return 0;
}
