// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_walk.c: the filesystem `xfbt scan` reads: its geometry, its
 * inodes in ascending inode order, and file handles to open them by.
 *
 * Geometry.  On XFS, XFS_IOC_FSGEOMETRY gives the block size, the
 * blocks per allocation group and the group count: a block at byte B of
 * the data device is in group (B / blocksize) / agblocks, at block
 * (B / blocksize) % agblocks of it (groups are laid end to end; only the
 * last may be shorter).  Elsewhere the whole device is group 0, so it
 * must have fewer than 2^32 blocks (an rmap start block is 32 bits).
 *
 * Enumeration, in ascending inode number (scan_fs_walk):
 *  - XFS: XFS_IOC_BULKSTAT (v5) in batches; the kernel returns allocated
 *    inodes in order, with mode, generation, block and extent counts and
 *    the realtime flag.  Handles are built from (inode, generation) in
 *    the layout the kernel itself uses for this filesystem; scan_fs_open()
 *    learns that layout from name_to_handle_at() on PATH and checks that
 *    a handle built for PATH's inode comes out byte for byte the same,
 *    else it refuses (a handle we cannot build is a file we cannot open).
 *  - elsewhere: a breadth-first walk from the mount's root, one
 *    filesystem only (entries on another device are mount points and are
 *    skipped, as `find -xdev` does).  Directories are reopened by handle,
 *    so depth costs neither descriptors nor path length.  Every entry's
 *    inode number, mode, block count and handle (name_to_handle_at) is
 *    collected, then the list is sorted by inode and hard links merged.
 *
 * Handles are struct scan_fh, laid out as struct file_handle so that one
 * cast passes them to open_by_handle_at(); the static asserts pin that.
 *
 * No locks: the caller serialises.  Errors are negative errnos; messages
 * are printed here when the reason is known here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <xfs/xfs.h>

#include "tools/scan.h"

_Static_assert(offsetof(struct scan_fh, bytes) ==
	       offsetof(struct file_handle, handle_bytes), "fh bytes");
_Static_assert(offsetof(struct scan_fh, type) ==
	       offsetof(struct file_handle, handle_type), "fh type");
_Static_assert(offsetof(struct scan_fh, f) ==
	       offsetof(struct file_handle, f_handle), "fh bytes start");

/* Bulkstat batch: inodes per ioctl. */
#define SCAN_BULK_BATCH		1024

/*
 * File handle types the kernel defines for inode + generation handles
 * (include/linux/exportfs.h): 32-bit inode numbers, optionally with the
 * parent's; XFS sets bit 7 when its inode numbers are 64 bits wide.
 */
#define SCAN_FILEID_INO32_GEN		1
#define SCAN_FILEID_INO32_GEN_PARENT	2
#define SCAN_FILEID_XFS_INO64		0x80

/*
 * The inode number inside a handle of a type we know (inode then
 * generation, host byte order, as the kernel writes them).  Returns
 * false for other types: the caller then has to search by handle bytes.
 */
bool
scan_fh_ino(const struct scan_fh *fh, uint64_t *ino)
{
	uint32_t	ino32;

	switch (fh->type) {
	case SCAN_FILEID_INO32_GEN:
	case SCAN_FILEID_INO32_GEN_PARENT:
		if (fh->bytes < 8)
			return false;
		memcpy(&ino32, fh->f, 4);
		*ino = ino32;
		return true;
	case SCAN_FILEID_XFS_INO64 | SCAN_FILEID_INO32_GEN:
	case SCAN_FILEID_XFS_INO64 | SCAN_FILEID_INO32_GEN_PARENT:
		if (fh->bytes < 12)
			return false;
		memcpy(ino, fh->f, 8);
		return true;
	}
	return false;
}

/* Build the handle of XFS inode @ino, generation @gen (see the header). */
static void
scan_xfs_fh_build(const struct scan_fs *fs, uint64_t ino, uint32_t gen,
		struct scan_fh *fh)
{
	uint32_t	ino32 = ino;

	fh->type = fs->fh_type;
	if (fs->fh_type & SCAN_FILEID_XFS_INO64) {
		memcpy(fh->f, &ino, 8);
		memcpy(fh->f + 8, &gen, 4);
		fh->bytes = 12;
	} else {
		memcpy(fh->f, &ino32, 4);
		memcpy(fh->f + 4, &gen, 4);
		fh->bytes = 8;
	}
}

