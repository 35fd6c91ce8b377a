// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * file.c: open files of a btree directory: what reading and writing each
 * one means.
 *
 * Every open file has a struct xfbfs_handle (fi->fh) with a reference on
 * its tree, a line assembler for the files that take lines, and an output
 * window for the files that produce text:
 *
 *	writes (insert, delete, lookup)
 *	    tail | write buffer ...................... |
 *	    '--- first line ---'  line 2 \n ... \n  new tail (no \n yet)
 *	    A line split across writes waits in `tail` (at most a line's
 *	    length); a write's complete lines are parsed first, then applied
 *	    under the tree's write lock in one transaction, so that a bad
 *	    line anywhere leaves the tree as it was.  FLUSH (close) takes a
 *	    pending tail as a last line.
 *
 *	reads (records, lookup answers)
 *	    |<- already read ->|<--- out window ---->|<- not yet made ->|
 *	                       out_pos        out_pos + out_len
 *	    Text is made a chunk at a time under the tree's read lock, by a
 *	    cursor that resumes after the last key it printed, so a read of
 *	    the whole tree never holds more than a chunk, never holds the
 *	    lock between reads, and sees every record that existed for the
 *	    whole read exactly once.
 *
 *	snapshots (type, stats, check, errors, tree.dot)
 *	    made whole at a read at offset 0, as sysfs does.
 *
 *	pages/N: the block copied out under the read lock (one consistent
 *	    image); with pages_writable, written in under the write lock.
 *
 * Locking: h->lock serialises requests on one open file and is taken
 * before tree->lock; no lock is held across a reply.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "btree/btree_kv.h"
#include "fusefs/xfbfs.h"

#define XFBFS_CHUNK		(64 * 1024)	/* text made per lock hold */
#define XFBFS_QUERIES_MAX	100000		/* per write to `lookup` */
#define XFBFS_PREFETCH_AHEAD	8		/* items of a write */

enum xfbfs_query_op {
	XFBFS_Q_EQ,
	XFBFS_Q_LE,
	XFBFS_Q_GE,
	XFBFS_Q_RANGE,
	XFBFS_Q_PATH,
};

struct xfbfs_query {
	enum xfbfs_query_op	op;
	uint8_t			key[XBT_KEY_MAX];
	uint8_t			high[XBT_KEY_MAX];
};

/* One parsed line of an insert or delete: a record, or a key alone. */
struct xfbfs_item {
	uint8_t		bytes[XBT_REC_MAX];
	bool		is_key;
	unsigned int	line;		/* number within its write */
	const char	*text;		/* the line as written (for errors) */
	size_t		text_len;
};

struct xfbfs_handle {
	struct xfbfs_open	link;		/* first: xfbfs_handles */
	struct xfbfs_tree	*tree;
	enum xfbfs_file		kind;
	uint64_t		bno;		/* pages/N */
	pthread_mutex_t		lock;

	struct xfbfs_load	*load;		/* `load`: the staging */
	struct xfbfs_html	*html;		/* tree.html: its rendering */

	/* line assembly */
	char			tail[XFBFS_LINE_MAX + 1];
	size_t			tail_len;

	/* output window */
	char			*out;
	size_t			out_len;
	size_t			out_cap;
	uint64_t		out_pos;	/* stream offset of out[0] */
	bool			eof;		/* nothing more to make */

	/* stream state: records, lookup answers */
	const struct xfbfs_type	*qtype;		/* type the queries are for */
	uint8_t			resume[XBT_KEY_MAX];
	bool			resumed;	/* resume holds a key */
	struct xfbfs_query	*queries;
	size_t			nqueries;
	size_t			queries_cap;
	size_t			qnext;		/* query being answered */
};

/* ---- output window ----------------------------------------------------- */

static int
xfbfs_out_reserve(struct xfbfs_handle *h, size_t more)
{
	size_t	cap = h->out_cap ? h->out_cap : 4096;
	char	*p;

	if (h->out_len + more <= h->out_cap)
		return 0;
	while (cap < h->out_len + more)
		cap *= 2;
	p = realloc(h->out, cap);
	if (!p)
		return -ENOMEM;
	h->out = p;
	h->out_cap = cap;
	return 0;
}

static int __attribute__((format(printf, 2, 3)))
xfbfs_out_printf(struct xfbfs_handle *h, const char *fmt, ...)
{
	va_list	ap;
	int	n, error;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	error = xfbfs_out_reserve(h, n + 1);
	if (error)
		return error;
	va_start(ap, fmt);
	vsnprintf(h->out + h->out_len, n + 1, fmt, ap);
	va_end(ap);
	h->out_len += n;
	return 0;
}

static void
xfbfs_out_reset(struct xfbfs_handle *h)
{
	h->out_len = 0;
	h->out_pos = 0;
	h->eof = false;
	h->resumed = false;
	h->qnext = 0;
}

/* Drop the window's first @n bytes (they were read). */
static void
xfbfs_out_consume(struct xfbfs_handle *h, size_t n)
{
	if (!n)
		return;
	memmove(h->out, h->out + n, h->out_len - n);
	h->out_len -= n;
	h->out_pos += n;
}

/* ---- snapshots --------------------------------------------------------- */

