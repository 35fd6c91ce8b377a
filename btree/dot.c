// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dot.c: the btree drawn in Graphviz dot (the tree.dot file).
 *
 * The picture, for a kv tree of height 2:
 *
 *	   [ block 0: header (kv) | height 2, root 3 | 40 records, 4 blocks ]
 *	                              : root
 *	              [ block 3 | level 1, numrecs 2 | 0 .. 20 ]
 *	                /                                  \
 *	[ block 1 | level 0, numrecs 20 | 0 .. 19 ] <- - -> [ block 2 | ... ]
 *
 * One node per block: its number, level, numrecs and key range (the
 * first entry's low key .. the last entry's low key, and for an
 * overlapping btree the highest high key in the block).  Solid edges go
 * from a node to each child, in pointer order (ordering=out); dashed
 * two-headed edges join siblings whose links agree both ways; each level
 * is a rank of its own.  Keys print through xbt_print_key().  The text
 * goes to the caller's function one line (one dot statement) at a time.
 *
 * The walk goes level by level from the root.  A level's list of blocks
 * is the child pointers of the level above, so nothing but the current
 * level, the next and a bitmap of the blocks drawn are in memory, and
 * the next level is only gathered while it could still fit.  When drawing a whole level would take the picture
 * past max_blocks btree blocks, the walk stops and a note node says which
 * levels and how many blocks were left out; the root is always drawn.
 *
 * Untrusted blocks: every block is read as the engine reads it, through
 * xbuf_get() with the full verifier (checksum first) and then the header
 * checks at the level its parent implies, so a block is used only once
 * it is known sound.  A block that fails is reported like any damage a
 * reader finds (xbtree_corrupt(): the log, the errors file, the btree
 * marked corrupt), drawn red with the reason, and not descended into.
 * A block reached a second time is not drawn again; the edge to it is
 * red.  Sibling links that disagree with the order the parents give are
 * named in the node's label (orange), but only on levels whose parents
 * were all sound and where no block came twice: elsewhere the expected
 * order is not known.
 *
 * Locking: a reader.  The caller holds the btree's read lock; the only
 * state touched is the blocks' TRUSTED bit and the corrupt flag, both
 * atomic.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_priv.h"

#define XBT_DOT_LINE	2048	/* longest line: a label with three keys */
#define XBT_DOT_KEY	256	/* longest key text kept */

/* One block of the level being drawn. */
struct xbt_dot_ent {
	uint64_t		bno;
	uint64_t		parent;	/* XBT_HEAD_BLOCK: the header node */
	struct xbt_block	*block;	/* NULL: damaged or drawn already */
	const char		*why;	/* damaged: the reason */
	bool			again;	/* reached a second time */
};

struct xbt_dot_list {
	struct xmem_array	ents;	/* struct xbt_dot_ent, gathered */
	uint64_t		total;	/* pointers seen, gathered or not */
};

/* Entry @i of a list. */
static inline struct xbt_dot_ent *
xbt_dot_ent(const struct xbt_dot_list *l, size_t i)
{
	return xmem_array_at(&l->ents, i);
}

struct xbt_dot {
	struct xbtree		*bt;
	xbt_text_fn		out;
	void			*priv;
	int			error;	/* first error of @out, or -ENOMEM */
	uint64_t		*seen;	/* bitmap: allocated blocks drawn */
	uint64_t		drawn;	/* btree blocks drawn */
	uint64_t		limit;
};

/* ---- output ------------------------------------------------------------ */

static void __attribute__((format(printf, 2, 3)))
xbt_dot_printf(struct xbt_dot *dt, const char *fmt, ...)
{
	char		line[XBT_DOT_LINE];
	va_list		ap;

	if (dt->error)
		return;
	va_start(ap, fmt);
	dt->error = xbt_text_vline(dt->out, dt->priv, line, sizeof(line), fmt,
				   ap);
	va_end(ap);
}

/*
 * Copy @src into @dst as the inside of a dot string: quotes and
 * backslashes escaped, control characters as '?'.  Cut to fit.
 */
static void
xbt_dot_escape(char *dst, size_t len, const char *src)
{
	size_t		o = 0;

	for (; *src && o + 3 < len; src++) {
		if (*src == '"' || *src == '\\')
			dst[o++] = '\\';
		dst[o++] = ((unsigned char)*src < 0x20) ? '?' : *src;
	}
	dst[o] = '\0';
}

/* An escaped key's text into @dst. */
static void
xbtree_dot_key(struct xbtree *bt, const void *key, char *dst, size_t len)
{
	char		text[XBT_DOT_KEY];

	xbt_print_key(bt->ops, key, text, sizeof(text));
	xbt_dot_escape(dst, len, text);
}

