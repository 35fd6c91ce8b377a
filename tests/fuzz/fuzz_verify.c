// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_verify.c: a real btree with one block replaced by fuzz bytes.
 *
 * A small btree (512-byte blocks) is built afresh for every input, one
 * block of it is overwritten through the pages_writable path
 * (xbtree_write_block()), and then every reader goes over it: the
 * structure check, one-shot lookups in the three directions, range
 * queries, cursor walks both ways, the dot drawing; and, if asked, a
 * transaction of changes that is cancelled (or committed, when the tree
 * is sound).  The raw verifiers and the page decoder also get the block.
 *
 * Input:
 *	byte 0	bits 0..1  type: kv, rmap, refcount (3: kv)
 *		bit  2     store the right checksum over the new bytes
 *		bits 3..4  size: 8 records (one leaf), 60 (height 2), 500
 *		           (height 3 but for refcount), 60
 *		bit  5     patch (else overwrite): the rest is a list of
 *		           (u16 offset, u8 n, n % 8 + 1 bytes) edits of the
 *		           real block; else it is laid over the block from
 *		           byte 0 on (what it does not reach stays)
 *		bit  6     run a transaction of changes afterwards
 *		bit  7     the target is the header block (block 0)
 *	byte 1	which btree block (among the allocated ones)
 *	byte 2	where the probe keys are taken from; bit 7: commit the
 *		changes (bit 6 of byte 0) even on a damaged tree
 *	rest	the overwrite or the patch list
 *
 * Properties:
 *  - nothing crashes, reads out of bounds or loops: every answer is
 *    success, -EUCLEAN or -EBADMSG (a refcount update may say -EEXIST);
 *  - if the check finds no problem, the tree is sound and every reader
 *    must agree with it: no errors, a cursor walk and a full range query
 *    give the same records, as many as the header counts, in strictly
 *    increasing key order, and every lookup answers what that list says;
 *  - a cancelled transaction leaves the check finding what it found
 *    before; a committed one on a sound tree leaves a sound tree (one
 *    committed on a damaged tree, if byte 2's top bit asks, must only
 *    not crash anything).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_priv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "tests/fuzz/fuzz.h"
#include "xfile/xmem.h"

#define FV_BLOCKSIZE	512U
#define FV_MAX_WALK	(1U << 16)

static const struct xbt_ops *const fv_ops[4] = {
	&kvbt_ops, &rmapbt_ops, &refcbt_ops, &kvbt_ops,
};
static const unsigned int fv_sizes[4] = { 8, 60, 500, 60 };

/* Record @i of @n of the tree we build: valid, in key order. */
static void
fv_rec(const struct xbt_ops *ops, unsigned int i, unsigned int n,
		uint8_t *rec)
{
	if (ops == &kvbt_ops) {
		kvbt_rec_init(rec, (uint64_t)i * 3 + 1, (uint64_t)i * 7);
	} else if (ops == &rmapbt_ops) {
		struct rmapbt_irec	r = {
			.startblock = i * 2, .blockcount = 3,
			.owner = 100 + i % 5, .offset = i, .flags = 0,
		};

		if (i % 7 == 3) {
			r.owner = RMAPBT_OWN_AG;
			r.offset = 0;
		} else if (i % 5 == 1) {
			r.flags = RMAPBT_F_ATTR;
		} else if (i % 11 == 2) {
			r.flags = RMAPBT_F_UNWRITTEN;
		}
		rmapbt_rec_init(rec, &r);
	} else {
		struct refcbt_irec	r = { .blockcount = 3 };

		if (i < n / 2) {
			r.startblock = i * 4;
			r.refcount = 2 + i % 3;
		} else {
			r.startblock = (i - n / 2) * 4;
			r.blockcount = 2;
			r.refcount = 1;
			r.cow = true;
		}
		refcbt_rec_init(rec, &r);
	}
}

