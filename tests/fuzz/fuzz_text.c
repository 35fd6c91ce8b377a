// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_text.c: the record text parsers (fusefs/text.c, text_xfs.c).
 *
 * Input: the first byte picks the type (kv, rmap, refcount: byte % 3) and
 * what to feed (byte / 3 % 5); the rest is the text.  What is checked:
 *
 *	REC    split the text into fields and parse a record.  One that
 *	       parses passes ops->verify_rec; its canonical text (format_rec)
 *	       is one line of single-space separated fields, at most
 *	       XFBFS_REC_TEXT_MAX bytes, and parses back to the same bytes;
 *	       the fast line parser, where the type has one, gives the same
 *	       bytes for it (and, for kv, must take it when both numbers have
 *	       at most 19 digits); and the key fields of the line parse, as
 *	       a key, to the record's own key (init_key_from_rec).
 *	LINES  the text as a stream of lines, as an `insert` write is
 *	       parsed: the fast parser first, the general one when it
 *	       declines.  Whatever the fast parser takes must end in a
 *	       newline and agree byte for byte with the general parser.
 *	KEY    a key (the query parsers of lookups and key-only deletes).
 *	RANGE  a range: 1..XFBFS_RANGES_MAX intervals, each low <= high, in
 *	       key order and disjoint.
 *	U64    the whole text as one number field, against a plain
 *	       reference parser; a number prints in decimal and reads back.
 *
 * Every field split off lies inside the line, is not empty and holds no
 * blank; a refusal is -EINVAL with a reason.  The text is copied into a
 * buffer of its exact length, so a read past it is an ASan report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "fusefs/text.h"
#include "tests/fuzz/fuzz.h"

enum fuzz_text_mode {
	FT_REC,
	FT_LINES,
	FT_KEY,
	FT_RANGE,
	FT_U64,
	FT_NR_MODES
};

static const struct xfbfs_type *const fuzz_types[] = {
	&xfbfs_type_kv,
	&xfbfs_type_rmap,
	&xfbfs_type_refcount,
};

/*
 * Split, and check what any split must give: -EINVAL with a reason, or
 * 0..XFBFS_FIELDS_MAX fields in order inside the line, none empty or
 * holding a blank.
 */
static int
fuzz_split(const char *line, size_t len, struct xfbfs_field *f)
{
	const char	*why = NULL;
	const char	*prev_end = line;
	int		nf, i;
	size_t		j;

	nf = xfbfs_split_fields(line, len, f, &why);
	if (nf < 0) {
		FUZZ_ASSERT_EQ(nf, -EINVAL);
		FUZZ_ASSERT(why != NULL);
		return nf;
	}
	FUZZ_ASSERT(nf <= XFBFS_FIELDS_MAX);
	for (i = 0; i < nf; i++) {
		FUZZ_ASSERT(f[i].len > 0);
		FUZZ_ASSERT(f[i].p >= prev_end);
		FUZZ_ASSERT(f[i].p + f[i].len <= line + len);
		for (j = 0; j < f[i].len; j++) {
			unsigned char	c = f[i].p[j];

			FUZZ_ASSERT(c != ' ' && c != '\t');
			FUZZ_ASSERT(c >= 0x20 && c != 0x7f);
		}
		prev_end = f[i].p + f[i].len;
	}
	return nf;
}

/* A parser's refusal: -EINVAL and a reason. */
static void
fuzz_refused(int error, const char *why)
{
	FUZZ_ASSERT_EQ(error, -EINVAL);
	FUZZ_ASSERT(why != NULL && why[0] != '\0');
}

/*
 * The fields of a record line that make its key, as a key line writes
 * them: kv KEY; rmap STARTBLOCK OWNER OFFSET [FLAGS]; refcount
 * STARTBLOCK [cow].
 */
static int
fuzz_key_fields(const struct xfbfs_type *t, const struct xfbfs_field *f,
		int nf, struct xfbfs_field *kf)
{
	if (t == &xfbfs_type_kv) {
		kf[0] = f[0];
		return 1;
	}
	if (t == &xfbfs_type_rmap) {
		kf[0] = f[0];
		kf[1] = f[2];
		kf[2] = f[3];
		if (nf == 5)
			kf[3] = f[4];
		return nf - 1;
	}
	kf[0] = f[0];
	if (nf == 4)
		kf[1] = f[3];
	return nf == 4 ? 2 : 1;
}

