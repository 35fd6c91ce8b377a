// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_decode.c: the page decoder, xbt_decode_block(), on any bytes.
 *
 * Input: a mode byte, then the page.
 *
 *	bit 0      store the right checksum over the page first (block or
 *	           header block, as its magic says), so that the decoder
 *	           gets past the checksum to the fields
 *	bits 1..3  0 and 5..7: the page is the rest of the input, any
 *	           length; 1..4: a page of 512 << (n - 1) bytes, the rest of
 *	           the input cut or padded with zeros to that size, so that
 *	           the layout of a real block size is decoded
 *	bits 4..7  0: let the decoder finish; else the output function
 *	           fails at its (n * 3)th call with -EIO
 *
 * The page sits in a buffer of its exact length, so a read outside it is
 * an ASan report.  Properties: every output piece is one line, 1..1023
 * bytes ending in its only newline, without NULs; the result is the
 * number of "warning:" lines (or -EIO once the output function failed,
 * after which it is not called again).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

struct fuzz_out {
	unsigned int	calls;
	unsigned int	fail_at;	/* 0: never */
	int		warnings;
	bool		failed;
};

static int
fuzz_out(const char *text, size_t len, void *priv)
{
	struct fuzz_out	*o = priv;
	volatile char	sink = 0;
	size_t		i;

	FUZZ_ASSERT(!o->failed);
	FUZZ_ASSERT(len >= 1 && len <= 1023);
	FUZZ_ASSERT(text[len - 1] == '\n');
	for (i = 0; i < len; i++) {
		sink ^= text[i];
		FUZZ_ASSERT(text[i] != '\0');
		FUZZ_ASSERT(text[i] != '\n' || i == len - 1);
	}
	(void)sink;
	if (len >= 8 && !memcmp(text, "warning:", 8))
		o->warnings++;
	if (++o->calls == o->fail_at) {
		o->failed = true;
		return -EIO;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_out	o = { .calls = 0 };
	unsigned int	mode, sizesel;
	uint8_t		*page;
	size_t		len, take;
	int		ret;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	sizesel = (mode >> 1) & 7;
	len = (sizesel >= 1 && sizesel <= 4) ? 512U << (sizesel - 1) : size;
	o.fail_at = (mode >> 4) * 3;

	page = fuzz_alloc(len);
	if (!page)
		return 0;
	take = size < len ? size : len;
	memcpy(page, data, take);
	if (mode & 1)
		fuzz_fix_crc(page, len);

	ret = xbt_decode_block(page, len, fuzz_out, &o);
	if (o.failed) {
		FUZZ_ASSERT_EQ(ret, -EIO);
	} else {
		FUZZ_ASSERT(ret >= 0);
		FUZZ_ASSERT_EQ(ret, o.warnings);
	}
	free(page);
	return 0;
}
