// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_fsmap.c: `xfbt scan --compare`: our btrees against the kernel's
 * own reverse map, read through FS_IOC_GETFSMAP (XFS with rmapbt).
 *
 * The kernel's records (bytes; fmr_device, fmr_flags, fmr_physical,
 * fmr_owner, fmr_offset, fmr_length) are sorted into:
 *  - free space and kernel metadata (special owners: fs, log, ag, inobt,
 *    inodes, refc, cow, unknown, defective), counted by owner;
 *  - extent-map (bmbt) blocks of inodes, counted;
 *  - blocks of inodes the scan could not map (symlinks and special files
 *    cannot be opened for an ioctl; realtime files are skipped), counted;
 *  - records of other devices (external log, realtime), counted;
 *  - everything else: inode data and attribute fork mappings, which
 *    our rmap btrees must match.
 *
 * Block by block.  The two sides may cut the same mappings differently
 * (the kernel splits at shared/unshared boundaries, we at what GETBMAPX
 * reported), so records are not compared; the sets of (block, owner,
 * fork, file offset, unwritten) tuples are.  Such a set has one shortest
 * description: runs where the block and the file offset advance together
 * (same owner, fork, flag and offset - block, the "diagonal"), merged
 * where they touch.  Both sides are put in that form, sorted by (owner,
 * flags, diagonal, block), and subtracted both ways:
 *
 *	kernel  owner 131 data diag 0:  [100 ........ 199]
 *	ours    owner 131 data diag 0:  [100 ...149] [150 .. 199]  -> same
 *	ours    owner 131 data diag 0:  [100 ... 170]              -> kernel
 *	        only: 171..199 (29 blocks, file offsets 171..199)
 *
 * Reference counts: derived from the kernel's shareable data mappings
 * (scan_refc.c) and compared, as step functions over the group's
 * blocks, with our refcount btree's records.
 *
 * Output on stdout: one line per difference (at most SCAN_CMP_LINES),
 * then one summary line per group and the counts of what was listed
 * apart.  Returns 0 (agree), 1 (differ) or a negative errno.  Caller
 * holds ctx->lock, so no live change lands in the middle.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/fsmap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include <xfs/xfs.h>

#include "tools/scan.h"

/* Records per GETFSMAP call. */
#define SCAN_FSMAP_BATCH	1024
/* Difference lines printed at most (then a count of the rest). */
#define SCAN_CMP_LINES		1000

/* Special owners of XFS's GETFSMAP, by code ('X', code). */
static const char *const scan_xfs_owners[] = {
	[0] = "other", [1] = "fs", [2] = "log", [3] = "ag", [4] = "inobt",
	[5] = "inodes", [6] = "refc", [7] = "cow", [8] = "defective",
};
#define SCAN_NOWNERS	(sizeof(scan_xfs_owners) / sizeof(scan_xfs_owners[0]))

/* A run of blocks whose file offsets advance with them (see header). */
struct scan_run {
	uint64_t	owner;
	uint32_t	flags;
	int64_t		diag;		/* file offset - group block */
	uint64_t	start;		/* group block */
	uint64_t	end;		/* exclusive */
};

/* What the kernel's map holds apart from inode mappings. */
struct scan_apart {
	uint64_t	owners[SCAN_NOWNERS];	/* special owners, blocks */
	uint64_t	unknown;	/* FMR_OWN_UNKNOWN */
	uint64_t	free;		/* free space */
	uint64_t	bmbt;		/* extent-map blocks */
	uint64_t	unmapped;	/* symlinks, special files */
	uint64_t	realtime;	/* realtime files (attr forks) */
	uint64_t	otherdev;	/* records of other devices */
};

/* The difference lines printed so far, across groups. */
struct scan_cmp_out {
	uint64_t	lines;
	uint64_t	dropped;
};