/* Decimal digits of @v. */
static unsigned int
fuzz_ndigits(uint64_t v)
{
	unsigned int	n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/*
 * @rec was accepted: it is valid, and its canonical text is a fixed
 * point that every parser reads back as @rec.
 */
static void
fuzz_check_canonical(const struct xfbfs_type *t, const uint8_t *rec)
{
	const struct xbt_ops	*ops = t->ops;
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	uint8_t			rec2[XBT_REC_MAX], rec3[XBT_REC_MAX];
	char			text[XFBFS_REC_TEXT_MAX + 64];
	char			*exact;
	const char		*why = NULL;
	size_t			n, m, i;
	int			nf, error;

	FUZZ_ASSERT(!ops->verify_rec || ops->verify_rec(rec) == NULL);
	n = t->format_rec(rec, text);
	FUZZ_ASSERT(n >= 2 && n <= XFBFS_REC_TEXT_MAX);
	FUZZ_ASSERT(text[n - 1] == '\n');
	/* One line of fields, single spaces between them. */
	FUZZ_ASSERT(text[0] != ' ' && text[n - 2] != ' ');
	for (i = 0; i + 1 < n; i++) {
		FUZZ_ASSERT(text[i] != '\n' && text[i] != '\t');
		FUZZ_ASSERT((unsigned char)text[i] >= 0x20);
		FUZZ_ASSERT(!(text[i] == ' ' && text[i + 1] == ' '));
	}

	/* Exactly n bytes: a parser that reads on is caught by ASan. */
	exact = malloc(n);
	FUZZ_ASSERT(exact != NULL);
	memcpy(exact, text, n);

	nf = fuzz_split(exact, n - 1, f);
	FUZZ_ASSERT(nf > 0);
	error = t->parse_rec(f, nf, rec2, &why);
	FUZZ_ASSERT_EQ(error, 0);
	FUZZ_ASSERT(memcmp(rec, rec2, ops->rec_len) == 0);

	if (t->parse_line_fast) {
		m = t->parse_line_fast(exact, n, rec3);
		if (m)
			FUZZ_ASSERT(m == n &&
				    memcmp(rec, rec3, ops->rec_len) == 0);
		/* kv's fast path is for exactly this form, up to 19 digits. */
		if (t == &xfbfs_type_kv &&
		    fuzz_ndigits(kvbt_rec_key(rec)) <= 19 &&
		    fuzz_ndigits(kvbt_rec_val(rec)) <= 19)
			FUZZ_ASSERT(m == n);
	}
	free(exact);
}

static void
fuzz_rec(const struct xfbfs_type *t, const char *line, size_t len)
{
	const struct xbt_ops	*ops = t->ops;
	struct xfbfs_field	f[XFBFS_FIELDS_MAX], kf[XFBFS_FIELDS_MAX];
	uint8_t			rec[XBT_REC_MAX], key[XBT_KEY_MAX];
	uint8_t			key2[XBT_KEY_MAX];
	const char		*why = NULL;
	int			nf, nkf, error;

	nf = fuzz_split(line, len, f);
	if (nf <= 0)
		return;
	error = t->parse_rec(f, nf, rec, &why);
	if (error) {
		fuzz_refused(error, why);
		return;
	}
	fuzz_check_canonical(t, rec);

	/* The line's key fields name the record's key. */
	nkf = fuzz_key_fields(t, f, nf, kf);
	error = t->parse_key(kf, nkf, key, &why);
	FUZZ_ASSERT_EQ(error, 0);
	ops->init_key_from_rec(key2, rec);
	FUZZ_ASSERT(memcmp(key, key2, ops->key_len) == 0);
}

/* The text as lines, the way a write to `insert` is taken apart. */
static void
fuzz_lines(const struct xfbfs_type *t, const char *buf, size_t len)
{
	const struct xbt_ops	*ops = t->ops;
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	uint8_t			rec[XBT_REC_MAX], rec2[XBT_REC_MAX];
	const char		*why, *nl;
	size_t			pos = 0, m, linelen;
	int			nf, error;

	while (pos < len) {
		m = t->parse_line_fast ?
		    t->parse_line_fast(buf + pos, len - pos, rec) : 0;
		if (m) {
			/* Taken: a whole line, which the general path reads
			 * as the same record. */
			FUZZ_ASSERT(m <= len - pos);
			FUZZ_ASSERT(buf[pos + m - 1] == '\n');
			FUZZ_ASSERT(memchr(buf + pos, '\n', m - 1) == NULL);
			nf = fuzz_split(buf + pos, m - 1, f);
			FUZZ_ASSERT(nf > 0);
			why = NULL;
			error = t->parse_rec(f, nf, rec2, &why);
			FUZZ_ASSERT_EQ(error, 0);
			FUZZ_ASSERT(memcmp(rec, rec2, ops->rec_len) == 0);
			pos += m;
			continue;
		}
		nl = memchr(buf + pos, '\n', len - pos);
		linelen = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		nf = fuzz_split(buf + pos, linelen, f);
		if (nf > 0) {
			why = NULL;
			error = t->parse_rec(f, nf, rec, &why);
			if (error)
				fuzz_refused(error, why);
			else
				fuzz_check_canonical(t, rec);
		}
		pos += linelen + (nl != NULL);
	}
}

static void
fuzz_key(const struct xfbfs_type *t, const char *line, size_t len)
{
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	uint8_t			key[XBT_KEY_MAX];
	const char		*why = NULL;
	int			nf, error;

	nf = fuzz_split(line, len, f);
	if (nf < 0)
		return;
	error = t->parse_key(f, nf, key, &why);
	if (error) {
		fuzz_refused(error, why);
		return;
	}
	/* A key compares equal to itself: the bytes are all defined. */
	FUZZ_ASSERT(t->ops->cmp_keys(key, key) == 0);
}

static void
fuzz_range(const struct xfbfs_type *t, const char *line, size_t len)
{
	const struct xbt_ops	*ops = t->ops;
	struct xfbfs_field	f[XFBFS_FIELDS_MAX];
	uint8_t			lo[XFBFS_RANGES_MAX][XBT_KEY_MAX];
	uint8_t			hi[XFBFS_RANGES_MAX][XBT_KEY_MAX];
	const char		*why = NULL;
	int			nf, n, i;

	nf = fuzz_split(line, len, f);
	if (nf < 0)
		return;
	n = t->parse_range(f, nf, lo, hi, &why);
	if (n < 0) {
		fuzz_refused(n, why);
		return;
	}
	FUZZ_ASSERT(n >= 1 && n <= XFBFS_RANGES_MAX);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(ops->cmp_keys(lo[i], hi[i]) <= 0);
		if (i)
			FUZZ_ASSERT(ops->cmp_keys(hi[i - 1], lo[i]) < 0);
	}
}

