// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops.c: the FUSE low-level ops table, and the namespace: lookup,
 * attributes, access, changes to the namespace, extended attributes and
 * statfs.  Directories are in dir.c, open files in handle.c.
 *
 * The namespace is fixed but for two places: the root, whose entries are
 * the btrees (mkdir, rmdir, rename: tree.c), and each pages/ directory,
 * whose entries are the allocated blocks.  Everything about a file comes
 * from its kind (xfbfs_ino_kind(), kinds.c): its mode, its size rule and
 * whether it is there (getattr), a directory's entries (lookup), and what
 * truncate, unlink and create do; an op the kind lacks gives the errno
 * documented in xfbfs.h: EPERM for creating, linking, renaming or
 * removing inside a btree directory, EISDIR or ENOTDIR where the kernel's
 * idea of the file is wrong.  chmod and chown are EPERM, extended
 * attributes ENOTSUP; timestamps, and truncating a text file, succeed and
 * change nothing.
 *
 * Each handler (xfbfs_ll_*) decodes the request, calls an xfbfs_do_*()
 * that returns 0 or -errno, and replies once.  Tree locks are taken
 * inside the do functions and dropped before the reply.
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

static void
xfbfs_stat_init(struct xfbfs *fs, struct stat *st, fuse_ino_t ino,
		mode_t mode)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	st->st_atim = fs->mount_time;
	st->st_mtim = fs->mount_time;
	st->st_ctim = fs->mount_time;
}

int
xfbfs_do_getattr(struct xfbfs *fs, fuse_ino_t ino, struct stat *st)
{
	const struct xfbfs_file_ops	*kind = xfbfs_ino_kind(ino);
	struct xfbfs_tree		*tree;
	int				error;

	if (ino == XFBFS_ROOT_INO) {
		xfbfs_stat_init(fs, st, ino, S_IFDIR | 0755);
		st->st_nlink = 2 + xfbfs_tree_count(fs);
		return 0;
	}
	if (xfbfs_fault_ino(ino)) {
		xfbfs_stat_init(fs, st, ino, S_IFREG | 0600);
		xfbfs_fault_stat(st);
		return 0;
	}
	if (!kind)
		return -ENOENT;		/* @ino names no file */
	error = xfbfs_tree_get_locked(fs, ino, false, &tree);
	if (error)
		return error;
	xfbfs_stat_init(fs, st, ino, kind->mode);
	st->st_mtim = tree->mtime;
	st->st_ctim = tree->mtime;
	if (kind->getattr)
		error = kind->getattr(tree, xfbfs_ino_sub(ino), st);
	xfbfs_tree_unlock_put(tree);
	return error;
}

/* The entry @name of directory @parent, with its attributes. */
static int
xfbfs_do_lookup(struct xfbfs *fs, fuse_ino_t parent, const char *name,
		struct fuse_entry_param *e)
{
	const struct xfbfs_file_ops	*kind = xfbfs_ino_kind(parent);
	struct xfbfs_tree		*tree;
	uint64_t			sub;
	int				error;

	memset(e, 0, sizeof(*e));
	e->attr_timeout = XFBFS_ATTR_TIMEOUT;
	e->entry_timeout = XFBFS_ENTRY_TIMEOUT;
	/* The kernel passes FUSE up to 1024 bytes; statfs says 255. */
	if (strlen(name) > XFBFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (parent == XFBFS_ROOT_INO && xfbfs_fault_ino(XFBFS_FAULT_INO) &&
	    !strcmp(name, XFBFS_FAULT_NAME)) {
		e->ino = XFBFS_FAULT_INO;
		e->entry_timeout = 0;
	} else if (parent == XFBFS_ROOT_INO) {
		tree = xfbfs_tree_get_name(fs, name);
		if (!tree)
			return -ENOENT;
		e->ino = xfbfs_ino(tree->id, XFBFS_SUB_DIR);
		xfbfs_tree_put(tree);
	} else {
		if (!kind || !kind->lookup)
			return -ENOTDIR;
		error = kind->lookup(name, &sub);
		if (error)
			return error;
		e->ino = xfbfs_ino(xfbfs_ino_id(parent), sub);
		if (xfbfs_ino_kind(e->ino)->flags & XFBFS_KIND_UNCACHED)
			e->entry_timeout = 0;
	}
	return xfbfs_do_getattr(fs, e->ino, &e->attr);
}

/* The reply to a request that names an entry: *@e, or @error. */
static void
xfbfs_reply_entry(fuse_req_t req, int error, const struct fuse_entry_param *e)
{
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_entry(req, e);
}

/* The reply to a request for attributes: *@st, or @error. */
static void
xfbfs_reply_attr(fuse_req_t req, int error, const struct stat *st)
{
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_attr(req, st, XFBFS_ATTR_TIMEOUT);
}

static void
xfbfs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param	e;

