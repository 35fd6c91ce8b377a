// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * load.c: the `load` file: bulk loads that replace a whole btree.
 *
 * Each open `load` file stages the records written to it in an xfarray
 * (an xfile of its own, counted against max_memory like any btree),
 * parsed in the type the btree had at the first write.  A FLUSH (close)
 * or fsync after new writes commits:
 *
 *	1. sort the staging in place (a radix sort on the key bytes for
 *	   types whose key is a prefix of the record, such as kv and
 *	   refcount; an introsort on the type's key order otherwise);
 *	2. build a new btree from it bottom-up (xbtree_bload(), every block
 *	   full), which refuses duplicate keys and overlapping extents;
 *	3. under the tree's write lock, swap the new btree in and the old
 *	   one out; destroy the old one after unlocking.
 *
 * Steps 1 and 2 run without the tree's lock, on memory nobody else sees,
 * so readers and writers keep using the old btree until step 3: readers
 * see the old btree or the new one, whole.  Records inserted meanwhile
 * are replaced with everything else.  The staging stays after a commit,
 * sorted, so that `{ cat a; cat b; } > load` (a FLUSH when each cat
 * exits) ends with the records of a and b.
 *
 * A write that fails (a bad line, ENOSPC) poisons the staging: the next
 * FLUSH fails with that error, and any failed FLUSH drops everything
 * staged, so the open file starts a new load.  A FLUSH with nothing
 * written since the last one does nothing (`: > load` changes nothing).
 *
 * Progress: tree->load_staged counts records staged on open load files;
 * load_sorted and load_built follow the commit under way (stats shows
 * all three).
 *
 * Locking: the staging belongs to its open file (h->lock serialises
 * requests on it); tree->lock is taken only to read the UUID and to swap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "fusefs/lines.h"
#include "xfile/xfarray.h"

/* The handle of an open `load` file is its staging. */
struct xfbfs_load {
	struct xfbfs_handle	h;
	struct xfbfs_asm	as;
	struct xfarray		*arr;		/* NULL until the first write */
	const struct xfbfs_type	*type;		/* of the staged records */
	bool			changed;	/* written since the last FLUSH */
	bool			sorted;		/* arr is in key order */
	int			error;		/* a write failed with this */
};

static inline struct xfbfs_load *
xfbfs_load_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_load, h);
}

/* The iterator xbtree_bload() pulls records from. */
struct xfbfs_load_iter {
	struct xfbfs_tree	*tree;
	struct xfbfs_load	*load;
	uint64_t		next;		/* index of the next record */
};

/*
 * Start staging at the first write (in the tree's type then), and mark
 * the staging changed at every write.
 */
static int
xfbfs_load_begin(struct xfbfs_load *l)
{
	struct xfbfs_tree	*tree = l->h.tree;
	const struct xfbfs_type	*type = xfbfs_tree_peek_type(tree);
	char			descr[64];
	int			error;

	if (!l->arr) {
		snprintf(descr, sizeof(descr), "xfbtreefs-load-%u", tree->id);
		error = xfarray_create(descr, tree->fs->opts.tmpdir,
				       type->ops->rec_len, &l->arr);
		if (error)
			return error;
		l->type = type;
	}
	l->changed = true;
	return 0;
}

/* Stage one record parsed for the staging's type.  0 or -errno. */
static int
xfbfs_load_add(struct xfbfs_load *l, const void *rec)
{
	int	error;

	error = xfarray_append(l->arr, rec);
	if (error)
		return error;
	l->sorted = false;
	__atomic_add_fetch(&l->h.tree->load_staged, 1, __ATOMIC_RELAXED);
	return 0;
}

/* A write failed with @error: the next FLUSH fails with it. */
static void
xfbfs_load_poison(struct xfbfs_load *l, int error)
{
	l->changed = true;
	if (!l->error)
		l->error = error;
}

/* Drop everything staged: the next write starts a new load. */
static void
xfbfs_load_reset(struct xfbfs_load *l)
{
	__atomic_sub_fetch(&l->h.tree->load_staged, xfarray_length(l->arr),
			   __ATOMIC_RELAXED);
	xfarray_truncate(l->arr);
	l->changed = false;
	l->sorted = false;
	l->error = 0;
}

/* ---- commit ------------------------------------------------------------ */

struct xfbfs_sort_ctx {
	const struct xbt_ops	*ops;
	struct xfbfs_tree	*tree;
};

