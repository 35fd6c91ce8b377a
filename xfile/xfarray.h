/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfarray: a growable array of fixed-size elements in an xfile of its own.
 *
 * The staging area of a bulk load (as XFS online repair stages records in
 * an xfarray before it rebuilds a btree): elements are appended in any
 * order, sorted where they lie (no copy in heap memory), then read back
 * in order.
 *
 * Layout
 *	Element i lives at byte i * slot of the xfile, where slot is the
 *	element size rounded up to a power of two, so that no element ever
 *	straddles two of the xfile's mapped segments and an element's address
 *	is a shift and an add.  (The padding is memory the array holds for
 *	the length of a load; a 24-byte rmap record takes 32 bytes.)
 *
 *	 offset		what
 *	 0		element 0 (elsize bytes, then slot - elsize of zeros)
 *	 slot		element 1
 *	 ...
 *	 n * slot	end; pages past it are not held
 *
 *	Memory is preallocated a chunk of pages at a time as the array grows
 *	(so running out is -ENOSPC at append, never SIGBUS), and counts
 *	against the xfile memory cap like any xfile's.
 *
 * Sorting
 *	xfarray_sort() is an in-place introsort (quicksort, heapsort when the
 *	recursion goes too deep, insertion sort for small ranges) driven by a
 *	comparison function; with a radix prefix it is an in-place MSD radix
 *	sort (American flag sort) on the first radix_len bytes in memcmp()
 *	order, which must order the elements exactly as the comparison
 *	does.  Neither allocates memory proportional to n.
 *
 * Locking
 *	None: one user at a time.
 *
 * Errors
 *	0 or a negative errno.
 */
#ifndef XFILE_XFARRAY_H
#define XFILE_XFARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "xfile/xfile.h"

struct xfarray {
	struct xfile	*xf;
	unsigned int	elsize;		/* bytes the caller stores */
	unsigned int	slot_shift;	/* log2 of the slot size */
	uint64_t	nr;		/* elements stored */
	uint64_t	held;		/* bytes preallocated from 0 */
};

/* An empty array of @elsize-byte elements (1..4096). */
int xfarray_create(const char *descr, const char *tmpdir,
		unsigned int elsize, struct xfarray **ap);
void xfarray_destroy(struct xfarray *a);

static inline uint64_t
xfarray_length(const struct xfarray *a)
{
	return a->nr;
}

/* Mapped address of element @i (< length): read and write in place. */
static inline void *
xfarray_ptr(const struct xfarray *a, uint64_t i)
{
	return xfile_addr(a->xf, i << a->slot_shift);
}

/* Append a copy of @el.  -ENOSPC at the memory cap. */
int xfarray_append(struct xfarray *a, const void *el);
/* Make room for @n more elements now (one -ENOSPC instead of many). */
int xfarray_reserve(struct xfarray *a, uint64_t n);
/* Drop every element and give the memory back. */
void xfarray_truncate(struct xfarray *a);
/* Bytes of memory the array holds. */
uint64_t xfarray_bytes(const struct xfarray *a);

/*
 * Sort in place.  @cmp orders two elements (negative, zero, positive).
 * If @radix_len is not 0 (at most the element size), the first
 * @radix_len bytes of an element in memcmp() order order the elements
 * exactly as @cmp does; the sort is then a radix sort, and @cmp is used
 * only on small ranges.
 * @progress, if not NULL, is called now and then with the number of
 * elements known to be in their final place.
 */
typedef int (*xfarray_cmp_fn)(const void *a, const void *b, void *priv);
typedef void (*xfarray_progress_fn)(uint64_t done, void *priv);
void xfarray_sort(struct xfarray *a, xfarray_cmp_fn cmp,
		unsigned int radix_len, xfarray_progress_fn progress,
		void *priv);

#endif /* XFILE_XFARRAY_H */
