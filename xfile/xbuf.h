/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbuf: an array of equal-sized blocks in one xfile, mapped, with a block
 * allocator and per-block state.
 *
 * Block n lives at byte n << blkshift of the xfile.  A "buffer" is simply
 * the block's mapped address: getting one costs a segment-table lookup, no
 * copy and no system call.  The layer knows nothing of what is inside a
 * block; callers pass a verifier when they want one run.
 *
 * Allocation map
 *	One bit per block, set while the block is allocated.  Allocation takes
 *	the lowest clear bit (free_hint is a lower bound on it) and makes the
 *	block's memory really held first (xfile_prealloc), so running out of
 *	memory is -ENOSPC at allocation and never SIGBUS at access.
 *
 * Free blocks are zeros
 *	Invariant: every byte of a free block reads as zero.  A new xfile is
 *	all holes; xbuf_free() punches the block's pages out, or, when the
 *	block is smaller than a system page and other blocks of the page are
 *	still allocated, writes zeros over it.  So a freshly allocated block
 *	is zeroed without any work, and memory comes back as soon as a whole
 *	page is free.
 *
 * Block state
 *	A byte per block.  Bit 0, XBUF_TRUSTED, is xbuf's own: set when the
 *	block's bytes are known good, because xbuf_get() ran the verifier on
 *	them or because the owner vouches for them (it computed the checksum,
 *	or formats or changes the block under its own control); cleared by
 *	the owner when bytes come in from outside (a raw write), so the next
 *	xbuf_get() verifies again.  xbuf_get() verifies only blocks without
 *	it.  TRUSTED may be set by concurrent readers, so every state change
 *	is atomic.
 *	The other seven bits (XBUF_OWNER_BIT(0) .. XBUF_OWNER_BIT(6)) belong
 *	to whoever owns the target and mean what it defines (btree/trans.c
 *	keeps its transaction state there); xbuf only zeroes the whole byte
 *	when it frees the block.
 *
 * Locking
 *	None inside.  The caller serialises alloc/free and every change of a
 *	block's bytes against all other use of the same target (the btree's
 *	writer lock); readers may share it.
 */
#ifndef XFILE_XBUF_H
#define XFILE_XBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "xfile/xassert.h"
#include "xfile/xfile.h"

#define XBUF_TRUSTED		(1U << 0)	/* bytes known good */
#define XBUF_OWNER_BIT(n)	(1U << (1 + (n)))	/* n = 0..6 */
#define XBUF_OWNER_MASK		0xfeU

struct xbuf_targ {
	struct xfile	*xf;
	unsigned int	blksize;
	unsigned int	blkshift;
	uint64_t	*map;		/* allocation bitmap */
	uint8_t		*state;		/* state byte per block */
	uint64_t	nbits;		/* blocks covered by map and state */
	uint64_t	free_hint;	/* no free block below this */
	uint64_t	nallocated;	/* bits set in map */
};

/* Set up @targ for blocks of @blksize bytes in @xf (the caller's memory). */
int xbuf_targ_init(struct xbuf_targ *targ, struct xfile *xf,
		unsigned int blksize);
/* Free the map and state; the xfile stays. */
void xbuf_targ_release(struct xbuf_targ *targ);

/* Mapped address of block @bno; it must be allocated. */
static inline void *
xbuf_addr(const struct xbuf_targ *targ, uint64_t bno)
{
	return xfile_addr(targ->xf, bno << targ->blkshift);
}

static inline bool
xbuf_is_allocated(const struct xbuf_targ *targ, uint64_t bno)
{
	if (bno >= targ->nbits)
		return false;
	return (targ->map[bno / 64] >> (bno % 64)) & 1;
}

static inline unsigned int
xbuf_state(const struct xbuf_targ *targ, uint64_t bno)
{
	return __atomic_load_n(&targ->state[bno], __ATOMIC_RELAXED);
}

static inline void
xbuf_state_set(struct xbuf_targ *targ, uint64_t bno, unsigned int bits)
{
	ASSERT(bno < targ->nbits);
	__atomic_fetch_or(&targ->state[bno], bits, __ATOMIC_RELAXED);
}

static inline void
xbuf_state_clear(struct xbuf_targ *targ, uint64_t bno, unsigned int bits)
{
	ASSERT(bno < targ->nbits);
	__atomic_fetch_and(&targ->state[bno], (uint8_t)~bits, __ATOMIC_RELAXED);
}

/*
 * Verifier: returns NULL if the block is sound, else a static string that
 * names the failed check.  @bad_crc is set when the failure is the
 * checksum (reported before any other damage).
 */
typedef const char *(*xbuf_verify_fn)(const void *block, uint64_t bno,
		void *priv, bool *bad_crc);

/*
 * Map allocated block @bno for use.  If it is not TRUSTED, run @verify on
 * it first (the full check, checksum included) and mark it TRUSTED when
 * it passes.  Returns 0 and *@addrp, -EUCLEAN (@bno not allocated, or the
 * verifier failed; *@why says why) or -EBADMSG (bad checksum).
 */
int xbuf_get(struct xbuf_targ *targ, uint64_t bno, xbuf_verify_fn verify,
		void *priv, void **addrp, const char **why);

/*
 * Allocate the lowest free block; it reads as zeros.  Returns 0 and
 * *@bnop, or -ENOSPC / -ENOMEM with nothing allocated.
 */
int xbuf_alloc(struct xbuf_targ *targ, uint64_t *bnop);
/* Free block @bno: its bytes become zeros and its memory may go back. */
void xbuf_free(struct xbuf_targ *targ, uint64_t bno);

/* The first allocated block >= @bno, if any. */
bool xbuf_next_allocated(const struct xbuf_targ *targ, uint64_t bno,
		uint64_t *next);

#endif /* XFILE_XBUF_H */
