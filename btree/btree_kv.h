/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btree_kv.h: the kv record type, u64 key -> u64 value.
 *
 *	record (16 bytes)                    key (8 bytes)
 *	OFFSET  SIZE  FIELD   ENDIAN         OFFSET  SIZE  FIELD   ENDIAN
 *	     0     8  kv_key  BE                  0     8  kv_key  BE
 *	     8     8  kv_val  BE
 *
 * Blocks carry the magic XKV3 (0x584B5633).  Not overlapping.
 */
#ifndef BTREE_BTREE_KV_H
#define BTREE_BTREE_KV_H

#include <stddef.h>
#include <stdint.h>

#include "btree/format.h"
#include "btree/xbtree.h"

#define KVBT_MAGIC	0x584B5633U	/* "XKV3" */
#define KVBT_REC_LEN	16U
#define KVBT_KEY_LEN	8U

extern const struct xbt_ops kvbt_ops;

static inline void
kvbt_rec_init(void *rec, uint64_t key, uint64_t val)
{
	put_be64(rec, key);
	put_be64((uint8_t *)rec + 8, val);
}

static inline void
kvbt_key_init(void *key, uint64_t k)
{
	put_be64(key, k);
}

static inline uint64_t
kvbt_rec_key(const void *rec)
{
	return get_be64(rec);
}

static inline uint64_t
kvbt_rec_val(const void *rec)
{
	return get_be64((const uint8_t *)rec + 8);
}

static inline void
kvbt_rec_set_val(void *rec, uint64_t val)
{
	put_be64((uint8_t *)rec + 8, val);
}

/*
 * Record @i of an array of kv records back to back (a leaf's run from
 * xbt_cur_leaf_recs() or xbt_cur_modify(), or the caller's own array for
 * xbt_insert_run()).
 */
static inline void *
kvbt_rec_at(const void *recs, size_t i)
{
	return (uint8_t *)recs + i * KVBT_REC_LEN;
}

#endif /* BTREE_BTREE_KV_H */
