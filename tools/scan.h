/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan.h: `xfbt scan`, the reverse map of a real filesystem rebuilt in
 * xfbtreefs btrees, the way XFS online repair rebuilds its rmap and
 * refcount btrees in memory.
 *
 *	xfbt scan [--live] [--compare] [--resync=SECONDS] [-v] NAME PATH
 *
 * The one symbol other code calls is xfbt_scan_main(); everything below
 * it is shared between the scan's own files:
 *
 *	scan.c        options, the scan loop and its cursor, loads, summary
 *	scan_walk.c   the filesystem: geometry, inode enumeration in inode
 *	              order (XFS bulkstat, or a walk of the tree), handles
 *	scan_map.c    extent maps of one inode (GETBMAPX on XFS, FIEMAP
 *	              elsewhere) turned into group records; the inode table
 *	scan_refc.c   reference counts derived from overlapping mappings
 *	scan_bt.c     the xfbtreefs side: btree directories, load, insert,
 *	              delete, lookup, records; progress on a terminal
 *	scan_live.c   fanotify: the live hooks, deferred inodes, resync
 *	scan_fsmap.c  --compare: our btrees against the kernel's GETFSMAP
 *
 * Data model.  A mapping is a struct scan_rec: an extent of one fork of
 * one inode, already cut at group boundaries and put in its group's
 * coordinates, exactly what one rmap record of NAME.agN.rmap holds.  The
 * inode table (scan_ctx.itab) keeps, for every inode the scan or the
 * live hooks have read, its records and its file handle, sorted by inode
 * number.  That table is the truth for a group until the group's btrees
 * are loaded; from then on the btrees are, and the table says what to
 * delete when an inode changes.  Every array that grows is a struct
 * xmem_array (xfile/xmem.h); a comment at each says what its elements
 * are.
 *
 * Locking: one mutex, scan_ctx.lock, guards the inode table, the cursor,
 * the deferred heap, the groups' states and pending lists, and every
 * write to a loaded btree.  The scan thread holds it while it reads one
 * inode and advances the cursor; the live thread holds it while it
 * handles one event.  That pairing is what makes the cursor rule of
 * scan_live.c sound.  Without --live there is one thread and the lock is
 * uncontended.
 *
 * Errors: functions return 0 or a negative errno; messages go to stderr
 * once, where the failure is understood, prefixed "xfbt scan: ".
 */
#ifndef XFBT_SCAN_H
#define XFBT_SCAN_H

/*
 * The entry point: argv[0] is "scan".  Returns the exit status: 0 done
 * (and, with --compare, the maps agree), 1 the maps differ, 2 usage or
 * system error.
 */
