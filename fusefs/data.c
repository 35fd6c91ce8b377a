// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * data.c: the `data` file of a kv btree, the btree seen as a sparse file.
 *
 *	byte offset	8k        8k+1  ...  8k+7
 *	holds		value of key k, little-endian (LSB first)
 *
 * A key with no record reads as eight zero bytes; writing eight zero
 * bytes to a key deletes its record, so zeros never take memory (and a
 * kv record whose value is 0 reads as a hole too).
 *
 * Size: the larger of 8 x (highest key below XFBFS_DATA_KEYS + 1) and the
 * size kept in the header block's data_size, which a write past the end
 * raises to the end of the last 8-byte slot it touched and a truncate
 * sets.  Truncating deletes every record whose key is at or past the new
 * end (keys from XFBFS_DATA_KEYS up included), so truncate(0), O_TRUNC
 * and unlink (which fio uses to lay out a file) empty the btree.
 *
 * Reads and writes of a range walk a cursor along the leaves: a read
 * fills zeros and then drops in each record it meets; a write changes a
 * run of existing records in place (xbt_cur_modify(), one undo entry per
 * leaf), puts the new keys of a gap in as runs (xbt_insert_run(), one
 * shift per leaf they land in) and looks up again only after the tree
 * changed shape.  Each write is one transaction.
 *
 * A truncate that deletes many records builds a new btree of the ones it
 * keeps (xbtree_bload(), from a cursor walk of the old one) instead of
 * deleting them one by one in a transaction whose undo log would hold
 * every one of them.
 *
 * The file's ops (the kind's table) are at the end: open (O_TRUNC
 * empties it), read, write, lseek, truncate and unlink, and creat()
 * opens it.
 *
 * Locking: each entry point takes tree->lock, for reading (read, seek)
 * or writing (write, truncate), and checks that the btree is still there
 * and still of type kv.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btree/btree_kv.h"
#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

/* New records of a gap, changed values of a run: this many at a time. */
#define XFBFS_RUN		256
/* A truncate deleting more records than this rebuilds the btree. */
#define XFBFS_TRUNC_DELETE_MAX	4096

int
xfbfs_data_size(struct xfbfs_tree *tree, uint64_t *sizep)
{
	struct xbtree	*bt = tree->bt;
	struct xbt_cur	cur;
	uint8_t		key[XBT_KEY_MAX];
	uint64_t	size = xbtree_data_size(bt);
	uint64_t	k;
	int		stat, error;

	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));
	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, XFBFS_DATA_KEYS - 1);
	error = xbt_lookup(&cur, XBT_LOOKUP_LE, key, &stat);
	if (error)
		return error;
	if (stat) {
		k = kvbt_rec_key(xbt_cur_rec(&cur));
		if (8 * (k + 1) > size)
			size = 8 * (k + 1);
	}
	/* Key 2^60 - 1 would end the file at 2^63; off_t stops one short. */
	*sizep = size < XFBFS_DATA_MAX ? size : XFBFS_DATA_MAX - 1;
	return 0;
}

/*
 * Take tree->lock and check the tree is still a kv btree; the file's
 * size goes to *@sizep if it is not NULL.  On error the lock is dropped.
 */
