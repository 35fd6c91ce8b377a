/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC32c (Castagnoli, reflected polynomial 0x82F63B78) as XFS uses it.
 *
 * crc32c(seed, buf, len) continues a running CRC: pass XBT_CRC_SEED (~0)
 * to start, and invert the result at the end to get the standard CRC-32C
 * (init ~0, xorout ~0).  xbt_crc32c_block() does the XFS block checksum:
 * the whole block with the 4-byte checksum field at @crc_off counted as
 * zeros, returned inverted and ready to be stored little-endian.
 *
 * On x86-64 the best of several implementations is picked at first use:
 * carry-less-multiply folding (512-bit VPCLMULQDQ with AVX-512, else
 * 128-bit PCLMULQDQ) for long buffers, the crc32 instruction (SSE4.2,
 * three interleaved streams) for short ones, and a slicing-by-8 table
 * where there is no SSE4.2 and on other architectures.  All are always
 * built so that tests can check them against each other.
 */
#ifndef BTREE_CRC32C_H
#define BTREE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XBT_CRC_SEED	0xFFFFFFFFU

/* Running CRC over @len bytes (no final inversion). */
uint32_t xbt_crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * XFS block checksum of @len bytes at @buf, with the four bytes at
 * @crc_off counted as zero: ~crc32c(~0, block with field zeroed).  The
 * buffer is not modified.
 */
uint32_t xbt_crc32c_block(const void *buf, size_t len, size_t crc_off);

/*
 * The running CRC @crc after @n zero bytes, i.e. crc * x^(8n) mod P:
 * the same as xbt_crc32c(crc, buf, n) with @buf all zero, without
 * reading anything.  Since the CRC is linear, a block whose layout puts
 * known zeros between stretches of data can be checksummed by feeding
 * the data and skipping each gap with this.  Costs two carry-less
 * multiplies for n below 64 KiB (three below 16 MiB, one more per set
 * bit above that); bit by bit, a few hundred cycles each, on CPUs
 * without PCLMULQDQ.
 */
uint32_t xbt_crc32c_zeros(uint32_t crc, uint64_t n);

/*
 * The implementations, each callable on its own for tests and benchmarks.
 * Asking for one that the CPU lacks (xbt_crc32c_impl_available() false)
 * runs the table code instead.
 *
 *	TABLE		slicing-by-8, any CPU
 *	SSE42		crc32 instruction, 3 streams, bit-by-bit joins
 *	SSE42_CLMUL	the same, joined with PCLMULQDQ
 *	PCLMUL		128-bit folding with PCLMULQDQ (+ SSE4.2)
 *	VPCLMUL		512-bit folding, AVX-512F/VL + VPCLMULQDQ
 *
 * The two folding ones fold at every length from 16 bytes up, and from
 * 1 KiB (PCLMUL) or 3 KiB (VPCLMUL) also run crc32 streams beside the
 * folding; the dispatcher (xbt_crc32c(), xbt_crc32c_block()) gives short
 * buffers to SSE42_CLMUL instead.  xbt_crc32c_zeros_impl() is bit by bit
 * for TABLE and SSE42 and uses PCLMULQDQ for the others.
 */
enum xbt_crc32c_which {
	XBT_CRC32C_TABLE,
	XBT_CRC32C_SSE42,
	XBT_CRC32C_SSE42_CLMUL,
	XBT_CRC32C_PCLMUL,
	XBT_CRC32C_VPCLMUL,
	XBT_CRC32C_NR_IMPLS
};

bool xbt_crc32c_impl_available(enum xbt_crc32c_which which);
const char *xbt_crc32c_impl_name(enum xbt_crc32c_which which);
/* The one the dispatcher uses for long buffers on this CPU. */
enum xbt_crc32c_which xbt_crc32c_impl_best(void);
uint32_t xbt_crc32c_impl(enum xbt_crc32c_which which, uint32_t crc,
			 const void *buf, size_t len);
uint32_t xbt_crc32c_block_impl(enum xbt_crc32c_which which, const void *buf,
			       size_t len, size_t crc_off);
uint32_t xbt_crc32c_zeros_impl(enum xbt_crc32c_which which, uint32_t crc,
			       uint64_t n);

/*
 * Older names: the table code, and the crc32-instruction code (SSE42 or
 * SSE42_CLMUL, whichever the CPU can do; the table code without SSE4.2).
 */
uint32_t xbt_crc32c_table(uint32_t crc, const void *buf, size_t len);
uint32_t xbt_crc32c_hw(uint32_t crc, const void *buf, size_t len);
bool xbt_crc32c_hw_available(void);

#endif /* BTREE_CRC32C_H */