/* ---- block lists ------------------------------------------------------- */

/*
 * Note one more pointer of the next level; keep it only while the list
 * could still be drawn (at most @keep entries).  Returns 0 or -ENOMEM.
 */
static int
xbt_dot_list_add(struct xbt_dot_list *l, uint64_t bno, uint64_t parent,
		uint64_t keep)
{
	struct xbt_dot_ent	e = { .bno = bno, .parent = parent };

	l->total++;
	if (l->ents.len >= keep)
		return 0;
	return xmem_array_push(&l->ents, &e);
}

/* ---- blocks ------------------------------------------------------------ */

static bool
xbt_dot_seen(struct xbt_dot *dt, uint64_t bno)
{
	if (!xbuf_is_allocated(&dt->bt->targ, bno))
		return false;
	return dt->seen[bno / 64] & (1ULL << (bno % 64));
}

static void
xbt_dot_set_seen(struct xbt_dot *dt, uint64_t bno)
{
	if (xbuf_is_allocated(&dt->bt->targ, bno))
		dt->seen[bno / 64] |= 1ULL << (bno % 64);
}

/*
 * Get block @e->bno, expected at @level, as a reader does: the full
 * verifier the first time, the header checks always.  On damage, report
 * it and set @e->why; a block already drawn gets @e->again.
 */
static void
xbt_dot_get(struct xbt_dot *dt, struct xbt_dot_ent *e, unsigned int level)
{
	struct xbtree	*bt = dt->bt;
	const char	*why = NULL;
	void		*addr = NULL;
	int		error;

	if (xbt_dot_seen(dt, e->bno)) {
		e->again = true;
		return;
	}
	xbt_dot_set_seen(dt, e->bno);
	dt->drawn++;
	if (e->bno == XBT_HEAD_BLOCK) {
		error = -EUCLEAN;
		why = "pointer to the header block";
	} else {
		error = xbuf_get(&bt->targ, e->bno, xbt_verify_block_full, bt,
				 &addr, &why);
		if (!error) {
			why = xbtree_verify_block_hdr(bt, addr, e->bno, level);
			if (why)
				error = -EUCLEAN;
		}
	}
	if (error) {
		XBT_CORRUPT_ERR(bt, e->bno, error, why);
		e->why = why;
		return;
	}
	e->block = addr;
}

/*
 * Sibling problems of entry @i of a level whose order is known
 * (@complete), as label text in @buf ("" if none).
 */
static void
xbt_dot_sib_text(const struct xbt_dot_list *l, size_t i, bool complete,
		char *buf, size_t len)
{
	const struct xbt_dot_ent	*e = xbt_dot_ent(l, i);
	uint64_t			left = XBT_NULLBLOCK;
	uint64_t			right = XBT_NULLBLOCK;
	char				is[24], want[24];
	size_t				o = 0;

	buf[0] = '\0';
	if (!complete)
		return;
	if (i > 0)
		left = xbt_dot_ent(l, i - 1)->bno;
	if (i + 1 < l->ents.len)
		right = xbt_dot_ent(l, i + 1)->bno;
	if (xbt_leftsib(e->block) != left) {
		xbt_ptr_text(xbt_leftsib(e->block), is);
		xbt_ptr_text(left, want);
		o += snprintf(buf + o, len - o,
			      "\\nleftsib %s, expected %s", is, want);
	}
	if (xbt_rightsib(e->block) != right && o < len) {
		xbt_ptr_text(xbt_rightsib(e->block), is);
		xbt_ptr_text(right, want);
		snprintf(buf + o, len - o, "\\nrightsib %s, expected %s", is,
			 want);
	}
}

