/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lines.h: files that take lines (insert, delete, lookup, load): the
 * line assembler, the iterator over a write's lines, and record lines
 * (lines.c).
 *
 * A kind that takes lines embeds a struct xfbfs_asm in its handle and
 * passes every write to xfbfs_asm_write() with its own consumer, which
 * takes all the complete lines of the write at once, or none.
 *
 * Locking: the assembler belongs to one open file (h->lock).
 */
#ifndef FUSEFS_LINES_H
#define FUSEFS_LINES_H

#include "fusefs/xfbfs.h"

/* A line split across writes waits here for the rest of it. */
struct xfbfs_asm {
	char		tail[XFBFS_LINE_MAX + 1];
	size_t		tail_len;
	bool		broken;		/* a refused write ended inside a
					 * line: refuse the rest of it */
};

/*
 * The complete lines of one write: the line completed from the tail, if
 * any, then every line of the write that ends with a newline.
 */
struct xfbfs_lines {
	const char	*first;		/* line finished by this write */
	size_t		first_len;
	const char	*rest;		/* whole lines, each with its '\n' */
	size_t		rest_len;
	unsigned int	lineno;		/* of the line last returned */
};

/*
 * A kind's consumer of a write's complete lines: 0 if it took them all;
 * else -errno, having taken none and said why in the tree's errors.
 */
typedef int (*xfbfs_lines_fn)(struct xfbfs_handle *h,
		struct xfbfs_lines *lines);

/*
 * One write to a file of lines: join it to the tail, hand the complete
 * lines to @take, keep the new tail.  @final (FLUSH): the tail is a last
 * line.  On error the write's lines and the tail are dropped, and if the
 * write ended inside a line, the rest of that line is refused (EINVAL)
 * when the next writes bring it.  0 or -errno (the reason in errors).
 */
int xfbfs_asm_write(struct xfbfs_handle *h, struct xfbfs_asm *a,
		const char *buf, size_t size, bool final, xfbfs_lines_fn take);

/* Is a line unfinished (a tail waiting, or a broken line)?  Then a
 * FLUSH has to go through xfbfs_asm_write(). */
static inline bool
xfbfs_asm_pending(const struct xfbfs_asm *a)
{
	return a->tail_len != 0 || a->broken;
}

/* The next line (without its newline): true, or false at the end. */
bool xfbfs_next_line(struct xfbfs_lines *it, const char **line,
		size_t *len);

/* Note a bad line in the tree's errors: file, line number, reason, text. */
void xfbfs_line_error(struct xfbfs_handle *h, unsigned int lineno,
		const char *why, const char *line, size_t len);

/* One parsed line of insert, delete or load: a record, or a key alone. */
struct xfbfs_item {
	uint8_t		bytes[XBT_REC_MAX];
	bool		is_key;
	unsigned int	line;		/* number within its write */
	const char	*text;		/* the line as written (for errors) */
	size_t		text_len;
};

/*
 * Parse the next record line of @lines into @it (a key alone too, if
 * @keys and the type deletes by key): 1, 0 at the end, or -EINVAL with
 * the line in *@line, *@len and the reason in *@why.
 */
int xfbfs_next_item(const struct xfbfs_type *type, bool keys,
		struct xfbfs_lines *lines, struct xfbfs_item *it,
		const char **line, size_t *len, const char **why);

#endif /* FUSEFS_LINES_H */
