// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops.c: the namespace side of the FUSE low-level ops: lookup, attributes,
 * directories, and every operation the mount refuses.
 *
 * The namespace is fixed but for two places: the root, whose entries are
 * the btrees (mkdir, rmdir, rename), and each pages/ directory, whose
 * entries are the allocated blocks.  Everything else answers with the
 * errno SPEC.md gives: EPERM for creating, linking, renaming or removing
 * inside a btree directory and for chmod/chown, ENOTSUP for extended
 * attributes.  Timestamps, size truncation of text files and `touch`
 * succeed and change nothing.
 *
 * Each handler decodes the request, calls an xfbfs_do_*() helper that
 * returns 0 or -errno, and replies once.  Tree locks are taken inside the
 * helpers and dropped before the reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fusefs/xfbfs.h"
#include "xfile/xfile.h"

/* Attribute and entry cache times: attributes change behind the kernel. */
#define XFBFS_ATTR_TIMEOUT	0.0
#define XFBFS_ENTRY_TIMEOUT	1.0

const struct xfbfs_file_info xfbfs_files[XFBFS_F_NR] = {
	[XFBFS_F_DIR]		= { NULL,	S_IFDIR | 0755 },
	[XFBFS_F_TYPE]		= { "type",	S_IFREG | 0644 },
	[XFBFS_F_INSERT]	= { "insert",	S_IFREG | 0200 },
	[XFBFS_F_DELETE]	= { "delete",	S_IFREG | 0200 },
	[XFBFS_F_LOOKUP]	= { "lookup",	S_IFREG | 0600 },
	[XFBFS_F_RECORDS]	= { "records",	S_IFREG | 0444 },
	[XFBFS_F_STATS]		= { "stats",	S_IFREG | 0444 },
	[XFBFS_F_CHECK]		= { "check",	S_IFREG | 0444 },
	[XFBFS_F_ERRORS]	= { "errors",	S_IFREG | 0444 },
	[XFBFS_F_TREEDOT]	= { "tree.dot",	S_IFREG | 0444 },
	[XFBFS_F_PAGES]		= { "pages",	S_IFDIR | 0555 },
	[XFBFS_F_LOAD]		= { "load",	S_IFREG | 0200 },
	[XFBFS_F_DATA]		= { "data",	S_IFREG | 0644 },
	[XFBFS_F_TREEHTML]	= { "tree.html", S_IFREG | 0444 },
};

static void
xfbfs_stat_common(struct stat *st, fuse_ino_t ino, mode_t mode)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_uid = xfbfs.uid;
	st->st_gid = xfbfs.gid;
	st->st_blksize = 4096;
	st->st_atim = xfbfs.mount_time;
	st->st_mtim = xfbfs.mount_time;
	st->st_ctim = xfbfs.mount_time;
}

/*
 * Attributes of any inode.  0, or -ENOENT for an inode that does not (or
 * no longer) exist.
 */
