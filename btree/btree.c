// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btree.c: the generic btree engine: creation, block access and
 * verification, cursors, lookups, iteration and range queries.
 * Changes (insert, delete, split, shift, join) are in btree_update.c.
 *
 * The tree:
 *
 *	                 [ node: k0 k1 k2 | p0 p1 p2 ]          level 2 (root)
 *	                  /          |           \
 *	        [ node ... ]   [ node ... ]   [ node ... ]      level 1
 *	         /    \          ...
 *	   [ leaf ] <-> [ leaf ] <-> ... <-> [ leaf ]           level 0
 *
 * Key i of a node is the lowest key found under pointer i; for an
 * overlapping btree the slot also holds the highest high key found there.
 * All leaves are at level 0 and linked left to right.  The root's block
 * number and the height live in the header block (block 0); an empty tree
 * is an empty leaf as the root.
 *
 * Cursor: lv[l] holds the block at level l on the path from the root and
 * the 0-based slot in it.  Lookups fill it top-down; increment and
 * decrement move along it through the parents, never through sibling
 * pointers, so damaged sibling pointers cannot send a reader astray.
 *
 * Verification: a block is fully verified (checksum first, then header,
 * record contents, key order and the zeroed tail) the first time it is
 * used, and after anyone overwrote it raw; after that only the cheap
 * header checks run on each access.  A pointer can only lead one level
 * down, so a damaged pointer cannot make a walk loop.
 *
 * Locking: none (see xbtree.h); readers only touch atomics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "btree/btree_priv.h"
#include "btree/crc32c.h"

/* ---- logging and corruption ---------------------------------------- */

static void
xbt_log_stderr(const char *msg)
{
	fprintf(stderr, "xfbtree: %s\n", msg);
}

static xbt_log_fn xbt_log_hook = xbt_log_stderr;

void
xbt_set_log_fn(xbt_log_fn fn)
{
	xbt_log_hook = fn ? fn : xbt_log_stderr;
}

