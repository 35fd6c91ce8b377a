// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * query.c: the `lookup` file: write queries, read their answer from the
 * same open file.
 *
 *	eq KEY | le KEY | ge KEY      one record (or none)
 *	range LOW HIGH                every record in, or overlapping, the range
 *	path KEY                      the way a lookup of KEY takes, root
 *	                              first: "level L block B slot S" lines
 *
 * A write's complete lines are parsed into queries, all or none: a bad
 * one fails the write and leaves an empty answer.  A write with queries
 * replaces the answer; reads take it from its start, whatever offset the
 * kernel passes, and each read drops what the one before it returned, so
 * the answer is read once, like a pipe.  A read whose reply failed (the
 * reader killed mid-request) drops nothing: .unread forgets its length,
 * so a process sharing the open file gets those bytes next.
 *
 * The answer is a stream (out.c), made as it is read: eq, le, ge and
 * path are one lookup each; a range is walked a chunk at a time from the last key
 * printed (resume), so that a range over the whole btree never builds its
 * text in memory and never holds the tree's lock between reads.  A range
 * whose type gives it two key intervals (refcount: both domains) is two
 * queries.  If the tree's type changes between the write and the reads,
 * the answer ends where it is.
 *
 * Locking: h->lock guards the handle; the maker runs with tree->lock held
 * for reading.  Parsing takes no tree lock: it peeks at the type.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/lines.h"
#include "fusefs/out.h"

#define XFBFS_QUERIES_MAX	100000		/* per write */

enum xfbfs_query_op {
	XFBFS_Q_EQ,
	XFBFS_Q_LE,
	XFBFS_Q_GE,
	XFBFS_Q_RANGE,
	XFBFS_Q_PATH,
};

struct xfbfs_query {
	enum xfbfs_query_op	op;
	uint8_t			key[XBT_KEY_MAX];	/* range: low */
	uint8_t			high[XBT_KEY_MAX];
};

struct xfbfs_query_handle {
	struct xfbfs_handle	h;
	struct xfbfs_asm	as;
	struct xfbfs_out	out;		/* the answer */
	size_t			read_len;	/* the last read: dropped at
						 * the next one */
	const struct xfbfs_type	*qtype;		/* the queries are for it */
	struct xmem_array	queries;	/* of struct xfbfs_query */
	size_t			qnext;		/* query being answered */
	uint8_t			resume[XBT_KEY_MAX];	/* range: last key */
	bool			resumed;	/* resume holds a key */
};

static inline struct xfbfs_query_handle *
xfbfs_query_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_query_handle, h);
}

/* Start the answer again, from the first query. */
static void
xfbfs_answer_reset(struct xfbfs_query_handle *qh)
{
	xfbfs_out_reset(&qh->out);
	qh->read_len = 0;
	qh->qnext = 0;
	qh->resumed = false;
}

/* Room for @n more queries: 0, or -EINVAL (too many) / -ENOMEM. */
static int
xfbfs_queries_reserve(struct xfbfs_query_handle *qh, size_t n,
		const char **why)
{
	if (qh->queries.len + n > XFBFS_QUERIES_MAX) {
		*why = "too many queries in one write";
		return -EINVAL;
	}
	return xmem_array_reserve(&qh->queries, n);
}

/* Parse one line of `lookup` (fields @f) into queries: 0 or -errno. */
static int
xfbfs_parse_query(struct xfbfs_query_handle *qh,
		const struct xfbfs_type *type, const struct xfbfs_field *f,
		int nf, const char **why)
{
	static const char *const verbs[] = {
		[XFBFS_Q_EQ] = "eq", [XFBFS_Q_LE] = "le", [XFBFS_Q_GE] = "ge",
		[XFBFS_Q_RANGE] = "range", [XFBFS_Q_PATH] = "path",
	};
	uint8_t			lo[XFBFS_RANGES_MAX][XBT_KEY_MAX];
	uint8_t			hi[XFBFS_RANGES_MAX][XBT_KEY_MAX];
	struct xfbfs_query	*q;
	const unsigned int	nverbs = sizeof(verbs) / sizeof(verbs[0]);
	unsigned int		op;
	int			i, n, error;

	for (op = 0; op < nverbs; op++)
		if (f[0].len == strlen(verbs[op]) &&
		    !memcmp(f[0].p, verbs[op], f[0].len))
			break;
	if (op == nverbs) {
		*why = "unknown query (eq, le, ge, range, path)";
		return -EINVAL;
	}
	if (op != XFBFS_Q_RANGE) {
		error = xfbfs_queries_reserve(qh, 1, why);
		if (error)
			return error;
		q = xmem_array_push_reserved(&qh->queries);
		q->op = op;
		if (type->parse_key(f + 1, nf - 1, q->key, why))
			return -EINVAL;	/* the write's queries all go */
		return 0;
	}
	/* A range is one query per key interval the type makes of it. */
	n = type->parse_range(f + 1, nf - 1, lo, hi, why);
	if (n < 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (type->ops->cmp_keys(lo[i], hi[i]) > 0) {
			*why = "LOW is above HIGH";
			return -EINVAL;
		}
	}
	error = xfbfs_queries_reserve(qh, n, why);
	if (error)
		return error;
	for (i = 0; i < n; i++) {
		q = xmem_array_push_reserved(&qh->queries);
		q->op = XFBFS_Q_RANGE;
		memcpy(q->key, lo[i], XBT_KEY_MAX);
		memcpy(q->high, hi[i], XBT_KEY_MAX);
	}
	return 0;
}

