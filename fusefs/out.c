// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * out.c: the output window, and how a read takes text from a stream.
 *
 * A stream (records, a lookup answer) is text too long to make whole: a
 * range over the whole btree would be as large as the btree.  The window
 * holds the part between what was read and what is made:
 *
 *	the whole text:
 *	|<--- already read --->|<------ the window ------>|<- not made yet ->|
 *	0                      pos                   pos + len
 *	                       buf[0]               buf[len]
 *
 * A read of @size bytes at offset P:
 *	1. P past the window (a seek forward, or a read after a short
 *	   one): drop the window and make chunks until P falls inside it
 *	   (or the text ends);
 *	2. drop buf[0 .. P - pos), so that buf[0] is the byte at P:
 *
 *	   before:  |  pos ... P ............ pos+len |
 *	   after:               | P ........ pos+len |   (pos = P)
 *
 *	3. make more until len >= size (or the text ends);
 *	4. reply with buf[0 .. min(size, len)).
 * The window never holds much more than a read and a chunk, whatever
 * the text's length.  A maker runs under one hold of the tree's read
 * lock per chunk and resumes from where it stopped (the last key it
 * printed), so no lock is held between reads and a reader does not stop
 * writers for longer than a chunk takes.
 *
 * Locking: the window belongs to one open file (h->lock); the makers get
 * tree->lock for reading from xfbfs_out_make().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusefs/out.h"

int
xfbfs_out_reserve(struct xfbfs_out *o, size_t more)
{
	size_t	cap = o->cap ? o->cap : 4096;
	char	*p;

	if (o->len + more <= o->cap)
		return 0;
	while (cap < o->len + more)
		cap *= 2;
	p = realloc(o->buf, cap);
	if (!p)
		return -ENOMEM;
	o->buf = p;
	o->cap = cap;
	return 0;
}

int
xfbfs_out_printf(struct xfbfs_out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	/* vsnprintf writes a NUL after the text: room for it too. */
	error = xfbfs_out_reserve(o, n + 1);
	if (error)
		return error;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, n + 1, fmt, ap);
	va_end(ap);
	o->len += n;
	return 0;
}

int
xfbfs_out_append(struct xfbfs_out *o, const char *text, size_t len)
{
	int	error;

	error = xfbfs_out_reserve(o, len);
	if (error)
		return error;
	memcpy(o->buf + o->len, text, len);
	o->len += len;
	return 0;
}

void
xfbfs_out_reset(struct xfbfs_out *o)
{
	o->len = 0;
	o->pos = 0;
	o->eof = false;
}

void
xfbfs_out_consume(struct xfbfs_out *o, size_t n)
{
	XFBFS_ASSERT(n <= o->len);
	if (!n)
		return;
	memmove(o->buf, o->buf + n, o->len - n);
	o->len -= n;
	o->pos += n;
}

void
xfbfs_out_release(struct xfbfs_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = 0;
	o->cap = 0;
}

/*
 * Make more of the stream until the window holds @want bytes or the text
 * ends: chunks of at least XFBFS_CHUNK, each under one hold of the tree's
 * read lock.  0 or -errno (-ENOENT once the tree is removed).
 */
static int
xfbfs_out_make(struct xfbfs_handle *h, struct xfbfs_out *o,
		xfbfs_make_fn make, size_t want)
{
	struct xfbfs_tree	*tree = h->tree;
	size_t			target;
	int			error = 0;

	while (!o->eof && o->len < want && !error) {
		error = xfbfs_tree_lock_live(tree, false);
		if (error)
			break;
		target = o->len + XFBFS_CHUNK;
		if (target < want)
			target = want;
		error = make(h, tree->bt, tree->type, target);
		xfbfs_rwlock_unlock(&tree->lock);
	}
	return error;
}

int
xfbfs_out_stream_read(struct xfbfs_handle *h, struct xfbfs_out *o,
		xfbfs_make_fn make, uint64_t pos, size_t *sizep,
		const void **datap)
{
	size_t	size = *sizep, skip;
	int	error;

	XFBFS_ASSERT(xfbfs_mutex_is_locked(&h->lock));
	/* The caller starts the text again for a read before the window. */
	XFBFS_ASSERT(pos >= o->pos);

	/* Step 1: P lies past the window: make chunks until it does not. */
	while (pos > o->pos + o->len && !o->eof) {
		xfbfs_out_consume(o, o->len);
		error = xfbfs_out_make(h, o, make, XFBFS_CHUNK);
		if (error)
			return error;
	}
	/* Step 2: drop what lies before P (all of it past the end). */
	skip = pos - o->pos;
	xfbfs_out_consume(o, skip < o->len ? skip : o->len);
	/* Step 3: make up to P + size. */
	error = xfbfs_out_make(h, o, make, size);
	if (error)
		return error;
	*datap = o->buf;
	*sizep = size < o->len ? size : o->len;
	return 0;
}
