/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfbt_ranges.h: records, file helpers and dumps shared by the two
 * files of xfbt_ranges, the range-answer checker (xfbt_ranges.c: slots,
 * the event log, the threads and the checks; xfbt_ranges_rec.c: records
 * as text, keeping a btree's state after a wrong answer).
 */
#ifndef XFBT_RANGES_H
#define XFBT_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALL_PAGES_MAX	4096		/* a dump keeps every page up to this */
#define LINE_MAX_LEN	160		/* a record's line, newline included */

/* rmap offset flags, as in the record's packed offset */
#define RMAP_ATTR	(1ULL << 63)
#define RMAP_BMBT	(1ULL << 62)
#define RMAP_UNWRITTEN	(1ULL << 61)
#define RMAP_OFF_MASK	((1ULL << 54) - 1)

/* kv only for `dump`: its key goes in rec.owner, its value in rec.off. */
enum bt_type { T_RMAP, T_REFC, T_KV };

/* XFS's special rmap owners by name, from -1 down. */
#define NSPECIAL	9
extern const char *const special_names[NSPECIAL];

/* One record of either type (the fields of the other are zero). */
struct rec {
	uint32_t	start;	/* refcount: without the domain bit */
	uint32_t	len;
	uint64_t	owner;	/* rmap */
	uint64_t	off;	/* rmap: offset | attr, bmbt, unwritten bits */
	uint32_t	refc;	/* refcount */
	bool		cow;	/* refcount: the CoW domain */
};

static inline int
cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* Print the message and exit 2 (a usage or system error). */
void die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* realloc() that dies on failure. */
void *xrealloc(void *p, size_t n);
/* A whole file into a new NUL-terminated *@buf; 0 or -errno. */
int slurp(const char *path, char **buf, size_t *len);
/* @buf into @dir/@name (errors ignored: it is a report). */
void spit(const char *dir, const char *name, const char *buf, size_t len);
/* Append to a report of @cap bytes holding *@len; never overflows. */
void rep_add(char *buf, size_t *len, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The canonical line of @r with its newline (LINE_MAX_LEN at most). */
size_t rec_format(enum bt_type type, const struct rec *r, char *buf);
/* Parse a canonical line [@p, @end) without its newline. */
bool rec_parse(enum bt_type type, const char *p, const char *end,
		struct rec *r);
/* Key order: rmap (start, owner, offset without unwritten); refcount
 * (domain, start); kv the key. */
int rec_cmp_key(enum bt_type type, const struct rec *a, const struct rec *b);
bool rec_eq(const struct rec *a, const struct rec *b);
/* Does @r's extent meet blocks @lo..@hi? */
bool rec_overlaps(const struct rec *r, uint32_t lo, uint32_t hi);

/* check, stats, records, errors and pages of btree @dir into @out (see
 * xfbt_ranges_rec.c); the number of pages kept. */
unsigned int keep_btree(enum bt_type type, const char *dir, const char *out,
		const struct rec *key);
/* `xfbt_ranges dump DIR OUTDIR [RECORD]`, @argv[0] being "dump". */
int ranges_dump(int argc, char **argv);

#endif /* XFBT_RANGES_H */
