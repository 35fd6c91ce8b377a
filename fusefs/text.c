// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * text.c: parsing and printing record text (see text.h).
 *
 * Hot paths: a million-line insert parses every line here, and reading
 * `records` prints every record, so numbers are parsed by hand (no
 * strtoull, no locale) and printed two digits at a time.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "fusefs/text.h"

int
xfbfs_split_fields(const char *line, size_t len, struct xfbfs_field *f,
		const char **why)
{
	size_t		i = 0, start;
	int		nf = 0;
	unsigned char	c;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] == '#')
		return 0;
	while (i < len) {
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t') {
			c = line[i];
			if (c < 0x20 || c == 0x7f) {
				*why = "control character in line";
				return -EINVAL;
			}
			i++;
		}
		if (nf == XFBFS_FIELDS_MAX) {
			*why = "too many fields";
			return -EINVAL;
		}
		f[nf].p = line + start;
		f[nf].len = i - start;
		nf++;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
	}
	return nf;
}

static int
xfbfs_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
xfbfs_parse_u64(const struct xfbfs_field *f, uint64_t *v, const char **why)
{
	const char	*p = f->p;
	size_t		len = f->len, i;
	uint64_t	x = 0;
	int		d;

	if (len > 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
		if (len - 2 > 16)
			goto out_range;
		for (i = 2; i < len; i++) {
			d = xfbfs_hexval(p[i]);
			if (d < 0)
				goto out_bad;
			x = x << 4 | d;
		}
		*v = x;
		return 0;
	}
	if (len == 0)
		goto out_bad;
	for (i = 0; i < len; i++) {
		d = (unsigned char)p[i] - '0';
		if (d < 0 || d > 9)
			goto out_bad;
		if (x > (UINT64_MAX - d) / 10)
			goto out_range;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
out_range:
	*why = "number out of range";
	return -EINVAL;
out_bad:
	*why = "not a number";
	return -EINVAL;
}

static const char xfbfs_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Number of decimal digits of @v. */
static inline unsigned int
xfbfs_digits(uint64_t v)
{
	static const uint64_t	pow10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
		10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
		100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL,
		10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL,
	};
	/* log10 from log2: bits * 1233 / 4096 is floor(bits * log10(2)). */
	unsigned int	d = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;

	return d + (v >= pow10[d]) + (v == 0);
}

/*
 * The 8 digits of @x < 10^8, leading zeros included, as 8 ASCII bytes in
 * memory order (the first digit at the lowest address).  Two lanes of 32
 * bits (4 digits each), then four of 16 (2 digits), then eight bytes (1
 * digit), each step a multiply-shift division done in every lane at
 * once; no lane ever carries into the next:
 *
 *	x = 12345678
 *	y = [1234 | 5678]		 x / 10^4, x % 10^4 (32-bit lanes)
 *	z = [12 | 34 | 56 | 78]		 n / 100 = n * 5243 >> 19, n < 10^4
 *	d = [1|2|3|4|5|6|7|8]		 m / 10 = m * 103 >> 10, m < 100
 *
 * Products stay within their lane (10^4 * 5243 < 2^32 and 100 * 103 <
 * 2^16) and the masks keep each lane's quotient only.
 */
static inline uint64_t
xfbfs_digits8(uint32_t x)
{
	uint64_t	y, q, z, t, d;

	y = x / 10000;
	y |= (uint64_t)(x - (uint32_t)y * 10000) << 32;
	q = ((y * 5243) >> 19) & 0x0000007F0000007FULL;
	z = q | ((y - q * 100) << 16);
	t = ((z * 103) >> 10) & 0x000F000F000F000FULL;
	d = (t | ((z - t * 10) << 8)) + 0x3030303030303030ULL;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	d = __builtin_bswap64(d);	/* the first digit in the first byte */
#endif
	return d;
}

/* Append the 8 digits of @x < 10^8 at @p. */
static inline char *
xfbfs_put_digits8(char *p, uint32_t x)
{
	uint64_t	d = xfbfs_digits8(x);

	memcpy(p, &d, 8);
	return p + 8;
}

/*
 * Decimal, no leading zeros.  A 64-bit number is at most 20 digits: a
 * head of up to 4 (v / 10^16 < 1845), then two runs of 8.  The head is
 * written by the two-digit table, the runs by xfbfs_digits8(), so that a
 * key of 20 digits takes two 64-bit divisions instead of ten.  (The head
 * through xfbfs_digits8() and xfbfs_digits() too would be one method
 * fewer, but costs random 64-bit keys, nearly all 20 digits long, about
 * half as much again: 17-21 ns against 11-15.)
 */
size_t
xfbfs_format_u64(char *buf, uint64_t v)
{
	uint64_t	d;
	unsigned int	n, head;
	char		*p;

	if (v < 100000000) {
		n = xfbfs_digits(v);
		d = xfbfs_digits8((uint32_t)v);
		memcpy(buf, (const char *)&d + 8 - n, n);
		return n;
	}
	if (v < 10000000000000000ULL) {
		n = xfbfs_digits(v);
		d = xfbfs_digits8((uint32_t)(v / 100000000));
		memcpy(buf, (const char *)&d + 16 - n, n - 8);
		xfbfs_put_digits8(buf + n - 8, (uint32_t)(v % 100000000));
		return n;
	}
	head = (unsigned int)(v / 10000000000000000ULL);
	v %= 10000000000000000ULL;
	p = buf;
	if (head >= 1000) {
		memcpy(p, xfbfs_digits2 + 2 * (head / 100), 2);
		memcpy(p + 2, xfbfs_digits2 + 2 * (head % 100), 2);
		p += 4;
	} else if (head >= 100) {
		*p++ = '0' + head / 100;
		memcpy(p, xfbfs_digits2 + 2 * (head % 100), 2);
		p += 2;
	} else if (head >= 10) {
		memcpy(p, xfbfs_digits2 + 2 * head, 2);
		p += 2;
	} else {
		*p++ = '0' + head;
	}
	p = xfbfs_put_digits8(p, (uint32_t)(v / 100000000));
	p = xfbfs_put_digits8(p, (uint32_t)(v % 100000000));
	return p - buf;
}

