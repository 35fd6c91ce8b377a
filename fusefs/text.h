/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * text.h: record text, one small table per record type.
 *
 * A line is split into fields at spaces and tabs; numbers are decimal or
 * 0x hex.  Each type says how its fields make a record, a key and the two
 * keys of a range query, and how a record is printed (canonical: decimal,
 * one space between fields, a newline), so that what `records` prints,
 * `insert` takes back.
 *
 * Fields point into the caller's line; nothing is copied or allocated, and
 * nothing here takes locks.  Errors are -EINVAL with a static reason.
 */
#ifndef FUSEFS_TEXT_H
#define FUSEFS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btree/xbtree.h"

#define XFBFS_LINE_MAX		4095	/* longest line, newline excluded */
#define XFBFS_FIELDS_MAX	8
#define XFBFS_REC_TEXT_MAX	256	/* longest printed record */
#define XFBFS_RANGES_MAX	2	/* key intervals of one range query */

struct xfbfs_field {
	const char	*p;
	size_t		len;
};

struct xfbfs_type {
	const char		*name;		/* as `type` reads and takes */
	const struct xbt_ops	*ops;
	bool			delete_by_key;	/* `delete` takes keys alone */
	/*
	 * A record from its fields, checked against the type's record rules
	 * (ops->verify_rec), whose reason it gives.
	 */
	int	(*parse_rec)(const struct xfbfs_field *f, int nf, void *rec,
			     const char **why);
	/* A key, as lookup queries and key-only deletes write it. */
	int	(*parse_key)(const struct xfbfs_field *f, int nf, void *key,
			     const char **why);
	/*
	 * `range LOW HIGH` as key intervals [low[i], high[i]], in key order:
	 * returns how many (1..XFBFS_RANGES_MAX).  One for most types;
	 * refcount's range covers both domains, two intervals.
	 */
	int	(*parse_range)(const struct xfbfs_field *f, int nf,
			       uint8_t low[][XBT_KEY_MAX],
			       uint8_t high[][XBT_KEY_MAX], const char **why);
	/*
	 * Optional: the record on the line at the start of @buf, if the
	 * line is in the plain form `records` prints and ends with its
	 * newline: returns the bytes the line takes, newline included, or 0
	 * for anything else (the caller then takes the general path, which
	 * gives the errors).  Reads nothing past @buf + @len.
	 */
	size_t	(*parse_line_fast)(const char *buf, size_t len, void *rec);
	/* Print a record and its newline; returns the bytes written. */
	size_t	(*format_rec)(const void *rec, char *buf);
};

extern const struct xfbfs_type xfbfs_type_kv;
extern const struct xfbfs_type xfbfs_type_rmap;
extern const struct xfbfs_type xfbfs_type_refcount;

/* The type called @name (@len bytes), or NULL. */
const struct xfbfs_type *xfbfs_type_find(const char *name, size_t len);

/*
 * Split @len bytes at @line into at most XFBFS_FIELDS_MAX fields.  Returns
 * the number of fields (0 for a blank line or a comment), or -EINVAL if
 * there are more, or the line holds a NUL or a control character.
 */
int xfbfs_split_fields(const char *line, size_t len, struct xfbfs_field *f,
		const char **why);

/* A u64 in decimal or 0x hex: 0 or -EINVAL. */
int xfbfs_parse_u64(const struct xfbfs_field *f, uint64_t *v,
		const char **why);

/* Print @v in decimal; returns the digits written (at most 20). */
size_t xfbfs_format_u64(char *buf, uint64_t v);

#endif /* FUSEFS_TEXT_H */
