// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfbt.c: the xfbt command: global options, the table of subcommands,
 * and the helpers they share (see xfbt.h for the family files).
 *
 *	xfbt [-q] SUBCOMMAND [-q] ARGS...
 *	xfbt-SUBCOMMAND ARGS...      (a link to xfbt: xfbt-decode, xfbt-dot)
 *
 * The table is data: a subcommand is a name, its synopsis, a line of help
 * and a main function; a new one is one row.  Dispatch hands the
 * subcommand its own argv (argv[0] = its name), and afterwards checks
 * that standard output took everything (a full disk, a closed pipe read
 * by nobody): if not, the status is 2.
 *
 * Messages go to stderr as "xfbt NAME: ...", one line each, and say what
 * xfbt's own operation got; a script reads the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/xfbt.h"

#include "tools/scan.h"

#ifndef XFBT_VERSION
#define XFBT_VERSION	"unknown"
#endif

static const struct xfbt_cmd xfbt_cmds[] = {
	{ "new", "DIR [kv|rmap|refcount]",
	  "make a btree (mkdir), of the type given", xfbt_new_main },
	{ "insert", "DIR [FILE...]",
	  "insert the records of the FILEs (or stdin)", xfbt_insert_main },
	{ "delete", "DIR [FILE...]",
	  "delete records, or kv and refcount keys", xfbt_delete_main },
	{ "load", "DIR [FILE...]",
	  "replace the btree with the records, in one step",
	  xfbt_load_main },
	{ "get", "DIR KEY...",
	  "print the record of each key", xfbt_get_main },
	{ "query", "DIR QUERY...",
	  "answer lookup queries (eq, le, ge, range, path)", xfbt_query_main },
	{ "check", "DIR",
	  "run the structure check", xfbt_check_main },
	{ "stat", "DIR [NAME...]",
	  "print the btree's stats, or the values named", xfbt_stat_main },
	{ "decode", "[PAGE...]",
	  "decode page files (copies of pages/N too)", xfbt_decode_main },
	{ "dot", "DIR [OUT.svg|OUT.png]",
	  "draw the tree with Graphviz", xfbt_dot_main },
	{ "scan", "[--live] [--compare] [--resync=SECONDS] [-v] NAME PATH",
	  "fill rmap and refcount btrees from a filesystem",
	  xfbt_scan_main },
};

#define XFBT_NR_CMDS	(sizeof(xfbt_cmds) / sizeof(xfbt_cmds[0]))

const char *xfbt_prog = "xfbt";
bool xfbt_quiet;
bool xfbt_progress_shown;
/* The subcommand running, for its usage line. */
static const struct xfbt_cmd *xfbt_cur;

