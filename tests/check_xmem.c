// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_xmem.c: the allocation wrappers, the fault injector (the n-th
 * allocation of the armed kinds fails, once or from then on, counted
 * exactly across threads), the growable array and the string builder,
 * each left unchanged by an allocation that fails.
 *
 * The fault injector exists only in builds with XFB_DEBUG; in a release
 * build xmem_fault_arm() must say -EOPNOTSUPP and the tests that need it
 * check only that.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/btree_test.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"

/* Arm a fault, or end the test early in a release build. */
#define ARM_OR_SKIP(nth, kinds, err)					\
	do {								\
		int _e = xmem_fault_arm((nth), (kinds), (err));		\
		if (_e == -EOPNOTSUPP)					\
			return;						\
		T_EQ(_e, 0);						\
	} while (0)

START_TEST(test_alloc_wrappers)
{
	uint8_t		*p, *q;
	size_t		i;

	p = xmem_zalloc(1000);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 1000; i++)
		T_EQ(p[i], 0);
	memset(p, 0x5a, 1000);
	q = xmem_realloc(p, 500, 4);
	ck_assert_ptr_nonnull(q);
	for (i = 0; i < 1000; i++)
		T_EQ(q[i], 0x5a);
	/* An overflowing size is refused and the block stays the caller's. */
	ck_assert_ptr_null(xmem_realloc(q, SIZE_MAX / 2, 3));
	T_EQ(q[999], 0x5a);
	xmem_free(q);
	p = xmem_alloc(16);
	ck_assert_ptr_nonnull(p);
	xmem_free(p);
	q = (uint8_t *)xmem_strdup("xfbtreefs");
	ck_assert_str_eq((char *)q, "xfbtreefs");
	xmem_free(q);
	xmem_free(NULL);
}
END_TEST

START_TEST(test_fault_nth_once)
{
	void		*p[8];
	int		i;

	T_EQ(xmem_fault_arm(0, XMEM_HEAP, 0) == -EINVAL ||
	     xmem_fault_arm(0, XMEM_HEAP, 0) == -EOPNOTSUPP, 1);
	T_EQ(xmem_fault_arm(1, 0, 0) == -EINVAL ||
	     xmem_fault_arm(1, 0, 0) == -EOPNOTSUPP, 1);
	ARM_OR_SKIP(3, XMEM_HEAP, 0);
	for (i = 0; i < 8; i++)
		p[i] = i % 2 ? xmem_alloc(8) : xmem_zalloc(8);
	for (i = 0; i < 8; i++) {
		if (i == 2)
			ck_assert_ptr_null(p[i]);
		else
			ck_assert_ptr_nonnull(p[i]);
		xmem_free(p[i]);
	}
	T_EQ(xmem_fault_fired(), 1);

	/* realloc counts too, and leaves the old block alone. */
	p[0] = xmem_alloc(8);
	memcpy(p[0], "abcdefg", 8);
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	ck_assert_ptr_null(xmem_realloc(p[0], 1, 4096));
	ck_assert_str_eq(p[0], "abcdefg");
	xmem_free(p[0]);

	/* Disarmed before it fires: nothing fails. */
	ARM_OR_SKIP(2, XMEM_HEAP, 0);
	xmem_free(xmem_alloc(1));
	xmem_fault_disarm();
	for (i = 0; i < 4; i++) {
		p[i] = xmem_alloc(1);
		ck_assert_ptr_nonnull(p[i]);
		xmem_free(p[i]);
	}
	T_EQ(xmem_fault_fired(), 0);
}
END_TEST

START_TEST(test_fault_sticky)
{
	void		*p;
	int		i;

	ARM_OR_SKIP(2, XMEM_HEAP | XMEM_FAULT_STICKY, 0);
	p = xmem_alloc(4);
	ck_assert_ptr_nonnull(p);
	xmem_free(p);
	for (i = 0; i < 5; i++)
		ck_assert_ptr_null(xmem_alloc(4));
	ck_assert_ptr_null(xmem_strdup("x"));
	T_EQ(xmem_fault_fired(), 6);
	xmem_fault_disarm();
	p = xmem_alloc(4);
	ck_assert_ptr_nonnull(p);
	xmem_free(p);
}
END_TEST