static int
xfbfs_do_stat(fuse_ino_t ino, struct stat *st)
{
	struct xfbfs_tree	*tree;
	uint64_t		sub = xfbfs_ino_sub(ino);
	enum xfbfs_file		kind = xfbfs_sub_kind(sub);
	mode_t			mode;
	int			error = 0;

	if (ino == XFBFS_ROOT_INO) {
		xfbfs_stat_common(st, ino, S_IFDIR | 0755);
		st->st_nlink = 2 + xfbfs_tree_count();
		return 0;
	}
	if (kind >= XFBFS_F_NR && kind != XFBFS_F_PAGE)
		return -ENOENT;
	tree = xfbfs_tree_get(xfbfs_ino_id(ino));
	if (!tree)
		return -ENOENT;
	pthread_rwlock_rdlock(&tree->lock);
	if (tree->dead) {
		error = -ENOENT;
		goto out_unlock;
	}
	if (kind == XFBFS_F_PAGE) {
		if (!xbtree_block_is_allocated(tree->bt,
					       sub - XFBFS_PAGE_BASE)) {
			error = -ENOENT;
			goto out_unlock;
		}
		mode = S_IFREG | (xfbfs.opts.pages_writable ? 0644 : 0444);
	} else if (kind == XFBFS_F_DATA && tree->type != &xfbfs_type_kv) {
		error = -ENOENT;	/* kv btrees only */
		goto out_unlock;
	} else {
		mode = xfbfs_files[kind].mode;
	}
	xfbfs_stat_common(st, ino, mode);
	st->st_mtim = tree->mtime;
	st->st_ctim = tree->mtime;
	if (kind == XFBFS_F_DIR)
		st->st_nlink = 3;	/* ., .. in the root, pages/.. */
	if (kind == XFBFS_F_PAGE) {
		st->st_size = xbtree_blocksize(tree->bt);
		st->st_blocks = st->st_size / 512;
	}
	if (kind == XFBFS_F_DATA) {
		uint64_t	size = 0;

		error = xfbfs_data_size(tree->bt, &size);
		st->st_size = size;
		/* Memory the values take: 8 bytes a record. */
		st->st_blocks = (xbtree_nrecords(tree->bt) * 8 + 511) / 512;
	}
out_unlock:
	pthread_rwlock_unlock(&tree->lock);
	/* tree.html has a true size: its page, made (without the lock). */
	if (!error && kind == XFBFS_F_TREEHTML)
		error = xfbfs_html_stat(tree, st);
	xfbfs_tree_put(tree);
	return error;
}

static int
xfbfs_do_lookup(fuse_ino_t parent, const char *name,
		struct fuse_entry_param *e)
{
	struct xfbfs_tree	*tree;
	uint64_t		sub = xfbfs_ino_sub(parent);
	fuse_ino_t		ino = 0;
	char			*end;
	unsigned long long	n;
	int			i;

	memset(e, 0, sizeof(*e));
	e->attr_timeout = XFBFS_ATTR_TIMEOUT;
	e->entry_timeout = XFBFS_ENTRY_TIMEOUT;
	/* The kernel passes FUSE up to 1024 bytes; statfs says 255. */
	if (strlen(name) > XFBFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (parent == XFBFS_ROOT_INO) {
		tree = xfbfs_tree_get_name(name);
		if (!tree)
			return -ENOENT;
		ino = xfbfs_ino(tree->id, XFBFS_F_DIR);
		xfbfs_tree_put(tree);
	} else if (sub == XFBFS_F_DIR) {
		for (i = XFBFS_F_DIR + 1; i < XFBFS_F_NR; i++)
			if (!strcmp(name, xfbfs_files[i].name))
				ino = parent | i;
		if (!ino)
			return -ENOENT;
	} else if (sub == XFBFS_F_PAGES) {
		/* Canonical decimal block numbers only. */
		if (name[0] < '0' || name[0] > '9' ||
		    (name[0] == '0' && name[1]))
			return -ENOENT;
		n = strtoull(name, &end, 10);
		if (*end || n >= (1ULL << XFBFS_ID_SHIFT) - XFBFS_PAGE_BASE)
			return -ENOENT;
		ino = (parent & ~XFBFS_SUB_MASK) | (XFBFS_PAGE_BASE + n);
		e->entry_timeout = 0;	/* blocks come and go */
	} else {
		return -ENOTDIR;
	}
	e->ino = ino;
	return xfbfs_do_stat(ino, &e->attr);
}

static void
xfbfs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param	e;
	int			error;

	error = xfbfs_do_lookup(parent, name, &e);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_entry(req, &e);
}

static void
xfbfs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat	st;
	int		error;

	(void)fi;
	error = xfbfs_do_stat(ino, &st);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_attr(req, &st, XFBFS_ATTR_TIMEOUT);
}

