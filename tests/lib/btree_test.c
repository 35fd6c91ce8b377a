// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btree_test.c: helpers shared by the btree unit suites (btree_test.h).
 */
#include "tests/lib/check_quiet.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/btree_test.h"

/* ---- the interval test type ------------------------------------------- */

void
ivlbt_rec_init(void *rec, uint32_t start, uint32_t len, uint64_t id)
{
	put_be32(rec, start);
	put_be32((uint8_t *)rec + 4, len);
	put_be64((uint8_t *)rec + 8, id);
}

void
ivlbt_key_init(void *key, uint32_t start, uint64_t id)
{
	put_be32(key, start);
	put_be64((uint8_t *)key + 4, id);
}

static void
ivlbt_init_key_from_rec(void *key, const void *rec)
{
	ivlbt_key_init(key, get_be32(rec), get_be64((const uint8_t *)rec + 8));
}

static void
ivlbt_init_high_key_from_rec(void *key, const void *rec)
{
	uint32_t	start = get_be32(rec);
	uint32_t	len = get_be32((const uint8_t *)rec + 4);

	ivlbt_key_init(key, start + len - 1,
		       get_be64((const uint8_t *)rec + 8));
}

static int
ivlbt_cmp_keys(const void *k1, const void *k2)
{
	return memcmp(k1, k2, 12);
}

/* Key text: "start/id". */
static size_t
ivlbt_print_key(const void *key, char *buf, size_t len)
{
	return snprintf(buf, len, "%u/%llu", get_be32(key),
			(unsigned long long)get_be64((const uint8_t *)key + 4));
}

/* Record text: "start 100 len 10 id 7". */
static size_t
ivlbt_print_rec(const void *rec, char *buf, size_t len)
{
	return snprintf(buf, len, "start %u len %u id %llu", get_be32(rec),
			get_be32((const uint8_t *)rec + 4),
			(unsigned long long)get_be64((const uint8_t *)rec + 8));
}

static const char *
ivlbt_verify_rec(const void *rec)
{
	uint32_t	start = get_be32(rec);
	uint32_t	len = get_be32((const uint8_t *)rec + 4);

	if (len == 0)
		return "zero length";
	if ((uint64_t)start + len > (1ULL << 32))
		return "extent wraps";
	return NULL;
}

const struct xbt_ops ivlbt_ops = {
	.name			= "ivl",
	.magic			= IVLBT_MAGIC,
	.rec_len		= 16,
	.key_len		= 12,
	.flags			= XBT_OPS_OVERLAPPING,
	.init_key_from_rec	= ivlbt_init_key_from_rec,
	.init_high_key_from_rec	= ivlbt_init_high_key_from_rec,
	.cmp_keys		= ivlbt_cmp_keys,
	.verify_rec		= ivlbt_verify_rec,
	.print_key		= ivlbt_print_key,
	.print_rec		= ivlbt_print_rec,
};

/* The same records as extents that may not overlap (XBT_OPS_DISJOINT). */
const struct xbt_ops ivlbt_disjoint_ops = {
	.name			= "ivl-disjoint",
	.magic			= IVLBT_MAGIC,
	.rec_len		= 16,
	.key_len		= 12,
	.flags			= XBT_OPS_DISJOINT,
	.init_key_from_rec	= ivlbt_init_key_from_rec,
	.init_high_key_from_rec	= ivlbt_init_high_key_from_rec,
	.cmp_keys		= ivlbt_cmp_keys,
	.verify_rec		= ivlbt_verify_rec,
	.print_key		= ivlbt_print_key,
	.print_rec		= ivlbt_print_rec,
};

/* ---- btrees ---------------------------------------------------------- */

struct xbtree *
bt_create(const struct xbt_ops *ops, unsigned int blocksize)
{
	struct xbtree_params	p = { .blocksize = blocksize, .owner = 42 };
	struct xbtree		*bt = NULL;
	int			error;

	error = xbtree_create(ops, &p, &bt);
	ck_assert_msg(error == 0, "xbtree_create: %s", strerror(-error));
	return bt;
}

struct xbtree *
bt_build(const struct xbt_ops *ops, unsigned int blocksize, unsigned int n,
		bt_make_fn make, uint64_t seed)
{
	struct xbtree		*bt = bt_create(ops, blocksize);
	struct xbt_trans	*tp = NULL;
	uint8_t			rec[XBT_REC_MAX];
	uint64_t		rng = seed;
	unsigned int		i, done = 0;
	int			stat;

	for (i = 0; done < n; i++) {
		if (!tp)
			T_EQ(xbt_trans_alloc(bt, &tp), 0);
		make(i, &rng, rec);
		T_EQ(xbt_insert(tp, rec, &stat), 0);
		done += stat;
		if (stat && done % 500 == 0) {
			T_EQ(xbt_trans_commit(tp), 0);
			tp = NULL;
		}
	}
	if (tp)
		T_EQ(xbt_trans_commit(tp), 0);
	bt_assert_ok(bt);
	return bt;
}

static void
bt_print_problem(uint64_t bno, const char *msg, void *priv)
{
	(void)priv;
	fprintf(stderr, "check: block %llu: %s\n", (unsigned long long)bno,
		msg);
}

void
bt_assert_ok(struct xbtree *bt)
{
	uint64_t	problems = 0;
	int		error;

	error = xbtree_check(bt, bt_print_problem, NULL, &problems);
	T_EQ(error, 0);
	ck_assert_msg(problems == 0, "check found %llu problems",
		      (unsigned long long)problems);
}

