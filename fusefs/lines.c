// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lines.c: writes of lines: the assembler that joins lines split across
 * writes, the iterator over a write's complete lines, and the parsing of
 * record lines (insert, delete, load).
 *
 * A write is cut into the line it completes, whole lines, and a new tail:
 *
 *	a->tail (from earlier writes)      buf (this write)
 *	+-----------+                      +------+---------------+-----+
 *	| 1 2 3 4   |                      | 5 6\n| 7 8\n ... 9 9\n| 1 0 |
 *	+-----------+                      +------+---------------+-----+
 *	'-------- first: "1234" + "56" ---------' '---- rest -----' keep
 *
 * first is joined in the tail's own buffer (a line is at most
 * XFBFS_LINE_MAX bytes, which the tail holds); rest is used where it lies
 * in the write's buffer; the bytes after the last newline (keep) become
 * the new tail once the kind's consumer has taken first and rest.  A
 * write without a newline only grows the tail.  At FLUSH (close) the
 * tail is taken as a last line.
 *
 * The consumer takes all the lines or none (one transaction, one batch
 * of queries, one stage of a load).  If it refuses them, or the tail
 * would grow past XFBFS_LINE_MAX, the write fails with all it carried
 * and the tail before it.  A refused write that ended inside a line
 * breaks that line: the rest of it, which the next writes bring, is
 * refused too, so that no fragment of it ever passes for a line:
 *
 *	refused:  "1 1\nbad\n22"     its last line, "22...", is broken
 *	next:     "2 7\n3 3\n"       "2 7" is the rest of it: EINVAL, and
 *	                             the write goes whole ("3 3" too)
 *	or:       "2"                EINVAL, still the rest of it
 *	or:       "\n3 3\n"          the newline ends it: "3 3" is fresh
 *	or:       close              ends it: nothing is pending
 *
 * A write refused for that reason breaks its own last line in turn if
 * it ends inside one ("2 7\n33": the rest of "33..." is refused next).
 *
 * Record lines: a line in the plain form `records` prints is parsed
 * straight from the buffer by the type's fast parser; anything else goes
 * through the general parser, which gives the reasons for bad lines.
 *
 * Locking: the assembler is one open file's (h->lock held throughout).
 */
#include <errno.h>
#include <string.h>

#include "fusefs/lines.h"

void
xfbfs_line_error(struct xfbfs_handle *h, unsigned int lineno,
		const char *why, const char *line, size_t len)
{
	xfbfs_tree_error(h->tree, h->pid, "%s: line %u: %s: %.*s",
			 h->ops->name, lineno, why,
			 (int)(len > 200 ? 200 : len), line);
}

bool
xfbfs_next_line(struct xfbfs_lines *it, const char **line, size_t *len)
{
	const char	*nl;

	if (it->first) {
		*line = it->first;
		*len = it->first_len;
		it->first = NULL;
	} else {
		if (!it->rest_len)
			return false;
		/* Only a FLUSH's last line lacks its newline. */
		nl = memchr(it->rest, '\n', it->rest_len);
		*line = it->rest;
		*len = nl ? (size_t)(nl - it->rest) : it->rest_len;
		it->rest += *len + (nl != NULL);
		it->rest_len -= *len + (nl != NULL);
	}
	it->lineno++;
	return true;
}

