// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * html.c: the btree as one self-contained web page (the tree.html file).
 *
 * The page needs nothing but itself: the style sheet and the script are
 * inline (btree/html_page.css and btree/html_page.js, embedded at build
 * time as html_page.h by btree/html_embed.py), it names no other file and
 * no address, so it opens straight from a mount (file://) or from a copy
 * anywhere.  What it holds:
 *
 *	+------------------------------------------------------------------+
 *	| kv btree: height 3, 2000 records ...        [ key  ] [path]      |
 *	| notes: check's problems, what was left out                       |
 *	+------------------------------------------+-----------------------+
 *	|            [ block 0: header ]           | #block-detail         |
 *	|                    :                     |  the block clicked,   |
 *	|              [ 9 |||||   ]               |  decoded exactly as   |
 *	|            /        |      \             |  xbt_decode_block()   |
 *	|   [ 3 ||| ] <-> [ 4 |||| ] <-> [ 8 || ]  |  prints it, pointers  |
 *	|    /  |  \       ...                     |  as links             |
 *	|  SVG: one box per block, level by level  |                       |
 *	+------------------------------------------+-----------------------+
 *	<script id="xbt-data" type="application/json"> the blocks </script>
 *	<script> the search and the clicks </script>
 *
 * The drawing is made here, as static SVG, so that it shows without the
 * script.  A box's filled part is how full the block is (numrecs against
 * maxrecs); its entries sit left to right in it by slot, and the edge to
 * a child leaves the parent at its pointer's slot.  Dashed links join
 * siblings whose pointers agree both ways.  Blocks that the walk found
 * damaged, or that xbtree_check() names, are drawn in the warning colour
 * with the reason.
 *
 * The contract for tests and scripts (stable):
 *	- every block box is an SVG <g> with data-block="N" and
 *	  data-level="L"; the header block's box has data-block="0" and
 *	  data-level="header";
 *	- the decoded view of the block clicked is #block-detail, its text
 *	  in a <pre class="decoded"> that reads exactly as the page decoder
 *	  prints the block;
 *	- the search box is #key-search (a key as the lookup file takes it),
 *	  its answer #search-result, "level L block B slot S" lines as the
 *	  `path` query gives them; the boxes on the path get the class
 *	  on-path;
 *	- boxes of damaged or flagged blocks have the class bad.
 *
 * The data script holds one JSON object (html_page.js reads it):
 *
 *	{ "type": "kv", "keylen": 8, "overlapping": false,
 *	  "blocksize": 512, "root": 9, "height": 3, "records": 2000,
 *	  "nblocks": 120, "headbad": false, "maxbytes": N,
 *	  "cut": null | { "level": L, "shown": K, "total": N },
 *	  "problems": [[bno, "message"], ...], "more_problems": N,
 *	  "blocks": { "0": { "l": "header", "t": "decoded text" },
 *	              "9": { "l": 2, "n": 3, "m": 27, "k": "hex keys",
 *	                     "p": [3, 4, 8], "t": "decoded text" },
 *	              "7": { "l": 0, ..., "bad": "bad checksum" } } }
 *
 * "k" is the low keys of the entries, key_len bytes each in hex, one
 * after another: the script turns them into tuples it compares as the
 * type's cmp_keys does, and walks them as the engine walks (a node: the
 * last entry whose key is <= the key, else slot 0; a leaf: the first
 * record >= the key).  A damaged block has no "k" and no "p".  Block
 * numbers are JSON numbers up to 2^53 and strings past that.
 *
 * Size: past @max_bytes the page keeps every level from the root down
 * while whole levels fit, then a sample of the first level that does not
 * fit (its first and last blocks and evenly spaced ones between, as many
 * as fit), and nothing below it; a note says what was left out, and the
 * search stops at the deepest level the page holds.  The root is always
 * in, so a tiny @max_bytes can be exceeded by the bare page and the
 * root.  Each block's text is made once; a level that overflows is made
 * again as a sample, so the work is at most twice @max_bytes of text.
 *
 * Untrusted blocks: every block is read as a reader reads it (full
 * verifier the first time, the header checks at the level its parent
 * implies); a damaged one is reported like any damage a reader finds,
 * drawn with its reason, decoded from its raw bytes (the decoder takes
 * any bytes) and not descended into.  A block reached a second time is
 * not drawn again.
 *
 * Locking: a reader.  The caller holds the btree's read lock; the walk
 * and xbtree_check() touch only the blocks' TRUSTED bits and the corrupt
 * flag.  Errors: -ENOMEM, or the first error @out returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_priv.h"
#include "btree/html_page.h"

/* Problems of xbtree_check() kept; the rest are counted. */
#define XBT_HTML_PROBLEMS_MAX	1000
/* Problems listed in the notes at the top (all kept ones are in data). */
#define XBT_HTML_NOTES_MAX	200
/* SVG bytes one block may take at most: box, edge and sibling link. */
#define XBT_HTML_SVG_MAX	800
/* The page around the blocks, CSS and script aside: head, notes. */
#define XBT_HTML_FRAME		4096

/* Drawing geometry, in SVG units (pixels at zoom 1). */
#define XBT_HTML_SLOT		80	/* room per box when there is room */
#define XBT_HTML_BOXW		64
#define XBT_HTML_BOXH		34
#define XBT_HTML_ROWH		96	/* from one level's top to the next */
#define XBT_HTML_TOP		88	/* the root level's top */
#define XBT_HTML_MINW		760
#define XBT_HTML_MAXW		24000

