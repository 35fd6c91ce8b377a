/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * out.h: text the daemon makes for readers (out.c, snapshot.c).
 *
 * Snapshots (type, stats, ...) make their whole text at once, into a
 * string (struct xmem_str) that reads take from.  Streams (records,
 * lookup answers) are too long for that: they keep the part of their
 * text between what was read and what is made in a struct xfbfs_out, a
 * window of bytes (a growable array of them) whose first byte sits at
 * offset `pos` of the whole text.  out.c draws it.
 *
 * Both belong to one open file: h->lock guards them.
 */
#ifndef FUSEFS_OUT_H
#define FUSEFS_OUT_H

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

#define XFBFS_CHUNK		(64 * 1024)	/* text made per lock hold */

struct xfbfs_out {
	struct xmem_array	bytes;		/* the window: len bytes made */
	uint64_t		pos;		/* offset of bytes[0] in the text */
	bool			eof;		/* nothing more to make */
};

/* An empty window at offset 0 (the handle's memory, at open). */
void xfbfs_out_init(struct xfbfs_out *o);
/* Free its memory (the window is then empty). */
void xfbfs_out_release(struct xfbfs_out *o);
/* Empty the window and start the text again from offset 0. */
void xfbfs_out_reset(struct xfbfs_out *o);
/*
 * Drop the window's first @n bytes (read, or skipped): the rest moves to
 * the front and the window's offset moves on by @n.
 */
void xfbfs_out_consume(struct xfbfs_out *o, size_t n);
/* Bytes in the window. */
static inline size_t
xfbfs_out_len(const struct xfbfs_out *o)
{
	return o->bytes.len;
}

/*
 * Append the text of records @recs (@n of them, @rec_len bytes each,
 * back to back: a leaf's run) until the window holds @target bytes or
 * they end; returns how many were made (0 with -ENOMEM in *@errorp).
 * Room for up to XFBFS_OUT_RUN of them is made at once, so the loop is
 * the formatting alone: @format (a type's format_rec) writes each in
 * place, past len.  The caller steps its cursor by what was made and
 * comes back for the rest.
 */
#define XFBFS_OUT_RUN	256

static inline unsigned int
xfbfs_out_recs(struct xfbfs_out *o,
		size_t (*format)(const void *rec, char *buf), const void *recs,
		unsigned int n, unsigned int rec_len, size_t target,
		int *errorp)
{
	struct xmem_array	*a = &o->bytes;
	const uint8_t		*r = recs;
	size_t			room, len;
	char			*start, *p;
	unsigned int		i;

	if (n > XFBFS_OUT_RUN)
		n = XFBFS_OUT_RUN;
	*errorp = xmem_array_reserve(a, (size_t)n * XFBFS_REC_TEXT_MAX);
	if (*errorp)
		return 0;
	room = target > a->len ? target - a->len : 0;
	start = p = xmem_array_at(a, a->len);
	for (i = 0; i < n && (size_t)(p - start) < room; i++) {
		len = format(r + (size_t)i * rec_len, p);
		ASSERT(len <= XFBFS_REC_TEXT_MAX);
		p += len;
	}
	a->len += p - start;
	return i;
}

/* Append one record's text (range answers, path steps): 0 or -ENOMEM. */
static inline int
xfbfs_out_rec(struct xfbfs_out *o,
		size_t (*format)(const void *rec, char *buf), const void *rec)
{
	int	error;

	xfbfs_out_recs(o, format, rec, 1, 0, SIZE_MAX, &error);
	return error;
}

/*
 * A stream's maker: append text to its window until it holds @target
 * bytes or the text ends (then eof), with tree->lock held for reading.  It may
 * stop past @target by less than a record (XFBFS_REC_TEXT_MAX).
 */
typedef int (*xfbfs_make_fn)(struct xfbfs_handle *h, struct xbtree *bt,
		const struct xfbfs_type *type, size_t target);

/*
 * Read from a stream: *@sizep bytes of the text at @pos, made as needed
 * by @make, each chunk under one hold of the tree's read lock.  The
 * bytes stay at *@datap (the window's start) until the window changes.
 * 0, or -errno
 * (-ENOENT once the tree is removed).
 */
int xfbfs_out_stream_read(struct xfbfs_handle *h, struct xfbfs_out *o,
		xfbfs_make_fn make, uint64_t pos, size_t *sizep,
		const void **datap);

/*
 * Snapshot kinds (snapshot.c): their text is made whole by the kind's
 * .snapshot op at a read from offset 0.  Their handle is this, and their
 * read and release ops these:
 */
struct xfbfs_snap_handle {
	struct xfbfs_handle	h;
	struct xmem_str		text;		/* the whole text */
	bool			made;		/* text holds one */
};

int xfbfs_snapshot_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap);
void xfbfs_snapshot_release(struct xfbfs_handle *h);

#endif /* FUSEFS_OUT_H */
