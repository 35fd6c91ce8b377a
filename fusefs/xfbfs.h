/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfbfs.h: the xfbtreefs daemon's shared structures.
 *
 * The mount is a root directory of btree directories.  Each btree
 * directory is a struct xfbfs_tree around one struct xbtree; its files
 * are not objects at all: an inode number says which tree and which file,
 *
 *	ino = 1                          the root
 *	ino = id << 40 | 0               btree directory of tree @id
 *	ino = id << 40 | S               the file of kind S (xfbfs_kinds[S])
 *	ino = id << 40 | (16 + N)        pages/N
 *
 * so inode numbers live as long as the tree, and the kernel's lookup
 * counts need no bookkeeping: an inode of a removed tree simply fails
 * with ENOENT.
 *
 * Kinds of file.  What a file is and does is one const struct
 * xfbfs_file_ops (below), as what a record is is one struct xbt_ops in
 * the library.  kinds.c holds the one table of them, xfbfs_kinds[], in
 * inode-number order, which is also the order of a btree directory's
 * listing.  The namespace code (ops.c, dir.c) and the open-file code
 * (handle.c) find a file's kind with xfbfs_ino_kind() and call its ops;
 * neither knows any kind by name.  The kinds and their files:
 *
 *	kinds.c     the btree directory itself, and the table
 *	snapshot.c  type, stats, check, errors, tree.dot (text made whole)
 *	update.c    insert, delete (a write is one transaction)
 *	query.c     lookup (queries in, answers out, on one open file)
 *	records.c   records (streamed in key order)
 *	load.c      load (bulk load at close)
 *	data.c      data (a kv btree as a sparse file)
 *	page.c      pages/ and pages/N
 *	html.c      tree.html (a page kept per btree version, true size)
 *	trace.c     trace (the engine's events, a ring; on/off/clear)
 * and, in debug builds only, fault.c (`.fault` at the root, the fault
 * injector's test hook), with the pieces they share: lines.c (line
 * assembly and record lines),
 * out.c (the output window text is read from), handle.c (open files).
 *
 * Adding a kind, e.g. `foo` (trace.c, a snapshot kind with a write op,
 * was added so):
 *	1. a new file with its ops table and handle struct:
 *		struct xfbfs_foo_handle {
 *			struct xfbfs_handle	h;	// first
 *			struct xmem_str		text;	// what the kind needs
 *		};
 *		const struct xfbfs_file_ops xfbfs_kind_foo = {
 *			.name = "foo", .mode = S_IFREG | 0644,
 *			.handle_size = sizeof(struct xfbfs_foo_handle),
 *			.truncate = xfbfs_truncate_nothing,
 *			.read = ..., .write = ..., .release = ...,
 *		};
 *	   A text made whole at each read from offset 0 (like tree.dot)
 *	   needs only .snapshot, .read = xfbfs_snapshot_read and
 *	   .release = xfbfs_snapshot_release (see snapshot.c).  A file
 *	   with a true size gives it in .getattr (like tree.html, html.c).
 *	2. its name at the end of xfbfs_kinds[] in kinds.c (with its extern
 *	   line there), and its file in meson.build.
 * Nothing else changes: lookup, readdir, getattr, open and the rest find
 * it in the table.  An op left NULL gives the errno documented at it.
 * (Kinds take sub numbers below XFBFS_PAGE_BASE; kinds.c asserts there
 * is room.  Past 16 kinds, raise XFBFS_PAGE_BASE: inode numbers last
 * only as long as the mount.)
 *
 * Locks (lock.h gives the ranks; a thread takes them in this order):
 *	h->lock           (mutex) one open file's state: serialises the
 *	                  requests on it; taken before the tree lock
 *	tree->lock        (rwlock, writers preferred) tree->bt, tree->type,
 *	                  tree->dead and everything in the btree's blocks;
 *	                  writers: insert, delete, type, data, page writes,
 *	                  the swap of a load; readers: everything else
 *	fs->names_lock    (rwlock) the name and id tables, tree->name; read
 *	                  under tree->lock to name a tree in a message
 *	tree->err_lock    (mutex) the error ring
 *	list->lock        (mutex) a list of open files or directories
 *	tree->html_lock   (mutex) tree->html; taken under tree->lock or
 *	                  alone, and nothing is taken under it
 *	tree->trace_lock  (mutex) the trace ring and trace_on; taken under
 *	                  tree->lock (the engine's callback) or alone, and
 *	                  nothing is taken under it
 * No tree lock is held while replying to the kernel (a read replies from
 * its handle's memory under h->lock).  tree->refs is atomic.
 *
 * Errors: functions return 0 or a negative errno; xfbfs_reply_err() is the
 * one place a negative errno turns into FUSE's positive one.
 */
#ifndef FUSEFS_XFBFS_H
#define FUSEFS_XFBFS_H

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "btree/xbtree.h"
#include "fusefs/lock.h"
#include "fusefs/text.h"

#define XFBFS_ROOT_INO		1ULL
#define XFBFS_ID_SHIFT		40
#define XFBFS_SUB_MASK		((1ULL << XFBFS_ID_SHIFT) - 1)
#define XFBFS_SUB_DIR		0ULL	/* the btree directory itself */
#define XFBFS_PAGE_BASE		16ULL	/* sub of pages/0 */
#define XFBFS_ID_END		(1U << 23)	/* ids 1..END-1, never reused */
#define XFBFS_NAME_MAX		255
#define XFBFS_ERRORS_MAX	64	/* entries kept in `errors` */
#define XFBFS_TRACE_MAX		131072	/* events kept in `trace` */
#define XFBFS_DATA_KEYS		(1ULL << 60)	/* kv keys `data` reaches */
#define XFBFS_DATA_MAX		(8 * XFBFS_DATA_KEYS)	/* largest data size */

#define xfbfs_container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

/* Mount options. */
struct xfbfs_opts {
	unsigned int	blocksize;	/* 0: page size */
	int		blocksize_set;	/* given: must be valid */
	uint64_t	max_memory;	/* 0: none */
	char		*max_memory_str;
	char		*tmpdir;
	int		pages_writable;
	int		allow_other;
};

/*
 * Open files and directories sit on a list of the mount's (the link is
 * the first member of their structure), so that those still open when the
 * session ends (the daemon stopped by a signal while clients hold them)
 * are freed.
 */
struct xfbfs_open {
	struct xfbfs_open	*prev, *next;	/* list->lock */
};

struct xfbfs_open_list {
	struct xfbfs_mutex	lock;
	struct xfbfs_open	*head;		/* lock */
};

#define XFBFS_OPEN_LIST_INIT	{ XFBFS_MUTEX_INIT(XFBFS_RANK_LIST), NULL }

static inline void
xfbfs_open_add(struct xfbfs_open_list *l, struct xfbfs_open *o)
{
	xfbfs_mutex_lock(&l->lock);
	o->prev = NULL;
	o->next = l->head;
	if (o->next)
		o->next->prev = o;
	l->head = o;
	xfbfs_mutex_unlock(&l->lock);
}

static inline void
xfbfs_open_del(struct xfbfs_open_list *l, struct xfbfs_open *o)
{
	xfbfs_mutex_lock(&l->lock);
	if (o->prev)
		o->prev->next = o->next;
	else
		l->head = o->next;
	if (o->next)
		o->next->prev = o->prev;
	xfbfs_mutex_unlock(&l->lock);
}

/* The newest entry still open, or NULL (for teardown, single-threaded). */
static inline struct xfbfs_open *
xfbfs_open_first(struct xfbfs_open_list *l)
{
	return l->head;
}

struct xfbfs_error {
	struct timespec	when;
	pid_t		pid;		/* of the request that failed */
	char		text[320];
};

/* One event in the trace ring (trace.c). */
struct xfbfs_trace_rec {
	struct timespec		when;
	struct xbt_event	ev;
};

struct xfbfs;

struct xfbfs_tree {
	struct xfbfs		*fs;		/* immutable: the mount */
	uint32_t		id;		/* immutable */
	int			refs;		/* atomic */
	char			*name;		/* fs->names_lock */

	struct xfbfs_rwlock	lock;
	struct xbtree		*bt;		/* lock */
	const struct xfbfs_type	*type;		/* lock; atomic for peeks */
	bool			dead;		/* lock; atomic for peeks */
	struct timespec		mtime;		/* lock */
	struct timespec		ctime;		/* immutable */
	uint64_t		nr_failed;	/* atomic */

	/* bulk loads (load.c), atomic */
	uint64_t		nr_loads;	/* committed */
	uint64_t		load_staged;	/* records on open load files */
	uint64_t		load_sorted;	/* of the load being committed */
	uint64_t		load_built;

	/* tree.html (html.c): the page of the btree's current version */
	struct xfbfs_mutex	html_lock;
	struct xfbfs_html	*html;		/* html_lock */

	/* trace (trace.c): NULL until the first `on` */
	struct xfbfs_mutex	trace_lock;
	struct xfbfs_trace_rec	*trace;		/* trace_lock */
	unsigned int		trace_next;	/* trace_lock */
	unsigned int		trace_count;	/* trace_lock */
	bool			trace_on;	/* trace_lock */

	struct xfbfs_mutex	err_lock;
	struct xfbfs_error	errors[XFBFS_ERRORS_MAX];	/* err_lock */
	unsigned int		err_next;	/* err_lock */
	unsigned int		err_count;	/* err_lock */
};

/*
 * The mount: in main's frame, handed to libfuse as the session's user
 * data, so that every handler reaches it from its request (xfbfs_of()).
 * Nothing of the daemon's lives in a global (but where logs go: main.c).
 */
struct xfbfs {
	struct xfbfs_opts	opts;		/* immutable once mounted */
	struct fuse_session	*se;		/* immutable once mounted */
	uid_t			uid;		/* immutable */
	gid_t			gid;		/* immutable */
	struct timespec		mount_time;	/* immutable */
	struct xfbfs_rwlock	names_lock;
	void			*by_name;	/* names_lock; name -> tree */
	void			*by_id;		/* names_lock; id -> tree */
	uint32_t		next_id;	/* names_lock */
	struct xfbfs_open_list	files;		/* open files (handle.c) */
	struct xfbfs_open_list	dirs;		/* open directories (dir.c) */
};

/* The mount a request is for. */
static inline struct xfbfs *
xfbfs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* ---- inode numbers ------------------------------------------------------ */

static inline fuse_ino_t
xfbfs_ino(uint32_t id, uint64_t sub)
{
	return ((uint64_t)id << XFBFS_ID_SHIFT) | sub;
}

static inline uint32_t
xfbfs_ino_id(fuse_ino_t ino)
{
	return ino >> XFBFS_ID_SHIFT;
}

static inline uint64_t
xfbfs_ino_sub(fuse_ino_t ino)
{
	return ino & XFBFS_SUB_MASK;
}

/* ---- kinds of file (kinds.c) --------------------------------------------- */

struct xfbfs_handle;
struct xmem_str;
struct xfbfs_dirbuf;

/* xfbfs_file_ops.flags */
#define XFBFS_KIND_CREATABLE	(1U << 0)	/* create() opens it (EPERM) */
#define XFBFS_KIND_UNCACHED	(1U << 1)	/* comes and goes: the kernel
						 * keeps no dentry for it */
#define XFBFS_KIND_ALWAYS	(1U << 2)	/* always there: readdir lists
						 * it without calling getattr,
						 * which does real work */

/*
 * One kind of file.  Every op may be NULL; the errno a user then sees is
 * given with it.  "tree->lock for reading" means the caller holds it;
 * an op that changes the tree takes the lock itself.
 */
struct xfbfs_file_ops {
	const char	*name;		/* in the btree directory (and in
					 * messages); NULL: the directory */
	mode_t		mode;		/* S_IF* and permission bits, which
					 * say what open allows (EACCES) */
	unsigned int	flags;		/* XFBFS_KIND_* */
	size_t		handle_size;	/* of its handle struct, which
					 * starts with a struct xfbfs_handle;
					 * 0: the bare struct */

	/* ---- the namespace (ops.c, dir.c) ---- */

	/*
	 * Attributes beyond the defaults (mode above, size 0, the tree's
	 * times), with tree->lock for reading: the size rule, and -ENOENT
	 * when the file is not there (data in a btree not of type kv, a
	 * freed page).  NULL: always there, the defaults.
	 */
	int	(*getattr)(struct xfbfs_tree *tree, uint64_t sub,
			   struct stat *st);
	/* Directories: the sub number of entry @name, or -ENOENT (no tree
	 * lock).  NULL: not a directory (ENOTDIR). */
	int	(*lookup)(const char *name, uint64_t *subp);
	/* Directories: the entries from readdir offset @off (>= 2) on,
	 * with tree->lock for reading.  NULL: ENOTDIR. */
	int	(*readdir)(struct xfbfs_tree *tree, struct xfbfs_dirbuf *db,
			   off_t off);
	/* truncate(2) to @size (>= 0) for process @pid.  NULL: EPERM.
	 * Text files point at xfbfs_truncate_nothing (succeeds, changes
	 * nothing). */
	int	(*truncate)(struct xfbfs_tree *tree, uint64_t size, pid_t pid);
	/* unlink(2) for process @pid.  NULL: EPERM (EISDIR for a
	 * directory). */
	int	(*unlink)(struct xfbfs_tree *tree, pid_t pid);

	/* ---- open files (handle.c), h->lock held unless said ---- */

	/* Set up a new handle (zeroed past the header, h->pid the opener;
	 * not yet shared, no lock held).  NULL: nothing to set up.
	 * Directories are never opened as files (EISDIR). */
	int	(*open)(struct xfbfs_handle *h, int flags);
	/* Free what open and the other ops made (no lock held: the last
	 * user).  NULL: nothing to free. */
	void	(*release)(struct xfbfs_handle *h);
	/*
	 * Up to *@sizep bytes at @off: *@datap points at the bytes, which
	 * the handle owns until h->lock is dropped, *@sizep says how many
	 * (0 at the end).  The tree is alive on entry.  NULL: EBADF (mode
	 * bits keep it from being reached).
	 */
	int	(*read)(struct xfbfs_handle *h, off_t off, size_t *sizep,
			const void **datap);
	/*
	 * The reply of the read just served failed (its process was killed
	 * mid-request, say): the reader never got those bytes, so a kind
	 * that counts what was read must not count them.  Kinds whose reads
	 * go by the offset alone (records, snapshots) need none: the
	 * kernel's offset did not move.  NULL: nothing to undo.
	 */
	void	(*unread)(struct xfbfs_handle *h);
	/* Take all @size bytes, or none and -errno.  NULL: EBADF. */
	int	(*write)(struct xfbfs_handle *h, const char *buf, size_t size,
			 off_t off);
	/* close(2) (FUSE FLUSH; once per close of a descriptor).  NULL: 0. */
	int	(*flush)(struct xfbfs_handle *h);
	/* fsync(2).  NULL: 0 (everything is applied at write). */
	int	(*fsync)(struct xfbfs_handle *h);
	/* lseek SEEK_DATA / SEEK_HOLE from @off.  NULL: all data up to the
	 * size getattr gives (ENXIO past it). */
	int	(*lseek)(struct xfbfs_handle *h, uint64_t off, int whence,
			 uint64_t *resp);

	/* Snapshot kinds (snapshot.c): append the whole text to @text,
	 * taking the locks it needs (no lock held on entry). */
	int	(*snapshot)(struct xfbfs_tree *tree, struct xmem_str *text);
};

/*
 * The kind of inode @ino (kinds.c: the table, by sub number; pages/N
 * from XFBFS_PAGE_BASE on), or NULL for the root and unknown numbers.
 */
const struct xfbfs_file_ops *xfbfs_ino_kind(fuse_ino_t ino);

/* The truncate op of text files: succeeds and changes nothing. */
int xfbfs_truncate_nothing(struct xfbfs_tree *tree, uint64_t size,
		pid_t pid);

/* ---- open files (handle.c) ---------------------------------------------- */

/*
 * What every open file has: the first member of its kind's handle struct
 * (struct xfbfs_records_handle { struct xfbfs_handle h; ... }), which the
 * kind's ops reach with xfbfs_container_of(h, ..., h).  fi->fh points at
 * it.
 */
struct xfbfs_handle {
	struct xfbfs_open		link;	/* first: on fs->files */
	const struct xfbfs_file_ops	*ops;	/* immutable: its kind */
	struct xfbfs_tree		*tree;	/* immutable; a reference */
	uint64_t			sub;	/* immutable: of its inode */
	struct xfbfs_mutex		lock;	/* serialises its requests */
	pid_t				pid;	/* lock: whose request it serves
						 * (for errors) */
	bool				read_failed;	/* lock: a damaged
						 * block's read is in errors */
};

/*
 * Open @ino into @fi (fh, direct_io) for process @pid, for open and
 * create.  0 or -errno.
 */
int xfbfs_do_open(struct xfbfs *fs, fuse_ino_t ino, pid_t pid,
		struct fuse_file_info *fi);
/* Undo xfbfs_do_open() when the reply could not be sent. */
void xfbfs_do_release(struct fuse_file_info *fi);
/* Free the files still open when the session has ended. */
void xfbfs_files_destroy(struct xfbfs *fs);

/* ---- the namespace (ops.c, dir.c) --------------------------------------- */

/* Attributes of any inode: 0, or -ENOENT if it is not (or no longer) there. */
int xfbfs_do_getattr(struct xfbfs *fs, fuse_ino_t ino, struct stat *st);

/* A readdir reply being filled (dir.c). */
struct xfbfs_dirbuf {
	fuse_req_t	req;
	char		*buf;
	size_t		size;
	size_t		pos;		/* bytes used */
};

/* Add one entry; false when the reply is full.  @next: offset after it. */
bool xfbfs_dir_add(struct xfbfs_dirbuf *db, const char *name, fuse_ino_t ino,
		mode_t mode, off_t next);
/* Free the directories still open when the session has ended. */
void xfbfs_dirs_destroy(struct xfbfs *fs);

/* FUSE lowlevel handlers: each decodes, calls a do function, replies once. */
void xfbfs_ll_opendir(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi);
void xfbfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void xfbfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi);
void xfbfs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void xfbfs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void xfbfs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		size_t size, off_t off, struct fuse_file_info *fi);
void xfbfs_ll_flush(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi);
void xfbfs_ll_release(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi);
void xfbfs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		struct fuse_file_info *fi);
void xfbfs_ll_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		struct fuse_file_info *fi);

