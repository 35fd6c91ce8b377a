// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c: xfbtreefs, the daemon: options, the FUSE session, logging, and
 * the one place errors become FUSE replies.
 *
 *	xfbtreefs [FUSE options] [-o xfbtreefs options] MOUNTPOINT
 *
 * Own options (-o): blocksize=N, max_memory=SIZE, tmpdir=DIR,
 * pages_writable.  Everything else goes to libfuse.  allow_other brings
 * default_permissions with it, so that other users meet the mode bits.
 * The daemon refuses to run setuid or setgid.
 *
 * Logs go to stderr in the foreground, to syslog otherwise.  The session
 * loop is libfuse's multi-threaded one unless -s is given.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fusefs/xfbfs.h"
#include "xfile/xfile.h"

#ifndef XFBTREEFS_VERSION
#define XFBTREEFS_VERSION	"unknown"
#endif

/*
 * Where logs go: set once before the session starts.  The one piece of
 * process-wide state, because the library's log hook (xbt_set_log_fn())
 * carries no context and syslog is per process anyway.
 */
static bool xfbfs_foreground = true;

void
xfbfs_reply_err(fuse_req_t req, int error)
{
	/* No btree lock is held across a reply (xfbfs.h). */
	ASSERT(!xfbfs_holds_rank(XFBFS_RANK_TREE));
	ASSERT(error <= 0);
	if (error > 0) {
		/* A programmer error: never send a positive errno inward. */
		xfbfs_log(LOG_ERR, "bug: positive errno %d", error);
		error = -EIO;
	}
	fuse_reply_err(req, -error);
}

void
xfbfs_log(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (xfbfs_foreground) {
		flockfile(stderr);
		fputs("xfbtreefs: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}

static void
xfbfs_engine_log(const char *msg)
{
	xfbfs_log(LOG_ERR, "%s", msg);
}

/* ---- options ------------------------------------------------------------ */

enum {
	XFBFS_KEY_ALLOW_OTHER,
	XFBFS_KEY_HELP,
	XFBFS_KEY_VERSION,
};

#define XFBFS_OPT(t, p)	{ t, offsetof(struct xfbfs_opts, p), 1 }

static const struct fuse_opt xfbfs_opt_spec[] = {
	{ "blocksize=%u", offsetof(struct xfbfs_opts, blocksize), 0 },
	XFBFS_OPT("blocksize=", blocksize_set),
	{ "max_memory=%s", offsetof(struct xfbfs_opts, max_memory_str), 0 },
	{ "tmpdir=%s", offsetof(struct xfbfs_opts, tmpdir), 0 },
	XFBFS_OPT("pages_writable", pages_writable),
	FUSE_OPT_KEY("allow_other", XFBFS_KEY_ALLOW_OTHER),
	FUSE_OPT_END
};

static int
xfbfs_opt_proc(void *data, const char *arg, int key,
		struct fuse_args *outargs)
{
	struct xfbfs_opts	*o = data;

	(void)arg, (void)outargs;
	if (key == XFBFS_KEY_ALLOW_OTHER)
		o->allow_other = 1;
	return 1;	/* keep it for libfuse */
}

/* "64M" and friends: 0 or -EINVAL. */
static int
xfbfs_parse_size(const char *s, uint64_t *bytes)
{
	char			*end;
	unsigned long long	v;
	unsigned int		shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;		/* strtoull would take "-1" */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static void
xfbfs_usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n\n"
	       "Mount a tree of in-memory btrees (one per directory).\n\n"
	       "xfbtreefs options:\n"
	       "    -o blocksize=N         block size of new btrees, a power of "
	       "two\n"
	       "                           512..65536 (default: the page size)\n"
	       "    -o max_memory=SIZE     cap on the memory of all btrees "
	       "(K/M/G/T;\n"
	       "                           default: half of RAM, none with "
	       "tmpdir)\n"
	       "    -o tmpdir=DIR          keep btrees in O_TMPFILE files in DIR\n"
	       "    -o pages_writable      let pages/N be written (corruption "
	       "injection)\n\n", prog);
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/* Check and complete the xfbtreefs options; 0 or -EINVAL (said why). */
static int
xfbfs_check_opts(struct xfbfs_opts *o)
{
	unsigned int	bs = o->blocksize;
	int		fd;

	if (o->blocksize_set && (bs < 512 || bs > 65536 || (bs & (bs - 1)))) {
		fprintf(stderr, "xfbtreefs: blocksize must be a power of two "
			"from 512 to 65536\n");
		return -EINVAL;
	}
	if (o->max_memory_str &&
	    xfbfs_parse_size(o->max_memory_str, &o->max_memory)) {
		fprintf(stderr, "xfbtreefs: bad max_memory: %s\n",
			o->max_memory_str);
		return -EINVAL;
	}
	if (o->tmpdir) {
		fd = open(o->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			fprintf(stderr, "xfbtreefs: tmpdir %s: %s\n",
				o->tmpdir, strerror(errno));
			return -EINVAL;
		}
		close(fd);
	}
	if (!o->max_memory_str && !o->tmpdir)
		o->max_memory = (uint64_t)sysconf(_SC_PHYS_PAGES) *
				sysconf(_SC_PAGESIZE) / 2;
	return 0;
}

/*
 * One memfd (or tmpdir file) per btree: let us have as many as the hard
 * limit allows.  Past it, mkdir fails with EMFILE and the daemon goes on.
 */
static void
xfbfs_raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		cur;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		xfbfs_log(LOG_WARNING, "getrlimit(RLIMIT_NOFILE): %s",
			  strerror(errno));
		return;
	}
	if (rl.rlim_cur >= rl.rlim_max)
		return;
	cur = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		xfbfs_log(LOG_WARNING, "cannot raise the open file limit from "
			  "%llu to %llu: %s", (unsigned long long)cur,
			  (unsigned long long)rl.rlim_max, strerror(errno));
}

/*
 * glibc loads libgcc_s the first time a thread is cancelled, and libfuse
 * cancels its worker threads at unmount.  With every descriptor in use
 * (a btree for each) that load fails and glibc aborts the daemon; load
 * it now, while a descriptor is free, so that the unmount is clean.
 */
static void
xfbfs_preload_unwinder(void)
{
	if (!dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE))
		xfbfs_log(LOG_WARNING, "cannot load libgcc_s.so.1: %s; "
			  "unmounting with no descriptor left may abort",
			  dlerror());
}