/* The node of one sound block: number, level, numrecs, key range. */
static void
xbt_dot_block_node(struct xbt_dot *dt, const struct xbt_dot_ent *e,
		unsigned int level, const char *sib)
{
	struct xbtree		*bt = dt->bt;
	struct xbt_block	*block = e->block;
	unsigned int		n = xbt_numrecs(block);
	uint8_t			low[XBT_KEY_MAX], high[XBT_KEY_MAX];
	uint8_t			last[XBT_KEY_MAX];
	char			lt[XBT_DOT_KEY], ht[XBT_DOT_KEY];
	char			rt[XBT_DOT_KEY], keys[3 * XBT_DOT_KEY + 16];

	keys[0] = '\0';
	if (n) {
		xbtree_block_keys(bt, block, level, low, high);
		xbtree_entry_low_key(bt, block, level, n - 1, last);
		xbtree_dot_key(bt, low, lt, sizeof(lt));
		xbtree_dot_key(bt, last, rt, sizeof(rt));
		if (xbtree_is_overlapping(bt)) {
			xbtree_dot_key(bt, high, ht, sizeof(ht));
			snprintf(keys, sizeof(keys), "\\n%s .. %s\\nhigh %s",
				 lt, rt, ht);
		} else {
			snprintf(keys, sizeof(keys), "\\n%s .. %s", lt, rt);
		}
	}
	xbt_dot_printf(dt,
		       "\tb%llu [label=\"block %llu\\nlevel %u, numrecs %u%s%s\"%s];",
		       (unsigned long long)e->bno,
		       (unsigned long long)e->bno, level, n, keys, sib,
		       sib[0] ? ", color=orange, fontcolor=orange" :
				level ? "" : ", style=rounded");
}

/*
 * Draw one level: its nodes as one rank, the edges from their parents,
 * the sibling links; and gather the next level's pointers, as long as
 * they could all be drawn.  @complete says every block of the level is
 * in @cur.
 */
static void
xbt_dot_level(struct xbt_dot *dt, struct xbt_dot_list *cur,
		struct xbt_dot_list *next, unsigned int level, bool complete)
{
	struct xbtree		*bt = dt->bt;
	struct xbt_dot_ent	*e, *r;
	char			sib[128], why[128];
	uint64_t		keep;
	unsigned int		i;
	size_t			j;

	/* A block reached twice: the order of the level is not known. */
	for (j = 0; j < cur->ents.len; j++) {
		xbt_dot_get(dt, xbt_dot_ent(cur, j), level);
		if (xbt_dot_ent(cur, j)->again)
			complete = false;
	}
	/*
	 * The next level is drawn only if all of it fits with what is drawn
	 * now (the caller checks next->total), so keep no more than that.
	 */
	keep = dt->limit - dt->drawn;
	next->ents.len = 0;
	next->total = 0;

	xbt_dot_printf(dt, "\t{ rank=same;");
	for (j = 0; j < cur->ents.len && !dt->error; j++) {
		e = xbt_dot_ent(cur, j);
		if (e->block) {
			xbt_dot_sib_text(cur, j, complete, sib, sizeof(sib));
			xbt_dot_block_node(dt, e, level, sib);
		} else if (e->why) {
			xbt_dot_escape(why, sizeof(why), e->why);
			xbt_dot_printf(dt,
				       "\tb%llu [label=\"block %llu\\nDAMAGED: %s\", color=red, fontcolor=red];",
				       (unsigned long long)e->bno,
				       (unsigned long long)e->bno, why);
		}
	}
	xbt_dot_printf(dt, "\t}");

	for (j = 0; j < cur->ents.len && !dt->error; j++) {
		e = xbt_dot_ent(cur, j);
		if (e->parent == XBT_HEAD_BLOCK)
			xbt_dot_printf(dt,
				       "\thead -> b%llu [style=dotted, label=\"root\"];",
				       (unsigned long long)e->bno);
		else
			xbt_dot_printf(dt, "\tb%llu -> b%llu%s;",
				       (unsigned long long)e->parent,
				       (unsigned long long)e->bno,
				       e->again ?
				       " [color=red, label=\"again\"]" : "");
		if (!e->block)
			continue;
		/* Siblings that point at each other: one two-headed edge. */
		r = j + 1 < cur->ents.len ? xbt_dot_ent(cur, j + 1) : NULL;
		if (r && r->block && xbt_rightsib(e->block) == r->bno &&
		    xbt_leftsib(r->block) == e->bno)
			xbt_dot_printf(dt,
				       "\tb%llu -> b%llu [style=dashed, dir=both, constraint=false, arrowsize=0.5];",
				       (unsigned long long)e->bno,
				       (unsigned long long)r->bno);
		if (!level)
			continue;
		for (i = 0; i < xbt_numrecs(e->block) && !dt->error; i++)
			dt->error = xbt_dot_list_add(next,
					xbtree_ptr(bt, e->block, i), e->bno,
					keep);
	}
}

/* ---- the header and the walk ------------------------------------------- */

/*
 * The header block, checked as every walk checks it.  Returns the
 * header, or NULL after drawing it red.
 */
