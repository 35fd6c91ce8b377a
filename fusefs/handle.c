// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handle.c: open files: the FUSE handlers open, read, write, flush,
 * release, fsync and lseek, which hand each request to the kind's op.
 *
 * An open file is a handle (struct xfbfs_handle, xfbfs.h) at the start of
 * its kind's own struct, handle_size bytes, zeroed at open; fi->fh points
 * at it.  The handle holds a reference on its tree, so the tree's struct
 * outlives it; once the btree is removed its requests fail with ENOENT.
 * Every handle sits on the mount's list of open files until release, so
 * that those the kernel never releases (the daemon stopped while files
 * are open) are freed at exit.
 *
 * Every request on an open file runs under h->lock, one at a time: the
 * kind's state needs no lock of its own, and a read replies from memory
 * the handle owns before the lock is dropped.  The kernel copies a reply
 * before fuse_reply_buf() returns, and no tree lock is held then.  The
 * handle notes whose request it serves (h->pid), so that what fails,
 * at close too, is recorded in errors as that process's.  A read that
 * meets a damaged block is recorded once per open file.
 *
 * Opening checks the mode bits for everyone, root included (EACCES), and
 * marks every file direct_io: the content is made by the daemon and may
 * change under the kernel, so it is never cached (and `data` cannot be
 * memory-mapped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

static inline struct xfbfs_handle *
xfbfs_fh(struct fuse_file_info *fi)
{
	return (struct xfbfs_handle *)(uintptr_t)fi->fh;
}

/* The last of a handle: its kind's state, its tree reference, itself. */
static void
xfbfs_handle_free(struct xfbfs_handle *h)
{
	xfbfs_open_del(&h->tree->fs->files, &h->link);
	if (h->ops->release)
		h->ops->release(h);
	xfbfs_tree_put(h->tree);
	xfbfs_mutex_destroy(&h->lock);
	xmem_free(h);
}

/*
 * The mode @kind has in @tree, with tree->lock for reading: 0, or -ENOENT
 * if the file is not there.
 */
static int
xfbfs_kind_mode(const struct xfbfs_file_ops *kind, struct xfbfs_tree *tree,
		uint64_t sub, mode_t *modep)
{
	struct stat	st = { .st_mode = kind->mode };
	int		error = 0;

	if (kind->getattr)
		error = kind->getattr(tree, sub, &st);
	*modep = st.st_mode;
	return error;
}

int
xfbfs_do_open(struct xfbfs *fs, fuse_ino_t ino, pid_t pid,
		struct fuse_file_info *fi)
{
	const struct xfbfs_file_ops	*kind = xfbfs_ino_kind(ino);
	struct xfbfs_tree		*tree;
	struct xfbfs_handle		*h;
	mode_t				mode;
	int				acc = fi->flags & O_ACCMODE;
	int				error;

	if (ino == XFBFS_ROOT_INO || (kind && S_ISDIR(kind->mode)))
		return -EISDIR;
	if (xfbfs_fault_ino(ino)) {
		fi->direct_io = 1;
		fi->fh = 0;	/* no handle: see fault.c */
		return 0;
	}
	if (!kind)
		return -ENOENT;		/* @ino names no file */
	error = xfbfs_tree_get_locked(fs, ino, false, &tree);
	if (error)
		return error;
	error = xfbfs_kind_mode(kind, tree, xfbfs_ino_sub(ino), &mode);
	xfbfs_rwlock_unlock(&tree->lock);	/* the reference stays */
	if (error)
		goto out_put;

	/* The mode bits say what a file allows, for root too. */
	if (((acc == O_RDONLY || acc == O_RDWR) && !(mode & S_IRUSR)) ||
	    ((acc == O_WRONLY || acc == O_RDWR) && !(mode & S_IWUSR))) {
		error = -EACCES;
		goto out_put;
	}

	h = xmem_zalloc(kind->handle_size ? kind->handle_size : sizeof(*h));
	if (!h) {
		error = -ENOMEM;
		goto out_put;
	}
	h->ops = kind;
	h->tree = tree;
	h->sub = xfbfs_ino_sub(ino);
	h->pid = pid;
	if (kind->open) {
		error = kind->open(h, fi->flags);
		if (error)
			goto out_free;
	}
	xfbfs_mutex_init(&h->lock, XFBFS_RANK_HANDLE);
	xfbfs_open_add(&fs->files, &h->link);
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = (uintptr_t)h;
	return 0;

out_free:
	xmem_free(h);
out_put:
	xfbfs_tree_put(tree);
	return error;
}

void
xfbfs_do_release(struct fuse_file_info *fi)
{
	if (!fi->fh)
		return;		/* .fault */
	xfbfs_handle_free(xfbfs_fh(fi));
}

void
xfbfs_files_destroy(struct xfbfs *fs)
{
	struct xfbfs_open	*o;

	while ((o = xfbfs_open_first(&fs->files)))
		xfbfs_handle_free((struct xfbfs_handle *)o);
}

void
xfbfs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int	error;

	error = xfbfs_do_open(xfbfs_of(req), ino, fuse_req_ctx(req)->pid, fi);
	if (error)
		xfbfs_reply_err(req, error);
	else if (fuse_reply_open(req, fi) == -ENOENT)
		xfbfs_do_release(fi);	/* interrupted: no release comes */
}

