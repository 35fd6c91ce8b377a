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
 * The CPU's crc32 instruction (SSE4.2) is used when present, with three
 * interleaved streams for long buffers; elsewhere a slicing-by-8 table.
 * Both are always built so that tests can check them against each other.
 */
#ifndef BTREE_CRC32C_H
#define BTREE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XBT_CRC_SEED	0xFFFFFFFFU

/* Running CRC over @len bytes (no final inversion). */
uint32_t xbt_crc32c(uint32_t crc, const void *buf, size_t len);

/* The two implementations, for tests and benchmarks. */
uint32_t xbt_crc32c_table(uint32_t crc, const void *buf, size_t len);
uint32_t xbt_crc32c_hw(uint32_t crc, const void *buf, size_t len);
bool xbt_crc32c_hw_available(void);

/*
 * XFS block checksum of @len bytes at @buf, with the four bytes at
 * @crc_off counted as zero: ~crc32c(~0, block with field zeroed).  The
 * buffer is not modified.
 */
uint32_t xbt_crc32c_block(const void *buf, size_t len, size_t crc_off);

#endif /* BTREE_CRC32C_H */