/* Handle of @name in directory @dfd (@name "" = @dfd itself). */
static int
scan_name_to_fh(int dfd, const char *name, struct scan_fh *fh)
{
	int	mnt_id;

	fh->bytes = SCAN_FH_MAX;
	if (name_to_handle_at(dfd, name, (struct file_handle *)fh, &mnt_id,
			      *name ? 0 : AT_EMPTY_PATH))
		return -errno;
	return 0;
}

/* Open a file by handle on the scanned filesystem; fd or -errno. */
int
scan_fs_open_fh(struct scan_fs *fs, const struct scan_fh *fh, int flags)
{
	int	fd;

	fd = open_by_handle_at(fs->fd, (struct file_handle *)fh,
			       flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* One bulkstat call; @req->hdr is set up by the caller. */
static int
scan_bulkstat(int fd, struct xfs_bulkstat_req *req)
{
	if (ioctl(fd, XFS_IOC_BULKSTAT, req))
		return -errno;
	return 0;
}

/* The generation of XFS inode @ino (which must exist). */
static int
scan_xfs_gen(struct scan_fs *fs, uint64_t ino, uint32_t *gen)
{
	struct xfs_bulkstat_req	*req;
	int			error;

	req = calloc(1, sizeof(*req) + sizeof(struct xfs_bulkstat));
	if (!req)
		return -ENOMEM;
	req->hdr.ino = ino;
	req->hdr.icount = 1;
	error = scan_bulkstat(fs->fd, req);
	if (!error && (req->hdr.ocount != 1 || req->bulkstat[0].bs_ino != ino))
		error = -ENOENT;
	if (!error)
		*gen = req->bulkstat[0].bs_gen;
	free(req);
	return error;
}

/*
 * Learn the kernel's handle layout for this XFS filesystem: take PATH's
 * own handle, build one from its inode and generation, and insist that
 * they are the same bytes.
 */
static int
scan_xfs_handles(struct scan_fs *fs)
{
	struct scan_fh	real, built;
	struct stat	st;
	uint32_t	gen;
	int		error;

	error = scan_name_to_fh(fs->fd, "", &real);
	if (error) {
		scan_msg("cannot take file handles on this filesystem: %s",
			 strerror(-error));
		return error;
	}
	if (fstat(fs->fd, &st))
		return -errno;
	error = scan_xfs_gen(fs, st.st_ino, &gen);
	if (error) {
		scan_msg("bulkstat of inode %ju: %s", (uintmax_t)st.st_ino,
			 strerror(-error));
		return error;
	}
	fs->fh_type = real.type;
	scan_xfs_fh_build(fs, st.st_ino, gen, &built);
	if ((real.type != (SCAN_FILEID_XFS_INO64 | SCAN_FILEID_INO32_GEN) &&
	     real.type != SCAN_FILEID_INO32_GEN) ||
	    real.bytes != built.bytes || memcmp(real.f, built.f, real.bytes)) {
		scan_msg("unknown XFS file handle layout (type %d, %u bytes)",
			 real.type, real.bytes);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Blocks of the device under @st_dev, or 0 if it is no block device. */
static uint64_t
scan_dev_bytes(dev_t dev)
{
	char			path[64];
	unsigned long long	sectors;
	FILE			*f;
	int			n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/size",
		 major(dev), minor(dev));
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%llu", &sectors);
	fclose(f);
	return n == 1 ? sectors * 512 : 0;
}

/* Open the root directory of the mount that holds directory @fd. */
static int
scan_mount_root(int fd, dev_t dev)
{
	struct stat	here, up;
	int		cur, parent, error;

	cur = dup(fd);
	if (cur < 0)
		return -errno;
	for (;;) {
		if (fstat(cur, &here))
			goto out_errno;
		parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			goto out_errno;
		if (fstat(parent, &up)) {
			close(parent);
			goto out_errno;
		}
		if (up.st_dev != dev ||
		    (up.st_ino == here.st_ino && up.st_dev == here.st_dev)) {
			close(parent);
			return cur;
		}
		close(cur);
		cur = parent;
	}
out_errno:
	error = -errno;
	close(cur);
	return error;
}

/* Geometry of a filesystem that is not XFS: one group, the device. */
static int
scan_generic_geometry(struct scan_fs *fs, const char *path)
{
	struct statvfs	sv;
	struct scan_fh	fh;
	struct stat	st;
	uint64_t	bytes;
	char		*dir;
	int		dirfd, error;

	if (fstatvfs(fs->fd, &sv))
		return -errno;
	fs->blocksize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	bytes = scan_dev_bytes(fs->dev);
	if (!bytes)
		bytes = (uint64_t)sv.f_blocks * sv.f_frsize;
	fs->dblocks = bytes / fs->blocksize;
	if (fs->dblocks > UINT32_MAX) {
		scan_msg("%s: the device has %ju blocks of %u bytes; a "
			 "filesystem other than XFS is one group, which holds "
			 "at most 2^32 - 1 blocks", path,
			 (uintmax_t)fs->dblocks, fs->blocksize);
		return -EFBIG;
	}
	fs->agcount = 1;
	fs->agblocks = fs->dblocks;

	/* The walk starts at the mount's root, from a directory. */
	if (fstat(fs->fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		dirfd = dup(fs->fd);
	} else {
		dir = scan_dirname(path);
		if (!dir)
			return -ENOMEM;
		dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(dir);
	}
	if (dirfd < 0)
		return -errno;
	fs->root_fd = scan_mount_root(dirfd, fs->dev);
	close(dirfd);
	if (fs->root_fd < 0)
		return fs->root_fd;
	error = scan_name_to_fh(fs->root_fd, "", &fh);
	if (error) {
		scan_msg("%s: this filesystem gives no file handles (%s)",
			 path, strerror(-error));
		return error;
	}
	return 0;
}

/*
 * Open PATH's filesystem and find its geometry.  Returns 0 with @fs set
 * up (release with scan_fs_close), or a negative errno after a message.
 */
int
scan_fs_open(struct scan_fs *fs, const char *path)
{
	struct xfs_fsop_geom	geo;
	struct stat		st;
	int			error;

	memset(fs, 0, sizeof(*fs));
	fs->root_fd = -1;
	fs->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fs->fd < 0) {
		error = -errno;
		scan_msg("%s: %s", path, strerror(errno));
		return error;
	}
	if (fstat(fs->fd, &st)) {
		error = -errno;
		goto out_close;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		scan_msg("%s: not a file or directory", path);
		error = -EINVAL;
		goto out_close;
	}
	fs->dev = st.st_dev;

	memset(&geo, 0, sizeof(geo));
	if (!ioctl(fs->fd, XFS_IOC_FSGEOMETRY, &geo)) {
		fs->is_xfs = true;
		fs->blocksize = geo.blocksize;
		fs->agcount = geo.agcount;
		fs->agblocks = geo.agblocks;
		fs->dblocks = geo.datablocks;
		fs->has_rmapbt = geo.flags & XFS_FSOP_GEOM_FLAGS_RMAPBT;
		if (!fs->blocksize || !fs->agblocks || !fs->agcount) {
			scan_msg("%s: impossible XFS geometry", path);
			error = -EINVAL;
			goto out_close;
		}
		error = scan_xfs_handles(fs);
	} else {
		error = scan_generic_geometry(fs, path);
	}
	if (error)
		goto out_close;
	return 0;

out_close:
	scan_fs_close(fs);
	return error;
}

/* Close what scan_fs_open() opened. */
void
scan_fs_close(struct scan_fs *fs)
{
	if (fs->root_fd >= 0)
		close(fs->root_fd);
	if (fs->fd >= 0)
		close(fs->fd);
	fs->fd = fs->root_fd = -1;
}

/* XFS: every allocated inode through bulkstat, in order. */
static int
scan_xfs_walk(struct scan_fs *fs, scan_walk_fn fn, void *priv)
{
	struct xfs_bulkstat_req	*req;
	struct scan_ient	ie;
	uint32_t		i;
	int			error;

	req = calloc(1, sizeof(*req) +
			SCAN_BULK_BATCH * sizeof(struct xfs_bulkstat));
	if (!req)
		return -ENOMEM;
	req->hdr.ino = 0;
	for (;;) {
		req->hdr.icount = SCAN_BULK_BATCH;
		req->hdr.flags = 0;
		error = scan_bulkstat(fs->fd, req);
		if (error) {
			scan_msg("bulkstat: %s", strerror(-error));
			break;
		}
		if (!req->hdr.ocount)
			break;
		for (i = 0; i < req->hdr.ocount; i++) {
			const struct xfs_bulkstat *bs = &req->bulkstat[i];

			memset(&ie, 0, sizeof(ie));
			ie.ino = bs->bs_ino;
			ie.mode = bs->bs_mode;
			ie.has_blocks = bs->bs_blocks != 0;
			ie.nextents = bs->bs_extents;
			ie.naextents = bs->bs_aextents;
			ie.realtime = bs->bs_xflags & FS_XFLAG_REALTIME;
			ie.realtime_known = true;
			scan_xfs_fh_build(fs, bs->bs_ino, bs->bs_gen, &ie.fh);
			error = fn(&ie, priv);
			if (error)
				goto out_free;
		}
	}
out_free:
	free(req);
	return error > 0 ? 0 : error;
}

/*
 * An inode as stat(2) shows it, with unknown extent counts (so both
 * forks are read); @realtime_known false leaves the realtime flag to be
 * asked of the open file (XFS).
 */
void
scan_ient_from_stat(struct scan_ient *ie, const struct stat *st,
		bool realtime_known)
{
	memset(ie, 0, sizeof(*ie));
	ie->ino = st->st_ino;
	ie->mode = st->st_mode;
	ie->has_blocks = st->st_blocks != 0;
	ie->nextents = ie->naextents = UINT32_MAX;
	ie->realtime_known = realtime_known;
}

static int
scan_ient_cmp(const void *a, const void *b)
{
	const struct scan_ient	*x = a, *y = b;

	return SCAN_CMP(x->ino, y->ino);
}

/*
 * Read directory @dfd: every entry on this device goes to @l (of struct
 * scan_ient), and every subdirectory is listed too, so @l doubles as the
 * queue of the breadth-first walk (the caller walks @l by index).
 */
static int
scan_list_dir(struct scan_fs *fs, int dfd, struct xmem_array *l)
{
	struct scan_ient	ie;
	struct dirent		*de;
	struct stat		st;
	DIR			*d;
	int			error = 0;

	d = fdopendir(dfd);
	if (!d) {
		error = -errno;
		close(dfd);
		return error;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				continue;	/* gone meanwhile */
			error = -errno;
			break;
		}
		if (st.st_dev != fs->dev)
			continue;		/* a mount point */
		scan_ient_from_stat(&ie, &st, true);
		error = scan_name_to_fh(dfd, de->d_name, &ie.fh);
		if (error == -ENOENT) {
			error = 0;
			continue;
		}
		if (error)
			break;
		error = xmem_array_push(l, &ie);
		if (error)
			break;
	}
	if (!de && errno)
		error = -errno;
	closedir(d);
	return error;
}

/* Elsewhere: walk the tree, then visit its inodes sorted. */
static int
scan_generic_walk(struct scan_fs *fs, scan_walk_fn fn, void *priv)
{
	struct xmem_array	l = XMEM_ARRAY_INIT(sizeof(struct scan_ient));
	struct scan_ient	root, *v;
	struct stat		st;
	size_t			i, j;
	int			dfd, error;

	if (fstat(fs->root_fd, &st))
		return -errno;
	scan_ient_from_stat(&root, &st, true);
	error = scan_name_to_fh(fs->root_fd, "", &root.fh);
	if (!error)
		error = xmem_array_push(&l, &root);
	for (i = 0; !error && i < l.len; i++) {
		v = xmem_array_at(&l, i);	/* moves as @l grows */
		if (!S_ISDIR(v->mode))
			continue;
		dfd = scan_fs_open_fh(fs, &v->fh,
				      O_RDONLY | O_DIRECTORY | O_NOATIME);
		if (dfd == -ESTALE || dfd == -ENOENT)
			continue;	/* removed since it was listed */
		if (dfd < 0) {
			error = dfd;
			break;
		}
		error = scan_list_dir(fs, dfd, &l);
		if (error == -ESTALE || error == -ENOENT)
			error = 0;
	}
	if (error) {
		scan_msg("walking the tree: %s", strerror(-error));
		goto out_free;
	}

	v = l.data;
	qsort(v, l.len, sizeof(*v), scan_ient_cmp);
	for (i = 0; i < l.len; i = j) {
		/* Hard links: one visit per inode. */
		for (j = i + 1; j < l.len && v[j].ino == v[i].ino; j++)
			;
		error = fn(&v[i], priv);
		if (error)
			break;
	}
out_free:
	xmem_array_release(&l);
	return error > 0 ? 0 : error;
}

/*
 * Call @fn for every inode of the filesystem in ascending inode order.
 * @fn returns 0 to go on, a positive value to stop early (the walk then
 * returns 0), or a negative errno to stop with that error.
 */
int
scan_fs_walk(struct scan_fs *fs, scan_walk_fn fn, void *priv)
{
	if (fs->is_xfs)
		return scan_xfs_walk(fs, fn, priv);
	return scan_generic_walk(fs, fn, priv);
}
