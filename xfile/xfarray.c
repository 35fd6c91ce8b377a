// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfarray.c: a growable array of fixed-size elements in an xfile, and its
 * in-place sorts.  See xfarray.h for the layout.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xfile/xfarray.h"
#include "xfile/xmem.h"

/* Memory is taken this many bytes at a time as the array grows. */
#define XFARRAY_CHUNK		(1U << 20)
/* Ranges this short are sorted by insertion. */
#define XFARRAY_SMALL		24
/*
 * The radix sort recurses a byte deeper per level, with three 256-entry
 * tables a frame; past this depth a range goes to the introsort instead,
 * so the stack stays small whatever the radix length.
 */
#define XFARRAY_RADIX_DEPTH	16
/* Report progress after this many elements have found their place. */
#define XFARRAY_PROGRESS_STEP	(1U << 16)

int
xfarray_create(const char *descr, const char *tmpdir, unsigned int elsize,
		struct xfarray **ap)
{
	struct xfarray	*a;
	unsigned int	shift = 0;
	int		error;

	if (elsize == 0 || elsize > 4096)
		return -EINVAL;
	while ((1U << shift) < elsize)
		shift++;
	a = xmem_zalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	error = xfile_create(descr, tmpdir, &a->xf);
	if (error) {
		xmem_free(a);
		return error;
	}
	a->elsize = elsize;
	a->slot_shift = shift;
	*ap = a;
	return 0;
}

void
xfarray_destroy(struct xfarray *a)
{
	if (!a)
		return;
	xfile_destroy(a->xf);
	xmem_free(a);
}

int
xfarray_reserve(struct xfarray *a, uint64_t n)
{
	uint64_t	need, want;
	int		error;

	if (n > (XFILE_MAX_SIZE >> a->slot_shift) - a->nr)
		return -EFBIG;
	need = (a->nr + n) << a->slot_shift;
	if (need <= a->held)
		return 0;
	/* A chunk at a time; at the cap, just what is needed. */
	want = (need + XFARRAY_CHUNK - 1) & ~(uint64_t)(XFARRAY_CHUNK - 1);
	if (want > XFILE_MAX_SIZE)
		want = XFILE_MAX_SIZE;
	error = xfile_prealloc(a->xf, a->held, want - a->held);
	if (error == -ENOSPC) {
		want = (need + (1ULL << a->xf->page_shift) - 1) &
		       ~((1ULL << a->xf->page_shift) - 1);
		error = xfile_prealloc(a->xf, a->held, want - a->held);
	}
	if (error)
		return error;
	a->held = want;
	return 0;
}

int
xfarray_append(struct xfarray *a, const void *el)
{
	int		error;

	if (((a->nr + 1) << a->slot_shift) > a->held) {
		error = xfarray_reserve(a, 1);
		if (error)
			return error;
	}
	memcpy(xfarray_ptr(a, a->nr), el, a->elsize);
	a->nr++;
	return 0;
}

void
xfarray_truncate(struct xfarray *a)
{
	if (a->held)
		xfile_discard(a->xf, 0, a->held);
	a->nr = 0;
	a->held = 0;
}

uint64_t
xfarray_bytes(const struct xfarray *a)
{
	return xfile_bytes(a->xf);
}

/* ---- sorting -------------------------------------------------------- */

struct xfarray_sort {
	struct xfarray		*a;
	xfarray_cmp_fn		cmp;
	void			*priv;
	unsigned int		radix_len;
	xfarray_progress_fn	progress;
	uint64_t		done;		/* elements in final place */
	uint64_t		reported;
	uint8_t			*tmp;		/* one element */
};

static inline uint8_t *
xfs_el(struct xfarray_sort *s, uint64_t i)
{
	return xfarray_ptr(s->a, i);
}

/*
 * Copy one element of @len bytes.  The sizes the record types stage (kv
 * 16, refcount 12 and rmap 24 bytes; 8 for plain keys) get a memcpy of
 * constant size, which the compiler makes a move or two; a call into
 * libc per element was half the time of a sort of 100M kv records.
 */
static inline void
xfs_copy(void *dst, const void *src, unsigned int len)
{
	switch (len) {
	case 8:
		memcpy(dst, src, 8);
		break;
	case 12:
		memcpy(dst, src, 12);
		break;
	case 16:
		memcpy(dst, src, 16);
		break;
	case 24:
		memcpy(dst, src, 24);
		break;
	default:
		memcpy(dst, src, len);
	}
}

static inline void
xfs_swap(struct xfarray_sort *s, uint64_t i, uint64_t j)
{
	unsigned int	len = s->a->elsize;
	uint8_t		*x = xfs_el(s, i), *y = xfs_el(s, j);

	xfs_copy(s->tmp, x, len);
	xfs_copy(x, y, len);
	xfs_copy(y, s->tmp, len);
}

static inline int
xfs_cmp(struct xfarray_sort *s, uint64_t i, uint64_t j)
{
	return s->cmp(xfs_el(s, i), xfs_el(s, j), s->priv);
}

static void
xfs_placed(struct xfarray_sort *s, uint64_t n)
{
	s->done += n;
	if (s->progress && s->done - s->reported >= XFARRAY_PROGRESS_STEP) {
		s->reported = s->done;
		s->progress(s->done, s->priv);
	}
}

