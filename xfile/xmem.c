// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xmem.c: the fault injector, the growable array and the string builder
 * (see xmem.h for the contracts).
 *
 * Fault injector state
 *	Four process-wide atomics: the kinds counted (0 while disarmed, so an
 *	allocation then costs one relaxed load), the countdown to the failing
 *	allocation, the error a page allocation fails with, and how many
 *	allocations were failed.  The countdown is decremented with a
 *	compare-and-swap loop, so when threads allocate at once exactly one
 *	of them takes the n-th place.  A sticky fault stays at 1 and fails
 *	every later allocation of its kinds.
 *
 * Growth
 *	The array and the string double their capacity (at least 16 elements
 *	or 64 bytes), or grow to exactly what is asked when that is more.
 *	Everything is sized with overflow checks: an impossible size is
 *	-ENOMEM like any other allocation that cannot be made.
 *
 * Related: xmem.h, xassert.h, tests/check_xmem.c.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "xfile/xassert.h"
#include "xfile/xmem.h"

/* ---- assertions --------------------------------------------------------- */

#ifdef XFB_DEBUG
void
xassert_fail(const char *cond, const char *file, int line)
{
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, cond);
	fflush(stderr);
	abort();
}
#endif

/* ---- fault injection ---------------------------------------------------- */

#ifdef XFB_DEBUG
static atomic_uint		xmem_fault_kinds;	/* 0: disarmed */
static atomic_ulong		xmem_fault_countdown;
static atomic_int		xmem_fault_page_error;
static atomic_ulong		xmem_fault_nfired;

int
xmem_fault_arm(unsigned long nth, unsigned int kinds, int page_error)
{
	if (nth == 0 || !(kinds & XMEM_ANY))
		return -EINVAL;
	atomic_store(&xmem_fault_kinds, 0);
	atomic_store(&xmem_fault_countdown, nth);
	atomic_store(&xmem_fault_page_error,
		     page_error > 0 ? -page_error :
		     page_error ? page_error : -ENOSPC);
	atomic_store(&xmem_fault_nfired, 0);
	atomic_store(&xmem_fault_kinds, kinds);
	return 0;
}

void
xmem_fault_disarm(void)
{
	atomic_store(&xmem_fault_kinds, 0);
	atomic_store(&xmem_fault_countdown, 0);
}

unsigned long
xmem_fault_fired(void)
{
	return atomic_load(&xmem_fault_nfired);
}

int
xmem_fault(unsigned int kind)
{
	unsigned int	kinds = atomic_load_explicit(&xmem_fault_kinds,
						     memory_order_relaxed);
	unsigned long	n;

	if (!(kinds & kind))
		return 0;
	n = atomic_load(&xmem_fault_countdown);
	do {
		if (n == 0)
			return 0;
		if (n == 1 && (kinds & XMEM_FAULT_STICKY))
			break;			/* stays at 1: fail them all */
	} while (!atomic_compare_exchange_weak(&xmem_fault_countdown, &n,
					       n - 1));
	if (n != 1)
		return 0;
	atomic_fetch_add(&xmem_fault_nfired, 1);
	if (kind == XMEM_PAGES)
		return atomic_load(&xmem_fault_page_error);
	return -ENOMEM;
}
#else
int
xmem_fault_arm(unsigned long nth, unsigned int kinds, int page_error)
{
	(void)nth;
	(void)kinds;
	(void)page_error;
	return -EOPNOTSUPP;
}

void
xmem_fault_disarm(void)
{
}

unsigned long
xmem_fault_fired(void)
{
	return 0;
}
#endif

char *
xmem_strdup(const char *s)
{
	size_t	len = strlen(s) + 1;
	char	*p = xmem_alloc(len);

	if (p)
		memcpy(p, s, len);
	return p;
}

/* ---- growable array ----------------------------------------------------- */

void
xmem_array_init(struct xmem_array *a, size_t elsize)
{
	ASSERT(elsize > 0);
	*a = (struct xmem_array){ .elsize = elsize };
}