/* Truncate the `data` file @ino to @size; *@st gets its new attributes. */
static int
xfbfs_data_truncate_ino(fuse_ino_t ino, off_t size, struct stat *st)
{
	struct xfbfs_tree	*tree;
	int			error;

	if (size < 0)
		return -EINVAL;
	tree = xfbfs_tree_get(xfbfs_ino_id(ino));
	if (!tree)
		return -ENOENT;
	error = xfbfs_data_truncate(tree, size);
	xfbfs_tree_put(tree);
	if (error)
		return error;
	return xfbfs_do_stat(ino, st);
}

/*
 * chmod and chown: EPERM.  Truncating a text file, and setting times,
 * succeed and change nothing (as on sysfs).  Truncating a directory is
 * EISDIR, a page EPERM; truncating `data` is real.
 */
static int
xfbfs_do_setattr(fuse_ino_t ino, struct stat *attr, int to_set,
		struct stat *st)
{
	enum xfbfs_file	kind = xfbfs_sub_kind(xfbfs_ino_sub(ino));
	int		error;

	error = xfbfs_do_stat(ino, st);
	if (error)
		return error;
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
		      FUSE_SET_ATTR_GID))
		return -EPERM;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (S_ISDIR(st->st_mode))
			return -EISDIR;
		if (kind == XFBFS_F_PAGE)
			return -EPERM;
		if (kind == XFBFS_F_DATA)
			return xfbfs_data_truncate_ino(ino, attr->st_size, st);
	}
	return 0;
}

static void
xfbfs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		int to_set, struct fuse_file_info *fi)
{
	struct stat	st;
	int		error;

	(void)fi;
	error = xfbfs_do_setattr(ino, attr, to_set, &st);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_attr(req, &st, XFBFS_ATTR_TIMEOUT);
}

/* access(2): the same rule as open, root included. */
static void
xfbfs_ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct stat	st;
	int		error;

	error = xfbfs_do_stat(ino, &st);
	if (!error && (((mask & R_OK) && !(st.st_mode & S_IRUSR)) ||
		       ((mask & W_OK) && !(st.st_mode & S_IWUSR)) ||
		       ((mask & X_OK) && !(st.st_mode & S_IXUSR))))
		error = -EACCES;
	xfbfs_reply_err(req, error);
}

/* ---- directories ----------------------------------------------------- */

/* An open directory: the root lists a snapshot taken at opendir. */
struct xfbfs_dir {
	struct xfbfs_open	link;		/* first: xfbfs_dirs */
	struct xfbfs_dirent	*list;
	size_t			n;
};

/* Every open directory (see struct xfbfs_open). */
static struct xfbfs_open_list	xfbfs_dirs = XFBFS_OPEN_LIST_INIT;

static void
xfbfs_dir_free(struct xfbfs_dir *d)
{
	xfbfs_open_del(&xfbfs_dirs, &d->link);
	xfbfs_tree_list_free(d->list, d->n);
	free(d);
}

void
xfbfs_dirs_destroy(void)
{
	struct xfbfs_open	*o;

	while ((o = xfbfs_open_first(&xfbfs_dirs)))
		xfbfs_dir_free((struct xfbfs_dir *)o);
}

static void
xfbfs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct xfbfs_dir	*d;
	struct stat		st;
	int			error;

	error = xfbfs_do_stat(ino, &st);
	if (!error && !S_ISDIR(st.st_mode))
		error = -ENOTDIR;
	if (error) {
		xfbfs_reply_err(req, error);
		return;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		xfbfs_reply_err(req, -ENOMEM);
		return;
	}
	if (ino == XFBFS_ROOT_INO) {
		error = xfbfs_tree_list(&d->list, &d->n);
		if (error) {
			free(d);
			xfbfs_reply_err(req, error);
			return;
		}
	}
	xfbfs_open_add(&xfbfs_dirs, &d->link);
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) == -ENOENT)
		xfbfs_dir_free(d);	/* interrupted: no releasedir comes */
}

