// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snapshot.c: the files whose text is made whole when read: type, stats,
 * check, errors and tree.dot (and `type` taking a new type).
 *
 * A read at offset 0 makes the whole text into the open file's window
 * and later reads take from it, as sysfs does: `cat` sees one consistent
 * text however small its reads, and a reader that wants a fresh one
 * reads from 0 again (or reopens).  The text is made by the kind's
 * .snapshot op, which takes the tree's read lock itself (errors needs
 * only the error ring's lock).
 *
 * Every snapshot kind's handle is a struct xfbfs_snap_handle; a new
 * snapshot kind needs only its .snapshot op and the three shared ops
 * below in its table.  (tree.html is not one: it reports its true size,
 * so it keeps its page per tree, html.c.)
 *
 * Locking: h->lock guards the window; makers take tree->lock for reading
 * (check walks every block under it) and drop it before returning.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/out.h"

static inline struct xfbfs_snap_handle *
xfbfs_snap_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_snap_handle, h);
}

/* The read op of every snapshot kind. */
int
xfbfs_snapshot_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	struct xfbfs_snap_handle *sh = xfbfs_snap_handle(h);
	struct xmem_str		*text = &sh->text;
	uint64_t		pos = off;
	size_t			skip;
	int			error;

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	if (off == 0 || !sh->made) {
		xmem_str_reset(text);
		sh->made = false;
		error = h->ops->snapshot(h->tree, text);
		if (error)
			return error;
		sh->made = true;
	}
	skip = pos < text->len ? pos : text->len;
	*datap = xmem_str_cstr(text) + skip;
	if (*sizep > text->len - skip)
		*sizep = text->len - skip;
	return 0;
}

/* The release op of every snapshot kind. */
void
xfbfs_snapshot_release(struct xfbfs_handle *h)
{
	xmem_str_release(&xfbfs_snap_handle(h)->text);
}

/* ---- type ------------------------------------------------------------- */

static int
xfbfs_make_type(struct xfbfs_tree *tree, struct xmem_str *o)
{
	int	error;

	error = xfbfs_tree_lock_live(tree, false);
	if (error)
		return error;
	error = xmem_str_printf(o, "%s\n", tree->type->name);
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

/* Trim trailing spaces, tabs and a newline (for the `type` value). */
static size_t
xfbfs_trim(const char *buf, size_t len)
{
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
		       buf[len - 1] == '\t'))
		len--;
	return len;
}

/* A write to `type`: the whole write is the new type's name. */
static int
xfbfs_type_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	struct xfbfs_tree	*tree = h->tree;
	const struct xfbfs_type	*type;
	size_t			len = xfbfs_trim(buf, size);
	int			error;

	(void)off;
	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	type = xfbfs_type_find(buf, len);
	if (!type) {
		xfbfs_tree_error(tree, h->pid, "type: unknown type: %.*s",
				 (int)(len > 64 ? 64 : len), buf);
		return -EINVAL;
	}
	error = xfbfs_tree_lock_live(tree, true);
	if (error)
		return error;
	error = xfbfs_tree_set_type(tree, type);
	xfbfs_rwlock_unlock(&tree->lock);
	if (error == -EBUSY)
		xfbfs_tree_error(tree, h->pid, "type: btree is not empty");
	return error;
}

const struct xfbfs_file_ops xfbfs_kind_type = {
	.name		= "type",
	.mode		= S_IFREG | 0644,
	.handle_size	= sizeof(struct xfbfs_snap_handle),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_snapshot_release,
	.read		= xfbfs_snapshot_read,
	.write		= xfbfs_type_write,
	.snapshot	= xfbfs_make_type,
};

/* ---- stats ------------------------------------------------------------ */

