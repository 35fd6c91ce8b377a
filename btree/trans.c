// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trans.c: transactions over an xfbtree, with exact undo.
 *
 * A transaction groups any number of changes to one btree.  Blocks are
 * changed in place (they are mapped); the transaction keeps an undo log,
 * so that cancel can put every byte back, and a dirty list, so that commit
 * can checksum what changed.  Linux's in-memory btrees cannot undo a
 * cancelled transaction; ours must, because a shell user's bad line in the
 * middle of a write must leave no trace.
 *
 * The undo log is physiological: it records, per block, the cheapest
 * description of a change that still restores the exact bytes.
 *
 *	entry          saved               undo
 *	BLOCK          the whole block     copy it back
 *	RANGE          bytes off..off+len  copy them back
 *	SLOT_INSERT    nothing             move [off+len, end) down to off,
 *	                                   zero the last len bytes before end
 *	SLOT_DELETE    the removed bytes   move [off, end-len) up by len,
 *	                                   copy the saved bytes to off
 *	ALLOC          nothing             free the block (it reads zeros)
 *
 * SLOT_INSERT needs nothing saved because the engine keeps every byte past
 * a block's used arrays zeroed: closing the slot again and zeroing the
 * tail gives back exactly the old bytes.  An insert into a leaf thus logs
 * two tiny entries (the slot and the 2-byte numrecs) instead of copying a
 * 4 KiB block; a split or shift, rarer, saves whole blocks.
 *
 * Undo runs the entries backwards.  Once a block's whole image is saved
 * (XBUF_LOGGED), later changes to it in the same transaction log nothing;
 * running backwards, the image lands last and wins.  Blocks allocated in
 * the transaction are LOGGED from birth: their undo is the ALLOC entry.
 *
 * Frees are deferred to commit (like XFS's busy extents): a block freed in
 * a transaction stays allocated, and cannot be reused, until commit.  So
 * cancel never has to resurrect a block, and a block's log entries always
 * describe one life of it.
 *
 * Commit verifies the header of every dirty block that is still in use,
 * computes its checksum (bb_crc, or hb_crc for block 0), marks it
 * TRUSTED, and only then frees the deferred blocks.
 *
 * Memory: every operation first calls xbt_trans_reserve(), which makes
 * room for the worst case of one operation (three whole blocks per level
 * plus small entries).  The logging calls therefore never fail, and an
 * operation cannot stop half logged.
 *
 * Locking: a transaction belongs to the btree's single writer.
 */
#include <stdlib.h>
#include <string.h>

#include "btree/btree_priv.h"
#include "btree/crc32c.h"

enum xbt_undo_type {
	XBT_UNDO_BLOCK = 1,
	XBT_UNDO_RANGE,
	XBT_UNDO_SLOT_INSERT,
	XBT_UNDO_SLOT_DELETE,
	XBT_UNDO_ALLOC,
};

/*
 * One undo entry; @len bytes of payload follow it for BLOCK, RANGE and
 * SLOT_DELETE (rounded up to 8 so the next entry stays aligned).
 */
struct xbt_undo {
	uint64_t	bno;
	uint32_t	type;
	uint32_t	off;
	uint32_t	len;
	uint32_t	end;
	uint32_t	prev;		/* offset of the previous entry */
	uint32_t	pad;
};

int
xbt_trans_alloc(struct xbtree *bt, struct xbt_trans **tpp)
{
	struct xbt_trans	*tp;

	ASSERT(bt->trans == NULL);
	if (bt->trans)
		return -EBUSY;
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	tp->bt = bt;
	bt->trans = tp;
	*tpp = tp;
	return 0;
}

static void
xbt_trans_free(struct xbt_trans *tp)
{
	tp->bt->trans = NULL;
	free(tp->log);
	free(tp->dirty);
	free(tp->freed);
	free(tp);
}

/* Grow @*arr of 8-byte items to hold @need; 0 or -ENOMEM. */
static int
xbt_grow_array(uint64_t **arr, size_t *cap, size_t need)
{
	size_t		ncap = *cap ? *cap : 64;
	uint64_t	*p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * sizeof(uint64_t));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * Make room for one operation on a tree @nlevels high: in the worst case
 * (a split at every level plus a new root, or a join at every level) it
 * saves about three whole blocks per level and dirties as many blocks.
 */
int
xbt_trans_reserve(struct xbt_trans *tp, unsigned int nlevels)
{
	struct xbtree	*bt = tp->bt;
	size_t		blocks = 3 * (nlevels + 2) + 2;
	size_t		need;
	uint8_t		*p;
	int		error;

	need = tp->log_len + blocks * (sizeof(struct xbt_undo) + bt->blksize)
	       + 64 * sizeof(struct xbt_undo) + 8 * XBT_KEY_MAX * nlevels;
	if (need > tp->log_cap) {
		size_t	ncap = tp->log_cap ? tp->log_cap : 65536;

		while (ncap < need)
			ncap *= 2;
		p = realloc(tp->log, ncap);
		if (!p)
			return -ENOMEM;
		tp->log = p;
		tp->log_cap = ncap;
	}
	error = xbt_grow_array(&tp->dirty, &tp->dirty_cap,
			tp->ndirty + blocks);
	if (error)
		return error;
	return xbt_grow_array(&tp->freed, &tp->freed_cap,
			tp->nfreed + nlevels + 2);
}

/* Put @bno on the dirty list once. */
static inline void
xbt_trans_dirty(struct xbt_trans *tp, uint64_t bno)
{
	struct xbuf_targ	*targ = &tp->bt->targ;

	if (xbuf_state(targ, bno) & XBUF_DIRTY)
		return;
	ASSERT(tp->ndirty < tp->dirty_cap);
	xbuf_state_set(targ, bno, XBUF_DIRTY);
	tp->dirty[tp->ndirty++] = bno;
}

/* Append an entry with room for @payload bytes; returns the payload. */
static void *
xbt_undo_add(struct xbt_trans *tp, uint64_t bno, enum xbt_undo_type type,
		unsigned int off, unsigned int len, unsigned int end,
		unsigned int payload)
{
	struct xbt_undo	*u;
	size_t		size = sizeof(*u) + ((payload + 7) & ~7U);

	ASSERT(tp->log_len + size <= tp->log_cap);
	u = (struct xbt_undo *)(tp->log + tp->log_len);
	u->bno = bno;
	u->type = type;
	u->off = off;
	u->len = len;
	u->end = end;
	u->prev = tp->last;
	u->pad = 0;
	tp->last = tp->log_len + 1;
	tp->log_len += size;
	return u + 1;
}

static inline bool
xbt_is_logged(struct xbt_trans *tp, uint64_t bno)
{
	return xbuf_state(&tp->bt->targ, bno) & XBUF_LOGGED;
}

void
xbt_log_block(struct xbt_trans *tp, uint64_t bno)
{
	struct xbtree	*bt = tp->bt;
	void		*save;

	xbt_trans_dirty(tp, bno);
	if (xbt_is_logged(tp, bno))
		return;
	save = xbt_undo_add(tp, bno, XBT_UNDO_BLOCK, 0, bt->blksize, 0,
			bt->blksize);
	memcpy(save, xbuf_addr(&bt->targ, bno), bt->blksize);
	xbuf_state_set(&bt->targ, bno, XBUF_LOGGED);
}

void
xbt_log_range(struct xbt_trans *tp, uint64_t bno, unsigned int off,
		unsigned int len)
{
	struct xbtree	*bt = tp->bt;
	void		*save;

	xbt_trans_dirty(tp, bno);
	if (xbt_is_logged(tp, bno))
		return;
	save = xbt_undo_add(tp, bno, XBT_UNDO_RANGE, off, len, 0, len);
	memcpy(save, (uint8_t *)xbuf_addr(&bt->targ, bno) + off, len);
}

void
xbt_log_slot_insert(struct xbt_trans *tp, uint64_t bno, unsigned int off,
		unsigned int len, unsigned int end)
{
	xbt_trans_dirty(tp, bno);
	if (xbt_is_logged(tp, bno))
		return;
	xbt_undo_add(tp, bno, XBT_UNDO_SLOT_INSERT, off, len, end, 0);
}

void
xbt_log_slot_delete(struct xbt_trans *tp, uint64_t bno, unsigned int off,
		unsigned int len, unsigned int end)
{
	struct xbtree	*bt = tp->bt;
	void		*save;

	xbt_trans_dirty(tp, bno);
	if (xbt_is_logged(tp, bno))
		return;
	save = xbt_undo_add(tp, bno, XBT_UNDO_SLOT_DELETE, off, len, end,
			len);
	memcpy(save, (uint8_t *)xbuf_addr(&bt->targ, bno) + off, len);
}

int
xbt_trans_alloc_block(struct xbt_trans *tp, uint64_t *bnop)
{
	struct xbtree	*bt = tp->bt;
	uint64_t	bno;
	int		error;

	error = xbuf_alloc(&bt->targ, &bno);
	if (error)
		return error;
	xbt_undo_add(tp, bno, XBT_UNDO_ALLOC, 0, 0, 0, 0);
	xbt_trans_dirty(tp, bno);
	xbuf_state_set(&bt->targ, bno, XBUF_LOGGED);

	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_nblocks = be64_store(xbt_head_nblocks(bt->head) + 1);
	*bnop = bno;
	return 0;
}

void
xbt_trans_free_block(struct xbt_trans *tp, uint64_t bno)
{
	struct xbtree	*bt = tp->bt;

	ASSERT(tp->nfreed < tp->freed_cap);
	ASSERT(!(xbuf_state(&bt->targ, bno) & XBUF_FREEING));
	tp->freed[tp->nfreed++] = bno;
	xbt_trans_dirty(tp, bno);
	xbuf_state_set(&bt->targ, bno, XBUF_FREEING);
	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_nblocks = be64_store(xbt_head_nblocks(bt->head) - 1);
}

void
xbt_trans_set_root(struct xbt_trans *tp, uint64_t root, unsigned int nlevels)
{
	struct xbtree	*bt = tp->bt;

	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_root = be64_store(root);
	bt->head->hb_nlevels = be32_store(nlevels);
}

void
xbt_trans_mod_nrecords(struct xbt_trans *tp, int64_t delta)
{
	struct xbtree	*bt = tp->bt;

	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_nrecords =
		be64_store(xbt_head_nrecords(bt->head) + delta);
}

void
xbt_trans_set_data_size(struct xbt_trans *tp, uint64_t size)
{
	struct xbtree	*bt = tp->bt;

	/* One block image per transaction at most: room is always there. */
	if (xbt_trans_reserve(tp, 1) == 0) {
		xbt_log_block(tp, XBT_HEAD_BLOCK);
		bt->head->hb_data_size = be64_store(size);
	}
}

/*
 * The checksum of btree block @block: the used bytes are hashed, and the
 * runs the engine keeps zeroed (past the records, between the keys and
 * the pointers, past the pointers) are skipped with xbt_crc32c_zeros(),
 * which costs a couple of multiplies whatever their length.  The result
 * is the checksum of the whole block, bit for bit.
 */
static uint32_t
xbtree_block_crc(struct xbtree *bt, struct xbt_block *block)
{
	const uint8_t	*p = (const uint8_t *)block;
	unsigned int	n = xbt_numrecs(block);
	unsigned int	level = xbt_level(block);
	unsigned int	end, pend;
	uint32_t	crc;

	if (n > xbtree_maxrecs(bt, level))
		n = xbtree_maxrecs(bt, level);	/* the verifier said */
	crc = xbt_crc32c(XBT_CRC_SEED, p, XBT_BLOCK_CRC_OFF);
	crc = xbt_crc32c_zeros(crc, 4);
	end = XBT_BLOCK_HDR_LEN + n * xbtree_entry_len(bt, level);
	crc = xbt_crc32c(crc, p + XBT_BLOCK_CRC_OFF + 4,
			 end - XBT_BLOCK_CRC_OFF - 4);
	if (level) {
		pend = bt->ptr_off + n * XBT_PTR_LEN;
		crc = xbt_crc32c_zeros(crc, bt->ptr_off - end);
		crc = xbt_crc32c(crc, p + bt->ptr_off, pend - bt->ptr_off);
		end = pend;
	}
	crc = xbt_crc32c_zeros(crc, bt->blksize - end);
	ASSERT(~crc == xbt_crc32c_block(p, bt->blksize, XBT_BLOCK_CRC_OFF));
	return ~crc;
}

/* Store the checksum of dirty block @bno. */
static void
xbtree_set_crc(struct xbtree *bt, uint64_t bno)
{
	uint8_t		*addr = xbuf_addr(&bt->targ, bno);
	size_t		off;
	uint32_t	crc;

	if (bno == XBT_HEAD_BLOCK) {
		off = XBT_HEAD_CRC_OFF;
		crc = xbt_crc32c_block(addr, bt->blksize, off);
	} else {
		off = XBT_BLOCK_CRC_OFF;
		crc = xbtree_block_crc(bt, (struct xbt_block *)addr);
	}
	crc = htole32(crc);
	memcpy(addr + off, &crc, sizeof(crc));
}

/* Start fetching the used part of a block we are about to checksum. */
static void
xbtree_prefetch_block(struct xbtree *bt, uint64_t bno)
{
	const uint8_t	*p = xbuf_addr(&bt->targ, bno);
	unsigned int	len = bt->blksize < 8192 ? bt->blksize : 8192;
	unsigned int	off;

	for (off = 0; off < len; off += 64)
		__builtin_prefetch(p + off);
}

int
xbt_trans_commit(struct xbt_trans *tp)
{
	struct xbtree		*bt = tp->bt;
	struct xbuf_targ	*targ = &bt->targ;
	const char		*why;
	int			error = 0;
	size_t			i;
	uint64_t		bno;
	struct xbt_block	*block;

	/*
	 * Newest first: the blocks touched last are the likeliest to still
	 * be in cache, and the checksum reads every byte.
	 */
	for (i = tp->ndirty; i-- > 0;) {
		bno = tp->dirty[i];
		if (i > 0)
			xbtree_prefetch_block(bt, tp->dirty[i - 1]);
		if (xbuf_state(targ, bno) & XBUF_FREEING)
			continue;	/* xbuf_free() below resets its state */
		xbuf_state_clear(targ, bno, XBUF_DIRTY | XBUF_LOGGED);
		if (bno != XBT_HEAD_BLOCK) {
			/* A write verifier: catches engine bugs, not users. */
			block = xbuf_addr(targ, bno);
			why = xbtree_verify_block_hdr(bt, block, bno, -1);
			if (!why)
				why = xbtree_verify_block_hdr_rest(bt, block,
						bno);
			if (why && !error)
				error = XBT_CORRUPT(bt, bno, why);
		}
		xbtree_set_crc(bt, bno);
		xbuf_state_set(targ, bno, XBUF_TRUSTED);
	}
	for (i = 0; i < tp->nfreed; i++)
		xbuf_free(targ, tp->freed[i]);

	XBT_STAT_INC(bt, nr_commits);
	xbtree_bump_version(bt);
	xbt_trans_free(tp);
	return error;
}

/* Undo one entry. */
static void
xbtree_undo_one(struct xbtree *bt, struct xbt_undo *u)
{
	uint8_t		*addr = xbuf_addr(&bt->targ, u->bno);
	uint8_t		*save = (uint8_t *)(u + 1);

	switch (u->type) {
	case XBT_UNDO_BLOCK:
	case XBT_UNDO_RANGE:
		memcpy(addr + u->off, save, u->len);
		break;
	case XBT_UNDO_SLOT_INSERT:
		memmove(addr + u->off, addr + u->off + u->len,
			u->end - u->off - u->len);
		memset(addr + u->end - u->len, 0, u->len);
		break;
	case XBT_UNDO_SLOT_DELETE:
		memmove(addr + u->off + u->len, addr + u->off,
			u->end - u->off - u->len);
		memcpy(addr + u->off, save, u->len);
		break;
	case XBT_UNDO_ALLOC:
		xbuf_free(&bt->targ, u->bno);
		break;
	default:
		ASSERT(0);
	}
}

void
xbt_trans_cancel(struct xbt_trans *tp)
{
	struct xbtree		*bt = tp->bt;
	struct xbuf_targ	*targ = &bt->targ;
	size_t			pos = tp->last;
	struct xbt_undo		*u;
	size_t			i;

	while (pos) {
		u = (struct xbt_undo *)(tp->log + pos - 1);
		xbtree_undo_one(bt, u);
		pos = u->prev;
	}
	xbtree_shape_changed(bt);
	for (i = 0; i < tp->ndirty; i++)
		if (xbuf_is_allocated(targ, tp->dirty[i]))
			xbuf_state_clear(targ, tp->dirty[i], XBUF_DIRTY |
					 XBUF_LOGGED | XBUF_FREEING);
	XBT_STAT_INC(bt, nr_cancels);
	xbt_trans_free(tp);
}
