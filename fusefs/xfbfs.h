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
 *	ino = id << 40 | XFBFS_F_*       one of its files (type, insert, ...)
 *	ino = id << 40 | (16 + N)        pages/N
 *
 * so inode numbers live as long as the tree, and the kernel's lookup
 * counts need no bookkeeping: an inode of a removed tree simply fails
 * with ENOENT.
 *
 * Locks, in the order they nest:
 *	fs->names_lock    (rwlock) the name and id tables, tree->name
 *	tree->lock        (rwlock, writers preferred) tree->bt, tree->type,
 *	                  tree->dead and everything in the btree's blocks;
 *	                  writers: insert, delete, type, page writes;
 *	                  readers: records, lookup, stats, check, pages
 *	tree->err_lock    (mutex) the error ring
 *	xfbfs_html_lock   (mutex, html.c) every tree->html pointer; taken
 *	                  under tree->lock or alone
 *	h->lock           (mutex) one open file's buffers; taken before the
 *	                  tree lock, never while holding it
 * Nothing takes tree->lock while holding names_lock, so names_lock may be
 * read-locked under tree->lock (to copy a name for a message).
 * No lock is held while replying to the kernel.  tree->refs is atomic.
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
#include <stdint.h>
#include <time.h>

#include "btree/xbtree.h"
#include "fusefs/text.h"

#define XFBFS_ROOT_INO		1ULL
#define XFBFS_ID_SHIFT		40
#define XFBFS_SUB_MASK		((1ULL << XFBFS_ID_SHIFT) - 1)
#define XFBFS_PAGE_BASE		16ULL
#define XFBFS_NAME_MAX		255
#define XFBFS_ERRORS_MAX	64	/* entries kept in `errors` */
#define XFBFS_DATA_KEYS		(1ULL << 60)	/* kv keys `data` reaches */
#define XFBFS_DATA_MAX		(8 * XFBFS_DATA_KEYS)	/* largest data size */

/* The files of a btree directory (the low bits of their inode numbers). */
enum xfbfs_file {
	XFBFS_F_DIR = 0,
	XFBFS_F_TYPE,
	XFBFS_F_INSERT,
	XFBFS_F_DELETE,
	XFBFS_F_LOOKUP,
	XFBFS_F_RECORDS,
	XFBFS_F_STATS,
	XFBFS_F_CHECK,
	XFBFS_F_ERRORS,
	XFBFS_F_TREEDOT,
	XFBFS_F_PAGES,
	XFBFS_F_LOAD,
	XFBFS_F_DATA,		/* kv btrees only */
	XFBFS_F_TREEHTML,	/* html.c */
	XFBFS_F_NR,
	XFBFS_F_PAGE = 15,	/* any pages/N */
};

struct xfbfs_file_info {
	const char	*name;
	mode_t		mode;		/* S_IF* and permission bits */
};

extern const struct xfbfs_file_info xfbfs_files[XFBFS_F_NR];

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

struct xfbfs_error {
	struct timespec	when;
	char		text[320];
};

struct xfbfs_tree {
	uint32_t		id;		/* immutable */
	int			refs;		/* atomic */
	char			*name;		/* names_lock */

	pthread_rwlock_t	lock;
	struct xbtree		*bt;		/* lock */
	const struct xfbfs_type	*type;		/* lock; atomic for peeks */
	bool			dead;		/* lock */
	struct timespec		mtime;		/* lock */
	struct timespec		ctime;		/* immutable */
	uint64_t		nr_failed;	/* atomic */

	/* bulk loads (load.c), atomic */
	uint64_t		nr_loads;	/* committed */
	uint64_t		load_staged;	/* records on open load files */
	uint64_t		load_sorted;	/* of the load being committed */
	uint64_t		load_built;

	struct xfbfs_html	*html;		/* tree.html: html.c's lock */

	pthread_mutex_t		err_lock;
	struct xfbfs_error	errors[XFBFS_ERRORS_MAX];	/* err_lock */
	unsigned int		err_next;	/* err_lock */
	unsigned int		err_count;	/* err_lock */
};

struct xfbfs {
	struct xfbfs_opts	opts;
	struct fuse_session	*se;
	uid_t			uid;
	gid_t			gid;
	struct timespec		mount_time;
	pthread_rwlock_t	names_lock;
	void			*by_name;	/* GHashTable: name -> tree */
	void			*by_id;		/* GHashTable: id -> tree */
	uint32_t		next_id;	/* names_lock */
};

