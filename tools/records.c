// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * records.c: the subcommands that change a btree: new, insert, delete
 * and load.
 *
 *	xfbt new DIR [kv|rmap|refcount]
 *	xfbt insert DIR [FILE...]      (stdin when no FILE, or for "-")
 *	xfbt delete DIR [FILE...]
 *	xfbt load DIR [FILE...]
 *
 * The feed.  Lines go to the btree's file in writes of whole lines, at
 * most XFBT_WRITE_MAX bytes each, from a page-aligned buffer, so that the
 * kernel passes each write as one request and each request is one
 * transaction of the daemon:
 *
 *	input:  | line | line | ... | line | line | ... | li|ne | ...
 *	buf:    [ line  line  ...  line ][ln]            one read or more
 *	write:  [ line  line  ...  line ]                up to the last '\n'
 *	kept:                            [ln] + next read
 *
 * A write never holds lines of two input files, and a file's last line
 * without a newline gets one (the daemon would take it as a last line at
 * close anyway).  For each write the feed knows the input and line
 * number it starts at, so the daemon's "line N" (of its write) becomes
 * FILE:LINE; and it counts the records (lines neither blank nor
 * comments) of the writes that took, so that a refusal can say how many
 * went in before it.
 *
 * Then fsync and close, each checked: fsync is when `load` commits.  On
 * a failure, the reasons of our pid in `errors` go to stderr (see
 * xfbt_reasons in xfbt.h), and a last line says what changed.
 *
 * Progress: `load` on a terminal draws the daemon's load counters
 * (`load_staged`, `load_sorted`, `load_built` in `stats`) four times a
 * second from a thread of its own, which only reads; every write, fsync
 * and close stays on the main thread, whose pid is the one the daemon
 * records (FUSE passes the thread's id).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "tools/xfbt.h"

#define XFBT_FUSE_MAGIC		0x65735546	/* statfs f_type of FUSE */
#define XFBT_PROGRESS_NS	250000000L	/* between progress lines */

/* What a writer subcommand writes to, and how it words its outcome. */
struct xfbt_writer {
	const char	*file;		/* insert, delete, load */
	const char	*done;		/* "inserted", "deleted" */
};

/* The state of one feed of lines into an open btree file. */
struct xfbt_feed {
	const struct xfbt_writer *w;
	const char	*dir;		/* as the user wrote it */
	int		fd;		/* the btree's file, open for writing */
	struct xfbt_reasons reasons;
	char		*buf;		/* XFBT_WRITE_MAX bytes, page-aligned */
	size_t		len;		/* bytes in buf */

	const char	*src;		/* the input: "stdin" or its name */
	uint64_t	line;		/* input line number of buf[0] */

	uint64_t	writes;		/* writes that took */
	uint64_t	records;	/* records in them */
	uint64_t	sent;		/* the same, atomic, for progress */
	int		error;		/* of the write that failed */
	const char	*fail_src;	/* where that write began */
	uint64_t	fail_line;
};

/* ---- counting and writing -------------------------------------------- */

/*
 * Count the lines and the records (lines that are neither blank nor
 * comments, as the daemon reads them) in @n bytes at @p.
 */
static void
xfbt_count(const char *p, size_t n, uint64_t *linesp, uint64_t *recsp)
{
	const char	*end = p + n, *eol, *q;
	uint64_t	lines = 0, recs = 0;

	while (p < end) {
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		for (q = p; q < eol && (*q == ' ' || *q == '\t'); q++)
			;
		if (q < eol && *q != '#')
			recs++;
		lines++;
		p = eol + 1;
	}
	*linesp = lines;
	*recsp = recs;
}

/* Write the first @n bytes of the buffer: one transaction.  0 or -errno. */
static int
xfbt_feed_write(struct xfbt_feed *f, size_t n)
{
	uint64_t	lines, recs;
	int		error;

	xfbt_count(f->buf, n, &lines, &recs);
	error = xfbt_write_all(f->fd, f->buf, n);
	if (error) {
		f->error = error;
		f->fail_src = f->src;
		f->fail_line = f->line;
		return error;
	}
	f->writes++;
	f->records += recs;
	__atomic_store_n(&f->sent, f->records, __ATOMIC_RELAXED);
	f->line += lines;
	memmove(f->buf, f->buf + n, f->len - n);
	f->len -= n;
	return 0;
}

/*
 * Feed all of input @in (named @src) to the btree.  Returns 0, -errno
 * from a write (f->error set), or XFBT_EXIT_ERROR after saying why the
 * input could not be read.
 */
static int
xfbt_feed_input(struct xfbt_feed *f, int in, const char *src)
{
	bool		eof = false;
	const char	*nl;
	size_t		cut;
	ssize_t		n;
	int		error;

	f->src = src;
	f->line = 1;
	f->len = 0;
	for (;;) {
		while (!eof && f->len < XFBT_WRITE_MAX) {
			n = read(in, f->buf + f->len, XFBT_WRITE_MAX - f->len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				xfbt_say_errno(src, -errno);
				return XFBT_EXIT_ERROR;
			}
			if (n == 0)
				eof = true;
			f->len += n;
		}
		if (eof && f->len && f->buf[f->len - 1] != '\n' &&
		    f->len < XFBT_WRITE_MAX)
			f->buf[f->len++] = '\n';
		if (!f->len)
			return 0;
		/*
		 * Up to the last newline; a full buffer with none is one
		 * line too long for any btree: send it, the daemon says so.
		 */
		cut = f->len;
		if (f->buf[f->len - 1] != '\n') {
			nl = memrchr(f->buf, '\n', f->len);
			if (nl)
				cut = nl + 1 - f->buf;
		}
		error = xfbt_feed_write(f, cut);
		if (error)
			return error;
		if (eof && !f->len)
			return 0;
	}
}

/* Feed every FILE operand (stdin if none), in order.  As above. */
static int
xfbt_feed_all(struct xfbt_feed *f, int nfiles, char **files)
{
	const char	*name;
	int		i, in, error;

	if (!nfiles)
		return xfbt_feed_input(f, STDIN_FILENO, "stdin");
	for (i = 0; i < nfiles; i++) {
		name = files[i];
		f->src = name;		/* for a file that cannot be opened */
		if (!strcmp(name, "-")) {
			error = xfbt_feed_input(f, STDIN_FILENO, "stdin");
		} else {
			in = open(name, O_RDONLY | O_CLOEXEC);
			if (in < 0) {
				xfbt_say_errno(name, -errno);
				return XFBT_EXIT_ERROR;
			}
			error = xfbt_feed_input(f, in, name);
			close(in);
		}
		if (error)
			return error;
	}
	return 0;
}

/* ---- reporting ------------------------------------------------------- */

/*
 * A reason of the daemon about our failed step: "FILE: line N: why"
 * becomes "SRC:LINE: why", LINE counted in the input; "FILE: why" (a
 * load's commit) becomes "DIR: why".
 */
static void
xfbt_feed_reason(const char *text, void *priv)
{
	struct xfbt_feed	*f = priv;
	size_t			flen = strlen(f->w->file);
	unsigned long long	n;
	char			*end;

	if (strncmp(text, f->w->file, flen) || strncmp(text + flen, ": ", 2)) {
		xfbt_say("%s: %s", f->dir, text);
		return;
	}
	text += flen + 2;
	if (!strncmp(text, "line ", 5)) {
		n = strtoull(text + 5, &end, 10);
		if (n > 0 && !strncmp(end, ": ", 2)) {
			xfbt_say("%s:%llu: %s", f->fail_src,
				 (unsigned long long)f->fail_line + n - 1,
				 end + 2);
			return;
		}
	}
	xfbt_say("%s: %s", f->dir, text);
}

/* "record" or "records", for @n of them. */
static const char *
xfbt_plural(uint64_t n)
{
	return n == 1 ? "record" : "records";
}

/* Is the btree directory still there (not removed, the mount alive)? */
static bool
xfbt_btree_alive(int dfd)
{
	struct stat	st;

	return fstatat(dfd, "stats", &st, 0) == 0;
}

/*
 * After a failed step of insert or delete (@what: "write", "fsync",
 * "close"): the reasons, then what went in.  Returns the exit status.
 */
static int
xfbt_feed_failed(struct xfbt_feed *f, const char *what, int error)
{
	int	status = xfbt_status(error);

	if (!xfbt_reasons_take(&f->reasons, xfbt_feed_reason, f) &&
	    strcmp(what, "write"))
		xfbt_say("%s: %s of %s: %s%s", f->dir, what, f->w->file,
			 strerror(-error), xfbt_hint(error));
	if (!xfbt_btree_alive(f->reasons.dfd)) {
		xfbt_say("%s: the btree is gone (%s)", f->dir,
			 strerror(-error));
		return XFBT_EXIT_ERROR;
	}
	if (strcmp(what, "write"))
		return status;
	if (!f->records)
		xfbt_say("%s: nothing %s, %s is as it was: %s%s", f->dir,
			 f->w->done, f->dir, strerror(-error),
			 xfbt_hint(error));
	else
		xfbt_say("%s: %llu %s %s before %s:%llu, none from there "
			 "on: %s%s", f->dir, (unsigned long long)f->records,
			 xfbt_plural(f->records), f->w->done, f->fail_src,
			 (unsigned long long)f->fail_line, strerror(-error),
			 xfbt_hint(error));
	return status;
}

static int
xfbt_feed_init(struct xfbt_feed *f, const struct xfbt_writer *w,
		const char *dir, int dfd)
{
	memset(f, 0, sizeof(*f));
	f->w = w;
	f->dir = dir;
	f->fd = -1;
	return xfbt_open_file(dfd, dir, w->file, O_WRONLY, XFBT_WRITE_MAX,
			      &f->buf, &f->reasons, &f->fd);
}

static void
xfbt_feed_release(struct xfbt_feed *f)
{
	xfbt_close_file(f->fd, &f->reasons, f->buf);
}

/* ---- insert and delete ------------------------------------------------ */

static const struct xfbt_writer xfbt_insert_writer = { "insert", "inserted" };
static const struct xfbt_writer xfbt_delete_writer = { "delete", "deleted" };

/* insert or delete: feed, fsync, close, each step checked. */
static int
xfbt_change_main(const struct xfbt_writer *w, int argc, char **argv)
{
	struct xfbt_feed	f;
	int			first, dfd, status, error;

	if (!xfbt_begin(argc, argv, 1, -1, &first, &dfd, &status))
		return status;
	status = xfbt_feed_init(&f, w, argv[first], dfd);
	if (status)
		goto out_close_dir;

	error = xfbt_feed_all(&f, argc - first - 1, argv + first + 1);
	if (error > 0) {
		/* The input failed (said already): what went in before? */
		if (f.writes)
			xfbt_say("%s: %llu %s %s before %s, none from "
				 "there on", f.dir,
				 (unsigned long long)f.records,
				 xfbt_plural(f.records), w->done, f.src);
		status = error;
		goto out_release;
	}
	if (error) {
		status = xfbt_feed_failed(&f, "write", error);
		goto out_release;
	}
	if (fsync(f.fd) < 0) {
		status = xfbt_feed_failed(&f, "fsync", -errno);
		goto out_release;
	}
	error = close(f.fd) < 0 ? -errno : 0;
	f.fd = -1;
	if (error)
		status = xfbt_feed_failed(&f, "close", error);
out_release:
	xfbt_feed_release(&f);
out_close_dir:
	close(dfd);
	return status;
}

int
xfbt_insert_main(int argc, char **argv)
{
	return xfbt_change_main(&xfbt_insert_writer, argc, argv);
}

int
xfbt_delete_main(int argc, char **argv)
{
	return xfbt_change_main(&xfbt_delete_writer, argc, argv);
}

/* ---- load and its progress -------------------------------------------- */

static const struct xfbt_writer xfbt_load_writer = { "load", "loaded" };

struct xfbt_progress {
	pthread_t	thread;
	pthread_mutex_t	lock;
	pthread_cond_t	cond;		/* CLOCK_MONOTONIC */
	bool		stop;		/* lock */
	bool		committing;	/* atomic: the fsync has begun */
	struct xfbt_feed *feed;
	struct timespec	start;		/* immutable once running */
};

static double
xfbt_since(const struct timespec *t)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* One of the daemon's load counters; 0 if it is not there. */
static unsigned long long
xfbt_counter(const char *stats, const char *name)
{
	const char	*v;
	size_t		len;

	v = xfbt_stat_find(stats, name, &len);
	return v ? strtoull(v, NULL, 10) : 0;
}

/* Draw one progress line over the last one. */
static void
xfbt_progress_draw(struct xfbt_progress *p)
{
	struct xfbt_feed	*f = p->feed;
	unsigned long long	staged, sorted, built;
	double			t = xfbt_since(&p->start);
	char			*stats;
	size_t			len;

	if (xfbt_read_at(f->reasons.dfd, "stats", &stats, &len))
		return;
	staged = xfbt_counter(stats, "load_staged");
	sorted = xfbt_counter(stats, "load_sorted");
	built = xfbt_counter(stats, "load_built");
	free(stats);
	if (!__atomic_load_n(&p->committing, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "\rload %s: %llu records staged, "
			"%.0f records/s, %.1f s\033[K", f->dir, staged,
			t > 0 ? staged / t : 0.0, t);
	} else {
		/* The rate of the whole load so far: staging, then sorting
		 * and building (see the summary). */
		fprintf(stderr, "\rload %s: %llu staged, %llu sorted, "
			"%llu built, %.0f records/s, %.1f s\033[K", f->dir,
			(unsigned long long)f->records, sorted, built,
			t > 0 ? f->records / t : 0.0, t);
	}
	fflush(stderr);
}

static void *
xfbt_progress_thread(void *arg)
{
	struct xfbt_progress	*p = arg;
	struct timespec		next;

	pthread_mutex_lock(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!p->stop) {
		next.tv_nsec += XFBT_PROGRESS_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &next);
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->lock);
		xfbt_progress_draw(p);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start drawing progress (when stderr is a terminal).  true if started. */
static bool
xfbt_progress_start(struct xfbt_progress *p, struct xfbt_feed *f)
{
	pthread_condattr_t	ca;

	memset(p, 0, sizeof(*p));
	p->feed = f;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	if (xfbt_quiet || !isatty(STDERR_FILENO))
		return false;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&p->thread, NULL, xfbt_progress_thread, p)) {
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		return false;	/* no progress, the load goes on */
	}
	__atomic_store_n(&xfbt_progress_shown, true, __ATOMIC_RELAXED);
	return true;
}

