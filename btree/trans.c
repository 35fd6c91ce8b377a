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
 * (XBT_BUF_LOGGED), later changes to it in the same transaction log
 * nothing; running backwards, the image lands last and wins.  Blocks
 * allocated in the transaction are LOGGED from birth: their undo is the
 * ALLOC entry.
 *
 * Frees are deferred to commit (like XFS's busy extents): a block freed in
 * a transaction stays allocated, and cannot be reused, until commit.  So
 * cancel never has to resurrect a block, and a block's log entries always
 * describe one life of it.
 *
 * Commit first verifies the header of every dirty block that is still
 * in use; if one fails (an engine bug), the transaction is cancelled and
 * nothing is published.  Then it computes each block's checksum (bb_crc,
 * or hb_crc for block 0), marks it TRUSTED, frees the deferred blocks,
 * and adds the transaction's change counts to the tree's statistics
 * (a cancelled transaction's changes are never counted).
 *
 * Every allocation a transaction makes (the transaction itself, its log
 * and lists, new blocks and their pages) can fail; the operation then
 * returns -ENOMEM or -ENOSPC and the caller cancels, which puts every
 * byte back (tests/check_fault.c fails each one in turn).
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

/*
 * The transaction's state of a block, in the owner's bits of its xbuf
 * state byte.  A block the transaction changes is TRUSTED throughout:
 * it was verified when the engine got it, or the transaction allocated
 * it (zeros, formatted next), so xbuf_get() never verifies a block whose
 * checksum is not yet computed.
 */
#define XBT_BUF_DIRTY	XBUF_OWNER_BIT(0)	/* on the dirty list */
#define XBT_BUF_LOGGED	XBUF_OWNER_BIT(1)	/* prior image saved, or new */
#define XBT_BUF_FREEING	XBUF_OWNER_BIT(2)	/* freed at commit */

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
	tp = xmem_zalloc(sizeof(*tp));
	if (!tp)
		return -ENOMEM;
	tp->bt = bt;
	xmem_array_init(&tp->log, 1);
	xmem_array_init(&tp->dirty, sizeof(uint64_t));
	xmem_array_init(&tp->freed, sizeof(uint64_t));
	bt->trans = tp;
	*tpp = tp;
	return 0;
}

static void
xbt_trans_free(struct xbt_trans *tp)
{
	tp->bt->trans = NULL;
	xmem_array_release(&tp->log);
	xmem_array_release(&tp->dirty);
	xmem_array_release(&tp->freed);
	xmem_free(tp);
}

/* The block numbers of a dirty or freed list. */
static inline uint64_t *
xbt_bnos(const struct xmem_array *a)
{
	return a->data;
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
	int		error;

	XBT_ASSERT_TRANS(tp);
	error = xmem_array_reserve(&tp->log,
			blocks * (sizeof(struct xbt_undo) + bt->blksize) +
			64 * sizeof(struct xbt_undo) +
			8 * XBT_KEY_MAX * nlevels);
	if (error)
		return error;
	error = xmem_array_reserve(&tp->dirty, blocks);
	if (error)
		return error;
	return xmem_array_reserve(&tp->freed, nlevels + 2);
}

/* Put @bno on the dirty list once. */
static inline void
xbt_trans_dirty(struct xbt_trans *tp, uint64_t bno)
{
	struct xbuf_targ	*targ = &tp->bt->targ;

	/* Only blocks in use whose bytes we vouch for are changed. */
	ASSERT(xbuf_is_allocated(targ, bno));
	ASSERT(xbuf_state(targ, bno) & XBUF_TRUSTED);
	if (xbuf_state(targ, bno) & XBT_BUF_DIRTY)
		return;
	xbuf_state_set(targ, bno, XBT_BUF_DIRTY);
	*(uint64_t *)xmem_array_push_reserved(&tp->dirty) = bno;
}

/* Append an entry with room for @payload bytes; returns the payload. */
static void *
xbt_undo_add(struct xbt_trans *tp, uint64_t bno, enum xbt_undo_type type,
		unsigned int off, unsigned int len, unsigned int end,
		unsigned int payload)
{
	struct xbt_undo	*u;
	size_t		size = sizeof(*u) + ((payload + 7) & ~7U);

	ASSERT(tp->log.len + size <= tp->log.cap);
	u = xmem_array_at(&tp->log, tp->log.len);
	u->bno = bno;
	u->type = type;
	u->off = off;
	u->len = len;
	u->end = end;
	u->prev = tp->last;
	u->pad = 0;
	tp->last = tp->log.len + 1;
	tp->log.len += size;
	return u + 1;
}

static inline bool
xbt_is_logged(struct xbt_trans *tp, uint64_t bno)
{
	return xbuf_state(&tp->bt->targ, bno) & XBT_BUF_LOGGED;
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
	xbuf_state_set(&bt->targ, bno, XBT_BUF_LOGGED);
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

	XBT_ASSERT_TRANS(tp);
	error = xbuf_alloc(&bt->targ, &bno);
	if (error)
		return error;
	xbt_undo_add(tp, bno, XBT_UNDO_ALLOC, 0, 0, 0, 0);
	xbuf_state_set(&bt->targ, bno, XBUF_TRUSTED | XBT_BUF_LOGGED);
	xbt_trans_dirty(tp, bno);

	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_nblocks = be64_store(xbt_head_nblocks(bt->head) + 1);
	*bnop = bno;
	return 0;
}