static int
xfbfs_make_stats(struct xfbfs_handle *h, struct xbtree *bt)
{
	struct xfbfs_tree	*tree = h->tree;
	struct xbtree_stats	st;

	xbtree_get_stats(bt, &st);
	/* A damaged btree still has stats: then the header's size. */
	if (tree->type == &xfbfs_type_kv)
		xfbfs_data_size(bt, &st.data_size);
	return xfbfs_out_printf(h,
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
		(unsigned long long)__atomic_load_n(&tree->nr_failed,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&tree->nr_loads,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&tree->load_staged,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&tree->load_sorted,
						    __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&tree->load_built,
						    __ATOMIC_RELAXED));
}

struct xfbfs_check_out {
	struct xfbfs_handle	*h;
	uint64_t		lines;
	int			error;
};

#define XFBFS_CHECK_LINES_MAX	1000

static void
xfbfs_check_report(uint64_t bno, const char *msg, void *priv)
{
	struct xfbfs_check_out	*c = priv;

	if (c->lines++ < XFBFS_CHECK_LINES_MAX && !c->error)
		c->error = xfbfs_out_printf(c->h, "block %llu: %s\n",
					    (unsigned long long)bno, msg);
}

static int
xfbfs_make_check(struct xfbfs_handle *h, struct xbtree *bt)
{
	struct xfbfs_check_out	c = { .h = h };
	uint64_t		problems;
	int			error;

	error = xbtree_check(bt, xfbfs_check_report, &c, &problems);
	if (error)
		return error;
	if (c.error)
		return c.error;
	if (!problems)
		return xfbfs_out_printf(h, "ok\n");
	if (problems > XFBFS_CHECK_LINES_MAX)
		return xfbfs_out_printf(h, "... %llu more problems\n",
				(unsigned long long)(problems -
						     XFBFS_CHECK_LINES_MAX));
	return 0;
}

