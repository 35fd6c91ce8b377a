// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_live.c: `xfbt scan --live`: the live hooks.  Online repair hooks
 * the filesystem's own rmap updates while it scans; from user space the
 * nearest thing is fanotify, watching the whole filesystem from before
 * the scan starts:
 *
 *	fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME_TARGET)
 *	fanotify_mark(FAN_MARK_FILESYSTEM, FAN_MODIFY | FAN_CLOSE_WRITE |
 *	              FAN_ATTRIB | FAN_CREATE | FAN_DELETE | FAN_DELETE_SELF |
 *	              FAN_MOVE | FAN_ONDIR)
 *
 * Events carry file handles, not descriptors: FAN_REPORT_FID names the
 * object, FAN_REPORT_DFID_NAME its directory, and FAN_REPORT_TARGET_FID
 * the child of a create, delete or move.  For a change to a file the
 * file's handle is re-read; for a directory entry event the child's and
 * the directory's (a directory's blocks change as it grows).  The
 * handles of one read() of the queue are deduplicated first: one re-read
 * after the events covers all of them.
 *
 * The rule (scan_touch_fh_locked), under ctx->lock, the lock the scan
 * advances its cursor under: open the handle and fstat it for its inode
 * number; at or below the cursor, re-read its maps and replace its
 * records now; above it, leave it to the scan (the deferred heap makes
 * sure the scan visits it even if its listing predates the inode).  A
 * handle that no longer opens (ESTALE) is a deleted inode: its records
 * go, if the table holds that incarnation (same handle bytes, so a new
 * file that reused the number keeps its records).  A file unlinked while
 * open still opens by handle and keeps its blocks until its last close,
 * when FAN_DELETE_SELF comes (a file renamed over gets FAN_ATTRIB for its
 * lost link, then the same).
 *
 * A replacement reaches a group according to the group's state
 * (scan_delta_locked): in memory, the table alone changes; while the
 * group's load is staging, the change waits on the group's pending list
 * and is applied right after the load commits (a load replaces a btree
 * whole); once loaded, it is applied at once (scan_apply_delta_locked):
 *
 *	1. `delete` the inode's old records of that group that changed
 *	   (one write, one transaction);
 *	2. `insert` the new ones (one write, one transaction);
 *	3. refcounts: for each run of blocks those records cover, ask the
 *	   refcount btree for the records meeting the run widened by one
 *	   block each side, widen the run over them, ask the rmap btree
 *	   (`lookup` range) for the mappings there, derive the counts anew,
 *	   and delete and insert the difference (two more transactions).
 *	   Widening by one block catches a neighbouring record with the
 *	   same count, which a full derivation would have merged.
 * Readers of the btrees may see the state between two transactions.
 *
 * FAN_Q_OVERFLOW (events were lost): a resync pass re-reads every inode
 * at or below the cursor and drops inodes that no longer open.  The same
 * pass runs every --resync seconds and on SIGUSR1: writes through mmap
 * and the filesystem's own background work (speculative preallocation
 * trimmed behind our back, for one) raise no event.
 *
 * Threads: the event thread runs everything here; the main thread scans
 * and loads.  SIGINT, SIGTERM and SIGUSR1 are blocked in both and read
 * from a signalfd by the event thread; SIGINT or SIGTERM stops it
 * cleanly, and the main thread checks scan_live_stopping() between
 * inodes.  Locks: ctx->lock (scan.h), taken per handle.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/scan.h"

/* How often an idle event loop wakes (ms) to count itself idle. */
#define SCAN_LIVE_TICK_MS	200
/* The fanotify read buffer. */
#define SCAN_LIVE_BUF		(64U << 10)

struct scan_live {
	int		fan_fd;
	int		sig_fd;
	sigset_t	oldmask;	/* the mask before we blocked ours */
	pthread_t	thread;
	bool		started;
	atomic_bool	stopping;
	bool		resync_wanted;
	double		next_resync;
	int		status;		/* the thread's result: 0 or 2 */
	uint64_t	resync_seen;	/* inodes a resync walked */
	struct xmem_array batch;	/* of struct scan_fh: the handles
					 * of one read */
};

/* Has SIGINT or SIGTERM (or a failure of the event thread) come? */
bool
scan_live_stopping(struct scan_ctx *ctx)
{
	return atomic_load(&ctx->lv->stopping);
}

