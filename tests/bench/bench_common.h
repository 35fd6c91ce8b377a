/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_common.h: what both benchmarks share: the machine line at the top
 * of their output, and the keys, so that bench_engines and bench_fuse
 * measure the same records.
 *
 *	key(i) = mix64(KEY_SEED + (i + 1) * GAMMA)
 *
 * GAMMA is odd and mix64 (splitmix64's output function: xorshifts and odd
 * multiplications) is a bijection of the u64s, so key(0..2n-1) are 2n
 * distinct values: the first n are inserted, the rest are sure misses.
 * The value of key k is k ^ VAL_XOR.  And the count arguments both take.
 */
#ifndef TESTS_BENCH_BENCH_COMMON_H
#define TESTS_BENCH_BENCH_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define KEY_SEED	0x243f6a8885a308d3ULL
#define GAMMA		0x9e3779b97f4a7c15ULL
#define VAL_XOR		0xa5a5a5a55a5a5a5aULL

/*
 * A count argument: decimal, with an optional k (x 1000) or m (x 10^6)
 * suffix, 1..@max.  False if it is not one.
 */
static inline bool
bench_parse_count(const char *s, uint64_t max, uint64_t *vp)
{
	char			*end;
	unsigned long long	v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K') {
		v *= 1000;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v *= 1000000;
		end++;
	}
	if (errno || end == s || *end || !v || v > max)
		return false;
	*vp = v;
	return true;
}

static inline uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
key_of(uint64_t i)
{
	return mix64(KEY_SEED + (i + 1) * GAMMA);
}

static inline uint64_t
val_of(uint64_t key)
{
	return key ^ VAL_XOR;
}

/* @v in decimal at @p (no NUL); returns its length. */
static inline size_t
put_u64(char *p, uint64_t v)
{
	char	digits[20];
	size_t	n = 0, i;

	do {
		digits[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = digits[n - 1 - i];
	return n;
}

/* The longest put_line(): "KEY VALUE\n", 20 + 1 + 20 + 1 bytes. */
#define LINE_MAX_LEN	42

/* "KEY VALUE\n" for key @k (value val_of(@k)); returns its length. */
static inline size_t
put_line(char *p, uint64_t k)
{
	size_t	n = put_u64(p, k);

	p[n++] = ' ';
	n += put_u64(p + n, val_of(k));
	p[n++] = '\n';
	return n;
}

/* "# machine: nproc N, cpu "MODEL", kernel ..." for a benchmark's output. */
static inline void
bench_print_machine(void)
{
	struct utsname	u;
	char		line[512], model[256] = "unknown";
	FILE		*f = fopen("/proc/cpuinfo", "re");
	char		*p;

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		p += strspn(p + 1, " \t") + 1;
		p[strcspn(p, "\n")] = '\0';
		snprintf(model, sizeof(model), "%s", p);
		break;
	}
	if (f)
		fclose(f);
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	printf("# machine: nproc %ld, cpu \"%s\", kernel %s %s %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, u.sysname, u.release,
	       u.machine);
}

#endif /* TESTS_BENCH_BENCH_COMMON_H */