static int
xfbfs_make_errors(struct xfbfs_handle *h)
{
	struct xfbfs_tree	*tree = h->tree;
	struct xfbfs_error	*e;
	struct tm		tm;
	char			when[32];
	unsigned int		i, idx;
	int			error = 0;

	pthread_mutex_lock(&tree->err_lock);
	for (i = 0; i < tree->err_count && !error; i++) {
		idx = (tree->err_next + XFBFS_ERRORS_MAX - tree->err_count +
		       i) % XFBFS_ERRORS_MAX;
		e = &tree->errors[idx];
		gmtime_r(&e->when.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		error = xfbfs_out_printf(h, "%s %s\n", when, e->text);
	}
	pthread_mutex_unlock(&tree->err_lock);
	return error;
}

#define XFBFS_DOT_BLOCKS	300	/* tree.dot draws at most this many */

static int
xfbfs_dot_out(const char *text, size_t len, void *priv)
{
	struct xfbfs_handle	*h = priv;
	int			error;

	error = xfbfs_out_reserve(h, len);
	if (error)
		return error;
	memcpy(h->out + h->out_len, text, len);
	h->out_len += len;
	return 0;
}

/* Make the whole text of a snapshot file. */
static int
xfbfs_make_snapshot(struct xfbfs_handle *h)
{
	struct xfbfs_tree	*tree = h->tree;
	int			error = 0;

	xfbfs_out_reset(h);
	if (h->kind == XFBFS_F_ERRORS)
		return xfbfs_make_errors(h);
	pthread_rwlock_rdlock(&tree->lock);
	if (tree->dead) {
		error = -ENOENT;
		goto out_unlock;
	}
	switch (h->kind) {
	case XFBFS_F_TYPE:
		error = xfbfs_out_printf(h, "%s\n", tree->type->name);
		break;
	case XFBFS_F_STATS:
		error = xfbfs_make_stats(h, tree->bt);
		break;
	case XFBFS_F_CHECK:
		error = xfbfs_make_check(h, tree->bt);
		break;
	case XFBFS_F_TREEDOT:
		error = xbtree_dump_dot(tree->bt, XFBFS_DOT_BLOCKS, xfbfs_dot_out,
				     h);
		break;
	default:
		error = -EINVAL;
	}
out_unlock:
	pthread_rwlock_unlock(&tree->lock);
	return error;
}

/* ---- streams: records and lookup answers ------------------------------- */

struct xfbfs_gen {
	struct xfbfs_handle	*h;
	const struct xbt_ops	*ops;
	const struct xfbfs_type	*type;
	size_t			target;		/* stop once out_len >= this */
	bool			stopped;	/* stopped for room, not done */
	const uint8_t		*qlow;		/* range: the query's low key */
};

/* Print one record unless it is at or before the resume key. */
static int
xfbfs_gen_rec(const void *rec, void *priv)
{
	struct xfbfs_gen	*g = priv;
	struct xfbfs_handle	*h = g->h;
	uint8_t			key[XBT_KEY_MAX];
	int			error;

	g->ops->init_key_from_rec(key, rec);
	if (h->resumed && g->ops->cmp_keys(key, h->resume) <= 0)
		return 0;
	if (g->qlow) {
		/*
		 * A resumed range walks from the last key printed, which may
		 * lie below the query: keep only records reaching into it.
		 */
		uint8_t	hk[XBT_KEY_MAX];

		g->ops->init_high_key_from_rec(hk, rec);
		if (g->ops->cmp_keys(hk, g->qlow) < 0)
			return 0;
	}
	error = xfbfs_out_reserve(h, XFBFS_REC_TEXT_MAX);
	if (error)
		return error;
	h->out_len += g->type->format_rec(rec, h->out + h->out_len);
	memcpy(h->resume, key, g->ops->key_len);
	h->resumed = true;
	if (h->out_len >= g->target) {
		g->stopped = true;
		return XBT_QUERY_STOP;
	}
	return 0;
}

/*
 * The next chunk of `records`: a cursor walk from the resume key.  Only
 * the first record found can be the one printed last (the walk starts at
 * the first key >= it), so the loop itself just prints.
 */
static int
xfbfs_gen_records(struct xfbfs_gen *g, struct xbtree *bt)
{
	struct xfbfs_handle	*h = g->h;
	const struct xbt_ops	*ops = g->ops;
	size_t			(*format)(const void *, char *) =
				g->type->format_rec;
	struct xbt_cur		cur;
	uint8_t			zero[XBT_KEY_MAX] = { 0 };
	uint8_t			key[XBT_KEY_MAX];
	const void		*rec = NULL;
	int			stat, error;

	error = xfbfs_out_reserve(h, g->target - h->out_len +
				  XFBFS_REC_TEXT_MAX);
	if (error)
		return error;
	xbt_cur_init(&cur, bt);
	error = xbt_lookup(&cur, XBT_LOOKUP_GE, h->resumed ? h->resume : zero,
			   &stat);
	if (!error && stat && h->resumed) {
		ops->init_key_from_rec(key, xbt_cur_rec(&cur));
		if (ops->cmp_keys(key, h->resume) == 0)
			error = xbt_increment(&cur, &stat);
	}
	while (!error && stat && h->out_len < g->target) {
		rec = xbt_cur_rec(&cur);
		h->out_len += format(rec, h->out + h->out_len);
		error = xbt_increment(&cur, &stat);
	}
	if (rec) {
		ops->init_key_from_rec(h->resume, rec);
		h->resumed = true;
	}
	if (!error && !stat)
		h->eof = true;
	return error;
}

/* `path KEY`: "level L block B slot S" lines, root first. */
static int
xfbfs_answer_path(struct xfbfs_handle *h, struct xbtree *bt, const void *key)
{
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	unsigned int		n, i;
	int			error;

	error = xbtree_path(bt, key, steps, &n);
	for (i = 0; i < n && !error; i++)
		error = xfbfs_out_printf(h, "level %u block %llu slot %u\n",
					 steps[i].level,
					 (unsigned long long)steps[i].bno,
					 steps[i].slot);
	return error;
}

/* The next chunk of a lookup answer. */
static int
xfbfs_gen_answer(struct xfbfs_gen *g, struct xbtree *bt)
{
	struct xfbfs_handle	*h = g->h;
	static const enum xbt_lookup dirs[] = {
		[XFBFS_Q_EQ] = XBT_LOOKUP_EQ,
		[XFBFS_Q_LE] = XBT_LOOKUP_LE,
		[XFBFS_Q_GE] = XBT_LOOKUP_GE,
	};
	struct xfbfs_query	*q;
	uint8_t			rec[XBT_REC_MAX];
	int			stat, error = 0;

	if (h->qtype != g->type) {
		/* The type changed since the queries were parsed. */
		h->eof = true;
		return 0;
	}
	while (h->qnext < h->nqueries && h->out_len < g->target) {
		q = &h->queries[h->qnext];
		if (q->op == XFBFS_Q_PATH) {
			error = xfbfs_answer_path(h, bt, q->key);
			if (error)
				return error;
			h->qnext++;
			continue;
		}
		if (q->op != XFBFS_Q_RANGE) {
			error = xbtree_get(bt, dirs[q->op], q->key, rec, &stat);
			if (error)
				return error;
			if (stat) {
				error = xfbfs_out_reserve(h,
						XFBFS_REC_TEXT_MAX);
				if (error)
					return error;
				h->out_len += g->type->format_rec(rec,
						h->out + h->out_len);
			}
			h->qnext++;
			continue;
		}
		g->stopped = false;
		g->qlow = q->key;
		error = xbtree_query_range(bt, h->resumed ? h->resume : q->key,
					q->high, xfbfs_gen_rec, g);
		g->qlow = NULL;
		if (error)
			return error;
		if (g->stopped)
			return 0;
		h->resumed = false;
		h->qnext++;
	}
	if (h->qnext == h->nqueries)
		h->eof = true;
	return 0;
}

/* Make more of a stream, so the window holds at least @want bytes. */
static int
xfbfs_make_more(struct xfbfs_handle *h, size_t want)
{
	struct xfbfs_tree	*tree = h->tree;
	struct xfbfs_gen	g = { .h = h };
	int			error = 0;

	while (!h->eof && h->out_len < want && !error) {
		pthread_rwlock_rdlock(&tree->lock);
		if (tree->dead) {
			error = -ENOENT;
		} else {
			g.type = tree->type;
			g.ops = g.type->ops;
			g.target = h->out_len + XFBFS_CHUNK;
			if (g.target < want)
				g.target = want;
			g.stopped = false;
			if (h->kind == XFBFS_F_RECORDS)
				error = xfbfs_gen_records(&g, tree->bt);
			else
				error = xfbfs_gen_answer(&g, tree->bt);
		}
		pthread_rwlock_unlock(&tree->lock);
	}
	return error;
}

/* ---- handles ------------------------------------------------------------ */

/* Every open file (see struct xfbfs_open). */
static struct xfbfs_open_list	xfbfs_handles = XFBFS_OPEN_LIST_INIT;

static void
xfbfs_handle_free(struct xfbfs_handle *h)
{
	xfbfs_open_del(&xfbfs_handles, &h->link);
	xfbfs_load_free(h->tree, h->load);
	xfbfs_html_put(h->html);
	xfbfs_tree_put(h->tree);
	pthread_mutex_destroy(&h->lock);
	free(h->out);
	free(h->queries);
	free(h);
}

static int
xfbfs_do_open(fuse_ino_t ino, int flags, struct xfbfs_handle **hp)
{
	uint64_t		sub = xfbfs_ino_sub(ino);
	enum xfbfs_file		kind = xfbfs_sub_kind(sub);
	struct xfbfs_tree	*tree;
	struct xfbfs_handle	*h;
	mode_t			mode;
	int			acc = flags & O_ACCMODE;
	int			error = 0;

	if (ino == XFBFS_ROOT_INO || kind == XFBFS_F_DIR ||
	    kind == XFBFS_F_PAGES)
		return -EISDIR;
	if (kind >= XFBFS_F_NR && kind != XFBFS_F_PAGE)
		return -ENOENT;
	tree = xfbfs_tree_get(xfbfs_ino_id(ino));
	if (!tree)
		return -ENOENT;
	pthread_rwlock_rdlock(&tree->lock);
	if (tree->dead)
		error = -ENOENT;
	else if (kind == XFBFS_F_PAGE &&
		 !xbtree_block_is_allocated(tree->bt, sub - XFBFS_PAGE_BASE))
		error = -ENOENT;
	else if (kind == XFBFS_F_DATA && tree->type != &xfbfs_type_kv)
		error = -ENOENT;
	pthread_rwlock_unlock(&tree->lock);
	if (error)
		goto out_put;

	/* The mode bits say what a file allows, for root too. */
	if (kind == XFBFS_F_PAGE)
		mode = xfbfs.opts.pages_writable ? 0644 : 0444;
	else
		mode = xfbfs_files[kind].mode;
	if (((acc == O_RDONLY || acc == O_RDWR) && !(mode & S_IRUSR)) ||
	    ((acc == O_WRONLY || acc == O_RDWR) && !(mode & S_IWUSR))) {
		error = -EACCES;
		goto out_put;
	}

	h = calloc(1, sizeof(*h));
	if (!h) {
		error = -ENOMEM;
		goto out_put;
	}
	/* O_TRUNC empties `data` (fio lays files out this way). */
	if (kind == XFBFS_F_DATA && (flags & O_TRUNC) && acc != O_RDONLY) {
		error = xfbfs_data_truncate(tree, 0);
		if (error) {
			free(h);
			goto out_put;
		}
	}
	/* tree.html reads the rendering of this moment to the end. */
	if (kind == XFBFS_F_TREEHTML) {
		error = xfbfs_html_get(tree, &h->html);
		if (error) {
			free(h);
			goto out_put;
		}
	}
	h->tree = tree;
	h->kind = kind;
	h->bno = sub - XFBFS_PAGE_BASE;
	pthread_mutex_init(&h->lock, NULL);
	xfbfs_open_add(&xfbfs_handles, &h->link);
	*hp = h;
	return 0;

out_put:
	xfbfs_tree_put(tree);
	return error;
}

int
xfbfs_open_fi(fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h;
	int			error;

	error = xfbfs_do_open(ino, fi->flags, &h);
	if (error)
		return error;
	/*
	 * Synthetic content: never cached, always read through us.  (So
	 * `data` cannot be memory-mapped either.)
	 */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = (uintptr_t)h;
	return 0;
}

void
xfbfs_release_fi(struct fuse_file_info *fi)
{
	xfbfs_handle_free((struct xfbfs_handle *)(uintptr_t)fi->fh);
}

void
xfbfs_files_destroy(void)
{
	struct xfbfs_open	*o;

	while ((o = xfbfs_open_first(&xfbfs_handles)))
		xfbfs_handle_free((struct xfbfs_handle *)o);
}

void
xfbfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int	error;

	error = xfbfs_open_fi(ino, fi);
	if (error)
		xfbfs_reply_err(req, error);
	else if (fuse_reply_open(req, fi) == -ENOENT)
		xfbfs_release_fi(fi);	/* interrupted: no release comes */
}

