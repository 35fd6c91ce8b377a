/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xmem: the one place the library (and the daemon) gets heap memory, a
 * growable array and a string builder on top of it, and the fault
 * injector that fails any chosen allocation.
 *
 * Allocation
 *	xmem_alloc(), xmem_zalloc(), xmem_realloc() (array form, overflow
 *	checked), xmem_strdup() and xmem_free() are malloc(3) and friends:
 *	NULL means no memory, and the caller turns that into -ENOMEM.  Every
 *	allocation in xfile/ and btree/ goes through them, so a test can fail
 *	each one in turn and check that the caller survives it.  Nothing here
 *	aborts on failure (unlike g_malloc()).
 *
 * Fault injection (builds with XFB_DEBUG only)
 *	xmem_fault_arm(n, kinds, error) makes the n-th allocation from now on
 *	(n >= 1) whose kind is in @kinds fail: a heap allocation (XMEM_HEAP)
 *	returns NULL, an xfile page preallocation (XMEM_PAGES, counted by
 *	xfile_prealloc() through xmem_fault()) fails with @error (0 means
 *	-ENOSPC).  Once, or with XMEM_FAULT_STICKY every allocation of those
 *	kinds from the n-th on.  xmem_fault_disarm() stops it;
 *	xmem_fault_fired() says how many allocations it failed since it was
 *	armed, so a loop over n knows when n passed the last allocation of
 *	the operation under test.
 *	The state is process-wide and atomic: any thread's allocation counts.
 *	In release builds xmem_fault() is a constant 0 the compiler drops,
 *	the wrappers are plain malloc(3) calls, and xmem_fault_arm() returns
 *	-EOPNOTSUPP.
 *
 * Growable array (struct xmem_array)
 *	Elements of a fixed size, back to back in one heap block that doubles
 *	when it fills.  reserve() makes room in advance, so that the pushes a
 *	caller cannot allow to fail (inside a transaction) never allocate.
 *	On -ENOMEM the array is unchanged.
 *
 * String builder (struct xmem_str)
 *	A NUL-terminated string that grows by append() and printf().  On
 *	-ENOMEM the string is unchanged.
 *
 * Locking
 *	The array and the string take no locks (the caller's, as any other
 *	memory).  The fault injector is atomics only.
 *
 * Related: xfile.h (page preallocation, the other allocation point),
 * tests/check_xmem.c.
 */
#ifndef XFILE_XMEM_H
#define XFILE_XMEM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "xfile/xassert.h"

/* ---- fault injection ---------------------------------------------------- */

#define XMEM_HEAP		(1U << 0)	/* xmem_alloc() and friends */
#define XMEM_PAGES		(1U << 1)	/* xfile page preallocation */
#define XMEM_ANY		(XMEM_HEAP | XMEM_PAGES)
#define XMEM_FAULT_STICKY	(1U << 8)	/* fail every one from the n-th */

/*
 * Fail the @nth allocation (n >= 1) of @kinds (XMEM_HEAP, XMEM_PAGES,
 * optionally | XMEM_FAULT_STICKY) from now on; page allocations fail with
 * @page_error (a negative errno; 0 means -ENOSPC).  Re-arming replaces
 * the previous setting and zeroes the fired count.  Returns 0, -EINVAL
 * for n == 0 or no kind, -EOPNOTSUPP in a release build.
 */
int xmem_fault_arm(unsigned long nth, unsigned int kinds, int page_error);
/* Stop failing allocations. */
void xmem_fault_disarm(void);
/* Allocations failed since the last xmem_fault_arm(). */
unsigned long xmem_fault_fired(void);

#ifdef XFB_DEBUG
/*
 * An allocation point of @kind (one XMEM_* bit) is about to allocate:
 * 0 to go on, or the negative errno it must fail with.
 */
int xmem_fault(unsigned int kind);
#else
static inline int
xmem_fault(unsigned int kind)
{
	(void)kind;
	return 0;
}
#endif

/* ---- allocation --------------------------------------------------------- */

