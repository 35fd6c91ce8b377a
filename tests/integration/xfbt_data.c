// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfbt_data: drive a `data` file with random system calls and compare
 * every answer with a model of what xfbtreefs(5) says the file holds.
 *
 *	xfbt_data FILE SEED NOPS SPAN	random run; prints "ok N" or the
 *					first difference, exit 1
 *	xfbt_data FILE dump		print the file's slots that are not
 *					zero as "KEY VALUE" lines (what
 *					`records` must read)
 *
 * The model is a byte array of SPAN bytes (a multiple of 8) and a size.
 * Operations, at random offsets and lengths below SPAN, most of them not
 * aligned to 8: pwrite of random bytes, of zeros, of random bytes with
 * zero slots inside; pread of any range (past the end too); ftruncate to
 * a multiple of 8 (and to a non-multiple, which must be EINVAL and change
 * nothing); lseek SEEK_DATA and SEEK_HOLE from random offsets; fstat.
 *
 * The model's rules, from xfbtreefs(5), DATA: a slot of 8 bytes holds
 * key k's value little-endian; zero slots are holes; the size is the larger of the end
 * of the last slot written past the end (writes round up to a whole
 * slot) or truncated to, and 8 x (highest key + 1); truncate drops the
 * slots past the new end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	/* splitmix64 */
	uint64_t	z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint8_t	*model;
static uint64_t	span, msize;
static unsigned long op_no;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "xfbt_data: op %lu: ", op_no);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static bool
slot_is_zero(uint64_t k)
{
	static const uint8_t	zero[8];

	return memcmp(model + 8 * k, zero, 8) == 0;
}

/* Size the model gives: the larger of msize and the last record's end. */
static uint64_t
model_size(void)
{
	uint64_t	k;

	for (k = span / 8; k-- > 0;)
		if (!slot_is_zero(k))
			return 8 * (k + 1) > msize ? 8 * (k + 1) : msize;
	return msize;
}

static void
check_size(int fd)
{
	struct stat	st;

	if (fstat(fd, &st))
		fail("fstat: %s", strerror(errno));
	if ((uint64_t)st.st_size != model_size())
		fail("size %jd, expected %" PRIu64, (intmax_t)st.st_size,
		     model_size());
}

static void
do_pwrite(int fd)
{
	uint64_t	off = rnd_below(span - 1);
	uint64_t	len = 1 + rnd_below(span - off < 20000 ? span - off :
					     20000);
	uint64_t	i, end;
	uint8_t		*buf = malloc(len);
	unsigned int	kind = rnd_below(4);
	ssize_t		n;

	if (!buf)
		fail("out of memory");
	for (i = 0; i < len; i++)
		buf[i] = kind == 0 ? 0 : (uint8_t)rnd();
	if (kind == 3)		/* zero some slots inside */
		for (i = 0; i + 8 <= len; i += 8)
			if (rnd_below(3) == 0)
				memset(buf + i, 0, 8);
	n = pwrite(fd, buf, len, off);
	if (n != (ssize_t)len)
		fail("pwrite %" PRIu64 " at %" PRIu64 ": %zd (%s)", len, off,
		     n, n < 0 ? strerror(errno) : "short");
	memcpy(model + off, buf, len);
	end = (off + len + 7) & ~7ULL;
	if (end > msize)
		msize = end;
	free(buf);
}

static void
do_pread(int fd)
{
	uint64_t	off = rnd_below(span + 64);
	uint64_t	len = 1 + rnd_below(30000);
	uint64_t	size = model_size(), want;
	uint8_t		*buf = malloc(len), *exp;
	ssize_t		n;
	uint64_t	i;

	if (!buf)
		fail("out of memory");
	n = pread(fd, buf, len, off);
	want = off >= size ? 0 : (size - off < len ? size - off : len);
	if (n < 0)
		fail("pread %" PRIu64 " at %" PRIu64 ": %s", len, off,
		     strerror(errno));
	if ((uint64_t)n != want)
		fail("pread %" PRIu64 " at %" PRIu64 ": %zd bytes, expected "
		     "%" PRIu64, len, off, n, want);
	exp = model + off;
	for (i = 0; i < want; i++)
		if (buf[i] != exp[i])
			fail("pread at %" PRIu64 ": byte %" PRIu64 " is %#x, "
			     "expected %#x", off, off + i, buf[i], exp[i]);
	free(buf);
}

