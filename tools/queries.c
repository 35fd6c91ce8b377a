// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * queries.c: the subcommands that read a btree: get, query, check, stat
 * and dot.
 *
 *	xfbt get DIR KEY...            eq KEY, for each; exit 1 if any is
 *	                               missing
 *	xfbt query DIR QUERY...        each QUERY a line of `lookup`; exit 1
 *	                               if every answer is empty
 *	xfbt check DIR                 `check`; exit 1 unless it says ok
 *	xfbt stat DIR [NAME...]        `stats`, or the values named
 *	xfbt dot DIR [OUT.svg|OUT.png] `tree.dot` through Graphviz's dot
 *
 * Queries go one per write to one open `lookup` file, each answer read
 * to its end before the next write: an empty answer is then known to
 * belong to its query (in one write, the answers of several queries
 * would run together, and a missing key would leave no trace).  A
 * refused query (EINVAL) gets the daemon's reason and the others still
 * run; any other error stops at once with status 2.
 *
 * Files read whole are read once: `tree.dot` is drawn when it is opened,
 * so one read gives one consistent picture.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/xfbt.h"

/* ---- lookup: get and query -------------------------------------------- */

struct xfbt_asker {
	const char		*dir;
	int			fd;		/* DIR/lookup, read and write */
	struct xfbt_reasons	reasons;
	char			*buf;		/* one read of an answer */
};

#define XFBT_ANSWER_CHUNK	65536

static int
xfbt_asker_init(struct xfbt_asker *a, const char *dir, int dfd)
{
	a->dir = dir;
	return xfbt_open_file(dfd, dir, "lookup", O_RDWR, XFBT_ANSWER_CHUNK,
			      &a->buf, &a->reasons, &a->fd);
}

static void
xfbt_asker_release(struct xfbt_asker *a)
{
	xfbt_close_file(a->fd, &a->reasons, a->buf);
}

/*
 * Ask one query (@verb, then @arg: "eq" "42", or NULL and a whole query)
 * and copy its answer to stdout (unless -q).  Returns 0 with *@foundp
 * (the answer was not empty), XFBT_EXIT_NO for a refused query (the
 * reason said), or XFBT_EXIT_ERROR (said too).
 */
static int
xfbt_ask(struct xfbt_asker *a, const char *verb, const char *arg,
		bool *foundp)
{
	char	*q;
	ssize_t	n;
	int	len, error;

	if (strchr(arg, '\n')) {
		xfbt_say("a query is one line: '%s'", arg);
		return XFBT_EXIT_ERROR;
	}
	len = verb ? asprintf(&q, "%s %s\n", verb, arg) :
		     asprintf(&q, "%s\n", arg);
	if (len < 0) {
		xfbt_say_errno("memory", -ENOMEM);
		return XFBT_EXIT_ERROR;
	}
	error = xfbt_write_all(a->fd, q, len);
	free(q);
	if (error == -EINVAL) {
		if (!xfbt_reasons_take(&a->reasons, xfbt_say_lookup_reason,
				       (void *)a->dir))
			xfbt_say("%s: %s%s%s: %s", a->dir, verb ? verb : "",
				 verb ? " " : "", arg, strerror(-error));
		return XFBT_EXIT_NO;
	}
	if (error) {
		xfbt_say_errno(a->dir, error);
		return XFBT_EXIT_ERROR;
	}
	*foundp = false;
	for (;;) {
		n = read(a->fd, a->buf, XFBT_ANSWER_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xfbt_say_errno(a->dir, -errno);
			return XFBT_EXIT_ERROR;
		}
		if (n == 0)
			return 0;
		*foundp = true;
		if (!xfbt_quiet)
			fwrite(a->buf, 1, n, stdout);
	}
}

/*
 * get and query.  @verb "eq": each operand is a key, a missing one is
 * noted and makes the status 1; NULL: each is a query, and the status is
 * 1 only if every answer is empty.
 */