static inline void *
xmem_alloc(size_t size)
{
	if (xmem_fault(XMEM_HEAP))
		return NULL;
	return malloc(size);
}

/* @size bytes, zeroed. */
static inline void *
xmem_zalloc(size_t size)
{
	if (xmem_fault(XMEM_HEAP))
		return NULL;
	return calloc(1, size);
}

/*
 * Resize @p (NULL: allocate) to @n elements of @size bytes.  NULL if out
 * of memory or @n * @size overflows; @p is then untouched and still the
 * caller's.
 */
static inline void *
xmem_realloc(void *p, size_t n, size_t size)
{
	size_t		bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	if (xmem_fault(XMEM_HEAP))
		return NULL;
	return realloc(p, bytes ? bytes : 1);
}

/* A heap copy of @s, or NULL. */
char *xmem_strdup(const char *s);

static inline void
xmem_free(void *p)
{
	free(p);
}

/* ---- growable array ----------------------------------------------------- */

struct xmem_array {
	void		*data;		/* cap elements; NULL while cap == 0 */
	size_t		len;		/* elements in use */
	size_t		cap;		/* elements allocated */
	size_t		elsize;		/* bytes per element, > 0 */
};

#define XMEM_ARRAY_INIT(elsize_)	{ .elsize = (elsize_) }

/* An empty array of @elsize-byte elements (the caller's memory). */
void xmem_array_init(struct xmem_array *a, size_t elsize);
/* Free the elements; the array is empty (and reusable) afterwards. */
void xmem_array_release(struct xmem_array *a);

/*
 * Make room for @more elements past len, so that the next @more pushes
 * cannot fail.  0 or -ENOMEM (then nothing changed).
 */
int xmem_array_reserve_slow(struct xmem_array *a, size_t more);
static inline int
xmem_array_reserve(struct xmem_array *a, size_t more)
{
	/* The room is usually there: no call on the hot paths. */
	if (more <= a->cap - a->len)
		return 0;
	return xmem_array_reserve_slow(a, more);
}
/* Append a copy of the element at @elem.  0 or -ENOMEM. */
int xmem_array_push(struct xmem_array *a, const void *elem);
/*
 * Set len to @len: elements past the old len are zeroed, elements past
 * @len are dropped (their memory kept).  0 or -ENOMEM.
 */
int xmem_array_resize(struct xmem_array *a, size_t len);

/*
 * Element @i (< cap), or for @i == cap the end of the room (an address
 * to compute with, e.g. for a memmove of zero bytes, never to use).
 */
static inline void *
xmem_array_at(const struct xmem_array *a, size_t i)
{
	ASSERT(i <= a->cap);
	return (char *)a->data + i * a->elsize;
}

/*
 * Append one element in room made by xmem_array_reserve() and return
 * it, uninitialised.  Never fails: running out of reserved room is a
 * programmer's error.
 */
static inline void *
xmem_array_push_reserved(struct xmem_array *a)
{
	ASSERT(a->len < a->cap);
	return xmem_array_at(a, a->len++);
}

/* ---- string builder ----------------------------------------------------- */

struct xmem_str {
	char		*buf;		/* NUL-terminated; NULL while empty */
	size_t		len;		/* bytes before the NUL */
	size_t		cap;		/* bytes allocated */
};

#define XMEM_STR_INIT		{ 0 }

/* The text so far ("" for an empty string); valid until the next change. */
static inline const char *
xmem_str_cstr(const struct xmem_str *s)
{
	return s->buf ? s->buf : "";
}

/* Append @len bytes at @text.  0 or -ENOMEM (then nothing changed). */
int xmem_str_append(struct xmem_str *s, const char *text, size_t len);
/* Append formatted text.  0, -ENOMEM or -EINVAL (a bad format). */
int xmem_str_printf(struct xmem_str *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xmem_str_vprintf(struct xmem_str *s, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Empty the string, keeping its memory. */
void xmem_str_reset(struct xmem_str *s);
/* Free the memory; the string is empty afterwards. */
void xmem_str_release(struct xmem_str *s);

#endif /* XFILE_XMEM_H */
