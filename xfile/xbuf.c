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

int
xbuf_targ_init(struct xbuf_targ *bt, struct xfile *xf, unsigned int blksize)
{
	memset(bt, 0, sizeof(*bt));
	if (blksize < 512 || blksize > 65536 || (blksize & (blksize - 1)))
		return -EINVAL;
	bt->xf = xf;
	bt->blksize = blksize;
	bt->blkshift = __builtin_ctz(blksize);
	return 0;
}

void
xbuf_targ_release(struct xbuf_targ *bt)
{
	free(bt->map);
	free(bt->state);
	bt->map = NULL;
	bt->state = NULL;
	bt->nbits = 0;
}

/* Grow map and state so that block @bno is covered.  0 or -ENOMEM. */
static int
xbuf_grow(struct xbuf_targ *bt, uint64_t bno)
{
	uint64_t	nbits = bt->nbits ? bt->nbits : 256;
	uint64_t	*map;
	uint8_t		*state;

	while (nbits <= bno)
		nbits *= 2;
	if (nbits == bt->nbits)
		return 0;

	map = realloc(bt->map, nbits / 8);
	if (!map)
		return -ENOMEM;
	memset(map + bt->nbits / 64, 0, (nbits - bt->nbits) / 8);
	bt->map = map;

	state = realloc(bt->state, nbits);
	if (!state)
		return -ENOMEM;
	memset(state + bt->nbits, 0, nbits - bt->nbits);
	bt->state = state;
	bt->nbits = nbits;
	return 0;
}

/* The lowest clear bit at or above free_hint (may be past nbits). */
static uint64_t
xbuf_find_free(const struct xbuf_targ *bt)
{
	uint64_t	w = bt->free_hint / 64;
	uint64_t	word;

	if (w >= bt->nbits / 64)
		return bt->free_hint;
	/* Ignore bits below the hint in the first word. */
	word = bt->map[w] | ((1ULL << (bt->free_hint % 64)) - 1);
	while (word == UINT64_MAX) {
		if (++w >= bt->nbits / 64)
			return w * 64;
		word = bt->map[w];
	}
	return w * 64 + __builtin_ctzll(~word);
}

int
xbuf_alloc(struct xbuf_targ *bt, uint64_t *bnop)
{
	uint64_t	bno = xbuf_find_free(bt);
	int		error;

	error = xbuf_grow(bt, bno);
	if (error)
		return error;
	error = xfile_prealloc(bt->xf, bno << bt->blkshift, bt->blksize);
	if (error)
		return error;
	bt->map[bno / 64] |= 1ULL << (bno % 64);
	bt->state[bno] = 0;
	bt->nallocated++;
	bt->free_hint = bno + 1;
	*bnop = bno;
	return 0;
}

/*
 * True if every block sharing @bno's system page is free (or @bno's
 * blocks are at least a page each).
 */
static bool
xbuf_page_is_free(const struct xbuf_targ *bt, uint64_t bno)
{
	unsigned int	page_shift = bt->xf->page_shift;
	uint64_t	per_page, first, i;

	if (bt->blkshift >= page_shift)
		return true;
	per_page = 1ULL << (page_shift - bt->blkshift);
	first = bno & ~(per_page - 1);
	for (i = first; i < first + per_page; i++)
		if (xbuf_is_allocated(bt, i))
			return false;
	return true;
}

void
xbuf_free(struct xbuf_targ *bt, uint64_t bno)
{
	unsigned int	page_shift = bt->xf->page_shift;
	uint64_t	pos;

	bt->map[bno / 64] &= ~(1ULL << (bno % 64));
	bt->state[bno] = 0;
	bt->nallocated--;
	if (bno < bt->free_hint)
		bt->free_hint = bno;

	if (xbuf_page_is_free(bt, bno)) {
		/* Punch the whole page (or the whole block, if larger). */
		if (bt->blkshift >= page_shift) {
			pos = bno << bt->blkshift;
			xfile_discard(bt->xf, pos, bt->blksize);
		} else {
			pos = (bno << bt->blkshift) &
			      ~((1ULL << page_shift) - 1);
			xfile_discard(bt->xf, pos, 1ULL << page_shift);
		}
		/* A failed punch still leaves data; zero it by hand. */
		if (!xfile_page_is_held(bt->xf, bno << bt->blkshift))
			return;
	}
	memset(xbuf_addr(bt, bno), 0, bt->blksize);
}

int
xbuf_get(struct xbuf_targ *bt, uint64_t bno, xbuf_verify_fn verify,
		void *priv, void **addrp, const char **why)
{
	bool		bad_crc = false;
	const char	*fa;
	void		*addr;

	if (!xbuf_is_allocated(bt, bno)) {
		*why = "pointer to a block that is not allocated";
		return -EUCLEAN;
	}
	addr = xbuf_addr(bt, bno);
	if (!(xbuf_state(bt, bno) & (XBUF_TRUSTED | XBUF_DIRTY)) && verify) {
		fa = verify(addr, bno, priv, &bad_crc);
		if (fa) {
			*why = fa;
			return bad_crc ? -EBADMSG : -EUCLEAN;
		}
		xbuf_state_set(bt, bno, XBUF_TRUSTED);
	}
	*addrp = addr;
	return 0;
}

bool
xbuf_next_allocated(const struct xbuf_targ *bt, uint64_t bno,
		uint64_t *next)
{
	uint64_t	w = bno / 64;
	uint64_t	word;

	if (w >= bt->nbits / 64)
		return false;
	word = bt->map[w] & ~((1ULL << (bno % 64)) - 1);
	while (!word) {
		if (++w >= bt->nbits / 64)
			return false;
		word = bt->map[w];
	}
	*next = w * 64 + __builtin_ctzll(word);
	return true;
}
