/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbtree.h: the public interface of the in-memory btree library.
 *
 * One struct xbtree is one btree whose blocks live in an xfile of its own
 * (see format.h for every byte of them).  A const struct xbt_ops says what
 * a record is (kv, rmap, refcount, or a type of the caller's own); the
 * engine never learns a record layout.
 *
 * Records and keys cross this interface in their on-memory (big-endian)
 * form: rec_len and key_len bytes.  Each type's header has helpers to
 * build them from host integers (btree_kv.h: kvbt_rec_init()).
 *
 * Changes happen inside a transaction:
 *
 *	struct xbt_trans *tp;
 *	error = xbt_trans_alloc(bt, &tp);
 *	error = xbt_insert(tp, rec, &stat);	// as many operations as wanted
 *	error ? xbt_trans_cancel(tp) : (error = xbt_trans_commit(tp));
 *
 * Commit checksums every block the transaction dirtied and frees (punches
 * out) the blocks it released.  Cancel puts every block, the header block
 * and the block map back exactly as they were, byte for byte.  An
 * operation that fails inside a transaction may leave it half done: the
 * caller must cancel it.
 *
 * Locking: the library takes no locks.  The caller allows either one
 * writer (a transaction is open, or an operation that changes the tree is
 * running) or any number of readers per btree, e.g. with a rwlock.  Reads
 * may run concurrently with each other; the only state they change is the
 * per-block "checksum verified" bit and the statistics, both atomics.
 *
 * Names: the prefix says what a function acts on.
 *	xbtree_*	takes or makes a whole tree (struct xbtree *): create,
 *			destroy, bload, stats, get, query_range, check,
 *			dump_dot, prefetch, raw blocks; inside the engine,
 *			every helper whose first parameter is the tree.
 *	xbt_*		acts on a cursor (xbt_cur_*, xbt_lookup,
 *			xbt_increment), a transaction (xbt_trans_*,
 *			xbt_insert, xbt_delete, xbt_update), one block, or a
 *			record type (struct xbt_ops, xbt_bload_geometry,
 *			xbt_print_key, xbt_decode_block).  Beginning a cursor
 *			or a transaction is theirs too: xbt_cur_init(cur, bt),
 *			xbt_trans_alloc(bt, &tp).
 *	xfile_*, xbuf_*, xfarray_*, xmem_*	the layers below.
 *	kvbt_*, rmapbt_*, refcbt_*		one record type each.
 * A variable named bt is always a struct xbtree *, tp a struct
 * xbt_trans *, cur a struct xbt_cur *, targ a struct xbuf_targ *.
 *
 * Errors: every function returns 0 or a negative errno.  A missing record
 * is not an error: it comes back as *stat == 0.  -EUCLEAN means a damaged
 * block, -EBADMSG a block with a bad checksum; the reason is logged and
 * kept (xbtree_last_error()) and the btree is marked corrupt for good.
 * -ENOSPC means the memory cap (xfile_set_memory_cap()) was reached,
 * -ENOMEM that malloc failed.
 */
#ifndef BTREE_XBTREE_H
#define BTREE_XBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btree/format.h"

#define XBT_MAXLEVELS		32	/* refuse to grow taller: -ENOSPC */
#define XBT_KEY_MAX		24	/* longest key of any type */
#define XBT_REC_MAX		32	/* longest record of any type */

struct xbtree;
struct xbt_cur;
struct xbt_trans;

/* Ops flags. */
#define XBT_OPS_OVERLAPPING	(1U << 0)	/* nodes keep low and high keys */
/*
 * The key is the first key_len bytes of the record, and keys order as
 * unsigned big-endian numbers (memcmp order).  Lets the engine search a
 * block without calling the ops; cmp_keys must agree with it.
 */
#define XBT_OPS_KEY_PREFIX	(1U << 1)
/*
 * Records cover key ranges [low key, high key] that never overlap: an
 * insert whose range overlaps a neighbour's fails like a duplicate key
 * (*stat = 0).  XFS refcount extents of one domain are like this.
 */
#define XBT_OPS_DISJOINT	(1U << 2)

/*
 * What a record type is.  Keys are compared only through cmp_keys; for an
 * overlapping btree each node slot holds a low key then a high key, and a
 * record covers the keys from its low to its high key.
 */
struct xbt_ops {
	const char	*name;		/* "kv", "rmap", "refcount" */
	uint32_t	magic;		/* bb_magic of every block */
	unsigned int	rec_len;	/* bytes per record, <= XBT_REC_MAX */
	unsigned int	key_len;	/* bytes per key, <= XBT_KEY_MAX */
	unsigned int	flags;		/* XBT_OPS_* */

	/* The (low) key of a record: what orders records. */
	void		(*init_key_from_rec)(void *key, const void *rec);
	/* The last key a record covers; the low key if it covers one. */
	void		(*init_high_key_from_rec)(void *key, const void *rec);
	/* Order of two keys: negative, zero or positive. */
	int		(*cmp_keys)(const void *k1, const void *k2);
	/* Content rules of one record: NULL if fine, else the reason. */
	const char	*(*verify_rec)(const void *rec);

	/*
	 * Text for people (tree.dot, the page decoder); either may be NULL,
	 * and the callers then print the bytes in hex.  Both work like
	 * snprintf(): they write at most @len bytes into @buf, always
	 * NUL-terminated when @len > 0, and return the length of the whole
	 * text (so a return >= @len means it was cut).  They must accept any
	 * bytes, damaged ones included, and never fail.
	 *
	 * print_key: one key, short, e.g. kv "42", rmap "100/133/5 attr",
	 * refcount "100" or "100 cow".
	 * print_rec: one record's fields by name, e.g. rmap "startblock 100
	 * blockcount 10 owner 133 offset 5 unwritten".
	 */
	size_t		(*print_key)(const void *key, char *buf, size_t len);
	size_t		(*print_rec)(const void *rec, char *buf, size_t len);
};

/*
 * The ops of a built-in record type (kv, rmap, refcount) by its block
 * magic, or NULL if no built-in type has it (types.c).
 */
const struct xbt_ops *xbt_ops_by_magic(uint32_t magic);
/*
 * @ops->print_key / print_rec, or "0x" and the bytes in hex when the op
 * is NULL; snprintf() conventions as above (types.c).
 */
size_t xbt_print_key(const struct xbt_ops *ops, const void *key, char *buf,
		size_t len);
size_t xbt_print_rec(const struct xbt_ops *ops, const void *rec, char *buf,
		size_t len);

struct xbtree_params {
	unsigned int	blocksize;	/* power of two 512..65536; 0: page */
	uint64_t	owner;		/* bb_owner of every block */
	const char	*tmpdir;	/* NULL: memfd; else O_TMPFILE here */
	const uint8_t	*uuid;		/* 16 bytes; NULL: a random one */
};

struct xbtree_stats {
	const char	*type;		/* ops->name */
	uint64_t	records;
	unsigned int	height;
	uint64_t	blocks;		/* allocated, header block included */
	unsigned int	blocksize;
	uint64_t	bytes;		/* memory the xfile holds */
	uint64_t	data_size;	/* kv data file view */
	unsigned int	maxrecs[2];	/* leaf, node */
	unsigned int	minrecs[2];
	bool		corrupt;
	/*
	 * Changes count when their transaction commits: a cancelled
	 * transaction (a failed commit included) adds one to cancels and
	 * nothing else.  lookups counts xbtree_get() and
	 * xbtree_query_range() calls as they run.
	 */
	uint64_t	inserts, deletes, updates, lookups;
	uint64_t	splits, merges, shifts, new_roots, root_kills;
	uint64_t	commits, cancels;
};

/* Create an empty btree: header block 0 and an empty root leaf, block 1. */
int xbtree_create(const struct xbt_ops *ops,
		const struct xbtree_params *params, struct xbtree **btp);
/* Free the btree and its memory.  No transaction may be open. */
void xbtree_destroy(struct xbtree *bt);

const struct xbt_ops *xbtree_ops(const struct xbtree *bt);
/* The btree's UUID (16 bytes), as in every block. */
const uint8_t *xbtree_uuid(const struct xbtree *bt);
void xbtree_get_stats(struct xbtree *bt, struct xbtree_stats *st);
uint64_t xbtree_nrecords(const struct xbtree *bt);
bool xbtree_is_corrupt(const struct xbtree *bt);
/*
 * The btree's content version: a number that changes at every commit and
 * every raw block write (xbtree_write_block()), and that no other state
 * of any btree in the process ever had (one counter serves them all), so
 * a rendering cached with its version is current while they are equal.
 * A cancelled transaction may leave it unchanged.  Any thread; the
 * caller's lock decides which state it describes.
 */
uint64_t xbtree_version(const struct xbtree *bt);
/* Copy the most recent corruption reason (empty if none) into @buf. */
void xbtree_last_error(struct xbtree *bt, char *buf, size_t len);

/*
 * Tracing: the engine's events as they happen, for a caller that wants
 * to watch its btree change (the daemon's `trace` file).  The library
 * makes no text: an event is a type and up to four numbers, named per
 * type below ("block" and the like are block numbers).
 *
 *	type			level	a		b	c
 *	XBT_EV_ALLOC_BLOCK	level	block
 *	XBT_EV_FREE_BLOCK	level	block
 *	XBT_EV_SPLIT		level	block		new	moved
 *	XBT_EV_SHIFT		level	from		to	count
 *	XBT_EV_MERGE		level	block (freed)	into
 *	XBT_EV_NEW_ROOT			block		height (after)
 *	XBT_EV_ROOT_KILL		block (new root) height (after)
 *	XBT_EV_COMMIT			blocks (checksummed) logged (undo bytes)
 *	XBT_EV_CANCEL			blocks (restored)
 *	XBT_EV_LOAD			records		blocks	height
 *	XBT_EV_XFILE_GROW		offset		bytes
 *	XBT_EV_XFILE_PUNCH		offset		bytes
 *
 * Events come from the writer (inside a transaction, at its commit or
 * cancel); a cancelled transaction's events were reported as they
 * happened and its CANCEL follows them.  The engine never makes a LOAD:
 * it is for a caller that bulk loads to report in the same stream.
 */
enum xbt_event_type {
	XBT_EV_ALLOC_BLOCK,
	XBT_EV_FREE_BLOCK,
	XBT_EV_SPLIT,
	XBT_EV_SHIFT,
	XBT_EV_MERGE,
	XBT_EV_NEW_ROOT,
	XBT_EV_ROOT_KILL,
	XBT_EV_COMMIT,
	XBT_EV_CANCEL,
	XBT_EV_LOAD,
	XBT_EV_XFILE_GROW,
	XBT_EV_XFILE_PUNCH,
	XBT_EV_NR		/* how many types */
};

struct xbt_event {
	enum xbt_event_type	type;
	unsigned int		level;
	uint64_t		a, b, c;
};

typedef void (*xbtree_trace_fn)(const struct xbt_event *ev, void *priv);

/*
 * Report @bt's events to @fn (with @priv) from now on; @fn NULL stops
 * them (the default: then each event point costs one predictable
 * branch).  Called by the writer, with no transaction open.
 */
void xbtree_set_trace(struct xbtree *bt, xbtree_trace_fn fn, void *priv);

/*
 * Corruption messages go to this function (default: stderr).  It may be
 * called from any thread that uses the library.
 */
typedef void (*xbt_log_fn)(const char *msg);
void xbt_set_log_fn(xbt_log_fn fn);

/* ---- transactions -------------------------------------------------- */

/* Begin a transaction.  One at a time per btree. */
int xbt_trans_alloc(struct xbtree *bt, struct xbt_trans **tpp);
/*
 * Checksum and publish every change; frees @tp.  0, or -EUCLEAN if a
 * changed block fails the write verifier (an engine bug): then nothing
 * is published, the transaction is cancelled (every change undone), and
 * the btree is marked corrupt.
 */
int xbt_trans_commit(struct xbt_trans *tp);
/* Undo every change exactly; frees @tp. */
void xbt_trans_cancel(struct xbt_trans *tp);

/* ---- changes (inside a transaction) ------------------------------- */

/*
 * Insert @rec.  *stat = 0 if a record with the same key exists (or, for
 * XBT_OPS_DISJOINT types, one whose key range overlaps @rec's).
 */
int xbt_insert(struct xbt_trans *tp, const void *rec, int *stat);
/*
 * Insert @n records (@rec_len bytes each, back to back) in strictly
 * increasing key order, as n xbt_insert() calls would, but a leaf at a
 * time: the records that go into one leaf between two of its records
 * are put there with one shift.  Fast for runs of new keys into a gap
 * (the data file's writes).  *stat = 0 if a key is already there;
 * -EINVAL if the records are out of order or one is refused.  After an
 * error or *stat == 0 some records may be in: cancel the transaction.
 */
int xbt_insert_run(struct xbt_trans *tp, const void *recs, unsigned int n,
		int *stat);
/*
 * Delete the record whose key is @key.  If @rec is not NULL, the stored
 * record must equal it byte for byte as well.  *stat = 0 if there is no
 * such record.  The deleted record is copied to @old if not NULL.
 */
int xbt_delete(struct xbt_trans *tp, const void *key, const void *rec,
		void *old, int *stat);
/*
 * Replace the record with @rec's key by @rec.  *stat = 0 if none;
 * -EEXIST if @rec would overlap a neighbour (XBT_OPS_DISJOINT).
 */
int xbt_update(struct xbt_trans *tp, const void *rec, int *stat);
/*
 * Change records in place: the @n records from the cursor's slot on, all
 * in its leaf (1 <= @n <= leaf_nrecs - slot), are logged in the cursor's
 * transaction (the cursor must come from xbt_cur_init() while one is
 * open, and be positioned by xbt_lookup()) and *@recs points at the first
 * of them, writable.  The caller may change any byte of them except the
 * ones their keys are made of (init_key_from_rec and
 * init_high_key_from_rec): a change of key is a delete and an insert.
 * The cursor stays valid.  0, or -ENOMEM.  Asking for records past the
 * leaf's (xbt_cur_leaf_recs() says how many there are) or with a cursor
 * that is not on a record is a caller's bug: -EINVAL, and an assertion
 * failure in debug builds.
 */
int xbt_cur_modify(struct xbt_cur *cur, unsigned int n, void **recs);
/*
 * Set the header's data_size field (the kv `data` file's size).  0, or
 * -ENOMEM (nothing changed; the transaction can go on or be cancelled).
 */
int xbt_trans_set_data_size(struct xbt_trans *tp, uint64_t size)
	__attribute__((warn_unused_result));
uint64_t xbtree_data_size(const struct xbtree *bt);

/* ---- reads --------------------------------------------------------- */

enum xbt_lookup {
	XBT_LOOKUP_LE,		/* the last record with key <= the key */
	XBT_LOOKUP_EQ,		/* the record with exactly the key */
	XBT_LOOKUP_GE,		/* the first record with key >= the key */
};

/*
 * A cursor: a path from the root to one leaf slot.  It lives on the
 * caller's stack and holds nothing that needs releasing, but it is only
 * valid while the caller's lock is held and no change runs; re-look up
 * after any change.
 */
struct xbt_cur_level {
	uint64_t		bno;
	struct xbt_block	*block;
	int			slot;	/* 0-based index in the block */
};

struct xbt_cur {
	struct xbtree		*bt;
	struct xbt_trans	*tp;		/* NULL for a reader */
	unsigned int		nlevels;
	unsigned int		rec_len;	/* the type's, for inlines */
	int			leaf_nrecs;	/* numrecs of lv[0].block */
	struct xbt_cur_level	lv[XBT_MAXLEVELS];
};

void xbt_cur_init(struct xbt_cur *cur, struct xbtree *bt);
/* Position the cursor.  *stat = 1 if it sits on a matching record. */
int xbt_lookup(struct xbt_cur *cur, enum xbt_lookup dir, const void *key,
		int *stat);
/*
 * Step to the next / previous record.  *stat = 0 past either end.  The
 * common case of xbt_increment() (the next record is in the same leaf)
 * is inline: a compare and an increment.  xbt_increment_leaf_end() is
 * the rest (up, across and down the tree), out of line; call
 * xbt_increment(), not it.
 */
int xbt_increment_leaf_end(struct xbt_cur *cur, int *stat);
int xbt_decrement(struct xbt_cur *cur, int *stat);

static inline int
xbt_increment(struct xbt_cur *cur, int *stat)
{
	if (cur->lv[0].slot + 1 < cur->leaf_nrecs) {
		cur->lv[0].slot++;
		*stat = 1;
		return 0;
	}
	return xbt_increment_leaf_end(cur, stat);
}

/*
 * Step forward @n records, as @n xbt_increment() calls would, but a leaf
 * at a time.  *stat = 1 if the cursor then sits on a record, 0 if it went
 * past the last one (@n == 0: whether it sits on one now).
 */
int xbt_cur_skip(struct xbt_cur *cur, unsigned int n, int *stat);

/* The record under the cursor (a pointer into the block). */
static inline const void *
xbt_cur_rec(const struct xbt_cur *cur)
{
	return (const uint8_t *)cur->lv[0].block + XBT_BLOCK_HDR_LEN +
	       cur->lv[0].slot * cur->rec_len;
}

/*
 * The run of records from the cursor's to the end of its leaf: returns
 * the first (as xbt_cur_rec()) and sets *@n to how many there are, rec_len
 * bytes each, back to back; or returns NULL and sets *@n = 0 if the cursor
 * is not on a record.  Read-only, valid as long as the cursor is; to
 * change them, xbt_cur_modify().
 */
const void *xbt_cur_leaf_recs(const struct xbt_cur *cur, unsigned int *n);

/*
 * Start loading the leaf @key leads to, so that a change to it a little
 * later finds it in cache.  A hint only: it verifies and returns nothing,
 * and follows only blocks already verified.  For batches of changes
 * whose keys are known in advance.
 */
void xbtree_prefetch(struct xbtree *bt, const void *key);

/*
 * One-shot lookup: copy the record found into @rec.  This and
 * xbtree_query_range() count as lookups in the statistics; cursor moves do
 * not.
 */
int xbtree_get(struct xbtree *bt, enum xbt_lookup dir, const void *key,
		void *rec, int *stat);

/*
 * Call @fn on every record whose keys [low key, high key] overlap
 * [@low, @high], in key order.  @fn returns 0 to go on, XBT_QUERY_STOP to
 * stop (then xbtree_query_range() returns 0), or a negative errno, which is
 * returned.  @low > @high is -EINVAL.  On an overlapping btree the walk
 * only enters subtrees whose key range can overlap.
 */
#define XBT_QUERY_STOP	1
typedef int (*xbt_query_fn)(const void *rec, void *priv);
int xbtree_query_range(struct xbtree *bt, const void *low, const void *high,
		xbt_query_fn fn, void *priv);

/*
 * Full structure check (see check.c for the list of rules).  @report is
 * called once per problem with the block number and a message; it may be
 * NULL.  Returns 0 and sets *@problems (0 means the tree is sound), or a
 * negative errno if the check itself could not run (-ENOMEM).
 */
typedef void (*xbt_check_report_fn)(uint64_t bno, const char *msg,
		void *priv);
int xbtree_check(struct xbtree *bt, xbt_check_report_fn report, void *priv,
		uint64_t *problems);

/*
 * The way from the root to the leaf where @key is or would go (path.c):
 * one step per level, root first, the leaf last.  In a node, slot is the
 * pointer the descent follows (the last entry whose low key is <= @key,
 * 0 if none is); in the leaf, the record with @key or the slot it would
 * be inserted at (numrecs when past the last).  Slots count from 0.
 * For an overlapping btree, the path of an EQ lookup of @key.  @steps
 * must hold XBT_MAXLEVELS entries; *@nsteps gets the height.  Counts as
 * a lookup.  The caller holds the btree's read lock.  0, or -EUCLEAN /
 * -EBADMSG for a damaged block on the way.
 */
struct xbt_path_step {
	unsigned int	level;		/* 0: the leaf */
	uint64_t	bno;
	unsigned int	slot;
};
int xbtree_path(struct xbtree *bt, const void *key,
		struct xbt_path_step *steps, unsigned int *nsteps);

/* ---- bulk load (bload.c) -------------------------------------------- */

/*
 * The next record of a bulk load: copy it to @rec and return 1, return 0
 * when there are no more, or a negative errno (which the load returns).
 */
typedef int (*xbt_bload_next_fn)(void *rec, void *priv);

/*
 * Shape of a btree bulk-loaded with @nrecs records at @blocksize (0: the
 * page size): its height and the btree blocks it takes (block 0 not
 * counted).  No slack: each level takes as few blocks as hold its
 * entries (ceil(entries / maxrecs)), and the entries are spread evenly,
 * the first blocks of a level taking one more when they do not divide.
 * -EINVAL for a bad block size, -ENOSPC past XBT_MAXLEVELS.
 */
int xbt_bload_geometry(const struct xbt_ops *ops, unsigned int blocksize,
		uint64_t nrecs, unsigned int *height, uint64_t *blocks);

/*
 * Build a new btree bottom-up from exactly @nrecs records that @next
 * hands out in key order, every block full (xbt_bload_geometry()),
 * with @params as for xbtree_create().  The new btree is private to the
 * caller until it publishes it, so no lock is needed.  Errors: -EEXIST
 * if two records have the same key (or, for XBT_OPS_DISJOINT types,
 * overlap), -EINVAL if a record fails the type's record rules, is out of
 * order, or @next gives fewer or more than @nrecs records; -ENOSPC,
 * -ENOMEM; whatever @next returned.  On error nothing is left behind.
 * @progress, if not NULL, is called now and then with the records placed
 * so far.
 */
int xbtree_bload(const struct xbt_ops *ops, const struct xbtree_params *params,
		uint64_t nrecs, xbt_bload_next_fn next, void *priv,
		void (*progress)(uint64_t done, void *priv),
		struct xbtree **btp);

/* ---- text for people: tree.dot and the page decoder --------------- */

/*
 * Where text goes, piece by piece: @len bytes at @text (not
 * NUL-terminated; usually one line with its newline).  Return 0 to go on
 * or a negative errno to stop; the producer stops at once and returns it.
 */
typedef int (*xbt_text_fn)(const char *text, size_t len, void *priv);

/*
 * Draw the btree in Graphviz dot (dot.c): the header block, then one node
 * per btree block (block number, level, numrecs, key range), parent edges
 * and dashed sibling edges, a rank per level.  Whole levels are drawn top
 * down while they fit in @max_blocks btree blocks (0: no limit; the root
 * is always drawn); what is left out is said in a note node.  Every block
 * is verified before it is used: a damaged one is drawn red with the
 * reason (and reported like any damage a reader finds) and not descended
 * into.
 *
 * The caller holds the btree's read lock.  Returns 0, -ENOMEM, or the
 * first error @out returned.
 */
int xbtree_dump_dot(struct xbtree *bt, unsigned int max_blocks, xbt_text_fn out,
		void *priv);

/*
 * The btree as one self-contained web page (html.c): the tree drawn in
 * SVG level by level, every block clickable and shown decoded as
 * xbt_decode_block() prints it, a search box that walks a key's path as
 * xbtree_path() does, damage and xbtree_check()'s problems in a warning
 * colour.  Past @max_bytes (0: no limit) it keeps whole levels from the
 * root down while they fit, then a sample of the next level (first,
 * last, evenly spaced), and says what it left out; the root is always
 * in.  Every block is verified before use; damage is reported as any
 * reader reports it.  The page's stable markup is described in html.c.
 *
 * The caller holds the btree's read lock.  Returns 0, -ENOMEM, or the
 * first error @out returned.
 */
int xbtree_dump_html(struct xbtree *bt, size_t max_bytes, xbt_text_fn out,
		void *priv);

/*
 * Decode one page (decode.c) the way a developer reads it: the header
 * block's fields, or a btree block's header fields, checksum, and every
 * record or key and pointer, per type (by magic, xbt_ops_by_magic());
 * unknown pages as a hex dump.  @len is the block size.  Every problem
 * found gets a line starting with "warning:".  Any bytes are fine: it
 * never reads outside [@buf, @buf + @len).
 *
 * Returns the number of problems found (0: the page is sound), or the
 * first error @out returned.  No locks; @buf is the caller's.
 */
int xbt_decode_block(const void *buf, size_t len, xbt_text_fn out,
		void *priv);

/* ---- raw blocks (the pages/ view) ---------------------------------- */

/* Allocated-block iteration: the first allocated block >= @bno. */
bool xbtree_next_block(struct xbtree *bt, uint64_t bno, uint64_t *next);
bool xbtree_block_is_allocated(struct xbtree *bt, uint64_t bno);
unsigned int xbtree_blocksize(const struct xbtree *bt);
/* Copy block @bno out (0 or -ENOENT if it is not allocated). */
int xbtree_read_block(struct xbtree *bt, uint64_t bno, void *buf);
/*
 * Overwrite bytes of block @bno with no check at all (pages_writable);
 * the block's checksum is verified again at its next use.
 */
int xbtree_write_block(struct xbtree *bt, uint64_t bno, const void *buf,
		size_t len, size_t off);

#endif /* BTREE_XBTREE_H */
