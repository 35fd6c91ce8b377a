// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_map.c: the extent maps of one open inode, turned into rmap
 * records, and the inode table that keeps them.
 *
 * Reading a fork (scan_read_maps):
 *  - XFS: XFS_IOC_GETBMAPX, data fork and (BMV_IF_ATTRFORK) attribute
 *    fork, with BMV_IF_PREALLOC (unwritten extents flagged) and
 *    BMV_IF_NO_HOLES.  Without BMV_IF_DELALLOC the kernel leaves
 *    delalloc out, and writes back dirty data first, but only if the
 *    file has delalloc blocks or an in-core size past the on-disk one;
 *    so we write back and wait ourselves first (sync_file_range), as
 *    FIEMAP_FLAG_SYNC would, or a write into an unwritten extent would
 *    still read unwritten here and be converted later without an event.
 *    The length asked for is explicit and huge: with "-1" the kernel
 *    stops at EOF, and blocks past EOF (speculative preallocation not yet
 *    trimmed) would be missed although the kernel's rmap has them.
 *    Units are 512-byte sectors.  GETBMAPX works on directories, which
 *    XFS refuses FIEMAP on.
 *  - elsewhere: FS_IOC_FIEMAP with FIEMAP_FLAG_SYNC for the data, and
 *    FIEMAP_FLAG_XATTR for the attribute extents; units are bytes.
 * Extents flagged delalloc, unknown, inline (data in the inode or in a
 * tail), encoded or not aligned have no blocks of their own: skipped and
 * counted.  So are extents whose offset, address or length is not a
 * whole number of blocks.
 *
 * An extent becomes records (scan_push_extent): its first block
 * (byte address / blocksize) is cut into group and block within the
 * group, and an extent crossing a group's end is split there.
 *
 *	device blocks  |---- group 0 ----|---- group 1 ----|--- 2 ---|
 *	extent                       [=========]
 *	records                      [===][====]
 *	                 agno 0, agbno a  agno 1, agbno 0, offset + (len0)
 *
 * The inode table is an array of pointers sorted by inode number: the
 * scan appends in order (amortised O(1)); the live hooks insert the odd
 * inode created behind the cursor (a memmove).  Callers hold ctx->lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>

#include <xfs/xfs.h>

#include "tools/scan.h"

/* Mappings asked for per ioctl. */
#define SCAN_MAP_BATCH		512

/* GETBMAPX length, in sectors: 2^62 bytes, beyond any XFS file. */
#define SCAN_BMAP_LEN		(1LL << 53)

/* rmap offsets are 54 bits. */
#define SCAN_MAX_OFFSET		((1ULL << 54) - 1)

/* FIEMAP flags that mean "no blocks of its own". */
#define SCAN_FIEMAP_SKIP	(FIEMAP_EXTENT_UNKNOWN | \
				 FIEMAP_EXTENT_DELALLOC | \
				 FIEMAP_EXTENT_ENCODED | \
				 FIEMAP_EXTENT_DATA_ENCRYPTED | \
				 FIEMAP_EXTENT_NOT_ALIGNED | \
				 FIEMAP_EXTENT_DATA_INLINE | \
				 FIEMAP_EXTENT_DATA_TAIL)

/*
 * A total order on records: group, start block, owner, fork, offset,
 * then the rest.  Sorting by it puts each group's records together in
 * the rmap btree's own key order.
 */
int
scan_rec_cmp(const void *a, const void *b)
{
	const struct scan_rec	*x = a, *y = b;

	return SCAN_CMP(x->agno, y->agno) ?:
	       SCAN_CMP(x->agbno, y->agbno) ?:
	       SCAN_CMP(x->owner, y->owner) ?:
	       SCAN_CMP(x->flags & SCAN_REC_ATTR, y->flags & SCAN_REC_ATTR) ?:
	       SCAN_CMP(x->offset, y->offset) ?:
	       SCAN_CMP(x->len, y->len) ?:
	       SCAN_CMP(x->flags, y->flags);
}

/*
 * Cut @n blocks of inode @owner's mapping, at device block @pb and file
 * block @lb, into group records appended to @out (see the picture
 * above).  Returns the number of records made, or a negative errno
 * (-ERANGE past the end of the data device, -ENOMEM).
 */
int
scan_cut_extent(const struct scan_fs *fs, uint64_t owner, uint64_t pb,
		uint64_t lb, uint64_t n, uint32_t flags,
		struct xmem_array *out)
{
	struct scan_rec	r;
	uint64_t	glen, chunk;
	int		made = 0, error;

	while (n) {
		r.owner = owner;
		r.offset = lb;
		r.flags = flags;
		r.agno = pb / fs->agblocks;
		r.agbno = pb % fs->agblocks;
		if (r.agno >= fs->agcount || pb >= fs->dblocks)
			return -ERANGE;
		glen = fs->agblocks;
		if ((uint64_t)r.agno * fs->agblocks + glen > fs->dblocks)
			glen = fs->dblocks - (uint64_t)r.agno * fs->agblocks;
		chunk = n < glen - r.agbno ? n : glen - r.agbno;
		r.len = chunk;
		error = xmem_array_push(out, &r);
		if (error)
			return error;
		made++;
		pb += chunk;
		lb += chunk;
		n -= chunk;
	}
	return made;
}

