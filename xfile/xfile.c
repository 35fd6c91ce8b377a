/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfile.c: sparse memory files, mapped in segments (see xfile.h for the
 * contract).
 *
 * Data structures
 *	struct xfile (public, xfile.h) holds the file descriptor, the segment
 *	table and the held-page bitmap.  Both tables are flat arrays indexed
 *	by pos >> XFILE_SEG_SHIFT and pos >> page_shift; they only grow, and
 *	new entries are zero (not mapped, not held).  Both double when they
 *	grow (amortised), up to their size for XFILE_MAX_SIZE: 8 MiB for the
 *	segment table, 2 GiB with 4 KiB pages for the bitmap.  Process-wide
 *	state is two atomics: bytes used by all xfiles and the cap.  Page
 *	preallocation is an allocation point of the fault injector
 *	(xmem_fault(XMEM_PAGES), see xmem.h).
 *
 * Invariants
 *	- A page is held (its bit is set) iff it was fallocated by
 *	  xfile_prealloc() and not punched since; every page that is not held
 *	  is a hole in the file.
 *	- held_pages is the number of bits set in @held, and the global used
 *	  counter is the sum of xfile_bytes() over all live xfiles.
 *	- A held page lies in a mapped segment, and the file size covers every
 *	  mapped segment.  Segments are never unmapped before xfile_destroy(),
 *	  except those a failing xfile_prealloc() mapped itself, so a pointer
 *	  into a held page never moves.
 *
 * Implementation choices
 *	- fallocate before touching: a write fault on a hole of a memfd or
 *	  of a file on a full tmpdir cannot report an error and kills the
 *	  process with SIGBUS.  Allocating the pages with fallocate(2) first
 *	  turns that into -ENOSPC from xfile_prealloc(), and afterwards every
 *	  access through the mapping hits memory that is already there.
 *	- MAP_NORESERVE: a segment is 64 MiB of address space of which only
 *	  the fallocated pages are ever used.  Memory is accounted page by
 *	  page against our own cap, so the mapping asks the kernel not to
 *	  reserve commit charge for the whole segment.  (For MAP_SHARED
 *	  mappings Linux charges the file rather than the mapping, so this
 *	  states the intent and keeps it true where it would matter.)
 *	- The held bitmap: it answers xfile_bytes() and xfile_page_is_held()
 *	  without a system call, lets xfile_load() return zeros for holes
 *	  instead of reading them through the mapping (a read fault on a hole
 *	  of a shared shmem mapping allocates a page), gives SEEK_DATA and
 *	  SEEK_HOLE at page granularity whatever the block size of the tmpdir,
 *	  and keeps the cap counter exact: only pages we hold are released.
 *	  All scans go a 64-bit word at a time, and runs of pages of the same
 *	  kind become one fallocate(2) call each.
 *	- The bitmap grows by zalloc + copy rather than realloc + memset, so
 *	  that a page allocated far away leaves the zero words in between as
 *	  untouched (lazily zeroed) memory instead of writing them all.
 *
 * Locking
 *	None inside an xfile (the caller serialises changes, see xfile.h).
 *	The used counter is only raised by a compare-and-swap loop that checks
 *	the cap, so concurrent xfiles never take it past the cap.
 *
 * Errors
 *	Every fallible function returns 0 or a negative errno, taken from
 *	errno right after the failing call.  On error, xfile_prealloc() and
 *	xfile_store() leave no new page held, no cap reserved and no new
 *	segment mapped; the file size and the two tables may have grown
 *	(sparse, and all zero past what is held).
 *
 * Related files: xfile.h (contract), xbuf.c (block cache on top),
 * tests/check_xfile.c (unit suite).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "xfile/xfile.h"
#include "xfile/xmem.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL		0x0008U
#endif

/* Longest memfd name the kernel takes is 249 bytes; stay well below. */
#define XFILE_MEMFD_NAME_MAX	200

#define XFILE_MAX_SEGS		(XFILE_MAX_SIZE >> XFILE_SEG_SHIFT)

static _Atomic uint64_t		xfile_used;	/* bytes held */
static _Atomic uint64_t		xfile_cap;	/* 0: no cap */

static inline uint64_t
xfile_page_size(const struct xfile *xf)
{
	return 1ULL << xf->page_shift;
}