/* Kinds: a page fault leaves the heap alone and fails the n-th prealloc. */
START_TEST(test_fault_kinds)
{
	long		pgsz = sysconf(_SC_PAGESIZE);
	struct xfile	*xf;
	void		*p;

	ck_assert_int_eq(xfile_create("check_xmem", NULL, &xf), 0);
	ARM_OR_SKIP(2, XMEM_PAGES, -EIO);
	p = xmem_alloc(4);
	ck_assert_ptr_nonnull(p);
	xmem_free(p);
	T_EQ(xfile_prealloc(xf, 0, 1), 0);
	T_EQ(xfile_prealloc(xf, 0, 1), 0);	/* held: allocates nothing */
	T_EQ(xfile_prealloc(xf, pgsz, 1), -EIO);
	T_ASSERT(!xfile_page_is_held(xf, pgsz));
	T_EQ(xfile_prealloc(xf, pgsz, 1), 0);
	T_EQ(xmem_fault_fired(), 1);

	/* 0 means -ENOSPC; a positive errno is taken as negative. */
	ARM_OR_SKIP(1, XMEM_PAGES, 0);
	T_EQ(xfile_prealloc(xf, 2 * pgsz, 1), -ENOSPC);
	ARM_OR_SKIP(1, XMEM_ANY, ENOMEM);
	T_EQ(xfile_prealloc(xf, 2 * pgsz, 1), -ENOMEM);
	xfile_destroy(xf);
}
END_TEST

#define XMEM_THREADS	4
#define XMEM_PER_THREAD	2000

static void *
alloc_worker(void *arg)
{
	unsigned long	*failed = arg;
	void		*p;
	int		i;

	for (i = 0; i < XMEM_PER_THREAD; i++) {
		p = xmem_alloc(32);
		if (!p)
			(*failed)++;
		xmem_free(p);
	}
	return NULL;
}

/* Threads allocating at once: exactly one allocation fails. */
START_TEST(test_fault_threads)
{
	pthread_t	th[XMEM_THREADS];
	unsigned long	failed[XMEM_THREADS] = { 0 };
	unsigned long	total = 0;
	int		i;

	ARM_OR_SKIP(XMEM_THREADS * XMEM_PER_THREAD / 2, XMEM_HEAP, 0);
	for (i = 0; i < XMEM_THREADS; i++)
		T_EQ(pthread_create(&th[i], NULL, alloc_worker, &failed[i]), 0);
	for (i = 0; i < XMEM_THREADS; i++) {
		T_EQ(pthread_join(th[i], NULL), 0);
		total += failed[i];
	}
	T_EQ(total, 1);
	T_EQ(xmem_fault_fired(), 1);
}
END_TEST

START_TEST(test_release_build_says_so)
{
#ifdef XFB_DEBUG
	T_EQ(xmem_fault_arm(1, XMEM_HEAP, 0), 0);
	xmem_fault_disarm();
#else
	T_EQ(xmem_fault_arm(1, XMEM_HEAP, 0), -EOPNOTSUPP);
#endif
}
END_TEST

/* ---- growable array ----------------------------------------------------- */

struct elem {
	uint64_t	a;
	uint32_t	b;
};

START_TEST(test_array_push_reserve_resize)
{
	struct xmem_array	arr = XMEM_ARRAY_INIT(sizeof(struct elem));
	struct elem		e, *ep;
	size_t			i, cap;

	T_EQ(arr.len, 0);
	for (i = 0; i < 10000; i++) {
		e = (struct elem){ .a = i * 7, .b = (uint32_t)i };
		T_EQ(xmem_array_push(&arr, &e), 0);
	}
	T_EQ(arr.len, 10000);
	for (i = 0; i < 10000; i++) {
		ep = xmem_array_at(&arr, i);
		T_EQ(ep->a, i * 7);
		T_EQ(ep->b, i);
	}

	/* Reserved room: the pushes after it do not move the elements. */
	T_EQ(xmem_array_reserve(&arr, 5000), 0);
	T_ASSERT(arr.cap >= 15000);
	cap = arr.cap;
	ep = arr.data;
	for (i = 0; i < 5000; i++)
		((struct elem *)xmem_array_push_reserved(&arr))->a = i;
	T_ASSERT(arr.data == (void *)ep);
	T_EQ(arr.cap, cap);
	T_EQ(arr.len, 15000);

	/* Shrinking keeps memory; growing again zeroes the new elements. */
	T_EQ(xmem_array_resize(&arr, 3), 0);
	T_EQ(arr.len, 3);
	T_EQ(xmem_array_resize(&arr, 20000), 0);
	for (i = 3; i < 20000; i++) {
		ep = xmem_array_at(&arr, i);
		T_EQ(ep->a, 0);
		T_EQ(ep->b, 0);
	}
	ep = xmem_array_at(&arr, 2);
	T_EQ(ep->a, 14);

	xmem_array_release(&arr);
	T_EQ(arr.len, 0);
	T_EQ(arr.cap, 0);
	ck_assert_ptr_null(arr.data);
	/* Reusable after release. */
	T_EQ(xmem_array_push(&arr, &e), 0);
	xmem_array_release(&arr);

	/* An impossible reservation is -ENOMEM, not a wrapped size. */
	xmem_array_init(&arr, 8);
	T_EQ(xmem_array_push(&arr, &e.a), 0);
	T_EQ(xmem_array_reserve(&arr, SIZE_MAX), -ENOMEM);
	T_EQ(xmem_array_reserve(&arr, SIZE_MAX / 4), -ENOMEM);
	T_EQ(arr.len, 1);
	xmem_array_release(&arr);
}
END_TEST

