/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btree_priv.h: what the engine's files share and nobody else sees.
 *
 * struct xbtree ties a record type (ops) to an xfile of blocks (targ), and
 * caches the geometry derived from the block size.  Everything persistent
 * lives in the blocks: the root, the height and the record count are read
 * from the header block (block 0) on every use, so a cancelled
 * transaction that restores block 0 restores them too.
 *
 * Locking: none here (see xbtree.h).  Fields marked "atomic" may be
 * changed by concurrent readers; the rest only by the single writer.
 */
#ifndef BTREE_BTREE_PRIV_H
#define BTREE_BTREE_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "btree/format.h"
#include "btree/xbtree.h"
#include "xfile/xassert.h"
#include "xfile/xbuf.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"


/*
 * What the changes of a transaction did, counted in the transaction and
 * added to the tree's totals when it commits: a cancelled transaction's
 * changes never happened, so they are not counted (it counts as one
 * cancel).  All fields are uint64_t (xbt_trans_commit() adds them up as
 * an array).
 */
struct xbt_change_stats {
	uint64_t	inserts, deletes, updates;
	uint64_t	splits, merges, shifts, new_roots, root_kills;
};

struct xbtree {
	const struct xbt_ops	*ops;		/* immutable */
	struct xfile		*xf;		/* immutable */
	struct xbuf_targ	targ;		/* writer only */
	struct xbt_head_block	*head;		/* block 0, mapped */

	/* geometry, immutable */
	unsigned int		blksize;
	unsigned int		blkshift;
	unsigned int		keyslot;	/* bytes per node key slot */
	unsigned int		maxrecs[2];	/* [0] leaf, [1] node */
	unsigned int		minrecs[2];
	unsigned int		ptr_off;	/* node pointer array offset */
	uint64_t		owner;
	uint8_t			uuid[XBT_UUID_LEN];

	struct xbt_trans	*trans;		/* the open one, writer only */

	/*
	 * The writer's path hint: the root-to-leaf path of the last change
	 * and the key range [hint_low, hint_high) that leads to that leaf.
	 * A change whose key falls in the range starts at the leaf instead
	 * of descending again (sequential inserts, data file runs).  Any
	 * change that can move a key between blocks or alter a parent key
	 * bumps shape_gen, which voids the hint.  Writer only.
	 */
	struct xbt_cur		hint;
	uint64_t		hint_gen;	/* shape_gen the hint is for */
	uint64_t		shape_gen;
	bool			hint_has_low, hint_has_high;
	uint8_t			hint_low[XBT_KEY_MAX];
	uint8_t			hint_high[XBT_KEY_MAX];

	/* statistics, atomic */
	struct xbt_change_stats	nr;		/* committed changes */
	uint64_t		nr_lookups, nr_commits, nr_cancels;

	/*
	 * Content version (xbtree_version()): taken from one process-wide
	 * counter at creation and at every change that can alter a block
	 * (commit, raw write), so no two states of any two btrees of the
	 * process share a number.  Atomic.
	 */
	uint64_t		version;

	/* xbtree_set_trace(): events go here, writer only */
	xbtree_trace_fn		trace_fn;
	void			*trace_priv;

	bool			corrupt;	/* atomic; sticky */
	pthread_mutex_t		err_lock;	/* protects last_error */
	char			last_error[256];
};

/* @tp is the open transaction of its btree (a contract; debug builds). */
#define XBT_ASSERT_TRANS(tp) \
	ASSERT((tp) != NULL && (tp)->bt != NULL && (tp)->bt->trans == (tp))

/* Count @n changes of kind @field in transaction @tp (writer only). */
#define XBT_TRANS_COUNT(tp, field, n)	((tp)->nr.field += (n))

/* Report an event of @bt if someone listens (xbtree_set_trace()). */
#define XBT_TRACE(bt, evtype, lvl, va, vb, vc)				\
	do {								\
		if (__builtin_expect((bt)->trace_fn != NULL, 0))	\
			xbtree_trace_emit((bt), (evtype), (lvl), (va),	\
					  (vb), (vc));			\
	} while (0)

void xbtree_trace_emit(struct xbtree *bt, enum xbt_event_type type,
		unsigned int level, uint64_t a, uint64_t b, uint64_t c);