/* Number of pages an xfile can ever hold (bits in a full bitmap). */
static inline uint64_t
xfile_max_pages(const struct xfile *xf)
{
	return XFILE_MAX_SIZE >> xf->page_shift;
}

/* Bits of bitmap word @w that fall inside the page range [@first, @end). */
static inline uint64_t
xfile_word_mask(uint64_t w, uint64_t first, uint64_t end)
{
	uint64_t	lo = w * 64;
	uint64_t	mask = ~0ULL;

	if (first > lo)
		mask &= ~0ULL << (first - lo);
	if (end < lo + 64)
		mask &= (1ULL << (end - lo)) - 1;
	return mask;
}

/*
 * First page in [@pg, @limit) whose held state is @held, or @limit if there
 * is none.  Pages past the end of the bitmap are not held.
 */
static uint64_t
xfile_find_page(const struct xfile *xf, uint64_t pg, uint64_t limit,
		bool held)
{
	uint64_t	w;
	uint64_t	word;
	uint64_t	found;

	while (pg < limit) {
		w = pg / 64;
		if (w >= xf->held_words)
			return held ? limit : pg;
		word = held ? xf->held[w] : ~xf->held[w];
		word &= ~0ULL << (pg % 64);
		if (word) {
			found = w * 64 + (uint64_t)__builtin_ctzll(word);
			return found < limit ? found : limit;
		}
		pg = (w + 1) * 64;
	}
	return limit;
}

/* Number of held pages in [@first, @end). */
static uint64_t
xfile_count_held(const struct xfile *xf, uint64_t first, uint64_t end)
{
	uint64_t	w;
	uint64_t	last_w;
	uint64_t	n = 0;

	if (end > xf->held_words * 64)
		end = xf->held_words * 64;
	if (first >= end)
		return 0;
	last_w = (end - 1) / 64;
	for (w = first / 64; w <= last_w; w++)
		n += (uint64_t)__builtin_popcountll(xf->held[w] &
				xfile_word_mask(w, first, end));
	return n;
}

/* Set (@held) or clear the bits of [@first, @end); the bitmap covers it. */
static void
xfile_mark_pages(struct xfile *xf, uint64_t first, uint64_t end, bool held)
{
	uint64_t	w;
	uint64_t	last_w;
	uint64_t	mask;

	if (first >= end)
		return;
	last_w = (end - 1) / 64;
	for (w = first / 64; w <= last_w; w++) {
		mask = xfile_word_mask(w, first, end);
		if (held)
			xf->held[w] |= mask;
		else
			xf->held[w] &= ~mask;
	}
}

/* Range check shared by prealloc, load and store. */
static inline int
xfile_check_range(uint64_t pos, uint64_t len)
{
	if (len > XFILE_MAX_SIZE || pos > XFILE_MAX_SIZE - len)
		return -EFBIG;
	return 0;
}

/*
 * Reserve @bytes against the process-wide cap.  Returns 0, or -ENOSPC
 * without reserving anything if that would take the total past the cap.
 */
static int
xfile_reserve(uint64_t bytes)
{
	uint64_t	used = atomic_load(&xfile_used);
	uint64_t	cap;

	do {
		cap = atomic_load(&xfile_cap);
		if (cap && (bytes > cap || used > cap - bytes))
			return -ENOSPC;
	} while (!atomic_compare_exchange_weak(&xfile_used, &used,
					       used + bytes));
	return 0;
}

static inline void
xfile_unreserve(uint64_t bytes)
{
	atomic_fetch_sub(&xfile_used, bytes);
}

/*
 * The new length of a table of @have entries that must hold @want: twice
 * @have (amortised growth), but no more than @max and no less than @want.
 */
static uint64_t
xfile_grown(uint64_t have, uint64_t want, uint64_t max)
{
	uint64_t	n = have * 2;

	if (n > max)
		n = max;
	return n < want ? want : n;
}

/*
 * Make the bitmap cover the first @pages pages.  New words are zero.
 * Returns 0 or -ENOMEM (the bitmap is unchanged then).
 */