static int
fuzz_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The number syntax of text.h, written plainly: "0x" or "0X" and 1 to 16
 * hex digits, or 1 or more decimal digits whose value fits in 64 bits.
 */
static bool
fuzz_ref_u64(const char *p, size_t len, uint64_t *v)
{
	uint64_t	x = 0;
	size_t		i;
	int		d;

	if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (len - 2 > 16)
			return false;
		for (i = 2; i < len; i++) {
			d = fuzz_hexval(p[i]);
			if (d < 0)
				return false;
			x = x << 4 | (uint64_t)d;
		}
		*v = x;
		return true;
	}
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(p[i] - '0'), &x))
			return false;
	}
	*v = x;
	return true;
}

static void
fuzz_u64(const char *line, size_t len)
{
	struct xfbfs_field	f = { .p = line, .len = len };
	const char		*why = NULL;
	char			text[32];
	uint64_t		v = 0, ref = 0, back = 0;
	bool			ok_ref;
	size_t			n;
	int			error;

	error = xfbfs_parse_u64(&f, &v, &why);
	ok_ref = fuzz_ref_u64(line, len, &ref);
	FUZZ_ASSERT_EQ(error == 0, ok_ref);
	if (error) {
		fuzz_refused(error, why);
		return;
	}
	FUZZ_ASSERT(v == ref);

	n = xfbfs_format_u64(text, v);
	FUZZ_ASSERT(n >= 1 && n <= 20);
	FUZZ_ASSERT_EQ(n, fuzz_ndigits(v));
	f.p = text;
	f.len = n;
	FUZZ_ASSERT_EQ(xfbfs_parse_u64(&f, &back, &why), 0);
	FUZZ_ASSERT(back == v);
	/*
	 * Decimal without leading zeros (hex always starts with a zero) is
	 * already canonical.
	 */
	if (line[0] != '0' || len == 1)
		FUZZ_ASSERT(n == len && !memcmp(text, line, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct xfbfs_type	*t, *found;
	char			*line;
	size_t			len;
	unsigned int		mode;

	if (size < 1)
		return 0;
	t = fuzz_types[data[0] % 3];
	mode = data[0] / 3 % FT_NR_MODES;
	len = size - 1;
	line = malloc(len ? len : 1);
	if (!line)
		return 0;
	memcpy(line, data + 1, len);

	found = xfbfs_type_find(line, len);
	if (found)
		FUZZ_ASSERT(strlen(found->name) == len &&
			    !memcmp(found->name, line, len));

	switch (mode) {
	case FT_REC:
		fuzz_rec(t, line, len);
		break;
	case FT_LINES:
		fuzz_lines(t, line, len);
		break;
	case FT_KEY:
		fuzz_key(t, line, len);
		break;
	case FT_RANGE:
		fuzz_range(t, line, len);
		break;
	case FT_U64:
		if (len)
			fuzz_u64(line, len);
		break;
	}
	free(line);
	return 0;
}