void
xbt_trans_free_block(struct xbt_trans *tp, uint64_t bno)
{
	struct xbtree	*bt = tp->bt;

	ASSERT(bno != XBT_HEAD_BLOCK && xbuf_is_allocated(&bt->targ, bno));
	ASSERT(!(xbuf_state(&bt->targ, bno) & XBT_BUF_FREEING));
	*(uint64_t *)xmem_array_push_reserved(&tp->freed) = bno;
	xbt_trans_dirty(tp, bno);
	xbuf_state_set(&bt->targ, bno, XBT_BUF_FREEING);
	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_nblocks = be64_store(xbt_head_nblocks(bt->head) - 1);
}

void
xbt_trans_set_root(struct xbt_trans *tp, uint64_t root, unsigned int nlevels)
{
	struct xbtree	*bt = tp->bt;

	ASSERT(nlevels >= 1 && nlevels <= XBT_MAXLEVELS);
	ASSERT(xbuf_is_allocated(&bt->targ, root));
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

int
xbt_trans_set_data_size(struct xbt_trans *tp, uint64_t size)
{
	struct xbtree	*bt = tp->bt;
	int		error;

	XBT_ASSERT_TRANS(tp);
	error = xbt_trans_reserve(tp, 1);
	if (error)
		return error;
	xbt_log_block(tp, XBT_HEAD_BLOCK);
	bt->head->hb_data_size = be64_store(size);
	return 0;
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
		n = xbtree_maxrecs(bt, level);	/* never: verified first */
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

/* Add a committed transaction's change counts to the tree's. */
static void
xbt_stats_add(struct xbtree *bt, const struct xbt_change_stats *nr)
{
	const uint64_t	*from = (const uint64_t *)nr;
	uint64_t	*to = (uint64_t *)&bt->nr;
	size_t		i;

	_Static_assert(sizeof(*nr) % sizeof(uint64_t) == 0,
		       "struct xbt_change_stats is all uint64_t");
	for (i = 0; i < sizeof(*nr) / sizeof(uint64_t); i++)
		if (from[i])
			__atomic_fetch_add(&to[i], from[i], __ATOMIC_RELAXED);
}

int
xbt_trans_commit(struct xbt_trans *tp)
{
	struct xbtree		*bt = tp->bt;
	struct xbuf_targ	*targ = &bt->targ;
	const char		*why;
	int			error;
	size_t			i;
	uint64_t		bno;
	struct xbt_block	*block;

	XBT_ASSERT_TRANS(tp);
	/*
	 * The write verifier, before anything is published: the header of
	 * every dirty block that stays in use.  It catches engine bugs, not
	 * users; a block that fails it is reported (the btree is marked
	 * corrupt) and the whole transaction is cancelled, so no damaged
	 * block ever gets a good checksum.
	 */
	for (i = 0; i < tp->dirty.len; i++) {
		bno = xbt_bnos(&tp->dirty)[i];
		ASSERT(xbuf_state(targ, bno) & XBT_BUF_DIRTY);
		if (bno == XBT_HEAD_BLOCK ||
		    (xbuf_state(targ, bno) & XBT_BUF_FREEING))
			continue;
		block = xbuf_addr(targ, bno);
		why = xbtree_verify_block_hdr(bt, block, bno, -1);
		if (!why)
			why = xbtree_verify_block_hdr_rest(bt, block, bno);
		if (why) {
			error = XBT_CORRUPT(bt, bno, why);
			xbt_trans_cancel(tp);
			return error;
		}
	}

	/*
	 * Newest first: the blocks touched last are the likeliest to still
	 * be in cache, and the checksum reads every byte.
	 */
	for (i = tp->dirty.len; i-- > 0;) {
		bno = xbt_bnos(&tp->dirty)[i];
		if (i > 0)
			xbtree_prefetch_block(bt, xbt_bnos(&tp->dirty)[i - 1]);
		if (xbuf_state(targ, bno) & XBT_BUF_FREEING)
			continue;	/* xbuf_free() below resets its state */
		xbuf_state_clear(targ, bno, XBT_BUF_DIRTY | XBT_BUF_LOGGED);
		xbtree_set_crc(bt, bno);
		xbuf_state_set(targ, bno, XBUF_TRUSTED);
	}
	for (i = 0; i < tp->freed.len; i++)
		xbuf_free(targ, xbt_bnos(&tp->freed)[i]);

	XBT_TRACE(bt, XBT_EV_COMMIT, 0, tp->dirty.len - tp->freed.len,
		  tp->log.len, 0);
	xbt_stats_add(bt, &tp->nr);
	XBT_STAT_INC(bt, nr_commits);
	xbtree_bump_version(bt);
	xbt_trans_free(tp);
	return 0;
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
	uint64_t		bno;
	size_t			i;

	XBT_ASSERT_TRANS(tp);
	while (pos) {
		u = xmem_array_at(&tp->log, pos - 1);
		xbtree_undo_one(bt, u);
		pos = u->prev;
	}
	xbtree_shape_changed(bt);
	for (i = 0; i < tp->dirty.len; i++) {
		bno = xbt_bnos(&tp->dirty)[i];
		if (xbuf_is_allocated(targ, bno))
			xbuf_state_clear(targ, bno, XBT_BUF_DIRTY |
					 XBT_BUF_LOGGED | XBT_BUF_FREEING);
	}
	XBT_STAT_INC(bt, nr_cancels);
	XBT_TRACE(bt, XBT_EV_CANCEL, 0, tp->dirty.len, 0, 0);
	xbt_trans_free(tp);
}
