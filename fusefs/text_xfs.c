// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * text_xfs.c: record text of the two XFS types, rmap and refcount (see
 * text.h for the table each fills in, and xfbtreefs(5), RECORD TEXT).
 *
 *	rmap record      STARTBLOCK BLOCKCOUNT OWNER OFFSET [FLAGS]
 *	rmap key         STARTBLOCK OWNER OFFSET [FLAGS]
 *	rmap range       LOW HIGH
 *	refcount record  STARTBLOCK BLOCKCOUNT REFCOUNT [cow]
 *	refcount key     STARTBLOCK [cow]
 *	refcount range   LOW HIGH
 *
 * Numbers go through xfbfs_parse_u64() (decimal or 0x hex) and are then
 * held to their field's width.  OWNER is an inode number, a special
 * owner's name (null, unknown, fs, log, ag, inobt, inodes, refc, cow) or
 * that owner's u64 value.  FLAGS is a comma list of attr, bmbt and
 * unwritten in any order, each at most once.  A record must also pass
 * the type's verify_rec (XFS's rules), so parse_rec alone decides whether
 * a line is a valid record; the reasons are static strings.
 *
 * Printing is canonical and round-trips: decimal numbers, one space
 * between fields, special owners by name, flags in the order
 * attr,bmbt,unwritten, refcount start blocks without the domain bit and
 * `cow` after the CoW domain's records.  parse_rec(format_rec(rec))
 * gives back rec, byte for byte, for every valid record.
 *
 * Range queries.  rmap: LOW HIGH become the keys (LOW, 0, 0) and
 * (HIGH, ~0, ~0), whose interval meets a record's [low key, high key]
 * exactly when its extent meets blocks LOW..HIGH.  refcount: the user asks
 * for the records of both domains, so the range is two key intervals,
 * LOW..HIGH in the shared domain and then in the CoW domain; each meets
 * exactly the records of its domain whose extents meet LOW..HIGH, and
 * answering one after the other keeps key order.  Both types reject
 * LOW > HIGH here.
 *
 * No locks, no allocation; fields point into the caller's line.
 */
#include <errno.h>
#include <string.h>

#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "fusefs/text.h"

/* Does field @f hold exactly the string @s? */
static inline bool
xfbfs_field_is(const struct xfbfs_field *f, const char *s)
{
	size_t	len = strlen(s);

	return f->len == len && !memcmp(f->p, s, len);
}

/* A number that must fit in 32 bits: 0 or -EINVAL. */
static int
xfbfs_parse_u32(const struct xfbfs_field *f, uint32_t *v, const char *range,
		const char **why)
{
	uint64_t	x;

	if (xfbfs_parse_u64(f, &x, why))
		return -EINVAL;
	if (x > UINT32_MAX) {
		*why = range;
		return -EINVAL;
	}
	*v = x;
	return 0;
}

/* 0, or -EINVAL with the reason @ops gives for @rec not being a record. */
static int
xfbfs_verify_rec(const struct xbt_ops *ops, const void *rec, const char **why)
{
	const char	*bad = ops->verify_rec(rec);

	if (!bad)
		return 0;
	*why = bad;
	return -EINVAL;
}

/* Append the string @s at @buf; returns its length. */
static inline size_t
xfbfs_put_str(char *buf, const char *s)
{
	size_t	len = strlen(s);

	memcpy(buf, s, len);
	return len;
}

/* ---- rmap: "STARTBLOCK BLOCKCOUNT OWNER OFFSET [FLAGS]" ---------------- */

/* OWNER: a number, or (if it does not start with a digit) a name. */
static int
rmap_parse_owner(const struct xfbfs_field *f, uint64_t *owner,
		const char **why)
{
	unsigned int	i;

	if (f->len && (f->p[0] < '0' || f->p[0] > '9')) {
		for (i = 0; i < RMAPBT_NR_SPECIAL; i++) {
			if (xfbfs_field_is(f, rmapbt_owner_names[i])) {
				*owner = RMAPBT_OWN_NULL - i;
				return 0;
			}
		}
		*why = "unknown owner (an inode number, or null, unknown, "
		       "fs, log, ag, inobt, inodes, refc, cow)";
		return -EINVAL;
	}
	return xfbfs_parse_u64(f, owner, why);
}

/* OFFSET: a file offset below 2^54. */
static int
rmap_parse_offset(const struct xfbfs_field *f, uint64_t *offset,
		const char **why)
{
	if (xfbfs_parse_u64(f, offset, why))
		return -EINVAL;
	if (*offset > RMAPBT_OFF_MAX) {
		*why = "offset must be below 2^54";
		return -EINVAL;
	}
	return 0;
}