/*
 * One extent of inode @ino, in bytes, of the attribute fork if @attr,
 * unwritten if @unwritten: check it has blocks of its own, then cut it
 * into group records.
 */
static int
scan_push_extent(struct scan_ctx *ctx, uint64_t ino, uint64_t phys,
		uint64_t logical, uint64_t len, bool attr, bool unwritten,
		struct xmem_array *out)
{
	uint64_t	bs = ctx->fs.blocksize;
	uint32_t	flags = (attr ? SCAN_REC_ATTR : 0) |
				(unwritten ? SCAN_REC_UNWRITTEN : 0);
	int		made;

	ctx->stats.extents++;
	if (phys % bs || logical % bs || len % bs || !len) {
		ctx->stats.skipped++;
		return 0;
	}
	if (logical / bs + len / bs - 1 > SCAN_MAX_OFFSET) {
		scan_msg("inode %" PRIu64 ": offset %" PRIu64
			 " is beyond rmap's 2^54 blocks", ino, logical / bs);
		return -EFBIG;
	}
	made = scan_cut_extent(&ctx->fs, ino, phys / bs, logical / bs,
			       len / bs, flags, out);
	if (made == -ERANGE)
		scan_msg("inode %" PRIu64 ": block %" PRIu64 " is past the "
			 "end of the device (%" PRIu64 " blocks)", ino,
			 phys / bs, ctx->fs.dblocks);
	if (made < 0)
		return made;
	ctx->stats.records += made;
	return 0;
}

/* XFS: one fork through GETBMAPX. */
static int
scan_read_bmapx(struct scan_ctx *ctx, int fd, uint64_t ino, bool attr,
		struct xmem_array *out)
{
	struct getbmapx	*m;
	int		i, error = 0;
	bool		last = false;

	m = calloc(SCAN_MAP_BATCH + 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m[0].bmv_offset = 0;
	m[0].bmv_length = SCAN_BMAP_LEN;
	m[0].bmv_count = SCAN_MAP_BATCH + 1;
	m[0].bmv_iflags = BMV_IF_PREALLOC | BMV_IF_NO_HOLES |
			  (attr ? BMV_IF_ATTRFORK : 0);
	while (!error && !last && m[0].bmv_length > 0) {
		if (ioctl(fd, XFS_IOC_GETBMAPX, m)) {
			error = -errno;
			break;
		}
		if (m[0].bmv_entries <= 0)
			break;
		for (i = 1; !error && i <= m[0].bmv_entries; i++) {
			const struct getbmapx *e = &m[i];

			if (e->bmv_oflags & BMV_OF_LAST)
				last = true;
			if (e->bmv_block < 0)
				continue;	/* hole (-1) or delalloc (-2) */
			if (e->bmv_oflags & BMV_OF_DELALLOC) {
				ctx->stats.skipped++;
				continue;
			}
			error = scan_push_extent(ctx, ino,
					(uint64_t)e->bmv_block * 512,
					(uint64_t)e->bmv_offset * 512,
					(uint64_t)e->bmv_length * 512, attr,
					e->bmv_oflags & BMV_OF_PREALLOC, out);
		}
	}
	free(m);
	return error;
}

/* Elsewhere: one fork through FIEMAP. */
static int
scan_read_fiemap(struct scan_ctx *ctx, int fd, uint64_t ino, bool attr,
		struct xmem_array *out)
{
	struct fiemap	*fm;
	uint64_t	start = 0;
	uint32_t	i;
	int		error = 0;
	bool		last = false;

	fm = calloc(1, sizeof(*fm) +
			SCAN_MAP_BATCH * sizeof(struct fiemap_extent));
	if (!fm)
		return -ENOMEM;
	while (!error && !last) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = FIEMAP_MAX_OFFSET - start;
		fm->fm_flags = attr ? FIEMAP_FLAG_XATTR : FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = SCAN_MAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
			error = -errno;
			/* No attribute map on this filesystem: none to add. */
			if (attr && (error == -EBADR || error == -EOPNOTSUPP))
				error = 0;
			break;
		}
		if (!fm->fm_mapped_extents)
			break;
		for (i = 0; !error && i < fm->fm_mapped_extents; i++) {
			const struct fiemap_extent *e = &fm->fm_extents[i];

			if (e->fe_flags & FIEMAP_EXTENT_LAST)
				last = true;
			start = e->fe_logical + e->fe_length;
			if (e->fe_flags & SCAN_FIEMAP_SKIP) {
				ctx->stats.extents++;
				ctx->stats.skipped++;
				continue;
			}
			error = scan_push_extent(ctx, ino, e->fe_physical,
					e->fe_logical, e->fe_length, attr,
					e->fe_flags & FIEMAP_EXTENT_UNWRITTEN,
					out);
		}
	}
	free(fm);
	return error;
}

/*
 * Read the data fork (if @data) and the attribute fork (if @attr) of the
 * open inode @fd, number @ino, appending its records to @out sorted.
 * Counts go to ctx->stats.  Caller holds ctx->lock.
 */