static inline unsigned long long
xfbfs_peek(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static int
xfbfs_make_stats(struct xfbfs_tree *tree, struct xmem_str *o)
{
	struct xbtree_stats	st;
	int			error;

	error = xfbfs_tree_lock_live(tree, false);
	if (error)
		return error;
	xbtree_get_stats(tree->bt, &st);
	/* A damaged btree still has stats: then the header's size. */
	if (tree->type == &xfbfs_type_kv)
		xfbfs_data_size(tree, &st.data_size);
	error = xmem_str_printf(o,
		"type %s\nrecords %llu\nheight %u\nblocks %llu\n"
		"blocksize %u\nbytes %llu\ndata_size %llu\nhealth %s\n"
		"maxrecs_leaf %u\nmaxrecs_node %u\n"
		"inserts %llu\ndeletes %llu\nupdates %llu\nlookups %llu\n"
		"splits %llu\nmerges %llu\nshifts %llu\nnew_roots %llu\n"
		"root_kills %llu\ncommits %llu\ncancels %llu\n"
		"failed_transactions %llu\nloads %llu\nload_staged %llu\n"
		"load_sorted %llu\nload_built %llu\n",
		tree->type->name, (unsigned long long)st.records, st.height,
		(unsigned long long)st.blocks, st.blocksize,
		(unsigned long long)st.bytes,
		(unsigned long long)st.data_size,
		st.corrupt ? "corrupt" : "ok", st.maxrecs[0], st.maxrecs[1],
		(unsigned long long)st.inserts,
		(unsigned long long)st.deletes,
		(unsigned long long)st.updates,
		(unsigned long long)st.lookups,
		(unsigned long long)st.splits, (unsigned long long)st.merges,
		(unsigned long long)st.shifts,
		(unsigned long long)st.new_roots,
		(unsigned long long)st.root_kills,
		(unsigned long long)st.commits,
		(unsigned long long)st.cancels,
		xfbfs_peek(&tree->nr_failed), xfbfs_peek(&tree->nr_loads),
		xfbfs_peek(&tree->load_staged),
		xfbfs_peek(&tree->load_sorted),
		xfbfs_peek(&tree->load_built));
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

const struct xfbfs_file_ops xfbfs_kind_stats = {
	.name		= "stats",
	.mode		= S_IFREG | 0444,
	.handle_size	= sizeof(struct xfbfs_snap_handle),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_snapshot_release,
	.read		= xfbfs_snapshot_read,
	.snapshot	= xfbfs_make_stats,
};

/* ---- check ------------------------------------------------------------ */

#define XFBFS_CHECK_LINES_MAX	1000	/* problems printed; the rest counted */

struct xfbfs_check_out {
	struct xmem_str		*o;
	uint64_t		lines;
	int			error;
};

static void
xfbfs_check_report(uint64_t bno, const char *msg, void *priv)
{
	struct xfbfs_check_out	*c = priv;

	if (c->lines++ < XFBFS_CHECK_LINES_MAX && !c->error)
		c->error = xmem_str_printf(c->o, "block %llu: %s\n",
					    (unsigned long long)bno, msg);
}

static int
xfbfs_make_check(struct xfbfs_tree *tree, struct xmem_str *o)
{
	struct xfbfs_check_out	c = { .o = o };
	uint64_t		problems;
	int			error;

	error = xfbfs_tree_lock_live(tree, false);
	if (error)
		return error;
	error = xbtree_check(tree->bt, xfbfs_check_report, &c, &problems);
	xfbfs_rwlock_unlock(&tree->lock);
	if (error)
		return error;
	if (c.error)
		return c.error;
	if (!problems)
		return xmem_str_printf(o, "ok\n");
	if (problems > XFBFS_CHECK_LINES_MAX)
		return xmem_str_printf(o, "... %llu more problems\n",
				(unsigned long long)(problems -
						     XFBFS_CHECK_LINES_MAX));
	return 0;
}

const struct xfbfs_file_ops xfbfs_kind_check = {
	.name		= "check",
	.mode		= S_IFREG | 0444,
	.handle_size	= sizeof(struct xfbfs_snap_handle),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_snapshot_release,
	.read		= xfbfs_snapshot_read,
	.snapshot	= xfbfs_make_check,
};

/* ---- errors ----------------------------------------------------------- */

/*
 * The ring, oldest first.  The ring's lock alone: errors can be read
 * while a writer holds the tree.
 */
static int
xfbfs_make_errors(struct xfbfs_tree *tree, struct xmem_str *o)
{
	struct xfbfs_error	*e;
	struct tm		tm;
	char			when[32];
	unsigned int		i, idx;
	int			error = 0;

	xfbfs_mutex_lock(&tree->err_lock);
	for (i = 0; i < tree->err_count && !error; i++) {
		/* err_next is where the next one goes: the oldest is
		 * err_count entries before it, round the ring. */
		idx = (tree->err_next + XFBFS_ERRORS_MAX - tree->err_count +
		       i) % XFBFS_ERRORS_MAX;
		e = &tree->errors[idx];
		gmtime_r(&e->when.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		error = xmem_str_printf(o, "%s pid %d %s\n", when,
					(int)e->pid, e->text);
	}
	xfbfs_mutex_unlock(&tree->err_lock);
	return error;
}

const struct xfbfs_file_ops xfbfs_kind_errors = {
	.name		= "errors",
	.mode		= S_IFREG | 0444,
	.handle_size	= sizeof(struct xfbfs_snap_handle),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_snapshot_release,
	.read		= xfbfs_snapshot_read,
	.snapshot	= xfbfs_make_errors,
};

/* ---- tree.dot --------------------------------------------------------- */

#define XFBFS_DOT_BLOCKS	300	/* tree.dot draws at most this many */

static int
xfbfs_dot_out(const char *text, size_t len, void *priv)
{
	return xmem_str_append(priv, text, len);
}

static int
xfbfs_make_dot(struct xfbfs_tree *tree, struct xmem_str *o)
{
	int	error;

	error = xfbfs_tree_lock_live(tree, false);
	if (error)
		return error;
	error = xbtree_dump_dot(tree->bt, XFBFS_DOT_BLOCKS, xfbfs_dot_out, o);
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

const struct xfbfs_file_ops xfbfs_kind_treedot = {
	.name		= "tree.dot",
	.mode		= S_IFREG | 0444,
	.handle_size	= sizeof(struct xfbfs_snap_handle),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_snapshot_release,
	.read		= xfbfs_snapshot_read,
	.snapshot	= xfbfs_make_dot,
};
