// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan.c: `xfbt scan`: read a filesystem inode by inode, as XFS online
 * repair does, and rebuild its reverse map in xfbtreefs btrees.
 *
 *	xfbt scan [--live] [--compare] [--resync=SECONDS] [-v] NAME PATH
 *
 * The steps (xfbt_scan_main):
 *  1. open PATH's filesystem and find its groups (scan_walk.c), create
 *     or take over NAME.agN.rmap and NAME.agN.refcount (scan_bt.c);
 *  2. with --live, start watching the filesystem (scan_live.c) *before*
 *     the scan, so that no change can fall between the two;
 *  3. the scan: every inode in ascending inode order (scan_walk_cb), its
 *     extent maps read (scan_map.c) into the inode table, the cursor
 *     advanced past it;
 *  4. the loads: group by group, the table's records of that group go to
 *     its rmap btree through `load`, and the reference counts derived
 *     from them (scan_refc.c) to its refcount btree;
 *  5. with --compare, our btrees against the kernel's GETFSMAP
 *     (scan_fsmap.c);
 *  6. with --live, keep applying changes until SIGINT or SIGTERM.
 *
 * The cursor.  ctx->cursor is the highest inode number the scan has
 * visited; an inode at or below it has been read, one above it will be.
 * The scan reads an inode and moves the cursor onto it under ctx->lock,
 * in one step; the live hooks decide, under the same lock, whether an
 * event's inode is theirs (at or below the cursor: re-read it now) or the
 * scan's (above: leave it).  An inode the scan's listing never had (made
 * after the listing was taken) is remembered on the deferred heap when
 * its event comes and visited by the scan in inode order, so "left to the
 * scan" is never "left to no one".
 *
 * Debugging aids, from the environment:
 *	XFBT_SCAN_PAUSE_AT=INO[,INO...][,load][,compare]  before visiting
 *	    the first inode at or above each INO, while group 0's load
 *	    stages, before the compare: stop until something is written to
 *	    the fifo XFBT_SCAN_PAUSE_FIFO (the live hooks keep running: a
 *	    test races the cursor on purpose);
 *	XFBT_SCAN_STATUS=FILE  keep FILE (replaced atomically) holding
 *	    `name value` lines: phase, cursor, counters, and `idle`, which
 *	    grows each time the live hooks find the queue empty.
 *
 * Locking: see scan.h.  Exit status: 0, 1 (compare found differences),
 * 2 (usage or errors, including inodes that could not be read).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/scan.h"

static bool scan_msg_tty;