void
xfbfs_ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	xfbfs_do_release(fi);
	xfbfs_reply_err(req, 0);
}

/* Serve a request of process @pid on @h: take its lock, note the pid. */
static void
xfbfs_handle_begin(struct xfbfs_handle *h, pid_t pid)
{
	xfbfs_mutex_lock(&h->lock);
	h->pid = pid;
}

/*
 * A read found a damaged block: say so in errors, once per open file (a
 * reader retrying, or `cat` reading on, adds nothing), with the reason
 * the btree keeps for its last damage.
 */
static void
xfbfs_note_read_error(struct xfbfs_handle *h, int error)
{
	struct xfbfs_tree	*tree = h->tree;
	char			reason[128] = "";

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	if ((error != -EUCLEAN && error != -EBADMSG) || h->read_failed)
		return;
	h->read_failed = true;
	if (!xfbfs_tree_lock_live(tree, false)) {
		xbtree_last_error(tree->bt, reason, sizeof(reason));
		xfbfs_rwlock_unlock(&tree->lock);
	}
	xfbfs_tree_error(tree, h->pid, "%s: read: %s%s%s", h->ops->name,
			 strerror(-error), reason[0] ? ": " : "", reason);
}

static int
xfbfs_do_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	int	error;

	if (!h->ops->read)
		return -EBADF;
	/* Once the btree is removed, its open files only say ENOENT. */
	if (xfbfs_tree_is_dead(h->tree))
		return -ENOENT;
	error = h->ops->read(h, off, sizep, datap);
	if (error)
		xfbfs_note_read_error(h, error);
	return error;
}

void
xfbfs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h = xfbfs_fh(fi);
	const void		*data = NULL;
	int			error;

	(void)ino;
#ifdef XFB_DEBUG
	if (!h) {
		xfbfs_fault_ll_read(req, size, off);
		return;
	}
#endif
	xfbfs_handle_begin(h, fuse_req_ctx(req)->pid);
	error = xfbfs_do_read(h, off, &size, &data);
	/* The data is the handle's: reply before anyone else may use it. */
	if (error)
		xfbfs_reply_err(req, error);
	else if (fuse_reply_buf(req, data, size) && h->ops->unread)
		h->ops->unread(h);	/* not delivered: not read */
	xfbfs_mutex_unlock(&h->lock);
}

void
xfbfs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
		off_t off, struct fuse_file_info *fi)
{
	struct xfbfs_handle	*h = xfbfs_fh(fi);
	int			error = -EBADF;

	(void)ino;
#ifdef XFB_DEBUG
	if (!h) {
		(void)off;
		xfbfs_fault_ll_write(req, buf, size);
		return;
	}
#endif
	xfbfs_handle_begin(h, fuse_req_ctx(req)->pid);
	if (h->ops->write)
		error = h->ops->write(h, buf, size, off);
	xfbfs_mutex_unlock(&h->lock);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_write(req, size);
}

/*
 * FLUSH (@fsync false) and FSYNC: the kind's op, if it has one, under the
 * handle's lock.  A .fault open has no handle and nothing to do.
 */
static void
xfbfs_handle_sync(fuse_req_t req, struct fuse_file_info *fi, bool fsync)
{
	struct xfbfs_handle	*h = xfbfs_fh(fi);
	int			(*op)(struct xfbfs_handle *h);
	int			error = 0;

	if (h) {
		op = fsync ? h->ops->fsync : h->ops->flush;
		xfbfs_handle_begin(h, fuse_req_ctx(req)->pid);
		if (op)
			error = op(h);
		xfbfs_mutex_unlock(&h->lock);
	}
	xfbfs_reply_err(req, error);
}

void
xfbfs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	xfbfs_handle_sync(req, fi, false);
}

void
xfbfs_ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		struct fuse_file_info *fi)
{
	(void)ino, (void)datasync;
	xfbfs_handle_sync(req, fi, true);
}

/*
 * SEEK_DATA and SEEK_HOLE (the kernel does the rest): the kind's op, or
 * all data up to the file's size.
 */
static int
xfbfs_do_lseek(struct xfbfs *fs, pid_t pid, fuse_ino_t ino,
		struct xfbfs_handle *h, off_t off, int whence, uint64_t *resp)
{
	struct stat	st;
	int		error;

	if (off < 0 || (whence != SEEK_DATA && whence != SEEK_HOLE) || !h)
		return -EINVAL;
	if (h->ops->lseek) {
		xfbfs_handle_begin(h, pid);
		error = h->ops->lseek(h, off, whence, resp);
		xfbfs_mutex_unlock(&h->lock);
		return error;
	}
	error = xfbfs_do_getattr(fs, ino, &st);
	if (error)
		return error;
	if (off >= st.st_size)
		return -ENXIO;
	*resp = whence == SEEK_DATA ? (uint64_t)off : (uint64_t)st.st_size;
	return 0;
}

void
xfbfs_ll_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		struct fuse_file_info *fi)
{
	uint64_t	res = 0;
	int		error;

	error = xfbfs_do_lseek(xfbfs_of(req), fuse_req_ctx(req)->pid, ino,
			       xfbfs_fh(fi), off, whence, &res);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_lseek(req, res);
}
