/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_xfile.c: Check suite for xfile/xfile.c.
 *
 * Covers creation (memfd and O_TMPFILE in a mkdtemp directory), sparse
 * growth, load/store round trips across segment boundaries and holes,
 * discard (memory comes back, partial end pages stay), pointer stability,
 * SEEK_DATA/SEEK_HOLE, the process-wide memory cap (also shared by threads),
 * fault injection and the -EFBIG limit, plus a randomised comparison with a
 * plain buffer.
 *
 * Tests marked "both" run once per backend: _i == 0 is a memfd, _i == 1 an
 * O_TMPFILE file in a fresh directory under /tmp.  Memory use is checked
 * against fstat(2) st_blocks as well as xfile_bytes(); those checks keep the
 * number of extents small so that file systems with extent blocks agree.
 *
 * Every test runs in its own process (Check's fork mode); the checked
 * teardown still resets the cap and fault injection, and tests that change
 * the cap or arm a fault reset them themselves before they end.  The
 * temporary directory is made and removed by the runner process.
 */
#include "tests/lib/check_quiet.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xfile/xfile.h"
#include "xfile/xmem.h"

/* ASan's shadow memory does not fit under an address space limit. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif

#define BACKEND_MEMFD	0
#define BACKEND_TMPDIR	1

static uint64_t	pgsz;
static char	tmpdir[64];

/*
 * fallocate(2) as xfile.c sees it: this definition in the executable takes
 * the place of libc's, counts the calls, and can fail the n-th allocating
 * call with ENOSPC, as a full tmpdir would.  (With _FILE_OFFSET_BITS=64 the
 * header renames both this definition and xfile.c's calls to fallocate64.)
 * Only where off_t is one 64-bit syscall argument.
 */
#if defined(__LP64__) && defined(SYS_fallocate)
#define HAVE_FALLOC_HOOK	1

static unsigned long	falloc_allocs;		/* mode 0 calls */
static unsigned long	falloc_punches;		/* punch calls */
static unsigned long	falloc_fail_at;		/* 0: never */

int
fallocate(int fd, int mode, off_t offset, off_t len)
{
	if (mode == 0) {
		falloc_allocs++;
		if (falloc_fail_at && --falloc_fail_at == 0) {
			errno = ENOSPC;
			return -1;
		}
	} else if (mode & FALLOC_FL_PUNCH_HOLE) {
		falloc_punches++;
	}
	return (int)syscall(SYS_fallocate, fd, mode, offset, len);
}
#endif

/* The tmpdir for @backend, or NULL for a memfd. */
static const char *
backend_dir(int backend)
{
	return backend == BACKEND_MEMFD ? NULL : tmpdir;
}

static struct xfile *
open_xf(int backend)
{
	struct xfile	*xf = NULL;

	ck_assert_int_eq(xfile_create("check", backend_dir(backend), &xf), 0);
	ck_assert_ptr_nonnull(xf);
	return xf;
}

/* Bytes the file system says the file holds. */
static uint64_t
fs_bytes(const struct xfile *xf)
{
	struct stat	st;

	ck_assert_int_eq(fstat(xf->fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static uint64_t
fs_size(const struct xfile *xf)
{
	struct stat	st;

	ck_assert_int_eq(fstat(xf->fd, &st), 0);
	return (uint64_t)st.st_size;
}

static void
fill(uint8_t *buf, size_t len, unsigned int seed)
{
	size_t		i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((i * 31 + seed) ^ (i >> 9) ^ 0x5a);
}

static bool
all_zero(const uint8_t *buf, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++) {
		if (buf[i])
			return false;
	}
	return true;
}

static void
reset_globals(void)
{
	xfile_set_memory_cap(0);
	xmem_fault_disarm();
}

/* Checked fixture: runs in each test's process. */
static void
setup(void)
{
	pgsz = (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
teardown(void)
{
	reset_globals();
#ifdef HAVE_FALLOC_HOOK
	falloc_fail_at = 0;
#endif
}

/*
 * Unchecked fixture: the tmpdir is made once in the runner process, so it
 * goes away even when a test fails.  Files in it are O_TMPFILE: nameless,
 * gone when the test's process ends.
 */
static void
tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_xfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
tmpdir_teardown(void)
{
	rmdir(tmpdir);
}

/* Number of entries in @dir other than "." and "..". */
static int
dir_entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		n = 0;

	ck_assert_ptr_nonnull(d);
	for (de = readdir(d); de; de = readdir(d)) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

/* both: create and destroy; nothing held, close-on-exec, no name. */
START_TEST(test_create_destroy)
{
	struct xfile	*xf;
	uint64_t	used = xfile_memory_used();
	int		flags;

	xf = open_xf(_i);
	ck_assert_int_ge(xf->fd, 0);
	flags = fcntl(xf->fd, F_GETFD);
	ck_assert_int_ne(flags & FD_CLOEXEC, 0);
	ck_assert_uint_eq(xfile_bytes(xf), 0);
	ck_assert_uint_eq(xf->held_pages, 0);
	ck_assert_uint_eq(fs_size(xf), 0);
	ck_assert_uint_eq(xfile_memory_used(), used);
	ck_assert_uint_eq((uint64_t)1 << xf->page_shift, pgsz);
	ck_assert_str_eq(xf->descr, "check");
	if (_i == BACKEND_TMPDIR)
		ck_assert_int_eq(dir_entries(tmpdir), 0);
	xfile_destroy(xf);
	xfile_destroy(NULL);
	if (_i == BACKEND_TMPDIR)
		ck_assert_int_eq(dir_entries(tmpdir), 0);
	ck_assert_uint_eq(xfile_memory_used(), used);
}
END_TEST

/* A long description still makes a memfd; a missing tmpdir is an error. */
START_TEST(test_create_odd)
{
	char		name[400];
	struct xfile	*xf = NULL;
	int		error;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	ck_assert_int_eq(xfile_create(name, NULL, &xf), 0);
	ck_assert_str_eq(xf->descr, name);
	xfile_destroy(xf);

	xf = NULL;
	ck_assert_int_eq(xfile_create(NULL, NULL, &xf), 0);
	xfile_destroy(xf);

	xf = NULL;
	error = xfile_create("x", "/nonexistent/check_xfile", &xf);
	ck_assert_int_eq(error, -ENOENT);
	ck_assert_ptr_null(xf);
}
END_TEST

/* both: one page far away holds one page of memory and nothing else. */
START_TEST(test_sparse_growth)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	used = xfile_memory_used();
	uint64_t	pos = 5 * XFILE_SEG_SIZE + 3 * pgsz + 7;
	uint64_t	far = 1ULL << 40;

	ck_assert_int_eq(xfile_prealloc(xf, pos, 1), 0);
	ck_assert_uint_eq(xfile_bytes(xf), pgsz);
	ck_assert_uint_eq(fs_bytes(xf), pgsz);
	ck_assert_uint_eq(xfile_memory_used(), used + pgsz);
	ck_assert_uint_eq(fs_size(xf), 6 * XFILE_SEG_SIZE);
	ck_assert_uint_eq(xf->size, 6 * XFILE_SEG_SIZE);
	ck_assert(xfile_page_is_held(xf, pos));
	ck_assert(xfile_page_is_held(xf, pos - 7));
	ck_assert(!xfile_page_is_held(xf, pos - 8));
	ck_assert(!xfile_page_is_held(xf, pos - 7 + pgsz));
	ck_assert_ptr_nonnull(xf->seg[5]);
	ck_assert_ptr_null(xf->seg[0]);
	ck_assert_ptr_null(xf->seg[4]);

	/* Again: nothing changes. */
	ck_assert_int_eq(xfile_prealloc(xf, pos - 7, pgsz), 0);
	ck_assert_uint_eq(xfile_bytes(xf), pgsz);
	ck_assert_uint_eq(fs_bytes(xf), pgsz);

	/* 1 TiB out: the file gets that big, its memory does not. */
	ck_assert_int_eq(xfile_prealloc(xf, far, 1), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_size(xf), far + XFILE_SEG_SIZE);
	ck_assert_uint_eq(xfile_memory_used(), used + 2 * pgsz);

	/* A 1 MiB range, unaligned at both ends. */
	ck_assert_int_eq(xfile_prealloc(xf, XFILE_SEG_SIZE + 1, 1 << 20), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz + (1 << 20) + pgsz);
	ck_assert_uint_eq(fs_bytes(xf), xfile_bytes(xf));

	xfile_destroy(xf);
	ck_assert_uint_eq(xfile_memory_used(), used);
}
END_TEST

/* both: round trips across segment boundaries, also via xfile_addr(). */
START_TEST(test_roundtrip_segments)
{
	struct xfile	*xf = open_xf(_i);
	size_t		len = 3 * pgsz + 123;
	uint64_t	pos = XFILE_SEG_SIZE - pgsz - 50;
	uint64_t	first;
	uint8_t		*in = malloc(len);
	uint8_t		*out = malloc(len);
	uint8_t		*big_in;
	uint8_t		*big_out;
	size_t		big_len = XFILE_SEG_SIZE + 2 * pgsz + 10;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	fill(in, len, 1);
	ck_assert_int_eq(xfile_store(xf, in, len, pos), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 5 * pgsz);
	memset(out, 0xaa, len);
	ck_assert_int_eq(xfile_load(xf, out, len, pos), 0);
	ck_assert_mem_eq(in, out, len);

	/* The two halves, through the mappings of the two segments. */
	first = XFILE_SEG_SIZE - pos;
	ck_assert_mem_eq(xfile_addr(xf, pos), in, first);
	ck_assert_mem_eq(xfile_addr(xf, XFILE_SEG_SIZE), in + first,
			 len - first);
	ck_assert_ptr_ne(xf->seg[0], xf->seg[1]);

	/* Odd sub-ranges. */
	ck_assert_int_eq(xfile_load(xf, out, 1, pos + first - 1), 0);
	ck_assert_uint_eq(out[0], in[first - 1]);
	ck_assert_int_eq(xfile_load(xf, out, 2, pos + first - 1), 0);
	ck_assert_mem_eq(out, in + first - 1, 2);
	ck_assert_int_eq(xfile_load(xf, out, 0, pos), 0);
	ck_assert_int_eq(xfile_store(xf, in, 0, pos), 0);

	/* A store over three segments. */
	big_in = malloc(big_len);
	big_out = malloc(big_len);
	ck_assert_ptr_nonnull(big_in);
	ck_assert_ptr_nonnull(big_out);
	fill(big_in, big_len, 7);
	pos = 3 * XFILE_SEG_SIZE - pgsz - 3;
	ck_assert_int_eq(xfile_store(xf, big_in, big_len, pos), 0);
	ck_assert_int_eq(xfile_load(xf, big_out, big_len, pos), 0);
	ck_assert_mem_eq(big_in, big_out, big_len);
	ck_assert_ptr_nonnull(xf->seg[2]);
	ck_assert_ptr_nonnull(xf->seg[3]);
	ck_assert_ptr_nonnull(xf->seg[4]);

	free(big_in);
	free(big_out);
	free(in);
	free(out);
	xfile_destroy(xf);
}
END_TEST

/* both: holes read as zeros and are not faulted in. */
START_TEST(test_holes_read_zero)
{
	struct xfile	*xf = open_xf(_i);
	size_t		len = 4 * pgsz;
	uint8_t		*in = malloc(len);
	uint8_t		*out = malloc(len);

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	fill(in, len, 3);
	ck_assert_int_eq(xfile_store(xf, in, pgsz, 0), 0);
	ck_assert_int_eq(xfile_store(xf, in + 2 * pgsz, pgsz, 2 * pgsz), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 2 * pgsz);

	memset(out, 0xaa, len);
	ck_assert_int_eq(xfile_load(xf, out, len, 0), 0);
	ck_assert_mem_eq(out, in, pgsz);
	ck_assert(all_zero(out + pgsz, pgsz));
	ck_assert_mem_eq(out + 2 * pgsz, in + 2 * pgsz, pgsz);
	ck_assert(all_zero(out + 3 * pgsz, pgsz));

	/* Unaligned, starting in a hole and ending in data. */
	memset(out, 0xaa, len);
	ck_assert_int_eq(xfile_load(xf, out, pgsz + 20, pgsz + 10), 0);
	ck_assert(all_zero(out, pgsz - 10));
	ck_assert_mem_eq(out + pgsz - 10, in + 2 * pgsz, 30);

	/* Wide loads over the mapped segment and unmapped ones. */
	ck_assert_int_eq(xfile_load(xf, out, len, XFILE_SEG_SIZE - 2 * pgsz),
			 0);
	ck_assert(all_zero(out, len));
	ck_assert_int_eq(xfile_load(xf, out, len, 7 * XFILE_SEG_SIZE + 5), 0);
	ck_assert(all_zero(out, len));
	ck_assert_int_eq(xfile_load(xf, out, len, 1ULL << 44), 0);
	ck_assert(all_zero(out, len));

	/* None of that allocated anything. */
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 2 * pgsz);

	free(in);
	free(out);
	xfile_destroy(xf);
}
END_TEST

/* both: discard gives whole pages back and leaves partial ends alone. */
START_TEST(test_discard)
{
	struct xfile	*xf = open_xf(_i);
	size_t		len = 16 * pgsz;
	uint64_t	used = xfile_memory_used();
	uint8_t		*in = malloc(len);
	uint8_t		*out = malloc(len);

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	fill(in, len, 5);
	ck_assert_int_eq(xfile_store(xf, in, len, 0), 0);
	ck_assert_uint_eq(xfile_bytes(xf), len);
	ck_assert_uint_eq(fs_bytes(xf), len);
	ck_assert_uint_eq(xfile_memory_used(), used + len);

	/* Pages 1..14 are whole inside the range; 0 and 15 are partial. */
	ck_assert_int_eq(xfile_discard(xf, 100, len - 200), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(xfile_memory_used(), used + 2 * pgsz);
	ck_assert(xfile_page_is_held(xf, 0));
	ck_assert(!xfile_page_is_held(xf, pgsz));
	ck_assert(!xfile_page_is_held(xf, 14 * pgsz));
	ck_assert(xfile_page_is_held(xf, 15 * pgsz));

	memset(out, 0xaa, len);
	ck_assert_int_eq(xfile_load(xf, out, len, 0), 0);
	ck_assert_mem_eq(out, in, pgsz);
	ck_assert(all_zero(out + pgsz, 14 * pgsz));
	ck_assert_mem_eq(out + 15 * pgsz, in + 15 * pgsz, pgsz);

	/* Again, and ranges with no whole page or nothing held: no-ops. */
	ck_assert_int_eq(xfile_discard(xf, 100, len - 200), 0);
	ck_assert_int_eq(xfile_discard(xf, 10, 100), 0);
	ck_assert_int_eq(xfile_discard(xf, 10, pgsz), 0);
	ck_assert_int_eq(xfile_discard(xf, 1ULL << 40, 1ULL << 30), 0);
	ck_assert_int_eq(xfile_discard(xf, 0, 0), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 2 * pgsz);

	/* Punched pages come back as zeros when allocated again. */
	ck_assert_int_eq(xfile_prealloc(xf, 3 * pgsz, pgsz), 0);
	ck_assert(all_zero(xfile_addr(xf, 3 * pgsz), pgsz));
	ck_assert_uint_eq(xfile_bytes(xf), 3 * pgsz);

	/* Exactly page 0. */
	ck_assert_int_eq(xfile_discard(xf, 0, pgsz), 0);
	ck_assert(!xfile_page_is_held(xf, 0));
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);

	/* Everything, with a length that would overflow. */
	ck_assert_int_eq(xfile_discard(xf, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 0);
	ck_assert_uint_eq(fs_bytes(xf), 0);
	ck_assert_uint_eq(xfile_memory_used(), used);
	ck_assert_int_eq(xfile_load(xf, out, len, 0), 0);
	ck_assert(all_zero(out, len));

	free(in);
	free(out);
	xfile_destroy(xf);
}
END_TEST

/* both: discard of a big sparse range across segments. */
START_TEST(test_discard_segments)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	used = xfile_memory_used();
	uint64_t	i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(xfile_prealloc(xf, i * XFILE_SEG_SIZE +
						 i * pgsz, pgsz), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 4 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 4 * pgsz);
	ck_assert_int_eq(xfile_discard(xf, pgsz, 4 * XFILE_SEG_SIZE), 0);
	ck_assert_uint_eq(xfile_bytes(xf), pgsz);
	ck_assert_uint_eq(fs_bytes(xf), pgsz);
	ck_assert(xfile_page_is_held(xf, 0));
	ck_assert_uint_eq(xfile_memory_used(), used + pgsz);
	xfile_destroy(xf);
}
END_TEST

/* both: pointers stay put while the tables grow. */
START_TEST(test_pointer_stability)
{
	struct xfile	*xf = open_xf(_i);
	uint8_t		pat[256];
	uint8_t		out[256];
	uint8_t		*p;
	uint8_t		*p7;
	uint64_t	i;

	fill(pat, sizeof(pat), 9);
	ck_assert_int_eq(xfile_store(xf, pat, sizeof(pat), 100), 0);
	ck_assert_int_eq(xfile_store(xf, pat, 16, 7 * XFILE_SEG_SIZE), 0);
	p = xfile_addr(xf, 100);
	p7 = xfile_addr(xf, 7 * XFILE_SEG_SIZE);

	for (i = 1; i <= 300; i++) {
		ck_assert_int_eq(xfile_prealloc(xf, i * XFILE_SEG_SIZE + 4096 *
						 (i % 13), 1), 0);
		if (i % 50 == 0)
			ck_assert_mem_eq(p, pat, sizeof(pat));
	}
	ck_assert_int_eq(xfile_prealloc(xf, 1ULL << 40, 1), 0);
	ck_assert_uint_ge(xf->nseg, 301);

	ck_assert_ptr_eq(p, xfile_addr(xf, 100));
	ck_assert_ptr_eq(p7, xfile_addr(xf, 7 * XFILE_SEG_SIZE));
	ck_assert_mem_eq(p, pat, sizeof(pat));
	ck_assert_mem_eq(p7, pat, 16);

	/* Written through the old pointer, seen by load. */
	memset(p, 0x77, 10);
	ck_assert_int_eq(xfile_load(xf, out, sizeof(out), 100), 0);
	ck_assert_uint_eq(out[0], 0x77);
	ck_assert_uint_eq(out[9], 0x77);
	ck_assert_mem_eq(out + 10, pat + 10, sizeof(pat) - 10);
	xfile_destroy(xf);
}
END_TEST

static uint64_t
seek_ok(struct xfile *xf, uint64_t pos, int whence)
{
	uint64_t	res = 0xdead;

	ck_assert_int_eq(xfile_seek(xf, pos, whence, &res), 0);
	return res;
}

/* both: SEEK_DATA and SEEK_HOLE. */
START_TEST(test_seek)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	res = 0xdead;
	uint64_t	far = 1ULL << 40;

	/* Empty: no data anywhere, hole everywhere. */
	ck_assert_int_eq(xfile_seek(xf, 0, SEEK_DATA, &res), -ENXIO);
	ck_assert_uint_eq(res, 0xdead);
	ck_assert_uint_eq(seek_ok(xf, 0, SEEK_HOLE), 0);
	ck_assert_uint_eq(seek_ok(xf, 12345, SEEK_HOLE), 12345);
	ck_assert_int_eq(xfile_seek(xf, 0, SEEK_SET, &res), -EINVAL);
	ck_assert_int_eq(xfile_seek(xf, 0, 42, &res), -EINVAL);

	/* Pages 2, 3 and 10. */
	ck_assert_int_eq(xfile_prealloc(xf, 2 * pgsz, 2 * pgsz), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 10 * pgsz + 5, 1), 0);

	ck_assert_uint_eq(seek_ok(xf, 0, SEEK_DATA), 2 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, pgsz + 1, SEEK_DATA), 2 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 2 * pgsz, SEEK_DATA), 2 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 2 * pgsz + 5, SEEK_DATA), 2 * pgsz + 5);
	ck_assert_uint_eq(seek_ok(xf, 4 * pgsz - 1, SEEK_DATA), 4 * pgsz - 1);
	ck_assert_uint_eq(seek_ok(xf, 4 * pgsz, SEEK_DATA), 10 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 10 * pgsz + 7, SEEK_DATA),
			  10 * pgsz + 7);
	ck_assert_int_eq(xfile_seek(xf, 11 * pgsz, SEEK_DATA, &res), -ENXIO);

	ck_assert_uint_eq(seek_ok(xf, 0, SEEK_HOLE), 0);
	ck_assert_uint_eq(seek_ok(xf, pgsz + 3, SEEK_HOLE), pgsz + 3);
	ck_assert_uint_eq(seek_ok(xf, 2 * pgsz, SEEK_HOLE), 4 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 3 * pgsz + 9, SEEK_HOLE), 4 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 5 * pgsz + 3, SEEK_HOLE), 5 * pgsz + 3);
	ck_assert_uint_eq(seek_ok(xf, 10 * pgsz, SEEK_HOLE), 11 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 11 * pgsz, SEEK_HOLE), 11 * pgsz);

	/* A run across bitmap words: pages 60..130. */
	ck_assert_int_eq(xfile_prealloc(xf, 60 * pgsz, 71 * pgsz), 0);
	ck_assert_uint_eq(seek_ok(xf, 11 * pgsz, SEEK_DATA), 60 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 61 * pgsz, SEEK_HOLE), 131 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 64 * pgsz, SEEK_HOLE), 131 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 128 * pgsz + 1, SEEK_HOLE), 131 * pgsz);

	/* Far away: many zero words to skip. */
	ck_assert_int_eq(xfile_prealloc(xf, far, pgsz), 0);
	ck_assert_uint_eq(seek_ok(xf, 131 * pgsz, SEEK_DATA), far);
	ck_assert_uint_eq(seek_ok(xf, far + 1, SEEK_DATA), far + 1);
	ck_assert_uint_eq(seek_ok(xf, far, SEEK_HOLE), far + pgsz);
	ck_assert_int_eq(xfile_seek(xf, far + pgsz, SEEK_DATA, &res), -ENXIO);

	/* After a discard. */
	ck_assert_int_eq(xfile_discard(xf, 2 * pgsz, pgsz), 0);
	ck_assert_uint_eq(seek_ok(xf, 0, SEEK_DATA), 3 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 2 * pgsz, SEEK_HOLE), 2 * pgsz);
	ck_assert_uint_eq(seek_ok(xf, 3 * pgsz, SEEK_HOLE), 4 * pgsz);

	/* At and past the end of the range. */
	ck_assert_int_eq(xfile_seek(xf, XFILE_MAX_SIZE, SEEK_DATA, &res),
			 -ENXIO);
	ck_assert_int_eq(xfile_seek(xf, UINT64_MAX, SEEK_DATA, &res), -ENXIO);
	ck_assert_uint_eq(seek_ok(xf, XFILE_MAX_SIZE, SEEK_HOLE),
			  XFILE_MAX_SIZE);
	ck_assert_uint_eq(seek_ok(xf, XFILE_MAX_SIZE - 1, SEEK_HOLE),
			  XFILE_MAX_SIZE - 1);
	xfile_destroy(xf);
}
END_TEST