void
xfbfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	xfbfs_handle_free((struct xfbfs_handle *)(uintptr_t)fi->fh);
	xfbfs_reply_err(req, 0);
}

void
xfbfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h = (struct xfbfs_handle *)(uintptr_t)fi->fh;
	int			error = 0;

	(void)ino, (void)datasync;
	/* Everything is applied at write, but for what `load` stages. */
	if (h->kind == XFBFS_F_LOAD) {
		pthread_mutex_lock(&h->lock);
		error = xfbfs_load_flush(h->tree, h->load);
		pthread_mutex_unlock(&h->lock);
	}
	xfbfs_reply_err(req, error);
}

/* ---- reads ---------------------------------------------------------------- */

static int
xfbfs_read_page(struct xfbfs_handle *h, char *buf, size_t *sizep, off_t off)
{
	struct xfbfs_tree	*tree = h->tree;
	unsigned int		bs;
	size_t			size = *sizep;
	int			error = 0;

	pthread_rwlock_rdlock(&tree->lock);
	if (tree->dead) {
		error = -ENOENT;
		goto out_unlock;
	}
	bs = xbtree_blocksize(tree->bt);
	if ((uint64_t)off >= bs) {
		*sizep = 0;
		goto out_unlock;
	}
	if (size > bs - (uint64_t)off)
		size = bs - (uint64_t)off;
	error = xfbfs_out_reserve(h, bs);
	if (error)
		goto out_unlock;
	error = xbtree_read_block(tree->bt, h->bno, h->out);
	if (error)
		goto out_unlock;
	memcpy(buf, h->out + off, size);
	*sizep = size;
out_unlock:
	pthread_rwlock_unlock(&tree->lock);
	return error;
}