/* The order of runs by their key alone: (owner, flags, diagonal). */
static int
scan_run_keycmp(const void *a, const void *b)
{
	const struct scan_run	*x = a, *y = b;

	return SCAN_CMP(x->owner, y->owner) ?:
	       SCAN_CMP(x->flags, y->flags) ?:
	       SCAN_CMP(x->diag, y->diag);
}

/* The order of runs: by key, then by start. */
static int
scan_run_cmp(const void *a, const void *b)
{
	const struct scan_run	*x = a, *y = b;

	return scan_run_keycmp(x, y) ?: SCAN_CMP(x->start, y->start);
}

/* Do @x and @y have the same (owner, flags, diagonal)? */
static bool
scan_run_samekey(const struct scan_run *x, const struct scan_run *y)
{
	return !scan_run_keycmp(x, y);
}

/* Records -> sorted, merged runs (a new array in *@runsp). */
static int
scan_runs_of(const struct scan_rec *recs, size_t n, struct scan_run **runsp,
		size_t *nrunsp)
{
	struct scan_run	*runs;
	size_t		i, m = 0;

	runs = malloc((n + 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		runs[i].owner = recs[i].owner;
		runs[i].flags = recs[i].flags;
		runs[i].diag = (int64_t)recs[i].offset - recs[i].agbno;
		runs[i].start = recs[i].agbno;
		runs[i].end = (uint64_t)recs[i].agbno + recs[i].len;
	}
	qsort(runs, n, sizeof(*runs), scan_run_cmp);
	for (i = 0; i < n; i++) {
		if (m && scan_run_samekey(&runs[m - 1], &runs[i]) &&
		    runs[i].start <= runs[m - 1].end) {
			if (runs[i].end > runs[m - 1].end)
				runs[m - 1].end = runs[i].end;
			continue;
		}
		runs[m++] = runs[i];
	}
	*runsp = runs;
	*nrunsp = m;
	return 0;
}

/* Print one difference line (or count it past the limit). */
static void
scan_cmp_line(struct scan_cmp_out *out, uint32_t agno, const char *side,
		const struct scan_run *key, uint64_t start, uint64_t end)
{
	static const char	*const flags[] = {
		"", " attr", " unwritten", " attr,unwritten",
	};

	if (out->lines >= SCAN_CMP_LINES) {
		out->dropped++;
		return;
	}
	out->lines++;
	printf("ag%" PRIu32 ": %s only: %" PRIu64 " %" PRIu64 " %" PRIu64
	       " %" PRId64 "%s\n", agno, side, start, end - start, key->owner,
	       key->diag + (int64_t)start, flags[key->flags & 3]);
}

/*
 * The blocks of runs @a[0..@na) (one key) that runs @b[0..@nb) (same
 * key, or none) do not cover: printed as @side, counted in the return.
 */
static uint64_t
scan_runs_subtract(struct scan_cmp_out *out, uint32_t agno, const char *side,
		const struct scan_run *a, size_t na, const struct scan_run *b,
		size_t nb)
{
	uint64_t	pos, blocks = 0;
	size_t		i, j = 0;

	for (i = 0; i < na; i++) {
		pos = a[i].start;
		while (j < nb && b[j].end <= pos)
			j++;
		for (; pos < a[i].end; j++) {
			if (j >= nb || b[j].start >= a[i].end) {
				scan_cmp_line(out, agno, side, &a[i], pos,
					      a[i].end);
				blocks += a[i].end - pos;
				break;
			}
			if (b[j].start > pos) {
				scan_cmp_line(out, agno, side, &a[i], pos,
					      b[j].start);
				blocks += b[j].start - pos;
			}
			pos = b[j].end;
			if (b[j].end > a[i].end)
				break;	/* b[j] may cover the next a too */
		}
	}
	return blocks;
}

/* Compare the run lists of one group both ways; count the blocks. */
static void
scan_runs_compare(struct scan_cmp_out *out, uint32_t agno,
		const struct scan_run *k, size_t nk, const struct scan_run *o,
		size_t no, uint64_t *konly, uint64_t *oonly)
{
	size_t	i = 0, j = 0, i2, j2;
	int	c;

	*konly = *oonly = 0;
	while (i < nk || j < no) {
		c = scan_merge_step(k, i, nk, o, j, no, sizeof(*k),
				    scan_run_keycmp);
		/* The runs of this key on each side (none if c says so). */
		for (i2 = i; c <= 0 && i2 < nk &&
		     scan_run_samekey(&k[i], &k[i2]); i2++)
			;
		for (j2 = j; c >= 0 && j2 < no &&
		     scan_run_samekey(&o[j], &o[j2]); j2++)
			;
		*konly += scan_runs_subtract(out, agno, "kernel", k + i,
					     i2 - i, o + j, j2 - j);
		*oonly += scan_runs_subtract(out, agno, "ours", o + j, j2 - j,
					     k + i, i2 - i);
		i = i2;
		j = j2;
	}
}

/*
 * Compare two refcount record lists (each sorted, non-overlapping) as
 * step functions; print the runs where they differ; return the blocks.
 */
static uint64_t
scan_refc_compare(struct scan_cmp_out *out, uint32_t agno,
		const struct scan_refc *k, size_t nk, const struct scan_refc *o,
		size_t no)
{
	uint64_t	pos = 0, next, kend, oend, blocks = 0;
	uint32_t	kc, oc;
	size_t		i = 0, j = 0;

	while (i < nk || j < no) {
		kend = i < nk ? (uint64_t)k[i].agbno + k[i].len : UINT64_MAX;
		oend = j < no ? (uint64_t)o[j].agbno + o[j].len : UINT64_MAX;
		/* The counts at pos, and where either next changes. */
		kc = i < nk && k[i].agbno <= pos ? k[i].refcount : 0;
		oc = j < no && o[j].agbno <= pos ? o[j].refcount : 0;
		next = UINT64_MAX;
		if (i < nk)
			next = k[i].agbno > pos ? k[i].agbno : kend;
		if (j < no) {
			uint64_t n2 = o[j].agbno > pos ? o[j].agbno : oend;

			if (n2 < next)
				next = n2;
		}
		if (kc != oc) {
			blocks += next - pos;
			if (out->lines < SCAN_CMP_LINES) {
				out->lines++;
				printf("ag%" PRIu32 ": refcount differs: %"
				       PRIu64 " %" PRIu64 ": kernel %" PRIu32
				       ", ours %" PRIu32 "\n", agno, pos,
				       next - pos, kc, oc);
			} else {
				out->dropped++;
			}
		}
		pos = next;
		if (i < nk && pos >= kend)
			i++;
		if (j < no && pos >= oend)
			j++;
	}
	return blocks;
}

/* The device number GETFSMAP reports for @dev (the kernel's encoding). */
static uint32_t
scan_fsmap_dev(dev_t dev)
{
	uint32_t	ma = major(dev), mi = minor(dev);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffU) << 12);
}

