// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan_bt.c: the xfbtreefs side of `xfbt scan`: the btree directories
 * NAME.agN.rmap and NAME.agN.refcount, and every file of theirs the scan
 * uses.
 *
 *	load      a whole group at once: the records, then close(); the
 *	          daemon sorts and bulk-builds them and swaps the btree in
 *	          at that close, which reports any failure.  A comment line
 *	          goes first, so that a group with no records still empties
 *	          the btree (a load of nothing changes nothing).
 *	insert    one write() = one transaction (the live hooks)
 *	delete    the same; whole records, so the match is exact
 *	lookup    "range LOW HIGH": every record meeting those blocks
 *	records   every record, for --compare
 *
 * Record text is the mount's: `START LEN OWNER OFFSET [FLAGS]` (flags
 * `attr`, `unwritten`) and `START LEN REFCOUNT`, decimal.  A write that
 * fails gets its errno and the btree's last `errors` line in the
 * message.  A write larger than SCAN_BT_WRITE_MAX is cut at a line end
 * (the kernel would cut it anyway, at 1 MiB, into separate transactions).
 *
 * While a load file is open, SIGINT, SIGTERM and SIGHUP are blocked:
 * the close that a killed process gets from the kernel would commit a
 * half-written load.  (--live blocks them for good and reads them from
 * a signalfd.)
 *
 * Callers serialise access to one struct scan_bt (ctx->lock, or the
 * loading thread while the group is staging).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "tools/scan.h"
#include "tools/xfbt.h"

/* Largest single write (one transaction), and the load's buffer. */
#define SCAN_BT_WRITE_MAX	(1U << 20)
#define SCAN_BT_LOAD_BUF	(256U << 10)
/* The longest line we write or read. */
#define SCAN_BT_LINE_MAX	128
/* FUSE's statfs magic: NAME must live on a FUSE mount. */
#define SCAN_FUSE_MAGIC		0x65735546

/* Formats record @i of @recs at @buf; returns the line's length. */
typedef size_t (*scan_fmt_fn)(const void *recs, size_t i, char *buf);

static size_t
scan_fmt_rmap(const void *recs, size_t i, char *buf)
{
	const struct scan_rec	*r = (const struct scan_rec *)recs + i;
	static const char	*const flags[] = {
		"", " attr", " unwritten", " attr,unwritten",
	};

	return sprintf(buf, "%" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu64
		       "%s\n", r->agbno, r->len, r->owner, r->offset,
		       flags[r->flags & 3]);
}

static size_t
scan_fmt_refc(const void *recs, size_t i, char *buf)
{
	const struct scan_refc	*r = (const struct scan_refc *)recs + i;

	return sprintf(buf, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n",
		       r->agbno, r->len, r->refcount);
}