static void
xfbt_progress_committing(struct xfbt_progress *p)
{
	__atomic_store_n(&p->committing, true, __ATOMIC_RELEASE);
}

/* Stop the thread and clear its line. */
static void
xfbt_progress_stop(struct xfbt_progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	__atomic_store_n(&xfbt_progress_shown, false, __ATOMIC_RELAXED);
	fprintf(stderr, "\r\033[K");
}

/*
 * A failed load: the reasons, and that nothing changed (a load replaces
 * the btree in one step, or not at all).
 */
static int
xfbt_load_failed(struct xfbt_feed *f, const char *what, int error)
{
	if (!xfbt_reasons_take(&f->reasons, xfbt_feed_reason, f))
		xfbt_say("%s: %s of load: %s%s", f->dir, what,
			 strerror(-error), xfbt_hint(error));
	if (!xfbt_btree_alive(f->reasons.dfd)) {
		xfbt_say("%s: the btree is gone (%s)", f->dir,
			 strerror(-error));
		return XFBT_EXIT_ERROR;
	}
	xfbt_say("%s: nothing loaded, %s is as it was: %s%s", f->dir, f->dir,
		 strerror(-error), xfbt_hint(error));
	return xfbt_status(error);
}

int
xfbt_load_main(int argc, char **argv)
{
	struct xfbt_progress	p;
	struct xfbt_feed	f;
	bool			shown;
	double			t;
	int			first, dfd, status, error;

	if (!xfbt_begin(argc, argv, 1, -1, &first, &dfd, &status))
		return status;
	status = xfbt_feed_init(&f, &xfbt_load_writer, argv[first], dfd);
	if (status)
		goto out_close_dir;
	shown = xfbt_progress_start(&p, &f);

	error = xfbt_feed_all(&f, argc - first - 1, argv + first + 1);
	/*
	 * No input at all still replaces the btree, by nothing: a blank
	 * line is a write, and a write is what makes the commit happen.
	 */
	if (!error && !f.writes) {
		f.fail_src = "(no input)";
		error = xfbt_write_all(f.fd, "\n", 1);
	}
	if (error) {
		if (shown)
			xfbt_progress_stop(&p);
		if (error > 0) {
			status = error;
		} else {
			/* Note the write's reason before the close adds
			 * its own ("an earlier write failed"). */
			status = xfbt_load_failed(&f, "write", error);
			close(f.fd);
			f.fd = -1;
			xfbt_reasons_take(&f.reasons, NULL, NULL);
		}
		goto out_release;
	}
	if (shown)
		xfbt_progress_committing(&p);
	error = fsync(f.fd) < 0 ? -errno : 0;
	if (!error)
		error = close(f.fd) < 0 ? -errno : 0;
	else
		close(f.fd);
	f.fd = -1;
	if (shown)
		xfbt_progress_stop(&p);
	if (error) {
		status = xfbt_load_failed(&f, "commit", error);
		goto out_release;
	}
	if (shown) {
		t = xfbt_since(&p.start);
		xfbt_say("%s: %llu records loaded in %.2f s (%.0f records/s)",
			 f.dir, (unsigned long long)f.records, t,
			 t > 0 ? f.records / t : 0.0);
	}
out_release:
	xfbt_feed_release(&f);
out_close_dir:
	close(dfd);
	return status;
}

