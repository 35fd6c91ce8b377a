// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_btree_rmap.c: the rmap record type (btree_rmap.[ch]).
 *
 * Unit tests: the record and key bytes against the layout written out
 * independently here, every verify_rec rule (accepted and rejected), the
 * high-key rule for each kind of owner and fork, and the key order
 * (startblock, owner, offset with attr and bmbt, unwritten ignored).
 *
 * Model test: seeded random inserts and deletes of heavily overlapping
 * extents (many owners of the same blocks, the same start with different
 * owners and offsets, every valid flag combination, special owners,
 * extents at the top of the block space) in transactions, one in six
 * cancelled.  The model is an array of records plus a GLib GTree ordered
 * by a key compare written here from the reference, not by the code under
 * test.  After every batch: the structure check; then block-range queries
 * and random key-range queries, each answer compared record by record (and
 * in order) with a brute-force scan of the model, whose high keys are also
 * computed here.  Every few batches the whole tree is compared in order.
 * Block sizes 512 (deep trees) and 4096.
 *
 * Sizes scale with $XFB_TEST_SCALE; $XFB_TEST_SEED repeats a run.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_rmap.h"
#include "tests/lib/btree_test.h"
#include "tests/lib/model.h"

#define BIT_ATTR	(1ULL << 63)
#define BIT_BMBT	(1ULL << 62)
#define BIT_UNWRITTEN	(1ULL << 61)
#define OFF_LIMIT	(1ULL << 54)

/* ---- the model's own view of records and keys ------------------------- */

/* A key as the reference defines it: offset carries attr and bmbt. */
struct mkey {
	uint32_t	start;
	uint64_t	owner;
	uint64_t	off;
};

static int
mkey_cmp(const struct mkey *a, const struct mkey *b)
{
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return 0;
}

static uint64_t
packed_offset(const struct rmapbt_irec *r)
{
	return r->offset | (r->flags & RMAPBT_F_ATTR ? BIT_ATTR : 0) |
	       (r->flags & RMAPBT_F_BMBT ? BIT_BMBT : 0) |
	       (r->flags & RMAPBT_F_UNWRITTEN ? BIT_UNWRITTEN : 0);
}

static struct mkey
model_low(const struct rmapbt_irec *r)
{
	return (struct mkey){ r->startblock, r->owner,
			      packed_offset(r) & ~BIT_UNWRITTEN };
}

/* The reference's high-key rule, written out again. */
static struct mkey
model_high(const struct rmapbt_irec *r)
{
	struct mkey	k = model_low(r);
	bool		inode = !(r->owner >> 63);

	k.start += r->blockcount - 1;
	if (inode && !(r->flags & RMAPBT_F_BMBT))
		k.off += r->blockcount - 1;
	return k;
}

/* Record bytes from the layout table, independently of rmapbt_rec_init. */
static void
model_rec_bytes(const struct rmapbt_irec *r, uint8_t *b)
{
	put_be32(b, r->startblock);
	put_be32(b + 4, r->blockcount);
	put_be64(b + 8, r->owner);
	put_be64(b + 16, packed_offset(r));
}

static void
mkey_bytes(const struct mkey *k, uint8_t *b)
{
	put_be32(b, k->start);
	put_be64(b + 4, k->owner);
	put_be64(b + 12, k->off);
}

/* ---- unit tests -------------------------------------------------------- */

static struct rmapbt_irec
irec(uint32_t start, uint32_t count, uint64_t owner, uint64_t offset,
		unsigned int flags)
{
	return (struct rmapbt_irec){ start, count, owner, offset, flags };
}