/* Print progress on a terminal: at most ten times a second, or @last. */
void
scan_progress(struct scan_ctx *ctx, bool last, const char *fmt, ...)
{
	static struct timespec	prev;
	struct timespec		now;
	va_list			ap;

	if (!ctx->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && (now.tv_sec - prev.tv_sec) * 1000000000L +
		     (now.tv_nsec - prev.tv_nsec) < 100000000L)
		return;
	prev = now;
	fputs("\r" SCAN_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(last ? "\033[K\n" : "\033[K", stderr);
	fflush(stderr);
}

/*
 * Read all of file @dir/@file (or of @fd if >= 0) into a new buffer,
 * NUL-terminated (xfbt_read_at(), xfbt_read_fd()).
 */
static int
scan_bt_slurp(int fd, const char *dir, const char *file, char **bufp)
{
	char	path[PATH_MAX];
	size_t	len;

	*bufp = NULL;
	if (fd >= 0)
		return xfbt_read_fd(fd, bufp, &len);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return xfbt_read_at(AT_FDCWD, path, bufp, &len);
}

/* The btree's newest `errors` line, for a message ("" if none). */
static void
scan_bt_last_error(const struct scan_bt *bt, char *out, size_t size)
{
	char	*buf, *end, *line;

	*out = 0;
	if (scan_bt_slurp(-1, bt->dir, "errors", &buf))
		return;
	end = buf + strlen(buf);
	while (end > buf && end[-1] == '\n')
		*--end = 0;
	line = strrchr(buf, '\n');
	snprintf(out, size, " (%s)", line ? line + 1 : buf);
	if (!*buf)
		*out = 0;
	free(buf);
}

/* Report a failed @what on @bt with the daemon's reason. */
static void
scan_bt_fail(const struct scan_bt *bt, const char *what, int error)
{
	char	reason[512];

	scan_bt_last_error(bt, reason, sizeof(reason));
	scan_msg("%s: %s: %s%s", bt->dir, what, strerror(-error), reason);
}

/*
 * Write all of @buf to @fd in chunks of at most @max bytes, cut at '\n'
 * (each written whole by xfbt_write_all()).
 */
static int
scan_bt_write_lines(int fd, const char *buf, size_t len, size_t max)
{
	size_t	chunk;
	int	error;

	while (len) {
		chunk = len;
		if (chunk > max) {
			chunk = max;
			while (chunk && buf[chunk - 1] != '\n')
				chunk--;
			if (!chunk)
				return -EINVAL;
		}
		error = xfbt_write_all(fd, buf, chunk);
		if (error)
			return error;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* Contents of `type` without the newline, or "" on error. */
static void
scan_bt_type(const struct scan_bt *bt, char *type, size_t size)
{
	char	*buf;

	*type = 0;
	if (scan_bt_slurp(-1, bt->dir, "type", &buf))
		return;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(type, size, "%s", buf);
	free(buf);
}

/* Is @path in a FUSE mount (the daemon's)?  0, or -errno after a message. */
static int
scan_bt_check_mount(const char *path)
{
	struct statfs	sfs;
	char		*parent;
	int		error;

	parent = scan_dirname(path);
	if (!parent)
		return -ENOMEM;
	error = statfs(parent, &sfs) ? -errno : 0;
	if (!error && sfs.f_type != SCAN_FUSE_MAGIC)
		error = -ENOTDIR;
	if (error)
		scan_msg("%s: not in an xfbtreefs mount (%s)", path,
			 error == -ENOTDIR ? "not a FUSE filesystem" :
			 strerror(-error));
	free(parent);
	return error;
}

/*
 * Make sure btree NAME.ag@agno.@type exists in the mount and has type
 * @type ("rmap" or "refcount"): create it, or take over one of that type
 * (its records will be replaced by the load), or retype an empty one.
 * Returns 0 or a negative errno after a message; either way @bt is to
 * be released with scan_bt_release().
 */
int
scan_bt_prepare(struct scan_bt *bt, const char *name, uint32_t agno,
		const char *type)
{
	char	have[32], path[PATH_MAX];
	int	fd, error;

	bt->insert_fd = bt->delete_fd = bt->lookup_fd = -1;
	if (asprintf(&bt->dir, "%s.ag%" PRIu32 ".%s", name, agno, type) < 0) {
		bt->dir = NULL;
		return -ENOMEM;
	}
	error = scan_bt_check_mount(bt->dir);
	if (error)
		return error;
	if (mkdir(bt->dir, 0755) && errno != EEXIST) {
		error = -errno;
		scan_msg("%s: cannot create the btree: %s", bt->dir,
			 strerror(errno));
		return error;
	}
	scan_bt_type(bt, have, sizeof(have));
	if (!strcmp(have, type))
		return 0;
	if (!*have) {
		scan_msg("%s: exists but is no xfbtreefs btree", bt->dir);
		return -ENOTDIR;
	}

	/* Another type: only an empty btree takes a new one (else EBUSY). */
	snprintf(path, sizeof(path), "%s/type", bt->dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		error = -errno;
		goto out_refused;
	}
	error = scan_bt_write_lines(fd, type, strlen(type), 64);
	close(fd);
	if (!error)
		return 0;
out_refused:
	scan_msg("%s: is a %s btree with records; remove it or choose another "
		 "NAME (%s)", bt->dir, have, strerror(-error));
	return error;
}

/* Close @bt's open files and forget it; a bt never prepared is left. */
void
scan_bt_release(struct scan_bt *bt)
{
	if (!bt->dir)
		return;		/* never prepared */
	if (bt->insert_fd >= 0)
		close(bt->insert_fd);
	if (bt->delete_fd >= 0)
		close(bt->delete_fd);
	if (bt->lookup_fd >= 0)
		close(bt->lookup_fd);
	bt->insert_fd = bt->delete_fd = bt->lookup_fd = -1;
	free(bt->dir);
	bt->dir = NULL;
}

/* Open @file of @bt into *@fdp once; 0 or -errno. */
static int
scan_bt_file(struct scan_bt *bt, const char *file, int flags, int *fdp)
{
	char	path[PATH_MAX];

	if (*fdp >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", bt->dir, file);
	*fdp = open(path, flags | O_CLOEXEC);
	return *fdp < 0 ? -errno : 0;
}

/* Blocks (or unblocks) the signals that would kill us mid-load. */
static void
scan_bt_block_signals(bool block, sigset_t *old)
{
	sigset_t	set;

	if (!block) {
		pthread_sigmask(SIG_SETMASK, old, NULL);
		return;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/*
 * Replace all of @bt's records with @n records from @recs through
 * `load`, formatting each with @fmt.  Then check that `stats` counts @n
 * records.
 */
static int
scan_bt_load(struct scan_ctx *ctx, struct scan_bt *bt, const void *recs,
		size_t n, scan_fmt_fn fmt)
{
	const char	*what = strrchr(bt->dir, '/') ?
				strrchr(bt->dir, '/') + 1 : bt->dir;
	char		path[PATH_MAX], *buf, *stats, *p;
	size_t		len, i;
	sigset_t	old;
	int		fd, error = 0;

	buf = malloc(SCAN_BT_LOAD_BUF);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/load", bt->dir);
	scan_bt_block_signals(true, &old);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		error = -errno;
		scan_bt_fail(bt, "load", error);
		goto out_signals;
	}
	len = sprintf(buf, "# xfbt scan: %s, %zu records\n", what, n);
	for (i = 0; i < n && !error; i++) {
		len += fmt(recs, i, buf + len);
		if (len > SCAN_BT_LOAD_BUF - SCAN_BT_LINE_MAX || i + 1 == n) {
			error = scan_bt_write_lines(fd, buf, len,
						    SCAN_BT_WRITE_MAX);
			len = 0;
			scan_progress(ctx, false, "loading %s: %zu of %zu "
				      "records", what, i + 1, n);
		}
	}
	if (!error && len)
		error = scan_bt_write_lines(fd, buf, len, SCAN_BT_WRITE_MAX);
	/* The close commits the load, or says why not. */
	if (close(fd) && !error)
		error = -errno;
	if (error) {
		scan_bt_fail(bt, "load", error);
		goto out_signals;
	}
	scan_progress(ctx, true, "loaded %s: %zu records", what, n);

	error = scan_bt_slurp(-1, bt->dir, "stats", &stats);
	if (error) {
		scan_bt_fail(bt, "stats", error);
		goto out_signals;
	}
	p = strstr(stats, "\nrecords ");
	if (!p || strtoull(p + 9, NULL, 10) != n) {
		scan_msg("%s: %zu records loaded but stats says %s", bt->dir,
			 n, p ? p + 9 : "nothing");
		error = -EIO;
	}
	free(stats);
out_signals:
	scan_bt_block_signals(false, &old);
	free(buf);
	return error;
}

/* Replace rmap btree @bt's records with @recs[0..@n): 0 or -errno. */
int
scan_bt_load_rmap(struct scan_ctx *ctx, struct scan_bt *bt,
		const struct scan_rec *recs, size_t n)
{
	return scan_bt_load(ctx, bt, recs, n, scan_fmt_rmap);
}

/* Replace refcount btree @bt's records with @recs[0..@n). */
int
scan_bt_load_refc(struct scan_ctx *ctx, struct scan_bt *bt,
		const struct scan_refc *recs, size_t n)
{
	return scan_bt_load(ctx, bt, recs, n, scan_fmt_refc);
}

/* One transaction of @n records on `insert` or `delete`. */
static int
scan_bt_txn(struct scan_bt *bt, bool delete, const void *recs, size_t n,
		scan_fmt_fn fmt)
{
	const char	*file = delete ? "delete" : "insert";
	int		*fdp = delete ? &bt->delete_fd : &bt->insert_fd;
	char		*buf;
	size_t		len = 0, i;
	int		error;

	if (!n)
		return 0;
	error = scan_bt_file(bt, file, O_WRONLY, fdp);
	if (error) {
		scan_bt_fail(bt, file, error);
		return error;
	}
	buf = malloc(n * SCAN_BT_LINE_MAX);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		len += fmt(recs, i, buf + len);
	error = scan_bt_write_lines(*fdp, buf, len, SCAN_BT_WRITE_MAX);
	if (error)
		scan_bt_fail(bt, file, error);
	free(buf);
	return error;
}

/*
 * Insert (or, if @delete, delete) rmap records @recs[0..@n) in one
 * transaction; nothing to do for @n == 0.  0 or -errno after a message.
 */
int
scan_bt_rmap_write(struct scan_bt *bt, bool delete,
		const struct scan_rec *recs, size_t n)
{
	return scan_bt_txn(bt, delete, recs, n, scan_fmt_rmap);
}

/* The same for refcount records. */
int
scan_bt_refc_write(struct scan_bt *bt, bool delete,
		const struct scan_refc *recs, size_t n)
{
	return scan_bt_txn(bt, delete, recs, n, scan_fmt_refc);
}

/*
 * Parse @n decimal numbers at *@pp into @v and move *@pp past them.  0,
 * or -EINVAL if one is missing or out of range.
 */
static int
scan_parse_nums(char **pp, unsigned long long *v, int n)
{
	char	*end;
	int	i;

	for (i = 0; i < n; i++) {
		errno = 0;
		v[i] = strtoull(*pp, &end, 10);
		if (end == *pp || errno)
			return -EINVAL;
		*pp = end;
	}
	return 0;
}

/* Parse one rmap line of group @agno into @r; 0 or -EINVAL. */
static int
scan_parse_rmap(char *line, uint32_t agno, struct scan_rec *r)
{
	unsigned long long	v[4];
	char			*p = line;

	if (scan_parse_nums(&p, v, 4) || v[0] > UINT32_MAX ||
	    v[1] > UINT32_MAX)
		return -EINVAL;
	r->agno = agno;
	r->agbno = v[0];
	r->len = v[1];
	r->owner = v[2];
	r->offset = v[3];
	r->flags = 0;
	p += strspn(p, " \t");
	while (*p) {
		size_t	n = strcspn(p, ",");

		if (n == 4 && !strncmp(p, "attr", 4))
			r->flags |= SCAN_REC_ATTR;
		else if (n == 9 && !strncmp(p, "unwritten", 9))
			r->flags |= SCAN_REC_UNWRITTEN;
		else
			return -EINVAL;	/* bmbt, or not ours */
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Parse one refcount line (shared domain only) into @r; 0 or -EINVAL. */
static int
scan_parse_refc(char *line, struct scan_refc *r)
{
	unsigned long long	v[3];
	char			*p = line;

	if (scan_parse_nums(&p, v, 3) || v[0] > UINT32_MAX ||
	    v[1] > UINT32_MAX || v[2] > UINT32_MAX)
		return -EINVAL;
	if (*p)
		return -EINVAL;		/* cow: not ours */
	r->agbno = v[0];
	r->len = v[1];
	r->refcount = v[2];
	return 0;
}

/*
 * Parse @text, lines of rmap (@refc false: records of group @agno) or
 * refcount records, appending them to @out (of struct scan_rec, or of
 * struct scan_refc).
 */
static int
scan_bt_parse(const struct scan_bt *bt, char *text, uint32_t agno, bool refc,
		struct xmem_array *out)
{
	char	*line, *next;
	void	*slot;
	int	error = 0;

	for (line = text; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		if (!*line || *line == '#')
			continue;
		error = xmem_array_reserve(out, 1);
		if (error)
			break;
		slot = xmem_array_at(out, out->len);
		error = refc ? scan_parse_refc(line, slot) :
			       scan_parse_rmap(line, agno, slot);
		if (error == -EINVAL)
			scan_msg("%s: unexpected record '%s'", bt->dir, line);
		if (error)
			break;
		xmem_array_push_reserved(out);
	}
	return error;
}

/*
 * Read @bt's file @file (through @fd if >= 0, else by name) and parse
 * its records into @out as scan_bt_parse() does.  A failed read is
 * reported as a failed @file.
 */
static int
scan_bt_read_records(struct scan_bt *bt, int fd, const char *file,
		uint32_t agno, bool refc, struct xmem_array *out)
{
	char	*text;
	int	error;

	error = scan_bt_slurp(fd, bt->dir, file, &text);
	if (error) {
		scan_bt_fail(bt, file, error);
		return error;
	}
	error = scan_bt_parse(bt, text, agno, refc, out);
	free(text);
	return error;
}

/* Ask `lookup` for "range @lo @hi" and parse the answer into @out. */
static int
scan_bt_range(struct scan_bt *bt, uint32_t agno, uint32_t lo, uint32_t hi,
		bool refc, struct xmem_array *out)
{
	char	q[64];
	size_t	len;
	int	error;

	error = scan_bt_file(bt, "lookup", O_RDWR, &bt->lookup_fd);
	if (!error) {
		len = snprintf(q, sizeof(q), "range %" PRIu32 " %" PRIu32
			       "\n", lo, hi);
		error = scan_bt_write_lines(bt->lookup_fd, q, len, len);
	}
	if (error) {
		scan_bt_fail(bt, "lookup", error);
		return error;
	}
	return scan_bt_read_records(bt, bt->lookup_fd, "lookup", agno, refc,
				    out);
}

/* Every rmap record meeting blocks @lo..@hi, appended to @out. */
int
scan_bt_rmap_range(struct scan_bt *bt, uint32_t agno, uint32_t lo,
		uint32_t hi, struct xmem_array *out)
{
	return scan_bt_range(bt, agno, lo, hi, false, out);
}

/* Every refcount record meeting blocks @lo..@hi, appended to @out. */
int
scan_bt_refc_range(struct scan_bt *bt, uint32_t lo, uint32_t hi,
		struct xmem_array *out)
{
	return scan_bt_range(bt, 0, lo, hi, true, out);
}

/* Every record of rmap btree @bt (group @agno), appended to @out. */
int
scan_bt_rmap_records(struct scan_bt *bt, uint32_t agno,
		struct xmem_array *out)
{
	return scan_bt_read_records(bt, -1, "records", agno, false, out);
}

/* Every record of refcount btree @bt, appended to @out. */
int
scan_bt_refc_records(struct scan_bt *bt, struct xmem_array *out)
{
	return scan_bt_read_records(bt, -1, "records", 0, true, out);
}