/* ---- the deferred heap: a binary min-heap on inode number ---- */

static void
scan_defer_swap(struct scan_defer *a, struct scan_defer *b)
{
	struct scan_defer	t = *a;

	*a = *b;
	*b = t;
}

/* Remember that inode @ino (handle @fh) changed above the cursor. */
int
scan_defer_push_locked(struct scan_ctx *ctx, uint64_t ino,
		const struct scan_fh *fh)
{
	struct scan_defer	d = { .ino = ino, .fh = *fh }, *h;
	size_t			i = ctx->defer.len;

	if (xmem_array_push(&ctx->defer, &d))
		return -ENOMEM;
	h = ctx->defer.data;
	while (i && h[(i - 1) / 2].ino > h[i].ino) {
		scan_defer_swap(&h[(i - 1) / 2], &h[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

/* Take the lowest deferred inode if it is <= @upto; false if none. */
bool
scan_defer_pop_locked(struct scan_ctx *ctx, uint64_t upto,
		struct scan_defer *out)
{
	struct scan_defer	*h = ctx->defer.data;
	size_t			i = 0, c, n = ctx->defer.len;

	if (!n || h[0].ino > upto)
		return false;
	*out = h[0];
	h[0] = h[--n];
	ctx->defer.len = n;
	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].ino < h[c].ino)
			c++;
		if (h[i].ino <= h[c].ino)
			break;
		scan_defer_swap(&h[i], &h[c]);
		i = c;
	}
	return true;
}

/* ---- differences and their application ---- */

/*
 * Split two sorted arrays (@size-byte elements ordered by @cmp) into what
 * only @a has (to @aonly) and what only @b has (to @bonly), which must
 * have room for @na and @nb elements.
 */
static void
scan_sorted_diff(const void *a, size_t na, const void *b, size_t nb,
		size_t size, int (*cmp)(const void *, const void *),
		void *aonly, size_t *naonly, void *bonly, size_t *nbonly)
{
	const char	*pa = a, *pb = b;
	char		*oa = aonly, *ob = bonly;
	size_t		i = 0, j = 0;
	int		c;

	*naonly = *nbonly = 0;
	while (i < na || j < nb) {
		c = scan_merge_step(a, i, na, b, j, nb, size, cmp);
		if (c < 0)
			memcpy(oa + (*naonly)++ * size, pa + i++ * size, size);
		else if (c > 0)
			memcpy(ob + (*nbonly)++ * size, pb + j++ * size, size);
		else
			i++, j++;
	}
}

static int
scan_refc_cmp(const void *a, const void *b)
{
	const struct scan_refc	*x = a, *y = b;

	return SCAN_CMP(x->agbno, y->agbno) ?:
	       SCAN_CMP(x->len, y->len) ?:
	       SCAN_CMP(x->refcount, y->refcount);
}

static int
scan_extent_cmp(const void *a, const void *b)
{
	const struct scan_extent	*x = a, *y = b;

	return SCAN_CMP(x->agbno, y->agbno);
}

/*
 * Recompute group @agno's refcount records over blocks @lo..@hi from its
 * rmap btree (step 3 of the header).
 */
static int
scan_refc_fix_range_locked(struct scan_ctx *ctx, uint32_t agno, uint32_t lo,
		uint32_t hi)
{
	struct scan_group	*grp = &ctx->groups[agno];
	struct xmem_array	rv = SCAN_RECVEC_INIT;
	struct xmem_array	oldv = SCAN_REFCVEC_INIT;
	struct scan_refc	*old, *now = NULL, *del = NULL, *ins;
	size_t			nold, nnow = 0, ndel, nins, i;
	uint64_t		end, lo2 = lo, hi2 = hi;
	int			error;

	error = scan_bt_refc_range(&grp->refc, lo ? lo - 1 : 0,
				   hi < UINT32_MAX ? hi + 1 : hi, &oldv);
	old = oldv.data;
	nold = oldv.len;
	if (error)
		goto out_free;
	for (i = 0; i < nold; i++) {
		end = (uint64_t)old[i].agbno + old[i].len - 1;
		if (old[i].agbno < lo2)
			lo2 = old[i].agbno;
		if (end > hi2)
			hi2 = end;
	}
	error = scan_bt_rmap_range(&grp->rmap, agno, lo2, hi2, &rv);
	if (!error)
		error = scan_refc_of(rv.data, rv.len, lo2, hi2, &now, &nnow);
	if (error)
		goto out_free;
	if (nold > 1)
		qsort(old, nold, sizeof(*old), scan_refc_cmp);
	del = malloc((nold + nnow + 1) * sizeof(*del));
	if (!del) {
		error = -ENOMEM;
		goto out_free;
	}
	ins = del + nold;
	scan_sorted_diff(old, nold, now, nnow, sizeof(*old), scan_refc_cmp,
			 del, &ndel, ins, &nins);
	error = scan_bt_refc_write(&grp->refc, true, del, ndel);
	if (!error)
		error = scan_bt_refc_write(&grp->refc, false, ins, nins);
out_free:
	free(del);
	free(now);
	xmem_array_release(&oldv);
	xmem_array_release(&rv);
	return error;
}

/* Recompute the refcounts over the shareable blocks of @a and @b. */
static int
scan_refc_fix_locked(struct scan_ctx *ctx, uint32_t agno,
		const struct scan_rec *a, size_t na, const struct scan_rec *b,
		size_t nb)
{
	struct scan_extent	*ext;
	uint64_t		lo, hi;
	size_t			i, n = 0;
	int			error = 0;

	ext = malloc((na + nb + 1) * sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	for (i = 0; i < na + nb; i++) {
		const struct scan_rec *r = i < na ? &a[i] : &b[i - na];

		if (!scan_rec_shareable(r))
			continue;
		ext[n].agbno = r->agbno;
		ext[n++].len = r->len;
	}
	qsort(ext, n, sizeof(*ext), scan_extent_cmp);
	for (i = 0; i < n && !error;) {
		lo = ext[i].agbno;
		hi = lo + ext[i].len - 1;
		/* Merge runs that touch or overlap. */
		for (i++; i < n && ext[i].agbno <= hi + 1; i++)
			if ((uint64_t)ext[i].agbno + ext[i].len - 1 > hi)
				hi = (uint64_t)ext[i].agbno + ext[i].len - 1;
		error = scan_refc_fix_range_locked(ctx, agno, lo, hi);
	}
	free(ext);
	return error;
}

/*
 * Apply one change of group @agno to its loaded btrees: delete @del,
 * insert @ins, fix the refcounts.  A failure is counted (and was
 * printed); the live hooks go on.
 */
static void
scan_apply_delta_locked(struct scan_ctx *ctx, uint32_t agno,
		const struct scan_rec *del, size_t ndel,
		const struct scan_rec *ins, size_t nins)
{
	struct scan_group	*grp = &ctx->groups[agno];
	int			error;

	ctx->updates++;
	error = scan_bt_rmap_write(&grp->rmap, true, del, ndel);
	if (!error)
		error = scan_bt_rmap_write(&grp->rmap, false, ins, nins);
	if (!error)
		error = scan_refc_fix_locked(ctx, agno, del, ndel, ins, nins);
	if (error)
		ctx->bt_errors++;
}

/* Queue a change for group @agno until its load commits. */
static int
scan_pending_add_locked(struct scan_ctx *ctx, uint32_t agno,
		const struct scan_rec *del, size_t ndel,
		const struct scan_rec *ins, size_t nins)
{
	struct scan_group	*grp = &ctx->groups[agno];
	struct scan_delta	*d;

	d = malloc(sizeof(*d) + (ndel + nins) * sizeof(d->recs[0]));
	if (!d)
		return -ENOMEM;
	d->next = NULL;
	d->nold = ndel;
	d->nnew = nins;
	memcpy(d->recs, del, ndel * sizeof(*del));
	memcpy(d->recs + ndel, ins, nins * sizeof(*ins));
	*grp->pending_tail = d;
	grp->pending_tail = &d->next;
	ctx->npending++;
	return 0;
}

/*
 * Empty group @agno's pending list, oldest first, applying each change
 * to the btrees first if @apply (its load is done; without @apply the
 * load failed, or the scan stops).
 */
void
scan_pending_drain_locked(struct scan_ctx *ctx, uint32_t agno, bool apply)
{
	struct scan_group	*grp = &ctx->groups[agno];
	struct scan_delta	*d;

	while ((d = grp->pending) != NULL) {
		grp->pending = d->next;
		if (apply)
			scan_apply_delta_locked(ctx, agno, d->recs, d->nold,
						d->recs + d->nold, d->nnew);
		free(d);
		ctx->npending--;
	}
	grp->pending_tail = &grp->pending;
}

/*
 * An inode's records go from @old[0..@nold) to @new[0..@nnew) (both
 * sorted, so grouped by group): tell every group whose part changed.
 */
int
scan_delta_locked(struct scan_ctx *ctx, const struct scan_rec *old,
		size_t nold, const struct scan_rec *new, size_t nnew)
{
	struct scan_rec	*buf;
	size_t		i = 0, j = 0, i2, j2, ndel, nins;
	uint32_t	g;
	int		error = 0;

	while (!error && (i < nold || j < nnew)) {
		if (j == nnew || (i < nold && old[i].agno < new[j].agno))
			g = old[i].agno;
		else
			g = new[j].agno;
		for (i2 = i; i2 < nold && old[i2].agno == g; i2++)
			;
		for (j2 = j; j2 < nnew && new[j2].agno == g; j2++)
			;
		if (ctx->groups[g].state == SCAN_GROUP_STAGING ||
		    ctx->groups[g].state == SCAN_GROUP_LOADED) {
			buf = malloc((i2 - i + j2 - j + 1) * sizeof(*buf));
			if (!buf)
				return -ENOMEM;
			scan_sorted_diff(old + i, i2 - i, new + j, j2 - j,
					 sizeof(*buf), scan_rec_cmp, buf, &ndel,
					 buf + (i2 - i), &nins);
			if (!ndel && !nins)
				;	/* nothing changed here */
			else if (ctx->groups[g].state == SCAN_GROUP_STAGING)
				error = scan_pending_add_locked(ctx, g, buf,
						ndel, buf + (i2 - i), nins);
			else
				scan_apply_delta_locked(ctx, g, buf, ndel,
						buf + (i2 - i), nins);
			free(buf);
		}
		i = i2;
		j = j2;
	}
	return error;
}

/* ---- events ---- */

/* The table's entry holding handle @fh, or NULL. */
static struct scan_inode *
scan_find_fh_locked(struct scan_ctx *ctx, const struct scan_fh *fh)
{
	struct scan_inode	*ip;
	uint64_t		ino;
	size_t			i;

	if (scan_fh_ino(fh, &ino)) {
		ip = scan_itab_find(&ctx->itab, ino);
		return ip && scan_inode_fh_is(ip, fh) ? ip : NULL;
	}
	for (i = 0; i < ctx->itab.len; i++)
		if (scan_inode_fh_is(scan_itab_at(&ctx->itab, i), fh))
			return scan_itab_at(&ctx->itab, i);
	return NULL;
}

/*
 * Something changed the inode with handle @fh: apply the cursor rule of
 * the header.  Caller holds the lock.  Returns 0, or -ENOMEM.
 */
int
scan_touch_fh_locked(struct scan_ctx *ctx, const struct scan_fh *fh)
{
	struct scan_inode	*ip;
	struct scan_ient	ie;
	struct stat		st;
	int			fd, error = 0;

	fd = scan_fs_open_fh(&ctx->fs, fh, O_PATH);
	if (fd == -ESTALE || fd == -ENOENT) {
		ip = scan_find_fh_locked(ctx, fh);
		return ip ? scan_drop_locked(ctx, ip->ino, fh) : 0;
	}
	if (fd >= 0) {
		error = fstat(fd, &st) ? -errno : 0;
		close(fd);
	}
	if (fd < 0 || error) {
		ctx->stats.errors++;
		scan_msg("an event's inode: %s",
			 strerror(fd < 0 ? -fd : -error));
		return 0;
	}
	if (!ctx->scan_done && st.st_ino > ctx->cursor)
		return scan_defer_push_locked(ctx, st.st_ino, fh);

	scan_ient_from_stat(&ie, &st, !ctx->fs.is_xfs);
	ie.fh = *fh;
	return scan_visit_locked(ctx, &ie);
}

/* Add the handle of info record @fid to the batch (if it fits). */
static int
scan_live_batch_add(struct scan_live *lv, const struct file_handle *h)
{
	struct scan_fh	*v;

	if (h->handle_bytes > SCAN_FH_MAX)
		return 0;
	if (xmem_array_reserve(&lv->batch, 1))
		return -ENOMEM;
	v = xmem_array_push_reserved(&lv->batch);
	v->bytes = h->handle_bytes;
	v->type = h->handle_type;
	memcpy(v->f, h->f_handle, h->handle_bytes);
	return 0;
}

static int
scan_fh_cmp(const void *a, const void *b)
{
	const struct scan_fh	*x = a, *y = b;

	return SCAN_CMP(x->type, y->type) ?:
	       SCAN_CMP(x->bytes, y->bytes) ?:
	       memcmp(x->f, y->f, x->bytes);
}

/*
 * The handles event @m (its bytes at @raw, 4-byte aligned) asks us to
 * re-read: the object (FID); for a directory entry event also the
 * directories (DFID_NAME and the rename pair), whose blocks change with
 * their entries; and the directory record alone when no FID came (an
 * event on a directory itself).
 */
static int
scan_live_event(struct scan_ctx *ctx, const struct fanotify_event_metadata *m,
		const char *raw)
{
	struct scan_live			*lv = ctx->lv;
	const struct fanotify_event_info_fid	*info;
	const struct file_handle		*dirs[4];
	const char				*p, *end;
	bool					dirent, have_fid = false;
	int					ndirs = 0, i, error = 0;

	dirent = m->mask & (FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM |
			    FAN_MOVED_TO | FAN_RENAME);
	p = raw + m->metadata_len;
	end = raw + m->event_len;
	while (!error && p + sizeof(info->hdr) <= end) {
		info = (const struct fanotify_event_info_fid *)p;
		if (info->hdr.len < sizeof(*info) +
				    sizeof(struct file_handle) ||
		    p + info->hdr.len > end)
			break;
		switch (info->hdr.info_type) {
		case FAN_EVENT_INFO_TYPE_FID:
			have_fid = true;
			error = scan_live_batch_add(lv,
				(const struct file_handle *)info->handle);
			break;
		case FAN_EVENT_INFO_TYPE_DFID:
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			if (ndirs < 4)
				dirs[ndirs++] = (const struct file_handle *)
						info->handle;
			break;
		}
		p += info->hdr.len;
	}
	if (dirent || !have_fid)
		for (i = 0; !error && i < ndirs; i++)
			error = scan_live_batch_add(lv, dirs[i]);
	return error;
}

/*
 * Read the queue until it is empty; re-read the inodes its events name.
 * Returns the number of events read (>= 0) or a negative errno.
 */
static long
scan_live_drain(struct scan_ctx *ctx, char *buf)
{
	struct scan_live			*lv = ctx->lv;
	struct fanotify_event_metadata		m;
	struct scan_fh				*fhs;
	long					nevents = 0;
	ssize_t					len;
	size_t					i, off;
	int					error = 0;

	lv->batch.len = 0;
	for (;;) {
		len = read(lv->fan_fd, buf, SCAN_LIVE_BUF);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == EAGAIN)
			break;
		if (len <= 0) {
			error = len < 0 ? -errno : -EIO;
			scan_msg("reading fanotify events: %s",
				 strerror(-error));
			return error;
		}
		/*
		 * Events follow one another at event_len, which the info
		 * records make a multiple of 4 only: copy each header out
		 * before reading its 64-bit mask.
		 */
		for (off = 0; off + FAN_EVENT_METADATA_LEN <= (size_t)len;
		     off += m.event_len) {
			memcpy(&m, buf + off, sizeof(m));
			if (m.event_len < FAN_EVENT_METADATA_LEN ||
			    off + m.event_len > (size_t)len)
				break;
			if (m.vers != FANOTIFY_METADATA_VERSION) {
				scan_msg("fanotify metadata version %u, "
					 "expected %u", m.vers,
					 FANOTIFY_METADATA_VERSION);
				return -EPROTO;
			}
			nevents++;
			if (m.fd >= 0)
				close(m.fd);
			if (m.mask & FAN_Q_OVERFLOW) {
				pthread_mutex_lock(&ctx->lock);
				ctx->overflows++;
				pthread_mutex_unlock(&ctx->lock);
				lv->resync_wanted = true;
				continue;
			}
			error = scan_live_event(ctx, &m, buf + off);
			if (error)
				return error;
		}
	}

	fhs = lv->batch.data;
	if (lv->batch.len > 1)
		qsort(fhs, lv->batch.len, sizeof(*fhs), scan_fh_cmp);
	for (i = 0; !error && i < lv->batch.len; i++) {
		if (i && !scan_fh_cmp(&fhs[i - 1], &fhs[i]))
			continue;
		pthread_mutex_lock(&ctx->lock);
		error = scan_touch_fh_locked(ctx, &fhs[i]);
		pthread_mutex_unlock(&ctx->lock);
	}
	pthread_mutex_lock(&ctx->lock);
	ctx->events += nevents;
	pthread_mutex_unlock(&ctx->lock);
	return error ? error : nevents;
}

/* Read pending signals: stop on SIGINT/SIGTERM, resync on SIGUSR1. */
static void
scan_live_signals(struct scan_ctx *ctx)
{
	struct scan_live		*lv = ctx->lv;
	struct signalfd_siginfo		si;

	while (read(lv->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			lv->resync_wanted = true;
		else
			atomic_store(&lv->stopping, true);
	}
}

/* The resync pass's walk: re-read every inode up to the cursor. */
static int
scan_resync_cb(const struct scan_ient *ie, void *priv)
{
	struct scan_ctx	*ctx = priv;
	int		error;

	/* A stop must not wait for a long pass: look every 256 inodes. */
	if (!(++ctx->lv->resync_seen & 255)) {
		scan_live_signals(ctx);
		if (scan_live_stopping(ctx))
			return 1;
	}
	pthread_mutex_lock(&ctx->lock);
	if (!ctx->scan_done && ie->ino > ctx->cursor) {
		/* The rest is the scan's. */
		pthread_mutex_unlock(&ctx->lock);
		return 1;
	}
	error = scan_visit_locked(ctx, ie);
	pthread_mutex_unlock(&ctx->lock);
	return error;
}

/*
 * A resync pass: every inode the listing has and the cursor has passed
 * is read again; then every inode of the table the listing did not see
 * is touched by its handle (dropped if it no longer opens).
 */
static int
scan_resync(struct scan_ctx *ctx)
{
	struct scan_defer	*gone = NULL;
	size_t			i, n = 0;
	uint32_t		pass;
	int			error;

	pthread_mutex_lock(&ctx->lock);
	pass = ++ctx->pass;
	ctx->resyncs++;
	scan_status_locked(ctx);
	pthread_mutex_unlock(&ctx->lock);

	error = scan_fs_walk(&ctx->fs, scan_resync_cb, ctx);
	if (error || scan_live_stopping(ctx))
		return error;

	pthread_mutex_lock(&ctx->lock);
	gone = malloc((ctx->itab.len + 1) * sizeof(*gone));
	if (!gone) {
		pthread_mutex_unlock(&ctx->lock);
		return -ENOMEM;
	}
	for (i = 0; i < ctx->itab.len; i++) {
		const struct scan_inode *ip = scan_itab_at(&ctx->itab, i);

		if (ip->seen == pass ||
		    (!ctx->scan_done && ip->ino > ctx->cursor))
			continue;
		gone[n].ino = ip->ino;
		gone[n].fh.bytes = ip->fh_bytes;
		gone[n].fh.type = ip->fh_type;
		memcpy(gone[n].fh.f, ip->fh, ip->fh_bytes);
		n++;
	}
	pthread_mutex_unlock(&ctx->lock);
	for (i = 0; !error && i < n; i++) {
		pthread_mutex_lock(&ctx->lock);
		error = scan_touch_fh_locked(ctx, &gone[i].fh);
		pthread_mutex_unlock(&ctx->lock);
	}
	free(gone);
	return error;
}

/* The event thread: see the header. */
static void *
scan_live_thread(void *priv)
{
	struct scan_ctx		*ctx = priv;
	struct scan_live	*lv = ctx->lv;
	struct pollfd		pfd[2];
	char			*buf;
	double			now;
	long			n;
	int			timeout, error = 0;

	/* malloc's alignment suits struct fanotify_event_metadata. */
	buf = malloc(SCAN_LIVE_BUF);
	if (!buf) {
		scan_msg("out of memory");
		lv->status = 2;
		atomic_store(&lv->stopping, true);
		return NULL;
	}
	pfd[0].fd = lv->fan_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = lv->sig_fd;
	pfd[1].events = POLLIN;
	while (!scan_live_stopping(ctx)) {
		timeout = SCAN_LIVE_TICK_MS;
		if (ctx->resync_secs) {
			now = scan_now();
			if (lv->next_resync - now < timeout / 1000.0)
				timeout = lv->next_resync > now ?
					  (lv->next_resync - now) * 1000 : 0;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			error = -errno;
			break;
		}
		scan_live_signals(ctx);
		if (scan_live_stopping(ctx))
			break;
		n = scan_live_drain(ctx, buf);
		if (n < 0) {
			error = n;
			break;
		}
		if (ctx->resync_secs && scan_now() >= lv->next_resync) {
			lv->resync_wanted = true;
			lv->next_resync = scan_now() + ctx->resync_secs;
		}
		if (lv->resync_wanted) {
			lv->resync_wanted = false;
			error = scan_resync(ctx);
			if (error)
				break;
			continue;
		}
		pthread_mutex_lock(&ctx->lock);
		if (!n)
			ctx->idle++;
		scan_status_locked(ctx);
		pthread_mutex_unlock(&ctx->lock);
	}
	if (error) {
		scan_msg("live hooks stopped: %s", strerror(-error));
		lv->status = 2;
		atomic_store(&lv->stopping, true);
	}
	free(buf);
	return NULL;
}

/*
 * Start watching: block our signals (the thread reads them from a
 * signalfd), set up fanotify on the whole filesystem, start the event
 * thread.  Must be called before the scan and before any other thread.
 * Returns 0 or a negative errno after a message.
 */
int
scan_live_start(struct scan_ctx *ctx)
{
	struct scan_live	*lv;
	sigset_t		set;
	uint64_t		mask;
	int			error;

	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return -ENOMEM;
	lv->fan_fd = lv->sig_fd = -1;
	xmem_array_init(&lv->batch, sizeof(struct scan_fh));
	ctx->lv = lv;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &lv->oldmask);
	lv->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (lv->sig_fd < 0) {
		error = -errno;
		scan_msg("signalfd: %s", strerror(errno));
		return error;
	}

	lv->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC |
				   FAN_NONBLOCK | FAN_REPORT_DFID_NAME_TARGET,
				   O_RDONLY | O_LARGEFILE);
	if (lv->fan_fd < 0) {
		error = -errno;
		scan_msg("fanotify_init: %s%s", strerror(errno),
			 errno == EINVAL ? " (FAN_REPORT_TARGET_FID needs "
			 "Linux 5.17 or later)" : errno == EPERM ?
			 " (fanotify on a whole filesystem needs "
			 "CAP_SYS_ADMIN)" : "");
		return error;
	}
	mask = FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB | FAN_CREATE |
	       FAN_DELETE | FAN_DELETE_SELF | FAN_MOVED_FROM | FAN_MOVED_TO |
	       FAN_ONDIR;
	if (fanotify_mark(lv->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask,
			  ctx->fs.fd, NULL)) {
		error = -errno;
		scan_msg("fanotify_mark on %s: %s%s", ctx->path,
			 strerror(errno), errno == ENODEV || errno == EXDEV ||
			 errno == EOPNOTSUPP ? " (the filesystem cannot report "
			 "file handles to fanotify)" : "");
		return error;
	}
	lv->next_resync = scan_now() + ctx->resync_secs;
	error = -pthread_create(&lv->thread, NULL, scan_live_thread, ctx);
	if (error) {
		scan_msg("starting the event thread: %s", strerror(-error));
		return error;
	}
	lv->started = true;
	return 0;
}

/* Wait for the event thread (until SIGINT or SIGTERM); 0 or 2. */
int
scan_live_wait(struct scan_ctx *ctx)
{
	struct scan_live	*lv = ctx->lv;

	if (lv->started) {
		pthread_join(lv->thread, NULL);
		lv->started = false;
	}
	return lv->status;
}

/* Stop the event thread (if running) and free what --live holds. */
void
scan_live_stop(struct scan_ctx *ctx)
{
	struct scan_live	*lv = ctx->lv;

	if (!lv)
		return;
	if (lv->started) {
		atomic_store(&lv->stopping, true);
		/* It wakes within a tick and sees the flag. */
		pthread_join(lv->thread, NULL);
	}
	if (lv->fan_fd >= 0)
		close(lv->fan_fd);
	if (lv->sig_fd >= 0)
		close(lv->sig_fd);
	pthread_sigmask(SIG_SETMASK, &lv->oldmask, NULL);
	xmem_array_release(&lv->batch);
	free(lv);
	ctx->lv = NULL;
}