/*
 * A read of @size bytes at @off from a stream or snapshot: the bytes go to
 * *@datap (inside the window), their number to *@sizep.
 */
static int
xfbfs_do_read(struct xfbfs_handle *h, size_t *sizep, off_t off,
		const char **datap)
{
	size_t		size = *sizep;
	uint64_t	pos = off;
	size_t		skip;
	int		error;

	/* Once the btree is removed, its open files only say ENOENT. */
	if (xfbfs_tree_is_dead(h->tree))
		return -ENOENT;

	switch (h->kind) {
	case XFBFS_F_TYPE:
	case XFBFS_F_STATS:
	case XFBFS_F_CHECK:
	case XFBFS_F_ERRORS:
	case XFBFS_F_TREEDOT:
		if (off == 0 || !h->out) {
			error = xfbfs_make_snapshot(h);
			if (error)
				return error;
		}
		skip = pos < h->out_len ? pos : h->out_len;
		*datap = h->out + skip;
		*sizep = size < h->out_len - skip ? size : h->out_len - skip;
		return 0;
	case XFBFS_F_LOOKUP:
		/* The answer reads from its start, whatever the offset. */
		pos = h->out_pos;
		break;
	case XFBFS_F_RECORDS:
		if (pos == 0 || pos < h->out_pos)
			xfbfs_out_reset(h);
		break;
	default:
		return -EINVAL;
	}

	/*
	 * Drop what lies before pos (read already, or skipped by a seek
	 * forward), then make text up to pos + size.
	 */
	while (pos > h->out_pos + h->out_len && !h->eof) {
		xfbfs_out_consume(h, h->out_len);
		error = xfbfs_make_more(h, XFBFS_CHUNK);
		if (error)
			return error;
	}
	skip = pos - h->out_pos;
	xfbfs_out_consume(h, skip < h->out_len ? skip : h->out_len);
	error = xfbfs_make_more(h, size);
	if (error)
		return error;
	*datap = h->out;
	*sizep = size < h->out_len ? size : h->out_len;
	return 0;
}

void
xfbfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h = (struct xfbfs_handle *)(uintptr_t)fi->fh;
	const char		*data = NULL;
	char			*pagebuf = NULL;
	int			error;

	(void)ino;
	pthread_mutex_lock(&h->lock);
	if (h->kind == XFBFS_F_PAGE || h->kind == XFBFS_F_DATA) {
		pagebuf = malloc(size ? size : 1);
		if (!pagebuf)
			error = -ENOMEM;
		else if (h->kind == XFBFS_F_PAGE)
			error = xfbfs_read_page(h, pagebuf, &size, off);
		else
			error = off < 0 ? -EINVAL :
				xfbfs_data_read(h->tree, pagebuf, &size, off);
		data = pagebuf;
	} else if (h->kind == XFBFS_F_TREEHTML) {
		error = xfbfs_html_read(h->tree, h->html, &data, &size, off);
	} else {
		error = xfbfs_do_read(h, &size, off, &data);
	}
	/*
	 * The window is copied to the kernel before the reply returns, so
	 * it can be replied from under h->lock; no tree lock is held.
	 */
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_buf(req, data, size);
	/* An answer is read once, from its start: drop what was read. */
	if (!error && h->kind == XFBFS_F_LOOKUP)
		xfbfs_out_consume(h, size);
	pthread_mutex_unlock(&h->lock);
	free(pagebuf);
}

/* ---- writes ------------------------------------------------------------- */

/* Trim trailing spaces, tabs and a newline (for the `type` value). */
static size_t
xfbfs_trim(const char *buf, size_t len)
{
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
		       buf[len - 1] == '\t'))
		len--;
	return len;
}

static int
xfbfs_write_type(struct xfbfs_handle *h, const char *buf, size_t size)
{
	struct xfbfs_tree	*tree = h->tree;
	const struct xfbfs_type	*type;
	size_t			len = xfbfs_trim(buf, size);
	int			error;

	type = xfbfs_type_find(buf, len);
	if (!type) {
		xfbfs_tree_error(tree, "type: unknown type: %.*s",
				 (int)(len > 64 ? 64 : len), buf);
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&tree->lock);
	if (tree->dead)
		error = -ENOENT;
	else
		error = xfbfs_tree_set_type(tree, type);
	pthread_rwlock_unlock(&tree->lock);
	if (error == -EBUSY)
		xfbfs_tree_error(tree, "type: btree is not empty");
	return error;
}

static int
xfbfs_write_page(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	struct xfbfs_tree	*tree = h->tree;
	int			error;

	pthread_rwlock_wrlock(&tree->lock);
	if (tree->dead)
		error = -ENOENT;
	else if ((uint64_t)off >= xbtree_blocksize(tree->bt) ||
		 size > xbtree_blocksize(tree->bt) - (uint64_t)off)
		error = -EFBIG;
	else
		error = xbtree_write_block(tree->bt, h->bno, buf, size, off);
	if (!error)
		xfbfs_tree_touch(tree);
	pthread_rwlock_unlock(&tree->lock);
	return error;
}

static const char *
xfbfs_kind_name(enum xfbfs_file kind)
{
	return kind < XFBFS_F_NR ? xfbfs_files[kind].name : "page";
}

