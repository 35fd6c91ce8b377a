// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btree_rmap.c: the rmap record type, an ops table for the engine.
 *
 * An rmap record says "blocks startblock .. startblock + blockcount - 1
 * belong to owner, at this offset of this fork".  The byte layout, the
 * flag bits and the special owners are in btree_rmap.h; in short:
 *
 *	record (24 bytes)                    key (20 bytes)
 *	OFFSET  SIZE  FIELD          ENDIAN  OFFSET  SIZE  FIELD          ENDIAN
 *	     0     4  rm_startblock  BE           0     4  rm_startblock  BE
 *	     4     4  rm_blockcount  BE           4     8  rm_owner       BE
 *	     8     8  rm_owner       BE          12     8  rm_offset      BE
 *	    16     8  rm_offset      BE                    (bit 61 clear)
 *
 * Key order: startblock as a u32, then owner as a u64, then the packed
 * offset as a u64 with the unwritten bit (61) masked off.  The attr (63)
 * and bmbt (62) bits stay in and dominate the offset, so for one owner at
 * one block: data-fork mappings < data-fork bmbt blocks < attr mappings <
 * attr bmbt blocks.  Unwritten is an attribute of a record, not part of
 * its identity: two records that differ only in it (or in blockcount)
 * have the same key, and the second insert fails as a duplicate.
 *
 * All key fields are big-endian and in that order, so the order is the
 * memcmp order of the 20 key bytes (bit 61 aside, which a key never has).
 * The key is not a prefix of the record (blockcount sits in between), so
 * the type does not claim XBT_OPS_KEY_PREFIX: the engine calls
 * rmapbt_cmp_keys(), which does three loads instead of a memcmp.
 *
 * Overlapping: extents of different owners (reflink, CoW) cover the same
 * blocks, so a record covers a key interval, [low key, high key]:
 *
 *	low key   (startblock, owner, offset)
 *	high key  (startblock + blockcount - 1, owner, offset')
 *
 * where offset' = offset + blockcount - 1 (flags kept) for a mapping of
 * an inode fork, and offset' = offset for a bmbt block or a special owner,
 * whose offset does not advance with the block.  Each node slot holds the
 * low key of its subtree's first record and the highest high key found
 * anywhere below it (not necessarily the last record's):
 *
 *	node slot i (40 bytes)
 *	+------------------------------+------------------------------+
 *	| low key: start|owner|offset  | high key: start|owner|offset |
 *	|   0      4      12        20 |  20     24     32         40 |
 *	+------------------------------+------------------------------+
 *
 *	node block (see format.h):
 *	| hdr 72 | slot 0 | ... | slot n-1 | zeros | ptr 0 | ... | ptr n-1 | zeros |
 *	          <------ maxrecs(1) * 40 ---------> <---- maxrecs(1) * 8 ------>
 *
 *	maxrecs(1) = (blocksize - 72) / 48, e.g. 83 at 4096; a leaf holds
 *	(blocksize - 72) / 24 records, 167 at 4096.
 *
 * A block-range query for blocks LOW .. HIGH uses the keys (LOW, 0, 0)
 * and (HIGH, ~0, ~0): a record's interval meets it exactly when its
 * extent meets LOW .. HIGH (rmapbt_range_keys()).
 *
 * Record rules (rmapbt_verify_rec), XFS's:
 *  - blockcount is not zero, and the extent does not run past 2^32 blocks;
 *  - bits 54..60 of rm_offset are zero;
 *  - the owner is an inode number (top bit clear, not 0) or one of the
 *    special owners -1 .. -9;
 *  - a special owner has offset 0 and no flags;
 *  - a bmbt block has offset 0;
 *  - unwritten only on an inode's data-fork mapping (not attr, not bmbt);
 *  - a fork mapping's last offset stays below 2^54, so that the high
 *    key's offset never spills into the flag bits.
 *
 * For people (tree.dot, the page decoder) a key prints as
 * "startblock/owner/offset" with the flags after a space, e.g.
 * "100/133/5 attr" or "8/ag/0", and a record as its fields by name,
 * "startblock 100 blockcount 10 owner 133 offset 5 unwritten".  Special
 * owners print by name, flags in the order of the record text
 * (attr,bmbt,unwritten), and bits no rmap should have (54..60) as
 * "reserved 0x...", so that damage shows.
 *
 * Nothing here takes locks or allocates; every function is pure.
 */
#include <stdio.h>
#include <string.h>

#include "btree/btree_rmap.h"

_Static_assert(RMAPBT_REC_LEN <= XBT_REC_MAX, "rmap record too long");
_Static_assert(RMAPBT_KEY_LEN <= XBT_KEY_MAX, "rmap key too long");
_Static_assert(RMAPBT_OFF_RESERVED == 0x1FC0000000000000ULL,
	       "rmap reserved offset bits are 54..60");

const struct rmapbt_flag_name rmapbt_flag_names[RMAPBT_NR_FLAGS] = {
	{ RMAPBT_F_ATTR,	"attr" },
	{ RMAPBT_F_BMBT,	"bmbt" },
	{ RMAPBT_F_UNWRITTEN,	"unwritten" },
};

const char *const rmapbt_owner_names[RMAPBT_NR_SPECIAL] = {
	[0] = "null",		/* RMAPBT_OWN_NULL, -1 */
	[1] = "unknown",	/* RMAPBT_OWN_UNKNOWN, -2 */
	[2] = "fs",		/* RMAPBT_OWN_FS, -3 */
	[3] = "log",		/* RMAPBT_OWN_LOG, -4 */
	[4] = "ag",		/* RMAPBT_OWN_AG, -5 */
	[5] = "inobt",		/* RMAPBT_OWN_INOBT, -6 */
	[6] = "inodes",		/* RMAPBT_OWN_INODES, -7 */
	[7] = "refc",		/* RMAPBT_OWN_REFC, -8 */
	[8] = "cow",		/* RMAPBT_OWN_COW, -9 */
};

/*
 * Does the offset of a record with this owner and packed offset advance
 * with its blocks?  Only for a mapping of an inode's fork: a bmbt block
 * and a special owner's extent have offset 0 throughout.
 */
static inline bool
rmapbt_offset_advances(uint64_t owner, uint64_t packed)
{
	return rmapbt_owner_is_inode(owner) && !(packed & RMAPBT_OFF_BMBT_BIT);
}

/* The low key: the record's start, owner and offset minus bit 61. */
static void
rmapbt_init_key_from_rec(void *key, const void *rec)
{
	const uint8_t	*r = rec;
	uint8_t		*k = key;
	uint64_t	packed = get_be64(r + RMAPBT_REC_OFFSET_OFF);

	memcpy(k + RMAPBT_KEY_START_OFF, r + RMAPBT_REC_START_OFF, 4);
	memcpy(k + RMAPBT_KEY_OWNER_OFF, r + RMAPBT_REC_OWNER_OFF, 8);
	put_be64(k + RMAPBT_KEY_OFFSET_OFF, packed & ~RMAPBT_OFF_UNWRITTEN_BIT);
}

/*
 * The high key: the last block the record covers, the same owner, and
 * the offset of that last block if the offset advances (flags kept, bit
 * 61 cleared as in every key).  For a record that passed verify_rec the
 * sums cannot carry: start + count <= 2^32 and offset + count <= 2^54.
 * For one that did not (the engine asks for high keys of damaged blocks
 * too) they wrap harmlessly in unsigned arithmetic.
 */
static void
rmapbt_init_high_key_from_rec(void *key, const void *rec)
{
	const uint8_t	*r = rec;
	uint8_t		*k = key;
	uint32_t	start = get_be32(r + RMAPBT_REC_START_OFF);
	uint32_t	count = get_be32(r + RMAPBT_REC_COUNT_OFF);
	uint64_t	owner = get_be64(r + RMAPBT_REC_OWNER_OFF);
	uint64_t	packed = get_be64(r + RMAPBT_REC_OFFSET_OFF);
	uint32_t	adj = count ? count - 1 : 0;

	packed &= ~RMAPBT_OFF_UNWRITTEN_BIT;
	if (rmapbt_offset_advances(owner, packed))
		packed += adj;
	put_be32(k + RMAPBT_KEY_START_OFF, start + adj);
	put_be64(k + RMAPBT_KEY_OWNER_OFF, owner);
	put_be64(k + RMAPBT_KEY_OFFSET_OFF, packed);
}

/*
 * Key order: startblock, owner, offset (bit 61 masked, as XFS compares).
 * Called on every probe of every search, so it loads the three fields
 * instead of calling memcmp, and decides on the first that differs.
 */
static int
rmapbt_cmp_keys(const void *k1, const void *k2)
{
	const uint8_t	*a = k1, *b = k2;
	uint32_t	sa = get_be32(a + RMAPBT_KEY_START_OFF);
	uint32_t	sb = get_be32(b + RMAPBT_KEY_START_OFF);
	uint64_t	x, y;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	x = get_be64(a + RMAPBT_KEY_OWNER_OFF);
	y = get_be64(b + RMAPBT_KEY_OWNER_OFF);
	if (x != y)
		return x < y ? -1 : 1;
	x = get_be64(a + RMAPBT_KEY_OFFSET_OFF) & ~RMAPBT_OFF_UNWRITTEN_BIT;
	y = get_be64(b + RMAPBT_KEY_OFFSET_OFF) & ~RMAPBT_OFF_UNWRITTEN_BIT;
	return (x > y) - (x < y);
}

/*
 * XFS's content rules for one record (see the file comment).  Returns
 * NULL if the record is fine, else a static string naming the broken
 * rule; the engine reports it for a damaged block, and the daemon for a
 * bad line.
 */
static const char *
rmapbt_verify_rec(const void *rec)
{
	const uint8_t	*r = rec;
	uint32_t	start = get_be32(r + RMAPBT_REC_START_OFF);
	uint32_t	count = get_be32(r + RMAPBT_REC_COUNT_OFF);
	uint64_t	owner = get_be64(r + RMAPBT_REC_OWNER_OFF);
	uint64_t	packed = get_be64(r + RMAPBT_REC_OFFSET_OFF);
	uint64_t	offset = packed & RMAPBT_OFF_MASK;
	bool		attr = packed & RMAPBT_OFF_ATTR_BIT;
	bool		bmbt = packed & RMAPBT_OFF_BMBT_BIT;
	bool		unwritten = packed & RMAPBT_OFF_UNWRITTEN_BIT;

	if (count == 0)
		return "block count is zero";
	if ((uint64_t)start + count > (1ULL << 32))
		return "extent runs past block 2^32 - 1";
	if (packed & RMAPBT_OFF_RESERVED)
		return "reserved offset bits 54..60 are set";
	if (!rmapbt_owner_is_inode(owner)) {
		if (!rmapbt_owner_is_special(owner))
			return "owner is not an inode or a special owner";
		if (offset)
			return "special owner with a nonzero offset";
		if (attr || bmbt || unwritten)
			return "special owner with flags";
		return NULL;
	}
	if (owner == 0)
		return "owner 0 is not an inode";
	if (bmbt && offset)
		return "bmbt block with a nonzero offset";
	if (unwritten && (attr || bmbt))
		return "unwritten outside an inode's data-fork mapping";
	if (!bmbt && offset + count - 1 > RMAPBT_OFF_MAX)
		return "file range runs past offset 2^54 - 1";
	return NULL;
}

/* Owner text: a special owner's name, else the number. */
static void
rmapbt_owner_text(uint64_t owner, char *buf, size_t len)
{
	const char	*name = rmapbt_owner_name(owner);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%llu", (unsigned long long)owner);
}

/*
 * Flag text of a packed offset: "attr,bmbt,unwritten" (those present),
 * then "reserved 0x..." if any of bits 54..60 is set; "" if none.
 */
static void
rmapbt_flags_text(uint64_t packed, char *buf, size_t len)
{
	unsigned int	flags = rmapbt_unpack_flags(packed);
	size_t		n = 0;
	unsigned int	i;

	buf[0] = '\0';
	for (i = 0; i < RMAPBT_NR_FLAGS; i++) {
		if (!(flags & rmapbt_flag_names[i].flag) || n >= len)
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			      rmapbt_flag_names[i].name);
	}
	if ((packed & RMAPBT_OFF_RESERVED) && n < len)
		snprintf(buf + n, len - n, "%sreserved 0x%llx", n ? " " : "",
			 (unsigned long long)(packed & RMAPBT_OFF_RESERVED));
}

/*
 * A key or a record for people, from its fields: a key (@count NULL) as
 * "startblock/owner/offset[ flags]", a record as its fields by name,
 * flags last.
 */
static size_t
rmapbt_print(char *buf, size_t len, uint32_t start, const uint32_t *count,
		uint64_t owner, uint64_t packed)
{
	char			otext[24];
	char			flags[64];
	unsigned long long	off = packed & RMAPBT_OFF_MASK;

	rmapbt_owner_text(owner, otext, sizeof(otext));
	flags[0] = ' ';
	rmapbt_flags_text(packed, flags + 1, sizeof(flags) - 1);
	if (!flags[1])
		flags[0] = '\0';
	if (!count)
		return snprintf(buf, len, "%u/%s/%llu%s", start, otext, off,
				flags);
	return snprintf(buf, len,
			"startblock %u blockcount %u owner %s offset %llu%s",
			start, *count, otext, off, flags);
}

static size_t
rmapbt_print_key(const void *key, char *buf, size_t len)
{
	const uint8_t	*k = key;

	return rmapbt_print(buf, len, get_be32(k + RMAPBT_KEY_START_OFF), NULL,
			    get_be64(k + RMAPBT_KEY_OWNER_OFF),
			    get_be64(k + RMAPBT_KEY_OFFSET_OFF));
}

static size_t
rmapbt_print_rec(const void *rec, char *buf, size_t len)
{
	const uint8_t	*r = rec;
	uint32_t	count = get_be32(r + RMAPBT_REC_COUNT_OFF);

	return rmapbt_print(buf, len, get_be32(r + RMAPBT_REC_START_OFF),
			    &count, get_be64(r + RMAPBT_REC_OWNER_OFF),
			    get_be64(r + RMAPBT_REC_OFFSET_OFF));
}

const struct xbt_ops rmapbt_ops = {
	.name			= "rmap",
	.magic			= RMAPBT_MAGIC,
	.rec_len		= RMAPBT_REC_LEN,
	.key_len		= RMAPBT_KEY_LEN,
	.flags			= XBT_OPS_OVERLAPPING,
	.init_key_from_rec	= rmapbt_init_key_from_rec,
	.init_high_key_from_rec	= rmapbt_init_high_key_from_rec,
	.cmp_keys		= rmapbt_cmp_keys,
	.verify_rec		= rmapbt_verify_rec,
	.print_key		= rmapbt_print_key,
	.print_rec		= rmapbt_print_rec,
};