uint64_t
bt_problems(struct xbtree *bt)
{
	uint64_t	problems = 0;

	T_EQ(xbtree_check(bt, NULL, NULL, &problems), 0);
	return problems;
}

struct bt_snapshot {
	unsigned int	blksize;
	uint64_t	nblocks;
	uint64_t	*bno;
	uint8_t		*data;
	struct xbtree_stats st;
};

struct bt_snapshot *
bt_snapshot_take(struct xbtree *bt)
{
	struct bt_snapshot	*s = calloc(1, sizeof(*s));
	uint64_t		b, i = 0;

	T_ASSERT((s) != NULL);
	xbtree_get_stats(bt, &s->st);
	s->blksize = xbtree_blocksize(bt);
	s->nblocks = s->st.blocks;
	s->bno = calloc(s->nblocks, sizeof(uint64_t));
	s->data = malloc(s->nblocks * s->blksize);
	T_ASSERT(s->bno && s->data);
	for (b = 0; xbtree_next_block(bt, b, &b); b++) {
		T_ASSERT(i < s->nblocks);
		s->bno[i] = b;
		T_EQ(xbtree_read_block(bt, b,
				 s->data + i * s->blksize), 0);
		i++;
	}
	T_ASSERT(i == s->nblocks);
	return s;
}

void
bt_snapshot_assert_same(struct bt_snapshot *s, struct xbtree *bt)
{
	struct xbtree_stats	st;
	uint8_t			*buf = malloc(s->blksize);
	uint64_t		b, i = 0;

	xbtree_get_stats(bt, &st);
	T_EQ(st.blocks, s->st.blocks);
	T_EQ(st.records, s->st.records);
	T_EQ(st.height, s->st.height);
	T_EQ(st.bytes, s->st.bytes);
	for (b = 0; xbtree_next_block(bt, b, &b); b++) {
		T_ASSERT(i < s->nblocks);
		T_EQ(b, s->bno[i]);
		T_EQ(xbtree_read_block(bt, b, buf), 0);
		ck_assert_msg(!memcmp(buf, s->data + i * s->blksize,
				      s->blksize),
			      "block %llu differs after cancel",
			      (unsigned long long)b);
		i++;
	}
	T_EQ(i, s->nblocks);
	free(buf);
}

void
bt_snapshot_free(struct bt_snapshot *s)
{
	if (!s)
		return;
	free(s->bno);
	free(s->data);
	free(s);
}

/* ---- kv shorthands ---------------------------------------------------- */

int
kv_insert(struct xbt_trans *tp, uint64_t k, uint64_t v, int *stat)
{
	uint8_t		rec[KVBT_REC_LEN];

	kvbt_rec_init(rec, k, v);
	return xbt_insert(tp, rec, stat);
}

int
kv_delete(struct xbt_trans *tp, uint64_t k, int *stat)
{
	uint8_t		key[KVBT_KEY_LEN];

	kvbt_key_init(key, k);
	return xbt_delete(tp, key, NULL, NULL, stat);
}

int
kv_get(struct xbtree *bt, enum xbt_lookup dir, uint64_t k, uint64_t *key,
		uint64_t *val, int *stat)
{
	uint8_t		kb[KVBT_KEY_LEN], rec[KVBT_REC_LEN];
	int		error;

	kvbt_key_init(kb, k);
	error = xbtree_get(bt, dir, kb, rec, stat);
	if (!error && *stat) {
		*key = kvbt_rec_key(rec);
		*val = kvbt_rec_val(rec);
	}
	return error;
}

int
test_run_suite(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void
test_log_drop(const char *msg)
{
	(void)msg;
}

void
test_log_quiet(void)
{
	xbt_set_log_fn(test_log_drop);
}

void
bt_assert_insert_verdict(const struct xbt_ops *ops, const void *rec,
		bool ok)
{
	struct xbtree		*bt = bt_create(ops, 512);
	struct xbt_trans	*tp;
	int			stat;

	T_EQ(xbt_trans_alloc(bt, &tp), 0);
	T_EQ(xbt_insert(tp, rec, &stat), ok ? 0 : -EINVAL);
	T_EQ(stat, ok);
	T_EQ(xbt_trans_commit(tp), 0);
	T_EQ(xbtree_nrecords(bt), ok);
	bt_assert_ok(bt);
	xbtree_destroy(bt);
}

void
bt_assert_get(struct xbtree *bt, enum xbt_lookup dir, const void *key,
		const void *want)
{
	uint8_t		rec[XBT_REC_MAX];
	int		stat;

	T_EQ(xbtree_get(bt, dir, key, rec, &stat), 0);
	T_EQ(stat, want != NULL);
	if (want)
		T_ASSERT(!memcmp(rec, want, xbtree_ops(bt)->rec_len));
}

/* ---- randomness ---------------------------------------------------- */

uint64_t
test_seed(const char *suite)
{
	const char	*env = getenv("XFB_TEST_SEED");
	uint64_t	seed = 20261126;
	struct timespec	ts;

	/* Fixed by default, so a run is repeatable; "random" for a new one. */
	if (env && !strcmp(env, "random")) {
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ts.tv_sec * 1000000007ULL ^ ts.tv_nsec;
	} else if (env) {
		seed = strtoull(env, NULL, 0);
	}
	fprintf(stderr, "%s: seed %llu (set XFB_TEST_SEED to repeat)\n",
		suite, (unsigned long long)seed);
	return seed;
}

double
test_scale(void)
{
	const char	*env = getenv("XFB_TEST_SCALE");
	double		s = env ? atof(env) : 1.0;

	return s > 0 ? s : 1.0;
}

uint64_t
test_rand(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}
