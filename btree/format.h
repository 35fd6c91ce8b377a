/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * format.h: every on-memory format of an xfbtree, byte by byte.
 *
 * An xfbtree is an array of equal-sized blocks in one xfile; block n lives
 * at byte n * blocksize.  Block 0 is the header block, every other
 * allocated block is a btree block.  All integers are big-endian except
 * the two checksums, which are stored little-endian as XFS stores bb_crc.
 * Nothing outside the accessors below touches a big-endian field.
 *
 * Block 0, the header block (struct xbt_head_block; the first 40 bytes are
 * the seed patchset's in-memory btree header, the rest is ours):
 *
 *	OFFSET  SIZE  FIELD          ENDIAN  MEANING
 *	     0     4  hb_magic       BE      0x4341544D "CATM"
 *	     4     4  hb_nlevels     BE      height of the tree, >= 1
 *	     8     8  hb_owner       BE      owner number, as in every bb_owner
 *	    16     8  hb_root        BE      block number of the root
 *	    24    16  hb_uuid        -       the btree's UUID, as in bb_uuid
 *	    40     4  hb_type        BE      record type: the type's block magic
 *	    44     4  hb_blocksize   BE      bytes per block, 512..65536
 *	    48     8  hb_nrecords    BE      records in the tree
 *	    56     8  hb_data_size   BE      size of the kv `data` file view
 *	    64     8  hb_nblocks     BE      allocated blocks, block 0 included
 *	    72     4  hb_version     BE      XBT_HEAD_VERSION
 *	    76     4  hb_flags       BE      0 (reserved)
 *	    80    44  hb_pad         -       zeros
 *	   124     4  hb_crc         LE      CRC32c of the whole block with this
 *	                                     field as zeros
 *	   128     -  -              -       zeros to the end of the block
 *
 * A btree block, XFS's long-format CRC header (struct xbt_block):
 *
 *	OFFSET  SIZE  FIELD          ENDIAN  MEANING
 *	     0     4  bb_magic       BE      the record type's magic
 *	     4     2  bb_level       BE      0 for a leaf, parents count up
 *	     6     2  bb_numrecs     BE      records (leaf) or entries (node)
 *	     8     8  bb_leftsib     BE      left sibling block, or all ones
 *	    16     8  bb_rightsib    BE      right sibling block, or all ones
 *	    24     8  bb_blkno       BE      block number * blocksize / 512
 *	    32     8  bb_lsn         BE      0: blocks are never logged
 *	    40    16  bb_uuid        -       the btree's UUID
 *	    56     8  bb_owner       BE      the btree's owner number
 *	    64     4  bb_crc         LE      CRC32c of the whole block with this
 *	                                     field as zeros
 *	    68     4  bb_pad         BE      0
 *	    72     -  records or keys and pointers
 *
 * Leaf and node layout (rl = record length, kl = key slot length, which is
 * twice the key length for an overlapping btree: low key, then high key):
 *
 *	leaf:  | header 72 | rec 0 | rec 1 | ... | rec n-1 | zeros ...       |
 *	                    <------------- maxrecs(0) * rl ------------->
 *
 *	node:  | header 72 | key 0 | ... | key n-1 | zeros | ptr 0 | ... | ptr n-1 | zeros |
 *	                    <---- maxrecs(1) * kl -------->  <-- maxrecs(1) * 8 -->
 *
 *	maxrecs(0) = (blocksize - 72) / rl
 *	maxrecs(1) = (blocksize - 72) / (kl + 8)
 *	minrecs(l) = maxrecs(l) / 2 (the root is exempt)
 *
 * The pointer array starts right after room for maxrecs(1) keys, wherever
 * numrecs stands.  A pointer is a big-endian u64 block number (not a
 * daddr).  Entry i of a node covers the subtree at ptr i; key i is the
 * lowest key in that subtree (and, overlapping, the highest high key).
 *
 * Unused slots are zeros.  The engine keeps every byte past the last
 * record, key and pointer zeroed; the transaction undo of a slot insert
 * relies on it, and check.c verifies it.
 */
#ifndef BTREE_FORMAT_H
#define BTREE_FORMAT_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Endian-typed integers: a struct keeps them from mixing with host ints. */
typedef struct { uint16_t v; } xfb_be16_t;
typedef struct { uint32_t v; } xfb_be32_t;
typedef struct { uint64_t v; } xfb_be64_t;
typedef struct { uint32_t v; } xfb_le32_t;

static inline uint16_t be16_load(xfb_be16_t x) { return be16toh(x.v); }
static inline uint32_t be32_load(xfb_be32_t x) { return be32toh(x.v); }
static inline uint64_t be64_load(xfb_be64_t x) { return be64toh(x.v); }
static inline uint32_t le32_load(xfb_le32_t x) { return le32toh(x.v); }
static inline xfb_be16_t be16_store(uint16_t v) { return (xfb_be16_t){ htobe16(v) }; }
static inline xfb_be32_t be32_store(uint32_t v) { return (xfb_be32_t){ htobe32(v) }; }
static inline xfb_be64_t be64_store(uint64_t v) { return (xfb_be64_t){ htobe64(v) }; }
static inline xfb_le32_t le32_store(uint32_t v) { return (xfb_le32_t){ htole32(v) }; }

/* Unaligned big-endian access into record and key bytes. */
static inline uint16_t
get_be16(const void *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline void
put_be16(void *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint32_t
get_be32(const void *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline uint64_t
get_be64(const void *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static inline void
put_be32(void *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void
put_be64(void *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

#define XBT_HEAD_MAGIC		0x4341544DU	/* "CATM" */
#define XBT_HEAD_VERSION	1U
#define XBT_HEAD_BLOCK		0ULL		/* block number of the header */
#define XBT_FIRST_LEAF		1ULL		/* root of an empty tree */
#define XBT_NULLBLOCK		UINT64_MAX	/* no sibling */
#define XBT_BLOCK_HDR_LEN	72U
#define XBT_PTR_LEN		8U
#define XBT_MIN_BLOCKSIZE	512U
#define XBT_MAX_BLOCKSIZE	65536U
#define XBT_BBSHIFT		9		/* daddr units: 512 bytes */
#define XBT_UUID_LEN		16

struct xbt_head_block {
	xfb_be32_t		hb_magic;
	xfb_be32_t		hb_nlevels;
	xfb_be64_t		hb_owner;
	xfb_be64_t		hb_root;
	uint8_t		hb_uuid[XBT_UUID_LEN];
	/* end of the seed patchset's header */
	xfb_be32_t		hb_type;
	xfb_be32_t		hb_blocksize;
	xfb_be64_t		hb_nrecords;
	xfb_be64_t		hb_data_size;
	xfb_be64_t		hb_nblocks;
	xfb_be32_t		hb_version;
	xfb_be32_t		hb_flags;
	uint8_t		hb_pad[44];
	xfb_le32_t		hb_crc;
};

#define XBT_HEAD_LEN		128U
#define XBT_HEAD_CRC_OFF	offsetof(struct xbt_head_block, hb_crc)

struct xbt_block {
	xfb_be32_t		bb_magic;
	xfb_be16_t		bb_level;
	xfb_be16_t		bb_numrecs;
	xfb_be64_t		bb_leftsib;
	xfb_be64_t		bb_rightsib;
	xfb_be64_t		bb_blkno;
	xfb_be64_t		bb_lsn;
	uint8_t		bb_uuid[XBT_UUID_LEN];
	xfb_be64_t		bb_owner;
	xfb_le32_t		bb_crc;
	xfb_be32_t		bb_pad;
};

#define XBT_BLOCK_CRC_OFF	offsetof(struct xbt_block, bb_crc)

/* The layout tables above, pinned. */
#define XBT_ASSERT_OFF(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), \
		       #type "." #field " is not at " #off)

_Static_assert(sizeof(struct xbt_head_block) == XBT_HEAD_LEN, "head size");
XBT_ASSERT_OFF(xbt_head_block, hb_magic, 0);
XBT_ASSERT_OFF(xbt_head_block, hb_nlevels, 4);
XBT_ASSERT_OFF(xbt_head_block, hb_owner, 8);
XBT_ASSERT_OFF(xbt_head_block, hb_root, 16);
XBT_ASSERT_OFF(xbt_head_block, hb_uuid, 24);
XBT_ASSERT_OFF(xbt_head_block, hb_type, 40);
XBT_ASSERT_OFF(xbt_head_block, hb_blocksize, 44);
XBT_ASSERT_OFF(xbt_head_block, hb_nrecords, 48);
XBT_ASSERT_OFF(xbt_head_block, hb_data_size, 56);
XBT_ASSERT_OFF(xbt_head_block, hb_nblocks, 64);
XBT_ASSERT_OFF(xbt_head_block, hb_version, 72);
XBT_ASSERT_OFF(xbt_head_block, hb_flags, 76);
XBT_ASSERT_OFF(xbt_head_block, hb_pad, 80);
XBT_ASSERT_OFF(xbt_head_block, hb_crc, 124);

_Static_assert(sizeof(struct xbt_block) == XBT_BLOCK_HDR_LEN, "block hdr");
XBT_ASSERT_OFF(xbt_block, bb_magic, 0);
XBT_ASSERT_OFF(xbt_block, bb_level, 4);
XBT_ASSERT_OFF(xbt_block, bb_numrecs, 6);
XBT_ASSERT_OFF(xbt_block, bb_leftsib, 8);
XBT_ASSERT_OFF(xbt_block, bb_rightsib, 16);
XBT_ASSERT_OFF(xbt_block, bb_blkno, 24);
XBT_ASSERT_OFF(xbt_block, bb_lsn, 32);
XBT_ASSERT_OFF(xbt_block, bb_uuid, 40);
XBT_ASSERT_OFF(xbt_block, bb_owner, 56);
XBT_ASSERT_OFF(xbt_block, bb_crc, 64);
XBT_ASSERT_OFF(xbt_block, bb_pad, 68);

/* Block header accessors. */
static inline uint32_t xbt_magic(const struct xbt_block *b)
{ return be32_load(b->bb_magic); }
static inline unsigned int xbt_level(const struct xbt_block *b)
{ return be16_load(b->bb_level); }
static inline unsigned int xbt_numrecs(const struct xbt_block *b)
{ return be16_load(b->bb_numrecs); }
static inline uint64_t xbt_leftsib(const struct xbt_block *b)
{ return be64_load(b->bb_leftsib); }
static inline uint64_t xbt_rightsib(const struct xbt_block *b)
{ return be64_load(b->bb_rightsib); }
static inline uint64_t xbt_daddr(const struct xbt_block *b)
{ return be64_load(b->bb_blkno); }
static inline uint64_t xbt_owner(const struct xbt_block *b)
{ return be64_load(b->bb_owner); }

static inline void xbt_set_numrecs(struct xbt_block *b, unsigned int n)
{ b->bb_numrecs = be16_store(n); }
static inline void xbt_set_leftsib(struct xbt_block *b, uint64_t bno)
{ b->bb_leftsib = be64_store(bno); }
static inline void xbt_set_rightsib(struct xbt_block *b, uint64_t bno)
{ b->bb_rightsib = be64_store(bno); }

/* Header block accessors. */
static inline unsigned int xbt_head_nlevels(const struct xbt_head_block *h)
{ return be32_load(h->hb_nlevels); }
static inline uint64_t xbt_head_root(const struct xbt_head_block *h)
{ return be64_load(h->hb_root); }
static inline uint64_t xbt_head_nrecords(const struct xbt_head_block *h)
{ return be64_load(h->hb_nrecords); }
static inline uint64_t xbt_head_nblocks(const struct xbt_head_block *h)
{ return be64_load(h->hb_nblocks); }
static inline uint64_t xbt_head_data_size(const struct xbt_head_block *h)
{ return be64_load(h->hb_data_size); }

/* Daddr of block number @bno: XFS counts in 512-byte sectors. */
static inline uint64_t
xbt_bno_to_daddr(uint64_t bno, unsigned int blkshift)
{
	return bno << (blkshift - XBT_BBSHIFT);
}

#endif /* BTREE_FORMAT_H */