/* ---- new ------------------------------------------------------------- */

/* Does @dir have the files of a btree directory? */
static bool
xfbt_is_btree_path(const char *dir)
{
	char	*path;
	bool	yes;

	if (asprintf(&path, "%s/stats", dir) < 0)
		return false;
	yes = access(path, R_OK) == 0;
	free(path);
	return yes;
}

/* Write @type to @dir/type (a fresh, empty btree).  0 or -errno. */
static int
xfbt_set_type(const char *dir, const char *type)
{
	char	*path, text[16];
	int	fd, error;

	if (asprintf(&path, "%s/type", dir) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	snprintf(text, sizeof(text), "%s\n", type);
	error = xfbt_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && !error)
		error = -errno;
	return error;
}

/* The directory @path is in, as a new string (NULL: no memory). */
static char *
xfbt_parent(const char *path)
{
	char	*p = strdup(path), *slash;
	size_t	n;

	if (!p)
		return NULL;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	slash = strrchr(p, '/');
	if (!slash)
		strcpy(p, ".");
	else if (slash == p)
		p[1] = '\0';
	else
		*slash = '\0';
	return p;
}

/*
 * Is the directory that will hold @dir the root of a FUSE mount (what an
 * xfbtreefs root looks like from outside)?  0, or XFBT_EXIT_ERROR after
 * saying why not: never mkdir on another file system.
 */