/* Key order of two staged records, for the comparison sort. */
static int
xfbfs_load_cmp(const void *a, const void *b, void *priv)
{
	const struct xbt_ops	*ops = ((struct xfbfs_sort_ctx *)priv)->ops;
	uint8_t			ka[XBT_KEY_MAX], kb[XBT_KEY_MAX];

	ops->init_key_from_rec(ka, a);
	ops->init_key_from_rec(kb, b);
	return ops->cmp_keys(ka, kb);
}

/* The same when the key is the record's first key_len bytes. */
static int
xfbfs_load_cmp_prefix(const void *a, const void *b, void *priv)
{
	const struct xbt_ops	*ops = ((struct xfbfs_sort_ctx *)priv)->ops;

	return memcmp(a, b, ops->key_len);
}

static void
xfbfs_sort_progress(uint64_t done, void *priv)
{
	struct xfbfs_sort_ctx	*c = priv;

	__atomic_store_n(&c->tree->load_sorted, done, __ATOMIC_RELAXED);
}

static int
xfbfs_load_next(void *rec, void *priv)
{
	struct xfbfs_load_iter	*it = priv;
	struct xfarray		*arr = it->load->arr;

	if (it->next >= xfarray_length(arr))
		return 0;
	memcpy(rec, xfarray_ptr(arr, it->next), arr->elsize);
	it->next++;
	return 1;
}

static void
xfbfs_build_progress(uint64_t done, void *priv)
{
	struct xfbfs_load_iter	*it = priv;

	__atomic_store_n(&it->tree->load_built, done, __ATOMIC_RELAXED);
}

/* Say which record made the build fail, in the tree's errors. */
static void
xfbfs_load_report(struct xfbfs_tree *tree, struct xfbfs_load *l,
		uint64_t bad, int error)
{
	const struct xbt_ops	*ops = l->type->ops;
	char			text[2][XFBFS_LINE_MAX + 1];
	size_t			len[2] = { 0, 0 };

	if (bad > 0 && bad <= xfarray_length(l->arr)) {
		len[1] = l->type->format_rec(xfarray_ptr(l->arr, bad - 1),
					     text[1]);
		if (bad > 1)
			len[0] = l->type->format_rec(
					xfarray_ptr(l->arr, bad - 2), text[0]);
	}
	/* format_rec ends its text with a newline: leave it out. */
	if (error == -EEXIST && len[0] && len[1])
		xfbfs_tree_error(tree, l->h.pid, "load: %s: %.*s and %.*s",
				 (ops->flags & XBT_OPS_DISJOINT) ?
				 "duplicate key or overlapping extent" :
				 "duplicate key",
				 (int)len[0] - 1, text[0],
				 (int)len[1] - 1, text[1]);
	else if (len[1])
		xfbfs_tree_error(tree, l->h.pid, "load: %s: %.*s",
				 strerror(-error), (int)len[1] - 1, text[1]);
	else
		xfbfs_tree_error(tree, l->h.pid, "load: %s",
				 strerror(-error));
}

static int
xfbfs_load_commit(struct xfbfs_tree *tree, struct xfbfs_load *l)
{
	const struct xbt_ops	*ops = l->type->ops;
	struct xfbfs_sort_ctx	sc = { .ops = ops, .tree = tree };
	struct xfbfs_load_iter	it = { .tree = tree, .load = l };
	struct xbtree_params	params;
	struct xbtree		*bt, *old = NULL;
	uint8_t			uuid[XBT_UUID_LEN];
	int			error = 0;

	__atomic_store_n(&tree->load_sorted, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&tree->load_built, 0, __ATOMIC_RELAXED);
	if (!l->sorted) {
		if (ops->flags & XBT_OPS_KEY_PREFIX)
			xfarray_sort(l->arr, xfbfs_load_cmp_prefix,
				     ops->key_len, xfbfs_sort_progress, &sc);
		else
			xfarray_sort(l->arr, xfbfs_load_cmp, 0,
				     xfbfs_sort_progress, &sc);
		l->sorted = true;
	}
	__atomic_store_n(&tree->load_sorted, xfarray_length(l->arr),
			 __ATOMIC_RELAXED);

	/* The new btree keeps the old one's UUID: it is the same btree. */
	error = xfbfs_tree_lock_live(tree, false);
	if (error)
		return error;
	memcpy(uuid, xbtree_uuid(tree->bt), XBT_UUID_LEN);
	xfbfs_rwlock_unlock(&tree->lock);

	xfbfs_tree_params(tree, uuid, &params);
	error = xbtree_bload(ops, &params, xfarray_length(l->arr),
			     xfbfs_load_next, &it, xfbfs_build_progress, &bt);
	if (error) {
		xfbfs_load_report(tree, l, it.next, error);
		return error;
	}

	error = xfbfs_tree_lock_live(tree, true);
	if (error)
		goto out_destroy;
	if (tree->type != l->type) {
		xfbfs_tree_error(tree, l->h.pid, "load: the type changed to "
				 "%s while loading %s records",
				 tree->type->name, l->type->name);
		error = -EINVAL;
	} else {
		xfbfs_tree_swap(tree, bt, &old);
		xfbfs_trace_load(tree);
		bt = NULL;
	}
	xfbfs_rwlock_unlock(&tree->lock);
out_destroy:
	xbtree_destroy(bt);
	xbtree_destroy(old);
	if (!error)
		__atomic_add_fetch(&tree->nr_loads, 1, __ATOMIC_RELAXED);
	return error;
}