static int
xfile_grow_bitmap(struct xfile *xf, uint64_t pages)
{
	uint64_t	want = (pages + 63) / 64;
	uint64_t	max = xfile_max_pages(xf) / 64;
	uint64_t	n;
	uint64_t	*held;

	if (want <= xf->held_words)
		return 0;
	n = xfile_grown(xf->held_words, want, max);
	held = xmem_zalloc(n * sizeof(*held));
	if (!held)
		return -ENOMEM;
	if (xf->held_words)
		memcpy(held, xf->held, xf->held_words * sizeof(*held));
	xmem_free(xf->held);
	xf->held = held;
	xf->held_words = n;
	return 0;
}

/*
 * Make the segment table hold at least @nseg entries.  New entries are
 * NULL.  Returns 0 or -ENOMEM (the table is unchanged then).
 */
static int
xfile_grow_segs(struct xfile *xf, uint64_t nseg)
{
	uint64_t	n;
	uint8_t		**seg;

	if (nseg <= xf->nseg)
		return 0;
	n = xfile_grown(xf->nseg, nseg, XFILE_MAX_SEGS);
	seg = xmem_realloc(xf->seg, n, sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	memset(seg + xf->nseg, 0, (n - xf->nseg) * sizeof(*seg));
	xf->seg = seg;
	xf->nseg = n;
	return 0;
}

/*
 * Unmap the segments of [@first, @end) whose bit is set in @new (bit i for
 * segment @first + i), i.e. the ones xfile_map_segs() mapped.
 */
static void
xfile_unmap_segs(struct xfile *xf, uint64_t first, uint64_t end,
		 const uint64_t *new)
{
	uint64_t	i;
	uint64_t	b;

	for (i = first; i < end; i++) {
		b = i - first;
		if (!((new[b / 64] >> (b % 64)) & 1))
			continue;
		munmap(xf->seg[i], XFILE_SEG_SIZE);
		xf->seg[i] = NULL;
	}
}

/*
 * Map every segment of [@first, @end) that is not mapped yet, after growing
 * the file so that it covers them.  On success *@newp is NULL if nothing
 * was mapped, else a bitmap of the segments this call mapped (bit i for
 * segment @first + i) for xfile_unmap_segs(), which the caller frees.
 * Returns 0 or a negative errno; on error nothing new is mapped.
 */
static int
xfile_map_segs(struct xfile *xf, uint64_t first, uint64_t end,
	       uint64_t **newp)
{
	uint64_t	*new;
	uint64_t	top = end;
	uint64_t	size;
	uint64_t	i;
	uint64_t	b;
	void		*p;
	int		error;

	*newp = NULL;
	error = xfile_grow_segs(xf, end);
	if (error)
		return error;
	for (i = first; i < end; i++) {
		if (!xf->seg[i])
			top = i;
	}
	if (top == end)
		return 0;

	new = xmem_zalloc((end - first + 63) / 64 * sizeof(*new));
	if (!new)
		return -ENOMEM;

	size = (top + 1) << XFILE_SEG_SHIFT;
	if (size > xf->size) {
		if (ftruncate(xf->fd, (off_t)size)) {
			error = -errno;
			goto out_free;
		}
		xf->size = size;
	}

	for (i = first; i < end; i++) {
		if (xf->seg[i])
			continue;
		p = mmap(NULL, XFILE_SEG_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, xf->fd,
			 (off_t)(i << XFILE_SEG_SHIFT));
		if (p == MAP_FAILED) {
			error = -errno;
			goto out_unmap;
		}
		xf->seg[i] = p;
		b = i - first;
		new[b / 64] |= 1ULL << (b % 64);
	}
	*newp = new;
	return 0;

out_unmap:
	xfile_unmap_segs(xf, first, i, new);
out_free:
	xmem_free(new);
	return error;
}

/*
 * Run fallocate(2) with @mode over every run of pages in [@first, @end)
 * whose held state is @held.  Returns 0, or a negative errno with *@stop
 * set to the end of the run that failed (runs before it were done).
 */
static int
xfile_falloc_runs(struct xfile *xf, uint64_t first, uint64_t end, bool held,
		  int mode, uint64_t *stop)
{
	uint64_t	start;
	uint64_t	pg = first;

	while (pg < end) {
		start = xfile_find_page(xf, pg, end, held);
		if (start == end)
			break;
		pg = xfile_find_page(xf, start, end, !held);
		if (fallocate(xf->fd, mode, (off_t)(start << xf->page_shift),
			      (off_t)((pg - start) << xf->page_shift))) {
			*stop = pg;
			return -errno;
		}
	}
	return 0;
}

int
xfile_create(const char *descr, const char *tmpdir, struct xfile **xfp)
{
	char		name[XFILE_MEMFD_NAME_MAX + 1];
	struct xfile	*xf;
	long		pagesize;
	int		error;

	pagesize = sysconf(_SC_PAGESIZE);
	if (pagesize <= 0 || (pagesize & (pagesize - 1)))
		return -EINVAL;
	if (!descr)
		descr = "xfile";

	xf = xmem_zalloc(sizeof(*xf));
	if (!xf)
		return -ENOMEM;
	xf->fd = -1;
	xf->page_shift = (unsigned int)__builtin_ctzl((unsigned long)pagesize);
	xf->descr = xmem_strdup(descr);
	if (!xf->descr) {
		error = -ENOMEM;
		goto out_free;
	}

	if (tmpdir) {
		xf->fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	} else {
		snprintf(name, sizeof(name), "%s", descr);
		xf->fd = memfd_create(name, MFD_CLOEXEC | MFD_NOEXEC_SEAL);
		if (xf->fd < 0 && errno == EINVAL)
			xf->fd = memfd_create(name, MFD_CLOEXEC);
	}
	if (xf->fd < 0) {
		error = -errno;
		goto out_descr;
	}

	*xfp = xf;
	return 0;

out_descr:
	xmem_free(xf->descr);
out_free:
	xmem_free(xf);
	return error;
}

void
xfile_destroy(struct xfile *xf)
{
	uint64_t	i;

	if (!xf)
		return;
	for (i = 0; i < xf->nseg; i++) {
		if (xf->seg[i])
			munmap(xf->seg[i], XFILE_SEG_SIZE);
	}
	if (xf->fd >= 0)
		close(xf->fd);
	xfile_unreserve(xf->held_pages << xf->page_shift);
	xmem_free(xf->seg);
	xmem_free(xf->held);
	xmem_free(xf->descr);
	xmem_free(xf);
}

void
xfile_set_trace(struct xfile *xf, xfile_trace_fn fn, void *priv)
{
	xf->trace_fn = fn;
	xf->trace_priv = priv;
}

int
xfile_prealloc(struct xfile *xf, uint64_t pos, uint64_t len)
{
	uint64_t	first;
	uint64_t	end;
	uint64_t	new_pages;
	uint64_t	seg_first;
	uint64_t	seg_end;
	uint64_t	stop;
	uint64_t	*new_segs;
	int		error;

	error = xfile_check_range(pos, len);
	if (error || len == 0)
		return error;

	first = pos >> xf->page_shift;
	end = (pos + len + xfile_page_size(xf) - 1) >> xf->page_shift;
	new_pages = (end - first) - xfile_count_held(xf, first, end);
	if (new_pages == 0)
		return 0;

	error = xmem_fault(XMEM_PAGES);
	if (error)
		return error;
	error = xfile_reserve(new_pages << xf->page_shift);
	if (error)
		return error;
	error = xfile_grow_bitmap(xf, end);
	if (error)
		goto out_unreserve;

	seg_first = pos >> XFILE_SEG_SHIFT;
	seg_end = ((pos + len - 1) >> XFILE_SEG_SHIFT) + 1;
	error = xfile_map_segs(xf, seg_first, seg_end, &new_segs);
	if (error)
		goto out_unreserve;

	error = xfile_falloc_runs(xf, first, end, false, 0, &stop);
	if (error)
		goto out_punch;

	xfile_mark_pages(xf, first, end, true);
	xf->held_pages += new_pages;
	xmem_free(new_segs);
	if (xf->trace_fn)
		xf->trace_fn(xf->trace_priv, true, first << xf->page_shift,
			     new_pages << xf->page_shift);
	return 0;

out_punch:
	/* The failed run may be partly allocated: punch it too. */
	xfile_falloc_runs(xf, first, stop, false,
			  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, &stop);
	if (new_segs)
		xfile_unmap_segs(xf, seg_first, seg_end, new_segs);
	xmem_free(new_segs);
out_unreserve:
	xfile_unreserve(new_pages << xf->page_shift);
	return error;
}

int
xfile_discard(struct xfile *xf, uint64_t pos, uint64_t len)
{
	uint64_t	first;
	uint64_t	end;
	uint64_t	start;
	uint64_t	pg;
	uint64_t	n;
	int		error = 0;

	/* Whole pages only: round the start up and the end down. */
	first = (pos >> xf->page_shift) +
		((pos & (xfile_page_size(xf) - 1)) != 0);
	if (len > UINT64_MAX - pos)
		end = UINT64_MAX >> xf->page_shift;
	else
		end = (pos + len) >> xf->page_shift;
	if (end > xf->held_words * 64)
		end = xf->held_words * 64;

	pg = first;
	while (pg < end) {
		start = xfile_find_page(xf, pg, end, true);
		if (start == end)
			break;
		pg = xfile_find_page(xf, start, end, false);
		n = pg - start;
		if (fallocate(xf->fd,
			      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)(start << xf->page_shift),
			      (off_t)(n << xf->page_shift))) {
			/* Runs before this one are gone and accounted. */
			error = -errno;
			break;
		}
		xfile_mark_pages(xf, start, pg, false);
		xf->held_pages -= n;
		xfile_unreserve(n << xf->page_shift);
		if (xf->trace_fn)
			xf->trace_fn(xf->trace_priv, false,
				     start << xf->page_shift,
				     n << xf->page_shift);
	}
	return error;
}

