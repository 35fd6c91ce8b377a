// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_xfarray.c: Check suite for xfile/xfarray.c.
 *
 * The array: append and xfarray_ptr() round trips at element sizes that
 * are and are not powers of two (1, 12, 16, 24, 100, 4096), the layout
 * the header promises (element i at byte i * slot of the xfile, padding
 * zeroed), across the xfile's 64 MiB segment boundary; reserve, truncate
 * giving every byte back, -EFBIG, -ENOSPC at the memory cap (nothing
 * appended, length unchanged), injected allocation faults.
 *
 * The sorts: introsort (radix_len 0) and American flag sort (radix_len >
 * 0) on 8-byte big-endian keys, 12-byte refcount-like records ordered by
 * their first 4 bytes only, 24-byte records in memcmp order, single
 * bytes and 4096-byte elements; random, all equal, sorted, reverse
 * sorted, few distinct values, sawtooth and organ-pipe inputs at sizes
 * around the insertion-sort cutoff and up to 10^6 (scaled by
 * $XFB_TEST_SCALE).  Every result is compared with qsort_r() of a heap
 * copy: the same keys in the same places, and the same multiset of
 * whole elements.  The progress callback must see nondecreasing counts
 * ending at n.  McIlroy's quicksort adversary forces the heapsort
 * fallback and bounds the number of comparisons.
 *
 * Every test runs in its own process (Check's fork mode); the checked
 * teardown resets the memory cap and fault injection.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btree/format.h"
#include "tests/lib/btree_test.h"
#include "xfile/xfarray.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"

#define MiB		(1ULL << 20)

static uint64_t	pgsz;

static void
setup(void)
{
	pgsz = (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
teardown(void)
{
	xfile_set_memory_cap(0);
	xmem_fault_disarm();
}

static struct xfarray *
new_array(unsigned int elsize)
{
	struct xfarray	*a = NULL;

	ck_assert_int_eq(xfarray_create("check_xfarray", NULL, elsize, &a), 0);
	ck_assert_ptr_nonnull(a);
	T_EQ(xfarray_length(a), 0);
	return a;
}

static unsigned int
slot_of(unsigned int elsize)
{
	unsigned int	s = 1;

	while (s < elsize)
		s <<= 1;
	return s;
}

/* Element @i's bytes: a pattern of its index, never all zeros. */
static void
pattern(uint8_t *el, unsigned int elsize, uint64_t i)
{
	uint64_t	st = i * 0x9E3779B97F4A7C15ULL + elsize;
	unsigned int	j;

	for (j = 0; j < elsize; j++) {
		if (j % 8 == 0)
			st = test_rand(&st) | 1;
		el[j] = (uint8_t)(st >> (8 * (j % 8))) | 1;
	}
}

static bool
all_zero(const uint8_t *p, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/* Every element holds its pattern and its padding reads as zeros. */
static void
verify_elements(struct xfarray *a, unsigned int elsize, uint64_t from,
		uint64_t to)
{
	unsigned int	slot = slot_of(elsize);
	uint8_t		want[4096], got[4096];
	uint64_t	i;

	for (i = from; i < to; i++) {
		const uint8_t	*p = xfarray_ptr(a, i);

		pattern(want, elsize, i);
		if (memcmp(p, want, elsize))
			ck_abort_msg("elsize %u: element %llu differs", elsize,
				     (unsigned long long)i);
		if (!all_zero(p + elsize, slot - elsize))
			ck_abort_msg("elsize %u: padding of %llu not zero",
				     elsize, (unsigned long long)i);
		/* The layout: element i at byte i * slot of the xfile. */
		if (i % 1021 == 0 || i + 1 == to) {
			T_EQ(xfile_load(a->xf, got, slot,
					(uint64_t)i * slot), 0);
			T_ASSERT(!memcmp(got, want, elsize));
			T_ASSERT(all_zero(got + elsize, slot - elsize));
		}
	}
}

static void
append_range(struct xfarray *a, unsigned int elsize, uint64_t from,
		uint64_t to)
{
	uint8_t		el[4096];
	uint64_t	i;

	for (i = from; i < to; i++) {
		pattern(el, elsize, i);
		T_EQ(xfarray_append(a, el), 0);
		T_EQ(xfarray_length(a), i + 1);
	}
}

/* ---- the array --------------------------------------------------------- */

START_TEST(test_create_bad)
{
	struct xfarray	*a = NULL;

	ck_assert_int_eq(xfarray_create("bad", NULL, 0, &a), -EINVAL);
	ck_assert_int_eq(xfarray_create("bad", NULL, 4097, &a), -EINVAL);
	ck_assert_ptr_null(a);
	a = new_array(4096);
	T_EQ(xfarray_bytes(a), 0);
	xfarray_destroy(a);
	a = new_array(1);
	xfarray_destroy(a);
	xfarray_destroy(NULL);
}
END_TEST

static const unsigned int elsizes[] = { 1, 12, 16, 24, 100, 4096 };

/*
 * Round trip at one element size: append, read back in place, write in
 * place, truncate (every byte given back) and fill again.
 */
START_TEST(test_roundtrip)
{
	unsigned int	elsize = elsizes[_i], slot = slot_of(elsize);
	uint64_t	used0 = xfile_memory_used();
	uint64_t	n = elsize >= 1024 ? 3000 : 70000, i;
	struct xfarray	*a = new_array(elsize);
	uint8_t		el[4096];

	T_EQ(a->slot_shift, __builtin_ctz(slot));
	append_range(a, elsize, 0, n);
	verify_elements(a, elsize, 0, n);
	/* Held: at least what the elements use, at most a chunk more. */
	T_ASSERT(xfarray_bytes(a) >= n * slot);
	T_ASSERT(xfarray_bytes(a) <= n * slot + 2 * MiB);
	T_EQ(xfile_memory_used() - used0, xfarray_bytes(a));
	/* Consecutive slots in one segment are slot bytes apart. */
	T_EQ((uint8_t *)xfarray_ptr(a, 1) - (uint8_t *)xfarray_ptr(a, 0),
	     slot);
	T_EQ((uint8_t *)xfarray_ptr(a, n - 1) - (uint8_t *)xfarray_ptr(a, 0),
	     (n - 1) * slot);

	/* Writes in place stick, and stay inside their element. */
	for (i = 0; i < n; i += 7) {
		pattern(el, elsize, i + n);
		memcpy(xfarray_ptr(a, i), el, elsize);
	}
	for (i = 0; i < n; i++) {
		pattern(el, elsize, i % 7 ? i : i + n);
		T_ASSERT(!memcmp(xfarray_ptr(a, i), el, elsize));
		T_ASSERT(all_zero((uint8_t *)xfarray_ptr(a, i) + elsize,
				  slot - elsize));
	}

	xfarray_truncate(a);
	T_EQ(xfarray_length(a), 0);
	T_EQ(xfarray_bytes(a), 0);
	T_EQ(xfile_memory_used(), used0);
	xfarray_truncate(a);		/* twice is fine */
	T_EQ(xfarray_bytes(a), 0);

	/* Refilled: old bytes are gone, padding is zero again. */
	append_range(a, elsize, 0, n / 3);
	verify_elements(a, elsize, 0, n / 3);
	xfarray_destroy(a);
	T_EQ(xfile_memory_used(), used0);
}
END_TEST

/*
 * Across the xfile's first 64 MiB segment: 16-byte elements (about 67
 * MB) and 4096-byte ones.  The elements either side of the boundary are
 * whole, and a sort moves elements from one segment to the other.
 */
static int
cmp_be64(const void *x, const void *y, void *priv)
{
	uint64_t	a = get_be64(x), b = get_be64(y);

	(void)priv;
	return (a > b) - (a < b);
}

START_TEST(test_segment_boundary)
{
	unsigned int	elsize = _i ? 4096 : 16;
	uint64_t	per_seg = XFILE_SEG_SIZE / elsize;
	uint64_t	n = per_seg + (_i ? 300 : 100000), i;
	uint64_t	used0 = xfile_memory_used();
	struct xfarray	*a = new_array(elsize);
	uint8_t		el[4096];

	append_range(a, elsize, 0, n);
	T_EQ(xfarray_length(a), n);
	verify_elements(a, elsize, per_seg - 3000 / (elsize / 16 + 1) - 1,
			n);
	for (i = 0; i < n; i += 97)
		verify_elements(a, elsize, i, i + 1);
	T_ASSERT(xfarray_bytes(a) >= n * elsize);
	T_ASSERT(a->xf->size > XFILE_SEG_SIZE);

	/*
	 * Reverse keys, then sort: the first segment's elements end up in
	 * the second and back.  Keys are big-endian in the first 8 bytes,
	 * the rest of each element says which key it belongs with.
	 */
	for (i = 0; i < n; i++) {
		uint8_t	*p = xfarray_ptr(a, i);

		put_be64(p, n - 1 - i);
		memset(p + 8, (uint8_t)(n - 1 - i), elsize - 8);
	}
	xfarray_sort(a, cmp_be64, _i ? 0 : 8, NULL, NULL);
	for (i = 0; i < n; i++) {
		const uint8_t	*p = xfarray_ptr(a, i);

		if (get_be64(p) != i)
			ck_abort_msg("element %llu has key %llu",
				     (unsigned long long)i,
				     (unsigned long long)get_be64(p));
		memset(el, (uint8_t)i, elsize - 8);
		T_ASSERT(!memcmp(p + 8, el, elsize - 8));
	}
	xfarray_truncate(a);
	T_EQ(xfarray_bytes(a), 0);
	T_EQ(xfile_memory_used(), used0);
	xfarray_destroy(a);
}
END_TEST

/* Reserve: room now, no allocation later; -EFBIG past the xfile's end. */
START_TEST(test_reserve)
{
	unsigned int	elsize = _i ? 24 : 12, slot = slot_of(elsize);
	uint64_t	used0 = xfile_memory_used();
	struct xfarray	*a = new_array(elsize);
	uint64_t	n = 300000, held;

	T_EQ(xfarray_reserve(a, 0), 0);
	T_EQ(xfarray_bytes(a), 0);
	T_EQ(xfarray_reserve(a, n), 0);
	T_EQ(xfarray_length(a), 0);
	held = xfarray_bytes(a);
	T_ASSERT(held >= n * slot);
	T_EQ(xfile_memory_used() - used0, held);

	/* Appending into the reservation takes no memory, even at a cap. */
	xfile_set_memory_cap(xfile_memory_used());
	append_range(a, elsize, 0, n);
	T_EQ(xfarray_bytes(a), held);
	xfile_set_memory_cap(0);
	verify_elements(a, elsize, 0, n);

	/* A smaller reservation than what is held changes nothing. */
	T_EQ(xfarray_reserve(a, 1), 0);
	T_ASSERT(xfarray_bytes(a) >= held);

	/* Past the xfile's range. */
	T_EQ(xfarray_reserve(a, XFILE_MAX_SIZE / slot), -EFBIG);
	T_EQ(xfarray_reserve(a, UINT64_MAX), -EFBIG);
	T_EQ(xfarray_length(a), n);

	/* Too big for the cap: -ENOSPC, nothing more held. */
	held = xfarray_bytes(a);
	xfile_set_memory_cap(xfile_memory_used() + 4 * MiB);
	T_EQ(xfarray_reserve(a, 8 * MiB), -ENOSPC);
	T_EQ(xfarray_bytes(a), held);
	T_EQ(xfarray_length(a), n);
	xfile_set_memory_cap(0);

	xfarray_truncate(a);
	T_EQ(xfarray_bytes(a), 0);
	T_EQ(xfile_memory_used(), used0);
	xfarray_destroy(a);
}
END_TEST

/*
 * Append up to the memory cap: -ENOSPC, the failed element not appended,
 * every earlier one intact; then truncate gives every byte back.  _i
 * picks the headroom: whole chunks (1 MiB), or a chunk and some pages,
 * which only fits by allocating just what is needed at the cap.
 */
START_TEST(test_memory_cap)
{
	static const uint64_t	room[] = { 2 * MiB, MiB + 64 * 1024,
					   3 * MiB + 4096 };
	unsigned int		elsize = 16;
	uint64_t		used0 = xfile_memory_used();
	struct xfarray		*a = new_array(elsize);
	uint64_t		cap = used0 + room[_i], n = 0, len;
	uint8_t			el[16];
	int			error = 0;

	xfile_set_memory_cap(cap);
	while (n < 4 * room[_i] / elsize) {
		pattern(el, elsize, n);
		error = xfarray_append(a, el);
		if (error)
			break;
		n++;
	}
	T_EQ(error, -ENOSPC);
	T_EQ(xfarray_length(a), n);
	T_ASSERT(xfile_memory_used() <= cap);
	/* At least every whole chunk under the cap was used. */
	T_ASSERT(n * elsize >= room[_i] / MiB * MiB);
	verify_elements(a, elsize, 0, n);

	/* Again: still -ENOSPC, still nothing appended. */
	pattern(el, elsize, n);
	T_EQ(xfarray_append(a, el), -ENOSPC);
	T_EQ(xfarray_length(a), n);
	T_EQ(xfarray_reserve(a, 1000000), -ENOSPC);
	T_EQ(xfarray_length(a), n);
	verify_elements(a, elsize, 0, n);

	/* Truncate gives back every byte, the last partial page too. */
	xfarray_truncate(a);
	T_EQ(xfarray_length(a), 0);
	len = xfarray_bytes(a);
	ck_assert_msg(len == 0, "cap headroom %llu: %llu bytes still held "
		      "after truncate", (unsigned long long)room[_i],
		      (unsigned long long)len);
	T_EQ(xfile_memory_used(), used0);

	/* And the room is there again. */
	append_range(a, elsize, 0, n);
	verify_elements(a, elsize, 0, n);
	xfile_set_memory_cap(0);
	append_range(a, elsize, n, n + 1000);
	verify_elements(a, elsize, 0, n + 1000);
	xfarray_destroy(a);
	T_EQ(xfile_memory_used(), used0);
}
END_TEST

/*
 * At the cap the array takes just the page it needs; truncating it then,
 * with the last page only partly used, still gives back every byte.
 */
START_TEST(test_cap_truncate_midpage)
{
	unsigned int	elsize = 16;
	uint64_t	used0 = xfile_memory_used();
	struct xfarray	*a = new_array(elsize);
	uint64_t	n = MiB / elsize + 3;

	xfile_set_memory_cap(used0 + MiB + 64 * 1024);
	append_range(a, elsize, 0, n);
	verify_elements(a, elsize, 0, n);
	T_EQ(xfarray_bytes(a), MiB + pgsz);
	xfarray_truncate(a);
	T_EQ(xfarray_length(a), 0);
	ck_assert_msg(xfarray_bytes(a) == 0, "%llu bytes still held after "
		      "truncate", (unsigned long long)xfarray_bytes(a));
	T_EQ(xfile_memory_used(), used0);
	xfarray_destroy(a);
}
END_TEST

/*
 * An injected allocation failure: the append that needs the failing
 * allocation returns it, appends nothing, and the array works on.
 */
START_TEST(test_fault_injection)
{
	static const int	errs[] = { -ENOMEM, -EIO };
	int			err = errs[_i % 2];
	unsigned int		nth = 1 + _i / 2;	/* 1, 2, 3 */
	unsigned int		elsize = 16;
	uint64_t		per_chunk = MiB / elsize, n = 0;
	uint64_t		used0 = xfile_memory_used(), held;
	struct xfarray		*a = new_array(elsize);
	uint8_t			el[16];
	int			error = 0;

	xmem_fault_arm(nth, XMEM_PAGES, err);
	while (n < 8 * per_chunk) {
		pattern(el, elsize, n);
		error = xfarray_append(a, el);
		if (error)
			break;
		n++;
	}
	xmem_fault_disarm();
	T_EQ(error, err);
	/* Memory comes a chunk at a time: the nth chunk failed. */
	T_EQ(n, (nth - 1) * per_chunk);
	T_EQ(xfarray_length(a), n);
	T_EQ(xfarray_bytes(a), n * elsize);
	verify_elements(a, elsize, 0, n);

	/* The same element goes in now. */
	append_range(a, elsize, n, n + per_chunk + 5);
	verify_elements(a, elsize, 0, n + per_chunk + 5);

	/* Reserve fails the same way and holds nothing more. */
	held = xfarray_bytes(a);
	xmem_fault_arm(1, XMEM_PAGES, err);
	T_EQ(xfarray_reserve(a, 10 * per_chunk), err);
	xmem_fault_disarm();
	T_EQ(xfarray_bytes(a), held);
	T_EQ(xfarray_length(a), n + per_chunk + 5);

	xfarray_destroy(a);
	T_EQ(xfile_memory_used(), used0);
}
END_TEST

/* ---- sorting ----------------------------------------------------------- */

/*
 * An element type to sort: its size, its comparison, the radix prefix
 * that orders it as the comparison does, and how to build element @i
 * from a pattern value (key) and random filler.
 */
struct sort_type {
	const char	*name;
	unsigned int	elsize;
	unsigned int	radix_len;
	xfarray_cmp_fn	cmp;
	void		(*make)(uint8_t *el, uint64_t v, uint64_t *seed);
	uint64_t	max_n;		/* largest size this type is run at */
};

/* What cmp and progress share: xfarray_sort() passes one priv to both. */
struct sort_priv {
	uint64_t	ncmp;
	uint64_t	ncalls;		/* progress calls */
	uint64_t	last;		/* last value progress saw */
	uint64_t	n;
	bool		bad;		/* progress went backwards or past n */
};

/* 8 bytes: a big-endian u64, compared as a number. */
static int
cmp_u64(const void *x, const void *y, void *priv)
{
	uint64_t	a = get_be64(x), b = get_be64(y);

	((struct sort_priv *)priv)->ncmp++;
	return (a > b) - (a < b);
}

static void
make_u64(uint8_t *el, uint64_t v, uint64_t *seed)
{
	(void)seed;
	put_be64(el, v);
}

/*
 * 12 bytes, refcount-like: a big-endian u32 start (domain bit 31
 * included) then count and refcount, ordered by the start alone; equal
 * starts with different tails are equal.
 */
static int
cmp_refc(const void *x, const void *y, void *priv)
{
	uint32_t	a = get_be32(x), b = get_be32(y);

	((struct sort_priv *)priv)->ncmp++;
	return (a > b) - (a < b);
}

static void
make_refc(uint8_t *el, uint64_t v, uint64_t *seed)
{
	uint64_t	r = test_rand(seed);

	/* Random values reach both domains (bit 31). */
	put_be32(el, (uint32_t)v ^ (uint32_t)(v >> 32));
	put_be32(el + 4, (uint32_t)r);
	put_be32(el + 8, (uint32_t)(r >> 32));
}

/* 24 bytes compared whole with memcmp: rmap-sized, deep radix. */
static int
cmp_mem24(const void *x, const void *y, void *priv)
{
	((struct sort_priv *)priv)->ncmp++;
	return memcmp(x, y, 24);
}

static void
make_mem24(uint8_t *el, uint64_t v, uint64_t *seed)
{
	(void)seed;
	/* The value's bytes repeat so that equal values are equal whole. */
	memset(el, 0, 4);
	put_be64(el + 4, v);
	put_be64(el + 12, ~v);
	put_be32(el + 20, (uint32_t)v);
}

/* 1 byte. */
static int
cmp_u8(const void *x, const void *y, void *priv)
{
	((struct sort_priv *)priv)->ncmp++;
	return (int)*(const uint8_t *)x - (int)*(const uint8_t *)y;
}

static void
make_u8(uint8_t *el, uint64_t v, uint64_t *seed)
{
	(void)seed;
	el[0] = (uint8_t)v;
}

/* 4096 bytes: a big-endian u64 key, then random filler. */
static void
make_page(uint8_t *el, uint64_t v, uint64_t *seed)
{
	unsigned int	j;

	put_be64(el, v);
	for (j = 8; j < 4096; j += 8)
		put_be64(el + j, test_rand(seed));
}

static const struct sort_type sort_types[] = {
	{ "u64",  8,    8,  cmp_u64,   make_u64,   1000000 },
	{ "refc", 12,   4,  cmp_refc,  make_refc,  1000000 },
	{ "mem24", 24,  24, cmp_mem24, make_mem24, 100000 },
	{ "u8",   1,    1,  cmp_u8,    make_u8,    100000 },
	{ "page", 4096, 8,  cmp_u64,   make_page,  3000 },
};

enum pattern {
	P_RANDOM, P_EQUAL, P_SORTED, P_REVERSE, P_DUPS, P_SAWTOOTH,
	P_ORGAN, P_NR
};

static const char *const pattern_names[P_NR] = {
	"random", "equal", "sorted", "reverse", "dups", "sawtooth", "organ",
};

static uint64_t
pattern_value(enum pattern p, uint64_t i, uint64_t n, uint64_t *seed)
{
	switch (p) {
	case P_RANDOM:		return test_rand(seed);
	case P_EQUAL:		return 0x1234;
	case P_SORTED:		return i;
	case P_REVERSE:		return n - i;
	case P_DUPS:		return test_rand(seed) % 7;
	case P_SAWTOOTH:	return i % (n / 10 + 3);
	case P_ORGAN:		return i < n / 2 ? i : n - i;
	default:		return 0;
	}
}

static void
progress_fn(uint64_t done, void *priv)
{
	struct sort_priv	*sp = priv;

	if (done < sp->last || done > sp->n)
		sp->bad = true;
	sp->last = done;
	sp->ncalls++;
}

static const struct sort_type	*qsort_type;

static int
cmp_full(const void *x, const void *y)
{
	return memcmp(x, y, qsort_type->elsize);
}

/*
 * Sort @n elements of @t in @p order with @radix_len, and compare with
 * qsort_r() of a heap copy.
 */
static void
sort_one(struct xfarray *a, const struct sort_type *t, enum pattern p,
		uint64_t n, unsigned int radix_len, uint64_t *seed)
{
	unsigned int		es = t->elsize, slot = slot_of(es);
	uint8_t			*orig = malloc(n * es + 1);
	uint8_t			*got = malloc(n * es + 1);
	struct sort_priv	sp = { .n = n }, qp = { .n = n };
	uint64_t		i;

	T_ASSERT(orig && got);
	xfarray_truncate(a);
	T_EQ(xfarray_reserve(a, n), 0);
	for (i = 0; i < n; i++) {
		t->make(orig + i * es, pattern_value(p, i, n, seed), seed);
		T_EQ(xfarray_append(a, orig + i * es), 0);
	}

	xfarray_sort(a, t->cmp, radix_len, progress_fn, &sp);
	T_EQ(xfarray_length(a), n);

	qsort_r(orig, n, es, t->cmp, &qp);
	for (i = 0; i < n; i++) {
		const uint8_t	*el = xfarray_ptr(a, i);

		if (i && t->cmp(xfarray_ptr(a, i - 1), el, &qp) > 0)
			ck_abort_msg("%s %s n %llu radix %u: %llu out of order",
				     t->name, pattern_names[p],
				     (unsigned long long)n, radix_len,
				     (unsigned long long)i);
		if (t->cmp(el, orig + i * es, &qp) != 0)
			ck_abort_msg("%s %s n %llu radix %u: %llu is not "
				     "qsort's", t->name, pattern_names[p],
				     (unsigned long long)n, radix_len,
				     (unsigned long long)i);
		T_ASSERT(all_zero(el + es, slot - es));
		memcpy(got + i * es, el, es);
	}
	/* The same elements, whole: nothing lost, duplicated or torn. */
	qsort_type = t;
	qsort(got, n, es, cmp_full);
	qsort(orig, n, es, cmp_full);
	ck_assert_msg(n == 0 || !memcmp(got, orig, n * es),
		      "%s %s n %llu radix %u: elements changed", t->name,
		      pattern_names[p], (unsigned long long)n, radix_len);

	/* Progress: nondecreasing, at most n, and ending at n. */
	ck_assert_msg(!sp.bad, "%s: progress went backwards or past n",
		      t->name);
	if (n >= 2) {
		ck_assert_msg(sp.ncalls > 0, "%s n %llu: no progress call",
			      t->name, (unsigned long long)n);
		T_EQ(sp.last, n);
		/* Now and then, not per element. */
		T_ASSERT(sp.ncalls <= n / 1000 + 2);
	}
	/*
	 * O(n log n) comparisons whatever the input (organ pipes, which
	 * defeat the median of three, take about 3.4 n lg n).
	 */
	if (n >= 1000)
		ck_assert_msg(sp.ncmp <= 5 * n * (64 - __builtin_clzll(n)),
			      "%s %s n %llu radix %u: %llu comparisons",
			      t->name, pattern_names[p], (unsigned long long)n,
			      radix_len, (unsigned long long)sp.ncmp);
	if (radix_len && n > 1000 && p == P_RANDOM && es <= 12)
		/* The radix sort compares only inside small buckets. */
		T_ASSERT(sp.ncmp < 8 * n);
	free(orig);
	free(got);
}

static const uint64_t sort_sizes[] = {
	0, 1, 2, 3, 23, 24, 25, 26, 48, 49, 100, 1000, 4097, 100000, 1000000,
};

START_TEST(test_sort)
{
	const struct sort_type	*t = &sort_types[_i / 2];
	unsigned int		radix_len = _i % 2 ? t->radix_len : 0;
	uint64_t		seed = test_seed("sort") + _i;
	struct xfarray		*a = new_array(t->elsize);
	uint64_t		used0 = xfile_memory_used();
	unsigned int		s;
	int			p;

	for (s = 0; s < sizeof(sort_sizes) / sizeof(sort_sizes[0]); s++) {
		uint64_t	n = sort_sizes[s];

		if (n > t->max_n)
			continue;
		if (n >= 10000)
			n = (uint64_t)(n * test_scale());
		for (p = 0; p < P_NR; p++)
			sort_one(a, t, p, n, radix_len, &seed);
	}
	xfarray_destroy(a);
	T_ASSERT(xfile_memory_used() <= used0);
}
END_TEST

/*
 * The longest radix prefix the header allows: 4096-byte elements sorted
 * on all 4096 bytes, equal in all but the last, so that every byte but
 * the last sends the whole range into one bucket.
 */
static int
cmp_mem4096(const void *x, const void *y, void *priv)
{
	((struct sort_priv *)priv)->ncmp++;
	return memcmp(x, y, 4096);
}

START_TEST(test_sort_long_radix)
{
	unsigned int		n = 200, i;
	struct xfarray		*a = new_array(4096);
	struct sort_priv	sp = { .n = n };
	uint8_t			el[4096];

	/* Equal in every byte but the last, which runs backwards. */
	memset(el, 0xab, sizeof(el));
	for (i = 0; i < n; i++) {
		el[4095] = (uint8_t)(n - 1 - i);
		T_EQ(xfarray_append(a, el), 0);
	}
	xfarray_sort(a, cmp_mem4096, 4096, progress_fn, &sp);
	for (i = 0; i < n; i++) {
		const uint8_t	*p = xfarray_ptr(a, i);

		T_EQ(p[4095], i);
		T_ASSERT(!memcmp(p, el, 4095));
	}
	T_ASSERT(!sp.bad);
	T_EQ(sp.last, n);
	xfarray_destroy(a);
}
END_TEST

/*
 * McIlroy's adversary ("A Killer Adversary for Quicksort", 1999): the
 * comparison decides values as late as it can, so that every partition
 * is as lopsided as possible.  A plain quicksort then needs about n^2/4
 * comparisons; the introsort must switch to heapsort and stay near
 * n log n.  The input it built is sorted again with a plain comparison.
 */
struct adversary {
	struct sort_priv	sp;	/* first: progress_fn's view */
	uint64_t		*val;
	uint64_t		gas;
	uint64_t		nsolid;
	uint64_t		candidate;
};

static int
cmp_adversary(const void *x, const void *y, void *priv)
{
	struct adversary	*ad = priv;
	uint64_t		a, b;

	memcpy(&a, x, 8);
	memcpy(&b, y, 8);
	ad->sp.ncmp++;
	if (ad->val[a] == ad->gas && ad->val[b] == ad->gas) {
		if (a == ad->candidate)
			ad->val[a] = ad->nsolid++;
		else
			ad->val[b] = ad->nsolid++;
	}
	if (ad->val[a] == ad->gas)
		ad->candidate = a;
	else if (ad->val[b] == ad->gas)
		ad->candidate = b;
	return (ad->val[a] > ad->val[b]) - (ad->val[a] < ad->val[b]);
}

static int
cmp_host64(const void *x, const void *y, void *priv)
{
	uint64_t	a, b;

	memcpy(&a, x, 8);
	memcpy(&b, y, 8);
	((struct sort_priv *)priv)->ncmp++;
	return (a > b) - (a < b);
}

START_TEST(test_sort_adversary)
{
	uint64_t		n = (uint64_t)(50000 * test_scale()), i, v;
	struct adversary	ad = { .sp = { .n = n } };
	struct sort_priv	sp = { .n = n };
	struct xfarray		*a = new_array(8);
	uint64_t		bound = 8 * n * (64 - __builtin_clzll(n));

	ad.val = malloc(n * sizeof(*ad.val));
	T_ASSERT(ad.val != NULL);
	ad.gas = n;
	for (i = 0; i < n; i++) {
		ad.val[i] = ad.gas;
		T_EQ(xfarray_append(a, &i), 0);
	}
	xfarray_sort(a, cmp_adversary, 0, progress_fn, &ad);
	ck_assert_msg(ad.sp.ncmp < bound, "adversary: %llu comparisons for "
		      "%llu elements", (unsigned long long)ad.sp.ncmp,
		      (unsigned long long)n);
	T_ASSERT(!ad.sp.bad);
	T_EQ(ad.sp.last, n);
	/* Sorted by the values the adversary settled on. */
	for (i = 1; i < n; i++) {
		uint64_t	x, y;

		memcpy(&x, xfarray_ptr(a, i - 1), 8);
		memcpy(&y, xfarray_ptr(a, i), 8);
		T_ASSERT(ad.val[x] <= ad.val[y]);
	}

	/* The input it built: position i held id i. */
	xfarray_truncate(a);
	for (i = 0; i < n; i++) {
		v = ad.val[i] == ad.gas ? ad.nsolid++ : ad.val[i];
		T_EQ(xfarray_append(a, &v), 0);
	}
	xfarray_sort(a, cmp_host64, 0, progress_fn, &sp);
	T_ASSERT(sp.ncmp < bound);
	for (i = 1; i < n; i++) {
		uint64_t	x, y;

		memcpy(&x, xfarray_ptr(a, i - 1), 8);
		memcpy(&y, xfarray_ptr(a, i), 8);
		T_ASSERT(x <= y);
	}
	free(ad.val);
	xfarray_destroy(a);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xfarray");
	TCase	*tc = tcase_create("array");
	TCase	*ts = tcase_create("sort");
	int	nsort = 2 * sizeof(sort_types) / sizeof(sort_types[0]);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_create_bad);
	tcase_add_loop_test(tc, test_roundtrip, 0,
			    sizeof(elsizes) / sizeof(elsizes[0]));
	tcase_add_loop_test(tc, test_segment_boundary, 0, 2);
	tcase_add_loop_test(tc, test_reserve, 0, 2);
	tcase_add_loop_test(tc, test_memory_cap, 0, 3);
	tcase_add_test(tc, test_cap_truncate_midpage);
	tcase_add_loop_test(tc, test_fault_injection, 0, 6);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_set_timeout(ts, 600);
	tcase_add_loop_test(ts, test_sort, 0, nsort);
	tcase_add_test(ts, test_sort_long_radix);
	tcase_add_test(ts, test_sort_adversary);
	suite_add_tcase(s, ts);
	return test_run_suite(s);
}
