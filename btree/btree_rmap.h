/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btree_rmap.h: the rmap record type, XFS's reverse mapping of AG blocks
 * to their owners.
 *
 * Record (24 bytes, XFS's on-disk rmap record):
 *
 *	OFFSET  SIZE  FIELD          ENDIAN  MEANING
 *	     0     4  rm_startblock  BE      first block of the extent
 *	     4     4  rm_blockcount  BE      blocks in the extent, >= 1
 *	     8     8  rm_owner       BE      inode number, or a special owner
 *	    16     8  rm_offset      BE      flags and file offset, below
 *
 * rm_offset, bit by bit:
 *
 *	 63    62    61    60 .. 54   53 ................................ 0
 *	+-----+-----+-----+----------+-------------------------------------+
 *	|attr |bmbt |unwr | zero     | logical block offset in the fork    |
 *	+-----+-----+-----+----------+-------------------------------------+
 *
 *	attr       the extent maps the attribute fork (else the data fork)
 *	bmbt       the extent is a block of the fork's extent-map btree
 *	unwritten  the mapping is preallocated but not written
 *
 * Key (20 bytes, packed; no block count):
 *
 *	OFFSET  SIZE  FIELD          ENDIAN  MEANING
 *	     0     4  rm_startblock  BE      as in the record
 *	     4     8  rm_owner       BE      as in the record
 *	    12     8  rm_offset      BE      as in the record, unwritten
 *	                                     bit (61) always clear
 *
 * Blocks carry the magic RMB3 (0x524D4233).  rmap is an overlapping
 * btree (extents of different owners share blocks), so each node slot
 * holds a low key and a high key; see btree_rmap.c for the order and
 * the high-key rule.
 *
 * The in-core form, struct rmapbt_irec, keeps the offset (bits 0..53)
 * and the flags apart; the helpers below convert.  Neither the helpers
 * nor the ops take locks.
 */
#ifndef BTREE_BTREE_RMAP_H
#define BTREE_BTREE_RMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "btree/format.h"
#include "btree/xbtree.h"

#define RMAPBT_MAGIC		0x524D4233U	/* "RMB3" */
#define RMAPBT_REC_LEN		24U
#define RMAPBT_KEY_LEN		20U

/* Byte offsets inside a record and a key. */
#define RMAPBT_REC_START_OFF	0
#define RMAPBT_REC_COUNT_OFF	4
#define RMAPBT_REC_OWNER_OFF	8
#define RMAPBT_REC_OFFSET_OFF	16
#define RMAPBT_KEY_START_OFF	0
#define RMAPBT_KEY_OWNER_OFF	4
#define RMAPBT_KEY_OFFSET_OFF	12

/* Bits of the packed rm_offset field. */
#define RMAPBT_OFF_ATTR_BIT	(1ULL << 63)
#define RMAPBT_OFF_BMBT_BIT	(1ULL << 62)
#define RMAPBT_OFF_UNWRITTEN_BIT (1ULL << 61)
#define RMAPBT_OFF_MASK		((1ULL << 54) - 1)	/* bits 0..53 */
#define RMAPBT_OFF_MAX		RMAPBT_OFF_MASK
#define RMAPBT_OFF_RESERVED	(((1ULL << 61) - 1) & ~RMAPBT_OFF_MASK)

/* In-core flags (struct rmapbt_irec.flags). */
#define RMAPBT_F_ATTR		(1U << 0)
#define RMAPBT_F_BMBT		(1U << 1)
#define RMAPBT_F_UNWRITTEN	(1U << 2)
#define RMAPBT_F_ALL		(RMAPBT_F_ATTR | RMAPBT_F_BMBT | \
				 RMAPBT_F_UNWRITTEN)
#define RMAPBT_NR_FLAGS		3

/*
 * The flags' names, in the one order every text uses (record text, the
 * decoder, tree.dot): attr, bmbt, unwritten.
 */
struct rmapbt_flag_name {
	unsigned int	flag;		/* RMAPBT_F_* */
	const char	*name;
};
extern const struct rmapbt_flag_name rmapbt_flag_names[RMAPBT_NR_FLAGS];

/*
 * Special owners: the top bit of an owner says "not an inode".  XFS owns
 * the values -1 .. -9; OWN_MIN is only a guard below them.
 */
#define RMAPBT_OWN_NULL		((uint64_t)-1)	/* no owner */
#define RMAPBT_OWN_UNKNOWN	((uint64_t)-2)	/* not known (repair) */
#define RMAPBT_OWN_FS		((uint64_t)-3)	/* static fs metadata */
#define RMAPBT_OWN_LOG		((uint64_t)-4)	/* the journal */
#define RMAPBT_OWN_AG		((uint64_t)-5)	/* free-space btree blocks */
#define RMAPBT_OWN_INOBT	((uint64_t)-6)	/* inode btree blocks */
#define RMAPBT_OWN_INODES	((uint64_t)-7)	/* inode chunks */
#define RMAPBT_OWN_REFC		((uint64_t)-8)	/* refcount btree blocks */
#define RMAPBT_OWN_COW		((uint64_t)-9)	/* CoW staging extents */
#define RMAPBT_OWN_MIN		((uint64_t)-10)	/* guard, never valid */
#define RMAPBT_NR_SPECIAL	9

extern const struct xbt_ops rmapbt_ops;

