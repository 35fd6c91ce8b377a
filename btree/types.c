// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * types.c: the built-in record types, found by their block magic.
 *
 * A page carries its type only as bb_magic (and block 0 as hb_type), so
 * whoever decodes a page without a btree at hand (the page decoder, a
 * fuzzer) looks the ops up here.  A caller's own types are not listed:
 * the engine never needs this table, only tools do.
 *
 * Also the fallbacks for types that print nothing themselves: keys and
 * records in hex.
 *
 * The table is const; no locks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "btree/btree_kv.h"
#include "btree/btree_priv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "btree/xbtree.h"

static const struct xbt_ops *const xbt_builtin_types[] = {
	&kvbt_ops,
	&rmapbt_ops,
	&refcbt_ops,
};

const struct xbt_ops *
xbt_ops_by_magic(uint32_t magic)
{
	size_t		i;

	for (i = 0; i < sizeof(xbt_builtin_types) /
			sizeof(xbt_builtin_types[0]); i++)
		if (xbt_builtin_types[i]->magic == magic)
			return xbt_builtin_types[i];
	return NULL;
}

/*
 * "0x" and @n bytes in hex, snprintf() conventions.  Records and keys
 * are at most XBT_REC_MAX bytes (xbtree_create() refuses longer ones).
 */
static size_t
xbt_print_hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
	static const char	digits[] = "0123456789abcdef";
	char			text[2 + 2 * XBT_REC_MAX + 1] = "0x";
	size_t			i;

	if (n > XBT_REC_MAX)
		n = XBT_REC_MAX;
	for (i = 0; i < n; i++) {
		text[2 + 2 * i] = digits[p[i] >> 4];
		text[3 + 2 * i] = digits[p[i] & 15];
	}
	text[2 + 2 * n] = '\0';
	return snprintf(buf, len, "%s", text);
}

size_t
xbt_print_key(const struct xbt_ops *ops, const void *key, char *buf,
		size_t len)
{
	if (ops->print_key)
		return ops->print_key(key, buf, len);
	return xbt_print_hex(key, ops->key_len, buf, len);
}

size_t
xbt_print_rec(const struct xbt_ops *ops, const void *rec, char *buf,
		size_t len)
{
	if (ops->print_rec)
		return ops->print_rec(rec, buf, len);
	return xbt_print_hex(rec, ops->rec_len, buf, len);
}

/* ---- text helpers shared by dot.c and decode.c ------------------------ */

void
xbt_ptr_text(uint64_t ptr, char text[24])
{
	if (ptr == XBT_NULLBLOCK)
		snprintf(text, 24, "null");
	else
		snprintf(text, 24, "%llu", (unsigned long long)ptr);
}

int
xbt_text_vline(xbt_text_fn out, void *priv, char *line, size_t size,
		const char *fmt, va_list ap)
{
	int		n, error;

	n = vsnprintf(line, size - 1, fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= size - 1)
		n = size - 2;
	line[n++] = '\n';
	error = out(line, n, priv);
	return error > 0 ? -EIO : error;	/* the contract: 0 or -errno */
}