	xfbfs_reply_entry(req, xfbfs_do_lookup(xfbfs_of(req), parent, name,
						&e), &e);
}

static void
xfbfs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat	st;

	(void)fi;
	xfbfs_reply_attr(req, xfbfs_do_getattr(xfbfs_of(req), ino, &st), &st);
}

/* Truncate @ino to @size with its kind's op; *@st: the new attributes. */
static int
xfbfs_do_truncate(struct xfbfs *fs, fuse_ino_t ino, off_t size, pid_t pid,
		struct stat *st)
{
	const struct xfbfs_file_ops	*kind = xfbfs_ino_kind(ino);
	struct xfbfs_tree		*tree;
	int				error;

	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (xfbfs_fault_ino(ino))
		return 0;	/* no size: an O_TRUNC open before a write */
	if (!kind || !kind->truncate)
		return -EPERM;
	if (size < 0)
		return -EINVAL;
	tree = xfbfs_tree_get(fs, xfbfs_ino_id(ino));
	if (!tree)
		return -ENOENT;
	error = kind->truncate(tree, size, pid);
	xfbfs_tree_put(tree);
	if (error)
		return error;
	return xfbfs_do_getattr(fs, ino, st);
}

/*
 * chmod and chown: EPERM.  Times: succeed and change nothing, as on
 * sysfs.  Size: the kind's truncate op (EISDIR for directories).
 */
static int
xfbfs_do_setattr(struct xfbfs *fs, fuse_ino_t ino, struct stat *attr,
		int to_set, pid_t pid, struct stat *st)
{
	int	error;

	error = xfbfs_do_getattr(fs, ino, st);
	if (error)
		return error;
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
		      FUSE_SET_ATTR_GID))
		return -EPERM;
	if (to_set & FUSE_SET_ATTR_SIZE)
		return xfbfs_do_truncate(fs, ino, attr->st_size, pid, st);
	return 0;
}

static void
xfbfs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		int to_set, struct fuse_file_info *fi)
{
	struct stat	st;

	(void)fi;
	xfbfs_reply_attr(req, xfbfs_do_setattr(xfbfs_of(req), ino, attr, to_set,
					       fuse_req_ctx(req)->pid, &st),
			 &st);
}

/* access(2): the same rule as open, root included. */
static int
xfbfs_do_access(struct xfbfs *fs, fuse_ino_t ino, int mask)
{
	struct stat	st;
	int		error;

	error = xfbfs_do_getattr(fs, ino, &st);
	if (error)
		return error;
	if (((mask & R_OK) && !(st.st_mode & S_IRUSR)) ||
	    ((mask & W_OK) && !(st.st_mode & S_IWUSR)) ||
	    ((mask & X_OK) && !(st.st_mode & S_IXUSR)))
		return -EACCES;
	return 0;
}

static void
xfbfs_ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	xfbfs_reply_err(req, xfbfs_do_access(xfbfs_of(req), ino, mask));
}

/* ---- changes to the namespace ------------------------------------------ */

/* mkdir: a new btree, in the root only. */
static int
xfbfs_do_mkdir(struct xfbfs *fs, fuse_ino_t parent, const char *name,
		struct fuse_entry_param *e)
{
	struct xfbfs_tree	*tree;
	int			error;

	if (parent != XFBFS_ROOT_INO)
		return -EPERM;
	if (xfbfs_fault_ino(XFBFS_FAULT_INO) && !strcmp(name, XFBFS_FAULT_NAME))
		return -EEXIST;
	error = xfbfs_tree_create(fs, name, &tree);
	if (error)
		return error;
	error = xfbfs_do_lookup(fs, parent, name, e);
	xfbfs_tree_put(tree);
	return error;
}

static void
xfbfs_ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode)
{
	struct fuse_entry_param	e;

	(void)mode;
	xfbfs_reply_entry(req, xfbfs_do_mkdir(xfbfs_of(req), parent, name, &e),
			  &e);
}

/*
 * rmdir: a btree, in the root.  Elsewhere the only directories are
 * pages/, which stays (EPERM); any other name is not a directory.
 */
