// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfbt_ranges_rec.c: what xfbt_ranges (xfbt_ranges.c, the range-answer
 * checker) needs besides its threads: records as the daemon writes them
 * (text both ways, key order, overlap), small file helpers, and keeping
 * a btree's state after a wrong answer (`xfbt_ranges dump`).
 *
 * Records: struct rec (xfbt_ranges.h) holds an rmap or a refcount record
 * (a kv record for dumps only); the text is the daemon's canonical line,
 * which rec_format() writes and rec_parse() reads back exactly: anything
 * else in an answer is a wrong answer.
 *
 * Dumps: keep_btree() copies a btree's check, stats, records and errors
 * and its pages: every page of a btree of up to ALL_PAGES_MAX blocks,
 * else every node and the leaf where a given key is or would go, with
 * its two siblings (found from the raw blocks: level and numrecs in the
 * block header, the first record's key at byte 72).
 *
 * No locks: the functions touch only their arguments and the files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xfbt_ranges.h"

const char *const special_names[NSPECIAL] = {
	"null", "unknown", "fs", "log", "ag", "inobt", "inodes", "refc", "cow",
};

/* ---- small helpers --------------------------------------------------- */

void
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "xfbt_ranges: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

/* Read a whole file into *@buf (NUL-terminated); 0 or -errno. */
int
slurp(const char *path, char **buf, size_t *len)
{
	size_t	cap = 65536, n = 0;
	char	*b = xrealloc(NULL, cap + 1);
	ssize_t	r;
	int	fd = open(path, O_RDONLY);

	if (fd < 0) {
		free(b);
		return -errno;
	}
	for (;;) {
		if (n + 65536 > cap) {
			cap *= 2;
			b = xrealloc(b, cap + 1);
		}
		r = read(fd, b + n, 65536);
		if (r < 0) {
			r = -errno;
			close(fd);
			free(b);
			return r;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

void
spit(const char *dir, const char *name, const char *buf, size_t len)
{
	char	path[8192];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
}

/* Append to a report of @cap bytes holding *@len; it never overflows. */
void
rep_add(char *buf, size_t *len, size_t cap, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*len + 1 >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

/* Copy a file of the mount into @dir (its error text if it fails). */
static void
keep_file(const char *dir, const char *name, const char *src)
{
	char	*buf, msg[256];
	size_t	len;
	int	error = slurp(src, &buf, &len);

	if (error) {
		len = snprintf(msg, sizeof(msg), "reading %s: %s\n", src,
			       strerror(-error));
		spit(dir, name, msg, len);
		return;
	}
	spit(dir, name, buf, len);
	free(buf);
}

/* ---- records: text, keys ----------------------------------------------- */

static int
owner_text(uint64_t owner, char *buf, size_t len)
{
	if (owner >= (uint64_t)-NSPECIAL)
		return snprintf(buf, len, "%s", special_names[(uint64_t)-1 - owner]);
	return snprintf(buf, len, "%" PRIu64, owner);
}

/* The canonical line of a record, with its newline; its length. */
size_t
rec_format(enum bt_type type, const struct rec *r, char *buf)
{
	char	own[32];
	int	n;

	if (type == T_REFC)
		return sprintf(buf, "%u %u %u%s\n", r->start, r->len, r->refc,
			       r->cow ? " cow" : "");
	owner_text(r->owner, own, sizeof(own));
	n = sprintf(buf, "%u %u %s %" PRIu64, r->start, r->len, own,
		    (uint64_t)(r->off & RMAP_OFF_MASK));
	if (r->off & (RMAP_ATTR | RMAP_BMBT | RMAP_UNWRITTEN)) {
		const char	*sep = " ";

		if (r->off & RMAP_ATTR) {
			n += sprintf(buf + n, "%sattr", sep);
			sep = ",";
		}
		if (r->off & RMAP_BMBT) {
			n += sprintf(buf + n, "%sbmbt", sep);
			sep = ",";
		}
		if (r->off & RMAP_UNWRITTEN)
			n += sprintf(buf + n, "%sunwritten", sep);
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/* A decimal u64 field at *@p (up to a space or @end); false if not one. */
static bool
parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char	*s = *p;
	uint64_t	x = 0;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	while (s < end && *s >= '0' && *s <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (*s++ - '0');
	}
	*p = s;
	*v = x;
	return true;
}

static bool
parse_sep(const char **p, const char *end)
{
	if (*p >= end || **p != ' ')
		return false;
	(*p)++;
	return true;
}

static bool
parse_word(const char **p, const char *end, const char *w)
{
	size_t	n = strlen(w);

	if ((size_t)(end - *p) < n || memcmp(*p, w, n))
		return false;
	if (*p + n < end && (*p)[n] != ' ' && (*p)[n] != ',')
		return false;
	*p += n;
	return true;
}

/*
 * Parse one canonical answer line [@p, @end) (no newline).  Returns false
 * for anything but a record of the type as the daemon prints it.
 */
bool
rec_parse(enum bt_type type, const char *p, const char *end, struct rec *r)
{
	uint64_t	v;
	unsigned int	i;

	memset(r, 0, sizeof(*r));
	if (type == T_KV)
		return parse_u64(&p, end, &r->owner) && parse_sep(&p, end) &&
		       parse_u64(&p, end, &r->off) && p == end;
	if (!parse_u64(&p, end, &v) || v > UINT32_MAX)
		return false;
	r->start = v;
	if (!parse_sep(&p, end) || !parse_u64(&p, end, &v) || v > UINT32_MAX)
		return false;
	r->len = v;
	if (type == T_REFC) {
		if (!parse_sep(&p, end) || !parse_u64(&p, end, &v) ||
		    v > UINT32_MAX)
			return false;
		r->refc = v;
		if (p < end) {
			if (!parse_sep(&p, end) || !parse_word(&p, end, "cow"))
				return false;
			r->cow = true;
		}
		return p == end;
	}
	if (!parse_sep(&p, end))
		return false;
	if (*p >= '0' && *p <= '9') {
		if (!parse_u64(&p, end, &r->owner))
			return false;
	} else {
		for (i = 0; i < NSPECIAL; i++)
			if (parse_word(&p, end, special_names[i]))
				break;
		if (i == NSPECIAL)
			return false;
		r->owner = (uint64_t)-1 - i;
	}
	if (!parse_sep(&p, end) || !parse_u64(&p, end, &v) ||
	    v > RMAP_OFF_MASK)
		return false;
	r->off = v;
	if (p == end)
		return true;
	if (!parse_sep(&p, end))
		return false;
	for (;;) {
		if (parse_word(&p, end, "attr"))
			r->off |= RMAP_ATTR;
		else if (parse_word(&p, end, "bmbt"))
			r->off |= RMAP_BMBT;
		else if (parse_word(&p, end, "unwritten"))
			r->off |= RMAP_UNWRITTEN;
		else
			return false;
		if (p == end)
			return true;
		if (*p++ != ',')
			return false;
	}
}

/* Key order: rmap (start, owner, offset without unwritten); refcount
 * (domain, start). */
int
rec_cmp_key(enum bt_type type, const struct rec *a, const struct rec *b)
{
	int	c;

	if (type == T_KV)
		return cmp_u64(a->owner, b->owner);
	if (type == T_REFC) {
		c = cmp_u64(a->cow, b->cow);
		return c ? c : cmp_u64(a->start, b->start);
	}
	c = cmp_u64(a->start, b->start);
	if (!c)
		c = cmp_u64(a->owner, b->owner);
	if (!c)
		c = cmp_u64(a->off & ~RMAP_UNWRITTEN, b->off & ~RMAP_UNWRITTEN);
	return c;
}

bool
rec_eq(const struct rec *a, const struct rec *b)
{
	return a->start == b->start && a->len == b->len &&
	       a->owner == b->owner && a->off == b->off &&
	       a->refc == b->refc && a->cow == b->cow;
}

bool
rec_overlaps(const struct rec *r, uint32_t lo, uint32_t hi)
{
	return r->start <= hi && (uint64_t)r->start + r->len - 1 >= lo;
}

/* ---- dumps ------------------------------------------------------------- */

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* The key of leaf record @i of a raw block, as a struct rec. */
static void
leaf_key(enum bt_type type, const uint8_t *blk, unsigned int i,
		struct rec *k)
{
	memset(k, 0, sizeof(*k));
	if (type == T_KV) {
		k->owner = be64(blk + 72 + i * 16);
		return;
	}
	if (type == T_REFC) {
		uint32_t	s = be32(blk + 72 + i * 12);

		k->start = s & 0x7fffffff;
		k->cow = s >> 31;
		return;
	}
	k->start = be32(blk + 72 + i * 24);
	k->owner = be64(blk + 72 + i * 24 + 8);
	k->off = be64(blk + 72 + i * 24 + 16) & ~RMAP_UNWRITTEN;
}

/*
 * Keep the pages of btree @dir in @out/pages: all of them if there are
 * up to ALL_PAGES_MAX, else every node and the leaf where @key is or
 * would go with its two neighbours.  Returns how many were kept.
 */
static unsigned int
keep_pages(enum bt_type type, const char *dir, const char *out,
		const struct rec *key)
{
	char		path[4096], dst[4096];
	struct dirent	*d;
	DIR		*dp;
	uint64_t	*bnos = NULL, home = UINT64_MAX, left = 0, right = 0;
	size_t		n = 0, cap = 0, i;
	struct rec	best = { 0 };
	unsigned int	kept = 0;

	snprintf(path, sizeof(path), "%s/pages", dir);
	dp = opendir(path);
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			bnos = xrealloc(bnos, cap * sizeof(*bnos));
		}
		bnos[n++] = strtoull(d->d_name, NULL, 10);
	}
	closedir(dp);
	snprintf(dst, sizeof(dst), "%s/pages", out);
	mkdir(dst, 0755);
	/* Two passes when large: find the home leaf, then copy. */
	for (int pass = n > ALL_PAGES_MAX ? 0 : 1; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			char		*buf;
			size_t		len;
			const uint8_t	*b;
			unsigned int	level, nrecs;
			bool		want = n <= ALL_PAGES_MAX;

			snprintf(path, sizeof(path), "%s/pages/%" PRIu64, dir,
				 bnos[i]);
			if (slurp(path, &buf, &len))
				continue;
			b = (const uint8_t *)buf;
			level = len >= 72 ? (b[4] << 8 | b[5]) : 0;
			nrecs = len >= 72 ? (b[6] << 8 | b[7]) : 0;
			if (bnos[i] == 0 || level > 0)
				want = true;
			if (pass == 0 && bnos[i] && level == 0 && nrecs &&
			    72 + nrecs * (type == T_REFC ? 12 :
					  type == T_KV ? 16 : 24) <= len) {
				struct rec	first;

				leaf_key(type, b, 0, &first);
				if (rec_cmp_key(type, &first, key) <= 0 &&
				    (home == UINT64_MAX ||
				     rec_cmp_key(type, &first, &best) > 0)) {
					best = first;
					home = bnos[i];
					left = be64(b + 8);
					right = be64(b + 16);
				}
			}
			if (pass == 1 && (want || bnos[i] == home ||
					  bnos[i] == left || bnos[i] == right)) {
				char	name[32];

				snprintf(name, sizeof(name), "%" PRIu64,
					 bnos[i]);
				spit(dst, name, buf, len);
				kept++;
			}
			free(buf);
		}
	}
	free(bnos);
	return kept;
}

/* check, stats, records and pages of btree @dir into @out. */
unsigned int
keep_btree(enum bt_type type, const char *dir, const char *out,
		const struct rec *key)
{
	char	path[4096];

	snprintf(path, sizeof(path), "%s/check", dir);
	keep_file(out, "check.txt", path);
	snprintf(path, sizeof(path), "%s/stats", dir);
	keep_file(out, "stats.txt", path);
	snprintf(path, sizeof(path), "%s/records", dir);
	keep_file(out, "records.txt", path);
	snprintf(path, sizeof(path), "%s/errors", dir);
	keep_file(out, "errors.txt", path);
	return keep_pages(type, dir, out, key);
}

/* `xfbt_ranges dump DIR OUTDIR [RECORD]` (xfbt_ranges.c); @argv[0] is "dump". */
int
ranges_dump(int argc, char **argv)
{
	char		path[4096], *buf;
	size_t		len;
	struct rec	key = { 0 };
	enum bt_type	type;
	unsigned int	pages;
	int		error;

	if (argc < 3 || argc > 4)
		die("usage: xfbt_ranges dump DIR OUTDIR [RECORD]");
	snprintf(path, sizeof(path), "%s/type", argv[1]);
	error = slurp(path, &buf, &len);
	if (error)
		die("reading %s: %s", path, strerror(-error));
	if (!strcmp(buf, "kv\n"))
		type = T_KV;
	else if (!strcmp(buf, "rmap\n"))
		type = T_RMAP;
	else if (!strcmp(buf, "refcount\n"))
		type = T_REFC;
	else
		die("%s: unknown btree type %s", argv[1], buf);
	free(buf);
	if (argc == 4 && !rec_parse(type, argv[3], argv[3] + strlen(argv[3]),
				    &key))
		die("'%s' is not a record of the type", argv[3]);
	if (mkdir(argv[2], 0755) && errno != EEXIST)
		die("mkdir %s: %s", argv[2], strerror(errno));
	pages = keep_btree(type, argv[1], argv[2], &key);
	printf("kept check, stats, records, errors and %u pages in %s\n",
	       pages, argv[2]);
	return 0;
}
