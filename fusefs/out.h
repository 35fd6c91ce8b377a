/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * out.h: the output window: text a file makes for its readers (out.c).
 *
 * A file whose content is text made by the daemon (snapshots, records,
 * lookup answers) keeps the part of that text it holds in a struct
 * xfbfs_out: a buffer whose first byte sits at offset `pos` of the whole
 * text.  Snapshots make the whole text at once (pos stays 0); streams
 * make it a chunk at a time and drop what was read (out.c draws it).
 *
 * The window belongs to its open file: h->lock guards it.
 */
#ifndef FUSEFS_OUT_H
#define FUSEFS_OUT_H

#include "fusefs/xfbfs.h"

#define XFBFS_CHUNK		(64 * 1024)	/* text made per lock hold */

struct xfbfs_out {
	char		*buf;
	size_t		len;		/* bytes made, from buf[0] */
	size_t		cap;		/* bytes buf holds */
	uint64_t	pos;		/* offset of buf[0] in the text */
	bool		eof;		/* nothing more to make */
};

/* Room for @more bytes past len: 0 or -ENOMEM. */
int xfbfs_out_reserve(struct xfbfs_out *o, size_t more);
/* Append text: 0 or -ENOMEM. */
int xfbfs_out_printf(struct xfbfs_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xfbfs_out_append(struct xfbfs_out *o, const char *text, size_t len);
/* Empty the window and start the text again from offset 0. */
void xfbfs_out_reset(struct xfbfs_out *o);
/* Drop the window's first @n bytes (read, or skipped). */
void xfbfs_out_consume(struct xfbfs_out *o, size_t n);
/* Free the buffer (the window is then empty). */
void xfbfs_out_release(struct xfbfs_out *o);

/*
 * A stream's maker: append text to @o until o->len >= @target or the
 * text ends (then o->eof), with tree->lock held for reading.  It may
 * stop past @target by less than a record (XFBFS_REC_TEXT_MAX).
 */
typedef int (*xfbfs_make_fn)(struct xfbfs_handle *h, struct xbtree *bt,
		const struct xfbfs_type *type, size_t target);

/*
 * Read from a stream: *@sizep bytes of the text at @pos, made as needed
 * by @make, each chunk under one hold of the tree's read lock.  The
 * bytes stay at *@datap (o->buf) until the window changes.  0, or -errno
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
	struct xfbfs_out	out;		/* the whole text; pos 0 */
};

int xfbfs_snapshot_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap);
void xfbfs_snapshot_release(struct xfbfs_handle *h);

#endif /* FUSEFS_OUT_H */
