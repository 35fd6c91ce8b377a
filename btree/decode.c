// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * decode.c: the page decoder, one block's bytes as a developer reads them.
 *
 * xbt_decode_block() takes a copy of one block (a pages/N file, or bytes
 * from a fuzzer) with no btree around it and prints, one line per call of
 * the output function, in the manner of xfs_db's print:
 *
 *	header block (CATM), block 0, 4096 bytes
 *	magic = 0x4341544d ("CATM")
 *	nlevels = 2
 *	...
 *	crc = 0xecf2e91d (computed 0xecf2e91d, good)
 *
 *	btree block (rmap, overlapping), 512 bytes
 *	magic = 0x524d4233 ("RMB3")
 *	level = 1 (node)
 *	numrecs = 3 (at most 9)
 *	...
 *	keys[0] = low 0/ag/0 high 141/134/73  ptrs[0] = 1
 *
 * A leaf lists "recs[i] = " and the record's fields (ops->print_rec),
 * a page of no known type is a hex dump.
 *
 * The type comes from the magic (xbt_ops_by_magic()); the block size is
 * the length of the page.  Every check a single block allows is made on
 * the way, each failure printed as a line starting "warning:" and
 * counted:
 *
 *	header block  checksum; height 1..XBT_MAXLEVELS; root not block 0;
 *	              a known type; blocksize = the page's length; version;
 *	              flags, pad and the bytes past byte 128 zero; nblocks
 *	              at least height + 1
 *	btree block   checksum; level below XBT_MAXLEVELS; numrecs within
 *	              what the block holds (then only what fits is decoded);
 *	              a node not empty; siblings not the block itself, not
 *	              block 0 and not both the same; bb_blkno a whole block;
 *	              lsn and pad zero; each record's own rules
 *	              (ops->verify_rec); keys strictly increasing, low key
 *	              not above high key; child pointers not null, not
 *	              block 0, not the block itself; unused space zero
 *
 * What needs the rest of the tree (owner, UUID, parent keys, sibling
 * links both ways) is check.c's business, not this file's.
 *
 * Untrusted bytes: nothing is read before its offset and length are
 * known to lie inside [buf, buf + len).  The entry count decoded is the
 * smaller of numrecs and what the page's length can hold, and every
 * layout number (maxrecs, the pointer array's offset) is derived from
 * the length, never from the bytes, so no field can move a read out of
 * the page.  Arbitrary lengths (0 included) and bytes are fine.
 *
 * No locks and no allocation: all state is on the stack.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "btree/btree_priv.h"
#include "btree/crc32c.h"
#include "btree/xbtree.h"

/* Longest line we print; longer ones (none expected) are cut. */
#define XBT_DEC_LINE	1024
/* Text of one key or record: print_rec's longest is well below this. */
#define XBT_DEC_TEXT	256

struct xbt_dec {
	xbt_text_fn	out;
	void		*priv;
	int		error;		/* the first error @out returned */
	int		problems;	/* warnings printed */
	const uint8_t	*buf;
	size_t		len;
	bool		size_ok;	/* len is a valid block size */
};

/* ---- output ------------------------------------------------------------ */

static void __attribute__((format(printf, 2, 0)))
xbt_dec_vprintf(struct xbt_dec *d, const char *fmt, va_list ap)
{
	char		line[XBT_DEC_LINE];

	if (d->error)
		return;
	d->error = xbt_text_vline(d->out, d->priv, line, sizeof(line), fmt,
				  ap);
}

/* Print one line (the newline is added). */
static void __attribute__((format(printf, 2, 3)))
xbt_dec_printf(struct xbt_dec *d, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	xbt_dec_vprintf(d, fmt, ap);
	va_end(ap);
}

/* Print one problem: a line starting "warning: ", and count it. */
static void __attribute__((format(printf, 2, 3)))
xbt_dec_warn(struct xbt_dec *d, const char *fmt, ...)
{
	char		msg[XBT_DEC_LINE];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->problems++;
	xbt_dec_printf(d, "warning: %s", msg);
}

/* ---- small helpers ----------------------------------------------------- */

/* Do bytes [@off, @off + @size) lie inside the page? */
static bool
xbt_dec_has(const struct xbt_dec *d, size_t off, size_t size)
{
	return off <= d->len && size <= d->len - off;
}

/* Print "@name = N" for the big-endian u64 at @off, if the page has it. */
static void
xbt_dec_u64(struct xbt_dec *d, size_t off, const char *name)
{
	if (xbt_dec_has(d, off, 8))
		xbt_dec_printf(d, "%s = %llu", name,
			       (unsigned long long)get_be64(d->buf + off));
}

/* A magic as four characters, dots for the unprintable ones. */
static void
xbt_dec_magic_text(uint32_t magic, char text[5])
{
	unsigned int	i;
	unsigned char	c;

	for (i = 0; i < 4; i++) {
		c = magic >> (24 - 8 * i);
		text[i] = (c >= 0x20 && c < 0x7f) ? c : '.';
	}
	text[4] = '\0';
}

static void
xbt_dec_uuid_text(const uint8_t *u, char text[37])
{
	snprintf(text, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static bool
xbt_dec_is_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/*
 * Warn if bytes [@start, @end) of the page (clamped to it) are not all
 * zero, naming the region @what and where the first non-zero byte is.
 */
static void
xbt_dec_check_zero(struct xbt_dec *d, size_t start, size_t end,
		const char *what)
{
	size_t		i, first = 0, last = 0, count = 0;

	if (end > d->len)
		end = d->len;
	for (i = start; i < end; i++) {
		if (!d->buf[i])
			continue;
		if (!count)
			first = i;
		last = i;
		count++;
	}
	if (count)
		xbt_dec_warn(d,
			     "%s is not zeroed: %zu non-zero bytes in offsets %zu..%zu",
			     what, count, first, last);
}

/*
 * Hex dump of the whole page, 16 bytes a line with their text, a run of
 * lines equal to the one before shown as one "*" (as hexdump -C does).
 */
static void
xbt_dec_hexdump(struct xbt_dec *d)
{
	char		hex[16 * 3 + 1], text[17];
	size_t		off, i, n;
	bool		starred = false;

	for (off = 0; off < d->len && !d->error; off += 16) {
		n = d->len - off < 16 ? d->len - off : 16;
		if (off && n == 16 &&
		    !memcmp(d->buf + off, d->buf + off - 16, 16)) {
			if (!starred)
				xbt_dec_printf(d, "*");
			starred = true;
			continue;
		}
		starred = false;
		for (i = 0; i < 16; i++) {
			unsigned char	c = i < n ? d->buf[off + i] : ' ';

			if (i < n)
				snprintf(hex + 3 * i, 4, "%02x ", c);
			else
				memcpy(hex + 3 * i, "   ", 4);
			text[i] = i >= n ? ' ' :
				  (c >= 0x20 && c < 0x7f) ? c : '.';
		}
		text[16] = '\0';
		xbt_dec_printf(d, "%06zx  %s |%s|", off, hex, text);
	}
	if (d->len)
		xbt_dec_printf(d, "%06zx", d->len);
}

/*
 * The checksum line: stored against computed over the whole page with
 * the four bytes at @crc_off counted as zeros.  The caller made sure
 * they lie inside the page.
 */
static void
xbt_dec_crc(struct xbt_dec *d, size_t crc_off)
{
	uint32_t	stored, computed;

	memcpy(&stored, d->buf + crc_off, 4);
	stored = le32toh(stored);
	computed = xbt_crc32c_block(d->buf, d->len, crc_off);
	xbt_dec_printf(d, "crc = 0x%08x (computed 0x%08x, %s)", stored,
		       computed, stored == computed ? "good" : "bad");
	if (stored != computed)
		xbt_dec_warn(d, "bad checksum: stored 0x%08x, computed 0x%08x",
			     stored, computed);
}

/* ---- block 0 ----------------------------------------------------------- */

/*
 * The header block: every field by name, those that fit in the page,
 * then the checks a lone header block allows.
 */
static void
xbt_dec_head(struct xbt_dec *d)
{
	const uint8_t		*b = d->buf;
	const struct xbt_ops	*ops;
	char			text[40];
	uint32_t		nlevels = 0, v;
	uint64_t		u;

	xbt_dec_printf(d, "header block (CATM), block 0, %zu bytes", d->len);
	xbt_dec_printf(d, "magic = 0x%08x (\"CATM\")", XBT_HEAD_MAGIC);
	if (xbt_dec_has(d, 4, 4)) {
		nlevels = get_be32(b + 4);
		xbt_dec_printf(d, "nlevels = %u", nlevels);
		if (nlevels == 0 || nlevels > XBT_MAXLEVELS)
			xbt_dec_warn(d, "nlevels %u is not a height (1..%u)",
				     nlevels, XBT_MAXLEVELS);
	}
	xbt_dec_u64(d, 8, "owner");
	if (xbt_dec_has(d, 16, 8)) {
		u = get_be64(b + 16);
		xbt_dec_printf(d, "root = %llu", (unsigned long long)u);
		if (u == XBT_HEAD_BLOCK || u == XBT_NULLBLOCK)
			xbt_dec_warn(d, "root %llu is not a btree block",
				     (unsigned long long)u);
	}
	if (xbt_dec_has(d, 24, XBT_UUID_LEN)) {
		xbt_dec_uuid_text(b + 24, text);
		xbt_dec_printf(d, "uuid = %s", text);
	}
	if (xbt_dec_has(d, 40, 4)) {
		v = get_be32(b + 40);
		ops = xbt_ops_by_magic(v);
		xbt_dec_magic_text(v, text);
		xbt_dec_printf(d, "type = 0x%08x (\"%s\", %s)", v, text,
			       ops ? ops->name : "unknown");
		if (!ops)
			xbt_dec_warn(d, "type 0x%08x is no known record type",
				     v);
	}
	if (xbt_dec_has(d, 44, 4)) {
		v = get_be32(b + 44);
		xbt_dec_printf(d, "blocksize = %u", v);
		if (v != d->len)
			xbt_dec_warn(d, "blocksize %u, but the page is %zu bytes",
				     v, d->len);
	}
	xbt_dec_u64(d, 48, "nrecords");
	xbt_dec_u64(d, 56, "data_size");
	if (xbt_dec_has(d, 64, 8)) {
		u = get_be64(b + 64);
		xbt_dec_printf(d, "nblocks = %llu", (unsigned long long)u);
		/* Block 0 and at least one block per level. */
		if (nlevels && u < (uint64_t)nlevels + 1)
			xbt_dec_warn(d, "nblocks %llu is too few for %u levels",
				     (unsigned long long)u, nlevels);
	}
	if (xbt_dec_has(d, 72, 4)) {
		v = get_be32(b + 72);
		xbt_dec_printf(d, "version = %u", v);
		if (v != XBT_HEAD_VERSION)
			xbt_dec_warn(d, "unknown version %u (expected %u)", v,
				     XBT_HEAD_VERSION);
	}
	if (xbt_dec_has(d, 76, 4)) {
		v = get_be32(b + 76);
		xbt_dec_printf(d, "flags = 0x%x", v);
		if (v)
			xbt_dec_warn(d, "flags 0x%x are not zero (reserved)",
				     v);
	}
	if (xbt_dec_has(d, 80, 44)) {
		xbt_dec_printf(d, "pad = %s (44 bytes)",
			       xbt_dec_is_zero(b + 80, 44) ? "zeros" :
							     "not zeros");
		xbt_dec_check_zero(d, 80, 124, "pad");
	}
	if (!xbt_dec_has(d, 0, XBT_HEAD_LEN)) {
		xbt_dec_warn(d, "the page ends at byte %zu, inside the header (%u bytes)",
			     d->len, XBT_HEAD_LEN);
		return;
	}
	xbt_dec_crc(d, XBT_HEAD_CRC_OFF);
	xbt_dec_check_zero(d, XBT_HEAD_LEN, d->len, "the rest of the block");
}

/* ---- btree blocks ------------------------------------------------------ */

/* Layout numbers of a btree block, from the type and the page's length. */
struct xbt_dec_geo {
	unsigned int	keyslot;	/* bytes per node key slot */
	size_t		maxrecs[2];	/* leaf, node */
	size_t		ptr_off;	/* node pointer array */
	bool		overlapping;
};

static void
xbt_dec_geometry(const struct xbt_dec *d, const struct xbt_ops *ops,
		struct xbt_dec_geo *g)
{
	size_t		avail = 0;

	if (d->len > XBT_BLOCK_HDR_LEN)
		avail = d->len - XBT_BLOCK_HDR_LEN;
	g->overlapping = ops->flags & XBT_OPS_OVERLAPPING;
	g->keyslot = ops->key_len * (g->overlapping ? 2 : 1);
	g->maxrecs[0] = avail / ops->rec_len;
	g->maxrecs[1] = avail / (g->keyslot + XBT_PTR_LEN);
	g->ptr_off = XBT_BLOCK_HDR_LEN + g->maxrecs[1] * g->keyslot;
}

/*
 * The block number bb_blkno implies, if the page's length is a block
 * size and the daddr a whole block.  Returns false otherwise.
 */
static bool
xbt_dec_blkno(const struct xbt_dec *d, uint64_t daddr, uint64_t *bno)
{
	unsigned int	shift;

	if (!d->size_ok)
		return false;
	shift = __builtin_ctzll(d->len) - XBT_BBSHIFT;
	if (daddr & ((1ULL << shift) - 1))
		return false;
	*bno = daddr >> shift;
	return true;
}

/* Warn about a sibling pointer that cannot be right. */
static void
xbt_dec_check_sib(struct xbt_dec *d, const char *name, uint64_t sib,
		bool have_bno, uint64_t bno)
{
	if (sib == XBT_NULLBLOCK)
		return;
	if (sib == XBT_HEAD_BLOCK)
		xbt_dec_warn(d, "%s points at the header block", name);
	else if (have_bno && sib == bno)
		xbt_dec_warn(d, "%s points at the block itself", name);
}

/*
 * The 72-byte header of a btree block, field by field (those that fit).
 * Returns the level and numrecs through the pointers (0 if cut off), and
 * whether the block number is known.
 */
static void
xbt_dec_btree_hdr(struct xbt_dec *d, const struct xbt_ops *ops,
		const struct xbt_dec_geo *g, unsigned int *levelp,
		unsigned int *numrecsp, bool *have_bno, uint64_t *bnop)
{
	const uint8_t	*b = d->buf;
	char		text[40], ltext[24], rtext[24];
	unsigned int	level = 0, n = 0;
	uint64_t	left = XBT_NULLBLOCK, right = XBT_NULLBLOCK, u;

	*have_bno = false;
	xbt_dec_magic_text(ops->magic, text);
	xbt_dec_printf(d, "magic = 0x%08x (\"%s\")", ops->magic, text);
	if (xbt_dec_has(d, 4, 2)) {
		level = get_be16(b + 4);
		xbt_dec_printf(d, "level = %u (%s)", level,
			       level ? "node" : "leaf");
		if (level >= XBT_MAXLEVELS)
			xbt_dec_warn(d, "level %u is above the highest a btree can have (%u)",
				     level, XBT_MAXLEVELS - 1);
	}
	if (xbt_dec_has(d, 6, 2)) {
		n = get_be16(b + 6);
		xbt_dec_printf(d, "numrecs = %u (at most %zu)", n,
			       g->maxrecs[level > 0]);
	}
	/* The block number first: the sibling checks need it. */
	if (xbt_dec_has(d, 24, 8))
		*have_bno = xbt_dec_blkno(d, get_be64(b + 24), bnop);
	if (xbt_dec_has(d, 8, 8)) {
		left = get_be64(b + 8);
		xbt_ptr_text(left, ltext);
		xbt_dec_printf(d, "leftsib = %s", ltext);
		xbt_dec_check_sib(d, "leftsib", left, *have_bno, *bnop);
	}
	if (xbt_dec_has(d, 16, 8)) {
		right = get_be64(b + 16);
		xbt_ptr_text(right, rtext);
		xbt_dec_printf(d, "rightsib = %s", rtext);
		xbt_dec_check_sib(d, "rightsib", right, *have_bno, *bnop);
		if (left == right && left != XBT_NULLBLOCK)
			xbt_dec_warn(d, "both siblings are block %llu",
				     (unsigned long long)left);
	}
	if (xbt_dec_has(d, 24, 8)) {
		u = get_be64(b + 24);
		if (*have_bno)
			xbt_dec_printf(d, "blkno = %llu (block %llu)",
				       (unsigned long long)u,
				       (unsigned long long)*bnop);
		else
			xbt_dec_printf(d, "blkno = %llu (no block number)",
				       (unsigned long long)u);
		if (!*have_bno && d->size_ok)
			xbt_dec_warn(d, "blkno %llu is not a multiple of %zu sectors",
				     (unsigned long long)u,
				     d->len >> XBT_BBSHIFT);
	}
	if (xbt_dec_has(d, 32, 8)) {
		u = get_be64(b + 32);
		xbt_dec_printf(d, "lsn = %llu", (unsigned long long)u);
		if (u)
			xbt_dec_warn(d, "lsn is not zero (blocks are never logged)");
	}
	if (xbt_dec_has(d, 40, XBT_UUID_LEN)) {
		xbt_dec_uuid_text(b + 40, text);
		xbt_dec_printf(d, "uuid = %s", text);
	}
	if (xbt_dec_has(d, 56, 8))
		xbt_dec_printf(d, "owner = %llu",
			       (unsigned long long)get_be64(b + 56));
	if (xbt_dec_has(d, XBT_BLOCK_CRC_OFF, 4))
		xbt_dec_crc(d, XBT_BLOCK_CRC_OFF);
	if (xbt_dec_has(d, 68, 4)) {
		u = get_be32(b + 68);
		xbt_dec_printf(d, "pad = %llu", (unsigned long long)u);
		if (u)
			xbt_dec_warn(d, "pad is not zero");
	}
	*levelp = level;
	*numrecsp = n;
}

/*
 * Key order within the block: entry @i's low key @cur against the one
 * before it (@prev), and @cur against its own high key @hi (overlapping).
 */
static void
xbt_dec_check_keys(struct xbt_dec *d, const struct xbt_ops *ops,
		const char *what, unsigned int i, const uint8_t *prev,
		const uint8_t *cur, const uint8_t *hi)
{
	if (i && ops->cmp_keys(prev, cur) >= 0)
		xbt_dec_warn(d, "%s[%u]: key out of order (not above %s[%u]'s)",
			     what, i, what, i - 1);
	if (hi && ops->cmp_keys(cur, hi) > 0)
		xbt_dec_warn(d, "%s[%u]: low key above high key", what, i);
}

/* A leaf's records, @n of them (all inside the page). */
static void
xbt_dec_leaf(struct xbt_dec *d, const struct xbt_ops *ops,
		const struct xbt_dec_geo *g, unsigned int n)
{
	uint8_t		prev[XBT_KEY_MAX] = { 0 }, cur[XBT_KEY_MAX];
	uint8_t		hi[XBT_KEY_MAX];
	char		text[XBT_DEC_TEXT];
	const uint8_t	*rec;
	const char	*why;
	unsigned int	i;

	for (i = 0; i < n && !d->error; i++) {
		rec = d->buf + XBT_BLOCK_HDR_LEN + (size_t)i * ops->rec_len;
		xbt_print_rec(ops, rec, text, sizeof(text));
		xbt_dec_printf(d, "recs[%u] = %s", i, text);
		why = ops->verify_rec ? ops->verify_rec(rec) : NULL;
		if (why)
			xbt_dec_warn(d, "recs[%u]: %s", i, why);
		ops->init_key_from_rec(cur, rec);
		if (g->overlapping)
			ops->init_high_key_from_rec(hi, rec);
		xbt_dec_check_keys(d, ops, "recs", i, prev, cur,
				   g->overlapping ? hi : NULL);
		memcpy(prev, cur, ops->key_len);
	}
	xbt_dec_check_zero(d, XBT_BLOCK_HDR_LEN + (size_t)n * ops->rec_len,
			   d->len, "unused record space");
}

/* A node's keys and pointers, @n of them (all inside the page). */
static void
xbt_dec_node(struct xbt_dec *d, const struct xbt_ops *ops,
		const struct xbt_dec_geo *g, unsigned int n, bool have_bno,
		uint64_t bno)
{
	char		low[XBT_DEC_TEXT], high[XBT_DEC_TEXT], ptext[24];
	const uint8_t	*key, *prev = NULL;
	uint64_t	ptr;
	unsigned int	i;

	for (i = 0; i < n && !d->error; i++) {
		key = d->buf + XBT_BLOCK_HDR_LEN + (size_t)i * g->keyslot;
		ptr = get_be64(d->buf + g->ptr_off + (size_t)i * XBT_PTR_LEN);
		xbt_print_key(ops, key, low, sizeof(low));
		xbt_ptr_text(ptr, ptext);
		if (g->overlapping) {
			xbt_print_key(ops, key + ops->key_len, high,
				      sizeof(high));
			xbt_dec_printf(d, "keys[%u] = low %s high %s  ptrs[%u] = %s",
				       i, low, high, i, ptext);
		} else {
			xbt_dec_printf(d, "keys[%u] = %s  ptrs[%u] = %s", i,
				       low, i, ptext);
		}
		xbt_dec_check_keys(d, ops, "keys", i, prev, key,
				   g->overlapping ? key + ops->key_len : NULL);
		if (ptr == XBT_NULLBLOCK)
			xbt_dec_warn(d, "ptrs[%u] is null", i);
		else if (ptr == XBT_HEAD_BLOCK)
			xbt_dec_warn(d, "ptrs[%u] points at the header block",
				     i);
		else if (have_bno && ptr == bno)
			xbt_dec_warn(d, "ptrs[%u] points at the block itself",
				     i);
		prev = key;
	}
	xbt_dec_check_zero(d, XBT_BLOCK_HDR_LEN + (size_t)n * g->keyslot,
			   g->ptr_off, "unused key space");
	xbt_dec_check_zero(d, g->ptr_off + (size_t)n * XBT_PTR_LEN, d->len,
			   "unused pointer space");
}

/* A btree block of a known type: header, then records or keys. */
static void
xbt_dec_btree(struct xbt_dec *d, const struct xbt_ops *ops)
{
	struct xbt_dec_geo	g;
	unsigned int		level, n;
	uint64_t		bno = 0;
	bool			have_bno;
	size_t			max;

	xbt_dec_geometry(d, ops, &g);
	xbt_dec_printf(d, "btree block (%s%s), %zu bytes", ops->name,
		       g.overlapping ? ", overlapping" : "", d->len);
	xbt_dec_btree_hdr(d, ops, &g, &level, &n, &have_bno, &bno);
	if (!xbt_dec_has(d, 0, XBT_BLOCK_HDR_LEN)) {
		xbt_dec_warn(d, "the page ends at byte %zu, inside the block header (%u bytes)",
			     d->len, XBT_BLOCK_HDR_LEN);
		return;
	}
	max = g.maxrecs[level > 0];
	if (n > max) {
		xbt_dec_warn(d, "numrecs %u is more than the block holds (%zu): decoding %zu",
			     n, max, max);
		n = max;
	}
	if (level && !n)
		xbt_dec_warn(d, "empty node");
	if (level)
		xbt_dec_node(d, ops, &g, n, have_bno, bno);
	else
		xbt_dec_leaf(d, ops, &g, n);
}

/* ---- entry point ------------------------------------------------------- */

int
xbt_decode_block(const void *buf, size_t len, xbt_text_fn out, void *priv)
{
	struct xbt_dec		d = {
		.out = out, .priv = priv, .buf = buf, .len = len,
	};
	const struct xbt_ops	*ops;
	uint32_t		magic;
	char			text[5];

	d.size_ok = len >= XBT_MIN_BLOCKSIZE && len <= XBT_MAX_BLOCKSIZE &&
		    !(len & (len - 1));
	if (!d.size_ok)
		xbt_dec_warn(&d, "the page is %zu bytes, not a block size (a power of two, %u..%u): decoding what fits",
			     len, XBT_MIN_BLOCKSIZE, XBT_MAX_BLOCKSIZE);
	if (len < 4) {
		xbt_dec_warn(&d, "too short to hold a magic number");
		xbt_dec_hexdump(&d);
		goto out;
	}
	magic = get_be32(buf);
	ops = xbt_ops_by_magic(magic);
	if (magic == XBT_HEAD_MAGIC) {
		xbt_dec_head(&d);
	} else if (ops) {
		xbt_dec_btree(&d, ops);
	} else {
		xbt_dec_magic_text(magic, text);
		xbt_dec_warn(&d, "unknown magic 0x%08x (\"%s\"): not a block of any known type",
			     magic, text);
		xbt_dec_hexdump(&d);
	}
out:
	return d.error ? d.error : d.problems;
}