void
xbt_log(const char *fmt, ...)
{
	char		msg[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xbt_log_hook(msg);
}

int
xbtree_corrupt(struct xbtree *bt, uint64_t bno, int error, const char *why,
		const char *file, int line)
{
	const char	*base = strrchr(file, '/');

	base = base ? base + 1 : file;
	pthread_mutex_lock(&bt->err_lock);
	snprintf(bt->last_error, sizeof(bt->last_error), "block %llu: %s",
		 (unsigned long long)bno, why);
	pthread_mutex_unlock(&bt->err_lock);
	__atomic_store_n(&bt->corrupt, true, __ATOMIC_RELAXED);
	xbt_log("%s btree owner %llu: block %llu: %s (%s) [%s:%d]",
		bt->ops->name, (unsigned long long)bt->owner,
		(unsigned long long)bno, why,
		error == -EBADMSG ? "bad checksum" : "structure needs cleaning",
		base, line);
	return error;
}

void
xbtree_last_error(struct xbtree *bt, char *buf, size_t len)
{
	pthread_mutex_lock(&bt->err_lock);
	snprintf(buf, len, "%s", bt->last_error);
	pthread_mutex_unlock(&bt->err_lock);
}

/* The process-wide source of content versions (never 0). */
static uint64_t xbt_version_counter;

void
xbtree_bump_version(struct xbtree *bt)
{
	__atomic_store_n(&bt->version,
			 __atomic_add_fetch(&xbt_version_counter, 1,
					    __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
}

uint64_t
xbtree_version(const struct xbtree *bt)
{
	return __atomic_load_n(&bt->version, __ATOMIC_ACQUIRE);
}

bool
xbtree_is_corrupt(const struct xbtree *bt)
{
	return __atomic_load_n(&bt->corrupt, __ATOMIC_RELAXED);
}

/* ---- keys ------------------------------------------------------------ */

void
xbtree_entry_low_key(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, int i, void *key)
{
	if (level)
		memcpy(key, xbtree_key_addr(bt, block, i), bt->ops->key_len);
	else
		bt->ops->init_key_from_rec(key, xbtree_rec_addr(bt, block, i));
}

void
xbtree_entry_high_key(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, int i, void *key)
{
	if (!xbtree_is_overlapping(bt))
		xbtree_entry_low_key(bt, block, level, i, key);
	else if (level)
		memcpy(key, xbtree_high_key_addr(bt, block, i),
		       bt->ops->key_len);
	else
		bt->ops->init_high_key_from_rec(key,
				xbtree_rec_addr(bt, block, i));
}

void
xbtree_block_keys(struct xbtree *bt, struct xbt_block *block,
		unsigned int level, void *low, void *high)
{
	unsigned int	n = xbt_numrecs(block);
	uint8_t		k[XBT_KEY_MAX];
	unsigned int	i;

	xbtree_entry_low_key(bt, block, level, 0, low);
	if (!xbtree_is_overlapping(bt))
		return;
	xbtree_entry_high_key(bt, block, level, 0, high);
	for (i = 1; i < n; i++) {
		xbtree_entry_high_key(bt, block, level, i, k);
		if (bt->ops->cmp_keys(k, high) > 0)
			memcpy(high, k, bt->ops->key_len);
	}
}

/* ---- verifiers ------------------------------------------------------- */

const char *
xbtree_verify_block_hdr(struct xbtree *bt, const struct xbt_block *block,
		uint64_t bno, int level)
{
	unsigned int	lvl = xbt_level(block);

	if (xbt_magic(block) != bt->ops->magic)
		return "bad magic";
	if (lvl >= XBT_MAXLEVELS)
		return "level out of range";
	if (level >= 0 && lvl != (unsigned int)level)
		return "unexpected level";
	if (xbt_numrecs(block) > xbtree_maxrecs(bt, lvl))
		return "numrecs above maxrecs";
	if (xbt_owner(block) != bt->owner)
		return "bb_owner does not match the btree";
	(void)bno;
	return NULL;
}

/*
 * The rest of the header: checked when a block is instantiated (full
 * verifier) and by the check, not on every access.
 */
const char *
xbtree_verify_block_hdr_rest(struct xbtree *bt, const struct xbt_block *block,
		uint64_t bno)
{
	if (xbt_daddr(block) != xbt_bno_to_daddr(bno, bt->blkshift))
		return "bb_blkno does not match the block number";
	if (memcmp(block->bb_uuid, bt->uuid, XBT_UUID_LEN))
		return "bb_uuid does not match the btree";
	if (be32_load(block->bb_pad) != 0)
		return "bb_pad is not zero";
	if (be64_load(block->bb_lsn) != 0)
		return "bb_lsn is not zero";
	if (xbt_leftsib(block) == bno || xbt_rightsib(block) == bno)
		return "block is its own sibling";
	return NULL;
}

/* Is every byte of [p, p + len) zero? */
static bool
xbt_is_zero(const uint8_t *p, size_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		if (*p++)
			return false;
		len--;
	}
	for (; len >= 8; p += 8, len -= 8)
		if (*(const uint64_t *)p)
			return false;
	while (len--)
		if (*p++)
			return false;
	return true;
}

/*
 * Everything one block can say about itself: header, records, the order
 * of its keys, and zeros in every unused byte.
 */
static const char *
xbtree_verify_block_content(struct xbtree *bt, struct xbt_block *block,
		uint64_t bno)
{
	const struct xbt_ops	*ops = bt->ops;
	unsigned int		level = xbt_level(block);
	unsigned int		n = xbt_numrecs(block);
	unsigned int		max = xbtree_maxrecs(bt, level);
	unsigned int		elen = xbtree_entry_len(bt, level);
	uint8_t			prev[XBT_KEY_MAX], cur[XBT_KEY_MAX];
	uint8_t			hi[XBT_KEY_MAX];
	const uint8_t		*end;
	const char		*why;
	unsigned int		i;

	why = xbtree_verify_block_hdr(bt, block, bno, -1);
	if (!why)
		why = xbtree_verify_block_hdr_rest(bt, block, bno);
	if (why)
		return why;
	for (i = 0; i < n; i++) {
		if (!level && ops->verify_rec) {
			why = ops->verify_rec(xbtree_rec_addr(bt, block, i));
			if (why)
				return why;
		}
		xbtree_entry_low_key(bt, block, level, i, cur);
		if (i && ops->cmp_keys(prev, cur) >= 0)
			return "keys out of order";
		if (xbtree_is_overlapping(bt)) {
			xbtree_entry_high_key(bt, block, level, i, hi);
			if (ops->cmp_keys(cur, hi) > 0)
				return "low key above high key";
		}
		if (level && (xbtree_ptr(bt, block, i) == bno ||
			      xbtree_ptr(bt, block, i) == XBT_HEAD_BLOCK))
			return "bad child pointer";
		memcpy(prev, cur, ops->key_len);
	}
	/* Unused entries, the gap before the pointers, unused pointers. */
	end = (uint8_t *)block + bt->blksize;
	if (level) {
		if (!xbt_is_zero(xbtree_key_addr(bt, block, n),
				 bt->ptr_off - XBT_BLOCK_HDR_LEN - n * elen) ||
		    !xbt_is_zero(xbtree_ptr_addr(bt, block, n),
				 end - xbtree_ptr_addr(bt, block, n)))
			return "unused space is not zeroed";
	} else {
		if (!xbt_is_zero(xbtree_rec_addr(bt, block, n),
				 end - xbtree_rec_addr(bt, block, n)))
			return "unused space is not zeroed";
	}
	(void)max;
	return NULL;
}

const char *
xbt_verify_block_full(const void *addr, uint64_t bno, void *priv,
		bool *bad_crc)
{
	struct xbtree		*bt = priv;
	struct xbt_block	*block = (struct xbt_block *)addr;
	uint32_t		crc;

	crc = xbt_crc32c_block(block, bt->blksize, XBT_BLOCK_CRC_OFF);
	if (crc != le32_load(block->bb_crc)) {
		*bad_crc = true;
		return "bad checksum";
	}
	return xbtree_verify_block_content(bt, block, bno);
}

const char *
xbt_verify_head(const void *addr, uint64_t bno, void *priv, bool *bad_crc)
{
	struct xbtree			*bt = priv;
	const struct xbt_head_block	*h = addr;
	unsigned int			nlevels = xbt_head_nlevels(h);
	uint32_t			crc;

	crc = xbt_crc32c_block(h, bt->blksize, XBT_HEAD_CRC_OFF);
	if (crc != le32_load(h->hb_crc)) {
		*bad_crc = true;
		return "bad checksum";
	}
	if (be32_load(h->hb_magic) != XBT_HEAD_MAGIC)
		return "bad header magic";
	if (nlevels == 0 || nlevels > XBT_MAXLEVELS)
		return "height out of range";
	if (be64_load(h->hb_owner) != bt->owner)
		return "header owner does not match";
	if (memcmp(h->hb_uuid, bt->uuid, XBT_UUID_LEN))
		return "header uuid does not match";
	if (be32_load(h->hb_type) != bt->ops->magic)
		return "header type does not match";
	if (be32_load(h->hb_blocksize) != bt->blksize)
		return "header block size does not match";
	if (be32_load(h->hb_version) != XBT_HEAD_VERSION)
		return "unknown header version";
	if (xbt_head_root(h) == XBT_HEAD_BLOCK)
		return "root is the header block";
	(void)bno;
	return NULL;
}

/*
 * Make sure the header block is sound before using root and height: it is
 * verified in full when untrusted (after a raw write), else just the
 * fields that steer a walk.
 */
static int
xbtree_check_head(struct xbtree *bt)
{
	const char	*why;
	void		*addr;
	int		error;
	unsigned int	nlevels;

	error = xbuf_get(&bt->targ, XBT_HEAD_BLOCK, xbt_verify_head, bt,
			 &addr, &why);
	if (error)
		return XBT_CORRUPT_ERR(bt, XBT_HEAD_BLOCK, error, why);
	nlevels = xbtree_nlevels(bt);
	if (nlevels == 0 || nlevels > XBT_MAXLEVELS)
		return XBT_CORRUPT(bt, XBT_HEAD_BLOCK, "height out of range");
	return 0;
}

/*
 * Inline in its two callers below, so that xbtree_get_block() (every
 * level of every walk) carries no reason pointer.
 */
static inline __attribute__((always_inline)) int
__xbtree_get_block(struct xbtree *bt, uint64_t bno, int level,
		struct xbt_block **blockp, const char **whyp)
{
	const char	*why;
	void		*addr;
	int		error;

	if (bno == XBT_HEAD_BLOCK) {
		why = "pointer to the header block";
		error = -EUCLEAN;
		goto out_corrupt;
	}
	error = xbuf_get(&bt->targ, bno, xbt_verify_block_full, bt, &addr,
			 &why);
	if (error)
		goto out_corrupt;
	why = xbtree_verify_block_hdr(bt, addr, bno, level);
	if (why) {
		error = -EUCLEAN;
		goto out_corrupt;
	}
	*blockp = addr;
	return 0;

out_corrupt:
	if (whyp)
		*whyp = why;
	return XBT_CORRUPT_ERR(bt, bno, error, why);
}

int
xbtree_get_block_why(struct xbtree *bt, uint64_t bno, int level,
		struct xbt_block **blockp, const char **whyp)
{
	return __xbtree_get_block(bt, bno, level, blockp, whyp);
}

int
xbtree_get_block(struct xbtree *bt, uint64_t bno, int level,
		struct xbt_block **blockp)
{
	return __xbtree_get_block(bt, bno, level, blockp, NULL);
}

void
xbtree_init_block(struct xbtree *bt, struct xbt_block *block, uint64_t bno,
		unsigned int level)
{
	block->bb_magic = be32_store(bt->ops->magic);
	block->bb_level = be16_store(level);
	block->bb_numrecs = be16_store(0);
	block->bb_leftsib = be64_store(XBT_NULLBLOCK);
	block->bb_rightsib = be64_store(XBT_NULLBLOCK);
	block->bb_blkno = be64_store(xbt_bno_to_daddr(bno, bt->blkshift));
	block->bb_lsn = be64_store(0);
	memcpy(block->bb_uuid, bt->uuid, XBT_UUID_LEN);
	block->bb_owner = be64_store(bt->owner);
	block->bb_crc = le32_store(0);
	block->bb_pad = be32_store(0);
}

/* ---- creation -------------------------------------------------------- */

static void
xbtree_set_geometry(struct xbtree *bt, const struct xbt_ops *ops,
		unsigned int blksize)
{
	unsigned int	avail = blksize - XBT_BLOCK_HDR_LEN;

	bt->ops = ops;
	bt->blksize = blksize;
	bt->blkshift = __builtin_ctz(blksize);
	bt->keyslot = ops->key_len *
		      ((ops->flags & XBT_OPS_OVERLAPPING) ? 2 : 1);
	bt->maxrecs[0] = avail / ops->rec_len;
	bt->maxrecs[1] = avail / (bt->keyslot + XBT_PTR_LEN);
	bt->minrecs[0] = bt->maxrecs[0] / 2;
	bt->minrecs[1] = bt->maxrecs[1] / 2;
	bt->ptr_off = XBT_BLOCK_HDR_LEN + bt->maxrecs[1] * bt->keyslot;
}

/* Lay out block 0 and the empty root leaf (blocks 0 and 1, allocated). */
static void
xbtree_format(struct xbtree *bt)
{
	struct xbt_head_block	*h = bt->head;
	struct xbt_block	*leaf = xbuf_addr(&bt->targ, XBT_FIRST_LEAF);
	uint32_t		crc;

	h->hb_magic = be32_store(XBT_HEAD_MAGIC);
	h->hb_nlevels = be32_store(1);
	h->hb_owner = be64_store(bt->owner);
	h->hb_root = be64_store(XBT_FIRST_LEAF);
	memcpy(h->hb_uuid, bt->uuid, XBT_UUID_LEN);
	h->hb_type = be32_store(bt->ops->magic);
	h->hb_blocksize = be32_store(bt->blksize);
	h->hb_nrecords = be64_store(0);
	h->hb_data_size = be64_store(0);
	h->hb_nblocks = be64_store(2);
	h->hb_version = be32_store(XBT_HEAD_VERSION);
	h->hb_flags = be32_store(0);
	crc = xbt_crc32c_block(h, bt->blksize, XBT_HEAD_CRC_OFF);
	h->hb_crc = le32_store(crc);

	xbtree_init_block(bt, leaf, XBT_FIRST_LEAF, 0);
	crc = xbt_crc32c_block(leaf, bt->blksize, XBT_BLOCK_CRC_OFF);
	leaf->bb_crc = le32_store(crc);

	xbuf_state_set(&bt->targ, XBT_HEAD_BLOCK, XBUF_TRUSTED);
	xbuf_state_set(&bt->targ, XBT_FIRST_LEAF, XBUF_TRUSTED);
}

int
xbtree_create(const struct xbt_ops *ops, const struct xbtree_params *params,
		struct xbtree **btp)
{
	unsigned int	blksize = params->blocksize;
	struct xbtree	*bt;
	uint64_t	bno;
	char		descr[64];
	int		error;

	if (!blksize)
		blksize = sysconf(_SC_PAGESIZE);
	if (blksize < XBT_MIN_BLOCKSIZE || blksize > XBT_MAX_BLOCKSIZE ||
	    (blksize & (blksize - 1)))
		return -EINVAL;
	if (!ops->rec_len || ops->rec_len > XBT_REC_MAX ||
	    !ops->key_len || ops->key_len > XBT_KEY_MAX)
		return -EINVAL;

	bt = xmem_zalloc(sizeof(*bt));
	if (!bt)
		return -ENOMEM;
	xbtree_set_geometry(bt, ops, blksize);
	/* Too few entries per block to keep a btree balanced. */
	if (bt->maxrecs[0] < 2 || bt->maxrecs[1] < 4) {
		error = -EINVAL;
		goto out_free;
	}
	bt->owner = params->owner;
	if (params->uuid)
		memcpy(bt->uuid, params->uuid, XBT_UUID_LEN);
	else if (getrandom(bt->uuid, XBT_UUID_LEN, 0) != XBT_UUID_LEN)
		memset(bt->uuid, 0x5a, XBT_UUID_LEN);
	pthread_mutex_init(&bt->err_lock, NULL);

	snprintf(descr, sizeof(descr), "xfbtree-%s-%llu", ops->name,
		 (unsigned long long)bt->owner);
	error = xfile_create(descr, params->tmpdir, &bt->xf);
	if (error)
		goto out_mutex;
	error = xbuf_targ_init(&bt->targ, bt->xf, blksize);
	if (error)
		goto out_xfile;
	error = xbuf_alloc(&bt->targ, &bno);		/* block 0 */
	if (error)
		goto out_targ;
	error = xbuf_alloc(&bt->targ, &bno);		/* block 1 */
	if (error)
		goto out_targ;
	bt->head = xbuf_addr(&bt->targ, XBT_HEAD_BLOCK);
	xbtree_format(bt);
	xbtree_bump_version(bt);
	*btp = bt;
	return 0;

out_targ:
	xbuf_targ_release(&bt->targ);
out_xfile:
	xfile_destroy(bt->xf);
out_mutex:
	pthread_mutex_destroy(&bt->err_lock);
out_free:
	xmem_free(bt);
	return error;
}

void
xbtree_destroy(struct xbtree *bt)
{
	if (!bt)
		return;
	ASSERT(bt->trans == NULL);
	xbuf_targ_release(&bt->targ);
	xfile_destroy(bt->xf);
	pthread_mutex_destroy(&bt->err_lock);
	xmem_free(bt);
}

const struct xbt_ops *
xbtree_ops(const struct xbtree *bt)
{
	return bt->ops;
}

const uint8_t *
xbtree_uuid(const struct xbtree *bt)
{
	return bt->uuid;
}

uint64_t
xbtree_nrecords(const struct xbtree *bt)
{
	return xbt_head_nrecords(bt->head);
}

uint64_t
xbtree_data_size(const struct xbtree *bt)
{
	return xbt_head_data_size(bt->head);
}

unsigned int
xbtree_blocksize(const struct xbtree *bt)
{
	return bt->blksize;
}

void
xbtree_trace_emit(struct xbtree *bt, enum xbt_event_type type,
		unsigned int level, uint64_t a, uint64_t b, uint64_t c)
{
	struct xbt_event	ev = {
		.type = type, .level = level, .a = a, .b = b, .c = c,
	};

	bt->trace_fn(&ev, bt->trace_priv);
}

/* The xfile's hook: its grows and punches as the btree's events. */
static void
xbtree_trace_xfile(void *priv, bool grow, uint64_t off, uint64_t bytes)
{
	struct xbtree	*bt = priv;

	XBT_TRACE(bt, grow ? XBT_EV_XFILE_GROW : XBT_EV_XFILE_PUNCH, 0, off,
		  bytes, 0);
}

void
xbtree_set_trace(struct xbtree *bt, xbtree_trace_fn fn, void *priv)
{
	ASSERT(bt->trans == NULL);
	bt->trace_fn = fn;
	bt->trace_priv = priv;
	xfile_set_trace(bt->xf, fn ? xbtree_trace_xfile : NULL, bt);
}

#define XBT_STAT(bt, f)	__atomic_load_n(&(bt)->f, __ATOMIC_RELAXED)

void
xbtree_get_stats(struct xbtree *bt, struct xbtree_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->type = bt->ops->name;
	st->records = xbt_head_nrecords(bt->head);
	st->height = xbt_head_nlevels(bt->head);
	st->blocks = bt->targ.nallocated;
	st->blocksize = bt->blksize;
	st->bytes = xfile_bytes(bt->xf);
	st->data_size = xbt_head_data_size(bt->head);
	memcpy(st->maxrecs, bt->maxrecs, sizeof(st->maxrecs));
	memcpy(st->minrecs, bt->minrecs, sizeof(st->minrecs));
	st->corrupt = xbtree_is_corrupt(bt);
	st->inserts = XBT_STAT(bt, nr.inserts);
	st->deletes = XBT_STAT(bt, nr.deletes);
	st->updates = XBT_STAT(bt, nr.updates);
	st->lookups = XBT_STAT(bt, nr_lookups);
	st->splits = XBT_STAT(bt, nr.splits);
	st->merges = XBT_STAT(bt, nr.merges);
	st->shifts = XBT_STAT(bt, nr.shifts);
	st->new_roots = XBT_STAT(bt, nr.new_roots);
	st->root_kills = XBT_STAT(bt, nr.root_kills);
	st->commits = XBT_STAT(bt, nr_commits);
	st->cancels = XBT_STAT(bt, nr_cancels);
}

/* ---- lookup ---------------------------------------------------------- */

void
xbt_cur_init(struct xbt_cur *cur, struct xbtree *bt)
{
	cur->bt = bt;
	cur->tp = bt->trans;
	cur->nlevels = 0;
	cur->rec_len = bt->ops->rec_len;
	cur->leaf_nrecs = 0;
}

/*
 * Compare two keys of an XBT_OPS_KEY_PREFIX type: memcmp order, with the
 * common 8- and 4-byte keys as single big-endian loads.
 */
static inline __attribute__((always_inline)) int
xbt_cmp_prefix(unsigned int key_len, const uint8_t *a, const uint8_t *b)
{
	uint64_t	x, y;

	switch (key_len) {
	case 8:
		x = get_be64(a);
		y = get_be64(b);
		break;
	case 4:
		x = get_be32(a);
		y = get_be32(b);
		break;
	default:
		return memcmp(a, b, key_len);
	}
	return (x > y) - (x < y);
}

/*
 * Search entries whose keys sit at offset 0 every @stride bytes: the number
 * of entries whose key is < @key (@strict) or <= @key.  Branch-free, and
 * each step prefetches both places the next step may probe: a leaf is
 * usually cold, and its eight probes would otherwise be eight cache misses
 * in a row.
 */
static inline __attribute__((always_inline)) int
xbt_bsearch_prefix(const uint8_t *first, unsigned int stride, int n,
		unsigned int key_len, const uint8_t *key, bool strict)
{
	const uint8_t	*base = first;
	int		half, c;

	if (n == 0)
		return 0;
	while (n > 1) {
		half = n / 2;
		__builtin_prefetch(base + ((n - half) / 2) * stride);
		__builtin_prefetch(base + (half + (n - half) / 2) * stride);
		c = xbt_cmp_prefix(key_len, base + half * stride, key);
		base = (c < 0 || (c == 0 && !strict)) ? base + half * stride :
							 base;
		n -= half;
	}
	c = xbt_cmp_prefix(key_len, base, key);
	return (base - first) / stride + (c < 0 || (c == 0 && !strict));
}

/*
 * Binary search: the number of entries of @block (at @level) whose low key
 * is <= @key (@strict: < @key).  Keys within a block are strictly
 * increasing (verified), so this is a partition point.
 */
static int
xbtree_bsearch(struct xbtree *bt, struct xbt_block *block, unsigned int level,
		const void *key, bool strict)
{
	const struct xbt_ops	*ops = bt->ops;
	int			lo = 0, hi = xbt_numrecs(block);
	uint8_t			k[XBT_KEY_MAX];
	int			mid, c;

	if (ops->flags & XBT_OPS_KEY_PREFIX) {
		unsigned int	stride = xbtree_entry_len(bt, level);
		const uint8_t	*first;

		first = xbtree_entry_addr(bt, block, level, 0);

		/* Constant key lengths and strictness: specialised loops. */
		switch (ops->key_len * 2 + strict) {
		case 16:
			return xbt_bsearch_prefix(first, stride, hi, 8, key,
						  false);
		case 17:
			return xbt_bsearch_prefix(first, stride, hi, 8, key,
						  true);
		case 8:
			return xbt_bsearch_prefix(first, stride, hi, 4, key,
						  false);
		case 9:
			return xbt_bsearch_prefix(first, stride, hi, 4, key,
						  true);
		default:
			return xbt_bsearch_prefix(first, stride, hi,
						  ops->key_len, key, strict);
		}
	}
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (level) {
			c = ops->cmp_keys(xbtree_key_addr(bt, block, mid), key);
		} else {
			ops->init_key_from_rec(k,
					xbtree_rec_addr(bt, block, mid));
			c = ops->cmp_keys(k, key);
		}
		if (c < 0 || (c == 0 && !strict))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The insertion point of @key in a leaf: the first record >= @key.  A key
 * above the last record is checked first, since appends (sequential keys)
 * are common and it saves the search.
 */
static int
xbtree_leaf_search(struct xbtree *bt, struct xbt_block *block, const void *key)
{
	int		n = xbt_numrecs(block);
	uint8_t		k[XBT_KEY_MAX];

	if (n > 0) {
		bt->ops->init_key_from_rec(k,
				xbtree_rec_addr(bt, block, n - 1));
		if (bt->ops->cmp_keys(k, key) < 0)
			return n;
	}
	return xbtree_bsearch(bt, block, 0, key, true);
}

/* Point lv[level..0] at the leftmost (@right: rightmost) path below. */
static int
xbt_descend_edge(struct xbt_cur *cur, int level, bool right)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_cur_level	*lv;
	uint64_t		bno;
	int			error, n;

	for (; level > 0; level--) {
		lv = &cur->lv[level];
		bno = xbtree_ptr(bt, lv->block, lv->slot);
		error = xbtree_get_block(bt, bno, level - 1,
				      &cur->lv[level - 1].block);
		if (error)
			return error;
		n = xbt_numrecs(cur->lv[level - 1].block);
		if (n == 0)
			return XBT_CORRUPT(bt, bno, "empty non-root block");
		cur->lv[level - 1].bno = bno;
		cur->lv[level - 1].slot = right ? n - 1 : 0;
	}
	cur->leaf_nrecs = xbt_numrecs(cur->lv[0].block);
	return 0;
}

/*
 * Walk from the root to the leaf where @key belongs.  At each node take
 * the last entry whose key is <= @key (the first if none is); at the leaf
 * stop at the first record whose key is >= @key (numrecs if none is): the
 * insertion point.
 */
/*
 * Can the writer's hint serve a walk to @key?  Only for the writer (an
 * open transaction), only while nothing changed shape since it was taken,
 * and only for a key the same descent would bring to the same leaf.
 */
static bool
xbtree_hint_covers(struct xbtree *bt, const void *key)
{
	const struct xbt_ops	*ops = bt->ops;

	if (!bt->trans || bt->hint_gen != bt->shape_gen || !bt->hint.nlevels)
		return false;
	if (bt->hint_has_low && ops->cmp_keys(key, bt->hint_low) < 0)
		return false;
	if (bt->hint_has_high && ops->cmp_keys(key, bt->hint_high) >= 0)
		return false;
	return true;
}

/*
 * Remember the path just walked as the writer's hint.  The leaf is where
 * the descent goes for every key from the key of the nearest entry taken
 * at a slot > 0 (else no lower bound) up to, not including, the key of
 * the nearest entry after one taken (else no upper bound).
 */
static void
xbtree_hint_save(struct xbtree *bt, const struct xbt_cur *cur)
{
	unsigned int	level, klen = bt->ops->key_len;

	bt->hint_has_low = bt->hint_has_high = false;
	for (level = 1; level < cur->nlevels; level++) {
		const struct xbt_cur_level	*lv = &cur->lv[level];

		if (!bt->hint_has_low && lv->slot > 0) {
			memcpy(bt->hint_low,
			       xbtree_key_addr(bt, lv->block, lv->slot), klen);
			bt->hint_has_low = true;
		}
		if (!bt->hint_has_high &&
		    lv->slot + 1 < (int)xbt_numrecs(lv->block)) {
			memcpy(bt->hint_high,
			       xbtree_key_addr(bt, lv->block, lv->slot + 1),
			       klen);
			bt->hint_has_high = true;
		}
	}
	bt->hint.nlevels = cur->nlevels;
	memcpy(bt->hint.lv, cur->lv, cur->nlevels * sizeof(cur->lv[0]));
	bt->hint_gen = bt->shape_gen;
}

/*
 * Walk from the root to the leaf where @key belongs.  At each node take
 * the last entry whose key is <= @key (the first if none is); at the leaf
 * stop at the first record whose key is >= @key (numrecs if none is): the
 * insertion point.  The writer starts from its hint when it can.
 */
int
xbt_lookup_path(struct xbt_cur *cur, const void *key)
{
	struct xbtree		*bt = cur->bt;
	struct xbt_block	*block;
	uint64_t		bno;
	int			level, error, i;

	cur->tp = bt->trans;
	if (xbtree_hint_covers(bt, key)) {
		cur->nlevels = bt->hint.nlevels;
		memcpy(cur->lv, bt->hint.lv,
		       cur->nlevels * sizeof(cur->lv[0]));
		cur->lv[0].slot = xbtree_leaf_search(bt, cur->lv[0].block, key);
		cur->leaf_nrecs = xbt_numrecs(cur->lv[0].block);
		return 0;
	}
	error = xbtree_check_head(bt);
	if (error)
		return error;
	cur->nlevels = xbtree_nlevels(bt);
	bno = xbtree_root(bt);
	for (level = cur->nlevels - 1; level >= 0; level--) {
		error = xbtree_get_block(bt, bno, level, &block);
		if (error)
			return error;
		cur->lv[level].bno = bno;
		cur->lv[level].block = block;
		if (level == 0) {
			if (xbt_numrecs(block) == 0 && cur->nlevels > 1)
				return XBT_CORRUPT(bt, bno,
						   "empty non-root leaf");
			cur->lv[0].slot = xbtree_leaf_search(bt, block, key);
			break;
		}
		if (xbt_numrecs(block) == 0)
			return XBT_CORRUPT(bt, bno, "empty node");
		i = xbtree_bsearch(bt, block, level, key, false) - 1;
		if (i < 0)
			i = 0;
		cur->lv[level].slot = i;
		bno = xbtree_ptr(bt, block, i);
	}
	cur->leaf_nrecs = xbt_numrecs(cur->lv[0].block);
	if (bt->trans)
		xbtree_hint_save(bt, cur);
	return 0;
}

void
xbtree_prefetch(struct xbtree *bt, const void *key)
{
	struct xbuf_targ	*targ = &bt->targ;
	struct xbt_block	*block;
	unsigned int		n, step;
	uint64_t		bno;
	int			level, i;

	/* The writer's current leaf is in cache already. */
	if (xbtree_hint_covers(bt, key))
		return;
	level = xbtree_nlevels(bt) - 1;
	bno = xbtree_root(bt);
	for (;;) {
		/* Only blocks already verified: this walk checks nothing. */
		if (!xbuf_is_allocated(targ, bno) || bno == XBT_HEAD_BLOCK ||
		    !(xbuf_state(targ, bno) & XBUF_TRUSTED))
			return;
		block = xbuf_addr(targ, bno);
		if (xbt_level(block) != (unsigned int)level)
			return;
		if (level == 0)
			break;
		if (xbt_numrecs(block) == 0 ||
		    xbt_numrecs(block) > xbtree_maxrecs(bt, level))
			return;
		i = xbtree_bsearch(bt, block, level, key, false) - 1;
		bno = xbtree_ptr(bt, block, i < 0 ? 0 : i);
		level--;
	}
	/*
	 * The whole used part: a binary search touches lines all over the
	 * leaf, and an insert moves half of it.
	 */
	n = XBT_BLOCK_HDR_LEN + xbt_numrecs(block) * bt->ops->rec_len;
	if (n > bt->blksize)
		n = bt->blksize;
	for (step = 0; step < n; step += 64)
		__builtin_prefetch((const uint8_t *)block + step, 1);
}

/* xbt_increment() past the end of the leaf: up, across, and down. */
int
xbt_increment_leaf_end(struct xbt_cur *cur, int *stat)
{
	unsigned int	level;

	*stat = 0;
	if (!cur->nlevels)
		return 0;
	if (++cur->lv[0].slot < (int)xbt_numrecs(cur->lv[0].block)) {
		*stat = 1;
		return 0;
	}
	for (level = 1; level < cur->nlevels; level++) {
		if (cur->lv[level].slot + 1 <
		    (int)xbt_numrecs(cur->lv[level].block))
			break;
	}
	if (level == cur->nlevels) {
		/* Past the end: stay there. */
		cur->lv[0].slot = xbt_numrecs(cur->lv[0].block);
		return 0;
	}
	cur->lv[level].slot++;
	*stat = 1;
	return xbt_descend_edge(cur, level, false);
}

int
xbt_cur_skip(struct xbt_cur *cur, unsigned int n, int *stat)
{
	unsigned int	d;
	int		error = 0;

	*stat = cur->nlevels && cur->lv[0].slot >= 0 &&
		cur->lv[0].slot < cur->leaf_nrecs;
	while (n && *stat) {
		/* All but the last step inside the leaf: slot arithmetic. */
		d = cur->leaf_nrecs - 1 - cur->lv[0].slot;
		if (d > n - 1)
			d = n - 1;
		cur->lv[0].slot += d;
		n -= d;
		/* The last one may cross into the next leaf. */
		error = xbt_increment(cur, stat);
		if (error)
			break;
		n--;
	}
	return error;
}

const void *
xbt_cur_leaf_recs(const struct xbt_cur *cur, unsigned int *n)
{
	if (!cur->nlevels || cur->lv[0].slot < 0 ||
	    cur->lv[0].slot >= cur->leaf_nrecs) {
		*n = 0;
		return NULL;
	}
	*n = cur->leaf_nrecs - cur->lv[0].slot;
	return xbt_cur_rec(cur);
}

int
xbt_decrement(struct xbt_cur *cur, int *stat)
{
	unsigned int	level;

	*stat = 0;
	if (!cur->nlevels)
		return 0;
	if (--cur->lv[0].slot >= 0) {
		*stat = 1;
		return 0;
	}
	for (level = 1; level < cur->nlevels; level++)
		if (cur->lv[level].slot > 0)
			break;
	if (level == cur->nlevels) {
		cur->lv[0].slot = -1;
		return 0;
	}
	cur->lv[level].slot--;
	*stat = 1;
	return xbt_descend_edge(cur, level, true);
}


int
xbt_lookup(struct xbt_cur *cur, enum xbt_lookup dir, const void *key,
		int *stat)
{
	struct xbtree	*bt = cur->bt;
	uint8_t		k[XBT_KEY_MAX];
	int		n, error;

	/* xbt_cur_init() ran, and a writer's cursor is of the open trans. */
	ASSERT(bt != NULL);
	ASSERT(cur->tp == NULL || cur->tp == bt->trans);
	*stat = 0;
	error = xbt_lookup_path(cur, key);
	if (error)
		return error;
	n = xbt_numrecs(cur->lv[0].block);
	if (cur->lv[0].slot < n) {
		xbtree_entry_low_key(bt, cur->lv[0].block, 0, cur->lv[0].slot,
				k);
		if (bt->ops->cmp_keys(k, key) == 0) {
			*stat = 1;
			return 0;
		}
	}
	switch (dir) {
	case XBT_LOOKUP_EQ:
		return 0;
	case XBT_LOOKUP_GE:
		if (cur->lv[0].slot < n) {
			*stat = 1;
			return 0;
		}
		/* Every record here is below @key: the next leaf's first. */
		cur->lv[0].slot = n - 1;
		return xbt_increment(cur, stat);
	case XBT_LOOKUP_LE:
		return xbt_decrement(cur, stat);
	}
	return -EINVAL;
}

int
xbtree_get(struct xbtree *bt, enum xbt_lookup dir, const void *key, void *rec,
		int *stat)
{
	struct xbt_cur	cur;
	int		error;

	XBT_STAT_INC(bt, nr_lookups);
	xbt_cur_init(&cur, bt);
	error = xbt_lookup(&cur, dir, key, stat);
	if (!error && *stat)
		memcpy(rec, xbt_cur_rec(&cur), bt->ops->rec_len);
	return error;
}

/* ---- range queries --------------------------------------------------- */

struct xbt_query {
	struct xbtree	*bt;
	const void	*low;
	const void	*high;
	xbt_query_fn	fn;
	void		*priv;
};

/*
 * Overlapping btrees: depth-first over the subtrees whose [low, high] keys
 * overlap the query, as an interval tree is searched.  Entries are in
 * low-key order, so the scan of a block stops at the first entry that
 * starts above the query.
 */
static int
xbt_query_overlapped(struct xbt_query *q, uint64_t bno, int level)
{
	struct xbtree		*bt = q->bt;
	const struct xbt_ops	*ops = bt->ops;
	struct xbt_block	*block;
	uint8_t			lk[XBT_KEY_MAX], hk[XBT_KEY_MAX];
	int			error, i, n;

	error = xbtree_get_block(bt, bno, level, &block);
	if (error)
		return error;
	n = xbt_numrecs(block);
	for (i = 0; i < n; i++) {
		xbtree_entry_low_key(bt, block, level, i, lk);
		if (ops->cmp_keys(lk, q->high) > 0)
			break;
		xbtree_entry_high_key(bt, block, level, i, hk);
		if (ops->cmp_keys(hk, q->low) < 0)
			continue;
		if (level)
			error = xbt_query_overlapped(q,
					xbtree_ptr(bt, block, i), level - 1);
		else
			error = q->fn(xbtree_rec_addr(bt, block, i), q->priv);
		if (error)
			return error;
	}
	return 0;
}

/*
 * Other btrees: records do not overlap each other, so only the record just
 * before the query's low key can reach into it.  Start there and walk
 * right until a record starts above the query.
 */
static int
xbt_query_ordered(struct xbt_query *q)
{
	struct xbtree		*bt = q->bt;
	const struct xbt_ops	*ops = bt->ops;
	struct xbt_cur		cur;
	uint8_t			k[XBT_KEY_MAX];
	const void		*rec;
	int			error, stat;

	xbt_cur_init(&cur, bt);
	error = xbt_lookup(&cur, XBT_LOOKUP_LE, q->low, &stat);
	if (error)
		return error;
	if (!stat) {
		error = xbt_lookup(&cur, XBT_LOOKUP_GE, q->low, &stat);
		if (error)
			return error;
	}
	while (stat) {
		rec = xbt_cur_rec(&cur);
		ops->init_key_from_rec(k, rec);
		if (ops->cmp_keys(k, q->high) > 0)
			break;
		ops->init_high_key_from_rec(k, rec);
		if (ops->cmp_keys(k, q->low) >= 0) {
			error = q->fn(rec, q->priv);
			if (error)
				return error;
		}
		error = xbt_increment(&cur, &stat);
		if (error)
			return error;
	}
	return 0;
}

int
xbtree_query_range(struct xbtree *bt, const void *low, const void *high,
		xbt_query_fn fn, void *priv)
{
	struct xbt_query	q = {
		.bt = bt, .low = low, .high = high, .fn = fn, .priv = priv,
	};
	int			error;

	if (bt->ops->cmp_keys(low, high) > 0)
		return -EINVAL;
	XBT_STAT_INC(bt, nr_lookups);
	if (xbtree_is_overlapping(bt)) {
		error = xbtree_check_head(bt);
		if (!error)
			error = xbt_query_overlapped(&q, xbtree_root(bt),
					xbtree_nlevels(bt) - 1);
	} else {
		error = xbt_query_ordered(&q);
	}
	return error == XBT_QUERY_STOP ? 0 : error;
}

/* ---- raw blocks ------------------------------------------------------ */

bool
xbtree_next_block(struct xbtree *bt, uint64_t bno, uint64_t *next)
{
	return xbuf_next_allocated(&bt->targ, bno, next);
}

bool
xbtree_block_is_allocated(struct xbtree *bt, uint64_t bno)
{
	return xbuf_is_allocated(&bt->targ, bno);
}

int
xbtree_read_block(struct xbtree *bt, uint64_t bno, void *buf)
{
	if (!xbuf_is_allocated(&bt->targ, bno))
		return -ENOENT;
	memcpy(buf, xbuf_addr(&bt->targ, bno), bt->blksize);
	return 0;
}

int
xbtree_write_block(struct xbtree *bt, uint64_t bno, const void *buf,
		size_t len, size_t off)
{
	/* Blocks a transaction changes must stay TRUSTED (trans.c). */
	ASSERT(bt->trans == NULL);
	if (!xbuf_is_allocated(&bt->targ, bno))
		return -ENOENT;
	if (off > bt->blksize || len > bt->blksize - off)
		return -EFBIG;
	memcpy((uint8_t *)xbuf_addr(&bt->targ, bno) + off, buf, len);
	xbuf_state_clear(&bt->targ, bno, XBUF_TRUSTED);
	xbtree_shape_changed(bt);
	xbtree_bump_version(bt);
	return 0;
}