static void
xfbfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	xfbfs_log(LOG_INFO, "mounted: max_write %u, max_read %u",
		  conn->max_write, conn->max_read);
}

static void
xfbfs_destroy(void *userdata)
{
	(void)userdata;
}

int
main(int argc, char *argv[])
{
	struct fuse_args		args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts	cmd = { 0 };
	struct fuse_lowlevel_ops	ops = xfbfs_ll_ops;
	struct fuse_loop_config		*cfg = NULL;
	struct fuse_session		*se;
	int				ret = 1;
	/*
	 * The mount's state lives here, in main's frame, for the life of
	 * the session; handlers reach it through their request.
	 */
	struct xfbfs			xfbfs = {
		.files	= XFBFS_OPEN_LIST_INIT,
		.dirs	= XFBFS_OPEN_LIST_INIT,
	};

	if (getuid() != geteuid() || getgid() != getegid()) {
		fprintf(stderr, "xfbtreefs: refusing to run setuid or "
			"setgid\n");
		return 1;
	}
	if (fuse_opt_parse(&args, &xfbfs.opts, xfbfs_opt_spec,
			   xfbfs_opt_proc) != 0)
		return 1;
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		return 1;
	if (cmd.show_help) {
		xfbfs_usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (cmd.show_version) {
		printf("xfbtreefs version %s\n", XFBTREEFS_VERSION);
		fuse_lowlevel_version();
		ret = 0;
		goto out_args;
	}
	if (!cmd.mountpoint) {
		fprintf(stderr, "usage: %s [options] MOUNTPOINT "
			"(--help for more)\n", argv[0]);
		goto out_args;
	}
	if (xfbfs_check_opts(&xfbfs.opts))
		goto out_args;
	if (xfbfs.opts.allow_other)
		fuse_opt_add_arg(&args, "-odefault_permissions");

	xfbfs.uid = getuid();
	xfbfs.gid = getgid();
	clock_gettime(CLOCK_REALTIME, &xfbfs.mount_time);
	xfile_set_memory_cap(xfbfs.opts.max_memory);
	xbt_set_log_fn(xfbfs_engine_log);
	xfbfs_raise_nofile();
	xfbfs_preload_unwinder();
	xfbfs_trees_init(&xfbfs);

	ops.init = xfbfs_init;
	ops.destroy = xfbfs_destroy;
	se = fuse_session_new(&args, &ops, sizeof(ops), &xfbfs);
	if (!se)
		goto out_trees;
	xfbfs.se = se;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	xfbfs_foreground = cmd.foreground;
	if (!cmd.foreground)
		openlog("xfbtreefs", LOG_PID, LOG_DAEMON);
	fuse_daemonize(cmd.foreground);

	if (cmd.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		cfg = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(cfg, cmd.clone_fd);
		fuse_loop_cfg_set_max_threads(cfg, cmd.max_threads);
		ret = fuse_session_loop_mt(se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	/*
	 * A positive value is the signal (SIGTERM, SIGINT, SIGHUP) that
	 * asked us to stop: a clean unmount like any other, so exit 0.
	 */
	if (ret > 0) {
		xfbfs_log(LOG_INFO, "signal %d: unmounting", ret);
		ret = 0;
	}
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_trees:
	xfbfs_files_destroy(&xfbfs);
	xfbfs_dirs_destroy(&xfbfs);
	xfbfs_trees_destroy(&xfbfs);
out_args:
	free(cmd.mountpoint);
	free(xfbfs.opts.max_memory_str);
	free(xfbfs.opts.tmpdir);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
