// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_decode.c: text for people: the print ops and the type registry
 * (types.c), the page decoder (decode.c) and tree.dot (dot.c).
 *
 * print ops: the exact text of kv, rmap, refcount and the test type's
 * keys and records, snprintf() return values when cut, the hex fallback
 * for a type without print ops; xbt_ops_by_magic().
 *
 * Decoder on sound pages: real btrees of each type (block sizes 512 and
 * 4096, several levels) are read block by block with xbtree_read_block()
 * and decoded.  Every page must decode with no warning and a good
 * checksum, and the text must hold the fields the test works out from
 * the bytes itself: header block fields, bb_blkno and the block number
 * it implies, level, numrecs, every record (leaf) and every key and
 * pointer (node).
 *
 * Decoder on damaged pages: a bad checksum, a bad magic, numrecs above
 * what the block holds, keys out of order, a record breaking its type's
 * rules, bytes in unused space, bad pointers and siblings, nonzero lsn
 * and pad, a damaged header block; each must be named by a warning (with
 * the checksum fixed up where the check under test comes after it).
 * Every prefix of a real page, and seeded random buffers of every size
 * 0..4096 (pure noise, and noise behind each known magic with a small
 * plausible numrecs), must decode without a crash, and the return value
 * must equal the number of "warning:" lines.  Run it under ASan/UBSan.
 *
 * tree.dot: a one-block tree and a three-level tree drawn whole; a large
 * tree cut down to max_blocks with its note; damaged blocks drawn red,
 * a block reached twice, a bad sibling link; the output must look like
 * Graphviz (starts "digraph", braces balanced outside strings) and, when
 * Graphviz is installed, `dot` must accept it.  An output function that
 * fails stops both producers with its error.
 *
 * $XFB_TEST_SEED repeats a run.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "btree/crc32c.h"
#include "tests/lib/btree_test.h"

static uint64_t	seed;

/* ---- output sinks ------------------------------------------------------ */

static int
to_gstring(const char *text, size_t len, void *priv)
{
	g_string_append_len(priv, text, len);
	return 0;
}

/* Decode @len bytes at @buf into a new string; *@ret gets the result. */
static GString *
decode(const void *buf, size_t len, int *ret)
{
	GString		*s = g_string_new(NULL);

	*ret = xbt_decode_block(buf, len, to_gstring, s);
	return s;
}

