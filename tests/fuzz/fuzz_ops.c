// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_ops.c: operation sequences on a btree, against a model.
 *
 * The input is a program.  Its first byte picks the record type (kv,
 * rmap, refcount: byte % 3) and, in bit 2, a wide key space; every
 * following byte is an operation, whose arguments are the bytes after it.
 * Reads past the end give zeros, so every byte string is a program; at
 * most FO_MAX_OPS operations run.  Blocks are 512 bytes, so a few dozen
 * records already split leaves and grow the tree, and the key space is
 * small (256 keys, 2048 wide) so that duplicates and overlaps are common.
 *
 * The model is a sorted array of records, ordered by the type's own key
 * order (ops->cmp_keys of ops->init_key_from_rec).  It decides what every
 * operation must answer:
 *
 *	insert		stat 0 for a duplicate key, or (XBT_OPS_DISJOINT)
 *			an extent overlapping its neighbour's
 *	delete		by key, or by key and the exact record
 *	update		stat 0 if no such key; -EEXIST when the new extent
 *			would overlap a neighbour (disjoint types)
 *	cur_modify	(kv) new values for a run of records in one leaf
 *	data_size	the header field, undone with the rest by cancel
 *	get		LE, EQ, GE
 *	query		range queries, stopped early (XBT_QUERY_STOP) or
 *			failed (-EIO) at a chosen record
 *	walk		a cursor lookup, then increments and decrements,
 *			across both ends
 *	begin, commit, cancel
 *			explicit transactions; without one, a change runs
 *			in a transaction of its own, committed at once
 *	fault		the n-th page allocation from now on fails with
 *			-ENOSPC; the operation that hits it fails, the
 *			transaction is cancelled, and the tree must equal
 *			the model as it was before the transaction
 *	bload		the tree is rebuilt by xbtree_bload() from the
 *			model's records, or from a set the program gives;
 *			or a load with one defect (a duplicate, two records
 *			swapped, one too few or too many, a bad record,
 *			-EIO from the source) must fail with the documented
 *			error and leave nothing behind
 *
 * After each step the header's record count must equal the model's; with
 * no transaction open the structure check must find nothing (every step
 * while the tree is small, else every eighth), and now and then the whole
 * tree is walked and compared with the model, with the statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "tests/fuzz/fuzz.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"

#define FO_BLOCKSIZE	512U
#define FO_MAX_OPS	2000

static const struct xbt_ops *const fo_types[3] = {
	&kvbt_ops, &rmapbt_ops, &refcbt_ops,
};

static const uint8_t fo_uuid[XBT_UUID_LEN] = "fuzz_ops uuid...";

static const struct xbtree_params fo_params = {
	.blocksize = FO_BLOCKSIZE, .owner = 5, .uuid = fo_uuid,
};

/* ---- the model: a sorted array of records ---------------------------- */

struct fo_model {
	const struct xbt_ops	*ops;
	struct xmem_array	recs;		/* ops->rec_len bytes each */
	uint64_t		data_size;
};

static uint8_t *
m_rec(const struct fo_model *m, size_t i)
{
	return xmem_array_at(&m->recs, i);
}

static int
m_cmp_at(const struct fo_model *m, size_t i, const void *key)
{
	uint8_t		k[XBT_KEY_MAX];

	m->ops->init_key_from_rec(k, m_rec(m, i));
	return m->ops->cmp_keys(k, key);
}