START_TEST(test_layout)
{
	struct rmapbt_irec	r = irec(0x01020304, 0x05060708,
					 0x1112131415161718ULL,
					 0x0021222324252627ULL,
					 RMAPBT_F_ATTR | RMAPBT_F_BMBT), g;
	static const uint8_t	want[24] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0xC0, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	};
	uint8_t			rec[24], key[20];
	unsigned int		f;

	ck_assert_uint_eq(rmapbt_ops.rec_len, 24);
	ck_assert_uint_eq(rmapbt_ops.key_len, 20);
	ck_assert_uint_eq(rmapbt_ops.magic, 0x524D4233);
	ck_assert_str_eq(rmapbt_ops.name, "rmap");
	ck_assert_uint_eq(rmapbt_ops.flags, XBT_OPS_OVERLAPPING);

	rmapbt_rec_init(rec, &r);
	ck_assert_mem_eq(rec, want, 24);
	rmapbt_rec_get(rec, &g);
	ck_assert_uint_eq(g.startblock, r.startblock);
	ck_assert_uint_eq(g.blockcount, r.blockcount);
	ck_assert_uint_eq(g.owner, r.owner);
	ck_assert_uint_eq(g.offset, r.offset);
	ck_assert_uint_eq(g.flags, r.flags);

	/* Each flag alone lands on its bit and comes back. */
	for (f = 0; f <= RMAPBT_F_ALL; f++) {
		uint8_t	mine[24];

		r = irec(7, 3, 99, 12345, f);
		rmapbt_rec_init(rec, &r);
		model_rec_bytes(&r, mine);
		ck_assert_mem_eq(rec, mine, 24);
		rmapbt_rec_get(rec, &g);
		ck_assert_uint_eq(g.flags, f);
		ck_assert_uint_eq(g.offset, 12345);
	}

	/* The low key: start, owner, offset; bit 61 cleared. */
	r = irec(10, 5, 77, 1000, RMAPBT_F_UNWRITTEN);
	rmapbt_rec_init(rec, &r);
	rmapbt_ops.init_key_from_rec(key, rec);
	ck_assert_uint_eq(get_be32(key), 10);
	ck_assert_uint_eq(get_be64(key + 4), 77);
	ck_assert_uint_eq(get_be64(key + 12), 1000);

	/* key_init: attr and bmbt go in, unwritten does not. */
	rmapbt_key_init(key, 5, 6, 7, RMAPBT_F_ALL);
	ck_assert_uint_eq(get_be32(key), 5);
	ck_assert_uint_eq(get_be64(key + 4), 6);
	ck_assert_uint_eq(get_be64(key + 12), 7 | BIT_ATTR | BIT_BMBT);
}
END_TEST

START_TEST(test_owners)
{
	static const char *const names[] = {
		"null", "unknown", "fs", "log", "ag", "inobt", "inodes",
		"refc", "cow",
	};
	uint64_t	own;
	unsigned int	i;

	ck_assert_uint_eq(RMAPBT_OWN_NULL, UINT64_MAX);
	ck_assert_uint_eq(RMAPBT_OWN_UNKNOWN, UINT64_MAX - 1);
	ck_assert_uint_eq(RMAPBT_OWN_FS, UINT64_MAX - 2);
	ck_assert_uint_eq(RMAPBT_OWN_LOG, UINT64_MAX - 3);
	ck_assert_uint_eq(RMAPBT_OWN_AG, UINT64_MAX - 4);
	ck_assert_uint_eq(RMAPBT_OWN_INOBT, UINT64_MAX - 5);
	ck_assert_uint_eq(RMAPBT_OWN_INODES, UINT64_MAX - 6);
	ck_assert_uint_eq(RMAPBT_OWN_REFC, UINT64_MAX - 7);
	ck_assert_uint_eq(RMAPBT_OWN_COW, UINT64_MAX - 8);
	ck_assert_uint_eq(RMAPBT_OWN_MIN, UINT64_MAX - 9);
	for (i = 0; i < 9; i++) {
		own = UINT64_MAX - i;
		ck_assert(rmapbt_owner_is_special(own));
		ck_assert(!rmapbt_owner_is_inode(own));
		ck_assert_str_eq(rmapbt_owner_name(own), names[i]);
	}
	ck_assert(!rmapbt_owner_is_special(RMAPBT_OWN_MIN));
	ck_assert_ptr_null(rmapbt_owner_name(RMAPBT_OWN_MIN));
	ck_assert_ptr_null(rmapbt_owner_name(1ULL << 63));
	ck_assert_ptr_null(rmapbt_owner_name(0));
	ck_assert_ptr_null(rmapbt_owner_name(12345));
	ck_assert(rmapbt_owner_is_inode((1ULL << 63) - 1));
}
END_TEST

struct verify_case {
	const char		*what;
	struct rmapbt_irec	r;
	uint64_t		extra;	/* OR'ed into the packed offset */
	bool			ok;
};

#define INO	131ULL