#define XBT_STAT_INC(bt, field) \
	__atomic_fetch_add(&(bt)->field, 1, __ATOMIC_RELAXED)

/* A new content version for @bt (see struct xbtree.version). */
void xbtree_bump_version(struct xbtree *bt);

/* ---- block layout helpers ----------------------------------------- */

static inline unsigned int
xbtree_maxrecs(const struct xbtree *bt, unsigned int level)
{
	return bt->maxrecs[level > 0];
}

static inline unsigned int
xbtree_minrecs(const struct xbtree *bt, unsigned int level)
{
	return bt->minrecs[level > 0];
}

/* Entry size in the "entry array" of a level: a record or a key slot. */
static inline unsigned int
xbtree_entry_len(const struct xbtree *bt, unsigned int level)
{
	return level ? bt->keyslot : bt->ops->rec_len;
}

static inline uint8_t *
xbtree_rec_addr(const struct xbtree *bt, struct xbt_block *block, int i)
{
	return (uint8_t *)block + XBT_BLOCK_HDR_LEN + i * bt->ops->rec_len;
}

static inline uint8_t *
xbtree_key_addr(const struct xbtree *bt, struct xbt_block *block, int i)
{
	return (uint8_t *)block + XBT_BLOCK_HDR_LEN + i * bt->keyslot;
}

/* The high key half of node key slot @i (overlapping btrees only). */
static inline uint8_t *
xbtree_high_key_addr(const struct xbtree *bt, struct xbt_block *block, int i)
{
	return xbtree_key_addr(bt, block, i) + bt->ops->key_len;
}

static inline uint8_t *
xbtree_ptr_addr(const struct xbtree *bt, struct xbt_block *block, int i)
{
	return (uint8_t *)block + bt->ptr_off + i * XBT_PTR_LEN;
}

static inline uint64_t
xbtree_ptr(const struct xbtree *bt, struct xbt_block *block, int i)
{
	return get_be64(xbtree_ptr_addr(bt, block, i));
}

/* Entry @i of a block at any level: a record or a node key slot. */
static inline uint8_t *
xbtree_entry_addr(const struct xbtree *bt, struct xbt_block *block,
		unsigned int level, int i)
{
	return (uint8_t *)block + XBT_BLOCK_HDR_LEN +
	       i * xbtree_entry_len(bt, level);
}

static inline bool
xbtree_is_overlapping(const struct xbtree *bt)
{
	return bt->ops->flags & XBT_OPS_OVERLAPPING;
}

/* Low key of entry @i of a block at @level, into @key. */
void xbtree_entry_low_key(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, int i, void *key);
/* High key of entry @i (the low key for non-overlapping btrees). */
void xbtree_entry_high_key(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, int i, void *key);
/*
 * The keys a block presents to its parent: the low key of its first
 * entry, and (overlapping) the largest high key of all its entries.
 */
void xbtree_block_keys(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, void *low, void *high);

/* ---- header block --------------------------------------------------- */

static inline unsigned int
xbtree_nlevels(const struct xbtree *bt)
{
	return xbt_head_nlevels(bt->head);
}

static inline uint64_t
xbtree_root(const struct xbtree *bt)
{
	return xbt_head_root(bt->head);
}

/* ---- corruption ----------------------------------------------------- */

/*
 * Report damage found in block @bno: log it with the place in our source
 * that found it, remember it as the btree's last error, mark the btree
 * corrupt.  Evaluates to @error (-EUCLEAN or -EBADMSG).
 */
int xbtree_corrupt(struct xbtree *bt, uint64_t bno, int error, const char *why,
		const char *file, int line);
#define XBT_CORRUPT(bt, bno, why) \
	xbtree_corrupt((bt), (bno), -EUCLEAN, (why), __FILE__, __LINE__)
#define XBT_CORRUPT_ERR(bt, bno, err, why) \
	xbtree_corrupt((bt), (bno), (err), (why), __FILE__, __LINE__)

void xbt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- text for people (types.c) -------------------------------------- */

/* A block pointer as text: "null" for all ones, else the number. */
void xbt_ptr_text(uint64_t ptr, char text[24]);
/*
 * Format one line into @line (@size bytes; cut to fit, newline added)
 * and hand it to @out.  Returns what @out returned (a positive return
 * becomes -EIO), or 0 if the format failed.
 */