static void
xfbfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi)
{
	struct xfbfs_dir	*d = (struct xfbfs_dir *)(uintptr_t)fi->fh;

	(void)ino;
	if (d)
		xfbfs_dir_free(d);
	xfbfs_reply_err(req, 0);
}

/*
 * Add one entry to a readdir reply; false when the buffer is full.
 * @next is the offset of the entry after this one.
 */
static bool
xfbfs_dir_add(fuse_req_t req, char *buf, size_t size, size_t *pos,
		const char *name, fuse_ino_t ino, mode_t mode, off_t next)
{
	struct stat	st = { .st_ino = ino, .st_mode = mode };
	size_t		len;

	len = fuse_add_direntry(req, buf + *pos, size - *pos, name, &st, next);
	if (len > size - *pos)
		return false;
	*pos += len;
	return true;
}

/*
 * Offsets: 1 and 2 follow "." and ".."; after that, the root uses 3 + the
 * index in its snapshot, a btree directory 3 + its file number, and pages/
 * 3 + the next block number, so that blocks freed or allocated during a
 * listing never make it skip or repeat another block.
 */
static int
xfbfs_do_readdir(fuse_req_t req, fuse_ino_t ino, char *buf, size_t size,
		off_t off, struct xfbfs_dir *d, size_t *pos)
{
	uint64_t		sub = xfbfs_ino_sub(ino);
	fuse_ino_t		base = ino & ~XFBFS_SUB_MASK;
	fuse_ino_t		parent;
	struct xfbfs_tree	*tree;
	char			name[24];
	uint64_t		bno;
	size_t			i;
	bool			kv;
	int			error = 0;

	parent = ino == XFBFS_ROOT_INO || sub == XFBFS_F_DIR ?
		 XFBFS_ROOT_INO : base;
	if (off < 1 && !xfbfs_dir_add(req, buf, size, pos, ".", ino,
				      S_IFDIR, 1))
		return 0;
	if (off < 2 && !xfbfs_dir_add(req, buf, size, pos, "..", parent,
				      S_IFDIR, 2))
		return 0;
	if (off < 2)
		off = 2;

	if (ino == XFBFS_ROOT_INO) {
		for (i = off - 2; i < d->n; i++)
			if (!xfbfs_dir_add(req, buf, size, pos, d->list[i].name,
					   xfbfs_ino(d->list[i].id, 0),
					   S_IFDIR, i + 3))
				break;
		return 0;
	}
	if (sub == XFBFS_F_DIR) {
		/* `data` is listed in kv btrees only. */
		tree = xfbfs_tree_get(xfbfs_ino_id(ino));
		kv = tree && xfbfs_tree_is_kv(tree);
		if (tree)
			xfbfs_tree_put(tree);
		for (i = off - 2 + 1; i < XFBFS_F_NR; i++)
			if (i == XFBFS_F_DATA && !kv)
				continue;
			else if (!xfbfs_dir_add(req, buf, size, pos,
					   xfbfs_files[i].name, base | i,
					   xfbfs_files[i].mode, i + 2))
				break;
		return 0;
	}

	/* pages/ */
	tree = xfbfs_tree_get(xfbfs_ino_id(ino));
	if (!tree)
		return -ENOENT;
	pthread_rwlock_rdlock(&tree->lock);
	if (tree->dead) {
		error = -ENOENT;
		goto out_unlock;
	}
	for (bno = off - 2; xbtree_next_block(tree->bt, bno, &bno); bno++) {
		snprintf(name, sizeof(name), "%llu", (unsigned long long)bno);
		if (!xfbfs_dir_add(req, buf, size, pos, name,
				   base | (XFBFS_PAGE_BASE + bno), S_IFREG,
				   bno + 3))
			break;
	}
out_unlock:
	pthread_rwlock_unlock(&tree->lock);
	xfbfs_tree_put(tree);
	return error;
}