static const struct verify_case verify_cases[] = {
	{ "plain data mapping", { 0, 1, INO, 0, 0 }, 0, true },
	{ "attr mapping", { 5, 10, INO, 100, RMAPBT_F_ATTR }, 0, true },
	{ "unwritten data mapping", { 5, 10, INO, 100, RMAPBT_F_UNWRITTEN },
	  0, true },
	{ "data bmbt block", { 5, 1, INO, 0, RMAPBT_F_BMBT }, 0, true },
	{ "attr bmbt block", { 5, 1, INO, 0, RMAPBT_F_ATTR | RMAPBT_F_BMBT },
	  0, true },
	{ "zero count", { 5, 0, INO, 0, 0 }, 0, false },
	{ "ends at the last block", { UINT32_MAX - 9, 10, INO, 0, 0 }, 0,
	  true },
	{ "last block alone", { UINT32_MAX, 1, INO, 0, 0 }, 0, true },
	{ "wraps past 2^32", { UINT32_MAX - 9, 11, INO, 0, 0 }, 0, false },
	{ "wraps far", { UINT32_MAX, UINT32_MAX, INO, 0, 0 }, 0, false },
	{ "reserved bit 54", { 5, 1, INO, 0, 0 }, 1ULL << 54, false },
	{ "reserved bit 60", { 5, 1, INO, 0, 0 }, 1ULL << 60, false },
	{ "reserved bits on a special owner", { 5, 1, RMAPBT_OWN_FS, 0, 0 },
	  1ULL << 57, false },
	{ "owner 0", { 5, 1, 0, 0, 0 }, 0, false },
	{ "largest inode", { 5, 1, (1ULL << 63) - 1, 0, 0 }, 0, true },
	{ "top bit, not special", { 5, 1, 1ULL << 63, 0, 0 }, 0, false },
	{ "OWN_MIN guard", { 5, 1, RMAPBT_OWN_MIN, 0, 0 }, 0, false },
	{ "below OWN_MIN", { 5, 1, RMAPBT_OWN_MIN - 1, 0, 0 }, 0, false },
	{ "OWN_NULL", { 5, 1, RMAPBT_OWN_NULL, 0, 0 }, 0, true },
	{ "OWN_UNKNOWN", { 5, 1, RMAPBT_OWN_UNKNOWN, 0, 0 }, 0, true },
	{ "OWN_FS", { 5, 1, RMAPBT_OWN_FS, 0, 0 }, 0, true },
	{ "OWN_COW", { 5, 1, RMAPBT_OWN_COW, 0, 0 }, 0, true },
	{ "special owner, offset", { 5, 1, RMAPBT_OWN_AG, 1, 0 }, 0, false },
	{ "special owner, attr", { 5, 1, RMAPBT_OWN_AG, 0, RMAPBT_F_ATTR },
	  0, false },
	{ "special owner, bmbt", { 5, 1, RMAPBT_OWN_LOG, 0, RMAPBT_F_BMBT },
	  0, false },
	{ "special owner, unwritten",
	  { 5, 1, RMAPBT_OWN_COW, 0, RMAPBT_F_UNWRITTEN }, 0, false },
	{ "bmbt with offset", { 5, 1, INO, 1, RMAPBT_F_BMBT }, 0, false },
	{ "attr bmbt with offset",
	  { 5, 1, INO, 8, RMAPBT_F_ATTR | RMAPBT_F_BMBT }, 0, false },
	{ "unwritten attr",
	  { 5, 1, INO, 0, RMAPBT_F_ATTR | RMAPBT_F_UNWRITTEN }, 0, false },
	{ "unwritten bmbt",
	  { 5, 1, INO, 0, RMAPBT_F_BMBT | RMAPBT_F_UNWRITTEN }, 0, false },
	{ "unwritten everything", { 5, 1, INO, 0, RMAPBT_F_ALL }, 0, false },
	{ "file range ends at 2^54 - 1",
	  { 5, 10, INO, OFF_LIMIT - 10, 0 }, 0, true },
	{ "file range past 2^54", { 5, 10, INO, OFF_LIMIT - 9, 0 }, 0, false },
	{ "attr range past 2^54",
	  { 5, 2, INO, OFF_LIMIT - 1, RMAPBT_F_ATTR }, 0, false },
};

START_TEST(test_verify_rec)
{
	const struct verify_case	*c = &verify_cases[_i];
	uint8_t				rec[24];
	const char			*why;

	model_rec_bytes(&c->r, rec);
	put_be64(rec + 16, get_be64(rec + 16) | c->extra);
	why = rmapbt_ops.verify_rec(rec);
	ck_assert_msg((why == NULL) == c->ok, "%s: %s", c->what,
		      why ? why : "accepted");
	if (why)
		ck_assert(strlen(why) > 5);

	/* The engine refuses what verify_rec refuses. */
	bt_assert_insert_verdict(&rmapbt_ops, rec, c->ok);
}
END_TEST

struct hikey_case {
	struct rmapbt_irec	r;
	struct mkey		high;
};