/* FLAGS: a comma list of attr, bmbt, unwritten; each at most once. */
static int
rmap_parse_flags(const struct xfbfs_field *f, unsigned int *flags,
		const char **why)
{
	const struct rmapbt_flag_name	*names = rmapbt_flag_names;
	struct xfbfs_field		one;
	const char			*p = f->p, *end = f->p + f->len;
	const char			*comma;
	unsigned int			i;

	*flags = 0;
	for (;;) {
		comma = memchr(p, ',', end - p);
		one.p = p;
		one.len = (comma ? comma : end) - p;
		for (i = 0; i < RMAPBT_NR_FLAGS; i++)
			if (xfbfs_field_is(&one, names[i].name))
				break;
		if (i == RMAPBT_NR_FLAGS) {
			if (one.len)
				*why = "unknown flag (attr, bmbt, unwritten)";
			else
				*why = "empty flag in the list";
			return -EINVAL;
		}
		if (*flags & names[i].flag) {
			*why = "flag given twice";
			return -EINVAL;
		}
		*flags |= names[i].flag;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int
rmap_parse_rec(const struct xfbfs_field *f, int nf, void *rec,
		const char **why)
{
	struct rmapbt_irec	irec = { .flags = 0 };

	if (nf != 4 && nf != 5) {
		*why = "expected STARTBLOCK BLOCKCOUNT OWNER OFFSET [FLAGS]";
		return -EINVAL;
	}
	if (xfbfs_parse_u32(&f[0], &irec.startblock,
			    "start block must be below 2^32", why) ||
	    xfbfs_parse_u32(&f[1], &irec.blockcount,
			    "block count must be below 2^32", why) ||
	    rmap_parse_owner(&f[2], &irec.owner, why) ||
	    rmap_parse_offset(&f[3], &irec.offset, why))
		return -EINVAL;
	if (nf == 5 && rmap_parse_flags(&f[4], &irec.flags, why))
		return -EINVAL;
	rmapbt_rec_init(rec, &irec);
	return xfbfs_verify_rec(&rmapbt_ops, rec, why);
}

/*
 * A key: STARTBLOCK OWNER OFFSET [FLAGS].  attr and bmbt go into the key;
 * unwritten is accepted and ignored, as it is not part of a key.  A key
 * need not be a valid record's (le/ge may ask anywhere).
 */
static int
rmap_parse_key(const struct xfbfs_field *f, int nf, void *key,
		const char **why)
{
	uint32_t	start;
	uint64_t	owner, offset;
	unsigned int	flags = 0;

	if (nf != 3 && nf != 4) {
		*why = "expected STARTBLOCK OWNER OFFSET [FLAGS]";
		return -EINVAL;
	}
	if (xfbfs_parse_u32(&f[0], &start, "start block must be below 2^32",
			    why) ||
	    rmap_parse_owner(&f[1], &owner, why) ||
	    rmap_parse_offset(&f[2], &offset, why))
		return -EINVAL;
	if (nf == 4 && rmap_parse_flags(&f[3], &flags, why))
		return -EINVAL;
	rmapbt_key_init(key, start, owner, offset, flags);
	return 0;
}

/* LOW HIGH, block numbers: (LOW, 0, 0) .. (HIGH, ~0, ~0). */
static int
rmap_parse_range(const struct xfbfs_field *f, int nf,
		uint8_t low[][XBT_KEY_MAX], uint8_t high[][XBT_KEY_MAX],
		const char **why)
{
	uint32_t	lo, hi;

	if (nf != 2) {
		*why = "expected LOW HIGH";
		return -EINVAL;
	}
	if (xfbfs_parse_u32(&f[0], &lo, "LOW must be below 2^32", why) ||
	    xfbfs_parse_u32(&f[1], &hi, "HIGH must be below 2^32", why))
		return -EINVAL;
	if (lo > hi) {
		*why = "LOW is above HIGH";
		return -EINVAL;
	}
	rmapbt_range_keys(low[0], high[0], lo, hi);
	return 1;
}

static size_t
rmap_format_rec(const void *rec, char *buf)
{
	struct rmapbt_irec	irec;
	const char		*name, *sep = " ";
	unsigned int		i;
	size_t			n;

	rmapbt_rec_get(rec, &irec);
	n = xfbfs_format_u64(buf, irec.startblock);
	buf[n++] = ' ';
	n += xfbfs_format_u64(buf + n, irec.blockcount);
	buf[n++] = ' ';
	name = rmapbt_owner_name(irec.owner);
	if (name)
		n += xfbfs_put_str(buf + n, name);
	else
		n += xfbfs_format_u64(buf + n, irec.owner);
	buf[n++] = ' ';
	n += xfbfs_format_u64(buf + n, irec.offset);
	/* The canonical flag order is the table's. */
	for (i = 0; i < RMAPBT_NR_FLAGS; i++) {
		if (!(irec.flags & rmapbt_flag_names[i].flag))
			continue;
		n += xfbfs_put_str(buf + n, sep);
		n += xfbfs_put_str(buf + n, rmapbt_flag_names[i].name);
		sep = ",";
	}
	buf[n++] = '\n';
	return n;
}

const struct xfbfs_type xfbfs_type_rmap = {
	.name		= "rmap",
	.ops		= &rmapbt_ops,
	.delete_by_key	= false,
	.parse_rec	= rmap_parse_rec,
	.parse_key	= rmap_parse_key,
	.parse_range	= rmap_parse_range,
	.format_rec	= rmap_format_rec,
};

/* ---- refcount: "STARTBLOCK BLOCKCOUNT REFCOUNT [cow]" ------------------ */

/* STARTBLOCK: 31 bits, the domain is written apart. */
static int
refc_parse_start(const struct xfbfs_field *f, uint32_t *start,
		const char **why)
{
	uint64_t	v;

	if (xfbfs_parse_u64(f, &v, why))
		return -EINVAL;
	if (v > REFCBT_START_MAX) {
		*why = "start block must be below 2^31";
		return -EINVAL;
	}
	*start = v;
	return 0;
}

/* The optional domain field: nothing, or exactly "cow". */
static int
refc_parse_domain(const struct xfbfs_field *f, bool *cow, const char **why)
{
	if (!xfbfs_field_is(f, "cow")) {
		*why = "the last field may only be cow";
		return -EINVAL;
	}
	*cow = true;
	return 0;
}

static int
refc_parse_rec(const struct xfbfs_field *f, int nf, void *rec,
		const char **why)
{
	struct refcbt_irec	irec = { .cow = false };

	if (nf != 3 && nf != 4) {
		*why = "expected STARTBLOCK BLOCKCOUNT REFCOUNT [cow]";
		return -EINVAL;
	}
	if (refc_parse_start(&f[0], &irec.startblock, why) ||
	    xfbfs_parse_u32(&f[1], &irec.blockcount,
			    "block count must be below 2^32", why) ||
	    xfbfs_parse_u32(&f[2], &irec.refcount,
			    "refcount must be below 2^32", why))
		return -EINVAL;
	if (nf == 4 && refc_parse_domain(&f[3], &irec.cow, why))
		return -EINVAL;
	refcbt_rec_init(rec, &irec);
	return xfbfs_verify_rec(&refcbt_ops, rec, why);
}

/* A key: STARTBLOCK [cow]. */
static int
refc_parse_key(const struct xfbfs_field *f, int nf, void *key,
		const char **why)
{
	uint32_t	start;
	bool		cow = false;

	if (nf != 1 && nf != 2) {
		*why = "expected STARTBLOCK [cow]";
		return -EINVAL;
	}
	if (refc_parse_start(&f[0], &start, why))
		return -EINVAL;
	if (nf == 2 && refc_parse_domain(&f[1], &cow, why))
		return -EINVAL;
	refcbt_key_init(key, start, cow);
	return 0;
}

/* LOW HIGH, block numbers in both domains: two key intervals. */
static int
refc_parse_range(const struct xfbfs_field *f, int nf,
		uint8_t low[][XBT_KEY_MAX], uint8_t high[][XBT_KEY_MAX],
		const char **why)
{
	uint32_t	lo, hi;

	if (nf != 2) {
		*why = "expected LOW HIGH";
		return -EINVAL;
	}
	if (refc_parse_start(&f[0], &lo, why) ||
	    refc_parse_start(&f[1], &hi, why))
		return -EINVAL;
	if (lo > hi) {
		*why = "LOW is above HIGH";
		return -EINVAL;
	}
	/* Both domains: the shared extents, then the CoW staging ones. */
	refcbt_key_init(low[0], lo, false);
	refcbt_key_init(high[0], hi, false);
	refcbt_key_init(low[1], lo, true);
	refcbt_key_init(high[1], hi, true);
	return 2;
}

static size_t
refc_format_rec(const void *rec, char *buf)
{
	struct refcbt_irec	irec;
	size_t			n;

	refcbt_rec_get(rec, &irec);
	n = xfbfs_format_u64(buf, irec.startblock);
	buf[n++] = ' ';
	n += xfbfs_format_u64(buf + n, irec.blockcount);
	buf[n++] = ' ';
	n += xfbfs_format_u64(buf + n, irec.refcount);
	if (irec.cow)
		n += xfbfs_put_str(buf + n, " cow");
	buf[n++] = '\n';
	return n;
}

const struct xfbfs_type xfbfs_type_refcount = {
	.name		= "refcount",
	.ops		= &refcbt_ops,
	.delete_by_key	= true,
	.parse_rec	= refc_parse_rec,
	.parse_key	= refc_parse_key,
	.parse_range	= refc_parse_range,
	.format_rec	= refc_format_rec,
};