/* Print "xfbt scan: " and the message on stderr (over a progress line). */
void
scan_msg(const char *fmt, ...)
{
	va_list	ap;

	fputs(scan_msg_tty ? "\r\033[K" SCAN_PROG ": " : SCAN_PROG ": ",
	      stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
scan_usage(FILE *f)
{
	fprintf(f,
"Usage: xfbt scan [--live] [--compare] [--resync=SECONDS] [-v] NAME PATH\n"
"Rebuild the reverse map of the filesystem holding PATH in btrees\n"
"NAME.agN.rmap and NAME.agN.refcount of the xfbtreefs mount holding NAME.\n"
"  --live          watch the filesystem (fanotify) from before the scan and\n"
"                  keep the btrees current until SIGINT or SIGTERM\n"
"  --compare       compare with the kernel's map (GETFSMAP; XFS with rmapbt)\n"
"  --resync=SECS   with --live, re-read every inode every SECS seconds\n"
"                  (SIGUSR1 asks for one pass now)\n"
"  -v, --verbose   print counts and timings\n"
"Exit status: 0 done and agreeing, 1 the maps differ, 2 error.\n");
}

/* The directory part of @path ("." if none), in a new string; NULL. */
char *
scan_dirname(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, slash - path);
}

/* Seconds on the monotonic clock. */
double
scan_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write the status file, if one was asked for.  Caller holds the lock. */
void
scan_status_locked(struct scan_ctx *ctx)
{
	char	tmp[PATH_MAX];
	FILE	*f;

	if (!ctx->status_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", ctx->status_path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "phase %s\ncursor %" PRIu64 "\nscan_done %d\n"
		"inodes %" PRIu64 "\nextents %" PRIu64 "\nrecords %" PRIu64
		"\nvanished %" PRIu64 "\nerrors %" PRIu64 "\nevents %" PRIu64
		"\nupdates %" PRIu64 "\npending %" PRIu64 "\ndeferred %zu"
		"\noverflows %" PRIu64
		"\nresyncs %" PRIu64 "\nbtree_errors %" PRIu64
		"\nidle %" PRIu64 "\npauses %u\n",
		ctx->phase, ctx->cursor, ctx->scan_done, ctx->stats.inodes,
		ctx->stats.extents, ctx->stats.records, ctx->stats.vanished,
		ctx->stats.errors, ctx->events, ctx->updates, ctx->npending,
		ctx->defer.len,
		ctx->overflows, ctx->resyncs, ctx->bt_errors, ctx->idle,
		ctx->pauses);
	if (fclose(f) == 0)
		rename(tmp, ctx->status_path);
}

/* Name the phase in the status file.  Takes the lock. */
static void
scan_set_phase(struct scan_ctx *ctx, const char *phase)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->phase = phase;
	scan_status_locked(ctx);
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * Make inode @ino hold records @recs[0..@n) of kind @kind, opened by
 * @fh: every group whose records change hears of it (scan_delta_locked:
 * nothing while the group lives in memory, a pending change while it
 * stages, btree transactions once loaded), then the table is updated.
 * An inode with nothing to remember leaves the table.  Caller holds the
 * lock.  Returns 0 or -ENOMEM (btree failures are counted, not returned).
 */
int
scan_update_locked(struct scan_ctx *ctx, uint64_t ino, enum scan_ino_kind kind,
		const struct scan_fh *fh, const struct scan_rec *recs, size_t n)
{
	struct scan_inode	*ip = scan_itab_find(&ctx->itab, ino);
	int			error;

	error = scan_delta_locked(ctx, ip ? ip->recs : NULL,
				  ip ? ip->nrecs : 0, recs, n);
	if (error)
		return error;
	if (!n && kind == SCAN_INO_MAPPED) {
		scan_itab_remove(&ctx->itab, ino);
		return 0;
	}
	error = scan_itab_set(&ctx->itab, ino, kind, fh, recs, n, &ip);
	if (!error)
		ip->seen = ctx->pass;
	return error;
}

/*
 * Inode @ino can no longer be opened by @fh: if the table's entry is
 * that incarnation, its records go.  Caller holds the lock.
 */
int
scan_drop_locked(struct scan_ctx *ctx, uint64_t ino, const struct scan_fh *fh)
{
	struct scan_inode	*ip = scan_itab_find(&ctx->itab, ino);

	if (!ip || !scan_inode_fh_is(ip, fh))
		return 0;
	return scan_update_locked(ctx, ino, SCAN_INO_MAPPED, fh, NULL, 0);
}

/* XFS: is the open inode @fd a realtime file? */
static bool
scan_fd_realtime(struct scan_ctx *ctx, int fd)
{
	struct fsxattr	fsx;

	if (!ctx->fs.is_xfs || ioctl(fd, FS_IOC_FSGETXATTR, &fsx))
		return false;
	return fsx.fsx_xflags & FS_XFLAG_REALTIME;
}

/*
 * Read inode @ie now and make the table (and the groups) hold what it
 * maps.  Symlinks and special files cannot be opened for an ioctl: one
 * with blocks is remembered as unmapped (listed apart by --compare);
 * realtime files are skipped.  An inode that is gone is dropped, if the
 * table holds that incarnation.  A failure to read an inode is counted
 * and printed, and the scan goes on.  Caller holds the lock.
 */
int
scan_visit_locked(struct scan_ctx *ctx, const struct scan_ient *ie)
{
	struct xmem_array	rv = SCAN_RECVEC_INIT;
	enum scan_ino_kind	kind = SCAN_INO_MAPPED;
	bool			data, attr;
	int			fd, error;

	ctx->stats.inodes++;
	if (ie->realtime)
		goto out_realtime;
	if (!S_ISREG(ie->mode) && !S_ISDIR(ie->mode)) {
		if (ie->has_blocks) {
			kind = SCAN_INO_UNMAPPED;
			ctx->stats.unmapped++;
		}
		goto out_update;
	}
	if (!ie->has_blocks)
		goto out_update;

	fd = scan_fs_open_fh(&ctx->fs, &ie->fh,
			     O_RDONLY | O_NOATIME | O_NONBLOCK | O_NOCTTY);
	if (fd == -ESTALE || fd == -ENOENT) {
		ctx->stats.vanished++;
		return scan_drop_locked(ctx, ie->ino, &ie->fh);
	}
	if (fd < 0) {
		ctx->stats.errors++;
		scan_msg("inode %" PRIu64 ": open by handle: %s", ie->ino,
			 strerror(-fd));
		return 0;
	}
	if (!ie->realtime_known && scan_fd_realtime(ctx, fd)) {
		close(fd);
		goto out_realtime;
	}
	/* Bulkstat's counts spare us the ioctls of empty forks. */
	data = ie->nextents || S_ISREG(ie->mode);
	attr = ie->naextents != 0;
	error = scan_read_maps(ctx, fd, ie->ino, data, attr, &rv);
	close(fd);
	if (error) {
		ctx->stats.errors++;
		scan_msg("inode %" PRIu64 ": reading its extent map: %s",
			 ie->ino, strerror(-error));
		xmem_array_release(&rv);
		return 0;
	}
	goto out_update;

out_realtime:
	kind = SCAN_INO_REALTIME;
	ctx->stats.realtime++;
out_update:
	error = scan_update_locked(ctx, ie->ino, kind, &ie->fh, rv.data,
				   rv.len);
	xmem_array_release(&rv);
	return error;
}

/*
 * Read XFBT_SCAN_PAUSE_AT: inode numbers, `load` (while group 0's load
 * is staging: changes then wait on its pending list) and `compare`
 * (before the compare reads the btrees).
 */
static int
scan_pause_init(struct scan_pause *p)
{
	const char	*env = getenv("XFBT_SCAN_PAUSE_AT");
	uint64_t	ino;
	char		*end;
	size_t		len;

	memset(p, 0, sizeof(*p));
	xmem_array_init(&p->at, sizeof(uint64_t));
	if (!env || !*env)
		return 0;
	p->fifo = getenv("XFBT_SCAN_PAUSE_FIFO");
	if (!p->fifo || !*p->fifo) {
		scan_msg("XFBT_SCAN_PAUSE_AT needs XFBT_SCAN_PAUSE_FIFO");
		return -EINVAL;
	}
	while (*env) {
		len = strcspn(env, ",");
		if (len == 4 && !strncmp(env, "load", 4)) {
			p->at_load = true;
		} else if (len == 7 && !strncmp(env, "compare", 7)) {
			p->at_compare = true;
		} else {
			errno = 0;
			ino = strtoull(env, &end, 0);
			if (end != env + len || errno) {
				scan_msg("XFBT_SCAN_PAUSE_AT: '%.*s' is no "
					 "inode number, load or compare",
					 (int)len, env);
				return -EINVAL;
			}
			if (xmem_array_push(&p->at, &ino))
				return -ENOMEM;
		}
		env += len + (env[len] == ',');
	}
	return 0;
}

/*
 * Stop at a pause point until a writer writes to the fifo.  The fifo is
 * opened without blocking and polled, so that with --live a SIGINT or
 * SIGTERM still stops us while we wait (the signal is the live thread's
 * to read; it sets the stopping flag).
 */
static void
scan_pause(struct scan_ctx *ctx, const char *where)
{
	struct pollfd	pfd = { .events = POLLIN };
	char		buf[64];
	bool		woken = false;
	ssize_t		got;

	pthread_mutex_lock(&ctx->lock);
	ctx->pauses++;
	pthread_mutex_unlock(&ctx->lock);
	scan_set_phase(ctx, "paused");
	scan_msg("paused %s (cursor %" PRIu64 "); write to %s to go on",
		 where, ctx->cursor, ctx->pause.fifo);
	pfd.fd = open(ctx->pause.fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pfd.fd < 0) {
		scan_msg("%s: %s; going on", ctx->pause.fifo, strerror(errno));
		return;
	}
	while (!woken && !(ctx->lv && scan_live_stopping(ctx))) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		got = read(pfd.fd, buf, sizeof(buf));
		if (got > 0) {
			woken = true;
		} else if (got == 0) {
			/* A writer came and went without a word: wait anew. */
			close(pfd.fd);
			pfd.fd = open(ctx->pause.fifo,
				      O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (pfd.fd < 0)
				return;
		}
	}
	close(pfd.fd);
}

/* Before visiting @ino: stop here if a pause point says so. */
static void
scan_pause_inode(struct scan_ctx *ctx, uint64_t ino)
{
	struct scan_pause	*p = &ctx->pause;
	const uint64_t		*at = p->at.data;
	char			where[64];

	if (p->next >= p->at.len || ino < at[p->next])
		return;
	while (p->next < p->at.len && ino >= at[p->next])
		p->next++;
	snprintf(where, sizeof(where), "before inode %" PRIu64, ino);
	scan_pause(ctx, where);
	scan_set_phase(ctx, "scanning");
}

/*
 * Visit every deferred inode at or below @upto, in inode order.  Each is
 * read afresh by its handle, even one the listing just visited: the
 * listing's counts (bulkstat's, taken in batches) may predate the change
 * that deferred it.  An entry equal to the one before it is skipped:
 * that read came after both events were taken.  Caller holds the lock.
 */
static int
scan_drain_defer_locked(struct scan_ctx *ctx, uint64_t upto)
{
	struct scan_defer	d, prev;
	bool			have_prev = false;
	int			error = 0;

	while (!error && scan_defer_pop_locked(ctx, upto, &d)) {
		if (have_prev && d.ino == prev.ino &&
		    d.fh.type == prev.fh.type && d.fh.bytes == prev.fh.bytes &&
		    !memcmp(d.fh.f, prev.fh.f, d.fh.bytes))
			continue;
		if (d.ino > ctx->cursor)
			ctx->cursor = d.ino;
		error = scan_touch_fh_locked(ctx, &d.fh);
		prev = d;
		have_prev = true;
	}
	return error;
}

/* One inode of the listing: the scan's step. */
static int
scan_walk_cb(const struct scan_ient *ie, void *priv)
{
	struct scan_ctx	*ctx = priv;
	int		error;

	if (ctx->lv && scan_live_stopping(ctx))
		return -EINTR;
	scan_pause_inode(ctx, ie->ino);

	pthread_mutex_lock(&ctx->lock);
	error = scan_drain_defer_locked(ctx, ie->ino - 1);
	if (!error) {
		ctx->cursor = ie->ino;
		error = scan_visit_locked(ctx, ie);
	}
	if (!error)
		error = scan_drain_defer_locked(ctx, ie->ino);
	pthread_mutex_unlock(&ctx->lock);

	scan_progress(ctx, false, "scanning: %" PRIu64 " inodes, %" PRIu64
		      " extents, inode %" PRIu64, ctx->stats.inodes,
		      ctx->stats.extents, ie->ino);
	return error;
}

/* Steps 3: the scan, then the deferred inodes past the last one. */
static int
scan_run(struct scan_ctx *ctx)
{
	int	error;

	scan_set_phase(ctx, "scanning");
	error = scan_fs_walk(&ctx->fs, scan_walk_cb, ctx);
	if (!error) {
		pthread_mutex_lock(&ctx->lock);
		error = scan_drain_defer_locked(ctx, UINT64_MAX);
		ctx->cursor = UINT64_MAX;
		ctx->scan_done = true;
		scan_status_locked(ctx);
		pthread_mutex_unlock(&ctx->lock);
	}
	scan_progress(ctx, true, "scanned: %" PRIu64 " inodes, %" PRIu64
		      " extents", ctx->stats.inodes, ctx->stats.extents);
	return error;
}

/* The shareable extents of records @recs[0..@n): a new array. */
static int
scan_shareable(const struct scan_rec *recs, size_t n,
		struct scan_extent **extp, size_t *nextp)
{
	struct scan_extent	*ext;
	size_t			i, m = 0;

	ext = malloc((n ? n : 1) * sizeof(*ext));
	if (!ext)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!scan_rec_shareable(&recs[i]))
			continue;
		ext[m].agbno = recs[i].agbno;
		ext[m].len = recs[i].len;
		m++;
	}
	*extp = ext;
	*nextp = m;
	return 0;
}

