/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfile: a sparse memory file, mapped.
 *
 * An xfile is a file that lives in memory: a memfd, or an O_TMPFILE file in
 * a directory the caller names (for data sets larger than RAM).  It starts
 * empty, grows as ranges are allocated, and gives memory back when ranges
 * are discarded (punched out).  Nothing is ever copied through read(2) or
 * write(2): the file is mapped MAP_SHARED in fixed-size segments, and
 * xfile_addr() turns a byte position into a stable pointer.
 *
 * Segments
 *	The file is mapped in XFILE_SEG_SIZE pieces, each its own mmap(2),
 *	created the first time a range inside it is allocated and never moved
 *	afterwards.  Pointers returned by xfile_addr() therefore stay valid
 *	until xfile_destroy().  A segment table maps pos >> XFILE_SEG_SHIFT to
 *	the segment's base address.  An object must not straddle two segments;
 *	callers use power-of-two objects no larger than 64 KiB, aligned to
 *	their size, which never do.
 *
 * Held pages
 *	The xfile keeps a bitmap of the system pages it holds.  A page is held
 *	from xfile_prealloc() (fallocate: the memory is really there, so a
 *	full tmpdir or the memory cap gives -ENOSPC here and never SIGBUS on
 *	access) until xfile_discard() punches it.  The bitmap gives
 *	xfile_bytes() without a system call, keeps xfile_load() from faulting
 *	in holes (it reads them as zeros), and drives SEEK_DATA/SEEK_HOLE.
 *
 * Memory cap
 *	All xfiles of a process share one cap (xfile_set_memory_cap(); 0 means
 *	none).  Allocating a page that would take the total past the cap fails
 *	with -ENOSPC and allocates nothing.
 *
 * Fault injection (tests)
 *	Each page-allocating xfile_prealloc() call is an allocation point of
 *	kind XMEM_PAGES of the fault injector in xmem.h: an armed fault makes
 *	it fail with the chosen errno, holding nothing new.
 *
 * Locking
 *	The xfile takes no locks; the caller serialises calls that change it
 *	(prealloc, discard, store) against everything else on the same
 *	xfile.  Concurrent xfile_addr()/xfile_load() calls are fine.  The cap
 *	is an atomic shared by all xfiles.
 *
 * Errors
 *	Every fallible function returns 0 or a negative errno.
 */
#ifndef XFILE_XFILE_H
#define XFILE_XFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xfile/xassert.h"

#define XFILE_SEG_SHIFT		26			/* 64 MiB segments */
#define XFILE_SEG_SIZE		(1ULL << XFILE_SEG_SHIFT)
#define XFILE_MAX_SIZE		(1ULL << 46)		/* 64 TiB of range */

/* A grow or punch of an xfile's pages (xfile_set_trace()). */
typedef void (*xfile_trace_fn)(void *priv, bool grow, uint64_t off,
			       uint64_t bytes);

struct xfile {
	int		fd;		/* memfd or O_TMPFILE file */
	unsigned int	page_shift;	/* log2 of the system page size */
	uint8_t		**seg;		/* segment base addresses, or NULL */
	uint64_t	nseg;		/* entries in @seg */
	uint64_t	*held;		/* bitmap of held pages */
	uint64_t	held_words;	/* 64-bit words in @held */
	uint64_t	held_pages;	/* bits set in @held */
	uint64_t	size;		/* file size: end of the last segment */
	char		*descr;		/* for messages */
	/* xfile_set_trace(): told of every grow and punch, or NULL */
	xfile_trace_fn	trace_fn;
	void		*trace_priv;
};

/*
 * Tell @fn of every change in the pages held: xfile_prealloc() growing
 * them (@grow true) and xfile_discard() punching them out, as the byte
 * range [@off, @off + @bytes) of whole pages.  @fn NULL: nobody (the
 * default; then the cost is one branch).  Same thread rules as the rest.
 */
void xfile_set_trace(struct xfile *xf, xfile_trace_fn fn, void *priv);

/*
 * Create an empty xfile.  @descr names it in messages (and in the memfd's
 * name).  @tmpdir NULL means a memfd; otherwise an O_TMPFILE file in that
 * directory.  Returns 0 and sets *@xfp, or a negative errno.
 */
int xfile_create(const char *descr, const char *tmpdir, struct xfile **xfp);

/* Unmap and close; every pointer from xfile_addr() dies here. */
void xfile_destroy(struct xfile *xf);

/*
 * Make the bytes [@pos, @pos + @len) really held: map the segments they
 * fall in and fallocate every page not yet held.  Counts new pages against
 * the memory cap.  Returns 0, -ENOSPC (cap or a full tmpdir), -EFBIG (past
 * XFILE_MAX_SIZE) or another negative errno; on error nothing new is held.
 */
int xfile_prealloc(struct xfile *xf, uint64_t pos, uint64_t len);

/*
 * Give back the memory of every whole page inside [@pos, @pos + @len)
 * (punch a hole); partial pages at either end are left alone.  The range
 * then reads as zeros.  Returns 0 or a negative errno.
 */
int xfile_discard(struct xfile *xf, uint64_t pos, uint64_t len);

/*
 * Copy @len bytes at @pos out to @buf.  Holes (pages not held) read as
 * zeros and are not faulted in.  Returns 0 or a negative errno (-EFBIG
 * for a range past XFILE_MAX_SIZE).
 */
int xfile_load(struct xfile *xf, void *buf, size_t len, uint64_t pos);

/*
 * Copy @len bytes from @buf into the file at @pos, allocating the pages it
 * touches first (as xfile_prealloc()).  Returns 0 or a negative errno; on
 * error nothing was written.
 */
int xfile_store(struct xfile *xf, const void *buf, size_t len, uint64_t pos);

/* True if the system page containing @pos is held. */
static inline bool
xfile_page_is_held(const struct xfile *xf, uint64_t pos)
{
	uint64_t	pg = pos >> xf->page_shift;

	if (pg / 64 >= xf->held_words)
		return false;
	return (xf->held[pg / 64] >> (pg % 64)) & 1;
}

/*
 * Address of byte @pos.  The range the caller is about to touch must be
 * held (xfile_prealloc()); debug builds check the page of @pos.
 */
static inline void *
xfile_addr(const struct xfile *xf, uint64_t pos)
{
	ASSERT(xfile_page_is_held(xf, pos));
	return xf->seg[pos >> XFILE_SEG_SHIFT] + (pos & (XFILE_SEG_SIZE - 1));
}

/* Bytes of memory (or tmpdir space) the xfile holds. */
static inline uint64_t
xfile_bytes(const struct xfile *xf)
{
	return xf->held_pages << xf->page_shift;
}

/*
 * SEEK_DATA / SEEK_HOLE at page granularity: the first held (DATA) or not
 * held (HOLE) byte at or after @pos.  Returns 0 and sets *@res, or -ENXIO
 * when there is no data at or after @pos (SEEK_DATA); SEEK_HOLE always
 * finds a hole (the file is sparse up to XFILE_MAX_SIZE).  -EINVAL for a
 * bad @whence.
 */
int xfile_seek(const struct xfile *xf, uint64_t pos, int whence,
		uint64_t *res);

/* The process-wide memory cap, in bytes; 0 means no cap. */
void xfile_set_memory_cap(uint64_t bytes);
uint64_t xfile_memory_cap(void);
/* Bytes held by all xfiles of this process. */
uint64_t xfile_memory_used(void);

#endif /* XFILE_XFILE_H */