/* A growable text buffer; on failure it keeps its text and says so. */
struct xbt_html_buf {
	char		*p;
	size_t		len;
	size_t		cap;
	bool		nomem;
};

/* One block of a level, in pointer order. */
struct xbt_html_ent {
	uint64_t		bno;
	uint32_t		parent;	/* index one level up; 0 at the root */
	uint32_t		pslot;	/* the parent's pointer slot */
	struct xbt_block	*block;	/* NULL until read, or damaged */
	const char		*why;	/* damaged: the reason */
	bool			read;	/* block or why is set */
	bool			shown;	/* in the page */
	uint64_t		units;	/* layout: width, in units */
	uint64_t		start;	/* layout: first unit */
	uint64_t		next;	/* layout: first unit of the next child */
};

/* The blocks at one depth (0: the root's level). */
struct xbt_html_level {
	struct xbt_html_ent	*ent;
	size_t			n;
	size_t			nshown;
};

struct xbt_html_problem {
	uint64_t	bno;
	char		*msg;
};

struct xbt_html {
	struct xbtree		*bt;
	xbt_text_fn		out;
	void			*priv;
	int			error;		/* first error: -ENOMEM or out's */
	struct xbt_html_buf	data;		/* JSON of the blocks */
	struct xbt_html_buf	page;		/* the rest, piece by piece */

	/* the header block */
	const char		*head_why;	/* damaged: the reason */
	unsigned int		height;
	uint64_t		root;

	/* the tree, gathered level by level */
	struct xbt_html_level	lv[XBT_MAXLEVELS];
	unsigned int		depths;		/* levels gathered */
	unsigned int		cut;		/* first depth not whole */
	uint64_t		*seen;		/* bitmap: blocks gathered */

	/* what xbtree_check() said, sorted by block */
	struct xbt_html_problem	*probs;
	size_t			nprobs;
	uint64_t		nprobs_total;
	bool			probs_nomem;
};

/* ---- text buffers ------------------------------------------------------ */