START_TEST(test_array_failure_changes_nothing)
{
	struct xmem_array	arr;
	uint32_t		v, *data;
	size_t			cap, i;

	xmem_array_init(&arr, sizeof(uint32_t));
	for (v = 0; v < 16; v++)
		T_EQ(xmem_array_push(&arr, &v), 0);
	/* Fill to capacity so that the next push must grow. */
	while (arr.len < arr.cap)
		T_EQ(xmem_array_push(&arr, &v), 0);
	cap = arr.cap;
	data = arr.data;
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	T_EQ(xmem_array_push(&arr, &v), -ENOMEM);
	T_EQ(arr.len, cap);
	T_EQ(arr.cap, cap);
	T_ASSERT(arr.data == (void *)data);
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	T_EQ(xmem_array_reserve(&arr, 100), -ENOMEM);
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	T_EQ(xmem_array_resize(&arr, cap + 1), -ENOMEM);
	T_EQ(arr.len, cap);
	for (i = 0; i < 16; i++)
		T_EQ(*(uint32_t *)xmem_array_at(&arr, i), i);
	/* Once the fault has fired, the same push works. */
	T_EQ(xmem_array_push(&arr, &v), 0);
	T_EQ(arr.len, cap + 1);
	xmem_array_release(&arr);
}
END_TEST

/* ---- string builder ----------------------------------------------------- */

START_TEST(test_str_build)
{
	struct xmem_str	s = XMEM_STR_INIT;
	char		big[1000];
	size_t		i;

	ck_assert_str_eq(xmem_str_cstr(&s), "");
	T_EQ(xmem_str_append(&s, "abc", 3), 0);
	T_EQ(xmem_str_append(&s, "defXXX", 3), 0);
	T_EQ(xmem_str_printf(&s, " %d-%s", 42, "x"), 0);
	ck_assert_str_eq(xmem_str_cstr(&s), "abcdef 42-x");
	T_EQ(s.len, 11);

	/* Longer than the stack buffer the printf starts with. */
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ(xmem_str_printf(&s, "<%s>", big), 0);
	T_EQ(s.len, 11 + 2 + 999);
	T_EQ(strlen(xmem_str_cstr(&s)), s.len);
	T_EQ(s.buf[11], '<');
	T_EQ(s.buf[s.len - 1], '>');
	for (i = 12; i < s.len - 1; i++)
		T_EQ(s.buf[i], 'q');

	xmem_str_reset(&s);
	ck_assert_str_eq(xmem_str_cstr(&s), "");
	T_EQ(xmem_str_append(&s, "", 0), 0);
	ck_assert_str_eq(xmem_str_cstr(&s), "");
	for (i = 0; i < 5000; i++)
		T_EQ(xmem_str_printf(&s, "%zu,", i % 10), 0);
	T_EQ(s.len, 10000);
	xmem_str_release(&s);
	T_EQ(s.len, 0);
	ck_assert_str_eq(xmem_str_cstr(&s), "");
}
END_TEST

START_TEST(test_str_failure_changes_nothing)
{
	struct xmem_str	s = XMEM_STR_INIT;
	char		big[600];

	/* The very first allocation fails: still empty. */
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	T_EQ(xmem_str_append(&s, "abc", 3), -ENOMEM);
	ck_assert_str_eq(xmem_str_cstr(&s), "");
	T_EQ(xmem_str_printf(&s, "%s", "abc"), 0);

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	T_EQ(xmem_str_printf(&s, "%s", big), -ENOMEM);
	ck_assert_str_eq(xmem_str_cstr(&s), "abc");
	T_EQ(s.len, 3);
	ARM_OR_SKIP(1, XMEM_HEAP, 0);
	T_EQ(xmem_str_append(&s, big, sizeof(big) - 1), -ENOMEM);
	ck_assert_str_eq(xmem_str_cstr(&s), "abc");
	T_EQ(xmem_str_append(&s, big, sizeof(big) - 1), 0);
	T_EQ(s.len, 3 + sizeof(big) - 1);
	xmem_str_release(&s);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xmem");
	TCase	*tc = tcase_create("xmem");

	tcase_add_test(tc, test_alloc_wrappers);
	tcase_add_test(tc, test_fault_nth_once);
	tcase_add_test(tc, test_fault_sticky);
	tcase_add_test(tc, test_fault_kinds);
	tcase_add_test(tc, test_fault_threads);
	tcase_add_test(tc, test_release_build_says_so);
	tcase_add_test(tc, test_array_push_reserve_resize);
	tcase_add_test(tc, test_array_failure_changes_nothing);
	tcase_add_test(tc, test_str_build);
	tcase_add_test(tc, test_str_failure_changes_nothing);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