static void
xfbfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct xfbfs_dir	*d = (struct xfbfs_dir *)(uintptr_t)fi->fh;
	size_t			pos = 0;
	char			*buf;
	int			error;

	if (size > 65536)
		size = 65536;
	buf = malloc(size);
	if (!buf) {
		xfbfs_reply_err(req, -ENOMEM);
		return;
	}
	error = xfbfs_do_readdir(req, ino, buf, size, off, d, &pos);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_buf(req, buf, pos);
	free(buf);
}

/* ---- changes to the namespace ------------------------------------------ */

static void
xfbfs_ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode)
{
	struct fuse_entry_param	e;
	struct xfbfs_tree	*tree;
	int			error;

	(void)mode;
	if (parent != XFBFS_ROOT_INO) {
		xfbfs_reply_err(req, -EPERM);
		return;
	}
	error = xfbfs_tree_create(name, &tree);
	if (!error) {
		error = xfbfs_do_lookup(parent, name, &e);
		xfbfs_tree_put(tree);
	}
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_entry(req, &e);
}

static void
xfbfs_ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int	error;

	if (parent == XFBFS_ROOT_INO)
		error = xfbfs_tree_remove(name);
	else if (xfbfs_ino_sub(parent) == XFBFS_F_DIR &&
		 !strcmp(name, "pages"))
		error = -EPERM;
	else
		error = -ENOTDIR;
	xfbfs_reply_err(req, error);
}

static void
xfbfs_ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	int	error;

	if (parent == XFBFS_ROOT_INO && newparent == XFBFS_ROOT_INO)
		error = xfbfs_tree_rename(name, newname, flags);
	else
		error = -EPERM;
	xfbfs_reply_err(req, error);
}

static void
xfbfs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param	e;
	int			error;

	error = xfbfs_do_lookup(parent, name, &e);
	if (!error && xfbfs_sub_kind(xfbfs_ino_sub(e.ino)) == XFBFS_F_DATA) {
		/* `rm data` deletes every record; the file stays. */
		struct stat	st;

		error = xfbfs_data_truncate_ino(e.ino, 0, &st);
	} else if (!error) {
		error = S_ISDIR(e.attr.st_mode) ? -EISDIR : -EPERM;
	}
	xfbfs_reply_err(req, error);
}

/* Nothing but btree directories can be made, anywhere. */
static void
xfbfs_ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	xfbfs_reply_err(req, -EPERM);
}

/*
 * Creating `data` in a kv btree opens it (it always exists: fio creates
 * the file it just unlinked); creating anything else is EPERM.
 */
static void
xfbfs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param	e;
	int			error;

	(void)mode;
	if (xfbfs_ino_sub(parent) != XFBFS_F_DIR || parent == XFBFS_ROOT_INO ||
	    strcmp(name, xfbfs_files[XFBFS_F_DATA].name)) {
		xfbfs_reply_err(req, -EPERM);
		return;
	}
	error = xfbfs_do_lookup(parent, name, &e);
	if (error == -ENOENT)
		error = -EPERM;		/* not a kv btree */
	if (!error && (fi->flags & O_EXCL))
		error = -EEXIST;
	if (!error)
		error = xfbfs_open_fi(e.ino, fi);
	if (!error)
		error = xfbfs_do_stat(e.ino, &e.attr);	/* after O_TRUNC */
	if (error)
		xfbfs_reply_err(req, error);
	else if (fuse_reply_create(req, &e, fi) == -ENOENT)
		xfbfs_release_fi(fi);
}

/* lseek: SEEK_DATA and SEEK_HOLE reach here (the kernel does the rest). */
static void
xfbfs_ll_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		struct fuse_file_info *fi)
{
	struct xfbfs_tree	*tree;
	struct stat		st;
	uint64_t		res = 0;
	int			error;

	(void)fi;
	if (off < 0 || (whence != SEEK_DATA && whence != SEEK_HOLE)) {
		xfbfs_reply_err(req, -EINVAL);
		return;
	}
	if (xfbfs_sub_kind(xfbfs_ino_sub(ino)) == XFBFS_F_DATA) {
		tree = xfbfs_tree_get(xfbfs_ino_id(ino));
		error = tree ? xfbfs_data_seek(tree, off, whence, &res) :
			       -ENOENT;
		if (tree)
			xfbfs_tree_put(tree);
	} else {
		/* Any other file is all data up to its size. */
		error = xfbfs_do_stat(ino, &st);
		if (!error && off >= st.st_size)
			error = -ENXIO;
		res = whence == SEEK_DATA ? (uint64_t)off : (uint64_t)st.st_size;
	}
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_lseek(req, res);
}