static struct xbt_head_block *
xbt_dot_head(struct xbt_dot *dt)
{
	struct xbtree		*bt = dt->bt;
	struct xbt_head_block	*h;
	const char		*why = NULL;
	char			text[128];
	void			*addr;
	int			error;

	error = xbuf_get(&bt->targ, XBT_HEAD_BLOCK, xbt_verify_head, bt,
			 &addr, &why);
	if (!error) {
		h = addr;
		if (xbt_head_nlevels(h) == 0 ||
		    xbt_head_nlevels(h) > XBT_MAXLEVELS) {
			error = -EUCLEAN;
			why = "height out of range";
		}
	}
	if (error) {
		XBT_CORRUPT_ERR(bt, XBT_HEAD_BLOCK, error, why);
		xbt_dot_escape(text, sizeof(text), why);
		xbt_dot_printf(dt,
			       "\thead [label=\"block 0: header\\nDAMAGED: %s\", color=red, fontcolor=red];",
			       text);
		return NULL;
	}
	xbt_dot_printf(dt,
		       "\thead [label=\"block 0: header (%s)\\nheight %u, root %llu\\n%llu records, %llu blocks\", style=\"rounded,filled\", fillcolor=lightgrey];",
		       bt->ops->name, xbt_head_nlevels(h),
		       (unsigned long long)xbt_head_root(h),
		       (unsigned long long)xbt_head_nrecords(h),
		       (unsigned long long)bt->targ.nallocated);
	return h;
}

/*
 * The note for what was cut: levels @level..0 and every allocated block
 * not drawn.  Placed under the lowest level drawn (@above, a node id).
 */
static void
xbt_dot_note(struct xbt_dot *dt, unsigned int level, uint64_t above)
{
	uint64_t	shown = dt->drawn + 1;	/* the header block too */
	uint64_t	total = dt->bt->targ.nallocated;

	xbt_dot_printf(dt,
		       "\tcut [shape=note, label=\"not drawn: level%s %u..0, %llu more blocks\\n(tree.dot draws at most %llu blocks)\"];",
		       level ? "s" : "", level,
		       (unsigned long long)(total > shown ? total - shown : 0),
		       (unsigned long long)dt->limit);
	if (above != XBT_NULLBLOCK)
		xbt_dot_printf(dt, "\tb%llu -> cut [style=invis];",
			       (unsigned long long)above);
}

int
xbtree_dump_dot(struct xbtree *bt, unsigned int max_blocks, xbt_text_fn out,
		void *priv)
{
	struct xbt_dot		dt = {
		.bt = bt, .out = out, .priv = priv,
		.limit = max_blocks ? max_blocks : UINT64_MAX,
	};
	struct xbt_dot_list	lists[2] = {
		{ .ents = XMEM_ARRAY_INIT(sizeof(struct xbt_dot_ent)) },
		{ .ents = XMEM_ARRAY_INIT(sizeof(struct xbt_dot_ent)) },
	};
	struct xbt_dot_list	*cur = &lists[0], *next = &lists[1], *t;
	struct xbt_head_block	*h;
	bool			complete = true;
	uint64_t		above = XBT_NULLBLOCK;
	int			level;
	size_t			j;

	dt.seen = xmem_zalloc((bt->targ.nbits / 64 + 1) * sizeof(uint64_t));
	if (!dt.seen)
		return -ENOMEM;
	xbt_dot_printf(&dt, "digraph xfbtree {");
	xbt_dot_printf(&dt, "\tordering=out;");
	xbt_dot_printf(&dt, "\tnode [shape=box, fontname=\"monospace\", fontsize=10];");
	xbt_dot_printf(&dt, "\tedge [fontname=\"monospace\", fontsize=9];");
	h = xbt_dot_head(&dt);
	if (!h)
		goto out_close;

	level = xbt_head_nlevels(h) - 1;
	dt.error = dt.error ? dt.error :
		   xbt_dot_list_add(cur, xbt_head_root(h), XBT_HEAD_BLOCK, 1);
	for (; level >= 0 && cur->total && !dt.error; level--) {
		/* Whole levels only; the root always fits. */
		if (dt.drawn && (dt.drawn + cur->total > dt.limit ||
				 cur->ents.len < cur->total)) {
			xbt_dot_note(&dt, level, above);
			break;
		}
		xbt_dot_level(&dt, cur, next, level, complete);
		for (j = 0; j < cur->ents.len; j++)
			if (!xbt_dot_ent(cur, j)->block)
				complete = false;
		above = xbt_dot_ent(cur, 0)->bno;
		t = cur;
		cur = next;
		next = t;
	}

out_close:
	xbt_dot_printf(&dt, "}");
	xmem_array_release(&lists[0].ents);
	xmem_array_release(&lists[1].ents);
	xmem_free(dt.seen);
	return dt.error;
}
