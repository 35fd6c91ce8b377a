// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace.c: the `trace` file, the engine's events as ftrace's trace file
 * shows a kernel's.
 *
 * Off by default, and then free: no callback is set on the btree, so
 * every event point in the engine costs one predictable branch.  A write
 * of "on", "off" or "clear" (the whole write, one trailing newline
 * allowed; anything else EINVAL) turns recording on (allocating the ring
 * the first time), off (the ring is kept for reading) or empties the
 * ring.  While on, the engine calls xfbfs_trace_event() with each event
 * (struct xbt_event, xbtree.h), which stores it with its time in the
 * ring; reading makes the text, oldest event first, one line each:
 *
 *	<seconds.microseconds> <event>: <name>=<value> ...
 *
 * The ring: a fixed array of XFBFS_TRACE_MAX binary records (struct
 * xfbfs_trace_rec), allocated with xmem on the first `on` and freed with
 * the tree; the newest overwrite the oldest.  Tracing belongs to the
 * daemon's tree, not to one btree: when a load (or a data rebuild) swaps
 * a new btree in, or a type change makes one, xfbfs_trace_attach() sets
 * the callback on it; a load then records its own `load` event.
 *
 * Locking: tree->trace_lock (rank XFBFS_RANK_TRACE, the last) guards the
 * ring and tree->trace_on; nothing is taken under it.  The callback runs
 * in the writer, under tree->lock for writing; `on` and `off` take
 * tree->lock for writing too (the library's callback is the writer's).
 * Reading takes trace_lock alone, so it never waits for a long writer.
 *
 * Related: btree/xbtree.h (the events), snapshot.c (the read and release
 * ops this kind shares), tests/check_trace.c, tests/integration/trace.sh.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/out.h"
#include "xfile/xmem.h"

/* One event's line: its name and the names of its numbers (NULL: none). */
struct xfbfs_trace_fmt {
	const char	*name;
	const char	*level;		/* "level" or NULL */
	const char	*a, *b, *c;
};

static const struct xfbfs_trace_fmt xfbfs_trace_fmts[XBT_EV_NR] = {
	[XBT_EV_ALLOC_BLOCK]	= { "alloc_block", "level", "block" },
	[XBT_EV_FREE_BLOCK]	= { "free_block", "level", "block" },
	[XBT_EV_SPLIT]		= { "split", "level", "block", "new", "moved" },
	[XBT_EV_SHIFT]		= { "shift", "level", "from", "to", "count" },
	[XBT_EV_MERGE]		= { "merge", "level", "block", "into" },
	[XBT_EV_NEW_ROOT]	= { "new_root", NULL, "block", "height" },
	[XBT_EV_ROOT_KILL]	= { "root_kill", NULL, "block", "height" },
	[XBT_EV_COMMIT]		= { "commit", NULL, "blocks", "logged" },
	[XBT_EV_CANCEL]		= { "cancel", NULL, "blocks" },
	[XBT_EV_LOAD]		= { "load", NULL, "records", "blocks",
				    "height" },
	[XBT_EV_XFILE_GROW]	= { "xfile_grow", NULL, "offset", "bytes" },
	[XBT_EV_XFILE_PUNCH]	= { "xfile_punch", NULL, "offset", "bytes" },
};

/* Store one event (trace_lock held). */
static void
xfbfs_trace_store(struct xfbfs_tree *tree, const struct xbt_event *ev)
{
	struct xfbfs_trace_rec	*r;

	ASSERT(xfbfs_mutex_is_locked(&tree->trace_lock));
	if (!tree->trace_on)
		return;
	r = &tree->trace[tree->trace_next];
	clock_gettime(CLOCK_REALTIME, &r->when);
	r->ev = *ev;
	tree->trace_next = (tree->trace_next + 1) % XFBFS_TRACE_MAX;
	if (tree->trace_count < XFBFS_TRACE_MAX)
		tree->trace_count++;
}

/* The engine's callback (xbtree_set_trace()): @priv is the tree. */
static void
xfbfs_trace_event(const struct xbt_event *ev, void *priv)
{
	struct xfbfs_tree	*tree = priv;

	xfbfs_mutex_lock(&tree->trace_lock);
	xfbfs_trace_store(tree, ev);
	xfbfs_mutex_unlock(&tree->trace_lock);
}

void
xfbfs_trace_attach(struct xfbfs_tree *tree, struct xbtree *bt)
{
	bool	on;

	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	xfbfs_mutex_lock(&tree->trace_lock);
	on = tree->trace_on;
	xfbfs_mutex_unlock(&tree->trace_lock);
	xbtree_set_trace(bt, on ? xfbfs_trace_event : NULL, tree);
}