/*
 * The consumer of a write's lines (lines.h): every line becomes queries,
 * which replace the answer; none if one is bad.
 */
static int
xfbfs_query_take(struct xfbfs_handle *h, struct xfbfs_lines *lines)
{
	struct xfbfs_query_handle *qh = xfbfs_query_handle(h);
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	const struct xfbfs_type	*type;
	const char		*line, *why = NULL;
	size_t			len;
	int			nf, error;

	if (xfbfs_tree_is_dead(h->tree))
		return -ENOENT;
	type = xfbfs_tree_peek_type(h->tree);
	xmem_array_resize(&qh->queries, 0);	/* shrinking: cannot fail */
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
		error = xfbfs_parse_query(qh, type, f, nf, &why);
		if (error == -ENOMEM)
			return error;
		if (error < 0)
			goto out_bad;
	}
	xfbfs_answer_reset(qh);
	qh->qtype = type;
	return 0;
out_bad:
	xfbfs_line_error(h, lines->lineno, why, line, len);
	return -EINVAL;
}

/* A write, or with @final the tail at FLUSH. */
static int
xfbfs_query_lines(struct xfbfs_handle *h, const char *buf, size_t size,
		bool final)
{
	struct xfbfs_query_handle *qh = xfbfs_query_handle(h);
	int			error;

	error = xfbfs_asm_write(h, &qh->as, buf, size, final,
				xfbfs_query_take);
	if (error) {
		/* A failed write leaves an empty answer. */
		xmem_array_resize(&qh->queries, 0);
		xfbfs_answer_reset(qh);
		qh->out.eof = true;
		__atomic_add_fetch(&h->tree->nr_failed, 1, __ATOMIC_RELAXED);
	}
	return error;
}

static int
xfbfs_query_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	(void)off;
	return xfbfs_query_lines(h, buf, size, false);
}

static int
xfbfs_query_flush(struct xfbfs_handle *h)
{
	if (!xfbfs_asm_pending(&xfbfs_query_handle(h)->as))
		return 0;
	return xfbfs_query_lines(h, "", 0, true);
}

/* ---- the answer --------------------------------------------------------- */

/* A range walk's state, for its record callback. */
struct xfbfs_range_gen {
	struct xfbfs_query_handle *qh;
	const struct xfbfs_type	*type;
	const uint8_t		*qlow;		/* the query's low key */
	size_t			target;		/* stop once len >= this */
	bool			stopped;	/* stopped for room, not done */
};

/* Print one record of a range unless it is at or before the resume key. */
static int
xfbfs_range_rec(const void *rec, void *priv)
{
	struct xfbfs_range_gen	*g = priv;
	struct xfbfs_query_handle *qh = g->qh;
	const struct xbt_ops	*ops = g->type->ops;
	uint8_t			key[XBT_KEY_MAX], hk[XBT_KEY_MAX];
	int			error;

	ops->init_key_from_rec(key, rec);
	if (qh->resumed && ops->cmp_keys(key, qh->resume) <= 0)
		return 0;
	/*
	 * A resumed range walks from the last key printed, which may lie
	 * below the query: keep only records reaching into it.
	 */
	ops->init_high_key_from_rec(hk, rec);
	if (ops->cmp_keys(hk, g->qlow) < 0)
		return 0;
	error = xfbfs_out_rec(&qh->out, g->type->format_rec, rec);
	if (error)
		return error;
	memcpy(qh->resume, key, ops->key_len);
	qh->resumed = true;
	if (xfbfs_out_len(&qh->out) >= g->target) {
		g->stopped = true;
		return XBT_QUERY_STOP;
	}
	return 0;
}