static const struct hikey_case hikey_cases[] = {
	/* An inode's data mapping: start and offset both advance. */
	{ { 100, 8, INO, 50, 0 }, { 107, INO, 57 } },
	/* Unwritten: the same, and bit 61 is not in the key. */
	{ { 100, 8, INO, 50, RMAPBT_F_UNWRITTEN }, { 107, INO, 57 } },
	/* Attr mapping: offset advances, the attr bit stays. */
	{ { 100, 8, INO, 50, RMAPBT_F_ATTR }, { 107, INO, 57 | BIT_ATTR } },
	/* bmbt blocks: the offset does not advance. */
	{ { 100, 8, INO, 0, RMAPBT_F_BMBT }, { 107, INO, BIT_BMBT } },
	{ { 100, 8, INO, 0, RMAPBT_F_ATTR | RMAPBT_F_BMBT },
	  { 107, INO, BIT_ATTR | BIT_BMBT } },
	/* Special owners: neither. */
	{ { 100, 8, RMAPBT_OWN_AG, 0, 0 }, { 107, RMAPBT_OWN_AG, 0 } },
	{ { 100, 1, RMAPBT_OWN_COW, 0, 0 }, { 100, RMAPBT_OWN_COW, 0 } },
	/* One block: high key is the low key. */
	{ { 9, 1, INO, 4, RMAPBT_F_ATTR }, { 9, INO, 4 | BIT_ATTR } },
	/* At the very top of both spaces. */
	{ { UINT32_MAX - 4, 5, INO, OFF_LIMIT - 5, 0 },
	  { UINT32_MAX, INO, OFF_LIMIT - 1 } },
	{ { 0, UINT32_MAX, 1, 0, RMAPBT_F_ATTR },
	  { UINT32_MAX - 1, 1, ((uint64_t)UINT32_MAX - 1) | BIT_ATTR } },
};

START_TEST(test_high_key)
{
	const struct hikey_case	*c = &hikey_cases[_i];
	uint8_t			rec[24], key[20], want[20], low[20];
	struct mkey		m = model_high(&c->r);

	model_rec_bytes(&c->r, rec);
	ck_assert_ptr_null(rmapbt_ops.verify_rec(rec));
	rmapbt_ops.init_high_key_from_rec(key, rec);
	mkey_bytes(&c->high, want);
	ck_assert_mem_eq(key, want, 20);
	/* The model's rule agrees with the table. */
	ck_assert_int_eq(mkey_cmp(&m, &c->high), 0);
	/* The high key is never below the low key. */
	rmapbt_ops.init_key_from_rec(low, rec);
	ck_assert_int_le(rmapbt_ops.cmp_keys(low, key), 0);
}
END_TEST

START_TEST(test_key_order)
{
	/* In increasing order. */
	static const struct mkey keys[] = {
		{ 0, 0, 0 },
		{ 0, 0, 1 },
		{ 0, 1, 0 },
		{ 1, 0, 0 },
		{ 5, 3, 0 },
		{ 5, 3, 7 },
		{ 5, 3, OFF_LIMIT - 1 },
		{ 5, 3, BIT_BMBT },		/* data bmbt after data maps */
		{ 5, 3, BIT_ATTR },		/* attr maps after both */
		{ 5, 3, BIT_ATTR | 9 },
		{ 5, 3, BIT_ATTR | BIT_BMBT },
		{ 5, 4, 0 },
		{ 5, 1ULL << 40, 0 },		/* owner is a u64 */
		{ 5, (1ULL << 63) - 1, 0 },
		{ 5, RMAPBT_OWN_COW, 0 },	/* special owners last */
		{ 5, RMAPBT_OWN_NULL, 0 },
		{ 6, 0, 0 },
		{ 0x80000000U, 0, 0 },		/* start is a u32 */
		{ UINT32_MAX, UINT64_MAX, UINT64_MAX & ~BIT_UNWRITTEN },
	};
	const unsigned int	n = sizeof(keys) / sizeof(keys[0]);
	uint8_t			a[20], b[20];
	unsigned int		i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			mkey_bytes(&keys[i], a);
			mkey_bytes(&keys[j], b);
			ck_assert_msg(test_sign(rmapbt_ops.cmp_keys(a, b)) ==
				      (i > j) - (i < j), "keys %u, %u", i, j);
			ck_assert_int_eq(test_sign(rmapbt_ops.cmp_keys(a, b)),
					 test_sign(mkey_cmp(&keys[i], &keys[j])));
			/* The same as memcmp over the 20 bytes. */
			ck_assert_int_eq(test_sign(rmapbt_ops.cmp_keys(a, b)),
					 test_sign(memcmp(a, b, 20)));
		}
	}
	/* Bit 61 is masked if a key ever carries it. */
	mkey_bytes(&keys[5], a);
	put_be64(a + 12, 7 | BIT_UNWRITTEN);
	mkey_bytes(&keys[5], b);
	ck_assert_int_eq(rmapbt_ops.cmp_keys(a, b), 0);
}
END_TEST