static int
xfbt_lookup_main(const char *verb, int argc, char **argv)
{
	struct xfbt_asker	a;
	bool			found, any = false, refused = false;
	bool			missing = false;
	int			first, dfd, status, i;

	if (!xfbt_begin(argc, argv, 2, -1, &first, &dfd, &status))
		return status;
	status = xfbt_asker_init(&a, argv[first], dfd);
	if (status)
		goto out_close_dir;
	for (i = first + 1; i < argc; i++) {
		status = xfbt_ask(&a, verb, argv[i], &found);
		if (status == XFBT_EXIT_ERROR)
			goto out_release;
		if (status) {
			refused = true;
			continue;
		}
		any |= found;
		if (!found && verb) {
			missing = true;
			if (!xfbt_quiet)
				xfbt_say("%s: %s: not found", a.dir, argv[i]);
		}
	}
	if (verb)
		status = refused || missing ? XFBT_EXIT_NO : XFBT_EXIT_OK;
	else
		status = refused || !any ? XFBT_EXIT_NO : XFBT_EXIT_OK;
out_release:
	xfbt_asker_release(&a);
out_close_dir:
	close(dfd);
	return status;
}

int
xfbt_get_main(int argc, char **argv)
{
	return xfbt_lookup_main("eq", argc, argv);
}

int
xfbt_query_main(int argc, char **argv)
{
	return xfbt_lookup_main(NULL, argc, argv);
}

/* ---- check and stat ---------------------------------------------------- */

/*
 * Read @dir/@name whole: *@bufp (free it), *@lenp.  0, or the exit
 * status after saying why not.
 */
static int
xfbt_read_dir_file(const char *dir, const char *name, char **bufp,
		size_t *lenp)
{
	int	dfd, status, error;

	status = xfbt_open_btree(dir, &dfd);
	if (status)
		return status;
	error = xfbt_read_at(dfd, name, bufp, lenp);
	close(dfd);
	if (!error)
		return 0;
	xfbt_say("%s/%s: %s%s", dir, name, strerror(-error),
		 xfbt_hint(error));
	/* Damage that stops the check itself is a "not ok" too. */
	if (!strcmp(name, "check") && (error == -EUCLEAN || error == -EBADMSG))
		return XFBT_EXIT_NO;
	return XFBT_EXIT_ERROR;
}

int
xfbt_check_main(int argc, char **argv)
{
	char	*out;
	size_t	len;
	int	first, status;

	if (!xfbt_begin(argc, argv, 1, 1, &first, NULL, &status))
		return status;
	status = xfbt_read_dir_file(argv[first], "check", &out, &len);
	if (status)
		return status;
	if (!xfbt_quiet)
		fwrite(out, 1, len, stdout);
	status = strcmp(out, "ok\n") ? XFBT_EXIT_NO : XFBT_EXIT_OK;
	free(out);
	return status;
}

int
xfbt_stat_main(int argc, char **argv)
{
	const char	*v;
	char		*stats;
	size_t		len, vlen;
	int		first, status, i;

	if (!xfbt_begin(argc, argv, 1, -1, &first, NULL, &status))
		return status;
	status = xfbt_read_dir_file(argv[first], "stats", &stats, &len);
	if (status)
		return status;
	if (argc - first == 1) {
		if (!xfbt_quiet)
			fwrite(stats, 1, len, stdout);
		goto out_free;
	}
	for (i = first + 1; i < argc; i++) {
		v = xfbt_stat_find(stats, argv[i], &vlen);
		if (!v) {
			xfbt_say("%s: no stat named '%s'", argv[first],
				 argv[i]);
			status = XFBT_EXIT_NO;
			continue;
		}
		if (!xfbt_quiet)
			printf("%.*s\n", (int)vlen, v);
	}
out_free:
	free(stats);
	return status;
}

