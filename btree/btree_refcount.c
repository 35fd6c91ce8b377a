// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btree_refcount.c: the refcount record type, an ops table for the engine.
 *
 * A refcount record says "blocks startblock .. startblock + blockcount - 1
 * are each owned refcount times" (the shared domain), or "are staged for
 * copy-on-write" (the CoW domain, refcount 1).  Layout, in btree_refcount.h:
 *
 *	record (12 bytes)                    key (4 bytes)
 *	OFFSET  SIZE  FIELD          ENDIAN  OFFSET  SIZE  FIELD          ENDIAN
 *	     0     4  rc_startblock  BE           0     4  rc_startblock  BE
 *	     4     4  rc_blockcount  BE
 *	     8     4  rc_refcount    BE
 *
 * rc_startblock carries the domain in bit 31 (set: CoW).  The key is the
 * encoded start block, compared as a u32, so keys run
 *
 *	0 ........ 2^31 - 1 | 2^31 ....... 2^32 - 1
 *	shared start blocks | CoW start blocks (bit 31 set)
 *
 * and the key is the record's first four bytes in memcmp order
 * (XBT_OPS_KEY_PREFIX: the engine searches leaves without calling us).
 *
 * A record covers the keys [encoded start, encoded start + blockcount - 1].
 * Within one domain extents never overlap, which the engine enforces on
 * insert and update (XBT_OPS_DISJOINT); since start + blockcount <= 2^31,
 * a record's high key keeps its domain bit, so a shared extent never
 * collides with a CoW extent over the same blocks.  The btree is not
 * overlapping: a node slot holds just the low key.
 *
 * Record rules (refcbt_verify_rec), XFS's: blockcount is not zero, the
 * extent ends at or below block 2^31 - 1, a CoW extent has refcount 1 and
 * a shared extent refcount 2 or more.
 *
 * For people (tree.dot, the page decoder) a key prints as "100" or
 * "100 cow" (the domain bit as a word), a record as "startblock 100
 * blockcount 8 refcount 2 domain shared" (or "domain cow").
 *
 * Nothing here takes locks or allocates; every function is pure.
 */
#include <stdio.h>
#include <string.h>

#include "btree/btree_refcount.h"

_Static_assert(REFCBT_REC_LEN <= XBT_REC_MAX, "refcount record too long");
_Static_assert(REFCBT_KEY_LEN <= XBT_KEY_MAX, "refcount key too long");
_Static_assert(REFCBT_REC_START_OFF == 0, "refcount key is a prefix");

/* The key: the encoded start block, the record's first four bytes. */
static void
refcbt_init_key_from_rec(void *key, const void *rec)
{
	memcpy(key, rec, REFCBT_KEY_LEN);
}

/*
 * The high key: the encoded start of the last block covered.  A verified
 * record cannot carry into bit 31; a damaged one wraps harmlessly.
 */
static void
refcbt_init_high_key_from_rec(void *key, const void *rec)
{
	const uint8_t	*r = rec;
	uint32_t	start = get_be32(r + REFCBT_REC_START_OFF);
	uint32_t	count = get_be32(r + REFCBT_REC_COUNT_OFF);

	put_be32(key, start + (count ? count - 1 : 0));
}

/* Key order: the encoded start block as a u32 (memcmp order). */
static int
refcbt_cmp_keys(const void *k1, const void *k2)
{
	uint32_t	a = get_be32(k1);
	uint32_t	b = get_be32(k2);

	return (a > b) - (a < b);
}

/*
 * XFS's content rules for one record.  NULL if fine, else a static string
 * naming the broken rule.
 */
static const char *
refcbt_verify_rec(const void *rec)
{
	struct refcbt_irec	irec;

	refcbt_rec_get(rec, &irec);
	if (irec.blockcount == 0)
		return "block count is zero";
	if ((uint64_t)irec.startblock + irec.blockcount > REFCBT_COW_BIT)
		return "extent runs past block 2^31 - 1";
	if (irec.cow && irec.refcount != 1)
		return "cow extent with a refcount other than 1";
	if (!irec.cow && irec.refcount < 2)
		return "shared extent with a refcount below 2";
	return NULL;
}

/* A key for people: the start block, and " cow" in the CoW domain. */
static size_t
refcbt_print_key(const void *key, char *buf, size_t len)
{
	uint32_t	enc = get_be32(key);

	return snprintf(buf, len, "%u%s", enc & REFCBT_START_MAX,
			(enc & REFCBT_COW_BIT) ? " cow" : "");
}

/* A record for people: its fields by name, the domain as a word. */
static size_t
refcbt_print_rec(const void *rec, char *buf, size_t len)
{
	struct refcbt_irec	irec;

	refcbt_rec_get(rec, &irec);
	return snprintf(buf, len,
			"startblock %u blockcount %u refcount %u domain %s",
			irec.startblock, irec.blockcount, irec.refcount,
			irec.cow ? "cow" : "shared");
}

const struct xbt_ops refcbt_ops = {
	.name			= "refcount",
	.magic			= REFCBT_MAGIC,
	.rec_len		= REFCBT_REC_LEN,
	.key_len		= REFCBT_KEY_LEN,
	.flags			= XBT_OPS_KEY_PREFIX | XBT_OPS_DISJOINT,
	.init_key_from_rec	= refcbt_init_key_from_rec,
	.init_high_key_from_rec	= refcbt_init_high_key_from_rec,
	.cmp_keys		= refcbt_cmp_keys,
	.verify_rec		= refcbt_verify_rec,
	.print_key		= refcbt_print_key,
	.print_rec		= refcbt_print_rec,
};
