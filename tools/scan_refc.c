// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_refc.c: reference counts derived from overlapping mappings, as
 * XFS's refcount repair derives them from the rmap btree.
 *
 * Which mappings count (scan_rec_shareable): those of an inode's data
 * fork that are written.  Attribute fork blocks, extent-map (bmbt)
 * blocks and unwritten extents are never shared in XFS, and non-inode
 * owners are metadata; repair leaves all of them out, and so do we.
 *
 * The derivation (scan_refc_derive) is a sweep over extent boundaries: a
 * block's count is the number of mappings that cover it; wherever that
 * is two or more, a refcount record is due.  Neighbouring blocks with the
 * same count share one record, so the output is the unique shortest list
 * and the same mappings always give the same records:
 *
 *	mappings   [=======A=======]
 *	                 [====B====]      [==C==]
 *	                 [==D==]          [==E==]
 *	counts     1 1 1 3 3 3 3 2 2 0 0  2 2 2 2
 *	records          [3 .....][2.]    [2 ....]
 *
 * Pure functions, no locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/scan.h"

/* Does rmap record @r count towards reference counts? */
bool
scan_rec_shareable(const struct scan_rec *r)
{
	return !(r->flags & (SCAN_REC_ATTR | SCAN_REC_UNWRITTEN));
}

static int
scan_u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return SCAN_CMP(x, y);
}

/* Append [start, end) at @count to @out, merging with an equal neighbour. */
static void
scan_refc_emit(struct scan_refc *out, size_t *nout, uint64_t start,
		uint64_t end, uint64_t count)
{
	struct scan_refc	*last = *nout ? &out[*nout - 1] : NULL;

	if (last && (uint64_t)last->agbno + last->len == start &&
	    last->refcount == count) {
		last->len += end - start;
		return;
	}
	out[*nout].agbno = start;
	out[*nout].len = end - start;
	out[*nout].refcount = count > UINT32_MAX ? UINT32_MAX : count;
	(*nout)++;
}

/*
 * The refcount records of extents @ext[0..@n) (shareable mappings of one
 * group), limited to blocks @lo..@hi: every run of blocks covered two or
 * more times, one record per run of equal count.  Returns 0 with a new
 * array in *@outp (free it; NULL when empty) and its length in *@noutp,
 * or -ENOMEM.  @ext is not changed.
 */
int
scan_refc_derive(struct scan_extent *ext, size_t n, uint32_t lo, uint32_t hi,
		struct scan_refc **outp, size_t *noutp)
{
	uint64_t		*starts, *ends, s, e, pos, prev = 0, cur = 0;
	struct scan_refc	*out = NULL;
	size_t			i, j, m = 0, nout = 0;
	int			error = -ENOMEM;

	*outp = NULL;
	*noutp = 0;
	if (!n)
		return 0;
	starts = malloc(2 * n * sizeof(*starts));
	if (!starts)
		return -ENOMEM;
	ends = starts + n;
	for (i = 0; i < n; i++) {
		s = ext[i].agbno;
		e = s + ext[i].len;		/* exclusive */
		if (s < lo)
			s = lo;
		if (e > (uint64_t)hi + 1)
			e = (uint64_t)hi + 1;
		if (s >= e)
			continue;
		starts[m] = s;
		ends[m] = e;
		m++;
	}
	if (!m) {
		error = 0;
		goto out_free;
	}
	qsort(starts, m, sizeof(*starts), scan_u64_cmp);
	qsort(ends, m, sizeof(*ends), scan_u64_cmp);
	/* At most one record between each two boundaries. */
	out = malloc(2 * m * sizeof(*out));
	if (!out)
		goto out_free;

	i = j = 0;
	while (j < m) {
		pos = i < m && starts[i] < ends[j] ? starts[i] : ends[j];
		if (cur >= 2 && pos > prev)
			scan_refc_emit(out, &nout, prev, pos, cur);
		while (i < m && starts[i] == pos) {
			cur++;
			i++;
		}
		while (j < m && ends[j] == pos) {
			cur--;
			j++;
		}
		prev = pos;
	}
	if (nout) {
		*outp = out;
		*noutp = nout;
		out = NULL;
	}
	error = 0;
out_free:
	free(out);
	free(starts);
	return error;
}