int xbt_text_vline(xbt_text_fn out, void *priv, char *line, size_t size,
		const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* ---- block access ---------------------------------------------------- */

/* Full verifier of a btree block (checksum first), for xbuf_get(). */
const char *xbt_verify_block_full(const void *block, uint64_t bno,
		void *priv, bool *bad_crc);
/* Cheap header checks every access runs; NULL or the reason. */
const char *xbtree_verify_block_hdr(struct xbtree *bt,
		const struct xbt_block *block, uint64_t bno, int level);
/* The header fields not checked on every access (blkno, uuid, ...). */
const char *xbtree_verify_block_hdr_rest(struct xbtree *bt,
		const struct xbt_block *block, uint64_t bno);
/* Checks of the header block. */
const char *xbt_verify_head(const void *block, uint64_t bno, void *priv,
		bool *bad_crc);

/*
 * Get btree block @bno, expected at @level (-1: any level).  Runs the full
 * verifier the first time and the header checks every time.  Returns 0
 * and *@blockp, or -EUCLEAN/-EBADMSG (already reported).
 */
int xbtree_get_block(struct xbtree *bt, uint64_t bno, int level,
		struct xbt_block **blockp);
/* The same, and on damage the reason in *@whyp (a static string). */
int xbtree_get_block_why(struct xbtree *bt, uint64_t bno, int level,
		struct xbt_block **blockp, const char **whyp);

/*
 * Walk from the root to the leaf where @key belongs, filling the cursor:
 * node slots are the last entry <= @key, the leaf slot is the first
 * record >= @key (the insertion point, possibly numrecs).
 */
int xbt_lookup_path(struct xbt_cur *cur, const void *key);

/* Something moved keys between blocks or changed a parent key. */
static inline void
xbtree_shape_changed(struct xbtree *bt)
{
	bt->shape_gen++;
}

/* Format a fresh (zeroed) block as an empty block at @level. */
void xbtree_init_block(struct xbtree *bt, struct xbt_block *block, uint64_t bno,
		unsigned int level);

/* ---- transactions (trans.c) ---------------------------------------- */

/* An open transaction: its undo log, dirty list and deferred frees. */
struct xbt_trans {
	struct xbtree		*bt;
	struct xmem_array	log;	/* bytes: undo entries, appended */
	size_t			last;	/* offset of the newest entry + 1 */
	struct xmem_array	dirty;	/* uint64_t: blocks changed */
	struct xmem_array	freed;	/* uint64_t: frees deferred to commit */
	struct xbt_change_stats	nr;	/* added to the tree's at commit */
};


/*
 * Undo logging.  Before a change, the engine says what it is about to do
 * to which bytes; the log keeps what it needs to undo it.  None of these
 * fail: xbt_trans_reserve() made room before the operation started.
 */
int xbt_trans_reserve(struct xbt_trans *tp, unsigned int nlevels);
/* Save the whole block (structural changes: split, shift, join). */
void xbt_log_block(struct xbt_trans *tp, uint64_t bno);
/* Save bytes [@off, @off + @len) of block @bno. */
void xbt_log_range(struct xbt_trans *tp, uint64_t bno, unsigned int off,
		unsigned int len);
/*
 * A @len-byte slot is being opened at @off in an array whose used part
 * will end at @end (after the insert).  Undo closes it again and zeroes
 * the tail, so the bytes past the array must be zeros (they are).
 */
void xbt_log_slot_insert(struct xbt_trans *tp, uint64_t bno,
		unsigned int off, unsigned int len, unsigned int end);
/* The @len-byte slot at @off of an array ending at @end is removed. */
void xbt_log_slot_delete(struct xbt_trans *tp, uint64_t bno,
		unsigned int off, unsigned int len, unsigned int end);
/* Allocate a block in the transaction; it reads zeros.  Can fail. */
int xbt_trans_alloc_block(struct xbt_trans *tp, uint64_t *bnop);
/* Free a block at commit (it stays allocated until then). */
void xbt_trans_free_block(struct xbt_trans *tp, uint64_t bno);
/* Header block fields: log and set. */
void xbt_trans_set_root(struct xbt_trans *tp, uint64_t root,
		unsigned int nlevels);
void xbt_trans_mod_nrecords(struct xbt_trans *tp, int64_t delta);

#endif /* BTREE_BTREE_PRIV_H */
