/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvtext.c: the text of N kv records with the benchmarks' random keys.
 *
 *	kvtext N
 *
 * Writes to stdout one `KEY VALUE\n` line (decimal, the canonical text
 * `records` prints) for i = 0..N-1, with key(i) and value(key) of
 * bench_common.h: the same N distinct keys, in the same (random) order,
 * as bench_engines inserts, so a btree loaded from this text holds the
 * records bench_engines builds.  N takes the k and M suffixes.
 *
 * It is a few seconds for 100M lines (about 4.1 GB of text): awk needs a
 * table of every key to avoid duplicates, and has no 64-bit integers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/bench/bench_common.h"

#define OUT_SIZE	(1 << 20)

static void
write_all(const char *buf, size_t len)
{
	ssize_t	w;

	while (len) {
		w = write(STDOUT_FILENO, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("kvtext: write");
			exit(EXIT_FAILURE);
		}
		buf += w;
		len -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	static char	out[OUT_SIZE];
	uint64_t	n, i;
	size_t		len = 0;

	if (argc != 2 || !bench_parse_count(argv[1], 1ULL << 40, &n)) {
		fprintf(stderr, "usage: kvtext N\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (len > OUT_SIZE - LINE_MAX_LEN) {
			write_all(out, len);
			len = 0;
		}
		len += put_line(out + len, key_of(i));
	}
	write_all(out, len);
	return 0;
}