static int
xfbfs_data_lock(struct xfbfs_tree *tree, bool write, uint64_t *sizep)
{
	int	error = 0;

	if (write)
		xfbfs_rwlock_wrlock(&tree->lock);
	else
		xfbfs_rwlock_rdlock(&tree->lock);
	if (tree->dead || tree->type != &xfbfs_type_kv)
		error = -ENOENT;
	else if (sizep)
		error = xfbfs_data_size(tree, sizep);
	if (error)
		xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

/* ---- read ---------------------------------------------------------------- */

int
xfbfs_data_read(struct xfbfs_tree *tree, char *buf, size_t *sizep,
		uint64_t off)
{
	struct xbt_cur	cur;
	uint8_t		key[XBT_KEY_MAX];
	uint64_t	size, end, k, s, lo, hi, v;
	size_t		n = *sizep;
	int		stat, error;

	error = xfbfs_data_lock(tree, false, &size);
	if (error)
		return error;
	if (off >= size || n == 0) {
		*sizep = 0;
		goto out_unlock;
	}
	if (n > size - off)
		n = size - off;
	end = off + n;
	memset(buf, 0, n);

	xbt_cur_init(&cur, tree->bt);
	kvbt_key_init(key, off / 8);
	error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
	while (!error && stat) {
		const uint8_t	*rec = xbt_cur_rec(&cur);

		k = kvbt_rec_key(rec);
		if (k >= XFBFS_DATA_KEYS || 8 * k >= end)
			break;
		s = 8 * k;
		v = htole64(kvbt_rec_val(rec));
		lo = s > off ? s : off;
		hi = s + 8 < end ? s + 8 : end;
		memcpy(buf + (lo - off), (uint8_t *)&v + (lo - s), hi - lo);
		error = xbt_increment(&cur, &stat);
	}
	*sizep = n;
out_unlock:
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

/* ---- write --------------------------------------------------------------- */

struct xfbfs_data_wr {
	const char	*buf;
	uint64_t	off;		/* of buf[0] */
	uint64_t	end;		/* off + size */
};

/*
 * The value key @k holds after the write: the bytes the write covers,
 * and for a slot it covers in part, the rest from @old.
 */
static uint64_t
xfbfs_slot_value(const struct xfbfs_data_wr *w, uint64_t k, uint64_t old)
{
	uint64_t	s = 8 * k, lo, hi, v;

	if (s >= w->off && s + 8 <= w->end) {
		memcpy(&v, w->buf + (s - w->off), 8);
		return le64toh(v);
	}
	v = htole64(old);
	lo = s > w->off ? s : w->off;
	hi = s + 8 < w->end ? s + 8 : w->end;
	memcpy((uint8_t *)&v + (lo - s), w->buf + (lo - w->off), hi - lo);
	return le64toh(v);
}

/* Apply one write in @tp: keys off/8 .. (end - 1)/8. */
static int
xfbfs_data_apply(struct xbtree *bt, struct xbt_trans *tp,
		const struct xfbfs_data_wr *w)
{
	struct xbt_cur	cur;
	uint8_t		key[XBT_KEY_MAX];
	uint8_t		run[XFBFS_RUN][KVBT_REC_LEN];
	uint64_t	vals[XFBFS_RUN];
	uint64_t	k = w->off / 8, last = (w->end - 1) / 8;
	uint64_t	nextk = 0, stop, v;
	bool		lookup = true, changed;
	int		stat, error;
	unsigned int	n, i, avail;
	const void	*p;
	void		*q;

	xbt_cur_init(&cur, bt);
	while (k <= last) {
		if (lookup) {
			kvbt_key_init(key, k);
			error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
			if (error)
				return error;
			nextk = stat ? kvbt_rec_key(xbt_cur_rec(&cur)) :
				       UINT64_MAX;
			lookup = false;
		}
		if (nextk > k) {
			/*
			 * A gap: no record for k .. nextk - 1.  Its new
			 * records go in as runs, a leaf at a time.
			 */
			stop = nextk - 1 < last ? nextk - 1 : last;
			changed = false;
			while (k <= stop) {
				for (n = 0; n < XFBFS_RUN && k <= stop; k++) {
					v = xfbfs_slot_value(w, k, 0);
					if (v)
						kvbt_rec_init(run[n++], k, v);
				}
				if (!n)
					continue;
				error = xbt_insert_run(tp, run, n, &stat);
				if (!error && !stat)
					error = -EUCLEAN;	/* was a gap */
				if (error)
					return error;
				changed = true;
			}
			lookup = changed;
			continue;
		}

		/*
		 * A run of records k, k + 1, ... in this leaf whose new
		 * values are not zero: their values, then one change.
		 */
		p = xbt_cur_leaf_recs(&cur, &avail);
		for (n = 0; n < XFBFS_RUN && n < avail && k + n <= last &&
			    kvbt_rec_key(kvbt_rec_at(p, n)) == k + n; n++) {
			vals[n] = xfbfs_slot_value(w, k + n,
					kvbt_rec_val(kvbt_rec_at(p, n)));
			if (!vals[n])
				break;
		}
		if (n == 0) {
			/* Record k becomes zero: delete it. */
			kvbt_key_init(key, k);
			error = xbt_delete(tp, key, NULL, NULL, &stat);
			if (error)
				return error;
			k++;
			lookup = true;
			continue;
		}
		error = xbt_cur_modify(&cur, n, &q);
		if (error)
			return error;
		for (i = 0; i < n; i++)
			kvbt_rec_set_val(kvbt_rec_at(q, i), vals[i]);
		k += n;
		error = xbt_cur_skip(&cur, n, &stat);
		if (error)
			return error;
		nextk = stat ? kvbt_rec_key(xbt_cur_rec(&cur)) : UINT64_MAX;
	}
	return 0;
}

int
xfbfs_data_write(struct xfbfs_tree *tree, const char *buf, size_t size,
		uint64_t off, pid_t pid)
{
	struct xfbfs_data_wr	w = { .buf = buf, .off = off };
	struct xbt_trans	*tp;
	uint64_t		slot_end;
	int			error;

	if (size == 0)
		return 0;
	if (off >= XFBFS_DATA_MAX || size > XFBFS_DATA_MAX - off)
		return -EFBIG;
	w.end = off + size;
	slot_end = (w.end + 7) & ~7ULL;

	error = xfbfs_data_lock(tree, true, NULL);
	if (error)
		return error;
	error = xbt_trans_alloc(tree->bt, &tp);
	if (error)
		goto out_unlock;
	error = xfbfs_data_apply(tree->bt, tp, &w);
	if (error) {
		xbt_trans_cancel(tp);
		goto out_unlock;
	}
	if (slot_end > xbtree_data_size(tree->bt))
		error = xbt_trans_set_data_size(tp, slot_end);
	if (error) {
		xbt_trans_cancel(tp);
		goto out_unlock;
	}
	error = xbt_trans_commit(tp);
	if (!error)
		xfbfs_tree_touch(tree);
out_unlock:
	xfbfs_rwlock_unlock(&tree->lock);
	if (error && error != -ENOENT) {
		__atomic_add_fetch(&tree->nr_failed, 1, __ATOMIC_RELAXED);
		xfbfs_tree_error(tree, pid,
				 "data: write of %zu bytes at %llu: %s",
				 size, (unsigned long long)off,
				 strerror(-error));
	}
	return error;
}

/* ---- truncate ------------------------------------------------------------ */

/* Hands the records below a key to xbtree_bload(), from a cursor. */
struct xfbfs_keep_iter {
	struct xbt_cur	cur;
	uint64_t	left;		/* records still to hand out */
	bool		started;
};

static int
xfbfs_keep_next(void *rec, void *priv)
{
	struct xfbfs_keep_iter	*it = priv;
	uint8_t			key[XBT_KEY_MAX];
	int			stat, error;

	if (!it->left)
		return 0;
	if (!it->started) {
		kvbt_key_init(key, 0);
		error = xbt_lookup(&it->cur, XBT_LOOKUP_GE, key, &stat);
		it->started = true;
	} else {
		error = xbt_increment(&it->cur, &stat);
	}
	if (error)
		return error;
	if (!stat)
		return -EUCLEAN;	/* fewer records than the header says */
	memcpy(rec, xbt_cur_rec(&it->cur), KVBT_REC_LEN);
	it->left--;
	return 1;
}

/*
 * Replace the btree by one with only the @keep records below @nkey, and
 * data size @size (tree->lock held for writing).
 */
static int
xfbfs_data_rebuild(struct xfbfs_tree *tree, uint64_t keep, uint64_t size,
		struct xbtree **oldp)
{
	struct xfbfs_keep_iter	it = { .left = keep };
	struct xbtree_params	params;
	struct xbt_trans	*tp;
	struct xbtree		*bt;
	int			error;

	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	xbt_cur_init(&it.cur, tree->bt);
	xfbfs_tree_params(tree, xbtree_uuid(tree->bt), &params);
	error = xbtree_bload(tree->type->ops, &params, keep, xfbfs_keep_next,
			     &it, NULL, &bt);
	if (error)
		return error;
	if (size) {
		error = xbt_trans_alloc(bt, &tp);
		if (error)
			goto out_destroy;
		error = xbt_trans_set_data_size(tp, size);
		if (error) {
			xbt_trans_cancel(tp);
			goto out_destroy;
		}
		error = xbt_trans_commit(tp);
		if (error)
			goto out_destroy;
	}
	xfbfs_tree_swap(tree, bt, oldp);
	return 0;
out_destroy:
	xbtree_destroy(bt);
	return error;
}

/* Delete the @n records from @nkey on in one transaction, set @size. */
static int
xfbfs_data_cut(struct xbtree *bt, uint64_t nkey, uint64_t n, uint64_t size)
{
	struct xbt_trans	*tp;
	struct xbt_cur		cur;
	uint8_t			key[XBT_KEY_MAX];
	uint64_t		i;
	int			stat, error;

	error = xbt_trans_alloc(bt, &tp);
	if (error)
		return error;
	for (i = 0; i < n; i++) {
		xbt_cur_init(&cur, bt);
		kvbt_key_init(key, nkey);
		error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
		if (!error && !stat)
			error = -EUCLEAN;
		if (error)
			goto out_cancel;
		kvbt_key_init(key, kvbt_rec_key(xbt_cur_rec(&cur)));
		error = xbt_delete(tp, key, NULL, NULL, &stat);
		if (error)
			goto out_cancel;
	}
	error = xbt_trans_set_data_size(tp, size);
	if (error)
		goto out_cancel;
	return xbt_trans_commit(tp);
out_cancel:
	xbt_trans_cancel(tp);
	return error;
}

int
xfbfs_data_truncate(struct xfbfs_tree *tree, uint64_t size, pid_t pid)
{
	struct xbtree	*old = NULL;
	struct xbt_cur	cur;
	uint8_t		key[XBT_KEY_MAX];
	uint64_t	nkey = size / 8, cut = 0, total;
	int		stat, error;

	if (size % 8)
		return -EINVAL;
	if (size > XFBFS_DATA_MAX)
		return -EFBIG;
	error = xfbfs_data_lock(tree, true, NULL);
	if (error)
		return error;

	/* How many records lie at or past the new end? */
	total = xbtree_nrecords(tree->bt);
	if (nkey == 0) {
		cut = total;
	} else {
		xbt_cur_init(&cur, tree->bt);
		kvbt_key_init(key, nkey);
		error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
		while (!error && stat) {
			cut++;
			error = xbt_increment(&cur, &stat);
		}
		if (error)
			goto out_unlock;
		if (cut > total) {
			error = -EUCLEAN;
			goto out_unlock;
		}
	}
	if (cut > XFBFS_TRUNC_DELETE_MAX || (nkey == 0 && cut))
		error = xfbfs_data_rebuild(tree, total - cut, size, &old);
	else if (cut || size != xbtree_data_size(tree->bt))
		error = xfbfs_data_cut(tree->bt, nkey, cut, size);
	if (!error)
		xfbfs_tree_touch(tree);
out_unlock:
	xfbfs_rwlock_unlock(&tree->lock);
	xbtree_destroy(old);
	if (error && error != -ENOENT) {
		__atomic_add_fetch(&tree->nr_failed, 1, __ATOMIC_RELAXED);
		xfbfs_tree_error(tree, pid, "data: truncate to %llu: %s",
				 (unsigned long long)size, strerror(-error));
	}
	return error;
}

/* ---- SEEK_DATA / SEEK_HOLE ----------------------------------------------- */

int
xfbfs_data_seek(struct xfbfs_tree *tree, uint64_t off, int whence,
		uint64_t *res)
{
	struct xbt_cur	cur;
	uint8_t		key[XBT_KEY_MAX];
	uint64_t	size, k, want;
	int		stat, error;

	error = xfbfs_data_lock(tree, false, &size);
	if (error)
		return error;
	if (off >= size) {
		error = -ENXIO;
		goto out_unlock;
	}
	xbt_cur_init(&cur, tree->bt);
	kvbt_key_init(key, off / 8);
	error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
	if (error)
		goto out_unlock;
	k = stat ? kvbt_rec_key(xbt_cur_rec(&cur)) : UINT64_MAX;
	if (whence == SEEK_DATA) {
		if (!stat || k >= XFBFS_DATA_KEYS) {
			error = -ENXIO;
			goto out_unlock;
		}
		*res = 8 * k > off ? 8 * k : off;
		goto out_unlock;
	}
	/* SEEK_HOLE: the end of the run of records from off / 8 on. */
	want = off / 8;
	while (stat && k == want && want < XFBFS_DATA_KEYS) {
		want++;
		error = xbt_increment(&cur, &stat);
		if (error)
			goto out_unlock;
		if (stat)
			k = kvbt_rec_key(xbt_cur_rec(&cur));
	}
	if (want == off / 8)
		*res = off;
	else
		*res = 8 * want < size ? 8 * want : size;
out_unlock:
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

/* ---- the file ------------------------------------------------------------ */

struct xfbfs_data_handle {
	struct xfbfs_handle	h;
	char			*buf;		/* the last read's bytes */
	size_t			cap;
};

static inline struct xfbfs_data_handle *
xfbfs_data_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_data_handle, h);
}

/* kv btrees only; the size rule above; 8 bytes of memory a record. */
static int
xfbfs_data_getattr(struct xfbfs_tree *tree, uint64_t sub, struct stat *st)
{
	uint64_t	size = 0;
	int		error;

	(void)sub;
	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));
	if (tree->type != &xfbfs_type_kv)
		return -ENOENT;
	error = xfbfs_data_size(tree, &size);
	st->st_size = size;
	st->st_blocks = (xbtree_nrecords(tree->bt) * 8 + 511) / 512;
	return error;
}

