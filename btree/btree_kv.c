// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btree_kv.c: the kv record type, a u64 key mapped to a u64 value.
 *
 * The layout is in btree_kv.h.  Keys are big-endian, so their order is
 * the order of the unsigned integers, and the key is the record's first
 * eight bytes (XBT_OPS_KEY_PREFIX).  Every record is valid; a kv btree is
 * not overlapping, so a record's high key is its key.  Printed for people
 * (tree.dot, the page decoder) as "42" (a key) and "key 42 value 7".
 */
#include <stdio.h>
#include <string.h>

#include "btree/btree_kv.h"

static void
kvbt_init_key_from_rec(void *key, const void *rec)
{
	memcpy(key, rec, KVBT_KEY_LEN);
}

static int
kvbt_cmp_keys(const void *k1, const void *k2)
{
	uint64_t	a = get_be64(k1);
	uint64_t	b = get_be64(k2);

	return (a > b) - (a < b);
}

/* A key for people: the number, e.g. "42". */
static size_t
kvbt_print_key(const void *key, char *buf, size_t len)
{
	return snprintf(buf, len, "%llu",
			(unsigned long long)get_be64(key));
}

/* A record for people: "key 42 value 7". */
static size_t
kvbt_print_rec(const void *rec, char *buf, size_t len)
{
	return snprintf(buf, len, "key %llu value %llu",
			(unsigned long long)kvbt_rec_key(rec),
			(unsigned long long)kvbt_rec_val(rec));
}

const struct xbt_ops kvbt_ops = {
	.name			= "kv",
	.magic			= KVBT_MAGIC,
	.rec_len		= KVBT_REC_LEN,
	.key_len		= KVBT_KEY_LEN,
	.flags			= XBT_OPS_KEY_PREFIX,
	.init_key_from_rec	= kvbt_init_key_from_rec,
	.init_high_key_from_rec	= kvbt_init_key_from_rec,
	.cmp_keys		= kvbt_cmp_keys,
	.verify_rec		= NULL,
	.print_key		= kvbt_print_key,
	.print_rec		= kvbt_print_rec,
};
