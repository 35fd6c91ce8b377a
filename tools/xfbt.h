/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfbt.h: what the subcommands of xfbt, the command line tool, share.
 *
 * xfbt drives the btree directories of a mounted xfbtreefs for scripts:
 * one process per command, one subcommand per family of files.  The
 * pieces:
 *
 *	xfbt.c     main: global options, the dispatch table, the common
 *	           helpers below (messages, exit statuses, opening a btree
 *	           directory, reading a file whole, the daemon's reasons)
 *	records.c  new, insert, delete, load: the writers (and load's
 *	           progress display)
 *	queries.c  get, query, check, stat, dot: the readers
 *	decode.c   decode: the page decoder, on the library's
 *	           xbt_decode_block()
 *	scan.h     scan: a filesystem's reverse map rebuilt (scan*.c, a
 *	           family of its own; scan.c's header says which file
 *	           holds what)
 *
 * Exit statuses are grep's: 0 done (found, ok), 1 the btree refused or
 * said no, 2 usage, I/O or system errors, damage included.  A subcommand's
 * main returns one of them; it never calls exit().
 *
 * Reasons: the daemon writes one line per failure to the btree's `errors`
 * file, "TIME pid PID FILE: REASON", the pid being that of the process
 * whose request failed.  struct xfbt_reasons remembers the lines of our
 * own pid that were there before we started, so that after a failure we
 * print ours and nobody else's (xfbt_reasons_take()).
 *
 * Errors inside: 0 or a negative errno, as in the library; a subcommand
 * turns them into a message and an exit status once (xfbt_status()).
 * Single-threaded but for load's progress thread, which only reads.
 */
#ifndef TOOLS_XFBT_H
#define TOOLS_XFBT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfile/xmem.h"

#define XFBT_EXIT_OK		0	/* done, found, ok */
#define XFBT_EXIT_NO		1	/* refused, not found, not ok */
#define XFBT_EXIT_ERROR		2	/* usage, I/O, system, damage */

/*
 * The most one write() carries: the mount's default max_write.  A larger
 * write would be cut by the kernel into several requests, each its own
 * transaction, at places we do not choose; xfbt writes whole lines, at
 * most this many bytes at a time, from a page-aligned buffer (an
 * unaligned one would be cut too).
 */
#define XFBT_WRITE_MAX		(1U << 20)

/* One subcommand.  @main gets argv[0] = @name and returns its status. */
struct xfbt_cmd {
	const char	*name;
	const char	*args;		/* the synopsis after the name */
	const char	*what;		/* one line for `xfbt --help` */
	int		(*main)(int argc, char **argv);
};

/* "xfbt NAME", for messages (set by main before dispatching). */
extern const char *xfbt_prog;
/* -q: nothing on standard output (and no notes of keys not found). */
extern bool xfbt_quiet;

/* A progress line is on the terminal (atomic): messages clear it. */
extern bool xfbt_progress_shown;

/*
 * Print "xfbt NAME: " and the message, with a newline, on stderr, over
 * the progress line if there is one.
 */
void xfbt_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Options common to every subcommand: -q, -h/--help, and "--" (before a
 * subcommand, --version too).  Returns the index of the first operand,
 * or -1 with *@statusp the status to exit with (0 after --help, 2 after
 * a bad option, the usage printed).
 */
int xfbt_options(int argc, char **argv, int *statusp);

/* Words for an error whose strerror() says little (" (...)"), or "". */
const char *xfbt_hint(int error);

/* xfbt_say() "WHAT: strerror" and xfbt_hint(). */
void xfbt_say_errno(const char *what, int error);

/*
 * The start of a subcommand: the options, then between @min and @max
 * operands (@max -1: any number), the first of them DIR, opened into
 * *@dfdp unless @dfdp is NULL (see xfbt_open_btree()).  true to go on,
 * with *@firstp the index of the first operand; false with *@statusp the
 * status to return (after --help, a usage error, no btree directory).
 */
bool xfbt_begin(int argc, char **argv, int min, int max, int *firstp,
		int *dfdp, int *statusp);

