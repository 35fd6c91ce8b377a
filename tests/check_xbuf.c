// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_xbuf.c: the block layer: lowest-first allocation, free blocks
 * reading zeros, memory going back when a whole page is free (and not
 * before, for blocks smaller than a page), the verifier running once per
 * instantiation, and allocation failures leaving nothing behind.
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xfile/xbuf.h"
#include "xfile/xfile.h"
#include "xfile/xmem.h"

struct fixture {
	struct xfile		*xf;
	struct xbuf_targ	targ;
};

static void
setup(struct fixture *f, unsigned int blksize)
{
	ck_assert_int_eq(xfile_create("check_xbuf", NULL, &f->xf), 0);
	ck_assert_int_eq(xbuf_targ_init(&f->targ, f->xf, blksize), 0);
}

static void
teardown(struct fixture *f)
{
	xbuf_targ_release(&f->targ);
	xfile_destroy(f->xf);
}

START_TEST(test_lowest_first)
{
	struct fixture	f;
	uint64_t	bno, i, next;

	setup(&f, 4096);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
		ck_assert_uint_eq(bno, i);
	}
	xbuf_free(&f.targ, 70);
	xbuf_free(&f.targ, 30);
	xbuf_free(&f.targ, 50);
	ck_assert(!xbuf_is_allocated(&f.targ, 30));
	ck_assert(xbuf_next_allocated(&f.targ, 30, &next));
	ck_assert_uint_eq(next, 31);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_uint_eq(bno, 30);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_uint_eq(bno, 50);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_uint_eq(bno, 70);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_uint_eq(bno, 100);
	ck_assert_uint_eq(f.targ.nallocated, 101);
	ck_assert(!xbuf_next_allocated(&f.targ, 101, &next));
	teardown(&f);
}
END_TEST

START_TEST(test_free_reads_zero_and_returns_memory)
{
	struct fixture	f;
	uint64_t	bno, before;
	uint8_t		*p;

	setup(&f, 4096);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	before = xfile_bytes(f.xf);
	ck_assert_uint_eq(before, 2 * 4096);
	p = xbuf_addr(&f.targ, 1);
	memset(p, 0xab, 4096);
	xbuf_free(&f.targ, 1);
	ck_assert_uint_eq(xfile_bytes(f.xf), 4096);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_uint_eq(bno, 1);
	p = xbuf_addr(&f.targ, 1);
	for (unsigned int i = 0; i < 4096; i++)
		ck_assert_uint_eq(p[i], 0);
	teardown(&f);
}
END_TEST

/* 512-byte blocks: a page goes back only when all its blocks are free. */
START_TEST(test_small_blocks_share_pages)
{
	struct fixture	f;
	long		page = sysconf(_SC_PAGESIZE);
	unsigned int	per_page = page / 512, i;
	uint64_t	bno;
	uint8_t		*p;

	setup(&f, 512);
	for (i = 0; i < 2 * per_page; i++) {
		ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
		memset(xbuf_addr(&f.targ, bno), 0x5a, 512);
	}
	ck_assert_uint_eq(xfile_bytes(f.xf), 2 * page);
	/* Free all but one block of the first page: still held, zeroed. */
	for (i = 1; i < per_page; i++)
		xbuf_free(&f.targ, i);
	ck_assert_uint_eq(xfile_bytes(f.xf), 2 * page);
	p = xbuf_addr(&f.targ, 1);
	for (i = 0; i < 512; i++)
		ck_assert_uint_eq(p[i], 0);
	xbuf_free(&f.targ, 0);
	ck_assert_uint_eq(xfile_bytes(f.xf), page);
	teardown(&f);
}
END_TEST

static int verify_calls;

static const char *
verify_first_byte(const void *block, uint64_t bno, void *priv, bool *bad_crc)
{
	const uint8_t	*b = block;

	(void)bno;
	(void)priv;
	verify_calls++;
	if (b[0] == 0xee) {
		*bad_crc = true;
		return "bad checksum";
	}
	return b[0] == 0xff ? "first byte is 0xff" : NULL;
}