/* The cap: all or nothing, discard makes room, xfiles share it. */
START_TEST(test_memory_cap)
{
	struct xfile	*xf = open_xf(BACKEND_MEMFD);
	struct xfile	*xf2 = open_xf(BACKEND_MEMFD);
	uint64_t	used = xfile_memory_used();
	uint8_t		buf[64];
	uint64_t	pg;

	ck_assert_uint_eq(xfile_memory_cap(), 0);
	xfile_set_memory_cap(used + 8 * pgsz);
	ck_assert_uint_eq(xfile_memory_cap(), used + 8 * pgsz);

	ck_assert_int_eq(xfile_prealloc(xf, 0, 8 * pgsz), 0);
	ck_assert_uint_eq(xfile_memory_used(), used + 8 * pgsz);

	/* Full: one more page fails, and so does a range half held. */
	ck_assert_int_eq(xfile_prealloc(xf, 20 * pgsz, 1), -ENOSPC);
	ck_assert_int_eq(xfile_prealloc(xf, 6 * pgsz, 4 * pgsz), -ENOSPC);
	ck_assert_int_eq(xfile_prealloc(xf, 3 * XFILE_SEG_SIZE, 1), -ENOSPC);
	ck_assert_uint_eq(xfile_bytes(xf), 8 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 8 * pgsz);
	ck_assert_uint_eq(xfile_memory_used(), used + 8 * pgsz);
	ck_assert(!xfile_page_is_held(xf, 20 * pgsz));
	ck_assert(!xfile_page_is_held(xf, 8 * pgsz));
	ck_assert(!xfile_page_is_held(xf, 9 * pgsz));
	ck_assert(xf->nseg <= 3 || !xf->seg[3]);

	/* Held pages need no room. */
	ck_assert_int_eq(xfile_prealloc(xf, 1, 8 * pgsz - 2), 0);
	memset(buf, 0x11, sizeof(buf));
	ck_assert_int_eq(xfile_store(xf, buf, sizeof(buf), 3 * pgsz), 0);

	/* A store past the cap writes nothing. */
	ck_assert_int_eq(xfile_store(xf, buf, sizeof(buf), 20 * pgsz),
			 -ENOSPC);
	memset(buf, 0xaa, sizeof(buf));
	ck_assert_int_eq(xfile_load(xf, buf, sizeof(buf), 20 * pgsz), 0);
	ck_assert(all_zero(buf, sizeof(buf)));

	/* Three pages of room; five new pages do not fit, three do. */
	ck_assert_int_eq(xfile_discard(xf, 0, 3 * pgsz), 0);
	ck_assert_uint_eq(xfile_memory_used(), used + 5 * pgsz);
	ck_assert_int_eq(xfile_prealloc(xf, 20 * pgsz, 5 * pgsz), -ENOSPC);
	for (pg = 20; pg < 25; pg++)
		ck_assert(!xfile_page_is_held(xf, pg * pgsz));
	ck_assert_uint_eq(xfile_memory_used(), used + 5 * pgsz);
	ck_assert_int_eq(xfile_prealloc(xf, 20 * pgsz, 3 * pgsz), 0);
	ck_assert_uint_eq(xfile_memory_used(), used + 8 * pgsz);
	ck_assert_uint_eq(xfile_bytes(xf), 8 * pgsz);

	/* The second xfile shares the cap. */
	ck_assert_int_eq(xfile_prealloc(xf2, 0, 1), -ENOSPC);
	ck_assert_uint_eq(xfile_bytes(xf2), 0);
	ck_assert_int_eq(xfile_discard(xf, 20 * pgsz, pgsz), 0);
	ck_assert_int_eq(xfile_prealloc(xf2, 0, 1), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 20 * pgsz, 1), -ENOSPC);
	ck_assert_uint_eq(xfile_memory_used(), used + 8 * pgsz);

	/* Destroying an xfile gives its pages back. */
	xfile_destroy(xf);
	ck_assert_uint_eq(xfile_memory_used(), used + pgsz);
	ck_assert_int_eq(xfile_prealloc(xf2, pgsz, 7 * pgsz), 0);
	ck_assert_int_eq(xfile_prealloc(xf2, 8 * pgsz, 1), -ENOSPC);

	/* A cap below what is held: nothing more, discards still work. */
	xfile_set_memory_cap(used + 2 * pgsz);
	ck_assert_int_eq(xfile_prealloc(xf2, 30 * pgsz, 1), -ENOSPC);
	ck_assert_int_eq(xfile_discard(xf2, 0, 8 * pgsz), 0);
	ck_assert_int_eq(xfile_prealloc(xf2, 30 * pgsz, 2 * pgsz), 0);

	/* No cap. */
	reset_globals();
	ck_assert_int_eq(xfile_prealloc(xf2, 0, 64 * pgsz), 0);
	xfile_destroy(xf2);
	ck_assert_uint_eq(xfile_memory_used(), used);
}
END_TEST

