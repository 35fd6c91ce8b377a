/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * btree_test.h: helpers shared by the btree unit suites.
 *
 * ivlbt_ops is a test-only overlapping record type, so that the engine's
 * overlapping paths (low and high keys in nodes, interval queries) are
 * tested apart from any XFS type:
 *
 *	record (16 bytes)                key (12 bytes)
 *	OFFSET SIZE FIELD   ENDIAN       OFFSET SIZE FIELD  ENDIAN
 *	     0    4 start   BE                0    4 start  BE
 *	     4    4 len     BE (>= 1)         4    8 id     BE
 *	     8    8 id      BE
 *
 * A record covers blocks start .. start + len - 1 (no wrap); its high key
 * is (start + len - 1, id).
 */
#ifndef TESTS_LIB_BTREE_TEST_H
#define TESTS_LIB_BTREE_TEST_H

#include "tests/lib/check_quiet.h"
#include <stdbool.h>
#include <stdint.h>

#include "btree/btree_kv.h"
#include "btree/xbtree.h"

/*
 * Assertions for hot loops.  Check's own ck_assert*() record every
 * passing check through a write(2) in fork mode, which dominates a test
 * that asserts millions of times; these only call into Check on failure.
 */
#define T_ASSERT(expr)							\
	do {								\
		if (!(expr))						\
			ck_abort_msg("%s:%d: assertion '%s' failed",	\
				     __FILE__, __LINE__, #expr);	\
	} while (0)

#define T_EQ(a, b)							\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b)						\
			ck_abort_msg("%s:%d: %s == %s failed: %lld != %lld", \
				     __FILE__, __LINE__, #a, #b, _a, _b); \
	} while (0)

#define IVLBT_MAGIC	0x49564C33U	/* "IVL3" */
extern const struct xbt_ops ivlbt_ops;
/* Not overlapping, and records' extents may not overlap each other. */
extern const struct xbt_ops ivlbt_disjoint_ops;

void ivlbt_rec_init(void *rec, uint32_t start, uint32_t len, uint64_t id);
void ivlbt_key_init(void *key, uint32_t start, uint64_t id);

/* -1, 0 or 1: the sign of a comparison's result. */
static inline int
test_sign(int x)
{
	return (x > 0) - (x < 0);
}

/* Silence the library's corruption messages (tests that cause them). */
void test_log_quiet(void);

/*
 * Insert @rec into a new btree of type @ops in one transaction: it goes
 * in if @ok, else -EINVAL and nothing changes; the tree checks sound.
 */
void bt_assert_insert_verdict(const struct xbt_ops *ops, const void *rec,
		bool ok);

/*
 * Look @key up in @bt in direction @dir: the record found must be @want,
 * or there must be none if @want is NULL.
 */
void bt_assert_get(struct xbtree *bt, enum xbt_lookup dir, const void *key,
		const void *want);

/* Create a btree or fail the test. */
struct xbtree *bt_create(const struct xbt_ops *ops, unsigned int blocksize);

/*
 * A btree of @n records: record i is what @make(i, rng, rec) builds
 * (duplicates are skipped, so @make may draw at random from @rng, which
 * starts at @seed); 500 records a transaction; checked at the end.
 */
typedef void (*bt_make_fn)(unsigned int i, uint64_t *rng, void *rec);
struct xbtree *bt_build(const struct xbt_ops *ops, unsigned int blocksize,
		unsigned int n, bt_make_fn make, uint64_t seed);

/* Run the structure check; fail the test, listing problems, unless ok. */
void bt_assert_ok(struct xbtree *bt);
/* Number of problems the check finds (printing none). */
uint64_t bt_problems(struct xbtree *bt);

/* A copy of every allocated block, to compare after a cancel. */
struct bt_snapshot;
struct bt_snapshot *bt_snapshot_take(struct xbtree *bt);
/* Fail the test unless @bt is byte for byte what @snap holds. */
void bt_snapshot_assert_same(struct bt_snapshot *snap, struct xbtree *bt);
void bt_snapshot_free(struct bt_snapshot *snap);

/* kv shorthands: 0 or -errno, *stat as the engine returns it. */
int kv_insert(struct xbt_trans *tp, uint64_t k, uint64_t v, int *stat);
int kv_delete(struct xbt_trans *tp, uint64_t k, int *stat);
int kv_get(struct xbtree *bt, enum xbt_lookup dir, uint64_t k,
		uint64_t *key, uint64_t *val, int *stat);

/*
 * Run @s to the end and free it: EXIT_SUCCESS, or EXIT_FAILURE if any
 * test failed.  Every suite's main() ends with this.
 */
int test_run_suite(Suite *s);

/* The seed: $XFB_TEST_SEED (a number, or "random"), else fixed. */
uint64_t test_seed(const char *suite);
/* $XFB_TEST_SCALE (default 1): multiplies randomized test sizes. */
double test_scale(void);
/* splitmix64 step. */
uint64_t test_rand(uint64_t *state);

#endif /* TESTS_LIB_BTREE_TEST_H */