/* Note a bad line in the tree's errors: file, line number, reason, text. */
static void
xfbfs_line_error(struct xfbfs_handle *h, unsigned int lineno,
		const char *why, const char *line, size_t len)
{
	xfbfs_tree_error(h->tree, "%s: line %u: %s: %.*s",
			 xfbfs_kind_name(h->kind), lineno, why,
			 (int)(len > 200 ? 200 : len), line);
}

/* Parse one line of `lookup` into a query.  1 if added, 0 if blank. */
static int
xfbfs_parse_query(struct xfbfs_handle *h, const struct xfbfs_type *type,
		const struct xfbfs_field *f, int nf, const char **why)
{
	static const char *const verbs[] = {
		"eq", "le", "ge", "range", "path",
	};
	struct xfbfs_query	*q;
	unsigned int		op;
	size_t			cap;

	for (op = 0; op < 5; op++)
		if (f[0].len == strlen(verbs[op]) &&
		    !memcmp(f[0].p, verbs[op], f[0].len))
			break;
	if (op == 5) {
		*why = "unknown query (eq, le, ge, range, path)";
		return -EINVAL;
	}
	if (h->nqueries >= XFBFS_QUERIES_MAX) {
		*why = "too many queries in one write";
		return -EINVAL;
	}
	if (h->nqueries >= h->queries_cap) {
		cap = h->queries_cap ? 2 * h->queries_cap : 16;
		q = realloc(h->queries, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		h->queries = q;
		h->queries_cap = cap;
	}
	q = &h->queries[h->nqueries];
	q->op = op;
	if (op != XFBFS_Q_RANGE) {
		if (type->parse_key(f + 1, nf - 1, q->key, why))
			return -EINVAL;
		h->nqueries++;
		return 1;
	}
	/* A range is one query per key interval the type makes of it. */
	{
		uint8_t	lo[XFBFS_RANGES_MAX][XBT_KEY_MAX];
		uint8_t	hi[XFBFS_RANGES_MAX][XBT_KEY_MAX];
		int	i, n;

		n = type->parse_range(f + 1, nf - 1, lo, hi, why);
		if (n < 0)
			return -EINVAL;
		for (i = 0; i < n; i++) {
			if (type->ops->cmp_keys(lo[i], hi[i]) > 0) {
				*why = "LOW is above HIGH";
				return -EINVAL;
			}
		}
		if (h->nqueries + n > XFBFS_QUERIES_MAX) {
			*why = "too many queries in one write";
			return -EINVAL;
		}
		if (h->nqueries + n > h->queries_cap) {
			cap = h->queries_cap + n;
			q = realloc(h->queries, cap * sizeof(*q));
			if (!q)
				return -ENOMEM;
			h->queries = q;
			h->queries_cap = cap;
		}
		for (i = 0; i < n; i++) {
			q = &h->queries[h->nqueries++];
			q->op = XFBFS_Q_RANGE;
			memcpy(q->key, lo[i], XBT_KEY_MAX);
			memcpy(q->high, hi[i], XBT_KEY_MAX);
		}
	}
	return 1;
}

/*
 * The complete lines of one write: the line completed from the tail, if
 * any, then every line of the write that ends with a newline.
 */
struct xfbfs_lines {
	const char	*first;		/* line finished by this write */
	size_t		first_len;
	const char	*rest;		/* whole lines, each with its '\n' */
	size_t		rest_len;
	unsigned int	lineno;		/* of the line last returned */
};

/* The next line (without its newline): true, or false at the end. */
static bool
xfbfs_next_line(struct xfbfs_lines *it, const char **line, size_t *len)
{
	const char	*nl;

	if (it->first) {
		*line = it->first;
		*len = it->first_len;
		it->first = NULL;
	} else {
		if (!it->rest_len)
			return false;
		nl = memchr(it->rest, '\n', it->rest_len);
		*line = it->rest;
		*len = nl ? (size_t)(nl - it->rest) : it->rest_len;
		it->rest += *len + (nl != NULL);
		it->rest_len -= *len + (nl != NULL);
	}
	it->lineno++;
	return true;
}

/*
 * Parse one line of `insert` or `delete` into @it.  1 parsed, 0 for a
 * blank line or a comment, or -EINVAL with *@why.
 */
static int
xfbfs_parse_item(struct xfbfs_handle *h, const struct xfbfs_type *type,
		const char *line, size_t len, struct xfbfs_item *it,
		const char **why)
{
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	int			nf;

	if (len > XFBFS_LINE_MAX) {
		*why = "line too long";
		return -EINVAL;
	}
	it->is_key = false;
	it->text = line;
	it->text_len = len;
	nf = xfbfs_split_fields(line, len, f, why);
	if (nf <= 0)
		return nf;
	if (h->kind == XFBFS_F_DELETE && type->delete_by_key &&
	    type->parse_key(f, nf, it->bytes, why) == 0) {
		it->is_key = true;
		return 1;
	}
	if (type->parse_rec(f, nf, it->bytes, why))
		return -EINVAL;
	return 1;
}

/* Every line of a write to `lookup` becomes queries; none if one is bad. */
static int
xfbfs_parse_queries(struct xfbfs_handle *h, const struct xfbfs_type *type,
		struct xfbfs_lines *lines)
{
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	const char		*line, *why = NULL;
	size_t			len;
	int			nf, error;

	h->nqueries = 0;
	while (xfbfs_next_line(lines, &line, &len)) {
		if (len > XFBFS_LINE_MAX) {
			why = "line too long";
			goto out_bad;
		}
		nf = xfbfs_split_fields(line, len, f, &why);
		if (nf < 0)
			goto out_bad;
		if (nf == 0)
			continue;
		error = xfbfs_parse_query(h, type, f, nf, &why);
		if (error == -ENOMEM)
			return error;
		if (error < 0)
			goto out_bad;
	}
	return 0;
out_bad:
	xfbfs_line_error(h, lines->lineno, why, line, len);
	return -EINVAL;
}

/* Apply one parsed item in @tp; 0, or -errno with *@why set. */
static int
xfbfs_apply_item(struct xfbfs_handle *h, struct xbt_trans *tp,
		const struct xbt_ops *ops, struct xfbfs_item *it,
		const char **why)
{
	uint8_t		key[XBT_KEY_MAX];
	int		stat, error;

	if (h->kind == XFBFS_F_INSERT) {
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
 * Parse the next non-blank line of a write to `insert` or `delete` into
 * @it: 1, 0 at the end of the write, or -EINVAL with the line in *@line,
 * *@len and the reason in *@why.  Lines in the plain form `records`
 * prints are taken straight from the buffer (@fast); anything else goes
 * line by line through the general parser, which gives the errors.
 */
static int
xfbfs_next_item(struct xfbfs_handle *h, const struct xfbfs_type *type,
		struct xfbfs_lines *lines, struct xfbfs_item *it,
		const char **line, size_t *len, const char **why)
{
	size_t	(*fast)(const char *, size_t, void *) =
		h->kind != XFBFS_F_DELETE ? type->parse_line_fast : NULL;
	size_t	n;
	int	error;

	for (;;) {
		if (fast && !lines->first &&
		    (n = fast(lines->rest, lines->rest_len, it->bytes))) {
			it->is_key = false;
			it->text = lines->rest;
			it->text_len = n - 1;
			lines->rest += n;
			lines->rest_len -= n;
			lines->lineno++;
			break;
		}
		if (!xfbfs_next_line(lines, line, len))
			return 0;
		error = xfbfs_parse_item(h, type, *line, *len, it, why);
		if (error < 0)
			return error;
		if (error > 0)
			break;
	}
	it->line = lines->lineno;
	return 1;
}

/*
 * Every line of a write to `insert` or `delete`, in one transaction
 * (tree->lock held for writing).  Lines are parsed and applied in one
 * pass, a few lines apart: the parsed ones wait in a small ring while
 * the leaves they will change are prefetched, so that their cache misses
 * overlap the work on the lines before them.  A bad line or a failed
 * change anywhere cancels the transaction, which undoes all the others.
 */
static int
xfbfs_apply_lines(struct xfbfs_handle *h, struct xbtree *bt,
		struct xfbfs_lines *lines)
{
	const struct xfbfs_type	*type = h->tree->type;
	const struct xbt_ops	*ops = type->ops;
	struct xfbfs_item	ring[XFBFS_PREFETCH_AHEAD];
	struct xfbfs_item	*it;
	struct xbt_trans	*tp;
	const char		*line = NULL, *why = NULL;
	unsigned int		head = 0, count = 0;
	size_t			len = 0;
	bool			more = true;
	int			error;

	error = xbt_trans_alloc(bt, &tp);
	if (error)
		return error;
	while (more || count) {
		/* Fill the ring; apply its oldest item once it is full. */
		if (more && count < XFBFS_PREFETCH_AHEAD) {
			it = &ring[(head + count) % XFBFS_PREFETCH_AHEAD];
			error = xfbfs_next_item(h, type, lines, it, &line,
						&len, &why);
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
		error = xfbfs_apply_item(h, tp, ops, it, &why);
		if (error)
			goto out_bad_item;
		head = (head + 1) % XFBFS_PREFETCH_AHEAD;
		count--;
	}
	error = xbt_trans_commit(tp);
	if (!error)
		xfbfs_tree_touch(h->tree);
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

/*
 * Every line of a write to `load`: parse each record (in the type the
 * staging began with) and stage it.  No tree lock: the staging is the
 * open file's own.
 */
static int
xfbfs_stage_lines(struct xfbfs_handle *h, struct xfbfs_lines *lines)
{
	const struct xfbfs_type	*type = xfbfs_load_type(h->load);
	struct xfbfs_item	it;
	const char		*line = NULL, *why = NULL;
	size_t			len = 0;
	int			error;

	if (xfbfs_tree_is_dead(h->tree))
		return -ENOENT;
	for (;;) {
		error = xfbfs_next_item(h, type, lines, &it, &line, &len,
					&why);
		if (error == 0)
			return 0;
		if (error < 0) {
			xfbfs_line_error(h, lines->lineno, why, line, len);
			return error;
		}
		error = xfbfs_load_add(h->tree, h->load, it.bytes);
		if (error) {
			xfbfs_line_error(h, it.line, strerror(-error),
					 it.text, it.text_len);
			return error;
		}
	}
}

/*
 * One write of lines (insert, delete, lookup, load): assemble, parse,
 * apply.
 * @final: a FLUSH, the tail is a last line.
 */
static int
xfbfs_write_lines(struct xfbfs_handle *h, const char *buf, size_t size,
		bool final)
{
	struct xfbfs_tree	*tree = h->tree;
	const struct xfbfs_type	*type;
	const char		*first = NULL, *nl = NULL, *rest = buf;
	char			*joined = NULL;
	size_t			first_len = 0, rest_len = size, keep;
	struct xfbfs_lines	lines;
	int			error;

	/* The line completed by this write, if a tail is waiting. */
	if (h->tail_len) {
		nl = final ? NULL : memchr(buf, '\n', size);
		if (!nl && !final) {
			if (h->tail_len + size > XFBFS_LINE_MAX) {
				xfbfs_line_error(h, 1, "line too long",
						 h->tail, h->tail_len);
				error = -EINVAL;
				goto out_fail;
			}
			memcpy(h->tail + h->tail_len, buf, size);
			h->tail_len += size;
			return 0;
		}
		first_len = h->tail_len + (nl ? (size_t)(nl - buf) : size);
		if (first_len > XFBFS_LINE_MAX) {
			xfbfs_line_error(h, 1, "line too long", h->tail,
					 h->tail_len);
			error = -EINVAL;
			goto out_fail;
		}
		joined = malloc(first_len);
		if (!joined) {
			error = -ENOMEM;
			goto out_fail;
		}
		memcpy(joined, h->tail, h->tail_len);
		memcpy(joined + h->tail_len, buf, first_len - h->tail_len);
		first = joined;
		rest = nl ? nl + 1 : buf + size;
		rest_len = buf + size - rest;
	}
	/* What follows the last newline waits for the next write. */
	if (final) {
		if (!first && rest_len) {
			first = rest;
			first_len = rest_len;
		}
		rest_len = 0;
		keep = 0;
	} else {
		const char	*last = memrchr(rest, '\n', rest_len);

		keep = last ? (size_t)(rest + rest_len - (last + 1)) : rest_len;
		if (keep > XFBFS_LINE_MAX) {
			xfbfs_line_error(h, 1, "line too long",
					 rest + rest_len - keep, keep);
			error = -EINVAL;
			goto out_fail;
		}
		rest_len -= keep;
	}
	if (!first && !rest_len)
		goto out_keep;		/* no complete line yet */

	lines.first = first;
	lines.first_len = first_len;
	lines.rest = rest;
	lines.rest_len = rest_len;
	lines.lineno = 0;
	if (h->kind == XFBFS_F_LOOKUP) {
		if (xfbfs_tree_is_dead(tree)) {
			error = -ENOENT;
			goto out_fail;
		}
		type = __atomic_load_n(&tree->type, __ATOMIC_ACQUIRE);
		error = xfbfs_parse_queries(h, type, &lines);
		if (error)
			goto out_fail;
		/* A write with queries replaces the answer. */
		xfbfs_out_reset(h);
		h->qtype = type;
	} else if (h->kind == XFBFS_F_LOAD) {
		error = xfbfs_stage_lines(h, &lines);
		if (error)
			goto out_fail;
	} else {
		pthread_rwlock_wrlock(&tree->lock);
		if (tree->dead)
			error = -ENOENT;
		else
			error = xfbfs_apply_lines(h, tree->bt, &lines);
		pthread_rwlock_unlock(&tree->lock);
		if (error)
			goto out_fail;
	}
out_keep:
	memcpy(h->tail, buf + size - keep, keep);
	h->tail_len = keep;
	free(joined);
	return 0;

out_fail:
	free(joined);
	h->tail_len = 0;
	if (h->kind == XFBFS_F_LOOKUP) {
		h->nqueries = 0;
		xfbfs_out_reset(h);
		h->eof = true;
	}
	if (h->kind == XFBFS_F_LOAD && h->load) {
		/* The close fails with it; nr_failed is counted there. */
		xfbfs_load_poison(h->load, error);
		return error;
	}
	__atomic_add_fetch(&tree->nr_failed, 1, __ATOMIC_RELAXED);
	return error;
}

void
xfbfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		off_t off, struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h = (struct xfbfs_handle *)(uintptr_t)fi->fh;
	int			error;

	(void)ino;
	pthread_mutex_lock(&h->lock);
	switch (h->kind) {
	case XFBFS_F_INSERT:
	case XFBFS_F_DELETE:
	case XFBFS_F_LOOKUP:
		error = xfbfs_write_lines(h, buf, size, false);
		break;
	case XFBFS_F_LOAD:
		error = xfbfs_load_begin(h->tree, &h->load,
				__atomic_load_n(&h->tree->type,
						__ATOMIC_ACQUIRE));
		if (!error)
			error = xfbfs_write_lines(h, buf, size, false);
		break;
	case XFBFS_F_DATA:
		error = off < 0 ? -EINVAL :
			xfbfs_data_write(h->tree, buf, size, off);
		break;
	case XFBFS_F_TYPE:
		error = xfbfs_write_type(h, buf, size);
		break;
	case XFBFS_F_PAGE:
		error = xfbfs_write_page(h, buf, size, off);
		break;
	default:
		error = -EBADF;
	}
	pthread_mutex_unlock(&h->lock);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_write(req, size);
}

void
xfbfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h = (struct xfbfs_handle *)(uintptr_t)fi->fh;
	int			error = 0;

	(void)ino;
	pthread_mutex_lock(&h->lock);
	if (h->tail_len)
		error = xfbfs_write_lines(h, "", 0, true);
	if (h->kind == XFBFS_F_LOAD) {
		/* A bad last line has poisoned the staging: flush says so. */
		error = xfbfs_load_flush(h->tree, h->load);
	}
	pthread_mutex_unlock(&h->lock);
	xfbfs_reply_err(req, error);
}