#define CAP_THREADS	4
#define CAP_PAGES	509

struct cap_worker {
	pthread_barrier_t	*barrier;
	struct xfile		*xf;
	int			error;
};

static void *
cap_worker(void *arg)
{
	struct cap_worker	*w = arg;
	uint64_t		pg;
	int			error = 0;

	/*
	 * One or two pages at a time; when two do not fit, try one, and
	 * stop when one does not: then the cap is reached for good.
	 */
	pthread_barrier_wait(w->barrier);
	for (pg = 0; !error; pg += 3) {
		error = xfile_prealloc(w->xf, pg * pgsz, 1 + (pg % 2) * pgsz);
		if (error == -ENOSPC && pg % 2)
			error = xfile_prealloc(w->xf, pg * pgsz, 1);
	}
	w->error = error;
	return NULL;
}

/* Threads with an xfile each race for the cap; it is never exceeded. */
START_TEST(test_memory_cap_threads)
{
	struct cap_worker	w[CAP_THREADS];
	pthread_t		tid[CAP_THREADS];
	pthread_barrier_t	barrier;
	uint64_t		used = xfile_memory_used();
	uint64_t		sum = 0;
	int			i;

	xfile_set_memory_cap(used + CAP_PAGES * pgsz);
	ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, CAP_THREADS),
			 0);
	for (i = 0; i < CAP_THREADS; i++) {
		w[i].barrier = &barrier;
		w[i].xf = open_xf(BACKEND_MEMFD);
		w[i].error = 0;
		ck_assert_int_eq(pthread_create(&tid[i], NULL, cap_worker,
						&w[i]), 0);
	}
	for (i = 0; i < CAP_THREADS; i++) {
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
		ck_assert_int_eq(w[i].error, -ENOSPC);
		sum += xfile_bytes(w[i].xf);
		ck_assert_uint_eq(fs_bytes(w[i].xf), xfile_bytes(w[i].xf));
	}
	ck_assert_uint_eq(sum, CAP_PAGES * pgsz);
	ck_assert_uint_eq(xfile_memory_used(), used + CAP_PAGES * pgsz);
	for (i = 0; i < CAP_THREADS; i++)
		xfile_destroy(w[i].xf);
	ck_assert_uint_eq(xfile_memory_used(), used);
	pthread_barrier_destroy(&barrier);
	reset_globals();
}
END_TEST

