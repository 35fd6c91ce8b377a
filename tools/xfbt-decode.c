// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfbt-decode: print page files the way a developer reads them.
 *
 *	xfbt-decode [FILE...]
 *
 * Each FILE (or standard input, also for "-") is one block as the pages/
 * directory of an xfbtreefs mount shows it, copied anywhere: the daemon
 * need not run.  xbt_decode_block() does the work; the page's length is
 * its block size.  With several files each gets a "==> FILE <==" title.
 *
 * Exit status: 0 if every page is sound, 1 if problems were printed
 * (lines starting "warning:"), 2 on a usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/xbtree.h"

/* Larger than any block: such a file is said to be no page and cut. */
#define XFBT_DECODE_MAX		(1U << 20)

static int
xfbt_decode_out(const char *text, size_t len, void *priv)
{
	FILE		*f = priv;

	if (fwrite(text, 1, len, f) != len)
		return -EIO;
	return 0;
}

/*
 * Read all of @f, at most XFBT_DECODE_MAX bytes, into a new buffer.
 * Returns 0 with *@bufp (free it) and *@lenp, or a negative errno.
 */
static int
xfbt_read_all(FILE *f, unsigned char **bufp, size_t *lenp)
{
	unsigned char	*buf;
	size_t		len;

	buf = malloc(XFBT_DECODE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	len = fread(buf, 1, XFBT_DECODE_MAX + 1, f);
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* Decode one file; returns the exit status it deserves (0, 1 or 2). */
static int
xfbt_decode_file(const char *name, bool title)
{
	bool		is_stdin = !name || !strcmp(name, "-");
	unsigned char	*buf = NULL;
	size_t		len;
	FILE		*f;
	int		ret, error;

	f = is_stdin ? stdin : fopen(name, "rb");
	if (!f) {
		fprintf(stderr, "xfbt-decode: %s: %s\n", name, strerror(errno));
		return 2;
	}
	error = xfbt_read_all(f, &buf, &len);
	if (!is_stdin)
		fclose(f);
	if (error) {
		fprintf(stderr, "xfbt-decode: %s: %s\n",
			is_stdin ? "(stdin)" : name, strerror(-error));
		return 2;
	}
	if (title)
		printf("==> %s <==\n", is_stdin ? "(stdin)" : name);
	if (len > XFBT_DECODE_MAX) {
		printf("warning: more than %u bytes: no page; decoding the first %u\n",
		       XFBT_DECODE_MAX, XFBT_DECODE_MAX);
		len = XFBT_DECODE_MAX;
	}
	ret = xbt_decode_block(buf, len, xfbt_decode_out, stdout);
	free(buf);
	if (ret < 0) {
		fprintf(stderr, "xfbt-decode: writing: %s\n", strerror(-ret));
		return 2;
	}
	return ret ? 1 : 0;
}

static void
xfbt_usage(FILE *f)
{
	fprintf(f,
		"usage: xfbt-decode [FILE...]\n"
		"Print each page file (a copy of an xfbtreefs pages/N file; "
		"standard input\n"
		"if none, or -): header fields, checksum, records, keys and "
		"pointers.\n"
		"Exit status: 0 sound, 1 problems found, 2 usage or I/O "
		"error.\n");
}

int
main(int argc, char **argv)
{
	int		status = 0, nfiles = 0, st, i;
	bool		opts = true, first = true;

	/* Options first: a bad one is a usage error before any output. */
	for (i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = false;
		} else if (opts && (!strcmp(argv[i], "-h") ||
				    !strcmp(argv[i], "--help"))) {
			xfbt_usage(stdout);
			return 0;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "xfbt-decode: unknown option %s\n",
				argv[i]);
			xfbt_usage(stderr);
			return 2;
		} else {
			nfiles++;
		}
	}
	if (!nfiles)
		status = xfbt_decode_file(NULL, false);
	opts = true;
	for (i = 1; i < argc && nfiles; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = false;
			continue;
		}
		if (!first)
			putchar('\n');
		first = false;
		st = xfbt_decode_file(argv[i], nfiles > 1);
		if (st > status)
			status = st;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "xfbt-decode: writing: %s\n", strerror(errno));
		return 2;
	}
	return status;
}