/*
 * Duplicates: unwritten and blockcount are not part of the key, so two
 * records that differ only there collide; attr and bmbt are, so they do
 * not.  Deleting needs the whole record when one is given.
 */
START_TEST(test_duplicates)
{
	struct xbtree		*bt = bt_create(&rmapbt_ops, 512);
	struct xbt_trans	*tp;
	struct rmapbt_irec	r = irec(10, 4, INO, 20, 0), g;
	uint8_t			rec[24], rec2[24], key[20], old[24];
	int			stat;

	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	rmapbt_rec_init(rec, &r);
	T_EQ(xbt_insert(tp, rec, &stat), 0);
	T_EQ(stat, 1);
	r.flags = RMAPBT_F_UNWRITTEN;
	rmapbt_rec_init(rec2, &r);
	T_EQ(xbt_insert(tp, rec2, &stat), 0);
	T_EQ(stat, 0);
	r.flags = 0;
	r.blockcount = 9;
	rmapbt_rec_init(rec2, &r);
	T_EQ(xbt_insert(tp, rec2, &stat), 0);
	T_EQ(stat, 0);
	r.flags = RMAPBT_F_ATTR;
	rmapbt_rec_init(rec2, &r);
	T_EQ(xbt_insert(tp, rec2, &stat), 0);
	T_EQ(stat, 1);
	T_EQ(xbt_trans_commit(tp), 0);
	T_EQ(xbtree_nrecords(bt), 2);

	/* EQ lookup by key, with an unwritten flag that keys ignore. */
	rmapbt_key_init(key, 10, INO, 20, RMAPBT_F_UNWRITTEN);
	T_EQ(xbtree_get(bt, XBT_LOOKUP_EQ, key, old, &stat), 0);
	T_EQ(stat, 1);
	ck_assert_mem_eq(old, rec, 24);
	rmapbt_key_init(key, 10, INO, 20, RMAPBT_F_ATTR);
	T_EQ(xbtree_get(bt, XBT_LOOKUP_EQ, key, old, &stat), 0);
	T_EQ(stat, 1);
	rmapbt_rec_get(old, &g);
	T_EQ(g.flags, RMAPBT_F_ATTR);

	/* Delete with a record that differs in blockcount: no match. */
	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	r = irec(10, 5, INO, 20, 0);
	rmapbt_rec_init(rec2, &r);
	rmapbt_ops.init_key_from_rec(key, rec2);
	T_EQ(xbt_delete(tp, key, rec2, NULL, &stat), 0);
	T_EQ(stat, 0);
	T_EQ(xbt_delete(tp, key, rec, old, &stat), 0);
	T_EQ(stat, 1);
	ck_assert_mem_eq(old, rec, 24);
	T_EQ(xbt_trans_commit(tp), 0);
	T_EQ(xbtree_nrecords(bt), 1);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

/* ---- the model test ---------------------------------------------------- */

struct slot {
	struct rmapbt_irec	r;
	struct mkey		k;	/* model_low(&r) while live */
	bool			live;
};

struct model {
	struct tmodel	tm;		/* keyed by &slot.k */
	struct slot	*s;		/* tm.slots */
	uint32_t	space;		/* start blocks mostly below this */
	bool		shrink;		/* mostly deletes: joins, kill_root */
};

static gint
tree_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	(void)unused;
	return mkey_cmp(a, b);
}

static uint64_t
rnd(struct model *m, uint64_t n)
{
	return tmodel_rnd(&m->tm, n);
}

/*
 * A random valid record.  Starts crowd into m->space so extents overlap
 * many deep; owners and offsets come from small sets so the same start
 * often has several owners and keys collide now and then.
 */