static bool
xbt_hb_reserve(struct xbt_html_buf *b, size_t more)
{
	size_t	cap = b->cap ? b->cap : 4096;
	char	*p;

	if (b->nomem)
		return false;
	if (b->len + more <= b->cap)
		return true;
	while (cap < b->len + more)
		cap *= 2;
	p = xmem_realloc(b->p, cap, 1);
	if (!p) {
		b->nomem = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
xbt_hb_put(struct xbt_html_buf *b, const char *s, size_t len)
{
	if (!xbt_hb_reserve(b, len))
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
}

static void
xbt_hb_puts(struct xbt_html_buf *b, const char *s)
{
	xbt_hb_put(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
xbt_hb_printf(struct xbt_html_buf *b, const char *fmt, ...)
{
	va_list		ap;
	int		n;

	if (!xbt_hb_reserve(b, 256))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!xbt_hb_reserve(b, n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

/*
 * @len bytes of text as the inside of a JSON string that may sit in a
 * <script> element: quotes, backslashes, control characters, '<' and
 * every byte above 0x7e escaped (so "</script>" cannot appear and the
 * page stays ASCII, whatever a type's print ops write).
 */
static void
xbt_hb_json_text(struct xbt_html_buf *b, const char *s, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		c;
	size_t			i, start = 0;
	char			esc[6];

	if (!xbt_hb_reserve(b, len + 16))
		return;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<')
			continue;
		xbt_hb_put(b, s + start, i - start);
		start = i + 1;
		if (c == '\n') {
			xbt_hb_put(b, "\\n", 2);
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			xbt_hb_put(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			xbt_hb_put(b, esc, 6);
		}
	}
	xbt_hb_put(b, s + start, len - start);
}

/* Text for HTML element content or an attribute value. */
static void
xbt_hb_html_text(struct xbt_html_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			xbt_hb_puts(b, "&amp;");
			break;
		case '<':
			xbt_hb_puts(b, "&lt;");
			break;
		case '>':
			xbt_hb_puts(b, "&gt;");
			break;
		case '"':
			xbt_hb_puts(b, "&quot;");
			break;
		default:
			xbt_hb_put(b, (unsigned char)*s < 0x20 ? "?" : s, 1);
		}
	}
}

/* A block number as JSON: a number while a double holds it exactly. */
static void
xbt_hb_json_bno(struct xbt_html_buf *b, uint64_t bno)
{
	if (bno < (1ULL << 53))
		xbt_hb_printf(b, "%llu", (unsigned long long)bno);
	else
		xbt_hb_printf(b, "\"%llu\"", (unsigned long long)bno);
}

/* Hand the page buffer to @out and empty it. */
static void
xbt_html_flush(struct xbt_html *h)
{
	if (!h->error && h->page.nomem)
		h->error = -ENOMEM;
	if (!h->error && h->page.len) {
		h->error = h->out(h->page.p, h->page.len, h->priv);
		if (h->error > 0)
			h->error = -EIO;	/* the contract says -errno */
	}
	h->page.len = 0;
}

/* ---- what check says --------------------------------------------------- */

static void
xbt_html_report(uint64_t bno, const char *msg, void *priv)
{
	struct xbt_html		*h = priv;
	struct xbt_html_problem	*p;

	h->nprobs_total++;
	if (h->nprobs >= XBT_HTML_PROBLEMS_MAX || h->probs_nomem)
		return;
	if (!h->probs) {
		h->probs = xmem_zalloc(XBT_HTML_PROBLEMS_MAX * sizeof(*p));
		if (!h->probs) {
			h->probs_nomem = true;
			return;
		}
	}
	p = &h->probs[h->nprobs];
	p->msg = xmem_strdup(msg);
	if (!p->msg) {
		h->probs_nomem = true;
		return;
	}
	p->bno = bno;
	h->nprobs++;
}

/* The first problem check named @bno with, or NULL. */
static const char *
xbt_html_problem_of(const struct xbt_html *h, uint64_t bno)
{
	size_t	lo = 0, hi = h->nprobs, mid;

	/* Sorted by block, stable: the first found is the first said. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (h->probs[mid].bno < bno)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nprobs && h->probs[lo].bno == bno ?
	       h->probs[lo].msg : NULL;
}

/* Run the check; keep what it says, sorted by block. */
static int
xbt_html_check(struct xbt_html *h)
{
	struct xbt_html_problem	p;
	uint64_t		problems;
	size_t			i, j;
	int			error;

	error = xbtree_check(h->bt, xbt_html_report, h, &problems);
	if (error)
		return error;
	if (h->probs_nomem)
		return -ENOMEM;
	/*
	 * By block, keeping the order check said them in (insertion sort:
	 * stable, and check names blocks mostly in order anyway).
	 */
	for (i = 1; i < h->nprobs; i++) {
		p = h->probs[i];
		for (j = i; j > 0 && h->probs[j - 1].bno > p.bno; j--)
			h->probs[j] = h->probs[j - 1];
		h->probs[j] = p;
	}
	return 0;
}

/* ---- the walk ---------------------------------------------------------- */

static bool
xbt_html_seen(struct xbt_html *h, uint64_t bno)
{
	uint64_t	bit;

	if (!xbuf_is_allocated(&h->bt->targ, bno))
		return false;
	bit = 1ULL << (bno % 64);
	if (h->seen[bno / 64] & bit)
		return true;
	h->seen[bno / 64] |= bit;
	return false;
}

/*
 * Read block @e at @level as a reader does (xbtree_get_block()): damage
 * is reported and its reason kept in @e->why.
 */
static void
xbt_html_get(struct xbt_html *h, struct xbt_html_ent *e, unsigned int level)
{
	struct xbt_block	*block;

	if (e->read)
		return;
	e->read = true;
	if (!xbtree_get_block_why(h->bt, e->bno, level, &block, &e->why))
		e->block = block;
}

/*
 * Gather every level from the root down: a level's blocks are the child
 * pointers of the sound nodes above, in order.  Nodes are read (their
 * pointers are needed); leaves are read only when drawn.
 */
static int
xbt_html_gather(struct xbt_html *h)
{
	struct xbtree		*bt = h->bt;
	struct xbt_html_level	*l, *next;
	struct xbt_html_ent	*e;
	unsigned int		d, level, i, n;
	size_t			j, most;
	uint64_t		bno;

	h->seen = xmem_zalloc((bt->targ.nbits / 64 + 1) * sizeof(uint64_t));
	h->lv[0].ent = xmem_zalloc(sizeof(*e));
	if (!h->seen || !h->lv[0].ent)
		return -ENOMEM;
	xbt_html_seen(h, XBT_HEAD_BLOCK);
	xbt_html_seen(h, h->root);
	h->lv[0].ent[0].bno = h->root;
	h->lv[0].n = 1;
	h->depths = 1;
	for (d = 0; d + 1 < h->height; d++) {
		l = &h->lv[d];
		next = &h->lv[d + 1];
		level = h->height - 1 - d;
		/* Read the nodes; their entries bound the next level. */
		most = 0;
		for (j = 0; j < l->n; j++) {
			xbt_html_get(h, &l->ent[j], level);
			if (l->ent[j].block)
				most += xbt_numrecs(l->ent[j].block);
		}
		if (!most)
			break;
		next->ent = xmem_zalloc(most * sizeof(*e));
		if (!next->ent)
			return -ENOMEM;
		for (j = 0; j < l->n; j++) {
			e = &l->ent[j];
			n = e->block ? xbt_numrecs(e->block) : 0;
			for (i = 0; i < n; i++) {
				bno = xbtree_ptr(bt, e->block, i);
				if (xbt_html_seen(h, bno))
					continue;	/* check names it */
				next->ent[next->n++] = (struct xbt_html_ent){
					.bno = bno, .parent = j, .pslot = i,
				};
			}
		}
		if (!next->n)
			break;
		h->depths = d + 2;
	}
	return 0;
}

/* ---- blocks as data ---------------------------------------------------- */

static int
xbt_html_json_out(const char *text, size_t len, void *priv)
{
	xbt_hb_json_text(priv, text, len);
	return 0;
}

/* The decoded text of block @bno (its raw bytes) as a "t" member. */
static void
xbt_html_decoded(struct xbt_html *h, uint64_t bno)
{
	struct xbtree	*bt = h->bt;

	xbt_hb_puts(&h->data, "\"t\":\"");
	if (xbuf_is_allocated(&bt->targ, bno))
		xbt_decode_block(xbuf_addr(&bt->targ, bno), bt->blksize,
				 xbt_html_json_out, &h->data);
	else
		xbt_hb_puts(&h->data, "(not an allocated block)");
	xbt_hb_puts(&h->data, "\"");
}

/* The header block's entry: decoded, and damaged or not. */
static void
xbt_html_head_data(struct xbt_html *h)
{
	xbt_hb_puts(&h->data, "\"0\":{\"l\":\"header\",");
	if (h->head_why) {
		xbt_hb_puts(&h->data, "\"bad\":\"");
		xbt_hb_json_text(&h->data, h->head_why, strlen(h->head_why));
		xbt_hb_puts(&h->data, "\",");
	}
	xbt_html_decoded(h, XBT_HEAD_BLOCK);
	xbt_hb_puts(&h->data, "}");
}

/*
 * One block's entry, ",\"N\":{...}", appended to the data; returns the
 * bytes it took.
 */
static size_t
xbt_html_block_data(struct xbt_html *h, struct xbt_html_ent *e,
		unsigned int level)
{
	static const char	hex[] = "0123456789abcdef";
	struct xbtree		*bt = h->bt;
	size_t			start = h->data.len;
	unsigned int		n, i, k, klen = bt->ops->key_len;
	uint8_t			key[XBT_KEY_MAX];
	char			*p;

	xbt_html_get(h, e, level);
	xbt_hb_printf(&h->data, ",\"%llu\":{\"l\":%u,",
		      (unsigned long long)e->bno, level);
	if (!e->block) {
		xbt_hb_puts(&h->data, "\"bad\":\"");
		xbt_hb_json_text(&h->data, e->why, strlen(e->why));
		xbt_hb_puts(&h->data, "\",");
		goto out_text;
	}
	n = xbt_numrecs(e->block);
	xbt_hb_printf(&h->data, "\"n\":%u,\"m\":%u,\"k\":\"", n,
		      xbtree_maxrecs(bt, level));
	if (xbt_hb_reserve(&h->data, (size_t)n * klen * 2)) {
		p = h->data.p + h->data.len;
		for (i = 0; i < n; i++) {
			xbtree_entry_low_key(bt, e->block, level, i, key);
			for (k = 0; k < klen; k++) {
				*p++ = hex[key[k] >> 4];
				*p++ = hex[key[k] & 15];
			}
		}
		h->data.len = p - h->data.p;
	}
	xbt_hb_puts(&h->data, "\",");
	if (level) {
		xbt_hb_puts(&h->data, "\"p\":[");
		for (i = 0; i < n; i++) {
			if (i)
				xbt_hb_puts(&h->data, ",");
			xbt_hb_json_bno(&h->data, xbtree_ptr(bt, e->block, i));
		}
		xbt_hb_puts(&h->data, "],");
	}
out_text:
	xbt_html_decoded(h, e->bno);
	xbt_hb_puts(&h->data, "}");
	return h->data.len - start;
}

/*
 * Choose the blocks of depth @d to show within @room bytes (data and
 * drawing), given that the whole level does not fit: the first, the
 * last, and evenly spaced ones between.  @avg is what a block of the
 * level took so far.  Returns the bytes used.
 */
static size_t
xbt_html_sample(struct xbt_html *h, unsigned int d, size_t room, size_t avg)
{
	struct xbt_html_level	*l = &h->lv[d];
	unsigned int		level = h->height - 1 - d;
	size_t			k, i, j, used = 0, cost, last_cost, start;

	if (l->n == 0)
		return 0;
	if (l->n == 1) {
		start = h->data.len;
		cost = xbt_html_block_data(h, &l->ent[0], level) +
		       XBT_HTML_SVG_MAX;
		if (cost > room) {
			h->data.len = start;
			return 0;
		}
		l->ent[0].shown = true;
		return cost;
	}
	/* The last block first: its room is kept whatever comes before. */
	start = h->data.len;
	last_cost = xbt_html_block_data(h, &l->ent[l->n - 1], level) +
		    XBT_HTML_SVG_MAX;
	h->data.len = start;
	if (last_cost > room)
		return 0;
	k = (room - last_cost) / (avg ? avg : 1) + 1;
	if (k > l->n - 1)
		k = l->n - 1;
	if (k < 1)
		k = 1;
	/* k blocks spread over [0, n - 2], then the last. */
	for (j = 0; j < k; j++) {
		i = k == 1 ? 0 : (j * (l->n - 2) + (k - 1) / 2) / (k - 1);
		if (l->ent[i].shown)
			continue;
		start = h->data.len;
		cost = xbt_html_block_data(h, &l->ent[i], level) +
		       XBT_HTML_SVG_MAX;
		if (used + cost + last_cost > room) {
			h->data.len = start;
			continue;
		}
		l->ent[i].shown = true;
		used += cost;
	}
	xbt_html_block_data(h, &l->ent[l->n - 1], level);
	l->ent[l->n - 1].shown = true;
	return used + last_cost;
}

/*
 * Put blocks into the data, whole levels from the root down while they
 * fit in @budget bytes, then a sample of the first level that does not.
 */
static void
xbt_html_choose(struct xbt_html *h, size_t budget)
{
	struct xbt_html_level	*l;
	unsigned int		d, level;
	size_t			used = 0, j, cost, lstart, lused;

	h->cut = h->depths;
	for (d = 0; d < h->depths; d++) {
		l = &h->lv[d];
		level = h->height - 1 - d;
		lstart = h->data.len;
		lused = 0;
		for (j = 0; j < l->n; j++) {
			cost = xbt_html_block_data(h, &l->ent[j], level) +
			       XBT_HTML_SVG_MAX;
			/* The root always goes in. */
			if (used + lused + cost > budget && (d || j))
				break;
			lused += cost;
		}
		if (j == l->n) {
			for (j = 0; j < l->n; j++)
				l->ent[j].shown = true;
			used += lused;
			continue;
		}
		/* Undo the level, and take a sample of it instead. */
		h->data.len = lstart;
		h->cut = d;
		if (budget > used)
			xbt_html_sample(h, d, budget - used,
					j ? lused / j : cost);
		break;
	}
	for (d = 0; d < h->depths; d++) {
		l = &h->lv[d];
		for (j = 0; j < l->n; j++)
			l->nshown += l->ent[j].shown;
	}
}

/* ---- the drawing ------------------------------------------------------- */

/*
 * Layout, a tidy tree in "units": every shown block of the deepest level
 * shown takes one unit, a node takes the units of its shown children
 * (one if none is shown), and children share their parent's span in
 * pointer order, so each parent sits centred over its children:
 *
 *	units      0   1   2   3   4   5
 *	depth 0    [        root        ]      span 0..6, centre 3
 *	depth 1    [  a   ][    b       ]      a: 0..2, b: 2..6
 *	depth 2    [x] [y]  [z] [w] [v] [u]
 *
 * A unit is XBT_HTML_SLOT wide while the drawing fits XBT_HTML_MAXW,
 * narrower past that; boxes are at most XBT_HTML_BOXW wide and 80% of a
 * unit.
 */
struct xbt_html_geo {
	double		width;		/* of the whole drawing */
	double		left;		/* where unit 0 starts */
	double		unit;
	double		boxw;
};

static void
xbt_html_layout(struct xbt_html *h, struct xbt_html_geo *g)
{
	struct xbt_html_ent	*e, *p;
	unsigned int		d;
	size_t			j;
	uint64_t		total;

	/* Bottom up: units. */
	for (d = h->depths; d-- > 0;) {
		for (j = 0; j < h->lv[d].n; j++) {
			e = &h->lv[d].ent[j];
			if (!e->shown)
				continue;
			if (!e->units)
				e->units = 1;
			if (d)
				h->lv[d - 1].ent[e->parent].units +=
					e->units;
		}
	}
	/* Top down: each child starts where its older siblings end. */
	for (d = 0; d < h->depths; d++) {
		for (j = 0; j < h->lv[d].n; j++) {
			e = &h->lv[d].ent[j];
			if (d && e->shown) {
				p = &h->lv[d - 1].ent[e->parent];
				e->start = p->next;
				p->next += e->units;
			}
			e->next = e->start;
		}
	}
	/* A damaged header block is drawn alone: one unit. */
	total = h->depths ? h->lv[0].ent[0].units : 1;
	g->unit = XBT_HTML_SLOT;
	if (total * g->unit > XBT_HTML_MAXW)
		g->unit = (double)XBT_HTML_MAXW / total;
	g->boxw = g->unit * 0.8;
	if (g->boxw > XBT_HTML_BOXW)
		g->boxw = XBT_HTML_BOXW;
	g->width = total * g->unit + 16;
	if (g->width < XBT_HTML_MINW)
		g->width = XBT_HTML_MINW;
	g->left = (g->width - total * g->unit) / 2;
}

/* The left edge of shown block @e's box. */
static double
xbt_html_x(const struct xbt_html_geo *g, const struct xbt_html_ent *e)
{
	return g->left + ((double)e->start + e->units / 2.0) * g->unit -
	       g->boxw / 2;
}

static double
xbt_html_y(unsigned int d)
{
	return XBT_HTML_TOP + (double)d * XBT_HTML_ROWH;
}

/* The edge into shown block @e at depth @d from its parent, if shown. */
static void
xbt_html_edge(struct xbt_html *h, const struct xbt_html_geo *g,
		unsigned int d, const struct xbt_html_ent *e)
{
	const struct xbt_html_ent	*p;
	double				x1, y1, x2, y2, frac;
	unsigned int			pm;

	x2 = xbt_html_x(g, e) + g->boxw / 2;
	y2 = xbt_html_y(d);
	if (d == 0) {
		xbt_hb_printf(&h->page,
			      "<line class=\"e root\" data-to=\"%llu\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			      (unsigned long long)e->bno, x2, 52, x2, y2);
		return;
	}
	p = &h->lv[d - 1].ent[e->parent];
	if (!p->shown || !p->block)
		return;
	/* Leave the parent at its pointer's slot. */
	pm = xbtree_maxrecs(h->bt, h->height - d);
	frac = ((double)e->pslot + 0.5) / (pm ? pm : 1);
	x1 = xbt_html_x(g, p) + 1 + (g->boxw - 2) * frac;
	y1 = xbt_html_y(d - 1) + XBT_HTML_BOXH;
	xbt_hb_printf(&h->page,
		      "<line class=\"e\" data-to=\"%llu\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		      (unsigned long long)e->bno, x1, y1, x2, y2);
}

/* One block's box. */
static void
xbt_html_box(struct xbt_html *h, const struct xbt_html_geo *g, unsigned int d,
		const struct xbt_html_ent *e)
{
	unsigned int	level = h->height - 1 - d;
	unsigned int	n = 0, max = xbtree_maxrecs(h->bt, level);
	double		w = g->boxw, x = xbt_html_x(g, e);
	double		fw = 0;
	const char	*why = e->why;
	char		reason[128];

	if (!why)
		why = xbt_html_problem_of(h, e->bno);
	if (e->block) {
		n = xbt_numrecs(e->block);
		fw = (w - 2) * (double)(n < max ? n : max) / (max ? max : 1);
	}
	xbt_hb_printf(&h->page,
		      "<g class=\"blk %s%s\" data-block=\"%llu\" data-level=\"%u\" transform=\"translate(%.1f %.1f)\"><title>block %llu: %s",
		      level ? "node" : "leaf", why ? " bad" : "",
		      (unsigned long long)e->bno, level, x, xbt_html_y(d),
		      (unsigned long long)e->bno,
		      level ? "node" : "leaf");
	if (e->block)
		xbt_hb_printf(&h->page, ", level %u, %u of %u %s (%u%%)",
			      level, n, max, level ? "entries" : "records",
			      max ? n * 100 / max : 0);
	if (why) {
		snprintf(reason, sizeof(reason), "%s", why);
		xbt_hb_puts(&h->page, "\n");
		xbt_hb_html_text(&h->page, reason);
	}
	xbt_hb_printf(&h->page,
		      "</title><rect class=\"frame\" width=\"%.1f\" height=\"%d\" rx=\"3\"/>",
		      w, XBT_HTML_BOXH);
	if (fw > 0)
		xbt_hb_printf(&h->page,
			      "<rect class=\"fill\" x=\"1\" y=\"1\" width=\"%.1f\" height=\"%d\"/>",
			      fw, XBT_HTML_BOXH - 2);
	if (w >= 22)
		xbt_hb_printf(&h->page,
			      "<text x=\"%.1f\" y=\"15\">%s%llu</text>", w / 2,
			      why ? "! " : "", (unsigned long long)e->bno);
	if (w >= 40 && e->block)
		xbt_hb_printf(&h->page,
			      "<text class=\"sub\" x=\"%.1f\" y=\"28\">%u/%u</text>",
			      w / 2, n, max);
	xbt_hb_puts(&h->page, "</g>\n");
}

/* The dashed link between shown neighbours that point at each other. */
static void
xbt_html_sib(struct xbt_html *h, const struct xbt_html_geo *g, unsigned int d,
		const struct xbt_html_ent *a, const struct xbt_html_ent *b)
{
	double	x1, x2, y;

	if (!a->block || !b->block || xbt_rightsib(a->block) != b->bno ||
	    xbt_leftsib(b->block) != a->bno)
		return;
	x1 = xbt_html_x(g, a) + g->boxw;
	x2 = xbt_html_x(g, b);
	if (x2 - x1 < 4)
		return;
	y = xbt_html_y(d) + XBT_HTML_BOXH / 2.0;
	xbt_hb_printf(&h->page,
		      "<line class=\"sib\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
		      x1 + 1, y, x2 - 1, y);
}

/* The header block's box, above the root. */
static void
xbt_html_head_box(struct xbt_html *h, const struct xbt_html_geo *g)
{
	const char	*why = h->head_why;
	double		w = 440, x;
	char		text[256];

	if (!why)
		why = xbt_html_problem_of(h, XBT_HEAD_BLOCK);
	if (h->head_why)
		snprintf(text, sizeof(text), "block 0: header");
	else
		snprintf(text, sizeof(text),
			 "block 0: header \xc2\xb7 height %u \xc2\xb7 root %llu \xc2\xb7 %llu records",
			 h->height, (unsigned long long)h->root,
			 (unsigned long long)xbt_head_nrecords(h->bt->head));
	/* Centred over the root, inside the drawing. */
	x = h->depths ? xbt_html_x(g, &h->lv[0].ent[0]) + g->boxw / 2 - w / 2 :
			g->width / 2 - w / 2;
	if (x + w > g->width - 4)
		x = g->width - 4 - w;
	if (x < 4)
		x = 4;
	xbt_hb_printf(&h->page,
		      "<g class=\"blk head%s\" data-block=\"0\" data-level=\"header\" transform=\"translate(%.1f 12)\"><title>",
		      why ? " bad" : "", x);
	xbt_hb_html_text(&h->page, text);
	if (why) {
		xbt_hb_puts(&h->page, "\n");
		xbt_hb_html_text(&h->page, why);
	}
	xbt_hb_printf(&h->page,
		      "</title><rect class=\"frame\" width=\"%.0f\" height=\"40\" rx=\"6\"/><text x=\"%.0f\" y=\"25\">%s",
		      w, w / 2, why ? "! " : "");
	xbt_hb_html_text(&h->page, text);
	xbt_hb_puts(&h->page, "</text></g>\n");
}

static void
xbt_html_svg(struct xbt_html *h)
{
	struct xbt_html_geo		g;
	const struct xbt_html_ent	*e, *prev;
	unsigned int			d;
	size_t				j;
	double				height;

	xbt_html_layout(h, &g);
	height = xbt_html_y(h->depths) - XBT_HTML_ROWH + XBT_HTML_BOXH + 16;
	if (height < 72)
		height = 72;
	xbt_hb_printf(&h->page,
		      "<svg id=\"tree\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" data-width=\"%.0f\" data-height=\"%.0f\">\n",
		      g.width, height, g.width, height, g.width, height);
	xbt_html_head_box(h, &g);
	for (d = 0; d < h->depths && !h->head_why; d++) {
		prev = NULL;
		for (j = 0; j < h->lv[d].n; j++) {
			e = &h->lv[d].ent[j];
			if (!e->shown)
				continue;
			xbt_html_edge(h, &g, d, e);
			xbt_html_box(h, &g, d, e);
			if (prev)
				xbt_html_sib(h, &g, d, prev, e);
			prev = e;
		}
		/* Hand each level on: the page buffer stays small. */
		xbt_html_flush(h);
	}
	xbt_hb_puts(&h->page, "</svg>\n");
}

/* ---- the page ---------------------------------------------------------- */

/* The notes: check's problems and what was left out. */
static void
xbt_html_notes(struct xbt_html *h, size_t max_bytes)
{
	struct xbt_html_level	*l;
	uint64_t		left = 0;
	unsigned int		d;
	size_t			i;

	xbt_hb_puts(&h->page, "<section id=\"notes\">\n");
	if (h->nprobs_total) {
		xbt_hb_printf(&h->page,
			      "<div class=\"problems\"><b>check: %llu problem%s</b><ul>\n",
			      (unsigned long long)h->nprobs_total,
			      h->nprobs_total == 1 ? "" : "s");
		for (i = 0; i < h->nprobs && i < XBT_HTML_NOTES_MAX; i++) {
			xbt_hb_printf(&h->page,
				      "<li><a href=\"#block-%llu\" data-goto=\"%llu\">block %llu</a>: ",
				      (unsigned long long)h->probs[i].bno,
				      (unsigned long long)h->probs[i].bno,
				      (unsigned long long)h->probs[i].bno);
			xbt_hb_html_text(&h->page, h->probs[i].msg);
			xbt_hb_puts(&h->page, "</li>\n");
		}
		if (h->nprobs_total > i)
			xbt_hb_printf(&h->page, "<li>... %llu more</li>\n",
				      (unsigned long long)(h->nprobs_total - i));
		xbt_hb_puts(&h->page, "</ul></div>\n");
	}
	if (h->cut < h->depths) {
		for (d = h->cut; d < h->depths; d++) {
			l = &h->lv[d];
			left += l->n - l->nshown;
		}
		l = &h->lv[h->cut];
		xbt_hb_printf(&h->page,
			      "<div class=\"cut\" id=\"cut-note\">Not in this page: %llu of the %zu blocks at level %u",
			      (unsigned long long)(l->n - l->nshown), l->n,
			      h->height - 1 - h->cut);
		if (h->cut + 1 < h->depths)
			xbt_hb_printf(&h->page, " and every block below (%llu more)",
				      (unsigned long long)(left - (l->n - l->nshown)));
		if (l->nshown)
			xbt_hb_printf(&h->page,
				      ". Every level above is whole; level %u shows its first and last blocks and %zu evenly spaced between",
				      h->height - 1 - h->cut,
				      l->nshown >= 2 ? l->nshown - 2 : 0);
		else
			xbt_hb_printf(&h->page,
				      ". Every level above is whole; level %u is left out",
				      h->height - 1 - h->cut);
		xbt_hb_printf(&h->page,
			      ". A page holds at most %zu bytes: read pages/ and lookup's path for the rest.</div>\n",
			      max_bytes);
	}
	xbt_hb_puts(&h->page, "</section>\n");
}

/* The data script's header: everything but the blocks. */
static void
xbt_html_data_head(struct xbt_html *h, size_t max_bytes)
{
	struct xbtree		*bt = h->bt;
	struct xbt_html_level	*l;
	size_t			i;

	xbt_hb_printf(&h->page,
		      "<script id=\"xbt-data\" type=\"application/json\">{\"type\":\"");
	xbt_hb_json_text(&h->page, bt->ops->name, strlen(bt->ops->name));
	xbt_hb_printf(&h->page,
		      "\",\"keylen\":%u,\"overlapping\":%s,\"blocksize\":%u,\"root\":",
		      bt->ops->key_len,
		      xbtree_is_overlapping(bt) ? "true" : "false",
		      bt->blksize);
	xbt_hb_json_bno(&h->page, h->root);
	xbt_hb_printf(&h->page,
		      ",\"height\":%u,\"records\":%llu,\"nblocks\":%llu,\"headbad\":%s,\"maxbytes\":%zu,\"cut\":",
		      h->height,
		      (unsigned long long)xbt_head_nrecords(bt->head),
		      (unsigned long long)bt->targ.nallocated,
		      h->head_why ? "true" : "false", max_bytes);
	if (h->cut < h->depths) {
		l = &h->lv[h->cut];
		xbt_hb_printf(&h->page,
			      "{\"level\":%u,\"shown\":%zu,\"total\":%zu}",
			      h->height - 1 - h->cut, l->nshown, l->n);
	} else {
		xbt_hb_puts(&h->page, "null");
	}
	xbt_hb_puts(&h->page, ",\"problems\":[");
	for (i = 0; i < h->nprobs; i++) {
		xbt_hb_puts(&h->page, i ? ",[" : "[");
		xbt_hb_json_bno(&h->page, h->probs[i].bno);
		xbt_hb_puts(&h->page, ",\"");
		xbt_hb_json_text(&h->page, h->probs[i].msg,
				 strlen(h->probs[i].msg));
		xbt_hb_puts(&h->page, "\"]");
	}
	xbt_hb_printf(&h->page, "],\"more_problems\":%llu,\"blocks\":{",
		      (unsigned long long)(h->nprobs_total - h->nprobs));
}

/* Everything before the drawing: head, style, title bar, notes. */
static void
xbt_html_top(struct xbt_html *h, size_t max_bytes)
{
	struct xbtree	*bt = h->bt;
	char		title[160];

	if (h->head_why)
		snprintf(title, sizeof(title),
			 "%s btree: damaged header block", bt->ops->name);
	else
		snprintf(title, sizeof(title),
			 "%s btree: %llu records, height %u, %llu blocks of %u bytes",
			 bt->ops->name,
			 (unsigned long long)xbt_head_nrecords(bt->head),
			 h->height, (unsigned long long)bt->targ.nallocated,
			 bt->blksize);
	xbt_hb_puts(&h->page,
		    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	xbt_hb_html_text(&h->page, title);
	xbt_hb_puts(&h->page, "</title>\n<style>\n");
	xbt_hb_puts(&h->page, xbt_html_page_css);
	xbt_hb_puts(&h->page,
		    "</style>\n</head>\n<body>\n<header id=\"top\">\n<h1>");
	xbt_hb_html_text(&h->page, title);
	xbt_hb_printf(&h->page,
		      " <span class=\"health %s\">%s</span></h1>\n",
		      h->nprobs_total ? "corrupt" : "ok",
		      h->nprobs_total ? "check: damaged" : "check: ok");
	xbt_hb_puts(&h->page,
		    "<form id=\"search\" autocomplete=\"off\"><label for=\"key-search\">path of</label> <input id=\"key-search\" type=\"text\" spellcheck=\"false\"> <button type=\"submit\">find</button></form>\n"
		    "<div id=\"tools\"><div id=\"legend\" title=\"the filled part of a box is how full the block is\"><i class=\"node\"></i>node<i class=\"leaf\"></i>leaf<i class=\"bad\"></i>damaged<i class=\"path\"></i>searched path</div>\n"
		    "<div id=\"zoom\"><button type=\"button\" data-zoom=\"out\" title=\"zoom out\">&minus;</button><button type=\"button\" data-zoom=\"in\" title=\"zoom in\">+</button><button type=\"button\" data-zoom=\"fit\" title=\"fit the width\">fit</button><button type=\"button\" data-zoom=\"one\" title=\"one to one\">1:1</button></div></div>\n"
		    "</header>\n<div id=\"search-result\" hidden></div>\n");
	xbt_html_notes(h, max_bytes);
	xbt_hb_puts(&h->page, "<main>\n<div id=\"drawing\">\n");
}

/* After the drawing: the detail pane, the data, the script. */
static void
xbt_html_bottom(struct xbt_html *h, size_t max_bytes)
{
	xbt_hb_puts(&h->page,
		    "</div>\n<aside id=\"block-detail\"><p class=\"help\">Click a block to see it decoded; click a pointer to go to the child. Type a key to see the way a lookup takes.</p></aside>\n</main>\n");
	xbt_html_data_head(h, max_bytes);
	xbt_html_flush(h);
	if (!h->error && h->data.nomem)
		h->error = -ENOMEM;
	if (!h->error && h->data.len) {
		h->error = h->out(h->data.p, h->data.len, h->priv);
		if (h->error > 0)
			h->error = -EIO;
	}
	xbt_hb_puts(&h->page, "}}</script>\n<script>\n");
	xbt_hb_puts(&h->page, xbt_html_page_js);
	xbt_hb_puts(&h->page, "</script>\n</body>\n</html>\n");
	xbt_html_flush(h);
}

/* The header block, checked as every walk checks it. */
static void
xbt_html_head(struct xbt_html *h)
{
	struct xbtree	*bt = h->bt;
	const char	*why = NULL;
	void		*addr;
	int		error;

	error = xbuf_get(&bt->targ, XBT_HEAD_BLOCK, xbt_verify_head, bt,
			 &addr, &why);
	if (!error && (xbtree_nlevels(bt) == 0 ||
		       xbtree_nlevels(bt) > XBT_MAXLEVELS)) {
		error = -EUCLEAN;
		why = "height out of range";
	}
	if (error) {
		XBT_CORRUPT_ERR(bt, XBT_HEAD_BLOCK, error, why);
		h->head_why = why;
		return;
	}
	h->height = xbtree_nlevels(bt);
	h->root = xbtree_root(bt);
}

int
xbtree_dump_html(struct xbtree *bt, size_t max_bytes, xbt_text_fn out,
		void *priv)
{
	struct xbt_html	*h;
	size_t		fixed, budget;
	unsigned int	d;
	size_t		i;
	int		error;

	h = xmem_zalloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->bt = bt;
	h->out = out;
	h->priv = priv;

	error = xbt_html_check(h);
	if (error)
		goto out_free;
	xbt_html_head(h);
	xbt_html_head_data(h);
	if (!h->head_why) {
		error = xbt_html_gather(h);
		if (error)
			goto out_free;
	}
	/* What the page takes besides the blocks: measured, not guessed. */
	h->cut = h->depths;
	xbt_html_notes(h, max_bytes);
	fixed = strlen(xbt_html_page_css) + strlen(xbt_html_page_js) +
		XBT_HTML_FRAME + h->page.len + h->data.len +
		h->nprobs * 300;
	h->page.len = 0;
	budget = !max_bytes ? SIZE_MAX : max_bytes > fixed ? max_bytes - fixed : 0;
	if (!h->head_why)
		xbt_html_choose(h, budget);
	else
		h->cut = h->depths;
	if (h->data.nomem) {
		error = -ENOMEM;
		goto out_free;
	}

	xbt_html_top(h, max_bytes);
	xbt_html_flush(h);
	xbt_html_svg(h);
	xbt_html_bottom(h, max_bytes);
	error = h->error;

out_free:
	for (d = 0; d < XBT_MAXLEVELS; d++)
		xmem_free(h->lv[d].ent);
	for (i = 0; i < h->nprobs; i++)
		xmem_free(h->probs[i].msg);
	xmem_free(h->probs);
	xmem_free(h->seen);
	xmem_free(h->data.p);
	xmem_free(h->page.p);
	xmem_free(h);
	return error;
}