int
scan_read_maps(struct scan_ctx *ctx, int fd, uint64_t ino, bool data,
		bool attr, struct xmem_array *out)
{
	int	error = 0;

	/*
	 * GETBMAPX writes back dirty data only when the file has delalloc
	 * blocks or a size past the on-disk one; dirty pages over unwritten
	 * extents would stay unwritten until a writeback we hear nothing
	 * of.  So write back and wait first, as FIEMAP_FLAG_SYNC does (the
	 * wait covers the conversion, done before writeback ends).
	 */
	if (data && ctx->fs.is_xfs &&
	    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
			    SYNC_FILE_RANGE_WRITE |
			    SYNC_FILE_RANGE_WAIT_AFTER) && errno != ESPIPE &&
	    errno != EINVAL)
		return -errno;
	if (data)
		error = ctx->fs.is_xfs ?
			scan_read_bmapx(ctx, fd, ino, false, out) :
			scan_read_fiemap(ctx, fd, ino, false, out);
	if (!error && attr)
		error = ctx->fs.is_xfs ?
			scan_read_bmapx(ctx, fd, ino, true, out) :
			scan_read_fiemap(ctx, fd, ino, true, out);
	if (!error && out->len > 1)
		qsort(out->data, out->len, sizeof(struct scan_rec),
		      scan_rec_cmp);
	return error;
}

/* Index of the first entry whose inode is >= @ino. */
static size_t
scan_itab_pos(const struct xmem_array *it, uint64_t ino)
{
	size_t	lo = 0, hi = it->len, mid;

	/* The scan appends: check the end first. */
	if (!it->len || scan_itab_at(it, it->len - 1)->ino < ino)
		return it->len;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (scan_itab_at(it, mid)->ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Inode @ino's entry, or NULL. */
struct scan_inode *
scan_itab_find(const struct xmem_array *it, uint64_t ino)
{
	size_t	i = scan_itab_pos(it, ino);

	return i < it->len && scan_itab_at(it, i)->ino == ino ?
	       scan_itab_at(it, i) : NULL;
}

/* Does inode @ip hold exactly handle @fh? */
bool
scan_inode_fh_is(const struct scan_inode *ip, const struct scan_fh *fh)
{
	return ip->fh_type == fh->type && ip->fh_bytes == fh->bytes &&
	       !memcmp(ip->fh, fh->f, fh->bytes);
}

/*
 * Make inode @ino's entry hold @kind, handle @fh and a copy of @recs
 * (sorted), replacing and freeing what it held (callers that need the
 * old records take them first).  Returns 0 with *@out (if @out) at the
 * entry, or -ENOMEM with the table unchanged.
 */
int
scan_itab_set(struct xmem_array *it, uint64_t ino, enum scan_ino_kind kind,
		const struct scan_fh *fh, const struct scan_rec *recs,
		size_t nrecs, struct scan_inode **out)
{
	struct scan_inode	*ip, **v;
	struct scan_rec		*copy = NULL;
	size_t			i = scan_itab_pos(it, ino);
	bool			found = i < it->len &&
					scan_itab_at(it, i)->ino == ino;

	if (nrecs) {
		copy = malloc(nrecs * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, recs, nrecs * sizeof(*copy));
	}
	if (found && scan_itab_at(it, i)->fh_bytes == fh->bytes) {
		ip = scan_itab_at(it, i);
	} else {
		ip = malloc(sizeof(*ip) + fh->bytes);
		if (!ip)
			goto out_nomem;
	}
	if (!found && xmem_array_reserve(it, 1)) {
		free(ip);
		goto out_nomem;
	}
	v = it->data;
	if (found && ip != v[i]) {
		free(v[i]->recs);
		free(v[i]);
	} else if (found) {
		free(ip->recs);
	} else {
		xmem_array_push_reserved(it);
		memmove(&v[i + 1], &v[i], (it->len - 1 - i) * sizeof(*v));
	}
	v[i] = ip;
	ip->ino = ino;
	ip->recs = copy;
	ip->nrecs = nrecs;
	ip->kind = kind;
	ip->fh_bytes = fh->bytes;
	ip->fh_type = fh->type;
	ip->seen = 0;
	memcpy(ip->fh, fh->f, fh->bytes);
	if (out)
		*out = ip;
	return 0;

out_nomem:
	free(copy);
	return -ENOMEM;
}

/* Forget inode @ino (if the table has it). */
void
scan_itab_remove(struct xmem_array *it, uint64_t ino)
{
	struct scan_inode	**v = it->data;
	size_t			i = scan_itab_pos(it, ino);

	if (i >= it->len || v[i]->ino != ino)
		return;
	free(v[i]->recs);
	free(v[i]);
	memmove(&v[i], &v[i + 1], (it->len - i - 1) * sizeof(*v));
	it->len--;
}

/* Free every entry and the table. */
void
scan_itab_free(struct xmem_array *it)
{
	size_t	i;

	for (i = 0; i < it->len; i++) {
		free(scan_itab_at(it, i)->recs);
		free(scan_itab_at(it, i));
	}
	xmem_array_release(it);
}
