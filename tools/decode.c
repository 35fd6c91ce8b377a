// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * decode.c: xfbt decode, the page decoder for people.
 *
 *	xfbt decode [PAGE...]          (also as xfbt-decode, a link)
 *
 * Each PAGE (or standard input, also for "-") is one block as the pages/
 * directory of an xfbtreefs mount shows it, copied anywhere: the daemon
 * need not run.  The library's xbt_decode_block() does the work; the
 * page's length is its block size.  With several pages each gets a
 * "==> PAGE <==" title.  -q prints nothing: the status says it all.
 *
 * Exit status: 0 if every page is sound, 1 if problems were printed
 * (lines starting "warning:"), 2 on a usage or I/O error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/xbtree.h"
#include "tools/xfbt.h"

/* Larger than any block: such a file is said to be no page and cut. */
#define XFBT_DECODE_MAX		(1U << 20)

static int
xfbt_decode_out(const char *text, size_t len, void *priv)
{
	FILE		*f = priv;

	if (xfbt_quiet)
		return 0;
	if (fwrite(text, 1, len, f) != len)
		return -EIO;
	return 0;
}

/*
 * Read all of @f, at most XFBT_DECODE_MAX + 1 bytes, into a new buffer.
 * Returns 0 with *@bufp (free it) and *@lenp, or a negative errno.
 */
static int
xfbt_decode_read(FILE *f, unsigned char **bufp, size_t *lenp)
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

/* Decode one page file; returns the exit status it deserves (0, 1, 2). */
static int
xfbt_decode_file(const char *name, bool title)
{
	bool		is_stdin = !name || !strcmp(name, "-");
	const char	*shown = is_stdin ? "(stdin)" : name;
	unsigned char	*buf = NULL;
	size_t		len;
	FILE		*f;
	int		ret, error;

	f = is_stdin ? stdin : fopen(name, "rb");
	if (!f) {
		xfbt_say_errno(name, -errno);
		return XFBT_EXIT_ERROR;
	}
	error = xfbt_decode_read(f, &buf, &len);
	if (!is_stdin)
		fclose(f);
	if (error) {
		xfbt_say_errno(shown, error);
		return XFBT_EXIT_ERROR;
	}
	if (title && !xfbt_quiet)
		printf("==> %s <==\n", shown);
	if (len > XFBT_DECODE_MAX) {
		if (!xfbt_quiet)
			printf("warning: more than %u bytes: no page; "
			       "decoding the first %u\n",
			       XFBT_DECODE_MAX, XFBT_DECODE_MAX);
		len = XFBT_DECODE_MAX;
	}
	ret = xbt_decode_block(buf, len, xfbt_decode_out, stdout);
	free(buf);
	if (ret < 0) {
		xfbt_say_errno("standard output", ret);
		return XFBT_EXIT_ERROR;
	}
	return ret ? XFBT_EXIT_NO : XFBT_EXIT_OK;
}

int
xfbt_decode_main(int argc, char **argv)
{
	int	first, status, st, i;

	if (!xfbt_begin(argc, argv, 0, -1, &first, NULL, &status))
		return status;
	if (first == argc)
		return xfbt_decode_file(NULL, false);
	for (i = first; i < argc; i++) {
		if (i > first && !xfbt_quiet)
			putchar('\n');
		st = xfbt_decode_file(argv[i], argc - first > 1);
		if (st > status)
			status = st;
	}
	return status;
}