static void
gen_rec(struct model *m, struct rmapbt_irec *r)
{
	static const unsigned int fork_flags[] = {
		0, 0, 0, RMAPBT_F_UNWRITTEN, RMAPBT_F_ATTR, RMAPBT_F_BMBT,
		RMAPBT_F_ATTR | RMAPBT_F_BMBT,
	};
	uint64_t	room;

	r->startblock = rnd(m, 50) ? rnd(m, m->space) :
				     UINT32_MAX - (uint32_t)rnd(m, 3000);
	r->blockcount = 1 + rnd(m, rnd(m, 10) ? 16 : 3000);
	room = (1ULL << 32) - r->startblock;
	if (r->blockcount > room)
		r->blockcount = room;
	r->offset = 0;
	r->flags = 0;
	switch (rnd(m, 10)) {
	case 0:
		r->owner = RMAPBT_OWN_NULL - rnd(m, RMAPBT_NR_SPECIAL);
		return;
	case 1:
		r->owner = (1ULL << 63) - 1 - rnd(m, 4);
		break;
	default:
		r->owner = 1 + rnd(m, 30);
		break;
	}
	r->flags = fork_flags[rnd(m, sizeof(fork_flags) / sizeof(int))];
	if (r->flags & RMAPBT_F_BMBT)
		return;
	if (rnd(m, 40))
		r->offset = rnd(m, 64);
	else
		r->offset = OFF_LIMIT - r->blockcount - rnd(m, 100);
}

/*
 * A record with the same key as @r (so its insert must fail): another
 * block count, or the unwritten flag flipped where it is allowed.
 */
static void
dup_rec(struct model *m, const struct rmapbt_irec *r, struct rmapbt_irec *d)
{
	*d = *r;
	if (!(r->owner >> 63) && !(r->flags & RMAPBT_F_ATTR) &&
	    !(r->flags & RMAPBT_F_BMBT) && rnd(m, 2))
		d->flags ^= RMAPBT_F_UNWRITTEN;
	else if (d->blockcount > 1)
		d->blockcount = 1 + rnd(m, d->blockcount - 1);
}

/*
 * One random batch of changes in @tp: inserts of new records (duplicates
 * expected to fail) and deletes of live ones, some first tried with a
 * record that differs in its block count or unwritten flag.
 */
static void
model_batch(struct model *m, struct xbtree *bt, struct xbt_trans *tp,
		unsigned int nops)
{
	uint8_t		rec[24], wrong[24], key[20], old[24];
	struct slot	ns;
	unsigned int	i, j, op;
	bool		exists;
	int		stat;

	for (op = 0; op < nops; op++) {
		i = rnd(m, m->tm.n);
		if (m->s[i].live && rnd(m, 5)) {
			struct rmapbt_irec	w = m->s[i].r;

			model_rec_bytes(&m->s[i].r, rec);
			mkey_bytes(&m->s[i].k, key);
			if (!rnd(m, 8)) {
				if (w.flags & RMAPBT_F_BMBT || w.owner >> 63 ||
				    w.flags & RMAPBT_F_ATTR || rnd(m, 2))
					w.blockcount ^= 1;
				else
					w.flags ^= RMAPBT_F_UNWRITTEN;
				if (!w.blockcount)
					w.blockcount = 2;
				model_rec_bytes(&w, wrong);
				T_EQ(xbt_delete(tp, key, wrong, NULL, &stat),
				     0);
				T_EQ(stat, 0);
			}
			T_EQ(xbt_delete(tp, key, rnd(m, 2) ? rec : NULL, old,
					&stat), 0);
			T_EQ(stat, 1);
			ck_assert_mem_eq(old, rec, 24);
			ns = m->s[i];
			ns.live = false;
			tmodel_set(&m->tm, i, &ns, true);
			continue;
		}
		if (m->s[i].live || (m->shrink && rnd(m, 8)))
			continue;
		gen_rec(m, &ns.r);
		j = rnd(m, m->tm.n);
		if (!rnd(m, 8) && m->s[j].live)
			dup_rec(m, &m->s[j].r, &ns.r);
		ns.k = model_low(&ns.r);
		ns.live = true;
		exists = g_tree_lookup(m->tm.t, &ns.k) != NULL;
		model_rec_bytes(&ns.r, rec);
		T_EQ(xbt_insert(tp, rec, &stat), 0);
		T_EQ(stat, !exists);
		if (stat)
			tmodel_set(&m->tm, i, &ns, true);
	}
	(void)bt;
}

/* A range query's expected answer: slot indexes in key order. */
struct expect {
	struct mkey	lo, hi;
	GArray		*want;		/* unsigned int */
	guint		next;
	struct model	*m;
};

static gboolean
expect_one(gpointer k, gpointer v, gpointer priv)
{
	struct expect	*e = priv;
	unsigned int	i = GPOINTER_TO_UINT(v) - 1;
	struct mkey	hk = model_high(&e->m->s[i].r);

	/* Past the query's high key: nothing further can overlap. */
	if (mkey_cmp(k, &e->hi) > 0)
		return TRUE;
	if (mkey_cmp(&hk, &e->lo) >= 0)
		g_array_append_val(e->want, i);
	return FALSE;
}