/*
 * The refcount records derived from rmap records @recs[0..@n) of one
 * group, within blocks @lo..@hi: a new array in *@outp.
 */
int
scan_refc_of(const struct scan_rec *recs, size_t n, uint32_t lo, uint32_t hi,
		struct scan_refc **outp, size_t *noutp)
{
	struct scan_extent	*ext;
	size_t			next;
	int			error;

	error = scan_shareable(recs, n, &ext, &next);
	if (error)
		return error;
	error = scan_refc_derive(ext, next, lo, hi, outp, noutp);
	free(ext);
	return error;
}

/* Every record of group @agno in the table, in a new vector. */
static int
scan_group_recs_locked(struct scan_ctx *ctx, uint32_t agno,
		struct xmem_array *rv)
{
	const struct scan_inode	*ip;
	size_t			i, j;
	int			error;

	for (i = 0; i < ctx->itab.len; i++) {
		ip = scan_itab_at(&ctx->itab, i);
		for (j = 0; j < ip->nrecs; j++) {
			if (ip->recs[j].agno != agno)
				continue;
			error = xmem_array_push(rv, &ip->recs[j]);
			if (error)
				return error;
		}
	}
	return 0;
}

/*
 * Step 4 for group @agno: take its records out of the table and mark it
 * staging (changes from now on wait), load both btrees, then mark it
 * loaded and apply what waited.
 */
