// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * update.c: the `insert` and `delete` files: each write request is one
 * transaction of all its complete lines.
 *
 * A write's lines come from the assembler (lines.c).  Under the tree's
 * write lock they are parsed and applied in one pass, a few lines apart:
 * parsed lines wait in a small ring while the leaves they will change are
 * prefetched, so that those cache misses overlap the work on the lines
 * before them:
 *
 *	ring of XFBFS_PREFETCH_AHEAD items
 *	[ applied | applied | head: next to apply | parsed | parsed ]
 *	                      '---------- count -------------------'
 *	parse + prefetch at head + count; apply at head once full (or
 *	once the write has no more lines)
 *
 * A bad line or a failed change anywhere cancels the transaction, which
 * puts every block back as it was: the write fails whole, the reason
 * (with the line's number within the write) goes to errors, and the
 * tree's failed-transaction counter counts it.
 *
 * `delete` takes whole records (matched exactly) or, for types that
 * allow it, keys alone.
 *
 * Locking: h->lock (the assembler), then tree->lock for writing around
 * the transaction.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/lines.h"

#define XFBFS_PREFETCH_AHEAD	8		/* items of a write */

struct xfbfs_update_handle {
	struct xfbfs_handle	h;
	bool			insert;		/* immutable: else delete */
	struct xfbfs_asm	as;
};

static inline struct xfbfs_update_handle *
xfbfs_update_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_update_handle, h);
}

/* Apply one parsed item in @tp; 0, or -errno with *@why set. */
static int
xfbfs_apply_item(bool insert, struct xbt_trans *tp,
		const struct xbt_ops *ops, struct xfbfs_item *it,
		const char **why)
{
	uint8_t		key[XBT_KEY_MAX];
	int		stat, error;

	if (insert) {
		error = xbt_insert(tp, it->bytes, &stat);
		*why = (ops->flags & XBT_OPS_DISJOINT) ?
		       "duplicate key or overlapping extent" : "duplicate key";
		if (!error && !stat)
			return -EEXIST;
	} else if (it->is_key) {
		error = xbt_delete(tp, it->bytes, NULL, NULL, &stat);
		*why = "no record with this key";
		if (!error && !stat)
			return -ENOENT;
	} else {
		ops->init_key_from_rec(key, it->bytes);
		error = xbt_delete(tp, key, it->bytes, NULL, &stat);
		*why = "no such record";
		if (!error && !stat)
			return -ENOENT;
	}
	if (error)
		*why = strerror(-error);
	return error;
}

/* Start loading the leaf an item will change. */
static void
xfbfs_prefetch_item(struct xbtree *bt, const struct xbt_ops *ops,
		const struct xfbfs_item *it)
{
	uint8_t		key[XBT_KEY_MAX];

	if (it->is_key) {
		xbtree_prefetch(bt, it->bytes);
	} else {
		ops->init_key_from_rec(key, it->bytes);
		xbtree_prefetch(bt, key);
	}
}

/*
 * Every line of a write, in one transaction (tree->lock held for
 * writing): see the ring at the top of this file.
 */
static int
xfbfs_apply_lines(struct xfbfs_handle *h, bool insert,
		struct xfbfs_lines *lines)
{
	struct xfbfs_tree	*tree = h->tree;
	struct xbtree		*bt = tree->bt;
	const struct xfbfs_type	*type = tree->type;
	const struct xbt_ops	*ops = type->ops;
	struct xfbfs_item	ring[XFBFS_PREFETCH_AHEAD];
	struct xfbfs_item	*it;
	struct xbt_trans	*tp;
	const char		*line = NULL, *why = NULL;
	unsigned int		head = 0, count = 0;
	size_t			len = 0;
	bool			more = true;
	int			error;

	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	error = xbt_trans_alloc(bt, &tp);
	if (error)
		return error;
	while (more || count) {
		/* Fill the ring; apply its oldest item once it is full. */
		if (more && count < XFBFS_PREFETCH_AHEAD) {
			it = &ring[(head + count) % XFBFS_PREFETCH_AHEAD];
			error = xfbfs_next_item(type, !insert, lines, it,
						&line, &len, &why);
			if (error < 0)
				goto out_bad_line;
			more = error > 0;
			if (more) {
				xfbfs_prefetch_item(bt, ops, it);
				count++;
			}
			continue;
		}
		it = &ring[head];
		error = xfbfs_apply_item(insert, tp, ops, it, &why);
		if (error)
			goto out_bad_item;
		head = (head + 1) % XFBFS_PREFETCH_AHEAD;
		count--;
	}
	error = xbt_trans_commit(tp);
	if (!error)
		xfbfs_tree_touch(tree);
	return error;

out_bad_line:
	xbt_trans_cancel(tp);
	xfbfs_line_error(h, lines->lineno, why, line, len);
	return error;
out_bad_item:
	xbt_trans_cancel(tp);
	xfbfs_line_error(h, it->line, why, it->text, it->text_len);
	return error;
}

/* The consumer of a write's lines (lines.h): one transaction. */
static int
xfbfs_update_take(struct xfbfs_handle *h, struct xfbfs_lines *lines)
{
	int	error;

	error = xfbfs_tree_lock_live(h->tree, true);
	if (error)
		return error;
	error = xfbfs_apply_lines(h, xfbfs_update_handle(h)->insert, lines);
	xfbfs_rwlock_unlock(&h->tree->lock);
	return error;
}

/* A write, or with @final the tail at FLUSH. */
static int
xfbfs_update_lines(struct xfbfs_handle *h, const char *buf, size_t size,
		bool final)
{
	struct xfbfs_update_handle *uh = xfbfs_update_handle(h);
	int			error;

	error = xfbfs_asm_write(h, &uh->as, buf, size, final,
				xfbfs_update_take);
	if (error)
		__atomic_add_fetch(&h->tree->nr_failed, 1, __ATOMIC_RELAXED);
	return error;
}

static int
xfbfs_update_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	(void)off;		/* O_TRUNC and >> both work */
	return xfbfs_update_lines(h, buf, size, false);
}

/* close: a tail left without its newline is a last line. */
static int
xfbfs_update_flush(struct xfbfs_handle *h)
{
	if (!xfbfs_asm_pending(&xfbfs_update_handle(h)->as))
		return 0;
	return xfbfs_update_lines(h, "", 0, true);
}

static int
xfbfs_insert_open(struct xfbfs_handle *h, int flags)
{
	(void)flags;
	xfbfs_update_handle(h)->insert = true;
	return 0;
}

const struct xfbfs_file_ops xfbfs_kind_insert = {
	.name		= "insert",
	.mode		= S_IFREG | 0200,
	.handle_size	= sizeof(struct xfbfs_update_handle),
	.truncate	= xfbfs_truncate_nothing,
	.open		= xfbfs_insert_open,
	.write		= xfbfs_update_write,
	.flush		= xfbfs_update_flush,
};

const struct xfbfs_file_ops xfbfs_kind_delete = {
	.name		= "delete",
	.mode		= S_IFREG | 0200,
	.handle_size	= sizeof(struct xfbfs_update_handle),
	.truncate	= xfbfs_truncate_nothing,
	.write		= xfbfs_update_write,
	.flush		= xfbfs_update_flush,
};