/* Sort one kernel record into @apart or the group vectors @k. */
static int
scan_fsmap_take(struct scan_ctx *ctx, const struct fsmap *r, bool dev_t_ok,
		struct xmem_array *k, struct scan_apart *apart)
{
	const struct scan_inode	*ip;
	uint64_t		bs = ctx->fs.blocksize, n = r->fmr_length / bs;
	uint32_t		code, flags = 0;
	int			made;

	if (dev_t_ok && r->fmr_device != scan_fsmap_dev(ctx->fs.dev)) {
		apart->otherdev += n;
		return 0;
	}
	if (r->fmr_flags & FMR_OF_SPECIAL_OWNER) {
		if (r->fmr_owner == FMR_OWN_FREE) {
			apart->free += n;
		} else if (FMR_OWNER_TYPE(r->fmr_owner) == 'X') {
			code = FMR_OWNER_CODE(r->fmr_owner);
			apart->owners[code < SCAN_NOWNERS ? code : 0] += n;
		} else {
			apart->unknown += n;
		}
		return 0;
	}
	if (r->fmr_flags & FMR_OF_EXTENT_MAP) {
		apart->bmbt += n;
		return 0;
	}
	ip = scan_itab_find(&ctx->itab, r->fmr_owner);
	if (ip && ip->kind == SCAN_INO_UNMAPPED) {
		apart->unmapped += n;
		return 0;
	}
	if (ip && ip->kind == SCAN_INO_REALTIME) {
		apart->realtime += n;
		return 0;
	}
	if (r->fmr_flags & FMR_OF_ATTR_FORK)
		flags |= SCAN_REC_ATTR;
	if (r->fmr_flags & FMR_OF_PREALLOC)
		flags |= SCAN_REC_UNWRITTEN;
	/* Cut into group vectors: records go to k[agno]. */
	{
		struct xmem_array	tmp = SCAN_RECVEC_INIT;
		const struct scan_rec	*cut;
		size_t			i;

		made = scan_cut_extent(&ctx->fs, r->fmr_owner,
				       r->fmr_physical / bs,
				       r->fmr_offset / bs, n, flags, &tmp);
		cut = tmp.data;
		for (i = 0; made > 0 && i < tmp.len; i++)
			if (xmem_array_push(&k[cut[i].agno], &cut[i]))
				made = -ENOMEM;
		xmem_array_release(&tmp);
	}
	if (made == -ERANGE) {
		scan_msg("GETFSMAP: a record past the data device: %" PRIu64
			 " bytes at %" PRIu64, (uint64_t)r->fmr_length,
			 (uint64_t)r->fmr_physical);
		return -EIO;
	}
	return made < 0 ? made : 0;
}