/*
 * Names of the special owners as record text writes them, indexed by
 * rmapbt_special_index(): "null", "unknown", "fs", ... "cow".
 */
extern const char *const rmapbt_owner_names[RMAPBT_NR_SPECIAL];

struct rmapbt_irec {
	uint32_t	startblock;
	uint32_t	blockcount;
	uint64_t	owner;
	uint64_t	offset;		/* bits 0..53 only */
	unsigned int	flags;		/* RMAPBT_F_* */
};

/* Is @owner one of the special owners -1 .. -9? */
static inline bool
rmapbt_owner_is_special(uint64_t owner)
{
	return owner > RMAPBT_OWN_MIN;
}

/* Is @owner an inode number (top bit clear)? */
static inline bool
rmapbt_owner_is_inode(uint64_t owner)
{
	return !(owner >> 63);
}

/* Index of a special owner in rmapbt_owner_names: -1 -> 0 ... -9 -> 8. */
static inline unsigned int
rmapbt_special_index(uint64_t owner)
{
	return (unsigned int)(RMAPBT_OWN_NULL - owner);
}

/* The name of @owner, or NULL if it is not a special owner. */
static inline const char *
rmapbt_owner_name(uint64_t owner)
{
	if (!rmapbt_owner_is_special(owner))
		return NULL;
	return rmapbt_owner_names[rmapbt_special_index(owner)];
}

/* Pack a file offset (bits 0..53 of @offset) and RMAPBT_F_* flags. */
static inline uint64_t
rmapbt_pack_offset(uint64_t offset, unsigned int flags)
{
	uint64_t	v = offset & RMAPBT_OFF_MASK;

	if (flags & RMAPBT_F_ATTR)
		v |= RMAPBT_OFF_ATTR_BIT;
	if (flags & RMAPBT_F_BMBT)
		v |= RMAPBT_OFF_BMBT_BIT;
	if (flags & RMAPBT_F_UNWRITTEN)
		v |= RMAPBT_OFF_UNWRITTEN_BIT;
	return v;
}

/* The RMAPBT_F_* flags of a packed offset field. */
static inline unsigned int
rmapbt_unpack_flags(uint64_t packed)
{
	return ((packed & RMAPBT_OFF_ATTR_BIT) ? RMAPBT_F_ATTR : 0) |
	       ((packed & RMAPBT_OFF_BMBT_BIT) ? RMAPBT_F_BMBT : 0) |
	       ((packed & RMAPBT_OFF_UNWRITTEN_BIT) ? RMAPBT_F_UNWRITTEN : 0);
}

/*
 * Build the 24 record bytes at @rec from @irec.  Offset bits above 53
 * and unknown flags are dropped; rmapbt_ops.verify_rec judges the rest.
 */
static inline void
rmapbt_rec_init(void *rec, const struct rmapbt_irec *irec)
{
	uint8_t		*p = rec;

	put_be32(p + RMAPBT_REC_START_OFF, irec->startblock);
	put_be32(p + RMAPBT_REC_COUNT_OFF, irec->blockcount);
	put_be64(p + RMAPBT_REC_OWNER_OFF, irec->owner);
	put_be64(p + RMAPBT_REC_OFFSET_OFF,
		 rmapbt_pack_offset(irec->offset, irec->flags));
}

/*
 * Decode the record at @rec into @irec.  Reserved offset bits (54..60)
 * are not kept: verify_rec rejects a record that has them.
 */
static inline void
rmapbt_rec_get(const void *rec, struct rmapbt_irec *irec)
{
	const uint8_t	*p = rec;
	uint64_t	packed = get_be64(p + RMAPBT_REC_OFFSET_OFF);

	irec->startblock = get_be32(p + RMAPBT_REC_START_OFF);
	irec->blockcount = get_be32(p + RMAPBT_REC_COUNT_OFF);
	irec->owner = get_be64(p + RMAPBT_REC_OWNER_OFF);
	irec->offset = packed & RMAPBT_OFF_MASK;
	irec->flags = rmapbt_unpack_flags(packed);
}

/*
 * Build the 20 key bytes at @key.  RMAPBT_F_UNWRITTEN is ignored: it is
 * not part of the key.  @offset is taken whole (bits 0..53 matter for
 * valid records; a range query may pass all ones).
 */
static inline void
rmapbt_key_init(void *key, uint32_t start, uint64_t owner, uint64_t offset,
		unsigned int flags)
{
	uint8_t		*p = key;

	if (flags & RMAPBT_F_ATTR)
		offset |= RMAPBT_OFF_ATTR_BIT;
	if (flags & RMAPBT_F_BMBT)
		offset |= RMAPBT_OFF_BMBT_BIT;
	put_be32(p + RMAPBT_KEY_START_OFF, start);
	put_be64(p + RMAPBT_KEY_OWNER_OFF, owner);
	put_be64(p + RMAPBT_KEY_OFFSET_OFF, offset);
}

/*
 * The keys of a block-range query: every record whose extent overlaps
 * blocks @low .. @high lies between (@low, 0, 0) and (@high, ~0, ~0).
 */
static inline void
rmapbt_range_keys(void *lowkey, void *highkey, uint32_t low, uint32_t high)
{
	rmapbt_key_init(lowkey, low, 0, 0, 0);
	rmapbt_key_init(highkey, high, UINT64_MAX, UINT64_MAX, 0);
}

#endif /* BTREE_BTREE_RMAP_H */