static int
answer_one(const void *rec, void *priv)
{
	struct expect	*e = priv;
	uint8_t		want[24];
	unsigned int	i;

	T_ASSERT(e->next < e->want->len);
	i = g_array_index(e->want, unsigned int, e->next);
	model_rec_bytes(&e->m->s[i].r, want);
	T_ASSERT(memcmp(rec, want, 24) == 0);
	e->next++;
	return 0;
}

/* Run query [@lo, @hi] on the tree and compare with a model scan. */
static void
check_query(struct model *m, struct xbtree *bt, const struct mkey *lo,
		const struct mkey *hi)
{
	struct expect	e = { *lo, *hi, g_array_new(FALSE, FALSE,
						    sizeof(unsigned int)),
			      0, m };
	uint8_t		lk[20], hk[20];

	g_tree_foreach(m->tm.t, expect_one, &e);
	mkey_bytes(lo, lk);
	mkey_bytes(hi, hk);
	T_EQ(xbtree_query_range(bt, lk, hk, answer_one, &e), 0);
	T_EQ(e.next, e.want->len);
	g_array_free(e.want, TRUE);
}

/*
 * Blocks @lo .. @hi, through the keys (lo, 0, 0) and (hi, ~0, ~0).  The
 * expected answer is computed from block numbers alone, not keys: every
 * record whose extent meets the blocks, in key order.
 */
struct block_expect {
	uint32_t	lo, hi;
	GArray		*want;
	struct model	*m;
};

static gboolean
block_expect_one(gpointer k, gpointer v, gpointer priv)
{
	struct block_expect	*e = priv;
	unsigned int		i = GPOINTER_TO_UINT(v) - 1;
	const struct rmapbt_irec *r = &e->m->s[i].r;

	(void)k;
	if (r->startblock > e->hi)
		return TRUE;
	if ((uint64_t)r->startblock + r->blockcount - 1 >= e->lo)
		g_array_append_val(e->want, i);
	return FALSE;
}

static void
check_block_range(struct model *m, struct xbtree *bt, uint32_t lo,
		uint32_t hi)
{
	struct block_expect	b = { lo, hi, g_array_new(FALSE, FALSE,
						sizeof(unsigned int)), m };
	struct expect		e = { .m = m };
	struct mkey		l = { lo, 0, 0 };
	struct mkey		h = { hi, UINT64_MAX, UINT64_MAX };
	uint8_t			lk[20], hk[20], ml[20], mh[20];

	/* The helper builds exactly the reference's keys. */
	rmapbt_range_keys(lk, hk, lo, hi);
	mkey_bytes(&l, ml);
	mkey_bytes(&h, mh);
	T_ASSERT(memcmp(lk, ml, 20) == 0 && memcmp(hk, mh, 20) == 0);

	g_tree_foreach(m->tm.t, block_expect_one, &b);
	e.want = b.want;
	T_EQ(xbtree_query_range(bt, lk, hk, answer_one, &e), 0);
	T_EQ(e.next, e.want->len);
	g_array_free(b.want, TRUE);
}

/* A random key near the records: for key-range queries. */
static struct mkey
gen_key(struct model *m)
{
	struct rmapbt_irec	r;
	struct mkey		k;

	gen_rec(m, &r);
	k = model_low(&r);
	if (!rnd(m, 4))
		k.off += rnd(m, 32);
	return k;
}

/* The whole tree, in order, equals the model. */
struct walk {
	struct xbt_cur	cur;
	int		stat;
	struct model	*m;
	uint64_t	n;
};

static gboolean
walk_one(gpointer k, gpointer v, gpointer priv)
{
	struct walk	*w = priv;
	unsigned int	i = GPOINTER_TO_UINT(v) - 1;
	uint8_t		want[24];

	(void)k;
	T_EQ(w->stat, 1);
	model_rec_bytes(&w->m->s[i].r, want);
	T_ASSERT(memcmp(xbt_cur_rec(&w->cur), want, 24) == 0);
	w->n++;
	T_EQ(xbt_increment(&w->cur, &w->stat), 0);
	return FALSE;
}

static void
compare_all(struct model *m, struct xbtree *bt)
{
	struct walk	w = { .m = m };
	uint8_t		key[20];

	xbt_cur_init(&w.cur, bt);
	rmapbt_key_init(key, 0, 0, 0, 0);
	T_EQ(xbt_lookup(&w.cur, XBT_LOOKUP_GE, key, &w.stat), 0);
	g_tree_foreach(m->tm.t, walk_one, &w);
	T_EQ(w.stat, 0);
	T_EQ(w.n, (uint64_t)g_tree_nnodes(m->tm.t));
	T_EQ(xbtree_nrecords(bt), w.n);
}