/* Read the kernel's whole map into @k[agno] and @apart. */
static int
scan_fsmap_read(struct scan_ctx *ctx, struct xmem_array *k,
		struct scan_apart *apart)
{
	struct fsmap_head	*head;
	uint32_t		i;
	int			error = 0;
	bool			last = false;

	head = calloc(1, fsmap_sizeof(SCAN_FSMAP_BATCH));
	if (!head)
		return -ENOMEM;
	head->fmh_keys[1].fmr_device = UINT32_MAX;
	head->fmh_keys[1].fmr_flags = UINT32_MAX;
	head->fmh_keys[1].fmr_physical = UINT64_MAX;
	head->fmh_keys[1].fmr_owner = UINT64_MAX;
	head->fmh_keys[1].fmr_offset = UINT64_MAX;
	while (!last) {
		head->fmh_count = SCAN_FSMAP_BATCH;
		if (ioctl(ctx->fs.fd, FS_IOC_GETFSMAP, head)) {
			error = -errno;
			scan_msg("GETFSMAP: %s", strerror(errno));
			break;
		}
		if (!head->fmh_entries)
			break;
		for (i = 0; !error && i < head->fmh_entries; i++) {
			const struct fsmap *r = &head->fmh_recs[i];

			if (r->fmr_flags & FMR_OF_LAST)
				last = true;
			error = scan_fsmap_take(ctx, r, head->fmh_oflags &
						FMH_OF_DEV_T, k, apart);
		}
		if (error)
			break;
		fsmap_advance(head);
	}
	free(head);
	return error;
}