int xfbt_scan_main(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* Everything below is internal to tools/scan*.c.                     */
/* ------------------------------------------------------------------ */

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "xfile/xmem.h"

#define SCAN_PROG		"xfbt scan"

/* Largest file handle we keep (the kernel's own limit is 128 bytes). */
#define SCAN_FH_MAX		128

/* Record flags, as the rmap record text names them. */
#define SCAN_REC_ATTR		(1U << 0)	/* attribute fork */
#define SCAN_REC_UNWRITTEN	(1U << 1)	/* preallocated, unwritten */

/*
 * One reverse mapping in group coordinates: the content of one line of
 * NAME.agN.rmap.  Offsets and lengths are in filesystem blocks.
 */
struct scan_rec {
	uint64_t	owner;		/* inode number */
	uint64_t	offset;		/* file (or attr fork) block offset */
	uint32_t	agno;		/* group */
	uint32_t	agbno;		/* first block, within the group */
	uint32_t	len;		/* blocks, >= 1 */
	uint32_t	flags;		/* SCAN_REC_* */
};

/*
 * -1, 0 or 1 as @a is below, equal to or above @b: the step of every
 * comparator of the scan, chained with ?: from the first key to the last.
 */
#define SCAN_CMP(a, b)	((a) < (b) ? -1 : (a) > (b))

/*
 * One step of a walk of two arrays sorted by @cmp (@size-byte elements),
 * at @a[@i] of @na and @b[@j] of @nb: below 0 when @a[@i] comes alone,
 * above 0 when @b[@j] does, 0 when both match.  @cmp is called only when
 * both arrays have an element left.
 */
static inline int
scan_merge_step(const void *a, size_t i, size_t na, const void *b, size_t j,
		size_t nb, size_t size, int (*cmp)(const void *, const void *))
{
	if (i == na)
		return 1;
	if (j == nb)
		return -1;
	return cmp((const char *)a + i * size, (const char *)b + j * size);
}

/* An empty array of struct scan_rec, the records' vector. */
#define SCAN_RECVEC_INIT	XMEM_ARRAY_INIT(sizeof(struct scan_rec))

/* A file handle as name_to_handle_at() and fanotify give it. */
struct scan_fh {
	uint32_t	bytes;		/* used bytes of f[] */
	int32_t		type;		/* the filesystem's handle type */
	unsigned char	f[SCAN_FH_MAX];
};

/* What an inode is to the scan. */
enum scan_ino_kind {
	SCAN_INO_MAPPED = 0,	/* regular file or directory: maps read */
	SCAN_INO_UNMAPPED,	/* symlink or special file with blocks:
				 * cannot be opened for an ioctl, so its
				 * blocks are listed apart */
	SCAN_INO_REALTIME,	/* realtime file: skipped, counted */
};

/*
 * One inode of the table: its records (all groups, sorted) and the
 * handle it was last opened by.  The handle identifies the incarnation:
 * an event whose handle no longer opens drops the records only if it is
 * this same handle (a reused inode number has a new generation).
 */
struct scan_inode {
	uint64_t		ino;
	struct scan_rec		*recs;		/* malloc'd, sorted */
	uint32_t		nrecs;
	uint16_t		kind;		/* enum scan_ino_kind */
	uint16_t		fh_bytes;
	int32_t			fh_type;
	uint32_t		seen;		/* resync pass that saw it */
	unsigned char		fh[];		/* fh_bytes of handle */
};

/* Entry @i of the inode table @it (scan_ctx.itab). */
static inline struct scan_inode *
scan_itab_at(const struct xmem_array *it, size_t i)
{
	return *(struct scan_inode **)xmem_array_at(it, i);
}

/* One inode as the enumeration hands it to the scan. */
struct scan_ient {
	uint64_t	ino;
	uint32_t	mode;		/* st_mode */
	uint32_t	nextents;	/* data fork extents (XFS), or ~0 */
	uint32_t	naextents;	/* attr fork extents (XFS), or ~0 */
	bool		has_blocks;	/* any block, delalloc included */
	bool		realtime;	/* XFS realtime file */
	bool		realtime_known;	/* else ask the open file */
	struct scan_fh	fh;
};

/* The filesystem being scanned. */
struct scan_fs {
	int		fd;		/* PATH, for ioctls and handles */
	dev_t		dev;		/* st_dev of PATH */
	bool		is_xfs;
	bool		has_rmapbt;	/* XFS with reverse-mapping btrees */
	uint32_t	blocksize;	/* bytes */
	uint32_t	agcount;	/* groups */
	uint32_t	agblocks;	/* blocks per group (the last may
					 * be shorter) */
	uint64_t	dblocks;	/* blocks of the data device */
	int		fh_type;	/* XFS: the handle type the kernel
					 * uses, found by scan_fs_open() */
	int		root_fd;	/* generic walk: the mount's root */
};

/* Counters of one scan; the summary and the status file print them. */
struct scan_stats {
	uint64_t	inodes;		/* inodes visited */
	uint64_t	extents;	/* mappings read from the fs */
	uint64_t	records;	/* rmap records they made */
	uint64_t	skipped;	/* no blocks of their own */
	uint64_t	realtime;	/* realtime files skipped */
	uint64_t	unmapped;	/* symlinks etc. with blocks */
	uint64_t	vanished;	/* gone between listing and reading */
	uint64_t	errors;		/* inodes that could not be read */
};

/* How far a group's btrees are (scan_group.state). */
enum scan_group_state {
	SCAN_GROUP_MEMORY = 0,	/* records only in the inode table */
	SCAN_GROUP_STAGING,	/* a load is being written: changes wait */
	SCAN_GROUP_LOADED,	/* the btrees are the truth */
	SCAN_GROUP_FAILED,	/* its load failed; no more changes */
};

/* One btree directory of the mount and its open files. */
struct scan_bt {
	char		*dir;		/* NAME.agN.rmap or NAME.agN.refcount */
	int		insert_fd;	/* -1 until first used */
	int		delete_fd;
	int		lookup_fd;
};

/* A change that waits for a staging group's load (old -> new). */
struct scan_delta {
	struct scan_delta	*next;
	size_t			nold;
	size_t			nnew;
	struct scan_rec		recs[];		/* nold old, then nnew new */
};

struct scan_group {
	enum scan_group_state	state;
	struct scan_bt		rmap;
	struct scan_bt		refc;
	struct scan_delta	*pending;	/* oldest first */
	struct scan_delta	**pending_tail;
};

/* A refcount record: blocks agbno..agbno+len-1 mapped refcount times. */
struct scan_refc {
	uint32_t	agbno;
	uint32_t	len;
	uint32_t	refcount;
};

/* An empty array of struct scan_refc. */
#define SCAN_REFCVEC_INIT	XMEM_ARRAY_INIT(sizeof(struct scan_refc))

/* A bare extent of a group, for the refcount derivation. */
struct scan_extent {
	uint32_t	agbno;
	uint32_t	len;
};

/* A deferred inode: an event above the cursor, for the scan to visit. */
struct scan_defer {
	uint64_t	ino;
	struct scan_fh	fh;
};

struct scan_live;

/* The debugging pause points (XFBT_SCAN_PAUSE_AT; see scan.c). */
struct scan_pause {
	struct xmem_array at;		/* of uint64_t: inode numbers,
					 * ascending */
	size_t		next;		/* the next one to stop at */
	bool		at_load;	/* while group 0 is staging */
	bool		at_compare;	/* before the compare */
	const char	*fifo;		/* XFBT_SCAN_PAUSE_FIFO */
};

/* The whole state of one `xfbt scan`. */
struct scan_ctx {
	struct scan_fs		fs;
	const char		*name;		/* NAME */
	const char		*path;		/* PATH */
	bool			live;
	bool			compare;
	bool			verbose;
	bool			progress;	/* stderr is a terminal */
	unsigned int		resync_secs;	/* --resync */
	const char		*status_path;	/* XFBT_SCAN_STATUS */
	uint64_t		load_records;	/* rmap records loaded */
	uint64_t		load_refc;	/* refcount records loaded */
	struct scan_pause	pause;		/* scan thread only */

	pthread_mutex_t		lock;
	/* Everything below is guarded by lock. */
	/* The inode table: of struct scan_inode *, sorted by ino. */
	struct xmem_array	itab;
	uint64_t		cursor;		/* inodes <= cursor visited */
	bool			scan_done;	/* cursor is past every ino */
	/* The deferred inodes: of struct scan_defer, a min-heap on ino. */
	struct xmem_array	defer;
	struct scan_group	*groups;	/* [fs.agcount] */
	struct scan_stats	stats;
	const char		*phase;		/* for the status file */
	uint32_t		pass;		/* resync passes so far */
	uint64_t		events;		/* fanotify events read */
	uint64_t		updates;	/* changes applied to btrees */
	uint64_t		npending;	/* changes waiting for loads */
	uint64_t		bt_errors;	/* failed btree updates */
	uint64_t		overflows;	/* FAN_Q_OVERFLOW seen */
	uint64_t		resyncs;	/* resync passes started */
	uint64_t		idle;		/* times the queue was empty */
	unsigned int		pauses;		/* debug pauses so far */

	struct scan_live	*lv;		/* --live only */
};

/* scan.c */
char *scan_dirname(const char *path);
double scan_now(void);
void scan_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void scan_status_locked(struct scan_ctx *ctx);
int scan_visit_locked(struct scan_ctx *ctx, const struct scan_ient *ie);
int scan_update_locked(struct scan_ctx *ctx, uint64_t ino,
		enum scan_ino_kind kind, const struct scan_fh *fh,
		const struct scan_rec *recs, size_t n);
int scan_drop_locked(struct scan_ctx *ctx, uint64_t ino,
		const struct scan_fh *fh);
int scan_refc_of(const struct scan_rec *recs, size_t n, uint32_t lo,
		uint32_t hi, struct scan_refc **outp, size_t *noutp);

/* scan_walk.c */
int scan_fs_open(struct scan_fs *fs, const char *path);
void scan_fs_close(struct scan_fs *fs);
typedef int (*scan_walk_fn)(const struct scan_ient *ie, void *priv);
int scan_fs_walk(struct scan_fs *fs, scan_walk_fn fn, void *priv);
int scan_fs_open_fh(struct scan_fs *fs, const struct scan_fh *fh, int flags);
bool scan_fh_ino(const struct scan_fh *fh, uint64_t *ino);
struct stat;
void scan_ient_from_stat(struct scan_ient *ie, const struct stat *st,
		bool realtime_known);

/* scan_map.c */
int scan_rec_cmp(const void *a, const void *b);
int scan_cut_extent(const struct scan_fs *fs, uint64_t owner, uint64_t pb,
		uint64_t lb, uint64_t n, uint32_t flags,
		struct xmem_array *out);
int scan_read_maps(struct scan_ctx *ctx, int fd, uint64_t ino, bool data,
		bool attr, struct xmem_array *out);
struct scan_inode *scan_itab_find(const struct xmem_array *it, uint64_t ino);
int scan_itab_set(struct xmem_array *it, uint64_t ino, enum scan_ino_kind kind,
		const struct scan_fh *fh, const struct scan_rec *recs,
		size_t nrecs, struct scan_inode **out);
void scan_itab_remove(struct xmem_array *it, uint64_t ino);
void scan_itab_free(struct xmem_array *it);
bool scan_inode_fh_is(const struct scan_inode *ip, const struct scan_fh *fh);

/* scan_refc.c */
bool scan_rec_shareable(const struct scan_rec *r);
int scan_refc_derive(struct scan_extent *ext, size_t n, uint32_t lo,
		uint32_t hi, struct scan_refc **outp, size_t *noutp);

/* scan_bt.c */
int scan_bt_prepare(struct scan_bt *bt, const char *name, uint32_t agno,
		const char *type);
void scan_bt_release(struct scan_bt *bt);
int scan_bt_load_rmap(struct scan_ctx *ctx, struct scan_bt *bt,
		const struct scan_rec *recs, size_t n);
int scan_bt_load_refc(struct scan_ctx *ctx, struct scan_bt *bt,
		const struct scan_refc *recs, size_t n);
int scan_bt_rmap_write(struct scan_bt *bt, bool delete,
		const struct scan_rec *recs, size_t n);
int scan_bt_refc_write(struct scan_bt *bt, bool delete,
		const struct scan_refc *recs, size_t n);
int scan_bt_rmap_range(struct scan_bt *bt, uint32_t agno, uint32_t lo,
		uint32_t hi, struct xmem_array *out);
int scan_bt_refc_range(struct scan_bt *bt, uint32_t lo, uint32_t hi,
		struct xmem_array *out);
int scan_bt_rmap_records(struct scan_bt *bt, uint32_t agno,
		struct xmem_array *out);
int scan_bt_refc_records(struct scan_bt *bt, struct xmem_array *out);
void scan_progress(struct scan_ctx *ctx, bool last, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* scan_live.c */
int scan_live_start(struct scan_ctx *ctx);
int scan_live_wait(struct scan_ctx *ctx);
void scan_live_stop(struct scan_ctx *ctx);
bool scan_live_stopping(struct scan_ctx *ctx);
int scan_touch_fh_locked(struct scan_ctx *ctx, const struct scan_fh *fh);
int scan_defer_push_locked(struct scan_ctx *ctx, uint64_t ino,
		const struct scan_fh *fh);
bool scan_defer_pop_locked(struct scan_ctx *ctx, uint64_t upto,
		struct scan_defer *out);
int scan_delta_locked(struct scan_ctx *ctx, const struct scan_rec *old,
		size_t nold, const struct scan_rec *new, size_t nnew);
void scan_pending_drain_locked(struct scan_ctx *ctx, uint32_t agno,
		bool apply);

/* scan_fsmap.c */
int scan_compare(struct scan_ctx *ctx);

#endif /* XFBT_SCAN_H */