/* LE / EQ / GE lookups of random keys against the model. */
static void
check_lookups(struct model *m, struct xbtree *bt, unsigned int n)
{
	struct mkey	k;
	GTreeNode	*node;
	uint8_t		key[20], want[24];
	unsigned int	q, i;
	int		dir;

	for (q = 0; q < n; q++) {
		k = gen_key(m);
		mkey_bytes(&k, key);
		dir = rnd(m, 3);
		node = tmodel_lookup(&m->tm, &k, dir);
		if (node) {
			i = tmodel_node_index(node);
			T_ASSERT(g_tree_node_key(node) == &m->s[i].k);
			model_rec_bytes(&m->s[i].r, want);
		}
		bt_assert_get(bt, dir, key, node ? want : NULL);
	}
}

static const unsigned int model_sizes[] = { 512, 4096 };

START_TEST(test_model)
{
	unsigned int		bs = model_sizes[_i];
	struct xbtree		*bt = bt_create(&rmapbt_ops, bs);
	struct model		m = { 0 };
	unsigned int		batch, nbatches, q, i;
	struct xbt_trans	*tp;
	uint32_t		lo, hi;
	struct mkey		kl, kh, t;

	/* About half live: height 4 at 512, 3 at 4096. */
	tmodel_init(&m.tm, bs == 512 ? 6000 : 32000, sizeof(struct slot),
		    offsetof(struct slot, k), offsetof(struct slot, live),
		    tree_cmp, test_seed("rmap_model") ^ bs);
	m.s = m.tm.slots;
	nbatches = (unsigned int)(120 * test_scale());
	for (batch = 0; batch < nbatches; batch++) {
		/* Crowd in, spread out, crowd in: joins as well as splits. */
		m.space = (batch / 30) % 2 ? 200000 : 3000;
		m.shrink = batch % 40 >= 28;
		T_EQ(xbt_trans_alloc(bt, &tp), 0);
		model_batch(&m, bt, tp, 1 + rnd(&m, 1500));
		tmodel_end_batch(&m.tm, tp, rnd(&m, 6) == 0);
		bt_assert_ok(bt);
		if (batch % 5 == 0)
			compare_all(&m, bt);
		check_lookups(&m, bt, 50);
		for (q = 0; q < 15; q++) {
			lo = rnd(&m, 4) ? rnd(&m, m.space + 100) :
					  UINT32_MAX - rnd(&m, 4000);
			hi = lo + rnd(&m, rnd(&m, 4) ? 20 : 2000);
			if (hi < lo)
				hi = UINT32_MAX;
			check_block_range(&m, bt, lo, hi);
		}
		check_block_range(&m, bt, 0, UINT32_MAX);
		for (q = 0; q < 30; q++) {
			kl = gen_key(&m);
			kh = gen_key(&m);
			i = rnd(&m, m.tm.n);
			if (q % 2 && m.s[i].live) {
				/*
				 * Start right at (or just past) a record's
				 * high key: the answer then hangs on the
				 * exact high-key rule.
				 */
				kl = model_high(&m.s[i].r);
				kl.off += rnd(&m, 3);
				kh = kl;
				kh.start += rnd(&m, 3);
				kh.off += rnd(&m, 100);
			} else if (rnd(&m, 2)) {
				kh = kl;
				kh.start += rnd(&m, 50);
				if (rnd(&m, 2))
					kh.owner = 1 + rnd(&m, 30);
			}
			if (mkey_cmp(&kl, &kh) > 0) {
				t = kl;
				kl = kh;
				kh = t;
			}
			check_query(&m, bt, &kl, &kh);
		}
	}
	compare_all(&m, bt);
	tmodel_release(&m.tm);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("btree_rmap");
	TCase	*tc = tcase_create("rmap");

	test_log_quiet();
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_owners);
	tcase_add_loop_test(tc, test_verify_rec, 0,
			    sizeof(verify_cases) / sizeof(verify_cases[0]));
	tcase_add_loop_test(tc, test_high_key, 0,
			    sizeof(hikey_cases) / sizeof(hikey_cases[0]));
	tcase_add_test(tc, test_key_order);
	tcase_add_test(tc, test_duplicates);
	tcase_add_loop_test(tc, test_model, 0, 2);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