extern struct xfbfs xfbfs;

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

/* The file kind of a sub number: XFBFS_F_* or XFBFS_F_PAGE. */
static inline enum xfbfs_file
xfbfs_sub_kind(uint64_t sub)
{
	return sub >= XFBFS_PAGE_BASE ? XFBFS_F_PAGE : (enum xfbfs_file)sub;
}

/* ---- trees (tree.c) ----------------------------------------------------- */

int xfbfs_trees_init(void);
void xfbfs_trees_destroy(void);
/* Find a tree by id / name and take a reference; NULL if none. */
struct xfbfs_tree *xfbfs_tree_get(uint32_t id);
struct xfbfs_tree *xfbfs_tree_get_name(const char *name);
void xfbfs_tree_put(struct xfbfs_tree *tree);
/* mkdir / rmdir / rename in the root; 0 or -errno. */
int xfbfs_tree_create(const char *name, struct xfbfs_tree **treep);
int xfbfs_tree_remove(const char *name);
int xfbfs_tree_rename(const char *old, const char *new, unsigned int flags);
/* A snapshot of the names and ids, for readdir of the root. */
struct xfbfs_dirent {
	char		*name;
	uint32_t	id;
};
int xfbfs_tree_list(struct xfbfs_dirent **list, size_t *n);
void xfbfs_tree_list_free(struct xfbfs_dirent *list, size_t n);
size_t xfbfs_tree_count(void);
/* Is @name an acceptable btree name?  0, -EINVAL or -ENAMETOOLONG. */
int xfbfs_check_name(const char *name);
/* Change the type of an empty tree (tree->lock held for writing). */
int xfbfs_tree_set_type(struct xfbfs_tree *tree,
		const struct xfbfs_type *type);
/* Parameters for a new btree of @tree; @uuid NULL: a new UUID. */
void xfbfs_tree_params(struct xfbfs_tree *tree, const uint8_t *uuid,
		struct xbtree_params *p);
/* Record an error in the tree's ring and the log. */
void xfbfs_tree_error(struct xfbfs_tree *tree, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Has the tree been removed?  (A peek without tree->lock.) */
static inline bool
xfbfs_tree_is_dead(struct xfbfs_tree *tree)
{
	return __atomic_load_n(&tree->dead, __ATOMIC_ACQUIRE);
}
/* Bump mtime after a change (tree->lock held for writing). */
void xfbfs_tree_touch(struct xfbfs_tree *tree);

/* ---- what clients hold open ------------------------------------------- */

/*
 * Open files and directories sit on a list (the link is the first member
 * of their structure), so that those still open when the session ends
 * (the daemon stopped by a signal while clients hold them) are freed.
 */
struct xfbfs_open {
	struct xfbfs_open	*prev, *next;
};

struct xfbfs_open_list {
	pthread_mutex_t		lock;
	struct xfbfs_open	*head;
};

#define XFBFS_OPEN_LIST_INIT	{ PTHREAD_MUTEX_INITIALIZER, NULL }

static inline void
xfbfs_open_add(struct xfbfs_open_list *l, struct xfbfs_open *o)
{
	pthread_mutex_lock(&l->lock);
	o->prev = NULL;
	o->next = l->head;
	if (o->next)
		o->next->prev = o;
	l->head = o;
	pthread_mutex_unlock(&l->lock);
}

static inline void
xfbfs_open_del(struct xfbfs_open_list *l, struct xfbfs_open *o)
{
	pthread_mutex_lock(&l->lock);
	if (o->prev)
		o->prev->next = o->next;
	else
		l->head = o->next;
	if (o->next)
		o->next->prev = o->prev;
	pthread_mutex_unlock(&l->lock);
}

/* The newest entry still open, or NULL (for teardown, single-threaded). */
static inline struct xfbfs_open *
xfbfs_open_first(struct xfbfs_open_list *l)
{
	return l->head;
}

/* ---- open files (file.c) ------------------------------------------------ */

void xfbfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/* Open @ino into @fi (fh, direct_io), for open and create.  0 or -errno. */
int xfbfs_open_fi(fuse_ino_t ino, struct fuse_file_info *fi);
/* Undo xfbfs_open_fi() when the reply could not be sent. */
void xfbfs_release_fi(struct fuse_file_info *fi);
/* Free the files (directories) still open when the session has ended. */
void xfbfs_files_destroy(void);
void xfbfs_dirs_destroy(void);
void xfbfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void xfbfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		size_t size, off_t off, struct fuse_file_info *fi);
void xfbfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void xfbfs_release(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi);
void xfbfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		struct fuse_file_info *fi);