static int
scan_load_group(struct scan_ctx *ctx, uint32_t agno)
{
	struct scan_group	*grp = &ctx->groups[agno];
	struct xmem_array	rv = SCAN_RECVEC_INIT;
	struct scan_refc	*rc = NULL;
	size_t			nrc = 0;
	int			error;

	pthread_mutex_lock(&ctx->lock);
	error = scan_group_recs_locked(ctx, agno, &rv);
	if (!error)
		grp->state = SCAN_GROUP_STAGING;
	pthread_mutex_unlock(&ctx->lock);
	if (error)
		goto out_free;
	if (ctx->pause.at_load && agno == 0) {
		scan_pause(ctx, "while group 0 is staging");
		scan_set_phase(ctx, "loading");
	}

	error = scan_bt_load_rmap(ctx, &grp->rmap, rv.data, rv.len);
	if (!error)
		error = scan_refc_of(rv.data, rv.len, 0, UINT32_MAX, &rc, &nrc);
	if (!error)
		error = scan_bt_load_refc(ctx, &grp->refc, rc, nrc);
	ctx->load_records += rv.len;
	ctx->load_refc += nrc;

	pthread_mutex_lock(&ctx->lock);
	grp->state = error ? SCAN_GROUP_FAILED : SCAN_GROUP_LOADED;
	scan_pending_drain_locked(ctx, agno, !error);
	pthread_mutex_unlock(&ctx->lock);
out_free:
	free(rc);
	xmem_array_release(&rv);
	return error;
}