void
xmem_array_release(struct xmem_array *a)
{
	xmem_free(a->data);
	a->data = NULL;
	a->len = 0;
	a->cap = 0;
}

/*
 * Make the capacity at least @need elements: double, or take @need
 * itself when that is more.  0 or -ENOMEM with nothing changed.
 */
static int
xmem_array_grow(struct xmem_array *a, size_t need)
{
	size_t		ncap;
	void		*p;

	if (need <= a->cap)
		return 0;
	/*
	 * Doubling from 16, so that capacities are powers of two: big
	 * arrays (a transaction's log) then grow as glibc's realloc can
	 * move by remapping, not by copying.
	 */
	ncap = a->cap < 16 ? 16 : a->cap;
	while (ncap < need && ncap * 2 > ncap)
		ncap *= 2;
	if (ncap < need)
		ncap = need;
	p = xmem_realloc(a->data, ncap, a->elsize);
	if (!p)
		return -ENOMEM;
	a->data = p;
	a->cap = ncap;
	return 0;
}

/* xmem_array_reserve() when the room is not there already. */
int
xmem_array_reserve_slow(struct xmem_array *a, size_t more)
{
	ASSERT(a->elsize > 0);
	if (a->len + more < a->len)
		return -ENOMEM;
	return xmem_array_grow(a, a->len + more);
}

int
xmem_array_push(struct xmem_array *a, const void *elem)
{
	int		error;

	error = xmem_array_reserve(a, 1);
	if (error)
		return error;
	memcpy(xmem_array_push_reserved(a), elem, a->elsize);
	return 0;
}

int
xmem_array_resize(struct xmem_array *a, size_t len)
{
	int		error;

	ASSERT(a->elsize > 0);
	error = xmem_array_grow(a, len);
	if (error)
		return error;
	if (len > a->len)
		memset(xmem_array_at(a, a->len), 0,
		       (len - a->len) * a->elsize);
	a->len = len;
	return 0;
}

/* ---- string builder ----------------------------------------------------- */

/* Room for @more bytes and the NUL.  0 or -ENOMEM with nothing changed. */
static int
xmem_str_reserve(struct xmem_str *s, size_t more)
{
	size_t		need = s->len + more + 1;
	size_t		ncap;
	char		*p;

	if (need < more)
		return -ENOMEM;
	if (need <= s->cap)
		return 0;
	ncap = s->cap < 32 ? 64 : s->cap * 2;
	if (ncap < s->cap || ncap < need)
		ncap = need;
	p = xmem_realloc(s->buf, ncap, 1);
	if (!p)
		return -ENOMEM;
	if (!s->buf)
		p[0] = '\0';
	s->buf = p;
	s->cap = ncap;
	return 0;
}

int
xmem_str_append(struct xmem_str *s, const char *text, size_t len)
{
	int		error;

	error = xmem_str_reserve(s, len);
	if (error)
		return error;
	memcpy(s->buf + s->len, text, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

int
xmem_str_vprintf(struct xmem_str *s, const char *fmt, va_list ap)
{
	va_list		ap2;
	char		small[256];
	int		n;
	int		error;

	/* Measure (and usually format) into a stack buffer first. */
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return xmem_str_append(s, small, n);
	error = xmem_str_reserve(s, n);
	if (error)
		return error;
	vsnprintf(s->buf + s->len, n + 1, fmt, ap);
	s->len += n;
	return 0;
}

int
xmem_str_printf(struct xmem_str *s, const char *fmt, ...)
{
	va_list		ap;
	int		error;

	va_start(ap, fmt);
	error = xmem_str_vprintf(s, fmt, ap);
	va_end(ap);
	return error;
}

void
xmem_str_reset(struct xmem_str *s)
{
	s->len = 0;
	if (s->buf)
		s->buf[0] = '\0';
}

void
xmem_str_release(struct xmem_str *s)
{
	xmem_free(s->buf);
	*s = (struct xmem_str)XMEM_STR_INIT;
}