static struct xbtree *
fv_build(const struct xbt_ops *ops, unsigned int n)
{
	static const uint8_t		uuid[XBT_UUID_LEN] = "fuzz_verify uuid";
	struct xbtree_params		params = {
		.blocksize = FV_BLOCKSIZE, .owner = 77, .uuid = uuid,
	};
	struct xbtree			*bt;
	struct xbt_trans		*tp;
	uint8_t				rec[XBT_REC_MAX];
	unsigned int			i;
	int				stat;

	FUZZ_ASSERT_EQ(xbtree_create(ops, &params, &bt), 0);
	FUZZ_ASSERT_EQ(xbt_trans_alloc(bt, &tp), 0);
	for (i = 0; i < n; i++) {
		fv_rec(ops, i, n, rec);
		FUZZ_ASSERT_EQ(xbt_insert(tp, rec, &stat), 0);
		FUZZ_ASSERT_EQ(stat, 1);
	}
	FUZZ_ASSERT_EQ(xbt_trans_commit(tp), 0);
	return bt;
}

/* An error a reader may give for a damaged tree. */
static bool
fv_damage_error(int error)
{
	return error == -EUCLEAN || error == -EBADMSG;
}

static void
fv_report(uint64_t bno, const char *msg, void *priv)
{
	uint64_t	*count = priv;

	(void)bno;
	FUZZ_ASSERT(msg != NULL && msg[0] != '\0');
	(*count)++;
}

/* The structure check: how many problems (and it reports each once). */
static uint64_t
fv_check(struct xbtree *bt)
{
	uint64_t	problems = ~0ULL, reported = 0;

	FUZZ_ASSERT_EQ(xbtree_check(bt, fv_report, &reported, &problems), 0);
	FUZZ_ASSERT(problems == reported);
	return problems;
}

/* The records of the tree as the readers see them. */
struct fv_list {
	const struct xbt_ops	*ops;
	struct xmem_array	recs;	/* ops->rec_len bytes each */
};

static int
fv_collect(const void *rec, void *priv)
{
	struct fv_list	*l = priv;

	FUZZ_ASSERT_EQ(xmem_array_push(&l->recs, rec), 0);
	FUZZ_ASSERT(l->recs.len <= FV_MAX_WALK);
	return 0;
}

static const uint8_t *
fv_at(const struct fv_list *l, size_t i)
{
	return xmem_array_at(&l->recs, i);
}

/* Compare the key of list record @i with @key. */
static int
fv_cmp_at(const struct fv_list *l, size_t i, const void *key)
{
	uint8_t		k[XBT_KEY_MAX];

	l->ops->init_key_from_rec(k, fv_at(l, i));
	return l->ops->cmp_keys(k, key);
}

/* Cursor walk from the first record on; -errno or the count walked. */
static int
fv_walk(struct xbtree *bt, bool forward, struct fv_list *l)
{
	static const uint8_t	zero[XBT_KEY_MAX];
	static const uint8_t	ones[XBT_KEY_MAX] = {
		[0 ... XBT_KEY_MAX - 1] = 0xff
	};
	struct xbt_cur		cur;
	int			stat, error;

	xbt_cur_init(&cur, bt);
	error = xbt_lookup(&cur, forward ? XBT_LOOKUP_GE : XBT_LOOKUP_LE,
			   forward ? zero : ones, &stat);
	while (!error && stat) {
		fv_collect(xbt_cur_rec(&cur), l);
		error = forward ? xbt_increment(&cur, &stat) :
				  xbt_decrement(&cur, &stat);
	}
	return error;
}

