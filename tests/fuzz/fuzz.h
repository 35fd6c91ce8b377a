/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h: what the libFuzzer targets share.
 *
 * Every target is one LLVMFuzzerTestOneInput() in its own file.  They
 * share three small things:
 *
 *  - FUZZ_ASSERT(): a broken property prints where and why, then traps,
 *    so that libFuzzer reports a crash and keeps the input.  Never
 *    compiled out (unlike assert()).
 *  - struct fuzz_in: the input read as a stream of small numbers.  Past
 *    the end every read gives 0, so any byte string decodes to something
 *    and the decoding needs no error paths ("total").
 *  - CRC fix-ups: random bytes fail the block checksum before anything
 *    else is looked at; a target that wants to get further stores the
 *    right checksum over its bytes first (format.h: CRC32c of the whole
 *    block with the field as zeros, stored little-endian; bb_crc at 64 in
 *    a btree block, hb_crc at 124 in the header block).
 *
 * The library logs every corruption it finds; the targets feed it damage
 * on purpose, so fuzz_quiet() silences the log.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/crc32c.h"
#include "btree/format.h"
#include "btree/xbtree.h"

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: property broken: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			__builtin_trap();				\
		}							\
	} while (0)

/* The same, with the two numbers shown. */
#define FUZZ_ASSERT_EQ(a, b)						\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			fprintf(stderr, "%s:%d: property broken: %s == %s"	\
				" (%lld != %lld)\n", __FILE__, __LINE__,	\
				#a, #b, _a, _b);			\
			__builtin_trap();				\
		}							\
	} while (0)

/* The input as a stream: reads past the end give zeros. */
struct fuzz_in {
	const uint8_t	*p;
	size_t		len;
};

static inline bool
fuzz_more(const struct fuzz_in *in)
{
	return in->len > 0;
}

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	if (!in->len)
		return 0;
	in->len--;
	return *in->p++;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t	v = fuzz_u8(in);

	return v | (uint16_t)fuzz_u8(in) << 8;
}

static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t	v = fuzz_u16(in);

	return v | (uint32_t)fuzz_u16(in) << 16;
}

/*
 * @len bytes (zeroed) at a 64-byte boundary, freed with free().  ASan
 * still reports any read past @len; the fixed alignment keeps code that
 * aligns its pointer first (the CRC loops) on the same path in every run,
 * whatever addresses the allocator hands out.
 */
static inline void *
fuzz_alloc(size_t len)
{
	void	*p;

	if (posix_memalign(&p, 64, len ? len : 1))
		return NULL;
	memset(p, 0, len);
	return p;
}

static inline void
fuzz_log_nothing(const char *msg)
{
	(void)msg;
}

/* Corruption messages are expected here: drop them. */
static inline void
fuzz_quiet(void)
{
	xbt_set_log_fn(fuzz_log_nothing);
}

/* Store the btree block checksum (bb_crc) of @len bytes at @buf. */
static inline void
fuzz_fix_block_crc(uint8_t *buf, size_t len)
{
	uint32_t	crc;

	if (len < XBT_BLOCK_HDR_LEN)
		return;
	crc = htole32(xbt_crc32c_block(buf, len, XBT_BLOCK_CRC_OFF));
	memcpy(buf + XBT_BLOCK_CRC_OFF, &crc, sizeof(crc));
}

/* Store the header block checksum (hb_crc) of @len bytes at @buf. */
static inline void
fuzz_fix_head_crc(uint8_t *buf, size_t len)
{
	uint32_t	crc;

	if (len < XBT_HEAD_LEN)
		return;
	crc = htole32(xbt_crc32c_block(buf, len, XBT_HEAD_CRC_OFF));
	memcpy(buf + XBT_HEAD_CRC_OFF, &crc, sizeof(crc));
}

/* Whichever of the two the magic says the page is. */
static inline void
fuzz_fix_crc(uint8_t *buf, size_t len)
{
	if (len >= 4 && get_be32(buf) == XBT_HEAD_MAGIC)
		fuzz_fix_head_crc(buf, len);
	else
		fuzz_fix_block_crc(buf, len);
}

#endif /* TESTS_FUZZ_FUZZ_H */