static void
xfbfs_ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		const char *name)
{
	(void)link, (void)parent, (void)name;
	xfbfs_reply_err(req, -EPERM);
}

static void
xfbfs_ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	xfbfs_reply_err(req, -EPERM);
}

/* ---- extended attributes: none ---------------------------------------- */

static void
xfbfs_ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		const char *value, size_t size, int flags)
{
	(void)ino, (void)name, (void)value, (void)size, (void)flags;
	xfbfs_reply_err(req, -ENOTSUP);
}

static void
xfbfs_ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		size_t size)
{
	(void)ino, (void)name, (void)size;
	xfbfs_reply_err(req, -ENOTSUP);
}

static void
xfbfs_ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino, (void)size;
	xfbfs_reply_err(req, -ENOTSUP);
}

static void
xfbfs_ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino, (void)name;
	xfbfs_reply_err(req, -ENOTSUP);
}

/* ---- statfs: memory against max_memory --------------------------------- */

static void
xfbfs_ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs	sv;
	uint64_t	bsize = sysconf(_SC_PAGESIZE);
	uint64_t	used = xfile_memory_used();
	uint64_t	cap = xfile_memory_cap();
	struct statvfs	tsv;

	(void)ino;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = bsize;
	sv.f_frsize = bsize;
	if (cap) {
		sv.f_blocks = cap / bsize;
		sv.f_bfree = cap > used ? (cap - used) / bsize : 0;
	} else if (xfbfs.opts.tmpdir && !statvfs(xfbfs.opts.tmpdir, &tsv)) {
		/* No cap: what the tmpdir file system can still hold. */
		sv.f_bfree = tsv.f_bavail * tsv.f_frsize / bsize;
		sv.f_blocks = sv.f_bfree + used / bsize;
	}
	sv.f_bavail = sv.f_bfree;
	sv.f_files = xfbfs_tree_count();
	sv.f_ffree = (1U << 23) - sv.f_files;
	sv.f_favail = sv.f_ffree;
	sv.f_namemax = XFBFS_NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

const struct fuse_lowlevel_ops xfbfs_ops = {
	.lookup		= xfbfs_ll_lookup,
	.getattr	= xfbfs_ll_getattr,
	.setattr	= xfbfs_ll_setattr,
	.access		= xfbfs_ll_access,
	.opendir	= xfbfs_ll_opendir,
	.readdir	= xfbfs_ll_readdir,
	.releasedir	= xfbfs_ll_releasedir,
	.mkdir		= xfbfs_ll_mkdir,
	.rmdir		= xfbfs_ll_rmdir,
	.rename		= xfbfs_ll_rename,
	.unlink		= xfbfs_ll_unlink,
	.mknod		= xfbfs_ll_mknod,
	.create		= xfbfs_ll_create,
	.symlink	= xfbfs_ll_symlink,
	.link		= xfbfs_ll_link,
	.setxattr	= xfbfs_ll_setxattr,
	.getxattr	= xfbfs_ll_getxattr,
	.listxattr	= xfbfs_ll_listxattr,
	.removexattr	= xfbfs_ll_removexattr,
	.statfs		= xfbfs_ll_statfs,
	.open		= xfbfs_open,
	.read		= xfbfs_read,
	.write		= xfbfs_write,
	.flush		= xfbfs_flush,
	.release	= xfbfs_release,
	.fsync		= xfbfs_fsync,
	.lseek		= xfbfs_ll_lseek,
};