/* Print the subcommand's usage line on stderr; returns XFBT_EXIT_ERROR. */
int xfbt_usage(void);

/* The exit status for a negative errno: 1 for a refusal, else 2. */
int xfbt_status(int error);

/*
 * Open the btree directory @dir (O_PATH): *@dfdp.  Prints why not ("not
 * a btree directory", the mount gone, ...) and returns XFBT_EXIT_ERROR,
 * or 0.
 */
int xfbt_open_btree(const char *dir, int *dfdp);

/*
 * Read all of file @name under the directory @dfd into a new buffer
 * (*@bufp, NUL-terminated, free it; *@lenp bytes).  0 or a negative errno.
 */
int xfbt_read_at(int dfd, const char *name, char **bufp, size_t *lenp);

/*
 * Make a page-aligned buffer of @bufsize bytes for what goes through a
 * file (*@bufp), note the reasons already in the `errors` of the btree
 * directory @dfd (@dir as the user wrote it) into @r, then open its file
 * @name with @flags: *@fdp.  0, or XFBT_EXIT_ERROR after saying why not
 * (nothing left to release).  xfbt_close_file() undoes it.
 */
struct xfbt_reasons;
int xfbt_open_file(int dfd, const char *dir, const char *name, int flags,
		size_t bufsize, char **bufp, struct xfbt_reasons *r, int *fdp);
/* Close @fd (if >= 0), release @r and free @buf. */
void xfbt_close_file(int fd, struct xfbt_reasons *r, char *buf);

/* Read from @fd to its end into a new NUL-terminated buffer, the same. */
int xfbt_read_fd(int fd, char **bufp, size_t *lenp);

/* Write all of @buf to @fd, retrying short writes.  0 or -errno. */
int xfbt_write_all(int fd, const void *buf, size_t len);

/*
 * The value of stat @name in the text of a `stats` file: a pointer into
 * @stats and its length in *@lenp, or NULL if there is no such line.
 */
const char *xfbt_stat_find(const char *stats, const char *name,
		size_t *lenp);

/* ---- the daemon's reasons ------------------------------------------ */

struct xfbt_reasons {
	int		dfd;		/* the btree directory */
	struct xmem_str	seen;		/* our pid's lines already seen,
					 * each "\n"-ended after a "\n" */
	char		tag[32];	/* " pid N ": marks our lines */
};

/*
 * Called for each new line of ours: @text is what follows "pid N ",
 * e.g. "insert: line 3: duplicate key: 12 2 3".
 */
typedef void (*xfbt_reason_fn)(const char *text, void *priv);

/* Note the lines of our pid already in @dfd's `errors`.  0 or -errno. */
int xfbt_reasons_init(struct xfbt_reasons *r, int dfd);
void xfbt_reasons_release(struct xfbt_reasons *r);

/*
 * Call @fn (if not NULL) for each line of our pid in `errors` not seen
 * before, oldest first, and remember them.  Returns how many there were
 * (0 when `errors` cannot be read: the reason is then unknown).
 */
int xfbt_reasons_take(struct xfbt_reasons *r, xfbt_reason_fn fn, void *priv);

/*
 * Print a reason of the `lookup` file: "lookup: line 1: " is dropped, as
 * each of our writes holds one query.  @priv: the directory's name.
 */
void xfbt_say_lookup_reason(const char *text, void *priv);

/* ---- the subcommands ------------------------------------------------ */

int xfbt_new_main(int argc, char **argv);
int xfbt_insert_main(int argc, char **argv);
int xfbt_delete_main(int argc, char **argv);
int xfbt_load_main(int argc, char **argv);
int xfbt_get_main(int argc, char **argv);
int xfbt_query_main(int argc, char **argv);
int xfbt_check_main(int argc, char **argv);
int xfbt_stat_main(int argc, char **argv);
int xfbt_dot_main(int argc, char **argv);
int xfbt_decode_main(int argc, char **argv);

#endif /* TOOLS_XFBT_H */