/* both: the n-th allocating prealloc fails, once, holding nothing. */
START_TEST(test_fault_injection)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	used = xfile_memory_used();
	uint8_t		buf[32];

	/* Calls 1 and 2 allocate; the two in between allocate nothing. */
	xmem_fault_arm(3, XMEM_PAGES, ENOMEM);
	ck_assert_int_eq(xfile_prealloc(xf, 0, 1), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 0, pgsz), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 0, 0), 0);
	ck_assert_int_eq(xfile_prealloc(xf, pgsz, 1), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 2 * XFILE_SEG_SIZE, 3 * pgsz),
			 -ENOMEM);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 2 * pgsz);
	ck_assert_uint_eq(xfile_memory_used(), used + 2 * pgsz);
	ck_assert(!xfile_page_is_held(xf, 2 * XFILE_SEG_SIZE));
	ck_assert(xf->nseg <= 2 || !xf->seg[2]);

	/* It fired; it does not fire again. */
	ck_assert_int_eq(xfile_prealloc(xf, 2 * XFILE_SEG_SIZE, 3 * pgsz), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 9 * pgsz, 1), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 6 * pgsz);

	/* A store that fails writes nothing; the sign of error is free. */
	xmem_fault_arm(1, XMEM_PAGES, -EIO);
	memset(buf, 0x42, sizeof(buf));
	ck_assert_int_eq(xfile_store(xf, buf, sizeof(buf), 20 * pgsz), -EIO);
	ck_assert(!xfile_page_is_held(xf, 20 * pgsz));
	ck_assert_int_eq(xfile_load(xf, buf, sizeof(buf), 20 * pgsz), 0);
	ck_assert(all_zero(buf, sizeof(buf)));
	ck_assert_uint_eq(xfile_bytes(xf), 6 * pgsz);

	/* Disarmed before it fires. */
	xmem_fault_arm(2, XMEM_PAGES, ENOSPC);
	ck_assert_int_eq(xfile_prealloc(xf, 30 * pgsz, 1), 0);
	xmem_fault_disarm();
	ck_assert_int_eq(xfile_prealloc(xf, 31 * pgsz, 1), 0);
	ck_assert_int_eq(xfile_prealloc(xf, 32 * pgsz, 1), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 9 * pgsz);

	/* Re-armed: counts from now on. */
	xmem_fault_arm(1, XMEM_PAGES, ENOSPC);
	ck_assert_int_eq(xfile_prealloc(xf, 33 * pgsz, 1), -ENOSPC);
	ck_assert_int_eq(xfile_prealloc(xf, 33 * pgsz, 1), 0);

	/* More than four extents: a tmpdir may count an extent block. */
	if (_i == BACKEND_MEMFD)
		ck_assert_uint_eq(fs_bytes(xf), xfile_bytes(xf));
	xfile_destroy(xf);
	ck_assert_uint_eq(xfile_memory_used(), used);
	reset_globals();
}
END_TEST