static int
xfbt_check_root(const char *dir)
{
	struct statfs	sf;
	struct stat	st;
	char		*parent;
	int		status = XFBT_EXIT_ERROR;

	parent = xfbt_parent(dir);
	if (!parent) {
		xfbt_say_errno("memory", -ENOMEM);
		return status;
	}
	if (statfs(parent, &sf) < 0 || stat(parent, &st) < 0) {
		xfbt_say_errno(parent, -errno);
		goto out_free;
	}
	if (sf.f_type != XFBT_FUSE_MAGIC || st.st_ino != 1) {
		xfbt_say("%s: not the root of an xfbtreefs mount", parent);
		goto out_free;
	}
	status = 0;
out_free:
	free(parent);
	return status;
}

int
xfbt_new_main(int argc, char **argv)
{
	static const char *const types[] = { "kv", "rmap", "refcount" };
	const char	*dir, *type = NULL;
	unsigned int	i;
	int		first, status, error;

	if (!xfbt_begin(argc, argv, 1, 2, &first, NULL, &status))
		return status;
	dir = argv[first];
	if (argc - first == 2) {
		for (i = 0; i < 3 && strcmp(argv[first + 1], types[i]); i++)
			;
		if (i == 3) {
			xfbt_say("no type '%s' (kv, rmap or refcount)",
				 argv[first + 1]);
			return xfbt_usage();
		}
		type = types[i];
	}
	status = xfbt_check_root(dir);
	if (status)
		return status;

	if (mkdir(dir, 0755) < 0) {
		error = -errno;
		xfbt_say_errno(dir, error);
		/* A name taken or refused is a no; the rest is trouble. */
		return error == -EEXIST || error == -EINVAL ||
		       error == -ENAMETOOLONG || error == -EPERM ?
		       XFBT_EXIT_NO : XFBT_EXIT_ERROR;
	}
	/* Another FUSE file system's root passes xfbt_check_root(). */
	if (!xfbt_is_btree_path(dir)) {
		xfbt_say("%s: made, but it is no btree directory (is the "
			 "mount an xfbtreefs?)", dir);
		goto out_rmdir;
	}
	if (type && strcmp(type, "kv")) {
		error = xfbt_set_type(dir, type);
		if (error) {
			xfbt_say("%s/type: %s%s", dir, strerror(-error),
				 xfbt_hint(error));
			goto out_rmdir;
		}
	}
	return XFBT_EXIT_OK;

out_rmdir:
	rmdir(dir);		/* no half-made btree left */
	return XFBT_EXIT_ERROR;
}