/* Lines starting "warning:" in @s. */
static int
count_warnings(const char *s)
{
	const char	*p = s;
	int		n = 0;

	while (*p) {
		if (!strncmp(p, "warning:", 8))
			n++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

/* Fail unless @s holds @want, showing @s. */
#define T_HAS(s, want)							\
	ck_assert_msg(strstr((s), (want)) != NULL,			\
		      "missing \"%s\" in:\n%s", (want), (s))
#define T_HASNT(s, want)						\
	ck_assert_msg(strstr((s), (want)) == NULL,			\
		      "unexpected \"%s\" in:\n%s", (want), (s))

/* ---- building trees ---------------------------------------------------- */

enum { T_KV, T_RMAP, T_REFC, T_NR };

static const struct xbt_ops *const types[T_NR] = {
	[T_KV] = &kvbt_ops, [T_RMAP] = &rmapbt_ops, [T_REFC] = &refcbt_ops,
};

/* Record number @i of type @t: distinct keys, valid, in key order. */
static void
make_rec(int t, uint64_t i, uint8_t *rec)
{
	struct rmapbt_irec	rm;
	struct refcbt_irec	rc;

	switch (t) {
	case T_KV:
		kvbt_rec_init(rec, i * 3, i * 7 + 1000);
		break;
	case T_RMAP:
		rm = (struct rmapbt_irec){
			.startblock = i * 10, .blockcount = 1 + i % 7,
			.owner = 133 + i % 3, .offset = i * 5,
			.flags = (i % 5 == 0) ? RMAPBT_F_UNWRITTEN :
				 (i % 5 == 1) ? RMAPBT_F_ATTR : 0,
		};
		if (i % 11 == 0)
			rm = (struct rmapbt_irec){
				.startblock = i * 10, .blockcount = 3,
				.owner = RMAPBT_OWN_AG,
			};
		rmapbt_rec_init(rec, &rm);
		break;
	case T_REFC:
		rc = (struct refcbt_irec){
			.startblock = i * 10, .blockcount = 1 + i % 9,
			.refcount = (i % 4 == 0) ? 1 : 2 + i % 5,
			.cow = i % 4 == 0,
		};
		refcbt_rec_init(rec, &rc);
		break;
	}
}

/* A btree of type @t with @n records, in batches of transactions. */
static struct xbtree *
build(int t, unsigned int blocksize, uint64_t n)
{
	struct xbtree		*bt = bt_create(types[t], blocksize);
	struct xbt_trans	*tp = NULL;
	uint8_t			rec[XBT_REC_MAX];
	uint64_t		i;
	int			stat;

	for (i = 0; i < n; i++) {
		if (!tp)
			T_EQ(xbt_trans_alloc(bt, &tp), 0);
		make_rec(t, i, rec);
		T_EQ(xbt_insert(tp, rec, &stat), 0);
		T_EQ(stat, 1);
		if (i % 500 == 499 || i == n - 1) {
			T_EQ(xbt_trans_commit(tp), 0);
			tp = NULL;
		}
	}
	bt_assert_ok(bt);
	return bt;
}

/* Store a fresh checksum in a btree block (@hdr: the header block). */
static void
fix_crc(uint8_t *buf, size_t len, bool hdr)
{
	size_t		off = hdr ? XBT_HEAD_CRC_OFF : XBT_BLOCK_CRC_OFF;
	uint32_t	crc = htole32(xbt_crc32c_block(buf, len, off));

	memcpy(buf + off, &crc, 4);
}

/* ---- print ops and the registry ---------------------------------------- */

START_TEST(test_print_ops)
{
	struct rmapbt_irec	rm = { 100, 10, 133, 5, RMAPBT_F_UNWRITTEN };
	struct refcbt_irec	rc = { 100, 8, 1, true };
	struct xbt_ops		bare = kvbt_ops;
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	char			buf[256];
	size_t			n;

	kvbt_rec_init(rec, 42, 7);
	kvbt_ops.print_rec(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "key 42 value 7");
	kvbt_key_init(key, 42);
	n = kvbt_ops.print_key(key, buf, sizeof(buf));
	ck_assert_str_eq(buf, "42");
	ck_assert_uint_eq(n, 2);

	rmapbt_rec_init(rec, &rm);
	rmapbt_ops.print_rec(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf,
		"startblock 100 blockcount 10 owner 133 offset 5 unwritten");
	rmapbt_ops.init_key_from_rec(key, rec);
	rmapbt_ops.print_key(key, buf, sizeof(buf));
	ck_assert_str_eq(buf, "100/133/5");
	rmapbt_key_init(key, 100, 133, 0, RMAPBT_F_ATTR | RMAPBT_F_BMBT);
	rmapbt_ops.print_key(key, buf, sizeof(buf));
	ck_assert_str_eq(buf, "100/133/0 attr,bmbt");
	rm = (struct rmapbt_irec){ 8, 1, RMAPBT_OWN_AG, 0, 0 };
	rmapbt_rec_init(rec, &rm);
	rmapbt_ops.print_rec(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "startblock 8 blockcount 1 owner ag offset 0");
	/* Bits no rmap has show as such, so damage is visible. */
	put_be64(rec + 16, (1ULL << 55) | RMAPBT_OFF_ATTR_BIT | 9);
	rmapbt_ops.print_rec(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "startblock 8 blockcount 1 owner ag offset 9 "
			 "attr reserved 0x80000000000000");

	refcbt_rec_init(rec, &rc);
	refcbt_ops.print_rec(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf,
		"startblock 100 blockcount 8 refcount 1 domain cow");
	refcbt_ops.print_key(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "100 cow");
	refcbt_key_init(key, 100, false);
	refcbt_ops.print_key(key, buf, sizeof(buf));
	ck_assert_str_eq(buf, "100");

	ivlbt_rec_init(rec, 100, 10, 7);
	ivlbt_ops.print_rec(rec, buf, sizeof(buf));
	ck_assert_str_eq(buf, "start 100 len 10 id 7");
	ivlbt_key_init(key, 100, 7);
	ivlbt_disjoint_ops.print_key(key, buf, sizeof(buf));
	ck_assert_str_eq(buf, "100/7");

	/* snprintf() conventions: cut, NUL-terminated, full length back. */
	kvbt_rec_init(rec, 42, 7);
	n = xbt_print_rec(&kvbt_ops, rec, buf, 5);
	ck_assert_uint_eq(n, strlen("key 42 value 7"));
	ck_assert_str_eq(buf, "key ");

	/* No print ops: hex. */
	bare.print_key = NULL;
	bare.print_rec = NULL;
	kvbt_key_init(key, 42);
	n = xbt_print_key(&bare, key, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0x000000000000002a");
	ck_assert_uint_eq(n, 18);
	n = xbt_print_rec(&bare, rec, buf, 7);
	ck_assert_uint_eq(n, 34);
	ck_assert_str_eq(buf, "0x0000");
	n = xbt_print_key(&bare, key, NULL, 0);
	ck_assert_uint_eq(n, 18);

	ck_assert_ptr_eq(xbt_ops_by_magic(0x584B5633), &kvbt_ops);
	ck_assert_ptr_eq(xbt_ops_by_magic(0x524D4233), &rmapbt_ops);
	ck_assert_ptr_eq(xbt_ops_by_magic(0x52334643), &refcbt_ops);
	ck_assert_ptr_null(xbt_ops_by_magic(XBT_HEAD_MAGIC));
	ck_assert_ptr_null(xbt_ops_by_magic(IVLBT_MAGIC));
	ck_assert_ptr_null(xbt_ops_by_magic(0));
}
END_TEST

/* ---- the decoder on sound pages ---------------------------------------- */

/* The lines a sound btree block must produce, worked out here. */
static void
expect_block(struct xbtree *bt, const uint8_t *buf, uint64_t bno,
		const char *s)
{
	const struct xbt_ops	*ops = xbtree_ops(bt);
	unsigned int		bs = xbtree_blocksize(bt);
	unsigned int		level = get_be16(buf + 4);
	unsigned int		n = get_be16(buf + 6);
	bool			ovl = ops->flags & XBT_OPS_OVERLAPPING;
	unsigned int		slot = ops->key_len * (ovl ? 2 : 1);
	unsigned int		maxnode = (bs - 72) / (slot + 8);
	char			line[1024], t1[256], t2[256];
	unsigned int		i;

	snprintf(line, sizeof(line), "blkno = %llu (block %llu)",
		 (unsigned long long)bno * (bs / 512),
		 (unsigned long long)bno);
	T_HAS(s, line);
	snprintf(line, sizeof(line), "level = %u (%s)", level,
		 level ? "node" : "leaf");
	T_HAS(s, line);
	snprintf(line, sizeof(line), "numrecs = %u (at most %u)", n,
		 level ? maxnode : (bs - 72) / ops->rec_len);
	T_HAS(s, line);
	snprintf(line, sizeof(line), "btree block (%s", ops->name);
	T_HAS(s, line);
	T_HAS(s, "owner = 42");
	T_HAS(s, "lsn = 0\n");
	T_HAS(s, "pad = 0\n");
	for (i = 0; i < n; i++) {
		if (!level) {
			ops->print_rec(buf + 72 + i * ops->rec_len, t1,
				       sizeof(t1));
			snprintf(line, sizeof(line), "recs[%u] = %s\n", i, t1);
		} else {
			const uint8_t	*k = buf + 72 + i * slot;
			uint64_t	ptr = get_be64(buf + 72 +
						maxnode * slot + i * 8);

			ops->print_key(k, t1, sizeof(t1));
			if (ovl) {
				ops->print_key(k + ops->key_len, t2,
					       sizeof(t2));
				snprintf(line, sizeof(line),
					 "keys[%u] = low %s high %s  ptrs[%u] = %llu\n",
					 i, t1, t2, i, (unsigned long long)ptr);
			} else {
				snprintf(line, sizeof(line),
					 "keys[%u] = %s  ptrs[%u] = %llu\n", i,
					 t1, i, (unsigned long long)ptr);
			}
		}
		T_HAS(s, line);
	}
	snprintf(line, sizeof(line), "recs[%u]", n);
	T_HASNT(s, line);
	snprintf(line, sizeof(line), "keys[%u]", n);
	T_HASNT(s, line);
}

/* Loop index: type (3) x block size (2). */
START_TEST(test_decode_sound)
{
	int			t = _i / 2;
	unsigned int		bs = (_i % 2) ? 4096 : 512;
	struct xbtree		*bt = build(t, bs, bs == 512 ? 5000 : 2500);
	struct xbtree_stats	st;
	uint8_t			*buf = malloc(bs);
	uint64_t		bno, blocks = 0;
	char			line[128], uuid[64];
	int			ret;

	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, bs == 512 ? 3 : 2);
	for (bno = 0; xbtree_next_block(bt, bno, &bno); bno++) {
		GString	*s;

		T_EQ(xbtree_read_block(bt, bno, buf), 0);
		s = decode(buf, bs, &ret);
		ck_assert_msg(ret == 0, "block %llu: %d problems:\n%s",
			      (unsigned long long)bno, ret, s->str);
		T_HASNT(s->str, "warning");
		T_HAS(s->str, ", good)\n");
		snprintf(uuid, sizeof(uuid),
			 "uuid = %02x%02x%02x%02x-%02x%02x-", buf[bno ? 40 : 24],
			 buf[bno ? 41 : 25], buf[bno ? 42 : 26],
			 buf[bno ? 43 : 27], buf[bno ? 44 : 28],
			 buf[bno ? 45 : 29]);
		T_HAS(s->str, uuid);
		if (bno == 0) {
			T_HAS(s->str, "magic = 0x4341544d (\"CATM\")\n");
			snprintf(line, sizeof(line), "nlevels = %u\n",
				 st.height);
			T_HAS(s->str, line);
			snprintf(line, sizeof(line), "nrecords = %llu\n",
				 (unsigned long long)st.records);
			T_HAS(s->str, line);
			snprintf(line, sizeof(line), "nblocks = %llu\n",
				 (unsigned long long)st.blocks);
			T_HAS(s->str, line);
			snprintf(line, sizeof(line), "root = %llu\n",
				 (unsigned long long)get_be64(buf + 16));
			T_HAS(s->str, line);
			snprintf(line, sizeof(line), "\", %s)\n", types[t]->name);
			T_HAS(s->str, line);
			snprintf(line, sizeof(line), "blocksize = %u\n", bs);
			T_HAS(s->str, line);
			T_HAS(s->str, "version = 1\n");
		} else {
			expect_block(bt, buf, bno, s->str);
		}
		g_string_free(s, TRUE);
		blocks++;
	}
	T_EQ(blocks, st.blocks);
	free(buf);
	xbtree_destroy(bt);
}
END_TEST

/* A kv leaf of a small tree, line by line. */
START_TEST(test_decode_kv_leaf_text)
{
	struct xbtree	*bt = build(T_KV, 512, 3);
	uint8_t		buf[512];
	GString		*s;
	int		ret;

	T_EQ(xbtree_read_block(bt, 1, buf), 0);
	s = decode(buf, sizeof(buf), &ret);
	T_EQ(ret, 0);
	T_HAS(s->str, "btree block (kv), 512 bytes\n"
		      "magic = 0x584b5633 (\"XKV3\")\n"
		      "level = 0 (leaf)\n"
		      "numrecs = 3 (at most 27)\n"
		      "leftsib = null\n"
		      "rightsib = null\n"
		      "blkno = 1 (block 1)\n"
		      "lsn = 0\n");
	T_HAS(s->str, "owner = 42\ncrc = 0x");
	T_HAS(s->str, "recs[0] = key 0 value 1000\n"
		      "recs[1] = key 3 value 1007\n"
		      "recs[2] = key 6 value 1014\n");
	g_string_free(s, TRUE);
	xbtree_destroy(bt);
}
END_TEST

/* ---- the decoder on damaged pages -------------------------------------- */

/* Decode, expect problems and the @want text; return the count. */
static int
expect_damage(const uint8_t *buf, size_t len, const char *want)
{
	GString		*s;
	int		ret;

	s = decode(buf, len, &ret);
	ck_assert_msg(ret > 0, "no problem found, wanted \"%s\":\n%s", want,
		      s->str);
	T_EQ(ret, count_warnings(s->str));
	T_HAS(s->str, want);
	g_string_free(s, TRUE);
	return ret;
}

/* The first leaf and the root node of @bt, copied. */
static void
leaf_and_node(struct xbtree *bt, uint8_t *leaf, uint8_t *node,
		uint64_t *leafbno, uint64_t *nodebno)
{
	uint8_t		head[4096];
	uint64_t	bno;

	T_EQ(xbtree_read_block(bt, 0, head), 0);
	*nodebno = get_be64(head + 16);
	T_EQ(xbtree_read_block(bt, *nodebno, node), 0);
	ck_assert_uint_gt(get_be16(node + 4), 0);
	for (bno = 1; xbtree_next_block(bt, bno, &bno); bno++) {
		T_EQ(xbtree_read_block(bt, bno, leaf), 0);
		if (get_be16(leaf + 4) == 0 && get_be64(leaf + 8) == UINT64_MAX)
			break;
	}
	*leafbno = bno;
}

/* Loop index: the type. */
START_TEST(test_decode_damage)
{
	int			t = _i;
	const struct xbt_ops	*ops = types[t];
	const unsigned int	bs = 512;
	struct xbtree		*bt = build(t, bs, 400);
	uint8_t			leaf[512], node[512], b[512], head[512];
	uint64_t		lbno, nbno;
	unsigned int		n, rl = ops->rec_len;
	size_t			len;

	leaf_and_node(bt, leaf, node, &lbno, &nbno);
	n = get_be16(leaf + 6);
	ck_assert_uint_ge(n, 3);

	/* Checksum: a record byte changed, the crc not. */
	memcpy(b, leaf, bs);
	b[72 + 3] ^= 1;
	expect_damage(b, bs, "bad checksum: stored 0x");
	expect_damage(b, bs, ", bad)\n");

	/* Magic. */
	memcpy(b, leaf, bs);
	put_be32(b, 0x12345678);
	expect_damage(b, bs, "unknown magic 0x12345678 (\".4Vx\")");
	put_be32(b, 0x41424344);
	expect_damage(b, bs, "unknown magic 0x41424344 (\"ABCD\")");
	expect_damage(b, bs, "000000  41 42 43 44 ");
	memset(b, 0, bs);
	expect_damage(b, bs, "*\n000200\n");

	/* numrecs above what the block holds: only what fits is shown. */
	memcpy(b, leaf, bs);
	put_be16(b + 6, 0xffff);
	fix_crc(b, bs, false);
	expect_damage(b, bs, "numrecs 65535 is more than the block holds");
	{
		GString	*s;
		int	ret;
		char	last[32];

		s = decode(b, bs, &ret);
		snprintf(last, sizeof(last), "recs[%u] = ", (bs - 72) / rl - 1);
		T_HAS(s->str, last);
		snprintf(last, sizeof(last), "recs[%u] = ", (bs - 72) / rl);
		T_HASNT(s->str, last);
		g_string_free(s, TRUE);
	}

	/* Keys out of order: two records swapped. */
	memcpy(b, leaf, bs);
	memcpy(b + 72, leaf + 72 + rl, rl);
	memcpy(b + 72 + rl, leaf + 72, rl);
	fix_crc(b, bs, false);
	expect_damage(b, bs, "recs[1]: key out of order (not above recs[0]'s)");

	/* Unused space. */
	memcpy(b, leaf, bs);
	b[bs - 1] = 0x5a;
	fix_crc(b, bs, false);
	expect_damage(b, bs, "unused record space is not zeroed: 1 non-zero bytes in offsets 511..511");

	/* lsn, pad, siblings. */
	memcpy(b, leaf, bs);
	put_be64(b + 32, 77);
	put_be32(b + 68, 1);
	put_be64(b + 16, lbno);
	put_be64(b + 8, 0);
	fix_crc(b, bs, false);
	expect_damage(b, bs, "lsn is not zero");
	expect_damage(b, bs, "pad is not zero");
	expect_damage(b, bs, "rightsib points at the block itself");
	expect_damage(b, bs, "leftsib points at the header block");

	/* A record breaking its type's rules (kv has none). */
	if (t != T_KV) {
		memcpy(b, leaf, bs);
		put_be32(b + 72 + 4, 0);	/* blockcount 0, both types */
		fix_crc(b, bs, false);
		expect_damage(b, bs, "recs[0]: block count is zero");
	}

	/* Node: pointers at the header, at itself, null; empty node. */
	memcpy(b, node, bs);
	{
		bool		ovl = ops->flags & XBT_OPS_OVERLAPPING;
		unsigned int	slot = ops->key_len * (ovl ? 2 : 1);
		size_t		poff = 72 + ((bs - 72) / (slot + 8)) * slot;

		put_be64(b + poff, 0);
		put_be64(b + poff + 8, nbno);
		fix_crc(b, bs, false);
		expect_damage(b, bs, "ptrs[0] points at the header block");
		expect_damage(b, bs, "ptrs[1] points at the block itself");
		put_be64(b + poff + 8, UINT64_MAX);
		fix_crc(b, bs, false);
		expect_damage(b, bs, "ptrs[1] is null");
		/* Keys out of order in a node. */
		memcpy(b, node, bs);
		memcpy(b + 72, node + 72 + slot, slot);
		memcpy(b + 72 + slot, node + 72, slot);
		fix_crc(b, bs, false);
		expect_damage(b, bs, "keys[1]: key out of order");
		if (ovl) {
			/* High key below the low key. */
			memcpy(b, node, bs);
			memset(b + 72 + ops->key_len, 0, ops->key_len);
			fix_crc(b, bs, false);
			expect_damage(b, bs, "keys[0]: low key above high key");
		}
		memcpy(b, node, bs);
		put_be16(b + 6, 0);
		fix_crc(b, bs, false);
		expect_damage(b, bs, "empty node");
		expect_damage(b, bs, "unused key space is not zeroed");
		expect_damage(b, bs, "unused pointer space is not zeroed");
	}

	/* The header block. */
	T_EQ(xbtree_read_block(bt, 0, head), 0);
	memcpy(b, head, bs);
	b[60] ^= 0x80;
	expect_damage(b, bs, "bad checksum");
	memcpy(b, head, bs);
	put_be32(b + 4, 0);
	put_be64(b + 16, 0);
	put_be32(b + 44, 4096);
	put_be32(b + 72, 9);
	b[100] = 1;
	b[300] = 1;
	fix_crc(b, bs, true);
	expect_damage(b, bs, "nlevels 0 is not a height");
	expect_damage(b, bs, "root 0 is not a btree block");
	expect_damage(b, bs, "blocksize 4096, but the page is 512 bytes");
	expect_damage(b, bs, "unknown version 9");
	expect_damage(b, bs, "pad is not zeroed");
	expect_damage(b, bs, "the rest of the block is not zeroed");

	/* Every prefix of each page, and a page with room to spare. */
	for (len = 0; len <= bs; len++) {
		GString	*s;
		int	ret;

		s = decode(leaf, len, &ret);
		T_EQ(ret, count_warnings(s->str));
		if (len < bs)
			ck_assert_int_gt(ret, 0);
		g_string_free(s, TRUE);
		s = decode(node, len, &ret);
		T_EQ(ret, count_warnings(s->str));
		g_string_free(s, TRUE);
		s = decode(head, len, &ret);
		T_EQ(ret, count_warnings(s->str));
		if (len < bs)
			ck_assert_int_gt(ret, 0);
		g_string_free(s, TRUE);
	}
	expect_damage(leaf, 100, "the page is 100 bytes, not a block size");
	expect_damage(leaf, 60, "inside the block header (72 bytes)");
	expect_damage(head, 100, "inside the header (128 bytes)");
	expect_damage(leaf, 2, "too short to hold a magic number");
	xbtree_destroy(bt);
}
END_TEST

/*
 * Seeded random pages of every size 0..4096: noise; noise behind a known
 * magic with a small numrecs and level 0 or 1; and real blocks with a
 * few bytes changed (half with the checksum fixed).  Nothing may crash,
 * and the count returned must match the warnings printed.
 */
START_TEST(test_decode_fuzz)
{
	static const uint32_t	magics[] = {
		XBT_HEAD_MAGIC, 0x584B5633, 0x524D4233, 0x52334643,
	};
	uint64_t		rs = seed + 17;
	struct xbtree		*bts[T_NR];
	uint8_t			*buf = malloc(8192), *real = malloc(4096);
	GString			*s = g_string_new(NULL);
	size_t			len, i;
	int			ret, v, t, k;
	uint64_t		bno, nb;

	for (len = 0; len <= 4096; len++) {
		for (v = 0; v < 3; v++) {
			for (i = 0; i < len; i++)
				buf[i] = test_rand(&rs);
			if (v && len >= 8) {
				put_be32(buf, magics[test_rand(&rs) % 4]);
				put_be16(buf + 4, test_rand(&rs) % 3);
				put_be16(buf + 6, test_rand(&rs) %
						  (v == 1 ? 200 : 20));
			}
			if (v == 2 && len >= 72)
				fix_crc(buf, len, false);
			g_string_truncate(s, 0);
			ret = xbt_decode_block(buf, len, to_gstring, s);
			ck_assert_msg(ret >= 0, "len %zu: ret %d", len, ret);
			T_EQ(ret, count_warnings(s->str));
		}
	}

	for (t = 0; t < T_NR; t++)
		bts[t] = build(t, 4096, 3000);
	for (k = 0; k < 3000; k++) {
		struct xbtree	*bt = bts[k % T_NR];

		nb = xbtree_blocksize(bt);
		bno = test_rand(&rs) % 4;
		if (!xbtree_next_block(bt, bno, &bno))
			bno = 0;
		T_EQ(xbtree_read_block(bt, bno, real), 0);
		for (i = 1 + test_rand(&rs) % 8; i > 0; i--)
			real[test_rand(&rs) % (k % 2 ? 160 : nb)] ^=
				1 << (test_rand(&rs) % 8);
		if (k % 4 < 2)
			fix_crc(real, nb, bno == 0);
		g_string_truncate(s, 0);
		ret = xbt_decode_block(real, nb, to_gstring, s);
		ck_assert_int_ge(ret, 0);
		T_EQ(ret, count_warnings(s->str));
	}
	for (t = 0; t < T_NR; t++)
		xbtree_destroy(bts[t]);
	g_string_free(s, TRUE);
	free(buf);
	free(real);
}
END_TEST

/* ---- tree.dot ---------------------------------------------------------- */

static GString *
dump_dot(struct xbtree *bt, unsigned int max, int *ret)
{
	GString		*s = g_string_new(NULL);

	*ret = xbtree_dump_dot(bt, max, to_gstring, s);
	return s;
}

/* Count of @needle in @s. */
static unsigned int
count_of(const char *s, const char *needle)
{
	unsigned int	n = 0;

	for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/*
 * Graphviz-looking: "digraph" first, braces balanced outside quoted
 * strings and never below zero, one line per statement; and if `dot` is
 * installed, it accepts the text.
 */
static void
assert_graphviz(const char *s)
{
	const char	*p;
	bool		inq = false;
	int		depth = 0;
	char		path[] = "/tmp/check_decode_XXXXXX";
	char		cmd[128];
	FILE		*f;
	int		fd;

	ck_assert_msg(!strncmp(s, "digraph ", 8), "not a digraph:\n%s", s);
	for (p = s; *p; p++) {
		if (inq && *p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			inq = !inq;
		if (inq)
			continue;
		if (*p == '{')
			depth++;
		if (*p == '}') {
			depth--;
			ck_assert_int_ge(depth, 0);
		}
	}
	ck_assert(!inq);
	T_EQ(depth, 0);
	ck_assert(s[strlen(s) - 1] == '\n');

	if (system("command -v dot >/dev/null 2>&1") != 0)
		return;
	fd = mkstemp(path);
	T_ASSERT(fd >= 0);
	f = fdopen(fd, "w");
	T_ASSERT(f != NULL);
	fputs(s, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "dot -Tcanon -o /dev/null %s", path);
	ck_assert_msg(system(cmd) == 0, "dot refused:\n%s", s);
	unlink(path);
}

START_TEST(test_dot_small)
{
	struct xbtree	*bt = build(T_KV, 512, 10);
	GString		*s;
	int		ret;

	/* One leaf: the header, the root, the edge between. */
	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	T_HAS(s->str, "head [label=\"block 0: header (kv)\\nheight 1, root 1\\n10 records, 2 blocks\"");
	T_HAS(s->str, "b1 [label=\"block 1\\nlevel 0, numrecs 10\\n0 .. 27\"");
	T_HAS(s->str, "head -> b1 [style=dotted, label=\"root\"];");
	T_HASNT(s->str, "cut");
	T_HASNT(s->str, "red");
	g_string_free(s, TRUE);
	xbtree_destroy(bt);

	/* Three levels of rmap, drawn whole: every block a node. */
	bt = build(T_RMAP, 512, 300);
	{
		struct xbtree_stats	st;
		uint64_t		bno;
		char			node[64];

		xbtree_get_stats(bt, &st);
		ck_assert_uint_ge(st.height, 3);
		s = dump_dot(bt, 0, &ret);
		T_EQ(ret, 0);
		assert_graphviz(s->str);
		for (bno = 1; xbtree_next_block(bt, bno, &bno); bno++) {
			snprintf(node, sizeof(node), "\tb%llu [label=\"block %llu\\n",
				 (unsigned long long)bno,
				 (unsigned long long)bno);
			T_HAS(s->str, node);
		}
		T_EQ(count_of(s->str, "[label=\"block "), st.blocks);
		/* Parent edges: one per block but the root. */
		T_EQ(count_of(s->str, " -> b") - count_of(s->str, "dir=both") -
		     count_of(s->str, "head -> b"), st.blocks - 2);
		T_EQ(count_of(s->str, "head -> b"), 1);
		/* Siblings: each level's blocks are a chain. */
		T_EQ(count_of(s->str, "dir=both"), st.blocks - 1 - st.height);
		T_EQ(count_of(s->str, "rank=same"), st.height);
		T_HAS(s->str, "\\nhigh ");
		T_HAS(s->str, "\\n0/ag/0 .. ");
		T_HASNT(s->str, "cut");
		T_HASNT(s->str, "orange");
		T_HASNT(s->str, "red");
		g_string_free(s, TRUE);
	}
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_dot_large)
{
	struct xbtree		*bt = build(T_KV, 512, 20000);
	struct xbtree_stats	st;
	unsigned int		nodes;
	GString			*s;
	int			ret;

	xbtree_get_stats(bt, &st);
	ck_assert_uint_ge(st.height, 3);
	ck_assert_uint_gt(st.blocks, 400);

	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	nodes = count_of(s->str, "[label=\"block ") - 1;
	ck_assert_uint_le(nodes, 300);
	ck_assert_uint_ge(nodes, 1);
	T_HAS(s->str, "cut [shape=note, label=\"not drawn: level");
	T_HAS(s->str, "(tree.dot draws at most 300 blocks)");
	T_HASNT(s->str, "level 0, numrecs");
	{
		char	want[128];

		snprintf(want, sizeof(want), "%llu more blocks",
			 (unsigned long long)(st.blocks - 1 - nodes));
		T_HAS(s->str, want);
	}
	/* Whole levels: the rank count is the levels drawn. */
	ck_assert_uint_lt(count_of(s->str, "rank=same"), st.height);
	g_string_free(s, TRUE);

	/* A limit of one: just the root. */
	s = dump_dot(bt, 1, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	T_EQ(count_of(s->str, "[label=\"block "), 2);
	T_HAS(s->str, "cut [shape=note");
	g_string_free(s, TRUE);

	/* No limit: every block. */
	s = dump_dot(bt, 0, &ret);
	T_EQ(ret, 0);
	T_EQ(count_of(s->str, "[label=\"block "), st.blocks);
	T_HASNT(s->str, "cut");
	assert_graphviz(s->str);
	g_string_free(s, TRUE);
	xbtree_destroy(bt);
}
END_TEST

START_TEST(test_dot_damage)
{
	struct xbtree	*bt = build(T_KV, 512, 200);
	uint8_t		head[512], node[512], b[512];
	uint64_t	root, c0, c1, c2;
	unsigned int	poff = 72 + ((512 - 72) / 16) * 8;
	char		want[128];
	GString		*s;
	int		ret;

	T_EQ(xbtree_read_block(bt, 0, head), 0);
	root = get_be64(head + 16);
	T_EQ(xbtree_read_block(bt, root, node), 0);
	c0 = get_be64(node + poff);
	c1 = get_be64(node + poff + 8);
	c2 = get_be64(node + poff + 16);

	/* A sibling link that lies, checksum fixed: orange, named. */
	T_EQ(xbtree_read_block(bt, c1, b), 0);
	put_be64(b + 16, c0);
	fix_crc(b, 512, false);
	T_EQ(xbtree_write_block(bt, c1, b, 512, 0), 0);
	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	snprintf(want, sizeof(want), "rightsib %llu, expected %llu",
		 (unsigned long long)c0, (unsigned long long)c2);
	T_HAS(s->str, want);
	T_HAS(s->str, "color=orange");
	g_string_free(s, TRUE);

	/* A damaged leaf: red with the reason, the rest still drawn. */
	b[100] ^= 1;
	T_EQ(xbtree_write_block(bt, c1, b, 512, 0), 0);
	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	snprintf(want, sizeof(want),
		 "b%llu [label=\"block %llu\\nDAMAGED: bad checksum\", color=red",
		 (unsigned long long)c1, (unsigned long long)c1);
	T_HAS(s->str, want);
	snprintf(want, sizeof(want), "b%llu [label=\"block %llu\\nlevel 0",
		 (unsigned long long)c2, (unsigned long long)c2);
	T_HAS(s->str, want);
	ck_assert(xbtree_is_corrupt(bt));
	g_string_free(s, TRUE);

	/* Two pointers to one block: drawn once, the second edge red. */
	memcpy(b, node, 512);
	put_be64(b + poff + 8, c0);
	fix_crc(b, 512, false);
	T_EQ(xbtree_write_block(bt, root, b, 512, 0), 0);
	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	snprintf(want, sizeof(want), "b%llu -> b%llu [color=red, label=\"again\"]",
		 (unsigned long long)root, (unsigned long long)c0);
	T_HAS(s->str, want);
	snprintf(want, sizeof(want), "b%llu [label=", (unsigned long long)c0);
	T_EQ(count_of(s->str, want), 1);
	/* Not all of the level is known: no sibling verdicts. */
	T_HASNT(s->str, "orange");
	g_string_free(s, TRUE);

	/* A damaged root: drawn red, nothing below. */
	memcpy(b, node, 512);
	put_be16(b + 4, 7);
	T_EQ(xbtree_write_block(bt, root, b, 512, 0), 0);
	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	T_HAS(s->str, "DAMAGED: bad checksum");
	T_EQ(count_of(s->str, "[label=\"block "), 2);
	g_string_free(s, TRUE);

	/* A damaged header block: just the header, red. */
	memcpy(b, head, 512);
	b[130] = 1;
	T_EQ(xbtree_write_block(bt, 0, b, 512, 0), 0);
	s = dump_dot(bt, 300, &ret);
	T_EQ(ret, 0);
	assert_graphviz(s->str);
	T_HAS(s->str, "head [label=\"block 0: header\\nDAMAGED: bad checksum\", color=red");
	T_EQ(count_of(s->str, "[label=\"block "), 1);
	g_string_free(s, TRUE);
	xbtree_destroy(bt);
}
END_TEST

/* An output function that fails at its @fail_at'th call. */
struct failing {
	unsigned int	calls;
	unsigned int	fail_at;
};

static int
failing_out(const char *text, size_t len, void *priv)
{
	struct failing	*f = priv;

	(void)text;
	(void)len;
	ck_assert_uint_lt(f->calls, f->fail_at);	/* stops at once */
	return ++f->calls == f->fail_at ? -ENOSPC : 0;
}

START_TEST(test_out_errors)
{
	struct xbtree	*bt = build(T_RMAP, 512, 200);
	uint8_t		buf[512];
	struct failing	f;
	unsigned int	n;
	int		ret;

	T_EQ(xbtree_read_block(bt, 1, buf), 0);
	for (n = 1; n < 40; n++) {
		f = (struct failing){ .fail_at = n };
		ret = xbt_decode_block(buf, 512, failing_out, &f);
		if (f.calls == n)
			T_EQ(ret, -ENOSPC);
		else
			T_EQ(ret, 0);
		f = (struct failing){ .fail_at = n };
		ret = xbtree_dump_dot(bt, 0, failing_out, &f);
		if (f.calls == n)
			T_EQ(ret, -ENOSPC);
		else
			T_EQ(ret, 0);
	}
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("decode");
	TCase	*tc = tcase_create("decode");

	seed = test_seed("decode");
	test_log_quiet();
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_print_ops);
	tcase_add_loop_test(tc, test_decode_sound, 0, 2 * T_NR);
	tcase_add_test(tc, test_decode_kv_leaf_text);
	tcase_add_loop_test(tc, test_decode_damage, 0, T_NR);
	tcase_add_test(tc, test_decode_fuzz);
	tcase_add_test(tc, test_dot_small);
	tcase_add_test(tc, test_dot_large);
	tcase_add_test(tc, test_dot_damage);
	tcase_add_test(tc, test_out_errors);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
