/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_keys.h: the keys both benchmarks use, so that bench_engines and
 * bench_fuse measure the same records.
 *
 *	key(i) = mix64(KEY_SEED + (i + 1) * GAMMA)
 *
 * GAMMA is odd and mix64 (splitmix64's output function: xorshifts and odd
 * multiplications) is a bijection of the u64s, so key(0..2n-1) are 2n
 * distinct values: the first n are inserted, the rest are sure misses.
 * The value of key k is k ^ VAL_XOR.
 */
#ifndef TESTS_BENCH_BENCH_KEYS_H
#define TESTS_BENCH_BENCH_KEYS_H

#include <stdint.h>

#define KEY_SEED	0x243f6a8885a308d3ULL
#define GAMMA		0x9e3779b97f4a7c15ULL
#define VAL_XOR		0xa5a5a5a55a5a5a5aULL

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

#endif /* TESTS_BENCH_BENCH_KEYS_H */
