// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c: xfbtreefs, the daemon: options, the FUSE session, logging, and
 * the one place errors become FUSE replies.
 *
 *	xfbtreefs [FUSE options] [-o xfbtreefs options] [SOURCE] MOUNTPOINT
 *
 * Own options (-o): blocksize=N, max_memory=SIZE, tmpdir=DIR,
 * pages_writable, log=FILE.  Everything else goes to libfuse.  allow_other
 * brings default_permissions with it, so that other users meet the mode
 * bits.  SOURCE is what mount(8) passes (mount.fuse3 runs "xfbtreefs
 * SOURCE DIR -o OPTS" for `mount -t fuse.xfbtreefs` and fstab lines); it is
 * ignored.  A directory that already is an xfbtreefs mount is refused.
 * The daemon refuses to run setuid or setgid.
 *
 * Logs go to FILE with log=FILE, else to stderr in the foreground and to
 * syslog otherwise; in the background libfuse's own messages follow them
 * (its default, stderr, is /dev/null by then).  Without log=FILE and with
 * no syslog listening, a background mount warns on stderr first: the
 * reasons are then only in each btree's `errors` file.
 *
 * The session loop is libfuse's multi-threaded one unless -s is given,
 * with the max_threads, max_idle_threads and clone_fd of the command line.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "fusefs/xfbfs.h"
#include "xfile/xfile.h"

#ifndef XFBTREEFS_VERSION
#define XFBTREEFS_VERSION	"unknown"
#endif

/* libfuse's own cap on max_idle_threads; ours on max_threads too. */
#define XFBFS_THREADS_MAX	100000U

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

/* ---- options ------------------------------------------------------------ */

enum {
	XFBFS_KEY_ALLOW_OTHER,
};

/* What our pass over the command line takes out of it. */
struct xfbfs_cmdline {
	struct xfbfs_opts	fs;		/* becomes xfbfs.opts */
	char			*log_path;	/* -o log=FILE */
	char			*nonopt[2];	/* [SOURCE] MOUNTPOINT */
	unsigned int		nr_nonopt;
};

#define XFBFS_OPT(t, p, v)	{ t, offsetof(struct xfbfs_cmdline, p), v }

static const struct fuse_opt xfbfs_opt_spec[] = {
	XFBFS_OPT("blocksize=%u", fs.blocksize, 0),
	XFBFS_OPT("blocksize=", fs.blocksize_set, 1),
	XFBFS_OPT("max_memory=%s", fs.max_memory_str, 0),
	XFBFS_OPT("tmpdir=%s", fs.tmpdir, 0),
	XFBFS_OPT("pages_writable", fs.pages_writable, 1),
	XFBFS_OPT("log=%s", log_path, 0),
	FUSE_OPT_KEY("allow_other", XFBFS_KEY_ALLOW_OTHER),
	FUSE_OPT_END
};

/*
 * Our options are taken by the spec; allow_other is noted and kept for
 * libfuse, like every option we do not know.  Non-option arguments are
 * taken out (at most two: SOURCE and MOUNTPOINT); main() hands the last
 * back to libfuse as the mount point.
 */
static int
xfbfs_opt_proc(void *data, const char *arg, int key,
		struct fuse_args *outargs)
{
	struct xfbfs_cmdline	*c = data;

	(void)outargs;
	switch (key) {
	case XFBFS_KEY_ALLOW_OTHER:
		c->fs.allow_other = 1;
		break;
	case FUSE_OPT_KEY_NONOPT:
		if (c->nr_nonopt == 2) {
			fprintf(stderr, "xfbtreefs: too many arguments "
				"(%s): expected [SOURCE] MOUNTPOINT\n", arg);
			return -1;
		}
		c->nonopt[c->nr_nonopt] = strdup(arg);
		if (!c->nonopt[c->nr_nonopt])
			return -1;
		c->nr_nonopt++;
		return 0;
	}
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

/*
 * Every option, ours and the libfuse ones that matter here, said as they
 * behave in this daemon (libfuse's own help text says max_idle_threads
 * "default: -1" and leaves out the generic mount options).
 */
static void
xfbfs_usage(const char *prog)
{
	printf(
"usage: %s [options] [SOURCE] MOUNTPOINT\n"
"\n"
"Mount a tree of in-memory btrees (one per directory).  SOURCE, which\n"
"mount(8) and fstab lines pass, is ignored.  A MOUNTPOINT that already is\n"
"an xfbtreefs mount is refused.\n"
"\n"
"xfbtreefs options:\n"
"    -o blocksize=N         block size of new btrees, a power of two\n"
"                           512..65536 (default: the page size)\n"
"    -o max_memory=SIZE     cap on the memory of all btrees (K/M/G/T;\n"
"                           default: half of RAM, none with tmpdir)\n"
"    -o tmpdir=DIR          keep btrees in O_TMPFILE files in DIR\n"
"    -o pages_writable      let pages/N be written (corruption injection)\n"
"    -o log=FILE            append every log line to FILE, with its time\n"
"                           (default: stderr with -f, else syslog)\n"
"\n"
"FUSE options:\n"
"    -h   --help            print this help\n"
"    -V   --version         print the version\n"
"    -f                     stay in the foreground, log to stderr\n"
"    -d   -o debug          print every FUSE request (implies -f)\n"
"    -s                     serve requests in one thread\n"
"    -o max_threads=N       at most N worker threads, 1..100000\n"
"                           (default: 10)\n"
"    -o max_idle_threads=N  end worker threads beyond N idle ones,\n"
"                           0..100000 (default: keep them all)\n"
"    -o clone_fd            one /dev/fuse descriptor per thread\n"
"    -o allow_other         let every user in (brings\n"
"                           default_permissions: the modes apply)\n"
"    -o allow_root          let root in as well as the owner\n"
"    -o auto_unmount        unmount when the daemon dies\n"
"    -o ro, nosuid, nodev, noexec, noatime, fsname=NAME, ...\n"
"                           generic mount options, for the kernel\n",
	       prog);
}

/*
 * The thread counts: libfuse would take max_threads=0 as one and ignore
 * a max_idle_threads past its cap with a message lost in the background;
 * refuse both.  UINT_MAX (the default, or -1) keeps every idle thread.
 * 0 or -EINVAL (said why).
 */
static int
xfbfs_check_threads(const struct fuse_cmdline_opts *cmd)
{
	if (cmd->max_threads < 1 || cmd->max_threads > XFBFS_THREADS_MAX) {
		fprintf(stderr, "xfbtreefs: max_threads must be 1..%u\n",
			XFBFS_THREADS_MAX);
		return -EINVAL;
	}
	if (cmd->max_idle_threads != UINT_MAX &&
	    cmd->max_idle_threads > XFBFS_THREADS_MAX) {
		fprintf(stderr, "xfbtreefs: max_idle_threads must be "
			"0..%u\n", XFBFS_THREADS_MAX);
		return -EINVAL;
	}
	return 0;
}

/* A mountinfo path, with \ooo for blanks and backslashes, decoded in place. */
static void
xfbfs_unescape(char *s)
{
	char	*out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * Is @dir (canonical: libfuse ran realpath on it) the mount point of an
 * xfbtreefs mount, the one on top there?  /proc/self/mountinfo has a line
 * per mount:
 *
 *	36 25 0:40 / /mnt/x rw,nosuid,nodev - fuse.xfbtreefs xfbtreefs rw,...
 *	ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - TYPE SOURCE OPTIONS
 *
 * Mounts stacked on one point share it; the one on top is the device
 * stat(2) sees there.  Anything unreadable (no /proc, a /dev/fd/N mount
 * point) answers no: the check is a courtesy, not a lock.
 */
static bool
xfbfs_is_xfbtreefs_mount(const char *dir)
{
	struct stat	st;
	unsigned int	major_nr, minor_nr;
	char		*line = NULL, *mp, *end, *type;
	size_t		size = 0;
	bool		found = false;
	FILE		*f;
	int		at;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	while (!found && getline(&line, &size, f) > 0) {
		at = 0;
		if (sscanf(line, "%*u %*u %u:%u %*s %n", &major_nr, &minor_nr,
			   &at) != 2 || !at)
			continue;
		mp = line + at;
		end = strchr(mp, ' ');
		type = end ? strstr(end, " - ") : NULL;
		if (!type)
			continue;
		*end = '\0';
		type += 3;
		type[strcspn(type, " ")] = '\0';
		if (makedev(major_nr, minor_nr) != st.st_dev ||
		    strcmp(type, "fuse.xfbtreefs") != 0)
			continue;
		xfbfs_unescape(mp);
		found = strcmp(mp, dir) == 0;
	}
	free(line);
	fclose(f);
	return found;
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


/*
 * Hand the mount point back to libfuse, which makes it canonical.  Our
 * pass took every non-option out, so a "--" left in @args separates
 * nothing, and libfuse 3.14 would pass it on as an unknown option when -o
 * options come too (fuse_opt loses count of it): drop it.  A mount point
 * that starts with '-' would then read as an option: it goes as "./-x".
 * 0 or -ENOMEM.
 */
static int
xfbfs_add_mountpoint(struct fuse_args *args, const char *dir)
{
	bool	after_o = false;	/* "-o --" is an option's value */
	char	*arg;
	int	i, n = 1;
	int	error = 0;

	for (i = 1; i < args->argc; i++) {
		arg = args->argv[i];
		if (!strcmp(arg, "--") && !after_o) {
			free(arg);
			continue;
		}
		after_o = !strcmp(arg, "-o");
		args->argv[n++] = arg;
	}
	args->argc = n;
	args->argv[n] = NULL;
	if (asprintf(&arg, "%s%s", dir[0] == '-' ? "./" : "", dir) < 0)
		return -ENOMEM;
	if (fuse_opt_add_arg(args, arg) != 0)
		error = -ENOMEM;
	free(arg);
	return error;
}

/* The multi-threaded loop with the command line's thread options. */
static int
xfbfs_loop_mt(struct fuse_session *se, const struct fuse_cmdline_opts *cmd)
{
	struct fuse_loop_config	*cfg;
	int			ret;

	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, cmd->clone_fd);
	fuse_loop_cfg_set_max_threads(cfg, cmd->max_threads);
	if (cmd->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(cfg, cmd->max_idle_threads);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

/*
 * libfuse 3.14 keeps an INTERRUPT that arrives after its request was
 * answered on a list of its own, and takes one off that list each time a
 * later request comes in; fuse_session_destroy() never frees what is left.
 * A client killed while its last request was in flight (a process that
 * exits with fds open on the mount sends FLUSH, then INTERRUPT) so leaves
 * one request behind at every unmount that follows it.  Feed the session
 * requests of our own until one of them finds the list empty: each is a
 * BMAP, which libfuse answers itself (ENOSYS: we have no bmap), so none
 * reaches our handlers.  The replies go to a pipe put in place of the
 * FUSE device for the while, one 16-byte header for our BMAP and another
 * before it when a left-over INTERRUPT was taken off the list and answered.
 */
static void
xfbfs_drain_interrupts(struct fuse_session *se)
{
	struct {
		struct fuse_in_header	in;
		struct fuse_bmap_in	arg;
	} msg;
	struct fuse_out_header	out[4];
	struct fuse_buf		buf = { .size = sizeof(msg), .mem = &msg };
	int			fd = fuse_session_fd(se);
	int			saved, pipefd[2];
	ssize_t			n;
	unsigned int		i;

	saved = dup(fd);
	if (saved < 0)
		return;
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0)
		goto out_saved;
	if (dup2(pipefd[1], fd) < 0)
		goto out_pipe;
	memset(&msg, 0, sizeof(msg));
	msg.in.len = sizeof(msg);
	msg.in.opcode = FUSE_BMAP;
	msg.in.nodeid = FUSE_ROOT_ID;
	/* At most as many as a 64 KiB pipe holds, a pair per round. */
	for (i = 0; i < 1024; i++) {
		/* Odd: never the unique of a request the kernel sent. */
		msg.in.unique = UINT64_MAX - 2 * i;
		fuse_session_process_buf(se, &buf);
		n = read(pipefd[0], out, sizeof(out));
		if (n <= (ssize_t)sizeof(out[0]))
			break;
	}
	dup2(saved, fd);
out_pipe:
	close(pipefd[0]);
	close(pipefd[1]);
out_saved:
	close(saved);
}

int
main(int argc, char *argv[])
{
	struct fuse_args		args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts	cmd = { 0 };
	struct fuse_lowlevel_ops	ops = xfbfs_ll_ops;
	struct xfbfs_cmdline		c = { 0 };
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
	if (fuse_opt_parse(&args, &c, xfbfs_opt_spec, xfbfs_opt_proc) != 0)
		goto out_args;
	if (c.nr_nonopt &&
	    xfbfs_add_mountpoint(&args, c.nonopt[c.nr_nonopt - 1]))
		goto out_args;
	if (fuse_parse_cmdline(&args, &cmd) != 0)
		goto out_args;
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
		fprintf(stderr, "usage: %s [options] [SOURCE] MOUNTPOINT "
			"(--help for more)\n", argv[0]);
		goto out_args;
	}
	xfbfs.opts = c.fs;
	if (xfbfs_check_opts(&xfbfs.opts) || xfbfs_check_threads(&cmd))
		goto out_args;
	if (xfbfs_is_xfbtreefs_mount(cmd.mountpoint)) {
		fprintf(stderr, "xfbtreefs: %s is already an xfbtreefs mount; "
			"unmount it first (fusermount3 -u %s)\n",
			cmd.mountpoint, cmd.mountpoint);
		goto out_args;
	}
	if (c.log_path && xfbfs_log_open(c.log_path))
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
	xfbfs_log_route(cmd.foreground);
	fuse_daemonize(cmd.foreground);

	if (cmd.singlethread)
		ret = fuse_session_loop(se);
	else
		ret = xfbfs_loop_mt(se, &cmd);
	/*
	 * A positive value is the signal (SIGTERM, SIGINT, SIGHUP) that
	 * asked us to stop: a clean unmount like any other, so exit 0.
	 */
	if (ret > 0) {
		xfbfs_log(LOG_INFO, "signal %d: unmounting", ret);
		ret = 0;
	}
	/*
	 * ECONNABORTED is how the kernel may end the connection when the
	 * last user of a lazily unmounted mount goes away (or when root
	 * writes to /sys/fs/fuse/connections/N/abort); libfuse reports it
	 * as an error, but for us it is an unmount like any other.
	 */
	if (ret == -ECONNABORTED) {
		xfbfs_log(LOG_INFO, "connection ended by the kernel");
		ret = 0;
	}
	xfbfs_drain_interrupts(se);
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
	xfbfs_log_close();
	free(cmd.mountpoint);
	free(c.nonopt[0]);
	free(c.nonopt[1]);
	free(c.log_path);
	free(c.fs.max_memory_str);
	free(c.fs.tmpdir);
	fuse_opt_free_args(&args);
	return ret ? 1 : 0;
}