/* ---- dot ------------------------------------------------------------- */

/* Is @prog an executable in $PATH? */
static bool
xfbt_in_path(const char *prog)
{
	const char	*path = getenv("PATH");
	char		*copy, *dir, *save = NULL, *file;
	bool		found = false;

	copy = strdup(path && *path ? path : "/usr/bin:/bin");
	if (!copy)
		return false;
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		if (asprintf(&file, "%s/%s", *dir ? dir : ".", prog) < 0)
			break;
		found = access(file, X_OK) == 0;
		free(file);
	}
	free(copy);
	return found;
}

/* Run `dot -T@format -o @out` with @text on its stdin.  0 or status. */
static int
xfbt_run_dot(const char *format, const char *out, const char *text,
		size_t len)
{
	char	fmt[16];
	pid_t	pid;
	int	pipefd[2], wstatus, error;

	snprintf(fmt, sizeof(fmt), "-T%s", format);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		xfbt_say_errno("pipe", -errno);
		return XFBT_EXIT_ERROR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		xfbt_say_errno("fork", -errno);
		close(pipefd[0]);
		close(pipefd[1]);
		return XFBT_EXIT_ERROR;
	}
	if (pid == 0) {
		if (dup2(pipefd[0], STDIN_FILENO) < 0)
			_exit(127);
		execlp("dot", "dot", fmt, "-o", out, (char *)NULL);
		_exit(127);
	}
	close(pipefd[0]);
	/* If dot dies early, its reason is on stderr; no SIGPIPE for us. */
	signal(SIGPIPE, SIG_IGN);
	error = xfbt_write_all(pipefd[1], text, len);
	close(pipefd[1]);
	signal(SIGPIPE, SIG_DFL);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus)) {
		xfbt_say("dot failed (%s %d) making %s",
			 WIFEXITED(wstatus) ? "status" : "signal",
			 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
					      WTERMSIG(wstatus), out);
		return XFBT_EXIT_ERROR;
	}
	if (error) {
		xfbt_say_errno("writing to dot", error);
		return XFBT_EXIT_ERROR;
	}
	return 0;
}

int
xfbt_dot_main(int argc, char **argv)
{
	const char	*format, *out, *suffix;
	char		*text, *real, *dflt = NULL;
	size_t		len;
	int		first, status;

	if (!xfbt_begin(argc, argv, 1, 2, &first, NULL, &status))
		return status;
	if (argc - first == 2) {
		out = argv[first + 1];
	} else {
		/* DIR's own name, even for "." or "t/". */
		real = realpath(argv[first], NULL);
		if (!real) {
			xfbt_say_errno(argv[first], -errno);
			return XFBT_EXIT_ERROR;
		}
		if (asprintf(&dflt, "%s.svg", basename(real)) < 0)
			dflt = NULL;
		free(real);
		if (!dflt) {
			xfbt_say_errno("memory", -ENOMEM);
			return XFBT_EXIT_ERROR;
		}
		out = dflt;
	}
	suffix = strrchr(out, '.');
	if (suffix && !strcmp(suffix, ".svg")) {
		format = "svg";
	} else if (suffix && !strcmp(suffix, ".png")) {
		format = "png";
	} else {
		xfbt_say("%s: the output must end in .svg or .png", out);
		status = xfbt_usage();
		goto out_free;
	}
	if (!xfbt_in_path("dot")) {
		xfbt_say("Graphviz's dot is not installed (apt-get install "
			 "graphviz); DIR/tree.dot is the text it would draw");
		status = XFBT_EXIT_ERROR;
		goto out_free;
	}
	status = xfbt_read_dir_file(argv[first], "tree.dot", &text, &len);
	if (status)
		goto out_free;
	status = xfbt_run_dot(format, out, text, len);
	free(text);
	if (!status && !xfbt_quiet)
		printf("%s\n", out);
out_free:
	free(dflt);
	return status;
}