static void
do_truncate(int fd)
{
	uint64_t	len = rnd_below(span / 8 + 1) * 8;
	uint64_t	k;

	if (rnd_below(4) == 0) {
		/* Not a multiple of 8: EINVAL, nothing changes. */
		if (ftruncate(fd, len + 1 + rnd_below(7)) == 0 ||
		    errno != EINVAL)
			fail("ftruncate to a non-multiple of 8: %s",
			     strerror(errno));
		return;
	}
	if (ftruncate(fd, len))
		fail("ftruncate %" PRIu64 ": %s", len, strerror(errno));
	for (k = len / 8; k < span / 8; k++)
		memset(model + 8 * k, 0, 8);
	msize = len;
}

static void
do_seek(int fd)
{
	uint64_t	off = rnd_below(span + 16);
	uint64_t	size = model_size(), k, want = 0;
	int		whence = rnd_below(2) ? SEEK_DATA : SEEK_HOLE;
	bool		enxio = off >= size;
	off_t		got;

	if (!enxio && whence == SEEK_DATA) {
		for (k = off / 8; k < span / 8 && slot_is_zero(k); k++)
			;
		if (k >= span / 8 || 8 * k >= size)
			enxio = true;
		want = 8 * k > off ? 8 * k : off;
	} else if (!enxio) {
		for (k = off / 8; k < span / 8 && !slot_is_zero(k); k++)
			;
		want = k == off / 8 ? off : (8 * k < size ? 8 * k : size);
	}
	got = lseek(fd, off, whence);
	if (enxio) {
		if (got != -1 || errno != ENXIO)
			fail("%s from %" PRIu64 " (size %" PRIu64 "): %jd, "
			     "expected ENXIO", whence == SEEK_DATA ?
			     "SEEK_DATA" : "SEEK_HOLE", off, size,
			     (intmax_t)got);
		return;
	}
	if (got < 0 || (uint64_t)got != want)
		fail("%s from %" PRIu64 ": %jd (%s), expected %" PRIu64,
		     whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE", off,
		     (intmax_t)got, got < 0 ? strerror(errno) : "", want);
}

static int
run(const char *path, uint64_t seed, unsigned long nops)
{
	int	fd = open(path, O_RDWR | O_TRUNC);
	uint64_t r;

	if (fd < 0)
		fail("open %s: %s", path, strerror(errno));
	model = calloc(1, span);
	if (!model)
		fail("out of memory");
	rng_state = seed;
	msize = 0;
	check_size(fd);
	for (op_no = 1; op_no <= nops; op_no++) {
		r = rnd_below(100);
		if (r < 40)
			do_pwrite(fd);
		else if (r < 75)
			do_pread(fd);
		else if (r < 80)
			do_truncate(fd);
		else
			do_seek(fd);
		check_size(fd);
	}
	close(fd);
	printf("ok %lu\n", nops);
	return 0;
}

static int
dump(const char *path)
{
	FILE		*f = fopen(path, "r");
	uint8_t		slot[8];
	uint64_t	k = 0, v;
	int		i;

	if (!f) {
		fprintf(stderr, "xfbt_data: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fread(slot, 8, 1, f) == 1) {
		for (v = 0, i = 7; i >= 0; i--)
			v = v << 8 | slot[i];
		if (v)
			printf("%" PRIu64 " %" PRIu64 "\n", k, v);
		k++;
	}
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[2], "dump"))
		return dump(argv[1]);
	if (argc != 5) {
		fprintf(stderr, "usage: xfbt_data FILE SEED NOPS SPAN | "
				"xfbt_data FILE dump\n");
		return 2;
	}
	span = strtoull(argv[4], NULL, 0) & ~7ULL;
	if (span < 64) {
		fprintf(stderr, "xfbt_data: SPAN must be at least 64\n");
		return 2;
	}
	return run(argv[1], strtoull(argv[2], NULL, 0),
		   strtoul(argv[3], NULL, 0));
}