/* ---- the fault injector's file, debug builds only (fault.c) ------------ */

#define XFBFS_FAULT_NAME	".fault"
#define XFBFS_FAULT_INO		2ULL	/* id 0: no tree's */

#ifdef XFB_DEBUG
static inline bool
xfbfs_fault_ino(fuse_ino_t ino)
{
	return ino == XFBFS_FAULT_INO;
}
/* Its attributes over those xfbfs_stat_init() set. */
void xfbfs_fault_stat(struct stat *st);
/* Read its state line / arm or disarm the injector; each replies once. */
void xfbfs_fault_ll_read(fuse_req_t req, size_t size, off_t off);
void xfbfs_fault_ll_write(fuse_req_t req, const char *buf, size_t size);
#else
static inline bool
xfbfs_fault_ino(fuse_ino_t ino)
{
	(void)ino;
	return false;
}
static inline void
xfbfs_fault_stat(struct stat *st)
{
	(void)st;
}
#endif

/* The lowlevel ops table (ops.c). */
extern const struct fuse_lowlevel_ops xfbfs_ll_ops;

/* ---- trees (tree.c) ----------------------------------------------------- */

int xfbfs_trees_init(struct xfbfs *fs);
void xfbfs_trees_destroy(struct xfbfs *fs);
/* Find a tree by id / name and take a reference; NULL if none. */
struct xfbfs_tree *xfbfs_tree_get(struct xfbfs *fs, uint32_t id);
struct xfbfs_tree *xfbfs_tree_get_name(struct xfbfs *fs, const char *name);
void xfbfs_tree_put(struct xfbfs_tree *tree);
/* mkdir / rmdir / rename in the root; 0 or -errno. */
int xfbfs_tree_create(struct xfbfs *fs, const char *name,
		struct xfbfs_tree **treep);