/* Wall clock and this process's CPU time, at one moment. */
struct scan_clock {
	double	wall;
	double	user;
	double	sys;
};

/* Read the clocks now. */
static void
scan_clock_read(struct scan_clock *c)
{
	struct rusage	ru;

	c->wall = scan_now();
	getrusage(RUSAGE_SELF, &ru);
	c->user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	c->sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * The -v summary of the scan (@c0 to @c1) and the loads (@c1 to @c2).
 * The scan's CPU time is the filesystem's calls (system) and ours
 * (user); the loads' leaves out the daemon's share.
 */
static void
scan_summary(struct scan_ctx *ctx, const struct scan_clock *c0,
		const struct scan_clock *c1, const struct scan_clock *c2)
{
	const struct scan_stats	*s = &ctx->stats;
	double			ts = c1->wall - c0->wall;

	if (ts < 1e-9)
		ts = 1e-9;
	printf("scan: %" PRIu64 " inodes, %" PRIu64 " extents, %" PRIu64
	       " records in %.3f s (%.0f inodes/s, %.0f extents/s; CPU "
	       "%.3f s user, %.3f s system)\n", s->inodes, s->extents,
	       s->records, ts, s->inodes / ts, s->extents / ts,
	       c1->user - c0->user, c1->sys - c0->sys);
	printf("scan: skipped %" PRIu64 " extents without blocks of their "
	       "own, %" PRIu64 " realtime files; %" PRIu64 " symlinks or "
	       "special files with blocks (listed apart); %" PRIu64
	       " inodes vanished, %" PRIu64 " could not be read\n",
	       s->skipped, s->realtime, s->unmapped, s->vanished, s->errors);
	printf("load: %u groups, %" PRIu64 " rmap and %" PRIu64
	       " refcount records in %.3f s (CPU here %.3f s user, %.3f s "
	       "system)\n", ctx->fs.agcount, ctx->load_records,
	       ctx->load_refc, c2->wall - c1->wall, c2->user - c1->user,
	       c2->sys - c1->sys);
	fflush(stdout);
}

/* Option parsing; returns 0, or 2 after a message. */
static int
scan_parse_args(struct scan_ctx *ctx, int argc, char **argv)
{
	static const struct option	opts[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "compare", no_argument, NULL, 'c' },
		{ "resync", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long	secs;
	char		*end;
	int		c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			ctx->live = true;
			break;
		case 'c':
			ctx->compare = true;
			break;
		case 'v':
			ctx->verbose = true;
			break;
		case 'r':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !secs ||
			    secs > 86400 * 365) {
				scan_msg("--resync: SECONDS must be a number "
					 "from 1 up, not '%s'", optarg);
				return 2;
			}
			ctx->resync_secs = secs;
			break;
		case 'h':
			scan_usage(stdout);
			exit(0);
		default:
			scan_msg("unknown option '%s'", argv[optind - 1]);
			scan_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		scan_msg("expected NAME and PATH");
		scan_usage(stderr);
		return 2;
	}
	if (ctx->resync_secs && !ctx->live) {
		scan_msg("--resync needs --live");
		return 2;
	}
	ctx->name = argv[optind];
	ctx->path = argv[optind + 1];
	if (!*ctx->name || ctx->name[strlen(ctx->name) - 1] == '/') {
		scan_msg("NAME must name a btree prefix in the mount, like "
			 "MOUNT/fs, not '%s'", ctx->name);
		return 2;
	}
	return 0;
}