/* The expected answer of a lookup of @key in @dir on the list: index or -1. */
static long
fv_expect(const struct fv_list *l, enum xbt_lookup dir, const void *key)
{
	size_t	lo = 0, hi = l->recs.len, mid;

	/* First record with key >= @key. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (fv_cmp_at(l, mid, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	switch (dir) {
	case XBT_LOOKUP_EQ:
		if (lo < l->recs.len && fv_cmp_at(l, lo, key) == 0)
			return lo;
		return -1;
	case XBT_LOOKUP_GE:
		return lo < l->recs.len ? (long)lo : -1;
	case XBT_LOOKUP_LE:
		if (lo < l->recs.len && fv_cmp_at(l, lo, key) == 0)
			return lo;
		return (long)lo - 1;
	}
	return -1;
}

/* Big-endian decrement of a key: the key just below (memcmp order). */
static void
fv_key_dec(uint8_t *key, unsigned int len)
{
	while (len-- > 0)
		if (key[len]-- != 0)
			break;
}

static int
fv_text(const char *text, size_t len, void *priv)
{
	(void)priv;
	FUZZ_ASSERT(len >= 1 && text[len - 1] == '\n');
	return 0;
}

/* Every reader over the tree; @sound says the check found nothing. */
static void
fv_read_all(struct xbtree *bt, bool sound, uint8_t probe_sel,
		unsigned int nbuilt)
{
	const struct xbt_ops	*ops = xbtree_ops(bt);
	struct fv_list		fwd = {
		.ops = ops, .recs = XMEM_ARRAY_INIT(ops->rec_len),
	};
	struct fv_list		back = fwd, q = fwd;
	uint8_t			keys[6][XBT_KEY_MAX], rec[XBT_REC_MAX];
	uint8_t			lo[XBT_KEY_MAX], hi[XBT_KEY_MAX];
	static const uint8_t	zero[XBT_KEY_MAX];
	static const uint8_t	ones[XBT_KEY_MAX] = {
		[0 ... XBT_KEY_MAX - 1] = 0xff
	};
	struct xbtree_stats	st;
	char			errbuf[256];
	unsigned int		i, d, nkeys = 0;
	long			want;
	size_t			j;
	int			error, stat;

	/* Walks and a full range query. */
	error = fv_walk(bt, true, &fwd);
	FUZZ_ASSERT(!error || (!sound && fv_damage_error(error)));
	error = fv_walk(bt, false, &back);
	FUZZ_ASSERT(!error || (!sound && fv_damage_error(error)));
	/* Keys run to 0xff.. for every type (a rmap key has bit 61 clear). */
	error = xbtree_query_range(bt, zero, ones, fv_collect, &q);
	FUZZ_ASSERT(!error || (!sound && fv_damage_error(error)));
	if (sound) {
		FUZZ_ASSERT_EQ(fwd.recs.len, xbtree_nrecords(bt));
		FUZZ_ASSERT_EQ(back.recs.len, fwd.recs.len);
		FUZZ_ASSERT_EQ(q.recs.len, fwd.recs.len);
		for (j = 0; j < fwd.recs.len; j++) {
			FUZZ_ASSERT(!memcmp(fv_at(&fwd, j),
					    fv_at(&back, fwd.recs.len - 1 - j),
					    ops->rec_len));
			FUZZ_ASSERT(!memcmp(fv_at(&fwd, j), fv_at(&q, j),
					    ops->rec_len));
			if (j) {
				uint8_t	k[XBT_KEY_MAX];

				ops->init_key_from_rec(k, fv_at(&fwd, j));
				FUZZ_ASSERT(fv_cmp_at(&fwd, j - 1, k) < 0);
			}
		}
	}

	/* Probe keys: built records' keys, just below them, and the ends. */
	i = probe_sel % (nbuilt + 1);
	fv_rec(ops, i < nbuilt ? i : nbuilt - 1, nbuilt, rec);
	ops->init_key_from_rec(keys[nkeys++], rec);
	memcpy(keys[nkeys], keys[nkeys - 1], ops->key_len);
	fv_key_dec(keys[nkeys++], ops->key_len);
	ops->init_high_key_from_rec(keys[nkeys++], rec);
	fv_rec(ops, (i * 7 + 1) % nbuilt, nbuilt, rec);
	ops->init_key_from_rec(keys[nkeys++], rec);
	memcpy(keys[nkeys++], zero, ops->key_len);
	memcpy(keys[nkeys++], ones, ops->key_len);

	for (i = 0; i < nkeys; i++) {
		/* Follows the (unverified) header to trusted blocks only. */
		xbtree_prefetch(bt, keys[i]);
		for (d = XBT_LOOKUP_LE; d <= XBT_LOOKUP_GE; d++) {
			stat = -1;
			error = xbtree_get(bt, d, keys[i], rec, &stat);
			if (error) {
				FUZZ_ASSERT(!sound && fv_damage_error(error));
				continue;
			}
			FUZZ_ASSERT(stat == 0 || stat == 1);
			if (!sound || fwd.recs.len != xbtree_nrecords(bt))
				continue;
			want = fv_expect(&fwd, d, keys[i]);
			FUZZ_ASSERT_EQ(stat, want >= 0);
			if (stat)
				FUZZ_ASSERT(!memcmp(rec, fv_at(&fwd, want),
						    ops->rec_len));
		}
	}

	/* Range queries between probe keys, both ways round. */
	for (i = 0; i + 1 < nkeys; i++) {
		memcpy(lo, keys[i], ops->key_len);
		memcpy(hi, keys[(i + 3) % nkeys], ops->key_len);
		q.recs.len = 0;
		error = xbtree_query_range(bt, lo, hi, fv_collect, &q);
		if (ops->cmp_keys(lo, hi) > 0)
			FUZZ_ASSERT_EQ(error, -EINVAL);
		else
			FUZZ_ASSERT(!error ||
				    (!sound && fv_damage_error(error)));
	}

	FUZZ_ASSERT_EQ(xbtree_dump_dot(bt, 0, fv_text, NULL), 0);
	FUZZ_ASSERT_EQ(xbtree_dump_dot(bt, 1 + probe_sel % 8, fv_text, NULL),
		       0);
	xbtree_get_stats(bt, &st);
	xbtree_last_error(bt, errbuf, sizeof(errbuf));
	if (sound)
		FUZZ_ASSERT_EQ(st.records, fwd.recs.len);

	xmem_array_release(&fwd.recs);
	xmem_array_release(&back.recs);
	xmem_array_release(&q.recs);
}

/*
 * A few changes in one transaction.  If they all worked it is committed
 * when the tree is sound, and also on a damaged tree if @probe_sel's top
 * bit says so (the damage may lie off their paths); else cancelled.
 * Returns true if committed.
 */
static bool
fv_change(struct xbtree *bt, bool sound, uint8_t probe_sel,
		unsigned int nbuilt)
{
	const struct xbt_ops	*ops = xbtree_ops(bt);
	struct xbt_trans	*tp;
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	unsigned int		i = probe_sel % nbuilt;
	int			error, stat, failed = 0;

	FUZZ_ASSERT_EQ(xbt_trans_alloc(bt, &tp), 0);

	/* Delete a record that was built, insert it again, update it. */
	fv_rec(ops, i, nbuilt, rec);
	ops->init_key_from_rec(key, rec);
	error = xbt_delete(tp, key, NULL, NULL, &stat);
	if (error) {
		FUZZ_ASSERT(!sound && fv_damage_error(error));
		failed = 1;
		goto out;
	}
	error = xbt_insert(tp, rec, &stat);
	if (error) {
		FUZZ_ASSERT(!sound && fv_damage_error(error));
		failed = 1;
		goto out;
	}
	error = xbt_update(tp, rec, &stat);
	if (error) {
		FUZZ_ASSERT((!sound && fv_damage_error(error)) ||
			    error == -EEXIST);
		failed = 1;
		goto out;
	}
	/* A neighbour of another built record, deleted: rebalancing. */
	fv_rec(ops, (i + nbuilt / 2) % nbuilt, nbuilt, rec);
	ops->init_key_from_rec(key, rec);
	error = xbt_delete(tp, key, rec, NULL, &stat);
	if (error) {
		FUZZ_ASSERT(!sound && fv_damage_error(error));
		failed = 1;
	}
out:
	if (!failed && (sound || (probe_sel & 0x80))) {
		error = xbt_trans_commit(tp);
		FUZZ_ASSERT(!error || (!sound && error == -EUCLEAN));
		return true;
	}
	xbt_trans_cancel(tp);
	return false;
}

/* Edit @block (blocksize bytes) as the input says. */
static void
fv_edit(uint8_t *block, struct fuzz_in *in, bool patch)
{
	size_t		off, n, i;

	if (!patch) {
		n = in->len < FV_BLOCKSIZE ? in->len : FV_BLOCKSIZE;
		memcpy(block, in->p, n);
		return;
	}
	while (fuzz_more(in)) {
		off = fuzz_u16(in) % FV_BLOCKSIZE;
		n = fuzz_u8(in) % 8 + 1;
		for (i = 0; i < n && off + i < FV_BLOCKSIZE; i++)
			block[off + i] = fuzz_u8(in);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		in = { .p = data, .len = size };
	const struct xbt_ops	*ops;
	struct xbtree		*bt;
	uint8_t			*block;
	const char		*why;
	uint8_t			mode, blksel, probe_sel;
	uint64_t		bno, problems, nblocks, k;
	unsigned int		nbuilt;
	bool			bad_crc, sound;

	fuzz_quiet();
	mode = fuzz_u8(&in);
	blksel = fuzz_u8(&in);
	probe_sel = fuzz_u8(&in);
	ops = fv_ops[mode & 3];
	nbuilt = fv_sizes[(mode >> 3) & 3];
	bt = fv_build(ops, nbuilt);
	FUZZ_ASSERT_EQ(fv_check(bt), 0);

	/* The target block: block 0, or the blksel-th btree block. */
	bno = 0;
	if (!(mode & 0x80)) {
		nblocks = 0;
		for (k = 1; xbtree_next_block(bt, k, &k); k++)
			nblocks++;
		k = blksel % nblocks;
		for (bno = 1; xbtree_next_block(bt, bno, &bno); bno++)
			if (k-- == 0)
				break;
	}

	/* Exactly one block's bytes: ASan sees any read past them. */
	block = fuzz_alloc(FV_BLOCKSIZE);
	FUZZ_ASSERT(block != NULL);
	FUZZ_ASSERT_EQ(xbtree_read_block(bt, bno, block), 0);
	fv_edit(block, &in, mode & 0x20);
	if (mode & 4) {
		if (bno == XBT_HEAD_BLOCK)
			fuzz_fix_head_crc(block, FV_BLOCKSIZE);
		else
			fuzz_fix_block_crc(block, FV_BLOCKSIZE);
	}

	/* The raw verifiers, on the bytes alone. */
	bad_crc = false;
	why = xbt_verify_head(block, bno, bt, &bad_crc);
	FUZZ_ASSERT(!bad_crc || why);
	bad_crc = false;
	why = xbt_verify_block_full(block, bno, bt, &bad_crc);
	FUZZ_ASSERT(!bad_crc || why);
	why = xbtree_verify_block_hdr(bt, (struct xbt_block *)block, bno, -1);
	why = xbtree_verify_block_hdr(bt, (struct xbt_block *)block, bno, 0);
	why = xbtree_verify_block_hdr_rest(bt, (struct xbt_block *)block, bno);
	(void)why;
	xbt_decode_block(block, FV_BLOCKSIZE, fv_text, NULL);

	FUZZ_ASSERT_EQ(xbtree_write_block(bt, bno, block, FV_BLOCKSIZE, 0), 0);
	free(block);

	problems = fv_check(bt);
	sound = problems == 0;
	fv_read_all(bt, sound, probe_sel, nbuilt);
	if (mode & 0x40) {
		if (fv_change(bt, sound, probe_sel, nbuilt)) {
			if (sound)
				FUZZ_ASSERT_EQ(fv_check(bt), 0);
			else
				sound = fv_check(bt) == 0;
			fv_read_all(bt, sound, probe_sel, nbuilt);
		} else {
			FUZZ_ASSERT_EQ(fv_check(bt), problems);
		}
	}
	xbtree_destroy(bt);
	return 0;
}
