// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xbuf.c: block array, allocator and block state over an xfile.
 *
 * See xbuf.h for the data structure and its invariants.  The allocation
 * bitmap and the state bytes grow together (doubling) as blocks past the
 * end are allocated; neither ever shrinks, which costs one bit and one byte
 * per block ever used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xfile/xbuf.h"
#include "xfile/xmem.h"

int
xbuf_targ_init(struct xbuf_targ *targ, struct xfile *xf, unsigned int blksize)
{
	memset(targ, 0, sizeof(*targ));
	if (blksize < 512 || blksize > 65536 || (blksize & (blksize - 1)))
		return -EINVAL;
	targ->xf = xf;
	targ->blksize = blksize;
	targ->blkshift = __builtin_ctz(blksize);
	return 0;
}

void
xbuf_targ_release(struct xbuf_targ *targ)
{
	xmem_free(targ->map);
	xmem_free(targ->state);
	targ->map = NULL;
	targ->state = NULL;
	targ->nbits = 0;
}

/* Grow map and state so that block @bno is covered.  0 or -ENOMEM. */
static int
xbuf_grow(struct xbuf_targ *targ, uint64_t bno)
{
	uint64_t	nbits = targ->nbits ? targ->nbits : 256;
	uint64_t	*map;
	uint8_t		*state;

	while (nbits <= bno)
		nbits *= 2;
	if (nbits == targ->nbits)
		return 0;

	map = xmem_realloc(targ->map, nbits / 64, sizeof(*map));
	if (!map)
		return -ENOMEM;
	memset(map + targ->nbits / 64, 0, (nbits - targ->nbits) / 8);
	targ->map = map;

	state = xmem_realloc(targ->state, nbits, 1);
	if (!state)
		return -ENOMEM;
	memset(state + targ->nbits, 0, nbits - targ->nbits);
	targ->state = state;
	targ->nbits = nbits;
	return 0;
}

/* The lowest clear bit at or above free_hint (may be past nbits). */
static uint64_t
xbuf_find_free(const struct xbuf_targ *targ)
{
	uint64_t	w = targ->free_hint / 64;
	uint64_t	word;

	if (w >= targ->nbits / 64)
		return targ->free_hint;
	/* Ignore bits below the hint in the first word. */
	word = targ->map[w] | ((1ULL << (targ->free_hint % 64)) - 1);
	while (word == UINT64_MAX) {
		if (++w >= targ->nbits / 64)
			return w * 64;
		word = targ->map[w];
	}
	return w * 64 + __builtin_ctzll(~word);
}

int
xbuf_alloc(struct xbuf_targ *targ, uint64_t *bnop)
{
	uint64_t	bno = xbuf_find_free(targ);
	int		error;

	error = xbuf_grow(targ, bno);
	if (error)
		return error;
	error = xfile_prealloc(targ->xf, bno << targ->blkshift, targ->blksize);
	if (error)
		return error;
	targ->map[bno / 64] |= 1ULL << (bno % 64);
	targ->state[bno] = 0;
	targ->nallocated++;
	targ->free_hint = bno + 1;
	*bnop = bno;
	return 0;
}

/*
 * True if every block sharing @bno's system page is free (or @bno's
 * blocks are at least a page each).
 */
static bool
xbuf_page_is_free(const struct xbuf_targ *targ, uint64_t bno)
{
	unsigned int	page_shift = targ->xf->page_shift;
	uint64_t	per_page, first, i;

	if (targ->blkshift >= page_shift)
		return true;
	per_page = 1ULL << (page_shift - targ->blkshift);
	first = bno & ~(per_page - 1);
	for (i = first; i < first + per_page; i++)
		if (xbuf_is_allocated(targ, i))
			return false;
	return true;
}

void
xbuf_free(struct xbuf_targ *targ, uint64_t bno)
{
	unsigned int	page_shift = targ->xf->page_shift;
	uint64_t	pos;

	ASSERT(xbuf_is_allocated(targ, bno));
	targ->map[bno / 64] &= ~(1ULL << (bno % 64));
	targ->state[bno] = 0;
	targ->nallocated--;
	if (bno < targ->free_hint)
		targ->free_hint = bno;

	if (xbuf_page_is_free(targ, bno)) {
		/* Punch the whole page (or the whole block, if larger). */
		if (targ->blkshift >= page_shift) {
			pos = bno << targ->blkshift;
			xfile_discard(targ->xf, pos, targ->blksize);
		} else {
			pos = (bno << targ->blkshift) &
			      ~((1ULL << page_shift) - 1);
			xfile_discard(targ->xf, pos, 1ULL << page_shift);
		}
		/* A failed punch still leaves data; zero it by hand. */
		if (!xfile_page_is_held(targ->xf, bno << targ->blkshift))
			return;
	}
	memset(xbuf_addr(targ, bno), 0, targ->blksize);
}

int
xbuf_get(struct xbuf_targ *targ, uint64_t bno, xbuf_verify_fn verify,
		void *priv, void **addrp, const char **why)
{
	bool		bad_crc = false;
	const char	*fa;
	void		*addr;

	if (!xbuf_is_allocated(targ, bno)) {
		*why = "pointer to a block that is not allocated";
		return -EUCLEAN;
	}
	addr = xbuf_addr(targ, bno);
	if (!(xbuf_state(targ, bno) & XBUF_TRUSTED) && verify) {
		fa = verify(addr, bno, priv, &bad_crc);
		if (fa) {
			*why = fa;
			return bad_crc ? -EBADMSG : -EUCLEAN;
		}
		xbuf_state_set(targ, bno, XBUF_TRUSTED);
	}
	*addrp = addr;
	return 0;
}

bool
xbuf_next_allocated(const struct xbuf_targ *targ, uint64_t bno,
		uint64_t *next)
{
	uint64_t	w = bno / 64;
	uint64_t	word;

	if (w >= targ->nbits / 64)
		return false;
	word = targ->map[w] & ~((1ULL << (bno % 64)) - 1);
	while (!word) {
		if (++w >= targ->nbits / 64)
			return false;
		word = targ->map[w];
	}
	*next = w * 64 + __builtin_ctzll(word);
	return true;
}