/* -EFBIG past XFILE_MAX_SIZE, and the last page of the range works. */
START_TEST(test_efbig)
{
	struct xfile	*xf = open_xf(BACKEND_MEMFD);
	uint64_t	used = xfile_memory_used();
	uint64_t	last = XFILE_MAX_SIZE - pgsz;
	uint8_t		buf[16];

	memset(buf, 0x33, sizeof(buf));
	ck_assert_int_eq(xfile_prealloc(xf, last, 2 * pgsz), -EFBIG);
	ck_assert_int_eq(xfile_prealloc(xf, XFILE_MAX_SIZE, 1), -EFBIG);
	ck_assert_int_eq(xfile_prealloc(xf, UINT64_MAX - 1, 2), -EFBIG);
	ck_assert_int_eq(xfile_prealloc(xf, 0, UINT64_MAX), -EFBIG);
	ck_assert_int_eq(xfile_store(xf, buf, 2, XFILE_MAX_SIZE - 1), -EFBIG);
	ck_assert_int_eq(xfile_store(xf, buf, 2, UINT64_MAX), -EFBIG);
	ck_assert_int_eq(xfile_load(xf, buf, 2, XFILE_MAX_SIZE - 1), -EFBIG);
	ck_assert_int_eq(xfile_load(xf, buf, 1, UINT64_MAX), -EFBIG);
	ck_assert_uint_eq(xfile_bytes(xf), 0);
	ck_assert_uint_eq(xfile_memory_used(), used);
	ck_assert_uint_eq(xf->nseg, 0);

	ck_assert_int_eq(xfile_store(xf, buf, sizeof(buf),
				     XFILE_MAX_SIZE - sizeof(buf)), 0);
	ck_assert_uint_eq(xfile_bytes(xf), pgsz);
	ck_assert_uint_eq(fs_bytes(xf), pgsz);
	ck_assert_uint_eq(fs_size(xf), XFILE_MAX_SIZE);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(xfile_load(xf, buf, sizeof(buf),
				    XFILE_MAX_SIZE - sizeof(buf)), 0);
	ck_assert_uint_eq(buf[0], 0x33);
	ck_assert_uint_eq(buf[15], 0x33);
	ck_assert_uint_eq(seek_ok(xf, last - 5 * pgsz, SEEK_DATA), last);
	ck_assert_uint_eq(seek_ok(xf, last, SEEK_HOLE), XFILE_MAX_SIZE);
	xfile_destroy(xf);
	ck_assert_uint_eq(xfile_memory_used(), used);
}
END_TEST