/* The entry point (scan.h): the steps of the header, in order. */
int
xfbt_scan_main(int argc, char **argv)
{
	struct scan_clock	c0, c1, c2;
	struct scan_ctx		ctx;
	double			t2, t3;
	uint32_t	g;
	int		error, status = 0;

	memset(&ctx, 0, sizeof(ctx));
	xmem_array_init(&ctx.itab, sizeof(struct scan_inode *));
	xmem_array_init(&ctx.defer, sizeof(struct scan_defer));
	pthread_mutex_init(&ctx.lock, NULL);
	ctx.phase = "starting";
	ctx.progress = isatty(STDERR_FILENO);
	scan_msg_tty = ctx.progress;
	ctx.status_path = getenv("XFBT_SCAN_STATUS");
	if (ctx.status_path && !*ctx.status_path)
		ctx.status_path = NULL;
	status = scan_parse_args(&ctx, argc, argv);
	if (status)
		return status;
	status = 2;

	if (scan_pause_init(&ctx.pause))
		goto out_pause;
	if (scan_fs_open(&ctx.fs, ctx.path))
		goto out_pause;
	if (ctx.compare && (!ctx.fs.is_xfs || !ctx.fs.has_rmapbt)) {
		scan_msg("%s: --compare needs XFS with reverse-mapping btrees "
			 "(mkfs.xfs -m rmapbt=1)", ctx.path);
		goto out_fs;
	}
	ctx.groups = calloc(ctx.fs.agcount, sizeof(*ctx.groups));
	if (!ctx.groups) {
		scan_msg("out of memory");
		goto out_fs;
	}
	for (g = 0; g < ctx.fs.agcount; g++) {
		ctx.groups[g].pending_tail = &ctx.groups[g].pending;
		if (scan_bt_prepare(&ctx.groups[g].rmap, ctx.name, g, "rmap") ||
		    scan_bt_prepare(&ctx.groups[g].refc, ctx.name, g,
				    "refcount"))
			goto out_groups;
	}
	if (ctx.live && scan_live_start(&ctx))
		goto out_live;

	scan_clock_read(&c0);
	error = scan_run(&ctx);
	scan_clock_read(&c1);
	if (error == -EINTR) {
		scan_msg("stopped by a signal before the scan finished");
		goto out_live;
	}
	if (error)
		goto out_live;

	scan_set_phase(&ctx, "loading");
	for (g = 0; g < ctx.fs.agcount && !error; g++) {
		if (ctx.lv && scan_live_stopping(&ctx)) {
			scan_msg("stopped by a signal before the loads "
				 "finished");
			goto out_live;
		}
		error = scan_load_group(&ctx, g);
	}
	scan_clock_read(&c2);
	if (error)
		goto out_live;
	if (ctx.verbose)
		scan_summary(&ctx, &c0, &c1, &c2);

	status = 0;
	if (ctx.compare) {
		if (ctx.pause.at_compare)
			scan_pause(&ctx, "before the compare");
		scan_set_phase(&ctx, "comparing");
		t2 = scan_now();
		pthread_mutex_lock(&ctx.lock);
		error = scan_compare(&ctx);
		pthread_mutex_unlock(&ctx.lock);
		t3 = scan_now();
		if (error < 0)
			status = 2;
		else if (error > 0)
			status = 1;
		if (ctx.verbose)
			printf("compare: %.3f s\n", t3 - t2);
		fflush(stdout);
	}

	if (ctx.lv) {
		scan_set_phase(&ctx, "live");
		if (scan_live_wait(&ctx) && status == 0)
			status = 2;
	}
	scan_set_phase(&ctx, "done");
	if (ctx.stats.errors || ctx.bt_errors) {
		scan_msg("%" PRIu64 " inodes could not be read, %" PRIu64
			 " btree updates failed", ctx.stats.errors,
			 ctx.bt_errors);
		status = 2;
	}
out_live:
	if (ctx.lv)
		scan_live_stop(&ctx);
out_groups:
	for (g = 0; ctx.groups && g < ctx.fs.agcount; g++) {
		pthread_mutex_lock(&ctx.lock);
		scan_pending_drain_locked(&ctx, g, false);
		pthread_mutex_unlock(&ctx.lock);
		scan_bt_release(&ctx.groups[g].rmap);
		scan_bt_release(&ctx.groups[g].refc);
	}
	free(ctx.groups);
	scan_itab_free(&ctx.itab);
	xmem_array_release(&ctx.defer);
out_fs:
	scan_fs_close(&ctx.fs);
out_pause:
	xmem_array_release(&ctx.pause.at);
	pthread_mutex_destroy(&ctx.lock);
	return status;
}