/* ---- the data file of kv btrees (data.c) -------------------------------- */

/*
 * Size of the data view: the larger of 8 x (highest key + 1), counting
 * keys below XFBFS_DATA_KEYS, and the size kept in the header block;
 * at most 2^63 - 1, the largest off_t.
 * Caller holds tree->lock.
 */
int xfbfs_data_size(struct xbtree *bt, uint64_t *sizep);
/* Each takes tree->lock itself.  0 or -errno. */
int xfbfs_data_read(struct xfbfs_tree *tree, char *buf, size_t *sizep,
		uint64_t off);
int xfbfs_data_write(struct xfbfs_tree *tree, const char *buf, size_t size,
		uint64_t off);
int xfbfs_data_truncate(struct xfbfs_tree *tree, uint64_t size);
/* lseek SEEK_DATA / SEEK_HOLE from @off: *@res, or -ENXIO. */
int xfbfs_data_seek(struct xfbfs_tree *tree, uint64_t off, int whence,
		uint64_t *res);
/* Is the tree's type kv (a peek without tree->lock)? */
bool xfbfs_tree_is_kv(struct xfbfs_tree *tree);

/*
 * Replace @tree's btree by @bt (tree->lock held for writing): the old one
 * comes back in *@oldp, for the caller to destroy after unlocking.
 */
void xfbfs_tree_swap(struct xfbfs_tree *tree, struct xbtree *bt,
		struct xbtree **oldp);

/* ---- tree.html (html.c) ---------------------------------------------- */

/*
 * One rendering of a btree's page, made for one xbtree_version() and
 * immutable; reference counted.
 */
struct xfbfs_html;
/*
 * The current rendering of @tree (made now if the btree changed since),
 * with a reference for the caller.  Takes tree->lock.  0 or -errno.
 */
int xfbfs_html_get(struct xfbfs_tree *tree, struct xfbfs_html **rp);
void xfbfs_html_put(struct xfbfs_html *r);
/* Forget @tree's rendering: the btree changed or is gone. */
void xfbfs_html_drop(struct xfbfs_tree *tree);
/* st_size and st_blocks of tree.html: the current rendering's. */
int xfbfs_html_stat(struct xfbfs_tree *tree, struct stat *st);
/* A read of an open tree.html: bytes of @r at @off, up to *@sizep. */
int xfbfs_html_read(struct xfbfs_tree *tree, const struct xfbfs_html *r,
		const char **datap, size_t *sizep, off_t off);

/* ---- bulk load (load.c) ------------------------------------------------- */

/*
 * The staging of one open `load` file.  Writes stage records and mark it
 * changed; a FLUSH (or fsync) after changes sorts everything staged so
 * far, builds a btree from it and puts that in place of the tree's.  A
 * write that fails (bad line, ENOSPC) poisons it: the next FLUSH fails
 * with that error.  Any failed FLUSH drops everything staged, so the
 * open file starts a new load.
 */
struct xfbfs_load;

/* Get the staging of an open file, creating it; marks it changed. */
int xfbfs_load_begin(struct xfbfs_tree *tree, struct xfbfs_load **lp,
		const struct xfbfs_type *type);
/* Stage one record parsed for the staging's type.  0 or -errno. */
int xfbfs_load_add(struct xfbfs_tree *tree, struct xfbfs_load *l,
		const void *rec);
/* A write failed with @error: the next FLUSH fails with it. */
void xfbfs_load_poison(struct xfbfs_load *l, int error);
/* The type the staged records are of (the tree's when staging began). */
const struct xfbfs_type *xfbfs_load_type(const struct xfbfs_load *l);
/* FLUSH / fsync: commit if changed.  0 or -errno (reason in errors). */
int xfbfs_load_flush(struct xfbfs_tree *tree, struct xfbfs_load *l);
void xfbfs_load_free(struct xfbfs_tree *tree, struct xfbfs_load *l);

/* ---- replies and logging (main.c) --------------------------------------- */

/* Reply with a negative errno (or 0 for success without data). */
void xfbfs_reply_err(fuse_req_t req, int error);
void xfbfs_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The lowlevel ops table (ops.c). */
extern const struct fuse_lowlevel_ops xfbfs_ops;

#endif /* FUSEFS_XFBFS_H */