/*
 * A file system error on the way (ext4 refuses a 20 TiB file: -EFBIG from
 * ftruncate) leaves nothing held.  On a file system that takes it, the
 * prealloc just works.
 */
START_TEST(test_tmpdir_error)
{
	struct xfile	*xf = open_xf(BACKEND_TMPDIR);
	uint64_t	used = xfile_memory_used();
	uint64_t	pos = 20ULL << 40;
	int		error;

	ck_assert_int_eq(xfile_prealloc(xf, 0, 1), 0);
	error = xfile_prealloc(xf, pos, pgsz);
	if (error) {
		ck_assert_int_lt(error, 0);
		ck_assert(!xfile_page_is_held(xf, pos));
		ck_assert_uint_eq(xfile_bytes(xf), pgsz);
		ck_assert_uint_eq(xfile_memory_used(), used + pgsz);
		ck_assert(!xf->seg[pos >> XFILE_SEG_SHIFT]);
		ck_assert_int_eq(xfile_prealloc(xf, pgsz, 1), 0);
		ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	}
	xfile_destroy(xf);
	ck_assert_uint_eq(xfile_memory_used(), used);
}
END_TEST

#ifdef HAVE_FALLOC_HOOK
/* both: runs of pages become one fallocate call each. */
START_TEST(test_falloc_runs)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	pg;

	falloc_allocs = 0;
	ck_assert_int_eq(xfile_prealloc(xf, pgsz + 1, 1 << 20), 0);
	ck_assert_uint_eq(falloc_allocs, 1);

	/* Holes at 0, 258..262, 264..: three runs. */
	ck_assert_int_eq(xfile_prealloc(xf, 263 * pgsz, 1), 0);
	falloc_allocs = 0;
	ck_assert_int_eq(xfile_prealloc(xf, 0, 300 * pgsz), 0);
	ck_assert_uint_eq(falloc_allocs, 3);
	ck_assert_uint_eq(xfile_bytes(xf), 300 * pgsz);

	/* Nothing new: no call at all. */
	falloc_allocs = 0;
	ck_assert_int_eq(xfile_prealloc(xf, 10, 290 * pgsz), 0);
	ck_assert_uint_eq(falloc_allocs, 0);

	/* Punch every fourth page: the rest are 75 runs, one call each. */
	for (pg = 0; pg < 300; pg += 4)
		ck_assert_int_eq(xfile_discard(xf, pg * pgsz, pgsz), 0);
	falloc_punches = 0;
	ck_assert_int_eq(xfile_discard(xf, 0, 300 * pgsz), 0);
	ck_assert_uint_eq(falloc_punches, 75);
	ck_assert_uint_eq(xfile_bytes(xf), 0);
	ck_assert_uint_eq(fs_bytes(xf), 0);
	xfile_destroy(xf);
}
END_TEST