int
xfbfs_asm_write(struct xfbfs_handle *h, struct xfbfs_asm *a,
		const char *buf, size_t size, bool final, xfbfs_lines_fn take)
{
	struct xfbfs_lines	lines = { .rest = buf, .rest_len = size };
	const char		*end = buf + size;
	const char		*nl, *last;
	size_t			keep;
	int			error;

	ASSERT(xfbfs_mutex_is_locked(&h->lock));

	/* The rest of a broken line comes first (see the top of the file). */
	if (a->broken) {
		ASSERT(a->tail_len == 0);
		a->broken = false;
		if (final)
			return 0;	/* close ends it */
		nl = memchr(buf, '\n', size);
		if (nl != buf) {
			xfbfs_line_error(h, 1, "rest of a refused line", buf,
					 nl ? (size_t)(nl - buf) : size);
			error = -EINVAL;
			goto out_drop;
		}
		/* Only its newline: what follows is fresh. */
		buf++;
		size--;
		lines.rest = buf;
		lines.rest_len = size;
	}

	/* The line this write completes, if a tail is waiting. */
	if (a->tail_len) {
		nl = final ? NULL : memchr(buf, '\n', size);
		lines.first_len = a->tail_len + (nl ? (size_t)(nl - buf) :
						  size);
		if (lines.first_len > XFBFS_LINE_MAX) {
			xfbfs_line_error(h, 1, "line too long", a->tail,
					 a->tail_len);
			error = -EINVAL;
			goto out_drop;
		}
		if (!nl && !final) {
			/* Still no newline: the tail grows, nothing else. */
			memcpy(a->tail + a->tail_len, buf, size);
			a->tail_len += size;
			return 0;
		}
		/*
		 * tail = "1234", buf = "56\n78\n..." (nl at buf[2]):
		 * first = "123456" in the tail's buffer, rest = "78\n...".
		 */
		memcpy(a->tail + a->tail_len, buf,
		       lines.first_len - a->tail_len);
		lines.first = a->tail;
		lines.rest = nl ? nl + 1 : buf + size;
		lines.rest_len = buf + size - lines.rest;
	}

	if (final) {
		/* FLUSH: what is left is a last line, newline or not. */
		if (!lines.first && lines.rest_len) {
			lines.first = lines.rest;
			lines.first_len = lines.rest_len;
		}
		lines.rest_len = 0;
		keep = 0;
	} else {
		/* What follows the last newline waits for the next write. */
		last = memrchr(lines.rest, '\n', lines.rest_len);
		keep = last ? (size_t)(lines.rest + lines.rest_len -
				       (last + 1)) : lines.rest_len;
		if (keep > XFBFS_LINE_MAX) {
			xfbfs_line_error(h, 1, "line too long",
					 buf + size - keep, keep);
			error = -EINVAL;
			goto out_drop;
		}
		lines.rest_len -= keep;
	}

	if (lines.first || lines.rest_len) {
		error = take(h, &lines);
		if (error)
			goto out_drop;
	}
	/* The consumer is done with first: the tail's buffer is free. */
	memcpy(a->tail, buf + size - keep, keep);
	a->tail_len = keep;
	return 0;

out_drop:
	a->tail_len = 0;
	/* A refused write that ended inside a line breaks that line. */
	a->broken = !final && end > buf && end[-1] != '\n';
	return error;
}

/*
 * Parse one record line into @it.  1 parsed, 0 for a blank line or a
 * comment, or -EINVAL with *@why.
 */
static int
xfbfs_parse_item(const struct xfbfs_type *type, bool keys, const char *line,
		size_t len, struct xfbfs_item *it, const char **why)
{
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	int			nf;

	if (len > XFBFS_LINE_MAX) {
		*why = "line too long";
		return -EINVAL;
	}
	it->is_key = false;
	it->text = line;
	it->text_len = len;
	nf = xfbfs_split_fields(line, len, f, why);
	if (nf <= 0)
		return nf;
	if (keys && type->delete_by_key &&
	    type->parse_key(f, nf, it->bytes, why) == 0) {
		it->is_key = true;
		return 1;
	}
	if (type->parse_rec(f, nf, it->bytes, why))
		return -EINVAL;
	return 1;
}

int
xfbfs_next_item(const struct xfbfs_type *type, bool keys,
		struct xfbfs_lines *lines, struct xfbfs_item *it,
		const char **line, size_t *len, const char **why)
{
	size_t	(*fast)(const char *, size_t, void *) =
		keys ? NULL : type->parse_line_fast;
	size_t	n;
	int	error;

	for (;;) {
		/* The fast parser reads whole lines where they lie. */
		if (fast && !lines->first &&
		    (n = fast(lines->rest, lines->rest_len, it->bytes))) {
			it->is_key = false;
			it->text = lines->rest;
			it->text_len = n - 1;
			lines->rest += n;
			lines->rest_len -= n;
			lines->lineno++;
			break;
		}
		if (!xfbfs_next_line(lines, line, len))
			return 0;
		error = xfbfs_parse_item(type, keys, *line, *len, it, why);
		if (error < 0)
			return error;
		if (error > 0)
			break;
	}
	it->line = lines->lineno;
	return 1;
}