/* One step of a path as its answer line (an xfbfs_out_rec format). */
static size_t
xfbfs_format_step(const void *rec, char *buf)
{
	const struct xbt_path_step *s = rec;

	return sprintf(buf, "level %u block %llu slot %u\n", s->level,
		       (unsigned long long)s->bno, s->slot);
}

/* `path KEY`: one line per level, root first. */
static int
xfbfs_answer_path(struct xfbfs_out *o, struct xbtree *bt, const void *key)
{
	struct xbt_path_step	steps[XBT_MAXLEVELS];
	unsigned int		n, i;
	int			error;

	error = xbtree_path(bt, key, steps, &n);
	for (i = 0; i < n && !error; i++)
		error = xfbfs_out_rec(o, xfbfs_format_step, &steps[i]);
	return error;
}

/* The answer's maker (out.h): the next chunk of the answer. */
static int
xfbfs_answer_make(struct xfbfs_handle *h, struct xbtree *bt,
		const struct xfbfs_type *type, size_t target)
{
	static const enum xbt_lookup dirs[] = {
		[XFBFS_Q_EQ] = XBT_LOOKUP_EQ,
		[XFBFS_Q_LE] = XBT_LOOKUP_LE,
		[XFBFS_Q_GE] = XBT_LOOKUP_GE,
	};
	struct xfbfs_query_handle *qh = xfbfs_query_handle(h);
	struct xfbfs_out	*o = &qh->out;
	struct xfbfs_range_gen	g = {
		.qh = qh, .type = type, .target = target,
	};
	struct xfbfs_query	*q;
	uint8_t			rec[XBT_REC_MAX];
	int			stat, error = 0;

	ASSERT(xfbfs_rwlock_is_locked(&h->tree->lock));
	if (qh->qtype != type) {
		/* The type changed since the queries were parsed. */
		o->eof = true;
		return 0;
	}
	while (qh->qnext < qh->queries.len && xfbfs_out_len(o) < target) {
		q = xmem_array_at(&qh->queries, qh->qnext);
		if (q->op == XFBFS_Q_PATH) {
			error = xfbfs_answer_path(o, bt, q->key);
			if (error)
				return error;
			qh->qnext++;
			continue;
		}
		if (q->op != XFBFS_Q_RANGE) {
			error = xbtree_get(bt, dirs[q->op], q->key, rec, &stat);
			if (!error && stat)
				error = xfbfs_out_rec(o, type->format_rec, rec);
			if (error)
				return error;
			qh->qnext++;
			continue;
		}
		g.stopped = false;
		g.qlow = q->key;
		error = xbtree_query_range(bt, qh->resumed ? qh->resume : q->key,
					q->high, xfbfs_range_rec, &g);
		if (error)
			return error;
		if (g.stopped)
			return 0;
		qh->resumed = false;
		qh->qnext++;
	}
	if (qh->qnext == qh->queries.len)
		o->eof = true;
	return 0;
}

static int
xfbfs_query_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	struct xfbfs_query_handle *qh = xfbfs_query_handle(h);
	int			error;

	(void)off;		/* the answer reads from its start */
	xfbfs_out_consume(&qh->out, qh->read_len);
	qh->read_len = 0;
	error = xfbfs_out_stream_read(h, &qh->out, xfbfs_answer_make,
				      qh->out.pos, sizep, datap);
	if (!error)
		qh->read_len = *sizep;
	return error;
}

/* The last read's reply failed: its bytes are the next read's again. */
static void
xfbfs_query_unread(struct xfbfs_handle *h)
{
	xfbfs_query_handle(h)->read_len = 0;
}

static int
xfbfs_query_open(struct xfbfs_handle *h, int flags)
{
	struct xfbfs_query_handle *qh = xfbfs_query_handle(h);

	(void)flags;
	xfbfs_out_init(&qh->out);
	xmem_array_init(&qh->queries, sizeof(struct xfbfs_query));
	return 0;
}

static void
xfbfs_query_release(struct xfbfs_handle *h)
{
	struct xfbfs_query_handle *qh = xfbfs_query_handle(h);

	xfbfs_out_release(&qh->out);
	xmem_array_release(&qh->queries);
}

const struct xfbfs_file_ops xfbfs_kind_lookup = {
	.name		= "lookup",
	.mode		= S_IFREG | 0600,
	.handle_size	= sizeof(struct xfbfs_query_handle),
	.truncate	= xfbfs_truncate_nothing,
	.open		= xfbfs_query_open,
	.release	= xfbfs_query_release,
	.read		= xfbfs_query_read,
	.unread		= xfbfs_query_unread,
	.write		= xfbfs_query_write,
	.flush		= xfbfs_query_flush,
};
