/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * discardfs.c: the FUSE ceiling for bench_fuse.
 *
 *	discardfs [FUSE options] MOUNTPOINT
 *
 * A filesystem that does as little as a FUSE filesystem can: its root
 * holds one regular file, `sink`, which
 *
 *	- takes every write and throws the bytes away (the reply says they
 *	  were all written);
 *	- reads as zeros up to its size, DISCARDFS_SIZE (1 TiB), and as
 *	  end of file past it;
 *	- is opened with direct_io, as every xfbtreefs file is, so that each
 *	  read() and write() becomes a FUSE request of the caller's size
 *	  (up to max_read / max_write) and nothing is cached.
 *
 * It is built from the same pieces as xfbtreefs: libfuse 3's low-level
 * API, the `write` op (the request's payload copied into libfuse's
 * buffer), fuse_reply_buf() for reads and the multi-threaded session loop
 * with the same options.  What bench_fuse times against it is therefore
 * the cost of the kernel, the /dev/fuse round trips and libfuse alone:
 * xfbtreefs can only be slower, and the gap is its own work (parsing,
 * the btree, making text).
 *
 * Attributes are not cached (timeout 0) and names for a second, as in
 * xfbtreefs.  Truncating `sink` succeeds and changes nothing.
 */
#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DISCARDFS_ROOT_INO	FUSE_ROOT_ID
#define DISCARDFS_SINK_INO	2
#define DISCARDFS_SINK_NAME	"sink"
#define DISCARDFS_SIZE		(1ULL << 40)
/* The most a read reply carries: more than libfuse's max_read (1 MiB). */
#define DISCARDFS_ZEROS		(4U << 20)

/* Read replies come from here: .bss, never written, so the zero page. */
static char		discardfs_zeros[DISCARDFS_ZEROS];
static struct timespec	discardfs_mount_time;

static int
discardfs_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = 4096;
	st->st_atim = discardfs_mount_time;
	st->st_mtim = discardfs_mount_time;
	st->st_ctim = discardfs_mount_time;
	switch (ino) {
	case DISCARDFS_ROOT_INO:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case DISCARDFS_SINK_INO:
		st->st_mode = S_IFREG | 0666;
		st->st_nlink = 1;
		st->st_size = DISCARDFS_SIZE;
		return 0;
	default:
		return ENOENT;
	}
}

static void
discardfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	fprintf(stderr, "discardfs: mounted: max_write %u, max_read %u\n",
		conn->max_write, conn->max_read);
}

static void
discardfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param	e;

	memset(&e, 0, sizeof(e));
	if (parent != DISCARDFS_ROOT_INO || strcmp(name, DISCARDFS_SINK_NAME)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = DISCARDFS_SINK_INO;
	e.generation = 1;
	e.attr_timeout = 0.0;
	e.entry_timeout = 1.0;
	discardfs_stat(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void
discardfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat	st;
	int		error;

	(void)fi;
	error = discardfs_stat(ino, &st);
	if (error)
		fuse_reply_err(req, error);
	else
		fuse_reply_attr(req, &st, 0.0);
}

/* Truncation, chmod, utimes: accepted, nothing changes. */
static void
discardfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		  int to_set, struct fuse_file_info *fi)
{
	(void)attr, (void)to_set;
	discardfs_getattr(req, ino, fi);
}

static void
discardfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	static const char *const names[] = { ".", "..", DISCARDFS_SINK_NAME };
	static const fuse_ino_t inos[] = {
		DISCARDFS_ROOT_INO, DISCARDFS_ROOT_INO, DISCARDFS_SINK_INO
	};
	char		buf[512];
	struct stat	st;
	size_t		pos = 0, len;
	off_t		i;

	(void)fi;
	if (ino != DISCARDFS_ROOT_INO) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (i = off; i < 3; i++) {
		discardfs_stat(inos[i], &st);
		len = fuse_add_direntry(req, buf + pos, size - pos, names[i],
					&st, i + 1);
		if (len > size - pos)
			break;
		pos += len;
	}
	fuse_reply_buf(req, buf, pos);
}

static void
discardfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino == DISCARDFS_ROOT_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (ino != DISCARDFS_SINK_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void
discardfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	       struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	if (off < 0 || (unsigned long long)off >= DISCARDFS_SIZE)
		size = 0;
	else if (size > DISCARDFS_SIZE - (unsigned long long)off)
		size = DISCARDFS_SIZE - (unsigned long long)off;
	if (size > DISCARDFS_ZEROS)
		size = DISCARDFS_ZEROS;	/* a short read; never reached */
	fuse_reply_buf(req, discardfs_zeros, size);
}

static void
discardfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino, (void)buf, (void)off, (void)fi;
	fuse_reply_write(req, size);
}

/* flush, fsync and release: nothing is kept, so nothing to do. */
static void
discardfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino, (void)fi;
	fuse_reply_err(req, 0);
}

static void
discardfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		struct fuse_file_info *fi)
{
	(void)datasync;
	discardfs_flush(req, ino, fi);
}

static const struct fuse_lowlevel_ops discardfs_ops = {
	.init		= discardfs_init,
	.lookup		= discardfs_lookup,
	.getattr	= discardfs_getattr,
	.setattr	= discardfs_setattr,
	.readdir	= discardfs_readdir,
	.open		= discardfs_open,
	.read		= discardfs_read,
	.write		= discardfs_write,
	.flush		= discardfs_flush,
	.fsync		= discardfs_fsync,
	.release	= discardfs_flush,
};

int
main(int argc, char *argv[])
{
	struct fuse_args		args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts	cmd;
	struct fuse_loop_config		*cfg;
	struct fuse_session		*se;
	int				ret = 1;

	memset(&cmd, 0, sizeof(cmd));
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		return 1;
	if (cmd.show_help) {
		printf("usage: %s [options] MOUNTPOINT\n\n"
		       "One file, sink: writes are discarded, reads return "
		       "zeros.\n\n", argv[0]);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		ret = 0;
		goto out_args;
	}
	if (cmd.show_version) {
		fuse_lowlevel_version();
		ret = 0;
		goto out_args;
	}
	if (!cmd.mountpoint) {
		fprintf(stderr, "usage: %s [options] MOUNTPOINT\n", argv[0]);
		goto out_args;
	}
	clock_gettime(CLOCK_REALTIME, &discardfs_mount_time);

	se = fuse_session_new(&args, &discardfs_ops, sizeof(discardfs_ops),
			      NULL);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	fuse_daemonize(cmd.foreground);

	/* The same loop as xfbtreefs: multi-threaded unless -s. */
	if (cmd.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		cfg = fuse_loop_cfg_create();
		if (!cfg) {
			ret = -1;
		} else {
			fuse_loop_cfg_set_clone_fd(cfg, cmd.clone_fd);
			fuse_loop_cfg_set_max_threads(cfg, cmd.max_threads);
			ret = fuse_session_loop_mt(se, cfg);
			fuse_loop_cfg_destroy(cfg);
		}
	}
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