/* Insertion sort of [lo, hi). */
static void
xfs_insertion(struct xfarray_sort *s, uint64_t lo, uint64_t hi)
{
	unsigned int	len = s->a->elsize;
	uint64_t	i, j;

	for (i = lo + 1; i < hi; i++) {
		if (xfs_cmp(s, i - 1, i) <= 0)
			continue;
		xfs_copy(s->tmp, xfs_el(s, i), len);
		j = i;
		do {
			xfs_copy(xfs_el(s, j), xfs_el(s, j - 1), len);
			j--;
		} while (j > lo && s->cmp(xfs_el(s, j - 1), s->tmp,
					  s->priv) > 0);
		xfs_copy(xfs_el(s, j), s->tmp, len);
	}
	xfs_placed(s, hi - lo);
}

/* Heapsort of [lo, hi): the fallback when quicksort degenerates. */
static void
xfs_sift_down(struct xfarray_sort *s, uint64_t lo, uint64_t root,
		uint64_t n)
{
	uint64_t	child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && xfs_cmp(s, lo + child, lo + child + 1) < 0)
			child++;
		if (xfs_cmp(s, lo + root, lo + child) >= 0)
			return;
		xfs_swap(s, lo + root, lo + child);
		root = child;
	}
}

static void
xfs_heapsort(struct xfarray_sort *s, uint64_t lo, uint64_t hi)
{
	uint64_t	n = hi - lo, i;

	for (i = n / 2; i-- > 0;)
		xfs_sift_down(s, lo, i, n);
	for (i = n; i-- > 1;) {
		xfs_swap(s, lo, lo + i);
		xfs_sift_down(s, lo, 0, i);
	}
	xfs_placed(s, n);
}

/*
 * Introsort of [lo, hi): median-of-three quicksort, recursing into the
 * smaller side and looping on the larger (so the stack stays O(log n)),
 * heapsort once @depth runs out.
 */
static void
xfs_introsort(struct xfarray_sort *s, uint64_t lo, uint64_t hi,
		unsigned int depth)
{
	uint64_t	mid, i, j;

	while (hi - lo > XFARRAY_SMALL) {
		if (depth-- == 0) {
			xfs_heapsort(s, lo, hi);
			return;
		}
		/* Median of three into lo: then lo is the pivot. */
		mid = lo + (hi - lo) / 2;
		if (xfs_cmp(s, mid, lo) < 0)
			xfs_swap(s, mid, lo);
		if (xfs_cmp(s, hi - 1, mid) < 0) {
			xfs_swap(s, hi - 1, mid);
			if (xfs_cmp(s, mid, lo) < 0)
				xfs_swap(s, mid, lo);
		}
		xfs_swap(s, lo, mid);
		/* Hoare partition around the pivot at lo. */
		i = lo;
		j = hi;
		for (;;) {
			do {
				i++;
			} while (i < hi && xfs_cmp(s, i, lo) < 0);
			do {
				j--;
			} while (xfs_cmp(s, j, lo) > 0);
			if (i >= j)
				break;
			xfs_swap(s, i, j);
		}
		xfs_swap(s, lo, j);
		xfs_placed(s, 1);
		if (j - lo < hi - (j + 1)) {
			xfs_introsort(s, lo, j, depth);
			lo = j + 1;
		} else {
			xfs_introsort(s, j + 1, hi, depth);
			hi = j;
		}
	}
	xfs_insertion(s, lo, hi);
}

/*
 * American flag sort of [lo, hi) on byte @d and the ones after it: count
 * the elements of each byte value, then move every element into its
 * bucket by following cycles of swaps, then sort each bucket on the next
 * byte.  Elements equal in all radix_len bytes are equal for cmp too, so
 * the last byte needs no further sort.
 */
static void
xfs_radix(struct xfarray_sort *s, uint64_t lo, uint64_t hi, unsigned int d)
{
	uint64_t	count[256], next[256], end[256];
	uint64_t	i, pos, n;
	unsigned int	b, c;

	if (hi - lo <= XFARRAY_SMALL) {
		xfs_insertion(s, lo, hi);
		return;
	}
	if (d >= XFARRAY_RADIX_DEPTH) {
		for (n = hi - lo, c = 0; n; n >>= 1)
			c += 2;
		xfs_introsort(s, lo, hi, c);
		return;
	}
	memset(count, 0, sizeof(count));
	for (i = lo; i < hi; i++)
		count[xfs_el(s, i)[d]]++;
	pos = lo;
	for (b = 0; b < 256; b++) {
		next[b] = pos;
		pos += count[b];
		end[b] = pos;
	}
	for (b = 0; b < 256; b++) {
		while (next[b] < end[b]) {
			c = xfs_el(s, next[b])[d];
			if (c == b)
				next[b]++;
			else
				xfs_swap(s, next[b], next[c]++);
		}
	}
	pos = lo;
	for (b = 0; b < 256; b++) {
		if (count[b] > 1 && d + 1 < s->radix_len)
			xfs_radix(s, pos, pos + count[b], d + 1);
		else
			xfs_placed(s, count[b]);
		pos += count[b];
	}
}

void
xfarray_sort(struct xfarray *a, xfarray_cmp_fn cmp, unsigned int radix_len,
		xfarray_progress_fn progress, void *priv)
{
	struct xfarray_sort	s = {
		.a = a, .cmp = cmp, .priv = priv, .progress = progress,
		.radix_len = radix_len < a->elsize ? radix_len : a->elsize,
	};
	uint8_t			tmp[4096];
	unsigned int		depth = 0;
	uint64_t		n;

	if (a->nr < 2)
		return;
	s.tmp = tmp;
	if (s.radix_len) {
		xfs_radix(&s, 0, a->nr, 0);
	} else {
		for (n = a->nr; n; n >>= 1)
			depth += 2;
		xfs_introsort(&s, 0, a->nr, depth);
	}
	if (progress)
		progress(a->nr, priv);
}