static int
xfbfs_do_rmdir(struct xfbfs *fs, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param	e;

	if (parent == XFBFS_ROOT_INO)
		return xfbfs_tree_remove(fs, name);
	if (xfbfs_do_lookup(fs, parent, name, &e) == 0 &&
	    S_ISDIR(e.attr.st_mode))
		return -EPERM;
	return -ENOTDIR;
}

static void
xfbfs_ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	xfbfs_reply_err(req, xfbfs_do_rmdir(xfbfs_of(req), parent, name));
}

static void
xfbfs_ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	int	error = -EPERM;

	if (parent == XFBFS_ROOT_INO && newparent == XFBFS_ROOT_INO)
		error = xfbfs_tree_rename(xfbfs_of(req), name, newname, flags);
	xfbfs_reply_err(req, error);
}

/* unlink: the kind's op (data: every record goes, the file stays). */
static int
xfbfs_do_unlink(struct xfbfs *fs, fuse_ino_t parent, const char *name,
		pid_t pid)
{
	const struct xfbfs_file_ops	*kind;
	struct fuse_entry_param		e;
	struct xfbfs_tree		*tree;
	int				error;

	error = xfbfs_do_lookup(fs, parent, name, &e);
	if (error)
		return error;
	kind = xfbfs_ino_kind(e.ino);
	if (!kind || !kind->unlink)
		return S_ISDIR(e.attr.st_mode) ? -EISDIR : -EPERM;
	tree = xfbfs_tree_get(fs, xfbfs_ino_id(e.ino));
	if (!tree)
		return -ENOENT;
	error = kind->unlink(tree, pid);
	xfbfs_tree_put(tree);
	return error;
}

static void
xfbfs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	xfbfs_reply_err(req, xfbfs_do_unlink(xfbfs_of(req), parent, name,
					     fuse_req_ctx(req)->pid));
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
 * create: a creatable kind (data: it always exists, and fio creates the
 * file it has just unlinked) is opened; creating anything else, or a
 * creatable file that is not there (data outside kv btrees), is EPERM.
 */
static int
xfbfs_do_create(struct xfbfs *fs, fuse_ino_t parent, const char *name,
		pid_t pid, struct fuse_entry_param *e,
		struct fuse_file_info *fi)
{
	int	error;

	if (xfbfs_do_lookup(fs, parent, name, e) ||
	    !(xfbfs_ino_kind(e->ino)->flags & XFBFS_KIND_CREATABLE))
		return -EPERM;
	if (fi->flags & O_EXCL)
		return -EEXIST;
	error = xfbfs_do_open(fs, e->ino, pid, fi);
	if (error)
		return error;
	/* The attributes after O_TRUNC. */
	error = xfbfs_do_getattr(fs, e->ino, &e->attr);
	if (error)
		xfbfs_do_release(fi);
	return error;
}

static void
xfbfs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param	e;
	int			error;

	(void)mode;
	error = xfbfs_do_create(xfbfs_of(req), parent, name,
				fuse_req_ctx(req)->pid, &e, fi);
	if (error)
		xfbfs_reply_err(req, error);
	else if (fuse_reply_create(req, &e, fi) == -ENOENT)
		xfbfs_do_release(fi);	/* interrupted: no release comes */
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

/* ---- statfs: memory against max_memory, btrees as inodes --------------- */

static void
xfbfs_ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct xfbfs	*fs = xfbfs_of(req);
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
	} else if (fs->opts.tmpdir && !statvfs(fs->opts.tmpdir, &tsv)) {
		/* No cap: what the tmpdir file system can still hold. */
		sv.f_bfree = tsv.f_bavail * tsv.f_frsize / bsize;
		sv.f_blocks = sv.f_bfree + used / bsize;
	}
	sv.f_bavail = sv.f_bfree;
	/*
	 * Inodes are btrees: df -i's used count (files - ffree) is the
	 * number of btrees, the free count the btrees still possible.
	 */
	sv.f_ffree = xfbfs_tree_ids_left(fs);
	sv.f_files = xfbfs_tree_count(fs) + sv.f_ffree;
	sv.f_favail = sv.f_ffree;
	sv.f_namemax = XFBFS_NAME_MAX;
	fuse_reply_statfs(req, &sv);
}

const struct fuse_lowlevel_ops xfbfs_ll_ops = {
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
	.open		= xfbfs_ll_open,
	.read		= xfbfs_ll_read,
	.write		= xfbfs_ll_write,
	.flush		= xfbfs_ll_flush,
	.release	= xfbfs_ll_release,
	.fsync		= xfbfs_ll_fsync,
	.lseek		= xfbfs_ll_lseek,
};