void
xfbfs_trace_load(struct xfbfs_tree *tree)
{
	struct xbtree_stats	st;
	struct xbt_event	ev = { .type = XBT_EV_LOAD };

	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	xbtree_get_stats(tree->bt, &st);
	ev.a = st.records;
	ev.b = st.blocks;
	ev.c = st.height;
	xfbfs_trace_event(&ev, tree);
}

void
xfbfs_trace_free(struct xfbfs_tree *tree)
{
	xmem_free(tree->trace);
	tree->trace = NULL;
}

/* One event's line. */
static int
xfbfs_trace_line(struct xmem_str *o, const struct xfbfs_trace_rec *r)
{
	const struct xfbfs_trace_fmt	*f = &xfbfs_trace_fmts[r->ev.type];
	int				error;

	error = xmem_str_printf(o, "%lld.%06ld %s:",
				(long long)r->when.tv_sec,
				r->when.tv_nsec / 1000, f->name);
	if (!error && f->level)
		error = xmem_str_printf(o, " level=%u", r->ev.level);
	if (!error && f->a)
		error = xmem_str_printf(o, " %s=%llu", f->a,
					(unsigned long long)r->ev.a);
	if (!error && f->b)
		error = xmem_str_printf(o, " %s=%llu", f->b,
					(unsigned long long)r->ev.b);
	if (!error && f->c)
		error = xmem_str_printf(o, " %s=%llu", f->c,
					(unsigned long long)r->ev.c);
	if (!error)
		error = xmem_str_append(o, "\n", 1);
	return error;
}

/* The ring as text, oldest first (trace_lock alone). */
static int
xfbfs_make_trace(struct xfbfs_tree *tree, struct xmem_str *o)
{
	unsigned int	i, idx;
	int		error = 0;

	if (xfbfs_tree_is_dead(tree))
		return -ENOENT;
	xfbfs_mutex_lock(&tree->trace_lock);
	for (i = 0; i < tree->trace_count && !error; i++) {
		idx = (tree->trace_next + XFBFS_TRACE_MAX - tree->trace_count +
		       i) % XFBFS_TRACE_MAX;
		error = xfbfs_trace_line(o, &tree->trace[idx]);
	}
	xfbfs_mutex_unlock(&tree->trace_lock);
	return error;
}

/* "on", "off" or "clear", with at most one trailing newline. */
static int
xfbfs_trace_word(const char *buf, size_t size, const char *word)
{
	size_t	len = strlen(word);

	if (size == len + 1 && buf[len] == '\n')
		size--;
	return size == len && !memcmp(buf, word, len);
}

static int
xfbfs_trace_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	struct xfbfs_tree	*tree = h->tree;
	struct xfbfs_trace_rec	*ring = NULL;
	bool			on;
	int			error;

	(void)off;
	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	if (xfbfs_trace_word(buf, size, "clear")) {
		xfbfs_mutex_lock(&tree->trace_lock);
		tree->trace_count = 0;
		tree->trace_next = 0;
		xfbfs_mutex_unlock(&tree->trace_lock);
		return 0;
	}
	if (xfbfs_trace_word(buf, size, "on"))
		on = true;
	else if (xfbfs_trace_word(buf, size, "off"))
		on = false;
	else {
		xfbfs_tree_error(tree, h->pid, "trace: expected on, off or "
				 "clear: %.*s", (int)(size > 64 ? 64 : size),
				 buf);
		return -EINVAL;
	}
	if (on && !tree->trace) {
		/* Allocated outside every lock; a racing `on` frees ours. */
		ring = xmem_alloc(XFBFS_TRACE_MAX * sizeof(*ring));
		if (!ring)
			return -ENOMEM;
	}
	error = xfbfs_tree_lock_live(tree, true);
	if (error)
		goto out_free;
	xfbfs_mutex_lock(&tree->trace_lock);
	if (on && !tree->trace) {
		tree->trace = ring;
		ring = NULL;
	}
	tree->trace_on = on && tree->trace;
	xfbfs_mutex_unlock(&tree->trace_lock);
	xfbfs_trace_attach(tree, tree->bt);
	xfbfs_rwlock_unlock(&tree->lock);
out_free:
	xmem_free(ring);
	return error;
}

const struct xfbfs_file_ops xfbfs_kind_trace = {
	.name		= "trace",
	.mode		= S_IFREG | 0644,
	.handle_size	= sizeof(struct xfbfs_snap_handle),
	.truncate	= xfbfs_truncate_nothing,
	.release	= xfbfs_snapshot_release,
	.read		= xfbfs_snapshot_read,
	.write		= xfbfs_trace_write,
	.snapshot	= xfbfs_make_trace,
};