int xfbfs_tree_remove(struct xfbfs *fs, const char *name);
int xfbfs_tree_rename(struct xfbfs *fs, const char *old, const char *new,
		unsigned int flags);
/* A snapshot of the names and ids, for readdir of the root. */
struct xfbfs_dirent {
	char		*name;
	uint32_t	id;
};
int xfbfs_tree_list(struct xfbfs *fs, struct xfbfs_dirent **list, size_t *n);
void xfbfs_tree_list_free(struct xfbfs_dirent *list, size_t n);
size_t xfbfs_tree_count(struct xfbfs *fs);
/* How many more btrees this mount can make (ids are never reused). */
size_t xfbfs_tree_ids_left(struct xfbfs *fs);
/* Is @name an acceptable btree name?  0, -EINVAL or -ENAMETOOLONG. */
int xfbfs_check_name(const char *name);
/*
 * Take tree->lock (for writing if @write) if the tree is still there:
 * 0 with the lock held, or -ENOENT without it.
 */
int xfbfs_tree_lock_live(struct xfbfs_tree *tree, bool write);
/*
 * The tree of inode @ino, with a reference and its lock (for writing if
 * @write): 0, or -ENOENT if it is gone.  xfbfs_tree_unlock_put() undoes
 * both.
 */
int xfbfs_tree_get_locked(struct xfbfs *fs, fuse_ino_t ino, bool write,
		struct xfbfs_tree **treep);
