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
 *	                       bytes[0]             bytes[len]
 *
 * (bytes is an xmem_array of chars; len is bytes.len.)  A read of @size
 * bytes at offset P:
 *	1. P past the window (a seek forward, or a read after a short
 *	   one): drop the window and make chunks until P falls inside it
 *	   (or the text ends);
 *	2. drop bytes[0 .. P - pos), so that bytes[0] is the byte at P:
 *
 *	   before:  |  pos ... P ............ pos+len |
 *	   after:               | P ........ pos+len |   (pos = P)
 *
 *	3. make more until len >= size (or the text ends);
 *	4. reply with bytes[0 .. min(size, len)).
 * The window never holds much more than a read and a chunk, whatever
 * the text's length.  A maker runs under one hold of the tree's read
 * lock per chunk and resumes from where it stopped (the last key it
 * printed), so no lock is held between reads and a reader does not stop
 * writers for longer than a chunk takes.
 *
 * Locking: the window belongs to one open file (h->lock); the makers get
 * tree->lock for reading from xfbfs_out_make().
 */
#include <string.h>

#include "fusefs/out.h"

void
xfbfs_out_init(struct xfbfs_out *o)
{
	xmem_array_init(&o->bytes, 1);
	o->pos = 0;
	o->eof = false;
}

void
xfbfs_out_release(struct xfbfs_out *o)
{
	xmem_array_release(&o->bytes);
}

void
xfbfs_out_reset(struct xfbfs_out *o)
{
	xmem_array_resize(&o->bytes, 0);	/* shrinking: cannot fail */
	o->pos = 0;
	o->eof = false;
}

void
xfbfs_out_consume(struct xfbfs_out *o, size_t n)
{
	struct xmem_array	*a = &o->bytes;

	ASSERT(n <= a->len);
	if (!n)
		return;
	memmove(a->data, (char *)a->data + n, a->len - n);
	xmem_array_resize(a, a->len - n);	/* shrinking: cannot fail */
	o->pos += n;
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

	while (!o->eof && xfbfs_out_len(o) < want && !error) {
		error = xfbfs_tree_lock_live(tree, false);
		if (error)
			break;
		target = xfbfs_out_len(o) + XFBFS_CHUNK;
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

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	/* The caller starts the text again for a read before the window. */
	ASSERT(pos >= o->pos);

	/* Step 1: P lies past the window: make chunks until it does not. */
	while (pos > o->pos + xfbfs_out_len(o) && !o->eof) {
		xfbfs_out_consume(o, xfbfs_out_len(o));
		error = xfbfs_out_make(h, o, make, XFBFS_CHUNK);
		if (error)
			return error;
	}
	/* Step 2: drop what lies before P (all of it past the end). */
	skip = pos - o->pos;
	if (skip > xfbfs_out_len(o))
		skip = xfbfs_out_len(o);
	xfbfs_out_consume(o, skip);
	/* Step 3: make up to P + size. */
	error = xfbfs_out_make(h, o, make, size);
	if (error)
		return error;
	*datap = o->bytes.data;
	if (size > xfbfs_out_len(o))
		*sizep = xfbfs_out_len(o);
	return 0;
}
