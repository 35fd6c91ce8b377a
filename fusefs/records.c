// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * records.c: the `records` file: every record in key order, one line
 * each, in the text `insert` takes.
 *
 * The text is a stream (out.c): made a chunk at a time by a cursor walk
 * that starts after the last key printed, under the tree's read lock for
 * one chunk only.  So a reader under concurrent writes gets every record
 * that existed for the whole read exactly once and in order (a record
 * inserted behind the walk is missed, one ahead of it is printed; none
 * is printed twice because keys only grow along the text), and a read
 * of a huge btree holds a chunk of it, never the whole.
 *
 * A read at offset 0, or before the window, starts the walk again from
 * the first key; a read past the window walks forward, dropping text.
 *
 * Locking: h->lock guards the handle; the maker runs with tree->lock
 * held for reading.
 */
#include <string.h>
#include <sys/stat.h>

#include "fusefs/out.h"

struct xfbfs_records_handle {
	struct xfbfs_handle	h;
	struct xfbfs_out	out;
	uint8_t			resume[XBT_KEY_MAX];	/* last key made */
	bool			resumed;	/* resume holds a key */
};

static inline struct xfbfs_records_handle *
xfbfs_records_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_records_handle, h);
}

/*
 * The next chunk: a cursor walk from the first key after the resume key.
 * Only the first record found can be the one printed last (the walk
 * starts at the first key >= it), so the loop itself just prints.
 */
static int
xfbfs_records_make(struct xfbfs_handle *h, struct xbtree *bt,
		const struct xfbfs_type *type, size_t target)
{
	struct xfbfs_records_handle *rh = xfbfs_records_handle(h);
	struct xfbfs_out	*o = &rh->out;
	const struct xbt_ops	*ops = type->ops;
	struct xbt_cur		cur;
	uint8_t			zero[XBT_KEY_MAX] = { 0 };
	uint8_t			key[XBT_KEY_MAX];
	const uint8_t		*recs, *last = NULL;
	unsigned int		n, made;
	int			stat, error;

	ASSERT(xfbfs_rwlock_is_locked(&h->tree->lock));
	xbt_cur_init(&cur, bt);
	error = xbt_lookup(&cur, XBT_LOOKUP_GE,
			   rh->resumed ? rh->resume : zero, &stat);
	if (!error && stat && rh->resumed) {
		ops->init_key_from_rec(key, xbt_cur_rec(&cur));
		if (ops->cmp_keys(key, rh->resume) == 0)
			error = xbt_increment(&cur, &stat);
	}
	/* A leaf's run at a time: the records from the cursor's on. */
	while (!error && stat && xfbfs_out_len(o) < target) {
		recs = xbt_cur_leaf_recs(&cur, &n);
		made = xfbfs_out_recs(o, type->format_rec, recs, n,
				      ops->rec_len, target, &error);
		if (!made)
			break;
		last = recs + (size_t)(made - 1) * ops->rec_len;
		error = xbt_cur_skip(&cur, made, &stat);
	}
	/*
	 * The next chunk starts after the last key made.  @last still points
	 * into its leaf: blocks stay mapped, and the tree lock is held.
	 */
	if (last) {
		ops->init_key_from_rec(rh->resume, last);
		rh->resumed = true;
	}
	if (!error && !stat)
		o->eof = true;
	return error;
}

static int
xfbfs_records_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	struct xfbfs_records_handle *rh = xfbfs_records_handle(h);
	uint64_t		pos = off;

	/* From the start again: offset 0, or a seek back before the window. */
	if (pos == 0 || pos < rh->out.pos) {
		xfbfs_out_reset(&rh->out);
		rh->resumed = false;
	}
	return xfbfs_out_stream_read(h, &rh->out, xfbfs_records_make, pos,
				     sizep, datap);
}

static int
xfbfs_records_open(struct xfbfs_handle *h, int flags)
{
	(void)flags;
	xfbfs_out_init(&xfbfs_records_handle(h)->out);
	return 0;
}

static void
xfbfs_records_release(struct xfbfs_handle *h)
{
	xfbfs_out_release(&xfbfs_records_handle(h)->out);
}

const struct xfbfs_file_ops xfbfs_kind_records = {
	.name		= "records",
	.mode		= S_IFREG | 0444,
	.handle_size	= sizeof(struct xfbfs_records_handle),
	.truncate	= xfbfs_truncate_nothing,
	.open		= xfbfs_records_open,
	.release	= xfbfs_records_release,
	.read		= xfbfs_records_read,
};