int
xfile_load(struct xfile *xf, void *buf, size_t len, uint64_t pos)
{
	uint8_t		*dst = buf;
	uint64_t	end;
	uint64_t	end_pg;
	uint64_t	pg;
	uint64_t	next;
	uint64_t	chunk_end;
	uint64_t	seg_end;
	bool		held;
	int		error;

	error = xfile_check_range(pos, len);
	if (error)
		return error;

	end = pos + len;
	end_pg = (end + xfile_page_size(xf) - 1) >> xf->page_shift;
	while (pos < end) {
		pg = pos >> xf->page_shift;
		held = xfile_page_is_held(xf, pos);
		next = xfile_find_page(xf, pg, end_pg, !held);
		chunk_end = next << xf->page_shift;
		if (chunk_end > end)
			chunk_end = end;
		if (held) {
			seg_end = ((pos >> XFILE_SEG_SHIFT) + 1) <<
				  XFILE_SEG_SHIFT;
			if (chunk_end > seg_end)
				chunk_end = seg_end;
			memcpy(dst, xfile_addr(xf, pos), chunk_end - pos);
		} else {
			memset(dst, 0, chunk_end - pos);
		}
		dst += chunk_end - pos;
		pos = chunk_end;
	}
	return 0;
}

int
xfile_store(struct xfile *xf, const void *buf, size_t len, uint64_t pos)
{
	const uint8_t	*src = buf;
	uint64_t	end;
	uint64_t	chunk_end;
	int		error;

	error = xfile_prealloc(xf, pos, len);
	if (error)
		return error;

	end = pos + len;
	while (pos < end) {
		chunk_end = ((pos >> XFILE_SEG_SHIFT) + 1) << XFILE_SEG_SHIFT;
		if (chunk_end > end)
			chunk_end = end;
		memcpy(xfile_addr(xf, pos), src, chunk_end - pos);
		src += chunk_end - pos;
		pos = chunk_end;
	}
	return 0;
}

int
xfile_seek(const struct xfile *xf, uint64_t pos, int whence, uint64_t *res)
{
	uint64_t	pg = pos >> xf->page_shift;
	uint64_t	max = xfile_max_pages(xf);
	uint64_t	found = max;
	int		error = 0;

	switch (whence) {
	case SEEK_DATA:
		/* Nothing is held at or past XFILE_MAX_SIZE. */
		if (pg < max)
			found = xfile_find_page(xf, pg, max, true);
		if (found == max)
			error = -ENXIO;
		break;
	case SEEK_HOLE:
		/* Past XFILE_MAX_SIZE everything is hole: pos itself. */
		found = pg < max ? xfile_find_page(xf, pg, max, false) : pg;
		break;
	default:
		error = -EINVAL;
		break;
	}
	if (!error)
		*res = found == pg ? pos : found << xf->page_shift;
	return error;
}

void
xfile_set_memory_cap(uint64_t bytes)
{
	atomic_store(&xfile_cap, bytes);
}

uint64_t
xfile_memory_cap(void)
{
	return atomic_load(&xfile_cap);
}

uint64_t
xfile_memory_used(void)
{
	return atomic_load(&xfile_used);
}