/* FLUSH / fsync: commit if changed.  0 or -errno (reason in errors). */
static int
xfbfs_load_flush(struct xfbfs_load *l)
{
	struct xfbfs_tree	*tree = l->h.tree;
	int			error;

	if (!l->changed)
		return 0;
	l->changed = false;
	error = l->error;
	if (error)
		xfbfs_tree_error(tree, l->h.pid, "load: an earlier write "
				 "failed (%s): nothing loaded", strerror(-error));
	else
		error = xfbfs_load_commit(tree, l);
	if (error) {
		xfbfs_load_reset(l);
		__atomic_add_fetch(&tree->nr_failed, 1, __ATOMIC_RELAXED);
	}
	return error;
}

/* ---- the file ----------------------------------------------------------- */

/*
 * The consumer of a write's lines (lines.h): parse each record in the
 * staging's type and stage it.  No tree lock: the staging is the open
 * file's own.
 */
static int
xfbfs_load_take(struct xfbfs_handle *h, struct xfbfs_lines *lines)
{
	struct xfbfs_load	*l = xfbfs_load_handle(h);
	struct xfbfs_item	it;
	const char		*line = NULL, *why = NULL;
	size_t			len = 0;
	int			error;

	if (xfbfs_tree_is_dead(h->tree))
		return -ENOENT;
	for (;;) {
		error = xfbfs_next_item(l->type, false, lines, &it, &line,
					&len, &why);
		if (error == 0)
			return 0;
		if (error < 0) {
			xfbfs_line_error(h, lines->lineno, why, line, len);
			return error;
		}
		error = xfbfs_load_add(l, it.bytes);
		if (error) {
			xfbfs_line_error(h, it.line, strerror(-error),
					 it.text, it.text_len);
			return error;
		}
	}
}

/*
 * A write, or with @final the tail at FLUSH.  A failure poisons the
 * staging; the FLUSH that reports it counts the failed transaction.
 */
static int
xfbfs_load_lines(struct xfbfs_load *l, const char *buf, size_t size,
		bool final)
{
	int	error;

	error = xfbfs_asm_write(&l->h, &l->as, buf, size, final,
				xfbfs_load_take);
	if (error)
		xfbfs_load_poison(l, error);
	return error;
}

static int
xfbfs_load_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	struct xfbfs_load	*l = xfbfs_load_handle(h);
	int			error;

	(void)off;
	error = xfbfs_load_begin(l);
	if (error)
		return error;
	return xfbfs_load_lines(l, buf, size, false);
}

/* close: the tail is a last line, then the commit (which says if the
 * tail, or any write before it, poisoned the staging). */
static int
xfbfs_load_close(struct xfbfs_handle *h)
{
	struct xfbfs_load	*l = xfbfs_load_handle(h);

	if (xfbfs_asm_pending(&l->as))
		xfbfs_load_lines(l, "", 0, true);
	return xfbfs_load_flush(l);
}

static int
xfbfs_load_fsync(struct xfbfs_handle *h)
{
	return xfbfs_load_flush(xfbfs_load_handle(h));
}

static void
xfbfs_load_release(struct xfbfs_handle *h)
{
	struct xfbfs_load	*l = xfbfs_load_handle(h);

	if (!l->arr)
		return;
	__atomic_sub_fetch(&h->tree->load_staged, xfarray_length(l->arr),
			   __ATOMIC_RELAXED);
	xfarray_destroy(l->arr);
}

const struct xfbfs_file_ops xfbfs_kind_load = {
	.name		= "load",
	.mode		= S_IFREG | 0200,
	.handle_size	= sizeof(struct xfbfs_load),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_load_release,
	.write		= xfbfs_load_write,
	.flush		= xfbfs_load_close,
	.fsync		= xfbfs_load_fsync,
};