/*
 * both: fallocate fails (a full tmpdir) on the second run of a prealloc
 * that also maps a new segment: the first run is punched back, the new
 * segment unmapped, the cap released, the bitmap as it was.
 */
START_TEST(test_falloc_failure)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	used = xfile_memory_used();
	uint64_t	b = 3 * XFILE_SEG_SIZE;
	uint8_t		buf[8];

	ck_assert_int_eq(xfile_prealloc(xf, b - pgsz, 1), 0);
	ck_assert_ptr_nonnull(xf->seg[2]);
	falloc_fail_at = 2;
	ck_assert_int_eq(xfile_prealloc(xf, b - 3 * pgsz, 5 * pgsz),
			 -ENOSPC);
	ck_assert_uint_eq(falloc_fail_at, 0);
	ck_assert_uint_eq(xfile_bytes(xf), pgsz);
	ck_assert_uint_eq(fs_bytes(xf), pgsz);
	ck_assert_uint_eq(xfile_memory_used(), used + pgsz);
	ck_assert(!xfile_page_is_held(xf, b - 3 * pgsz));
	ck_assert(!xfile_page_is_held(xf, b - 2 * pgsz));
	ck_assert(xfile_page_is_held(xf, b - pgsz));
	ck_assert(!xfile_page_is_held(xf, b));
	ck_assert_ptr_nonnull(xf->seg[2]);
	ck_assert(xf->nseg <= 3 || !xf->seg[3]);

	/* Through store: nothing written. */
	falloc_fail_at = 1;
	memset(buf, 0x5c, sizeof(buf));
	ck_assert_int_eq(xfile_store(xf, buf, sizeof(buf), b), -ENOSPC);
	ck_assert_int_eq(xfile_load(xf, buf, sizeof(buf), b), 0);
	ck_assert(all_zero(buf, sizeof(buf)));

	/* Room again. */
	ck_assert_int_eq(xfile_prealloc(xf, b - 3 * pgsz, 5 * pgsz), 0);
	ck_assert_uint_eq(xfile_bytes(xf), 5 * pgsz);
	ck_assert_uint_eq(fs_bytes(xf), 5 * pgsz);
	ck_assert_ptr_nonnull(xf->seg[3]);
	xfile_destroy(xf);
	ck_assert_uint_eq(xfile_memory_used(), used);
}
END_TEST
#endif /* HAVE_FALLOC_HOOK */

#ifndef UNDER_ASAN
/*
 * mmap fails (address space limit) for the second of two new segments:
 * the first is unmapped again and nothing is held.  Not under ASan.
 */
