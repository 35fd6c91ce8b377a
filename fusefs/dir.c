// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dir.c: directories: opendir, readdir, releasedir.
 *
 * Three kinds of directory: the root, whose entries are the btrees; a
 * btree directory, whose entries are the kinds of file (kinds.c); and
 * pages/, whose entries are the allocated blocks (page.c).  The last two
 * list themselves through their kind's readdir op; the root lists a
 * snapshot of the names taken at opendir, so that a listing under mkdir
 * and rmdir neither skips nor repeats a btree.
 *
 * Readdir offsets: 1 and 2 follow "." and ".."; after that the root uses
 * 3 + the index in its snapshot, and the other directories what their
 * kind's readdir op says.
 *
 * Locking: an open directory's snapshot is immutable; a kind's readdir
 * runs with tree->lock held for reading.  Every open directory sits on
 * the mount's list of open directories (freed at exit if still open).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

#define XFBFS_READDIR_MAX	65536	/* bytes of one readdir reply */

/* An open directory: the root lists a snapshot taken at opendir. */
struct xfbfs_dir {
	struct xfbfs_open	link;		/* first: fs->dirs */
	struct xfbfs_dirent	*list;		/* the root only; immutable */
	size_t			n;
};

static void
xfbfs_dir_free(struct xfbfs *fs, struct xfbfs_dir *d)
{
	xfbfs_open_del(&fs->dirs, &d->link);
	xfbfs_tree_list_free(d->list, d->n);
	xmem_free(d);
}

void
xfbfs_dirs_destroy(struct xfbfs *fs)
{
	struct xfbfs_open	*o;

	while ((o = xfbfs_open_first(&fs->dirs)))
		xfbfs_dir_free(fs, (struct xfbfs_dir *)o);
}

static int
xfbfs_do_opendir(struct xfbfs *fs, fuse_ino_t ino, struct xfbfs_dir **dp)
{
	struct xfbfs_dir	*d;
	struct stat		st;
	int			error;

	error = xfbfs_do_getattr(fs, ino, &st);
	if (error)
		return error;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	d = xmem_zalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (ino == XFBFS_ROOT_INO) {
		error = xfbfs_tree_list(fs, &d->list, &d->n);
		if (error) {
			xmem_free(d);
			return error;
		}
	}
	xfbfs_open_add(&fs->dirs, &d->link);
	*dp = d;
	return 0;
}

void
xfbfs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct xfbfs		*fs = xfbfs_of(req);
	struct xfbfs_dir	*d;
	int			error;

	error = xfbfs_do_opendir(fs, ino, &d);
	if (error) {
		xfbfs_reply_err(req, error);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) == -ENOENT)
		xfbfs_dir_free(fs, d);	/* interrupted: no releasedir comes */
}

void
xfbfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino,
		struct fuse_file_info *fi)
{
	struct xfbfs_dir	*d = (struct xfbfs_dir *)(uintptr_t)fi->fh;

	(void)ino;
	if (d)
		xfbfs_dir_free(xfbfs_of(req), d);
	xfbfs_reply_err(req, 0);
}

bool
xfbfs_dir_add(struct xfbfs_dirbuf *db, const char *name, fuse_ino_t ino,
		mode_t mode, off_t next)
{
	struct stat	st = { .st_ino = ino, .st_mode = mode };
	size_t		len;

	len = fuse_add_direntry(db->req, db->buf + db->pos,
				db->size - db->pos, name, &st, next);
	if (len > db->size - db->pos)
		return false;
	db->pos += len;
	return true;
}

/* The entries of directory @ino from offset @off into @db. */
static int
xfbfs_do_readdir(struct xfbfs *fs, fuse_ino_t ino, struct xfbfs_dir *d,
		off_t off, struct xfbfs_dirbuf *db)
{
	const struct xfbfs_file_ops	*kind = xfbfs_ino_kind(ino);
	struct xfbfs_tree		*tree;
	fuse_ino_t			parent;
	size_t				i;
	int				error;

	/* A btree directory's parent is the root; pages/' is its btree's. */
	parent = ino == XFBFS_ROOT_INO ||
		 xfbfs_ino_sub(ino) == XFBFS_SUB_DIR ? XFBFS_ROOT_INO :
		 xfbfs_ino(xfbfs_ino_id(ino), XFBFS_SUB_DIR);
	if (off < 1 && !xfbfs_dir_add(db, ".", ino, S_IFDIR, 1))
		return 0;
	if (off < 2 && !xfbfs_dir_add(db, "..", parent, S_IFDIR, 2))
		return 0;
	if (off < 2)
		off = 2;

	if (ino == XFBFS_ROOT_INO) {
		for (i = off - 2; i < d->n; i++)
			if (!xfbfs_dir_add(db, d->list[i].name,
					   xfbfs_ino(d->list[i].id,
						     XFBFS_SUB_DIR),
					   S_IFDIR, i + 3))
				break;
		return 0;
	}
	if (!kind || !kind->readdir)
		return -ENOTDIR;
	error = xfbfs_tree_get_locked(fs, ino, false, &tree);
	if (error)
		return error;
	error = kind->readdir(tree, db, off);
	xfbfs_tree_unlock_put(tree);
	return error;
}

void
xfbfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	struct xfbfs_dirbuf	db = { .req = req };
	int			error;

	db.size = size < XFBFS_READDIR_MAX ? size : XFBFS_READDIR_MAX;
	db.buf = xmem_alloc(db.size);
	if (!db.buf) {
		xfbfs_reply_err(req, -ENOMEM);
		return;
	}
	error = xfbfs_do_readdir(xfbfs_of(req), ino,
				 (struct xfbfs_dir *)(uintptr_t)fi->fh, off,
				 &db);
	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_buf(req, db.buf, db.pos);
	xmem_free(db.buf);
}