/* O_TRUNC empties `data` (fio lays files out this way). */
static int
xfbfs_data_open(struct xfbfs_handle *h, int flags)
{
	if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
		return xfbfs_data_truncate(h->tree, 0, h->pid);
	return 0;
}

static int
xfbfs_data_file_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	struct xfbfs_data_handle *dh = xfbfs_data_handle(h);
	char			*p;
	int			error;

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	if (off < 0)
		return -EINVAL;
	if (*sizep > dh->cap) {
		p = xmem_realloc(dh->buf, *sizep, 1);
		if (!p)
			return -ENOMEM;
		dh->buf = p;
		dh->cap = *sizep;
	}
	error = xfbfs_data_read(h->tree, dh->buf, sizep, off);
	*datap = dh->buf;
	return error;
}

static int
xfbfs_data_file_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	if (off < 0)
		return -EINVAL;
	return xfbfs_data_write(h->tree, buf, size, off, h->pid);
}

static int
xfbfs_data_lseek(struct xfbfs_handle *h, uint64_t off, int whence,
		uint64_t *resp)
{
	return xfbfs_data_seek(h->tree, off, whence, resp);
}

/* `rm data` deletes every record; the file stays. */
static int
xfbfs_data_unlink(struct xfbfs_tree *tree, pid_t pid)
{
	return xfbfs_data_truncate(tree, 0, pid);
}

static void
xfbfs_data_release(struct xfbfs_handle *h)
{
	xmem_free(xfbfs_data_handle(h)->buf);
}

/* Creatable: fio creates the file it has just unlinked. */
const struct xfbfs_file_ops xfbfs_kind_data = {
	.name		= "data",
	.mode		= S_IFREG | 0644,
	.flags		= XFBFS_KIND_CREATABLE,
	.handle_size	= sizeof(struct xfbfs_data_handle),
	.getattr	= xfbfs_data_getattr,
	.truncate	= xfbfs_data_truncate,
	.unlink		= xfbfs_data_unlink,
	.open		= xfbfs_data_open,
	.release	= xfbfs_data_release,
	.read		= xfbfs_data_file_read,
	.write		= xfbfs_data_file_write,
	.lseek		= xfbfs_data_lseek,
};