START_TEST(test_map_failure)
{
	struct xfile	*xf = open_xf(BACKEND_MEMFD);
	uint64_t	used = xfile_memory_used();
	uint64_t	pos = 11 * XFILE_SEG_SIZE - pgsz;
	struct rlimit	old;
	struct rlimit	lim;
	unsigned long	vm_pages = 0;
	FILE		*f;
	int		error;

	/* Grow the tables first so that only the mmaps need room. */
	ck_assert_int_eq(xfile_prealloc(xf, 12 * XFILE_SEG_SIZE, 1), 0);
	ck_assert_int_eq(xfile_discard(xf, 12 * XFILE_SEG_SIZE, pgsz), 0);

	f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lu", &vm_pages), 1);
	fclose(f);
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	lim = old;
	lim.rlim_cur = vm_pages * pgsz + XFILE_SEG_SIZE + (16 << 20);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
	error = xfile_prealloc(xf, pos, 2 * pgsz);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);

	ck_assert_int_eq(error, -ENOMEM);
	ck_assert_ptr_null(xf->seg[10]);
	ck_assert_ptr_null(xf->seg[11]);
	ck_assert_uint_eq(xfile_bytes(xf), 0);
	ck_assert_uint_eq(fs_bytes(xf), 0);
	ck_assert_uint_eq(xfile_memory_used(), used);

	ck_assert_int_eq(xfile_prealloc(xf, pos, 2 * pgsz), 0);
	ck_assert_ptr_nonnull(xf->seg[10]);
	ck_assert_ptr_nonnull(xf->seg[11]);
	ck_assert_uint_eq(xfile_bytes(xf), 2 * pgsz);
	xfile_destroy(xf);
}
END_TEST
#endif /* UNDER_ASAN */

/* both: random stores, loads, preallocs and discards against a buffer. */
START_TEST(test_random_model)
{
	struct xfile	*xf = open_xf(_i);
	uint64_t	npages = 128;
	uint64_t	base = XFILE_SEG_SIZE - 64 * pgsz;
	size_t		span = npages * pgsz;
	uint8_t		*model = calloc(1, span);
	bool		*held = calloc(npages, sizeof(bool));
	uint8_t		*buf = malloc(span);
	unsigned int	seed = 12345;
	uint64_t	off;
	uint64_t	len;
	uint64_t	pg;
	uint64_t	n;
	int		iter;

	ck_assert_ptr_nonnull(model);
	ck_assert_ptr_nonnull(held);
	ck_assert_ptr_nonnull(buf);
	for (iter = 0; iter < 3000; iter++) {
		off = (uint64_t)rand_r(&seed) % span;
		len = (uint64_t)rand_r(&seed) % (span - off);
		if (rand_r(&seed) % 4 == 0)
			len %= 3 * pgsz;
		switch (rand_r(&seed) % 4) {
		case 0:
			fill(buf, len, (unsigned int)iter);
			ck_assert_int_eq(xfile_store(xf, buf, len, base + off),
					 0);
			memcpy(model + off, buf, len);
			for (pg = off / pgsz; len && pg <= (off + len - 1) /
			     pgsz; pg++)
				held[pg] = true;
			break;
		case 1:
			ck_assert_int_eq(xfile_prealloc(xf, base + off, len),
					 0);
			for (pg = off / pgsz; len && pg <= (off + len - 1) /
			     pgsz; pg++)
				held[pg] = true;
			break;
		case 2:
			ck_assert_int_eq(xfile_discard(xf, base + off, len),
					 0);
			for (pg = (off + pgsz - 1) / pgsz;
			     (pg + 1) * pgsz <= off + len; pg++) {
				held[pg] = false;
				memset(model + pg * pgsz, 0, pgsz);
			}
			break;
		default:
			ck_assert_int_eq(xfile_load(xf, buf, len, base + off),
					 0);
			ck_assert_mem_eq(buf, model + off, len);
			break;
		}
	}
	ck_assert_int_eq(xfile_load(xf, buf, span, base), 0);
	ck_assert_mem_eq(buf, model, span);
	for (pg = 0, n = 0; pg < npages; pg++) {
		ck_assert_int_eq(xfile_page_is_held(xf, base + pg * pgsz),
				 held[pg]);
		n += held[pg];
	}
	ck_assert_uint_eq(xfile_bytes(xf), n * pgsz);
	ck_assert_uint_eq(xf->held_pages, n);
	free(model);
	free(held);
	free(buf);
	xfile_destroy(xf);
}
END_TEST

static Suite *
xfile_suite(void)
{
	Suite	*s = suite_create("xfile");
	TCase	*tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_create_destroy, 0, 2);
	tcase_add_test(tc, test_create_odd);
	tcase_add_loop_test(tc, test_sparse_growth, 0, 2);
	tcase_add_loop_test(tc, test_roundtrip_segments, 0, 2);
	tcase_add_loop_test(tc, test_holes_read_zero, 0, 2);
	tcase_add_loop_test(tc, test_discard, 0, 2);
	tcase_add_loop_test(tc, test_discard_segments, 0, 2);
	tcase_add_loop_test(tc, test_pointer_stability, 0, 2);
	tcase_add_loop_test(tc, test_seek, 0, 2);
	tcase_add_test(tc, test_memory_cap);
	tcase_add_test(tc, test_memory_cap_threads);
	tcase_add_loop_test(tc, test_fault_injection, 0, 2);
	tcase_add_test(tc, test_efbig);
	tcase_add_test(tc, test_tmpdir_error);
	tcase_add_loop_test(tc, test_random_model, 0, 2);
#ifdef HAVE_FALLOC_HOOK
	tcase_add_loop_test(tc, test_falloc_runs, 0, 2);
	tcase_add_loop_test(tc, test_falloc_failure, 0, 2);
#endif
#ifndef UNDER_ASAN
	tcase_add_test(tc, test_map_failure);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(xfile_suite());
	int	failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
