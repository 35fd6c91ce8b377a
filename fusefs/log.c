// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c: where the daemon's log lines go.
 *
 * One destination for the life of the process, chosen before the session
 * serves its first request:
 *
 *	-o log=FILE          every line appended to FILE, with its time
 *	-f (foreground)      stderr
 *	otherwise            syslog; libfuse's own messages follow
 *
 * In the background with neither log=FILE nor a syslog listener, the
 * mount says so on stderr before it daemonizes: the reasons are then only
 * in each btree's `errors` file.
 *
 * This is the daemon's one piece of process-wide state, because the
 * library's log hook (xbt_set_log_fn()) carries no context and syslog is
 * per process anyway.  It is written before the first request and only
 * read after, so threads read it without a lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fusefs/xfbfs.h"

/*
 * Where log lines go.  Set before the first request and never after, so
 * threads read them without a lock; lines to the file are each one
 * write() on an O_APPEND descriptor and never interleave.
 */
enum xfbfs_log_dest {
	XFBFS_LOG_STDERR,	/* until mounted, and with -f */
	XFBFS_LOG_SYSLOG,	/* in the background */
	XFBFS_LOG_FILE,		/* -o log=FILE, from the start */
};
static enum xfbfs_log_dest xfbfs_log_dest = XFBFS_LOG_STDERR;
static int xfbfs_log_fd = -1;

/*
 * One line to the log file, made whole before it is written:
 *
 *	2026-12-06T03:53:11Z xfbtreefs[4242] warning: t: insert: line 1: ...
 *
 * (UTC, as in `errors`).  Longer messages are cut; trailing newlines
 * (libfuse ends its messages with one) become exactly one.
 */
static void
xfbfs_log_file(int prio, const char *fmt, va_list ap)
{
	static const char *const	level[] = {
		"emerg", "alert", "crit", "err",
		"warning", "notice", "info", "debug",
	};
	char				line[2048];
	struct timespec			now;
	struct tm			tm;
	size_t				len;
	int				n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line + len, sizeof(line) - len, " xfbtreefs[%d] %s: ",
		     (int)getpid(), level[LOG_PRI(prio)]);
	len += n;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len ?
		       (size_t)n : sizeof(line) - len - 1;
	while (line[len - 1] == '\n')
		len--;
	line[len++] = '\n';	/* len was at most sizeof(line) - 1 */
	if (write(xfbfs_log_fd, line, len) < 0) {
		/* Nowhere left to say it; the reason is in `errors`. */
	}
}

/* One log line, to wherever xfbfs_log_dest says. */
static void
xfbfs_vlog(int prio, const char *fmt, va_list ap)
{
	switch (xfbfs_log_dest) {
	case XFBFS_LOG_FILE:
		xfbfs_log_file(prio, fmt, ap);
		break;
	case XFBFS_LOG_SYSLOG:
		vsyslog(prio, fmt, ap);
		break;
	case XFBFS_LOG_STDERR:
		flockfile(stderr);
		fputs("xfbtreefs: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
		break;
	}
}

void
xfbfs_log(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	xfbfs_vlog(prio, fmt, ap);
	va_end(ap);
}

/* libfuse's messages, in the background: its levels are syslog's. */
static void
xfbfs_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	xfbfs_vlog((int)level, fmt, ap);
}

/*
 * Would syslog(3) reach a logger?  glibc sends to the socket _PATH_LOG
 * (/dev/log) as a datagram, or else as a stream; with no listener there
 * every line is dropped.
 */
static bool
xfbfs_syslog_is_reachable(void)
{
	static const int	types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	bool			ok = false;
	unsigned int		i;
	int			fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", _PATH_LOG);
	for (i = 0; i < 2 && !ok; i++) {
		fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(fd);
	}
	return ok;
}

/*
 * -o log=FILE: append to FILE (made 0600 if new).  O_NONBLOCK so that a
 * FIFO without a reader is refused (ENXIO) and a full one drops lines
 * instead of stalling the daemon; regular files ignore it.  0 or -errno
 * (said why on stderr).
 */
int
xfbfs_log_open(const char *path)
{
	int	error;

	xfbfs_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			    O_NOCTTY | O_NONBLOCK, 0600);
	if (xfbfs_log_fd < 0) {
		error = -errno;
		fprintf(stderr, "xfbtreefs: log file %s: %s\n", path,
			strerror(-error));
		return error;
	}
	xfbfs_log_dest = XFBFS_LOG_FILE;
	return 0;
}

void
xfbfs_engine_log(const char *msg)
{
	xfbfs_log(LOG_ERR, "%s", msg);
}

/*
 * After mounting, before daemonizing: where the log goes from now on.
 * In the background with neither log=FILE nor a syslog listener, say on
 * stderr (the last moment it reaches anyone) that the log is lost.
 */
void
xfbfs_log_route(bool foreground)
{
	if (foreground)
		return;
	fuse_set_log_func(xfbfs_fuse_log);
	if (xfbfs_log_dest == XFBFS_LOG_FILE)
		return;
	openlog("xfbtreefs", LOG_PID, LOG_DAEMON);
	xfbfs_log_dest = XFBFS_LOG_SYSLOG;
	if (!xfbfs_syslog_is_reachable())
		fprintf(stderr, "xfbtreefs: warning: no syslog listening on "
			"%s and no -o log=FILE: log lines will be lost; each "
			"btree's errors file still has the reasons\n",
			_PATH_LOG);
}
void
xfbfs_log_close(void)
{
	if (xfbfs_log_fd >= 0)
		close(xfbfs_log_fd);
	xfbfs_log_fd = -1;
}
