/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btree_refcount.h: the refcount record type, XFS's reference counts of
 * shared AG blocks and its CoW staging extents.
 *
 * Record (12 bytes, XFS's on-disk refcount record):
 *
 *	OFFSET  SIZE  FIELD          ENDIAN  MEANING
 *	     0     4  rc_startblock  BE      bit 31: CoW domain; bits 0..30:
 *	                                     first block of the extent
 *	     4     4  rc_blockcount  BE      blocks in the extent, >= 1
 *	     8     4  rc_refcount    BE      shared: owners of each block,
 *	                                     >= 2; CoW: exactly 1
 *
 * Key (4 bytes): rc_startblock as stored, domain bit included.  The key
 * is the record's first four bytes and orders as a big-endian u32, so
 * every shared record sorts before every CoW record.
 *
 *	encoded startblock
 *	 31   30 ............................................. 0
 *	+----+---------------------------------------------------+
 *	|cow | startblock (< 2^31)                               |
 *	+----+---------------------------------------------------+
 *
 * Blocks carry the magic R3FC (0x52334643).  Not overlapping: within a
 * domain extents never overlap (XBT_OPS_DISJOINT), and the domain bit
 * keeps the two domains' key ranges apart.  See btree_refcount.c.
 *
 * The in-core form, struct refcbt_irec, holds the 31-bit start block and
 * the domain apart.  No locks.
 */
#ifndef BTREE_BTREE_REFCOUNT_H
#define BTREE_BTREE_REFCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "btree/format.h"
#include "btree/xbtree.h"

#define REFCBT_MAGIC		0x52334643U	/* "R3FC" */
#define REFCBT_REC_LEN		12U
#define REFCBT_KEY_LEN		4U

#define REFCBT_REC_START_OFF	0
#define REFCBT_REC_COUNT_OFF	4
#define REFCBT_REC_REFCOUNT_OFF	8

#define REFCBT_COW_BIT		(1U << 31)	/* CoW domain, in the start */
#define REFCBT_START_MAX	(REFCBT_COW_BIT - 1)	/* 31 bits */

extern const struct xbt_ops refcbt_ops;

struct refcbt_irec {
	uint32_t	startblock;	/* bits 0..30 */
	uint32_t	blockcount;
	uint32_t	refcount;
	bool		cow;		/* CoW staging domain */
};

/* The stored start block: @start (31 bits) with the domain bit. */
static inline uint32_t
refcbt_encode_start(uint32_t start, bool cow)
{
	return (start & REFCBT_START_MAX) | (cow ? REFCBT_COW_BIT : 0);
}

/* Build the 12 record bytes at @rec from @irec (start bit 31 dropped). */
static inline void
refcbt_rec_init(void *rec, const struct refcbt_irec *irec)
{
	uint8_t		*p = rec;

	put_be32(p + REFCBT_REC_START_OFF,
		 refcbt_encode_start(irec->startblock, irec->cow));
	put_be32(p + REFCBT_REC_COUNT_OFF, irec->blockcount);
	put_be32(p + REFCBT_REC_REFCOUNT_OFF, irec->refcount);
}

/* Decode the record at @rec into @irec. */
static inline void
refcbt_rec_get(const void *rec, struct refcbt_irec *irec)
{
	const uint8_t	*p = rec;
	uint32_t	enc = get_be32(p + REFCBT_REC_START_OFF);

	irec->startblock = enc & REFCBT_START_MAX;
	irec->cow = enc & REFCBT_COW_BIT;
	irec->blockcount = get_be32(p + REFCBT_REC_COUNT_OFF);
	irec->refcount = get_be32(p + REFCBT_REC_REFCOUNT_OFF);
}

/* Build the 4 key bytes at @key: start block @start in domain @cow. */
static inline void
refcbt_key_init(void *key, uint32_t start, bool cow)
{
	put_be32(key, refcbt_encode_start(start, cow));
}

/*
 * Does the record at @rec cover any of blocks @low .. @high (31-bit
 * block numbers, either domain)?
 */
static inline bool
refcbt_rec_overlaps(const void *rec, uint32_t low, uint32_t high)
{
	const uint8_t	*p = rec;
	uint64_t	start = get_be32(p + REFCBT_REC_START_OFF) &
				REFCBT_START_MAX;
	uint64_t	count = get_be32(p + REFCBT_REC_COUNT_OFF);

	return start <= high && start + count > low;
}

#endif /* BTREE_BTREE_REFCOUNT_H */