/* Index of the first record whose key is >= @key; *found if equal. */
static size_t
m_lower(const struct fo_model *m, const void *key, bool *found)
{
	size_t	lo = 0, hi = m->recs.len, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (m_cmp_at(m, mid, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->recs.len && m_cmp_at(m, lo, key) == 0;
	return lo;
}

/*
 * Would @rec, with its first key at index @pos (and, @replacing, in place
 * of the record there), overlap a neighbour?  Disjoint types only.
 */
static bool
m_overlaps(const struct fo_model *m, size_t pos, const void *rec,
		bool replacing)
{
	const struct xbt_ops	*ops = m->ops;
	uint8_t			lo[XBT_KEY_MAX], hi[XBT_KEY_MAX];
	uint8_t			k[XBT_KEY_MAX];
	size_t			next = replacing ? pos + 1 : pos;

	if (!(ops->flags & XBT_OPS_DISJOINT))
		return false;
	ops->init_key_from_rec(lo, rec);
	ops->init_high_key_from_rec(hi, rec);
	if (next < m->recs.len && m_cmp_at(m, next, hi) <= 0)
		return true;
	if (pos > 0) {
		ops->init_high_key_from_rec(k, m_rec(m, pos - 1));
		if (ops->cmp_keys(k, lo) >= 0)
			return true;
	}
	return false;
}

static void
m_insert_at(struct fo_model *m, size_t pos, const void *rec)
{
	unsigned int	len = m->ops->rec_len;

	FUZZ_ASSERT_EQ(xmem_array_reserve(&m->recs, 1), 0);
	xmem_array_push_reserved(&m->recs);
	memmove(m_rec(m, pos + 1), m_rec(m, pos),
		(m->recs.len - 1 - pos) * len);
	memcpy(m_rec(m, pos), rec, len);
}

static void
m_remove_at(struct fo_model *m, size_t pos)
{
	unsigned int	len = m->ops->rec_len;

	memmove(m_rec(m, pos), m_rec(m, pos + 1),
		(m->recs.len - pos - 1) * len);
	m->recs.len--;
}

/* Insert by the engine's rules: false (and nothing done) if refused. */
static bool
m_insert(struct fo_model *m, const void *rec)
{
	uint8_t		key[XBT_KEY_MAX];
	bool		found;
	size_t		pos;

	m->ops->init_key_from_rec(key, rec);
	pos = m_lower(m, key, &found);
	if (found || m_overlaps(m, pos, rec, false))
		return false;
	m_insert_at(m, pos, rec);
	return true;
}

static void
m_copy(struct fo_model *dst, const struct fo_model *src)
{
	dst->ops = src->ops;
	dst->data_size = src->data_size;
	FUZZ_ASSERT_EQ(xmem_array_resize(&dst->recs, src->recs.len), 0);
	if (src->recs.len)
		memcpy(dst->recs.data, src->recs.data,
		       src->recs.len * src->ops->rec_len);
}

/* ---- the program's state -------------------------------------------- */

struct fo_state {
	const struct xbt_ops	*ops;
	struct xbtree		*bt;
	struct xbt_trans	*tp;		/* explicit transaction */
	struct fo_model		m;		/* what the tree must hold */
	struct fo_model		saved;		/* m when tp began */
	struct fuzz_in		in;
	bool			wide;		/* bigger key space */
	bool			fault_armed;	/* ENOSPC may come */
	unsigned int		step;
	/*
	 * What the statistics must say: changes count when their
	 * transaction commits, so the open one's wait in pend.
	 */
	uint64_t		inserts, deletes, updates, lookups;
	uint64_t		commits, cancels;
	struct {
		uint64_t	inserts, deletes, updates;
	}			pend;
};

/* ---- records and keys from the input -------------------------------- */

/* A valid record of the type, its fields from the input. */
static void
fo_gen_rec(struct fo_state *s, uint8_t *rec)
{
	struct fuzz_in	*in = &s->in;

	if (s->ops == &kvbt_ops) {
		uint64_t	k = s->wide ? fuzz_u16(in) % 2048 : fuzz_u8(in);

		kvbt_rec_init(rec, k, fuzz_u8(in));
	} else if (s->ops == &rmapbt_ops) {
		struct rmapbt_irec	r;
		uint8_t			ob, fl;

		r.startblock = s->wide ? fuzz_u16(in) % 512 :
					 fuzz_u8(in) % 64;
		r.blockcount = 1 + fuzz_u8(in) % 16;
		ob = fuzz_u8(in);
		fl = fuzz_u8(in);
		r.offset = fl >> 3;
		r.flags = fl & RMAPBT_F_ALL;
		if (ob < 224) {
			r.owner = 1 + ob % 8;
		} else {
			r.owner = RMAPBT_OWN_NULL - ob % RMAPBT_NR_SPECIAL;
			r.offset = 0;
			r.flags = 0;
		}
		if (r.flags & RMAPBT_F_BMBT)
			r.offset = 0;
		if (r.flags & (RMAPBT_F_ATTR | RMAPBT_F_BMBT))
			r.flags &= ~RMAPBT_F_UNWRITTEN;
		rmapbt_rec_init(rec, &r);
	} else {
		struct refcbt_irec	r;
		uint8_t			c;

		r.startblock = s->wide ? fuzz_u16(in) % 1024 :
					 fuzz_u8(in) % 128;
		r.blockcount = 1 + fuzz_u8(in) % 8;
		c = fuzz_u8(in);
		r.cow = c & 1;
		r.refcount = r.cow ? 1 : 2 + (c >> 1) % 4;
		refcbt_rec_init(rec, &r);
	}
	FUZZ_ASSERT(!s->ops->verify_rec || !s->ops->verify_rec(rec));
}

/*
 * A key: the low or high key of a generated record, or of a record the
 * model holds (so that lookups hit).
 */
static void
fo_gen_key(struct fo_state *s, uint8_t *key)
{
	uint8_t		rec[XBT_REC_MAX];
	uint8_t		sel = fuzz_u8(&s->in);

	if ((sel & 2) && s->m.recs.len)
		memcpy(rec, m_rec(&s->m, (sel >> 2) % s->m.recs.len),
		       s->ops->rec_len);
	else
		fo_gen_rec(s, rec);
	if (sel & 1)
		s->ops->init_high_key_from_rec(key, rec);
	else
		s->ops->init_key_from_rec(key, rec);
}

/* ---- checks ----------------------------------------------------------- */

static void
fo_report(uint64_t bno, const char *msg, void *priv)
{
	(void)priv;
	fprintf(stderr, "check: block %llu: %s\n", (unsigned long long)bno,
		msg);
}

static void
fo_check(struct xbtree *bt)
{
	uint64_t	problems = ~0ULL;

	FUZZ_ASSERT_EQ(xbtree_check(bt, fo_report, NULL, &problems), 0);
	FUZZ_ASSERT_EQ(problems, 0);
}

/* The tree holds exactly the model, and the statistics add up. */
static void
fo_compare(struct fo_state *s)
{
	static const uint8_t	zero[XBT_KEY_MAX];
	const struct xbt_ops	*ops = s->ops;
	struct xbtree_stats	st;
	struct xbt_cur		cur;
	uint64_t		nblocks = 0, bno;
	size_t			i = 0;
	int			stat;

	xbt_cur_init(&cur, s->bt);
	FUZZ_ASSERT_EQ(xbt_lookup(&cur, XBT_LOOKUP_GE, zero, &stat), 0);
	while (stat) {
		FUZZ_ASSERT(i < s->m.recs.len);
		FUZZ_ASSERT(!memcmp(xbt_cur_rec(&cur), m_rec(&s->m, i),
				    ops->rec_len));
		i++;
		FUZZ_ASSERT_EQ(xbt_increment(&cur, &stat), 0);
	}
	FUZZ_ASSERT_EQ(i, s->m.recs.len);
	FUZZ_ASSERT_EQ(xbtree_nrecords(s->bt), s->m.recs.len);
	FUZZ_ASSERT(xbtree_data_size(s->bt) == s->m.data_size);

	xbtree_get_stats(s->bt, &st);
	for (bno = 0; xbtree_next_block(s->bt, bno, &bno); bno++)
		nblocks++;
	FUZZ_ASSERT_EQ(st.records, s->m.recs.len);
	FUZZ_ASSERT_EQ(st.blocks, nblocks);
	FUZZ_ASSERT(st.height >= 1 && st.height <= XBT_MAXLEVELS);
	FUZZ_ASSERT(st.data_size == s->m.data_size);
	FUZZ_ASSERT(!st.corrupt);
	FUZZ_ASSERT_EQ(st.inserts, s->inserts);
	FUZZ_ASSERT_EQ(st.deletes, s->deletes);
	FUZZ_ASSERT_EQ(st.updates, s->updates);
	FUZZ_ASSERT_EQ(st.lookups, s->lookups);
	FUZZ_ASSERT_EQ(st.commits, s->commits);
	FUZZ_ASSERT_EQ(st.cancels, s->cancels);
}

/* ---- transactions ----------------------------------------------------- */

static void
fo_disarm(struct fo_state *s)
{
	xmem_fault_disarm();
	s->fault_armed = false;
}

/* One transaction at a time (a second is a caller bug: ASSERT). */
static void
fo_begin(struct fo_state *s)
{
	if (s->tp)
		return;
	FUZZ_ASSERT_EQ(xbt_trans_alloc(s->bt, &s->tp), 0);
	m_copy(&s->saved, &s->m);
}

static void
fo_commit(struct fo_state *s)
{
	if (!s->tp)
		return;
	FUZZ_ASSERT_EQ(xbt_trans_commit(s->tp), 0);
	s->tp = NULL;
	s->commits++;
	s->inserts += s->pend.inserts;
	s->deletes += s->pend.deletes;
	s->updates += s->pend.updates;
	memset(&s->pend, 0, sizeof(s->pend));
	fo_disarm(s);
}

/* Cancel: the tree must be the model as it was at begin. */
static void
fo_cancel(struct fo_state *s)
{
	if (!s->tp)
		return;
	xbt_trans_cancel(s->tp);
	s->tp = NULL;
	s->cancels++;
	memset(&s->pend, 0, sizeof(s->pend));
	fo_disarm(s);
	m_copy(&s->m, &s->saved);
	fo_check(s->bt);
	fo_compare(s);
}

/*
 * Around one change: a transaction of its own unless one is open.
 * fo_change_end() takes the change's error: an error is only allowed if
 * @allowed says so (and -ENOSPC while a fault is armed), and cancels the
 * transaction; else a transaction of its own is committed.
 */
static bool
fo_change_begin(struct fo_state *s)
{
	bool	own = !s->tp;

	if (own)
		fo_begin(s);
	return own;
}

static void
fo_change_end(struct fo_state *s, bool own, int error, int allowed)
{
	if (error) {
		FUZZ_ASSERT((error == -ENOSPC && s->fault_armed) ||
			    (allowed && error == allowed));
		fo_cancel(s);
		return;
	}
	if (own)
		fo_commit(s);
}

/* ---- operations ------------------------------------------------------- */

static void
fo_insert(struct fo_state *s)
{
	uint8_t		rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	size_t		pos;
	bool		found, own, want;
	int		error, stat = -1;

	fo_gen_rec(s, rec);
	s->ops->init_key_from_rec(key, rec);
	pos = m_lower(&s->m, key, &found);
	want = !found && !m_overlaps(&s->m, pos, rec, false);
	own = fo_change_begin(s);
	error = xbt_insert(s->tp, rec, &stat);
	if (!error) {
		FUZZ_ASSERT_EQ(stat, want);
		if (stat) {
			m_insert_at(&s->m, pos, rec);
			s->pend.inserts++;
		}
	}
	fo_change_end(s, own, error, 0);
}

/* Delete by key (@by_rec: by key and record). */
static void
fo_delete(struct fo_state *s, bool by_rec)
{
	const struct xbt_ops	*ops = s->ops;
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	uint8_t			old[XBT_REC_MAX];
	uint8_t			sel = fuzz_u8(&s->in);
	size_t			pos;
	bool			found, own, want;
	int			error, stat = -1;

	/* Mostly records the model holds, so that deletes hit. */
	if ((sel & 3) && s->m.recs.len) {
		memcpy(rec, m_rec(&s->m, (sel >> 2) % s->m.recs.len),
		       ops->rec_len);
		/* Sometimes a record with the key but other contents. */
		if (by_rec && (sel & 3) == 3)
			rec[ops->rec_len - 1] ^= 1;
	} else {
		fo_gen_rec(s, rec);
	}
	ops->init_key_from_rec(key, rec);
	pos = m_lower(&s->m, key, &found);
	want = found && (!by_rec ||
			 !memcmp(m_rec(&s->m, pos), rec, ops->rec_len));
	own = fo_change_begin(s);
	error = xbt_delete(s->tp, key, by_rec ? rec : NULL, old, &stat);
	if (!error) {
		FUZZ_ASSERT_EQ(stat, want);
		if (stat) {
			FUZZ_ASSERT(!memcmp(old, m_rec(&s->m, pos),
					    ops->rec_len));
			m_remove_at(&s->m, pos);
			s->pend.deletes++;
		}
	}
	fo_change_end(s, own, error, 0);
}

static void
fo_update(struct fo_state *s)
{
	const struct xbt_ops	*ops = s->ops;
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	uint8_t			sel = fuzz_u8(&s->in);
	size_t			pos;
	bool			found, own, overlap = false;
	int			error, stat = -1;

	/* A new record, given the key of one the model holds if asked. */
	fo_gen_rec(s, rec);
	if ((sel & 1) && s->m.recs.len) {
		const uint8_t	*old = m_rec(&s->m, (sel >> 1) % s->m.recs.len);

		if (ops == &kvbt_ops) {
			memcpy(rec, old, KVBT_KEY_LEN);
		} else if (ops == &rmapbt_ops) {
			struct rmapbt_irec	o, r;

			/* Same start, owner, offset, attr and bmbt. */
			rmapbt_rec_get(old, &o);
			rmapbt_rec_get(rec, &r);
			o.blockcount = r.blockcount;
			if ((o.flags & RMAPBT_F_UNWRITTEN) ||
			    (rmapbt_owner_is_inode(o.owner) &&
			     !(o.flags & (RMAPBT_F_ATTR | RMAPBT_F_BMBT))))
				o.flags = (o.flags & ~RMAPBT_F_UNWRITTEN) |
					  (r.flags & RMAPBT_F_UNWRITTEN);
			rmapbt_rec_init(rec, &o);
		} else {
			memcpy(rec, old, REFCBT_KEY_LEN);
			/* The domain came with the start; keep refcount legal. */
			if (get_be32(rec) & REFCBT_COW_BIT)
				put_be32(rec + REFCBT_REC_REFCOUNT_OFF, 1);
			else if (get_be32(rec + REFCBT_REC_REFCOUNT_OFF) < 2)
				put_be32(rec + REFCBT_REC_REFCOUNT_OFF, 2);
			if ((uint64_t)(get_be32(rec) & REFCBT_START_MAX) +
			    get_be32(rec + REFCBT_REC_COUNT_OFF) >
			    REFCBT_COW_BIT)
				put_be32(rec + REFCBT_REC_COUNT_OFF, 1);
		}
		FUZZ_ASSERT(!ops->verify_rec || !ops->verify_rec(rec));
	}
	ops->init_key_from_rec(key, rec);
	pos = m_lower(&s->m, key, &found);
	if (found)
		overlap = m_overlaps(&s->m, pos, rec, true);
	own = fo_change_begin(s);
	error = xbt_update(s->tp, rec, &stat);
	if (error == -EEXIST) {
		FUZZ_ASSERT(found && overlap);
	} else if (!error) {
		FUZZ_ASSERT(!overlap);
		FUZZ_ASSERT_EQ(stat, found);
		if (stat) {
			memcpy(m_rec(&s->m, pos), rec, ops->rec_len);
			s->pend.updates++;
		}
	}
	fo_change_end(s, own, error, -EEXIST);
}

/* kv: new values for a run of records in the leaf of a cursor. */
static void
fo_cur_modify(struct fo_state *s)
{
	uint8_t		key[XBT_KEY_MAX];
	struct xbt_cur	cur;
	uint8_t		*recs;
	void		*p;
	size_t		pos;
	unsigned int	n, i, room;
	uint8_t		val = fuzz_u8(&s->in), cnt = fuzz_u8(&s->in);
	bool		found, own;
	int		error, stat;

	if (s->ops != &kvbt_ops)
		return;
	fo_gen_key(s, key);
	pos = m_lower(&s->m, key, &found);
	own = fo_change_begin(s);
	xbt_cur_init(&cur, s->bt);
	error = xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat);
	if (!error && stat) {
		FUZZ_ASSERT(pos < s->m.recs.len);
		FUZZ_ASSERT(xbt_cur_leaf_recs(&cur, &room) ==
			    xbt_cur_rec(&cur));
		FUZZ_ASSERT(room >= 1);
		n = 1 + cnt % room;
		FUZZ_ASSERT(pos + n <= s->m.recs.len);
		error = xbt_cur_modify(&cur, n, &p);
		if (!error) {
			/* Counted as n updates. */
			s->pend.updates += n;
			recs = p;
			for (i = 0; i < n; i++) {
				uint8_t	*r = recs + i * KVBT_REC_LEN;

				FUZZ_ASSERT(!memcmp(r, m_rec(&s->m, pos + i),
						    KVBT_REC_LEN));
				kvbt_rec_init(r, kvbt_rec_key(r),
					      (uint64_t)val * 1000 + i);
				memcpy(m_rec(&s->m, pos + i), r,
				       KVBT_REC_LEN);
			}
		}
	} else if (!error) {
		FUZZ_ASSERT(pos == s->m.recs.len);
	}
	fo_change_end(s, own, error, 0);
}

static void
fo_data_size(struct fo_state *s)
{
	uint64_t	v = fuzz_u32(&s->in);
	bool		own = fo_change_begin(s);
	int		error;

	error = xbt_trans_set_data_size(s->tp, v);
	if (!error)
		s->m.data_size = v;
	fo_change_end(s, own, error, 0);
}

/* The model's answer to a lookup: index, or -1 for none. */
static long
fo_expect(const struct fo_model *m, enum xbt_lookup dir, const void *key)
{
	bool	found;
	size_t	pos = m_lower(m, key, &found);

	switch (dir) {
	case XBT_LOOKUP_EQ:
		return found ? (long)pos : -1;
	case XBT_LOOKUP_GE:
		return pos < m->recs.len ? (long)pos : -1;
	case XBT_LOOKUP_LE:
		return found ? (long)pos : (long)pos - 1;
	}
	return -1;
}

static void
fo_get(struct fo_state *s)
{
	enum xbt_lookup	dir = fuzz_u8(&s->in) % 3;
	uint8_t		key[XBT_KEY_MAX], rec[XBT_REC_MAX];
	long		want;
	int		stat = -1;

	fo_gen_key(s, key);
	want = fo_expect(&s->m, dir, key);
	xbtree_prefetch(s->bt, key);	/* a hint: nothing to check */
	FUZZ_ASSERT_EQ(xbtree_get(s->bt, dir, key, rec, &stat), 0);
	s->lookups++;
	FUZZ_ASSERT_EQ(stat, want >= 0);
	if (stat)
		FUZZ_ASSERT(!memcmp(rec, m_rec(&s->m, want), s->ops->rec_len));
}

/* A range query's callback, checking each record as it comes. */
struct fo_query {
	struct fo_state	*s;
	const uint8_t	*low, *high;
	size_t		pos;		/* model index to look from */
	size_t		seen;
	size_t		stop_at;	/* 0: never */
	int		ret_at_stop;	/* XBT_QUERY_STOP or -EIO */
};

/* Does model record @i meet [low, high]? */
static bool
fo_meets(const struct fo_model *m, size_t i, const void *low,
		const void *high)
{
	uint8_t		lk[XBT_KEY_MAX], hk[XBT_KEY_MAX];

	m->ops->init_key_from_rec(lk, m_rec(m, i));
	m->ops->init_high_key_from_rec(hk, m_rec(m, i));
	return m->ops->cmp_keys(lk, high) <= 0 &&
	       m->ops->cmp_keys(hk, low) >= 0;
}

static int
fo_query_fn(const void *rec, void *priv)
{
	struct fo_query		*q = priv;
	const struct fo_model	*m = &q->s->m;

	/* The next model record that meets the range must be this one. */
	while (q->pos < m->recs.len && !fo_meets(m, q->pos, q->low, q->high))
		q->pos++;
	FUZZ_ASSERT(q->pos < m->recs.len);
	FUZZ_ASSERT(!memcmp(rec, m_rec(m, q->pos), m->ops->rec_len));
	q->pos++;
	q->seen++;
	if (q->stop_at && q->seen == q->stop_at)
		return q->ret_at_stop;
	return 0;
}

static void
fo_query(struct fo_state *s)
{
	const struct fo_model	*m = &s->m;
	uint8_t			low[XBT_KEY_MAX], high[XBT_KEY_MAX];
	uint8_t			c = fuzz_u8(&s->in);
	struct fo_query		q = { .s = s, .low = low, .high = high };
	size_t			total = 0, i;
	int			error;

	fo_gen_key(s, low);
	fo_gen_key(s, high);
	if (c % 4 == 2 || c % 4 == 3) {
		q.stop_at = (c >> 2) % 8 + 1;
		q.ret_at_stop = c % 4 == 2 ? XBT_QUERY_STOP : -EIO;
	}
	error = xbtree_query_range(s->bt, low, high, fo_query_fn, &q);
	if (s->ops->cmp_keys(low, high) > 0) {
		FUZZ_ASSERT_EQ(error, -EINVAL);
		FUZZ_ASSERT_EQ(q.seen, 0);
		return;
	}
	s->lookups++;
	for (i = 0; i < m->recs.len; i++)
		total += fo_meets(m, i, low, high);
	if (q.stop_at && total >= q.stop_at) {
		FUZZ_ASSERT_EQ(q.seen, q.stop_at);
		FUZZ_ASSERT_EQ(error, q.ret_at_stop == -EIO ? -EIO : 0);
	} else {
		FUZZ_ASSERT_EQ(error, 0);
		FUZZ_ASSERT_EQ(q.seen, total);
	}
}

/*
 * A cursor: look up, then step.  The model position runs from -1 (before
 * the first record) to n (past the last); a step past either end stays
 * there, and the step back lands on the end record.
 */
static void
fo_walk(struct fo_state *s)
{
	const struct fo_model	*m = &s->m;
	enum xbt_lookup		dir = fuzz_u8(&s->in) % 3;
	uint8_t			key[XBT_KEY_MAX];
	struct xbt_cur		cur;
	unsigned int		steps, i;
	uint32_t		moves;
	long			pos;
	int			stat = -1;

	fo_gen_key(s, key);
	steps = fuzz_u8(&s->in) % 32;
	moves = fuzz_u32(&s->in);
	pos = fo_expect(m, dir, key);
	xbt_cur_init(&cur, s->bt);
	FUZZ_ASSERT_EQ(xbt_lookup(&cur, dir, key, &stat), 0);
	FUZZ_ASSERT_EQ(stat, pos >= 0);
	if (stat)
		FUZZ_ASSERT(!memcmp(xbt_cur_rec(&cur), m_rec(m, pos),
				    s->ops->rec_len));
	else if (dir == XBT_LOOKUP_EQ)
		return;		/* off any record: no place to step from */
	else
		pos = dir == XBT_LOOKUP_GE ? (long)m->recs.len : -1;

	for (i = 0; i < steps; i++) {
		if ((moves >> i) & 1) {
			FUZZ_ASSERT_EQ(xbt_increment(&cur, &stat), 0);
			if (pos < (long)m->recs.len)
				pos++;
		} else {
			FUZZ_ASSERT_EQ(xbt_decrement(&cur, &stat), 0);
			if (pos >= 0)
				pos--;
		}
		FUZZ_ASSERT_EQ(stat, pos >= 0 && pos < (long)m->recs.len);
		if (stat)
			FUZZ_ASSERT(!memcmp(xbt_cur_rec(&cur), m_rec(m, pos),
					    s->ops->rec_len));
	}
}

static void
fo_fault(struct fo_state *s)
{
	xmem_fault_arm(1 + fuzz_u8(&s->in) % 4, XMEM_PAGES, -ENOSPC);
	s->fault_armed = true;
}

/* ---- bulk load -------------------------------------------------------- */

enum fo_defect {
	FO_DEFECT_NONE,
	FO_DEFECT_DUP,		/* a record twice: -EEXIST */
	FO_DEFECT_SWAP,		/* two neighbours swapped: -EINVAL */
	FO_DEFECT_FEWER,	/* one record less than promised: -EINVAL */
	FO_DEFECT_MORE,		/* one more than promised: -EINVAL */
	FO_DEFECT_BADREC,	/* a record failing verify_rec: -EINVAL */
	FO_DEFECT_EIO,		/* the source fails: -EIO */
	FO_NR_DEFECTS
};

struct fo_source {
	const struct fo_model	*m;
	size_t			i;
	size_t			n;		/* records it hands out */
	long			eio_at;		/* -1: never */
	long			bad_at;		/* -1: never */
	uint64_t		nrecs;		/* promised to the load */
	uint64_t		progress;	/* last progress report */
};

/* Progress: never backwards, never past what was handed out. */
static void
fo_source_progress(uint64_t done, void *priv)
{
	struct fo_source	*src = priv;

	FUZZ_ASSERT(done >= src->progress);
	FUZZ_ASSERT(done <= src->i && done <= src->nrecs);
	src->progress = done;
}

static int
fo_source_next(void *rec, void *priv)
{
	struct fo_source	*src = priv;
	const struct xbt_ops	*ops = src->m->ops;

	if ((long)src->i == src->eio_at)
		return -EIO;
	if (src->i >= src->n)
		return 0;
	memcpy(rec, m_rec(src->m, src->i % src->m->recs.len), ops->rec_len);
	if ((long)src->i == src->bad_at) {
		/* kv has no rules; these break one of the other two's. */
		if (ops == &rmapbt_ops)
			put_be32((uint8_t *)rec + RMAPBT_REC_COUNT_OFF, 0);
		else
			put_be32((uint8_t *)rec + REFCBT_REC_COUNT_OFF, 0);
	}
	src->i++;
	return 1;
}

/*
 * The bulk-loaded tree's shape: what xbt_bload_geometry() said, and
 * every level cut into ceil(entries / maxrecs) blocks holding an even
 * share each (the first ones one more).
 */
static void
fo_check_bload_shape(struct xbtree *bt, const struct xbt_ops *ops,
		uint64_t nrecs)
{
	struct xbtree_stats	st;
	unsigned int		height, level;
	uint64_t		blocks, bno, entries, nb, per;
	uint64_t		count[XBT_MAXLEVELS] = { 0 };
	uint64_t		extra[XBT_MAXLEVELS] = { 0 };
	uint8_t			*buf = malloc(FO_BLOCKSIZE);
	struct xbt_block	*b = (struct xbt_block *)buf;
	uint64_t		sum[XBT_MAXLEVELS] = { 0 };

	FUZZ_ASSERT(buf != NULL);
	FUZZ_ASSERT_EQ(xbt_bload_geometry(ops, FO_BLOCKSIZE, nrecs, &height,
					     &blocks), 0);
	xbtree_get_stats(bt, &st);
	FUZZ_ASSERT_EQ(st.height, height);
	FUZZ_ASSERT_EQ(st.blocks, blocks + 1);
	FUZZ_ASSERT_EQ(st.records, nrecs);

	for (bno = 1; xbtree_next_block(bt, bno, &bno); bno++) {
		FUZZ_ASSERT_EQ(xbtree_read_block(bt, bno, buf), 0);
		level = xbt_level(b);
		FUZZ_ASSERT(level < height);
		count[level]++;
		sum[level] += xbt_numrecs(b);
	}
	entries = nrecs;
	for (level = 0; level < height; level++) {
		unsigned int	max = st.maxrecs[level > 0];

		nb = entries <= max ? 1 : (entries + max - 1) / max;
		FUZZ_ASSERT_EQ(count[level], nb);
		FUZZ_ASSERT_EQ(sum[level], entries);
		entries = nb;
	}
	FUZZ_ASSERT_EQ(entries, 1);
	/* Even shares: per or per + 1 each, entries % nb of the latter. */
	for (bno = 1; xbtree_next_block(bt, bno, &bno); bno++) {
		FUZZ_ASSERT_EQ(xbtree_read_block(bt, bno, buf), 0);
		level = xbt_level(b);
		per = sum[level] / count[level];
		FUZZ_ASSERT(xbt_numrecs(b) == per || xbt_numrecs(b) == per + 1);
		extra[level] += xbt_numrecs(b) == per + 1;
	}
	for (level = 0; level < height; level++)
		FUZZ_ASSERT_EQ(extra[level], sum[level] % count[level]);
	free(buf);
}

/*
 * Load @set into a new tree (watching its progress reports if asked):
 * it replaces the tree, or the load fails as @defect says.
 */
static void
fo_load(struct fo_state *s, struct fo_model *set, enum fo_defect defect,
		size_t where, bool progress)
{
	struct fo_source	src = {
		.m = set, .n = set->recs.len, .eio_at = -1, .bad_at = -1,
	};
	struct xbtree		*nbt = NULL;
	struct xbtree_stats	st;
	uint64_t		nrecs = set->recs.len, used;
	int			error, want = 0;

	switch (defect) {
	case FO_DEFECT_NONE:
		break;
	case FO_DEFECT_DUP: {
		uint8_t	dup[XBT_REC_MAX];

		/* Record where + 1 is record where again. */
		memcpy(dup, m_rec(set, where), set->ops->rec_len);
		m_insert_at(set, where + 1, dup);
		src.n = nrecs = set->recs.len;
		want = -EEXIST;
		break;
	}
	case FO_DEFECT_SWAP: {
		uint8_t	tmp[XBT_REC_MAX];
		unsigned int len = set->ops->rec_len;

		memcpy(tmp, m_rec(set, where), len);
		memcpy(m_rec(set, where), m_rec(set, where + 1), len);
		memcpy(m_rec(set, where + 1), tmp, len);
		want = -EINVAL;
		break;
	}
	case FO_DEFECT_FEWER:
		src.n = nrecs - 1;
		want = -EINVAL;
		break;
	case FO_DEFECT_MORE:
		src.n = nrecs + 1;	/* the extra one repeats the first */
		want = -EINVAL;
		break;
	case FO_DEFECT_BADREC:
		src.bad_at = where;
		want = -EINVAL;
		break;
	case FO_DEFECT_EIO:
		src.eio_at = where;
		want = -EIO;
		break;
	default:
		break;
	}

	used = xfile_memory_used();
	src.nrecs = nrecs;
	error = xbtree_bload(s->ops, &fo_params, nrecs, fo_source_next, &src,
			     progress ? fo_source_progress : NULL, &nbt);
	if (error) {
		/* Nothing left behind, whatever the reason. */
		FUZZ_ASSERT(nbt == NULL);
		FUZZ_ASSERT(xfile_memory_used() == used);
		if (error == -ENOSPC && s->fault_armed)
			fo_disarm(s);
		else
			FUZZ_ASSERT_EQ(error, want);
		return;
	}
	FUZZ_ASSERT_EQ(want, 0);
	FUZZ_ASSERT(nbt != NULL);
	fo_check(nbt);
	fo_check_bload_shape(nbt, s->ops, nrecs);

	/* The new tree replaces the old one; its statistics start afresh. */
	xbtree_destroy(s->bt);
	s->bt = nbt;
	m_copy(&s->m, set);
	s->m.data_size = 0;
	xbtree_get_stats(nbt, &st);
	s->inserts = st.inserts;
	s->deletes = st.deletes;
	s->updates = st.updates;
	s->lookups = st.lookups;
	s->commits = st.commits;
	s->cancels = st.cancels;
	fo_compare(s);
}

/*
 * The kind byte: bit 0, load a set of the program's own (else the
 * model's records); bit 1, with a defect, (kind >> 2) % 6 picks it; bit 7,
 * watch the progress reports.
 */
static void
fo_bload(struct fo_state *s)
{
	struct fo_model	set = {
		.ops = s->ops, .recs = XMEM_ARRAY_INIT(s->ops->rec_len),
	};
	uint8_t		kind = fuzz_u8(&s->in);
	uint8_t		rec[XBT_REC_MAX];
	enum fo_defect	defect = FO_DEFECT_NONE;
	size_t		where = 0;
	unsigned int	i, k;

	if (s->tp)
		return;		/* the load is for a tree no one writes */
	if (kind & 1) {
		/* A set of the program's own, made valid by the model. */
		k = fuzz_u8(&s->in);
		for (i = 0; i < k; i++) {
			fo_gen_rec(s, rec);
			m_insert(&set, rec);
		}
	} else {
		m_copy(&set, &s->m);
	}
	if (kind & 2) {
		defect = 1 + (kind >> 2) % (FO_NR_DEFECTS - 1);
		if (defect == FO_DEFECT_BADREC && s->ops == &kvbt_ops)
			defect = FO_DEFECT_EIO;
		/* Defects need records to work on: two for a swap. */
		if (set.recs.len < 2)
			defect = FO_DEFECT_NONE;
		else
			where = fuzz_u8(&s->in) % (set.recs.len - 1);
	}
	fo_load(s, &set, defect, where, kind & 0x80);
	xmem_array_release(&set.recs);
}

/* ---- the interpreter -------------------------------------------------- */

enum fo_op {
	FO_INSERT, FO_INSERT2, FO_INSERT3, FO_DELETE, FO_DELETE_REC,
	FO_UPDATE, FO_GET, FO_QUERY, FO_WALK, FO_BEGIN, FO_COMMIT,
	FO_CANCEL, FO_FAULT, FO_BLOAD, FO_DATA_SIZE, FO_CUR_MODIFY,
	FO_COMPARE, FO_NR_OPS
};

static void
fo_step(struct fo_state *s, unsigned int op)
{
	switch (op) {
	case FO_INSERT:
	case FO_INSERT2:
	case FO_INSERT3:
		fo_insert(s);
		break;
	case FO_DELETE:
		fo_delete(s, false);
		break;
	case FO_DELETE_REC:
		fo_delete(s, true);
		break;
	case FO_UPDATE:
		fo_update(s);
		break;
	case FO_GET:
		fo_get(s);
		break;
	case FO_QUERY:
		fo_query(s);
		break;
	case FO_WALK:
		fo_walk(s);
		break;
	case FO_BEGIN:
		fo_begin(s);
		break;
	case FO_COMMIT:
		fo_commit(s);
		break;
	case FO_CANCEL:
		fo_cancel(s);
		break;
	case FO_FAULT:
		fo_fault(s);
		break;
	case FO_BLOAD:
		fo_bload(s);
		break;
	case FO_DATA_SIZE:
		fo_data_size(s);
		break;
	case FO_CUR_MODIFY:
		fo_cur_modify(s);
		break;
	case FO_COMPARE:
		if (!s->tp)
			fo_compare(s);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fo_state	s = { .in = { .p = data, .len = size } };
	uint8_t		head = fuzz_u8(&s.in);

	fuzz_quiet();
	s.ops = fo_types[head % 3];
	s.wide = head & 4;
	s.m.ops = s.saved.ops = s.ops;
	xmem_array_init(&s.m.recs, s.ops->rec_len);
	xmem_array_init(&s.saved.recs, s.ops->rec_len);
	FUZZ_ASSERT_EQ(xbtree_create(s.ops, &fo_params, &s.bt), 0);

	while (fuzz_more(&s.in) && s.step < FO_MAX_OPS) {
		fo_step(&s, fuzz_u8(&s.in) % FO_NR_OPS);
		s.step++;
		FUZZ_ASSERT_EQ(xbtree_nrecords(s.bt), s.m.recs.len);
		if (!s.tp && (s.m.recs.len <= 128 || s.step % 8 == 0))
			fo_check(s.bt);
		if (!s.tp && s.step % 32 == 0)
			fo_compare(&s);
	}
	fo_commit(&s);
	fo_check(s.bt);
	fo_compare(&s);

	xbtree_destroy(s.bt);
	fo_disarm(&s);
	xmem_array_release(&s.m.recs);
	xmem_array_release(&s.saved.recs);
	return 0;
}