/* ---- kv: "KEY VALUE" -------------------------------------------------- */

static int
kv_parse_rec(const struct xfbfs_field *f, int nf, void *rec, const char **why)
{
	uint64_t	k, v;

	if (nf != 2) {
		*why = "expected KEY VALUE";
		return -EINVAL;
	}
	if (xfbfs_parse_u64(&f[0], &k, why) || xfbfs_parse_u64(&f[1], &v, why))
		return -EINVAL;
	kvbt_rec_init(rec, k, v);
	return 0;
}

static int
kv_parse_key(const struct xfbfs_field *f, int nf, void *key, const char **why)
{
	uint64_t	k;

	if (nf != 1) {
		*why = "expected KEY";
		return -EINVAL;
	}
	if (xfbfs_parse_u64(&f[0], &k, why))
		return -EINVAL;
	kvbt_key_init(key, k);
	return 0;
}

static int
kv_parse_range(const struct xfbfs_field *f, int nf,
		uint8_t low[][XBT_KEY_MAX], uint8_t high[][XBT_KEY_MAX],
		const char **why)
{
	if (nf != 2) {
		*why = "expected LOW HIGH";
		return -EINVAL;
	}
	if (kv_parse_key(&f[0], 1, low[0], why) ||
	    kv_parse_key(&f[1], 1, high[0], why))
		return -EINVAL;
	if (kvbt_rec_key(low[0]) > kvbt_rec_key(high[0])) {
		*why = "LOW is above HIGH";
		return -EINVAL;
	}
	return 1;
}

/*
 * Eight decimal digits, one per byte (values 0..9, the first digit in the
 * lowest byte), to their value: pairs, then quads, then the eight, with
 * a few multiplications instead of eight multiply-adds in a chain.
 */
static inline uint64_t
xfbfs_eight_digits(uint64_t d)
{
	d = d * 10 + (d >> 8);
	return ((d & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)) +
		((d >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))
	       >> 32;
}

/*
 * A run of 1..19 decimal digits at @p (never reading at or past @end):
 * returns how many and their value, or 0 if there are none or more than
 * 19 (those take the careful path, which checks for overflow).  Eight
 * bytes at a time while eight are left: a byte is a digit when, XORed
 * with '0', it is below 10, which adding 0x76 tells by its top bit.  A
 * carry out of a non-digit byte only reaches bytes after it, so the first
 * non-digit is always found right.
 */
static inline size_t
xfbfs_digits_fast(const char *p, const char *end, uint64_t *v)
{
	static const uint64_t	pow10[9] = {
		1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000,
	};
	uint64_t		x = 0, w, d, m;
	size_t			n = 0;
	unsigned int		k;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		d = le64toh(w) ^ 0x3030303030303030ULL;
		m = ((d + 0x7676767676767676ULL) | d) & 0x8080808080808080ULL;
		k = m ? __builtin_ctzll(m) >> 3 : 8;
		if (k)
			x = x * pow10[k] +
			    xfbfs_eight_digits(d << (8 * (8 - k)));
		n += k;
		p += k;
		if (n > 19)
			return 0;
		if (k < 8)
			goto out;
	}
	while (p < end && (unsigned char)(*p - '0') < 10) {
		x = x * 10 + (*p++ - '0');
		if (++n > 19)
			return 0;
	}
out:
	*v = x;
	return n;
}

/*
 * "KEY VALUE\n" in plain decimal with one space, at most 19 digits each:
 * the form `records` prints and scripts write.
 */
static size_t
kv_parse_line_fast(const char *buf, size_t len, void *rec)
{
	const char	*end = buf + len, *p = buf;
	uint64_t	k, v;
	size_t		n;

	n = xfbfs_digits_fast(p, end, &k);
	if (!n || end - p <= (ptrdiff_t)n || p[n] != ' ')
		return 0;
	p += n + 1;
	n = xfbfs_digits_fast(p, end, &v);
	if (!n || end - p <= (ptrdiff_t)n || p[n] != '\n')
		return 0;
	kvbt_rec_init(rec, k, v);
	return p + n + 1 - buf;
}

static size_t
kv_format_rec(const void *rec, char *buf)
{
	size_t	n;

	n = xfbfs_format_u64(buf, kvbt_rec_key(rec));
	buf[n++] = ' ';
	n += xfbfs_format_u64(buf + n, kvbt_rec_val(rec));
	buf[n++] = '\n';
	return n;
}

const struct xfbfs_type xfbfs_type_kv = {
	.name		= "kv",
	.ops		= &kvbt_ops,
	.delete_by_key	= true,
	.parse_rec	= kv_parse_rec,
	.parse_key	= kv_parse_key,
	.parse_range	= kv_parse_range,
	.parse_line_fast = kv_parse_line_fast,
	.format_rec	= kv_format_rec,
};

static const struct xfbfs_type *const xfbfs_types[] = {
	&xfbfs_type_kv,
	&xfbfs_type_rmap,
	&xfbfs_type_refcount,
};

const struct xfbfs_type *
xfbfs_type_find(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(xfbfs_types) / sizeof(xfbfs_types[0]); i++)
		if (strlen(xfbfs_types[i]->name) == len &&
		    !memcmp(xfbfs_types[i]->name, name, len))
			return xfbfs_types[i];
	return NULL;
}