void
xfbt_say(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);		/* keep the order of both streams */
	flockfile(stderr);	/* one line, whole, even beside progress */
	if (__atomic_load_n(&xfbt_progress_shown, __ATOMIC_RELAXED))
		fputs("\r\033[K", stderr);	/* over the progress line */
	fprintf(stderr, "%s: ", xfbt_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int
xfbt_usage(void)
{
	fprintf(stderr, "usage: %s [-q] %s\n", xfbt_prog, xfbt_cur->args);
	fprintf(stderr, "(xfbt --help lists the subcommands; man xfbt)\n");
	return XFBT_EXIT_ERROR;
}

static void
xfbt_help(FILE *f)
{
	unsigned int	i;

	fprintf(f,
		"usage: xfbt [-q] SUBCOMMAND ARGS...\n"
		"Drive the btrees of an xfbtreefs mount from scripts; DIR is a "
		"btree directory.\n\n");
	for (i = 0; i < XFBT_NR_CMDS; i++)
		fprintf(f, "  xfbt %-6s %-23s %s\n", xfbt_cmds[i].name,
			xfbt_cmds[i].args, xfbt_cmds[i].what);
	fprintf(f,
		"\n  -q  nothing on standard output (the exit status says it)\n"
		"\nExit status: 0 done (found, ok), 1 refused, not found or not "
		"ok (the reason\non stderr), 2 usage, I/O or system error, or "
		"a damaged btree.  See xfbt(1).\n");
}

static const struct option xfbt_long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
xfbt_options(int argc, char **argv, int *statusp)
{
	int	c;

	opterr = 0;
	optind = 0;		/* glibc: start afresh on this argv */
	while ((c = getopt_long(argc, argv, "+qhV", xfbt_long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'q':
			xfbt_quiet = true;
			break;
		case 'h':
			if (xfbt_cur)
				printf("usage: %s [-q] %s\n%s.\n", xfbt_prog,
				       xfbt_cur->args, xfbt_cur->what);
			else
				xfbt_help(stdout);
			*statusp = XFBT_EXIT_OK;
			return -1;
		case 'V':
			if (!xfbt_cur) {
				printf("xfbt (xfbtreefs) %s\n", XFBT_VERSION);
				*statusp = XFBT_EXIT_OK;
				return -1;
			}
			/* No --version after a subcommand. */
			/* fall through */
		default:
			if (optopt && optopt != 'V')
				xfbt_say("unknown option -%c", optopt);
			else
				xfbt_say("unknown option %s",
					 argv[optind - 1]);
			if (xfbt_cur) {
				*statusp = xfbt_usage();
			} else {
				xfbt_help(stderr);
				*statusp = XFBT_EXIT_ERROR;
			}
			return -1;
		}
	}
	return optind;
}

bool
xfbt_begin(int argc, char **argv, int min, int max, int *firstp, int *dfdp,
		int *statusp)
{
	int	first, n;

	first = xfbt_options(argc, argv, statusp);
	if (first < 0)
		return false;
	n = argc - first;
	if (n < min || (max >= 0 && n > max)) {
		*statusp = xfbt_usage();
		return false;
	}
	if (dfdp) {
		*statusp = xfbt_open_btree(argv[first], dfdp);
		if (*statusp)
			return false;
	}
	*firstp = first;
	*statusp = XFBT_EXIT_OK;
	return true;
}

int
xfbt_status(int error)
{
	switch (error) {
	case 0:
		return XFBT_EXIT_OK;
	case -EINVAL:		/* a bad line, key or query */
	case -EEXIST:		/* a duplicate, a name taken */
	case -ENOENT:		/* a record to delete that is not there */
		return XFBT_EXIT_NO;
	default:
		return XFBT_EXIT_ERROR;
	}
}

const char *
xfbt_hint(int error)
{
	switch (error) {
	case -ENOTCONN:
		return " (the daemon is gone: fusermount3 -u the mount point)";
	case -EBADMSG:
		return " (a bad checksum: the btree is damaged)";
	case -EUCLEAN:
		return " (the btree is damaged)";
	case -ENOSPC:
		return " (the mount's max_memory is reached)";
	default:
		return "";
	}
}

void
xfbt_say_errno(const char *what, int error)
{
	xfbt_say("%s: %s%s", what, strerror(-error), xfbt_hint(error));
}

int
xfbt_open_btree(const char *dir, int *dfdp)
{
	struct stat	st;
	int		dfd, error;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		xfbt_say_errno(dir, -errno);
		return XFBT_EXIT_ERROR;
	}
	if (fstatat(dfd, "stats", &st, 0) < 0) {
		error = -errno;
		goto out_close;
	}
	*dfdp = dfd;
	return 0;

out_close:
	close(dfd);
	if (error == -ENOENT)
		xfbt_say("%s: not a btree directory (a directory under an "
			 "xfbtreefs mount)", dir);
	else
		xfbt_say_errno(dir, error);
	return XFBT_EXIT_ERROR;
}

int
xfbt_open_file(int dfd, const char *dir, const char *name, int flags,
		size_t bufsize, char **bufp, struct xfbt_reasons *r, int *fdp)
{
	int	error;

	error = posix_memalign((void **)bufp, sysconf(_SC_PAGESIZE), bufsize);
	if (error) {
		xfbt_say_errno("memory", -error);
		return XFBT_EXIT_ERROR;
	}
	error = xfbt_reasons_init(r, dfd);
	if (error)
		goto out_say;
	*fdp = openat(dfd, name, flags | O_CLOEXEC);
	if (*fdp < 0) {
		error = -errno;
		goto out_release;
	}
	return 0;

out_release:
	xfbt_reasons_release(r);
out_say:
	free(*bufp);
	xfbt_say("%s/%s: %s%s", dir, name, strerror(-error), xfbt_hint(error));
	return XFBT_EXIT_ERROR;
}

void
xfbt_close_file(int fd, struct xfbt_reasons *r, char *buf)
{
	if (fd >= 0)
		close(fd);
	xfbt_reasons_release(r);
	free(buf);
}

/* The least room xfbt_read_fd() reads into. */
#define XFBT_READ_CHUNK		65536

int
xfbt_read_fd(int fd, char **bufp, size_t *lenp)
{
	struct xmem_array	text = XMEM_ARRAY_INIT(1);	/* bytes */
	ssize_t			n;
	int			error;

	for (;;) {
		/* A chunk and the NUL; a read takes all the room but that. */
		error = xmem_array_reserve(&text, XFBT_READ_CHUNK + 1);
		if (error)
			goto out_free;
		n = read(fd, xmem_array_at(&text, text.len),
			 text.cap - text.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		text.len += n;
	}
	*(char *)xmem_array_at(&text, text.len) = '\0';	/* room kept */
	*bufp = text.data;		/* the caller's to free() */
	*lenp = text.len;
	return 0;

out_free:
	xmem_array_release(&text);
	return error;
}

int
xfbt_read_at(int dfd, const char *name, char **bufp, size_t *lenp)
{
	int	fd, error;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	error = xfbt_read_fd(fd, bufp, lenp);
	if (close(fd) < 0 && !error) {
		error = -errno;
		free(*bufp);
	}
	return error;
}

int
xfbt_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

const char *
xfbt_stat_find(const char *stats, const char *name, size_t *lenp)
{
	size_t		n = strlen(name);
	const char	*line, *end;

	for (line = stats; *line; line = end + 1) {
		end = strchrnul(line, '\n');
		if ((size_t)(end - line) > n && !strncmp(line, name, n) &&
		    line[n] == ' ') {
			*lenp = end - line - n - 1;
			return line + n + 1;
		}
		if (!*end)
			break;
	}
	return NULL;
}

/* ---- the daemon's reasons ------------------------------------------ */

/*
 * The text of @line after our tag, or NULL if the line is not ours.  An
 * errors line is "TIME pid PID TEXT": the tag " pid PID " follows the
 * time.
 */
static const char *
xfbt_reason_text(const struct xfbt_reasons *r, const char *line)
{
	const char	*sp = strchr(line, ' ');
	size_t		taglen = strlen(r->tag);

	if (!sp || strncmp(sp, r->tag, taglen))
		return NULL;
	return sp + taglen;
}

/* Has the whole line @line (@len bytes, no newline) been seen? */
static bool
xfbt_reason_seen(const struct xfbt_reasons *r, const char *line, size_t len)
{
	const char	*seen = xmem_str_cstr(&r->seen), *p = seen;

	/* seen is "\nline\nline\n": look for "\n" line "\n". */
	while ((p = memmem(p, seen + r->seen.len - p, line, len))) {
		if (p[-1] == '\n' && p[len] == '\n')
			return true;
		p++;
	}
	return false;
}

static int
xfbt_reason_remember(struct xfbt_reasons *r, const char *line, size_t len)
{
	/* One append, so that a failure leaves no half line. */
	return xmem_str_printf(&r->seen, "%.*s\n", (int)len, line);
}

/* Walk `errors`: each new line of ours goes to @fn and into seen. */
static int
xfbt_reasons_scan(struct xfbt_reasons *r, xfbt_reason_fn fn, void *priv)
{
	char		*buf, *line, *nl;
	const char	*text;
	size_t		len;
	int		n = 0;

	if (xfbt_read_at(r->dfd, "errors", &buf, &len))
		return 0;
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		text = xfbt_reason_text(r, line);
		if (!text || xfbt_reason_seen(r, line, nl - line))
			continue;
		if (xfbt_reason_remember(r, line, nl - line))
			break;
		if (fn)
			fn(text, priv);
		n++;
	}
	free(buf);
	return n;
}

int
xfbt_reasons_init(struct xfbt_reasons *r, int dfd)
{
	r->dfd = dfd;
	r->seen = (struct xmem_str)XMEM_STR_INIT;
	if (xmem_str_append(&r->seen, "\n", 1))
		return -ENOMEM;
	snprintf(r->tag, sizeof(r->tag), " pid %d ", (int)getpid());
	xfbt_reasons_scan(r, NULL, NULL);
	return 0;
}

void
xfbt_reasons_release(struct xfbt_reasons *r)
{
	xmem_str_release(&r->seen);
}

int
xfbt_reasons_take(struct xfbt_reasons *r, xfbt_reason_fn fn, void *priv)
{
	return xfbt_reasons_scan(r, fn, priv);
}

void
xfbt_say_lookup_reason(const char *text, void *priv)
{
	const char	*p = text, *dir = priv;

	if (!strncmp(p, "lookup: line ", 13)) {
		p += 13;
		p += strspn(p, "0123456789");
		if (!strncmp(p, ": ", 2))
			text = p + 2;
	}
	xfbt_say("%s: %s", dir, text);
}

/* ---- dispatch -------------------------------------------------------- */

static const struct xfbt_cmd *
xfbt_find(const char *name)
{
	unsigned int	i;

	for (i = 0; i < XFBT_NR_CMDS; i++)
		if (!strcmp(xfbt_cmds[i].name, name))
			return &xfbt_cmds[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const char	*base = strrchr(argv[0], '/');
	const char	*name;
	static char	prog[64];
	int		status, first;

	base = base ? base + 1 : argv[0];
	if (!strncmp(base, "xfbt-", 5) && xfbt_find(base + 5)) {
		/* Called by a link's name: xfbt-decode is xfbt decode. */
		xfbt_cur = xfbt_find(base + 5);
		xfbt_prog = base;
		argv[0] = (char *)xfbt_cur->name;
		goto out_run;
	}

	first = xfbt_options(argc, argv, &status);
	if (first < 0)
		return status;
	if (first >= argc) {
		xfbt_help(stderr);
		return XFBT_EXIT_ERROR;
	}
	name = argv[first];
	if (!strcmp(name, "help")) {
		xfbt_help(stdout);
		return XFBT_EXIT_OK;
	}
	xfbt_cur = xfbt_find(name);
	if (!xfbt_cur) {
		xfbt_say("no subcommand '%s'", name);
		xfbt_help(stderr);
		return XFBT_EXIT_ERROR;
	}
	snprintf(prog, sizeof(prog), "xfbt %s", xfbt_cur->name);
	xfbt_prog = prog;
	argc -= first;
	argv += first;

out_run:
	status = xfbt_cur->main(argc, argv);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		xfbt_say("standard output: %s", strerror(errno));
		status = XFBT_EXIT_ERROR;
	}
	return status;
}