/* Compare group @agno; adds to *@differ the blocks that differ. */
static int
scan_compare_group(struct scan_ctx *ctx, uint32_t agno,
		struct xmem_array *kv, struct scan_cmp_out *out,
		uint64_t *differ)
{
	struct scan_group	*grp = &ctx->groups[agno];
	struct xmem_array	ov = SCAN_RECVEC_INIT;
	struct xmem_array	ocv = SCAN_REFCVEC_INIT;
	struct scan_run		*kr = NULL, *or = NULL;
	struct scan_refc	*kc = NULL, *oc;
	size_t			nkr, nor, nkc = 0, noc, i;
	uint64_t		konly, oonly, rdiff, kblocks = 0;
	int			error;

	error = scan_bt_rmap_records(&grp->rmap, agno, &ov);
	if (!error)
		error = scan_runs_of(kv->data, kv->len, &kr, &nkr);
	if (!error)
		error = scan_runs_of(ov.data, ov.len, &or, &nor);
	if (!error)
		error = scan_refc_of(kv->data, kv->len, 0, UINT32_MAX, &kc,
				     &nkc);
	if (!error)
		error = scan_bt_refc_records(&grp->refc, &ocv);
	if (error)
		goto out_free;
	oc = ocv.data;
	noc = ocv.len;

	scan_runs_compare(out, agno, kr, nkr, or, nor, &konly, &oonly);
	rdiff = scan_refc_compare(out, agno, kc, nkc, oc, noc);
	for (i = 0; i < nkr; i++)
		kblocks += kr[i].end - kr[i].start;
	printf("compare: ag%" PRIu32 ": kernel %zu mappings, ours %zu "
	       "records, %" PRIu64 " blocks mapped; ", agno, kv->len, ov.len,
	       kblocks);
	if (!konly && !oonly)
		printf("rmap agrees; ");
	else
		printf("rmap differs: %" PRIu64 " blocks only in the "
		       "kernel's map, %" PRIu64 " only in ours; ", konly,
		       oonly);
	if (!rdiff)
		printf("refcount agrees (%zu records)\n", noc);
	else
		printf("refcount differs over %" PRIu64 " blocks (kernel "
		       "%zu records, ours %zu)\n", rdiff, nkc, noc);
	*differ += konly + oonly + rdiff;
out_free:
	xmem_array_release(&ocv);
	free(kc);
	free(or);
	free(kr);
	xmem_array_release(&ov);
	return error;
}

/*
 * --compare: see the header.  Returns 0 when the maps agree, 1 when they
 * differ, or a negative errno.  Caller holds ctx->lock.
 */
int
scan_compare(struct scan_ctx *ctx)
{
	struct scan_apart	apart = { 0 };
	struct scan_cmp_out	out = { 0 };
	struct xmem_array	*k;
	uint64_t		differ = 0, meta = 0;
	uint32_t		g;
	size_t			i;
	int			error;

	k = malloc(ctx->fs.agcount * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (g = 0; g < ctx->fs.agcount; g++)
		xmem_array_init(&k[g], sizeof(struct scan_rec));
	error = scan_fsmap_read(ctx, k, &apart);
	for (g = 0; !error && g < ctx->fs.agcount; g++)
		error = scan_compare_group(ctx, g, &k[g], &out, &differ);
	if (error)
		goto out_free;
	if (out.dropped)
		printf("compare: %" PRIu64 " more difference lines not "
		       "shown\n", out.dropped);

	for (i = 0; i < SCAN_NOWNERS; i++)
		meta += apart.owners[i];
	printf("compare: listed apart: %" PRIu64 " blocks of kernel metadata"
	       " (", meta + apart.unknown);
	for (i = 1; i < SCAN_NOWNERS; i++)
		printf("%s %" PRIu64 ", ", scan_xfs_owners[i],
		       apart.owners[i]);
	printf("other %" PRIu64 "), %" PRIu64 " extent-map (bmbt) blocks, "
	       "%" PRIu64 " blocks of symlinks and special files, %" PRIu64
	       " of realtime files, %" PRIu64 " on other devices; %" PRIu64
	       " blocks free\n", apart.owners[0] + apart.unknown, apart.bmbt,
	       apart.unmapped, apart.realtime, apart.otherdev, apart.free);
	printf("compare: %s\n", differ ? "the maps differ" :
	       "the maps agree");
	fflush(stdout);
	error = differ ? 1 : 0;
out_free:
	for (g = 0; g < ctx->fs.agcount; g++)
		xmem_array_release(&k[g]);
	free(k);
	return error;
}