void xfbfs_tree_unlock_put(struct xfbfs_tree *tree);
/* Change the type of an empty tree (tree->lock held for writing). */
int xfbfs_tree_set_type(struct xfbfs_tree *tree,
		const struct xfbfs_type *type);
/* Parameters for a new btree of @tree; @uuid NULL: a new UUID. */
void xfbfs_tree_params(struct xfbfs_tree *tree, const uint8_t *uuid,
		struct xbtree_params *p);
/*
 * Record an error in the tree's ring and the log: the failure of a request
 * of process @pid (fuse_req_ctx()->pid; an open file's h->pid).
 */
void xfbfs_tree_error(struct xfbfs_tree *tree, pid_t pid,
		const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Has the tree been removed?  (A peek without tree->lock.) */
static inline bool
xfbfs_tree_is_dead(struct xfbfs_tree *tree)
{
	return __atomic_load_n(&tree->dead, __ATOMIC_ACQUIRE);
}
/* The tree's type (a peek without tree->lock). */
static inline const struct xfbfs_type *
xfbfs_tree_peek_type(struct xfbfs_tree *tree)
{
	return __atomic_load_n(&tree->type, __ATOMIC_ACQUIRE);
}
/* Bump mtime after a change (tree->lock held for writing). */
void xfbfs_tree_touch(struct xfbfs_tree *tree);
/*
 * Replace @tree's btree by @bt (tree->lock held for writing): the old one
 * comes back in *@oldp, for the caller to destroy after unlocking.
 */
void xfbfs_tree_swap(struct xfbfs_tree *tree, struct xbtree *bt,
		struct xbtree **oldp);

/* ---- tree.html (html.c) ------------------------------------------------- */

/*
 * Forget @tree's kept tree.html page (the btree changed or is gone); open
 * files keep reading theirs.  Takes tree->html_lock (under tree->lock or
 * alone).
 */
void xfbfs_html_drop(struct xfbfs_tree *tree);

/* ---- trace (trace.c) ---------------------------------------------------- */

/*
 * Give @bt, which is becoming (or is) @tree's btree, the tree's trace
 * callback if tracing is on, none if off (tree->lock held for writing).
 */
void xfbfs_trace_attach(struct xfbfs_tree *tree, struct xbtree *bt);
/* Record a `load` of tree->bt, just swapped in (tree->lock for writing). */
void xfbfs_trace_load(struct xfbfs_tree *tree);
/* Free the ring (the tree is being freed). */
void xfbfs_trace_free(struct xfbfs_tree *tree);

/* ---- the data file of kv btrees (data.c) -------------------------------- */

/*
 * Size of the data view: the larger of 8 x (highest key + 1), counting
 * keys below XFBFS_DATA_KEYS, and the size kept in the header block;
 * at most 2^63 - 1, the largest off_t.
 * Caller holds tree->lock.
 */
int xfbfs_data_size(struct xfbfs_tree *tree, uint64_t *sizep);
/*
 * Each takes tree->lock itself.  0 or -errno; a failed write or truncate
 * is recorded in errors as process @pid's.
 */
int xfbfs_data_read(struct xfbfs_tree *tree, char *buf, size_t *sizep,
		uint64_t off);
int xfbfs_data_write(struct xfbfs_tree *tree, const char *buf, size_t size,
		uint64_t off, pid_t pid);
int xfbfs_data_truncate(struct xfbfs_tree *tree, uint64_t size, pid_t pid);
/* lseek SEEK_DATA / SEEK_HOLE from @off: *@res, or -ENXIO. */
int xfbfs_data_seek(struct xfbfs_tree *tree, uint64_t off, int whence,
		uint64_t *res);

/* ---- replies (main.c) and logging (log.c) ----------------------------- */

/* Reply with a negative errno (or 0 for success without data). */
void xfbfs_reply_err(fuse_req_t req, int error);
/* Log (log.c): see its header for where lines go. */
void xfbfs_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* -o log=FILE: append every line to @path from now on.  0 or -errno. */
int xfbfs_log_open(const char *path);
/* After mounting, before daemonizing: the background's destination. */
void xfbfs_log_route(bool foreground);
void xfbfs_log_close(void);
/* The library's log hook (xbt_set_log_fn()). */
void xfbfs_engine_log(const char *msg);

#endif /* FUSEFS_XFBFS_H */