START_TEST(test_get_verifies_once)
{
	struct fixture	f;
	const char	*why = NULL;
	void		*addr;
	uint64_t	bno;

	setup(&f, 4096);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_int_eq(xbuf_get(&f.targ, 5, verify_first_byte, NULL, &addr,
				  &why), -EUCLEAN);
	ck_assert_ptr_nonnull(why);

	verify_calls = 0;
	ck_assert_int_eq(xbuf_get(&f.targ, 0, verify_first_byte, NULL, &addr,
				  &why), 0);
	ck_assert_int_eq(xbuf_get(&f.targ, 0, verify_first_byte, NULL, &addr,
				  &why), 0);
	ck_assert_int_eq(verify_calls, 1);
	ck_assert(xbuf_state(&f.targ, 0) & XBUF_TRUSTED);

	/* An outside write clears TRUSTED: the verifier runs again. */
	*(uint8_t *)addr = 0xff;
	xbuf_state_clear(&f.targ, 0, XBUF_TRUSTED);
	ck_assert_int_eq(xbuf_get(&f.targ, 0, verify_first_byte, NULL, &addr,
				  &why), -EUCLEAN);
	ck_assert_str_eq(why, "first byte is 0xff");
	*(uint8_t *)addr = 0xee;
	ck_assert_int_eq(xbuf_get(&f.targ, 0, verify_first_byte, NULL, &addr,
				  &why), -EBADMSG);
	/* The owner's bits are not TRUSTED: the verifier still runs. */
	xbuf_state_set(&f.targ, 0, XBUF_OWNER_MASK);
	ck_assert_int_eq(xbuf_get(&f.targ, 0, verify_first_byte, NULL, &addr,
				  &why), -EBADMSG);
	/* The owner vouches for the bytes: no verifier. */
	xbuf_state_set(&f.targ, 0, XBUF_TRUSTED);
	ck_assert_int_eq(xbuf_get(&f.targ, 0, verify_first_byte, NULL, &addr,
				  &why), 0);
	ck_assert_uint_eq(xbuf_state(&f.targ, 0), 0xff);
	/* Freeing the block zeroes every bit, the owner's included. */
	xbuf_free(&f.targ, 0);
	ck_assert_uint_eq(xbuf_state(&f.targ, 0), 0);
	teardown(&f);
}
END_TEST

START_TEST(test_alloc_failure_leaves_nothing)
{
	struct fixture	f;
	uint64_t	bno, held;

	setup(&f, 4096);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	held = xfile_bytes(f.xf);
	xmem_fault_arm(1, XMEM_PAGES, -ENOSPC);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), -ENOSPC);
	xmem_fault_disarm();
	ck_assert_uint_eq(f.targ.nallocated, 1);
	ck_assert(!xbuf_is_allocated(&f.targ, 1));
	ck_assert_uint_eq(xfile_bytes(f.xf), held);
	ck_assert_int_eq(xbuf_alloc(&f.targ, &bno), 0);
	ck_assert_uint_eq(bno, 1);
	teardown(&f);
}
END_TEST

START_TEST(test_bad_blocksize)
{
	struct xbuf_targ	targ;

	ck_assert_int_eq(xbuf_targ_init(&targ, NULL, 1000), -EINVAL);
	ck_assert_int_eq(xbuf_targ_init(&targ, NULL, 256), -EINVAL);
	ck_assert_int_eq(xbuf_targ_init(&targ, NULL, 131072), -EINVAL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xbuf");
	TCase	*tc = tcase_create("xbuf");
	SRunner	*sr;
	int	failed;

	tcase_add_test(tc, test_lowest_first);
	tcase_add_test(tc, test_free_reads_zero_and_returns_memory);
	tcase_add_test(tc, test_small_blocks_share_pages);
	tcase_add_test(tc, test_get_verifies_once);
	tcase_add_test(tc, test_alloc_failure_leaves_nothing);
	tcase_add_test(tc, test_bad_blocksize);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
