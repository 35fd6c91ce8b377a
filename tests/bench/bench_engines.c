/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_engines.c: xfbtree side by side with GLib GTree, LMDB and SQLite.
 *
 * What it measures
 *	Each engine stores u64 key -> u64 value.  For every n and every run
 *	it builds one structure and runs, in this order:
 *
 *	rand_insert	n distinct random keys, in transactions of 1000
 *	lookup_hit	every key once, in another random order
 *	lookup_miss	n keys that are certainly absent
 *	scan		in-order walk of every record
 *	rand_delete	every key, in a third random order, transactions
 *			of 1000; the structure must be empty afterwards
 *
 *	then, on a fresh structure, seq_insert (keys 0..n-1 ascending,
 *	transactions of 1000).  Every answer is checked (value of a hit,
 *	absence of a miss, key order, count and sums of the scan, record
 *	counts after inserts and deletes); a wrong one stops the program
 *	with a message naming the engine, the workload and the key.
 *
 * Keys
 *	key(i) = splitmix64_mix(SEED + (i + 1) * GAMMA).  Both steps are
 *	bijections of the u64s (GAMMA is odd, the mixer is xorshifts and
 *	odd multiplications), so key(0..2n-1) are 2n distinct values:
 *	key(0..n-1) are inserted and key(n..2n-1) are the misses.  Value of
 *	key k: k ^ VAL_XOR.  The key arrays are made once per n and shared
 *	by all engines and runs; only those the selected workloads (-w)
 *	read are made, 8n bytes each: the insert order always, the lookup
 *	order for lookup_hit, the misses for lookup_miss, the delete order
 *	for rand_delete (at n = 100M, -w rand_insert,lookup_hit needs 1.6 GB
 *	of keys, all workloads 3.2 GB).  The orders do not depend on which
 *	arrays are made.
 *
 * The engines (each set up for its best single-threaded case)
 *	xfbtree	kv btree, blocksize -b (4096), memfd; xbtree_get() for
 *		lookups, a cursor for the scan.
 *	gtree	g_tree_new() with a u64 compare; keys and values are
 *		stored in the pointers themselves (no per-record malloc
 *		beyond GTree's own node): GTree's cheapest layout, so the
 *		fairest to it.  No transactions: it has none.  Nodes come
 *		from malloc() (G_SLICE=always-malloc, set by re-executing
 *		the program if needed), as on GLib >= 2.76.
 *	lmdb	env in a fresh mkdtemp() directory under /dev/shm (removed
 *		afterwards), MDB_WRITEMAP | MDB_NOSYNC | MDB_NOMETASYNC,
 *		the main DB with MDB_INTEGERKEY, native-endian u64 keys
 *		and values; one write txn per 1000 ops, one read txn per
 *		read workload.  Map size 4 GiB per 10M keys or part of it
 *		(40 GiB at n = 100M): a sparse file, only the pages used
 *		take memory, and room for some 400 bytes a record where
 *		random inserts use under 50.
 *	sqlite	":memory:", SQLITE_OPEN_NOMUTEX, journal_mode=OFF,
 *		synchronous=OFF, secure_delete=OFF (Debian turns it on),
 *		table t(k INTEGER PRIMARY KEY, v INTEGER), i.e. the rowid
 *		btree; prepared statements; BEGIN/COMMIT per 1000 writes,
 *		one read transaction per read workload.  Keys are stored
 *		with the top bit flipped so that signed rowid order is
 *		unsigned key order.
 *
 *	No engine gets an append hint (MDB_APPEND and the like) for
 *	seq_insert: xfbtree has none.
 *
 * How to read the output
 *	Per n, a table: one row per workload, ns/op per engine (median of
 *	the runs, each run on a fresh structure), then "vs gtree", "vs lmdb"
 *	and "vs sqlite": peer ns / xfbtree ns, so > 1 means xfbtree is that
 *	many times faster and < 1 slower.  The bytes/record rows give the
 *	memory held after rand_insert and after seq_insert, divided by n:
 *	xfbtree the bytes its xfile holds (xbtree_get_stats()), lmdb
 *	(last page number + 1) * page size (the pages its tmpfs file
 *	holds, free-list pages included), gtree the growth of malloc's
 *	in-use bytes (mallinfo2()), sqlite the growth of
 *	sqlite3_memory_used(); their ratios are peer bytes / xfbtree bytes
 *	(> 1: xfbtree is smaller).  Then one JSON object per line per
 *	(engine, workload, n) to stdout, or to --json FILE.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

#include <glib.h>
#include <lmdb.h>
#include <sqlite3.h>

#include "btree/btree_kv.h"
#include "btree/xbtree.h"
#include "tests/bench/bench_common.h"

#define TXN_OPS		1000		/* writes per transaction */
#define SHUFFLE_SEED	0x13198a2e03707344ULL
#define SQL_FLIP	(1ULL << 63)
#define MAX_RUNS	99
#define MAX_NS		16
#define LMDB_MAP_UNIT	(4ULL << 30)	/* map size per 10M keys */

_Static_assert(sizeof(void *) >= sizeof(uint64_t),
	       "GTree keys are stored in pointers: needs 64-bit pointers");

/* ---- workloads and engines ------------------------------------------ */

enum workload {
	WL_RAND_INSERT,
	WL_LOOKUP_HIT,
	WL_LOOKUP_MISS,
	WL_SCAN,
	WL_RAND_DELETE,
	WL_SEQ_INSERT,
	NR_WL
};

static const char *const wl_names[NR_WL] = {
	[WL_RAND_INSERT] = "rand_insert",
	[WL_LOOKUP_HIT] = "lookup_hit",
	[WL_LOOKUP_MISS] = "lookup_miss",
	[WL_SCAN] = "scan",
	[WL_RAND_DELETE] = "rand_delete",
	[WL_SEQ_INSERT] = "seq_insert",
};

static bool
wl_is_insert(int wl)
{
	return wl == WL_RAND_INSERT || wl == WL_SEQ_INSERT;
}

struct scan_result {
	uint64_t	count;
	uint64_t	keysum;
};

/*
 * One engine.  insert and remove are one write transaction of at most
 * TXN_OPS keys; the read functions take the whole workload.  Every
 * function checks its answers and dies on a wrong one.
 */
struct engine {
	const char	*name;
	void		*(*open)(uint64_t n);
	void		(*close)(void *h);
	void		(*insert)(void *h, const uint64_t *keys, size_t cnt);
	void		(*remove)(void *h, const uint64_t *keys, size_t cnt);
	void		(*lookup_hit)(void *h, const uint64_t *keys,
				      size_t cnt);
	void		(*lookup_miss)(void *h, const uint64_t *keys,
				       size_t cnt);
	struct scan_result (*scan)(void *h);
	uint64_t	(*count)(void *h);
	/* Bytes the structure holds now (growth since open for gtree/sqlite) */
	uint64_t	(*mem)(void *h);
};

/* ---- options --------------------------------------------------------- */

static unsigned int	opt_blocksize = 4096;

/* ---- errors and cleanup ---------------------------------------------- */

/* The LMDB directory alive now: removed by die() and on SIGINT/TERM/HUP. */
static char	lmdb_dir[64];
static char	lmdb_data[80];
static char	lmdb_lock[80];
static volatile sig_atomic_t lmdb_dir_live;

static void
lmdb_dir_remove(void)
{
	if (!lmdb_dir_live)
		return;
	unlink(lmdb_data);
	unlink(lmdb_lock);
	rmdir(lmdb_dir);
	lmdb_dir_live = 0;
}

static void
on_signal(int sig)
{
	/* unlink() and rmdir() are async-signal-safe. */
	lmdb_dir_remove();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("bench_engines: FATAL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	lmdb_dir_remove();
	exit(EXIT_FAILURE);
}

static void *
xmalloc(size_t len)
{
	void	*p = malloc(len);

	if (!p)
		die("out of memory (%zu bytes)", len);
	return p;
}

/* ---- keys ------------------------------------------------------------ */


static uint64_t	rng_state;

static uint64_t
rng_next(void)
{
	rng_state += GAMMA;
	return mix64(rng_state);
}

/* Fisher-Yates; the bias of the multiply-shift bound is below 2^-40. */
static void
shuffle(uint64_t *a, size_t n)
{
	size_t		i, j;
	uint64_t	t;

	for (i = n - 1; n && i > 0; i--) {
		j = (size_t)(((unsigned __int128)rng_next() * (i + 1)) >> 64);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

struct keyset {
	uint64_t	n;
	uint64_t	*ins;		/* insert order: key(0..n-1) */
	uint64_t	*hit;		/* the same keys, another order */
	uint64_t	*miss;		/* key(n..2n-1), absent */
	uint64_t	*del;		/* the inserted keys, a third order */
	uint64_t	keysum;		/* sum of the inserted keys, mod 2^64 */
};

/*
 * Only the arrays the selected workloads read are made (n u64s, 8n
 * bytes, each): ins always, hit for lookup_hit, miss for lookup_miss,
 * del for rand_delete.  At n = 100M, insert and lookup_hit alone need
 * 1.6 GB where all four need 3.2 GB.  An array not made is NULL; the
 * orders of those made do not depend on which others are.
 */
static void
keyset_init(struct keyset *ks, uint64_t n, const bool *sel)
{
	size_t		bytes = n * sizeof(uint64_t);
	uint64_t	i;

	ks->n = n;
	ks->ins = xmalloc(bytes);
	ks->hit = sel[WL_LOOKUP_HIT] ? xmalloc(bytes) : NULL;
	ks->miss = sel[WL_LOOKUP_MISS] ? xmalloc(bytes) : NULL;
	ks->del = sel[WL_RAND_DELETE] ? xmalloc(bytes) : NULL;
	ks->keysum = 0;
	for (i = 0; i < n; i++) {
		ks->ins[i] = key_of(i);
		ks->keysum += ks->ins[i];
	}
	for (i = 0; ks->miss && i < n; i++)
		ks->miss[i] = key_of(n + i);
	rng_state = SHUFFLE_SEED ^ n;
	if (ks->hit) {
		memcpy(ks->hit, ks->ins, bytes);
		shuffle(ks->hit, n);
	}
	/* del's shuffle follows hit's n - 1 draws, made or not. */
	rng_state = (SHUFFLE_SEED ^ n) + (n ? n - 1 : 0) * GAMMA;
	if (ks->del) {
		memcpy(ks->del, ks->ins, bytes);
		shuffle(ks->del, n);
	}
}

static void
keyset_free(struct keyset *ks)
{
	free(ks->ins);
	free(ks->hit);
	free(ks->miss);
	free(ks->del);
}

/* Checks shared by every engine's scan loop. */
struct scan_state {
	const char	*engine;
	uint64_t	prev;
	struct scan_result r;
};

static inline void
scan_step(struct scan_state *s, uint64_t k, uint64_t v)
{
	if (s->r.count && k <= s->prev)
		die("%s: scan: key %#" PRIx64 " after key %#" PRIx64
		    " (record %" PRIu64 "): out of order", s->engine, k,
		    s->prev, s->r.count);
	if (v != val_of(k))
		die("%s: scan: key %#" PRIx64 " has value %#" PRIx64
		    ", expected %#" PRIx64, s->engine, k, v, val_of(k));
	s->prev = k;
	s->r.count++;
	s->r.keysum += k;
}

static void
bad_hit(const char *engine, uint64_t k, uint64_t v)
{
	die("%s: lookup_hit: key %#" PRIx64 " returned value %#" PRIx64
	    ", expected %#" PRIx64, engine, k, v, val_of(k));
}

/* ---- xfbtree --------------------------------------------------------- */

static void
xfb_check(int error, const char *what, struct xbtree *bt)
{
	char	why[256];

	if (!error)
		return;
	xbtree_last_error(bt, why, sizeof(why));
	die("xfbtree: %s: %s%s%s", what, strerror(-error),
	    why[0] ? ": " : "", why);
}

static void *
xfb_open(uint64_t n)
{
	struct xbtree	*bt = NULL;
	int		error;

	(void)n;
	error = xbtree_create(&kvbt_ops, &(struct xbtree_params){
				.blocksize = opt_blocksize, .owner = 1 }, &bt);
	if (error)
		die("xfbtree: xbtree_create(blocksize %u): %s", opt_blocksize,
		    strerror(-error));
	return bt;
}

static void
xfb_close(void *h)
{
	xbtree_destroy(h);
}

static void
xfb_insert(void *h, const uint64_t *keys, size_t cnt)
{
	struct xbtree	*bt = h;
	struct xbt_trans *tp;
	uint8_t		rec[KVBT_REC_LEN];
	size_t		i;
	int		error, stat;

	xfb_check(xbt_trans_alloc(bt, &tp), "xbt_trans_alloc", bt);
	for (i = 0; i < cnt; i++) {
		kvbt_rec_init(rec, keys[i], val_of(keys[i]));
		error = xbt_insert(tp, rec, &stat);
		if (error) {
			xbt_trans_cancel(tp);
			xfb_check(error, "xbt_insert", bt);
		}
		if (stat != 1)
			die("xfbtree: insert: key %#" PRIx64
			    " reported as a duplicate", keys[i]);
	}
	xfb_check(xbt_trans_commit(tp), "xbt_trans_commit", bt);
}

static void
xfb_remove(void *h, const uint64_t *keys, size_t cnt)
{
	struct xbtree	*bt = h;
	struct xbt_trans *tp;
	uint8_t		key[KVBT_KEY_LEN];
	size_t		i;
	int		error, stat;

	xfb_check(xbt_trans_alloc(bt, &tp), "xbt_trans_alloc", bt);
	for (i = 0; i < cnt; i++) {
		kvbt_key_init(key, keys[i]);
		error = xbt_delete(tp, key, NULL, NULL, &stat);
		if (error) {
			xbt_trans_cancel(tp);
			xfb_check(error, "xbt_delete", bt);
		}
		if (stat != 1)
			die("xfbtree: rand_delete: key %#" PRIx64
			    " not found", keys[i]);
	}
	xfb_check(xbt_trans_commit(tp), "xbt_trans_commit", bt);
}

static void
xfb_lookup_hit(void *h, const uint64_t *keys, size_t cnt)
{
	struct xbtree	*bt = h;
	uint8_t		key[KVBT_KEY_LEN];
	uint8_t		rec[KVBT_REC_LEN];
	size_t		i;
	int		stat;

	for (i = 0; i < cnt; i++) {
		kvbt_key_init(key, keys[i]);
		xfb_check(xbtree_get(bt, XBT_LOOKUP_EQ, key, rec, &stat),
			  "xbtree_get", bt);
		if (stat != 1)
			die("xfbtree: lookup_hit: key %#" PRIx64 " not found",
			    keys[i]);
		if (kvbt_rec_key(rec) != keys[i])
			die("xfbtree: lookup_hit: key %#" PRIx64
			    " returned the record of key %#" PRIx64, keys[i],
			    kvbt_rec_key(rec));
		if (kvbt_rec_val(rec) != val_of(keys[i]))
			bad_hit("xfbtree", keys[i], kvbt_rec_val(rec));
	}
}

static void
xfb_lookup_miss(void *h, const uint64_t *keys, size_t cnt)
{
	struct xbtree	*bt = h;
	uint8_t		key[KVBT_KEY_LEN];
	uint8_t		rec[KVBT_REC_LEN];
	size_t		i;
	int		stat;

	for (i = 0; i < cnt; i++) {
		kvbt_key_init(key, keys[i]);
		xfb_check(xbtree_get(bt, XBT_LOOKUP_EQ, key, rec, &stat),
			  "xbtree_get", bt);
		if (stat != 0)
			die("xfbtree: lookup_miss: absent key %#" PRIx64
			    " found (record key %#" PRIx64 ")", keys[i],
			    kvbt_rec_key(rec));
	}
}

static struct scan_result
xfb_scan(void *h)
{
	struct xbtree	*bt = h;
	struct scan_state s = { .engine = "xfbtree" };
	struct xbt_cur	cur;
	uint8_t		key[KVBT_KEY_LEN];
	const void	*r;
	int		stat;

	xbt_cur_init(&cur, bt);
	kvbt_key_init(key, 0);
	xfb_check(xbt_lookup(&cur, XBT_LOOKUP_GE, key, &stat), "xbt_lookup",
		  bt);
	while (stat) {
		r = xbt_cur_rec(&cur);
		scan_step(&s, kvbt_rec_key(r), kvbt_rec_val(r));
		xfb_check(xbt_increment(&cur, &stat), "xbt_increment", bt);
	}
	return s.r;
}

static uint64_t
xfb_count(void *h)
{
	return xbtree_nrecords(h);
}

static uint64_t
xfb_mem(void *h)
{
	struct xbtree_stats st;

	xbtree_get_stats(h, &st);
	return st.bytes;
}

/* ---- GLib GTree ------------------------------------------------------ */

struct gt {
	GTree		*t;
	uint64_t	base;		/* malloc'd bytes at open */
};

static uint64_t
malloc_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static gint
gt_cmp(gconstpointer a, gconstpointer b)
{
	uintptr_t	x = (uintptr_t)a, y = (uintptr_t)b;

	return (x > y) - (x < y);
}

static inline gpointer
gt_ptr(uint64_t v)
{
	return (gpointer)(uintptr_t)v;
}

static void *
gt_open(uint64_t n)
{
	struct gt	*g = xmalloc(sizeof(*g));

	(void)n;
	g->t = g_tree_new(gt_cmp);
	g->base = malloc_bytes();
	return g;
}

static void
gt_close(void *h)
{
	struct gt	*g = h;

	g_tree_destroy(g->t);
	free(g);
}

static void
gt_insert(void *h, const uint64_t *keys, size_t cnt)
{
	struct gt	*g = h;
	gint		before = g_tree_nnodes(g->t);
	size_t		i;

	for (i = 0; i < cnt; i++)
		g_tree_insert(g->t, gt_ptr(keys[i]), gt_ptr(val_of(keys[i])));
	/* g_tree_insert() does not say; one O(1) count per batch does. */
	if ((size_t)(g_tree_nnodes(g->t) - before) != cnt)
		die("gtree: insert: %zu keys added %d records", cnt,
		    g_tree_nnodes(g->t) - before);
}

static void
gt_remove(void *h, const uint64_t *keys, size_t cnt)
{
	struct gt	*g = h;
	size_t		i;

	for (i = 0; i < cnt; i++)
		if (!g_tree_remove(g->t, gt_ptr(keys[i])))
			die("gtree: rand_delete: key %#" PRIx64 " not found",
			    keys[i]);
}

static void
gt_lookup_hit(void *h, const uint64_t *keys, size_t cnt)
{
	struct gt	*g = h;
	gpointer	k, v;
	size_t		i;

	for (i = 0; i < cnt; i++) {
		if (!g_tree_lookup_extended(g->t, gt_ptr(keys[i]), &k, &v))
			die("gtree: lookup_hit: key %#" PRIx64 " not found",
			    keys[i]);
		if ((uintptr_t)v != val_of(keys[i]))
			bad_hit("gtree", keys[i], (uintptr_t)v);
	}
}

static void
gt_lookup_miss(void *h, const uint64_t *keys, size_t cnt)
{
	struct gt	*g = h;
	gpointer	k, v;
	size_t		i;

	for (i = 0; i < cnt; i++)
		if (g_tree_lookup_extended(g->t, gt_ptr(keys[i]), &k, &v))
			die("gtree: lookup_miss: absent key %#" PRIx64
			    " found", keys[i]);
}

static gboolean
gt_scan_one(gpointer k, gpointer v, gpointer priv)
{
	scan_step(priv, (uintptr_t)k, (uintptr_t)v);
	return FALSE;
}

static struct scan_result
gt_scan(void *h)
{
	struct gt	*g = h;
	struct scan_state s = { .engine = "gtree" };

	g_tree_foreach(g->t, gt_scan_one, &s);
	return s.r;
}

static uint64_t
gt_count(void *h)
{
	return g_tree_nnodes(((struct gt *)h)->t);
}

static uint64_t
gt_mem(void *h)
{
	struct gt	*g = h;
	uint64_t	now = malloc_bytes();

	return now > g->base ? now - g->base : 0;
}

/* ---- LMDB ------------------------------------------------------------ */

struct lm {
	MDB_env		*env;
	MDB_dbi		dbi;
};

static void
lm_check(int rc, const char *what)
{
	if (rc)
		die("lmdb: %s: %s", what, mdb_strerror(rc));
}

static void *
lm_open(uint64_t n)
{
	struct lm	*l = xmalloc(sizeof(*l));
	uint64_t	units = (n + 9999999) / 10000000;
	MDB_txn		*txn;

	if (lmdb_dir_live)
		die("lmdb: two environments at once");
	strcpy(lmdb_dir, "/dev/shm/xfbbench-lmdb.XXXXXX");
	if (!mkdtemp(lmdb_dir))
		die("lmdb: mkdtemp(%s): %s", lmdb_dir, strerror(errno));
	snprintf(lmdb_data, sizeof(lmdb_data), "%s/data.mdb", lmdb_dir);
	snprintf(lmdb_lock, sizeof(lmdb_lock), "%s/lock.mdb", lmdb_dir);
	lmdb_dir_live = 1;

	lm_check(mdb_env_create(&l->env), "mdb_env_create");
	lm_check(mdb_env_set_mapsize(l->env,
				     (units ? units : 1) * LMDB_MAP_UNIT),
		 "mdb_env_set_mapsize");
	lm_check(mdb_env_open(l->env, lmdb_dir,
			      MDB_WRITEMAP | MDB_NOSYNC | MDB_NOMETASYNC,
			      0600), "mdb_env_open");
	lm_check(mdb_txn_begin(l->env, NULL, 0, &txn), "mdb_txn_begin");
	lm_check(mdb_dbi_open(txn, NULL, MDB_INTEGERKEY, &l->dbi),
		 "mdb_dbi_open");
	lm_check(mdb_txn_commit(txn), "mdb_txn_commit");
	return l;
}

static void
lm_close(void *h)
{
	struct lm	*l = h;

	mdb_env_close(l->env);
	free(l);
	lmdb_dir_remove();
}

static void
lm_insert(void *h, const uint64_t *keys, size_t cnt)
{
	struct lm	*l = h;
	MDB_txn		*txn;
	MDB_val		key, data;
	uint64_t	k, v;
	size_t		i;
	int		rc;

	lm_check(mdb_txn_begin(l->env, NULL, 0, &txn), "mdb_txn_begin");
	key.mv_size = sizeof(k);
	key.mv_data = &k;
	data.mv_size = sizeof(v);
	data.mv_data = &v;
	for (i = 0; i < cnt; i++) {
		k = keys[i];
		v = val_of(k);
		rc = mdb_put(txn, l->dbi, &key, &data, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST)
			die("lmdb: insert: key %#" PRIx64
			    " reported as a duplicate", k);
		lm_check(rc, "mdb_put");
	}
	lm_check(mdb_txn_commit(txn), "mdb_txn_commit");
}

static void
lm_remove(void *h, const uint64_t *keys, size_t cnt)
{
	struct lm	*l = h;
	MDB_txn		*txn;
	MDB_val		key;
	uint64_t	k;
	size_t		i;
	int		rc;

	lm_check(mdb_txn_begin(l->env, NULL, 0, &txn), "mdb_txn_begin");
	key.mv_size = sizeof(k);
	key.mv_data = &k;
	for (i = 0; i < cnt; i++) {
		k = keys[i];
		rc = mdb_del(txn, l->dbi, &key, NULL);
		if (rc == MDB_NOTFOUND)
			die("lmdb: rand_delete: key %#" PRIx64 " not found",
			    k);
		lm_check(rc, "mdb_del");
	}
	lm_check(mdb_txn_commit(txn), "mdb_txn_commit");
}

static void
lm_lookup_hit(void *h, const uint64_t *keys, size_t cnt)
{
	struct lm	*l = h;
	MDB_txn		*txn;
	MDB_val		key, data;
	uint64_t	k, v;
	size_t		i;
	int		rc;

	lm_check(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn),
		 "mdb_txn_begin");
	key.mv_size = sizeof(k);
	key.mv_data = &k;
	for (i = 0; i < cnt; i++) {
		k = keys[i];
		rc = mdb_get(txn, l->dbi, &key, &data);
		if (rc == MDB_NOTFOUND)
			die("lmdb: lookup_hit: key %#" PRIx64 " not found", k);
		lm_check(rc, "mdb_get");
		if (data.mv_size != sizeof(v))
			die("lmdb: lookup_hit: key %#" PRIx64
			    " has a %zu-byte value", k, data.mv_size);
		memcpy(&v, data.mv_data, sizeof(v));
		if (v != val_of(k))
			bad_hit("lmdb", k, v);
	}
	mdb_txn_abort(txn);
}

static void
lm_lookup_miss(void *h, const uint64_t *keys, size_t cnt)
{
	struct lm	*l = h;
	MDB_txn		*txn;
	MDB_val		key, data;
	uint64_t	k;
	size_t		i;
	int		rc;

	lm_check(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn),
		 "mdb_txn_begin");
	key.mv_size = sizeof(k);
	key.mv_data = &k;
	for (i = 0; i < cnt; i++) {
		k = keys[i];
		rc = mdb_get(txn, l->dbi, &key, &data);
		if (rc == 0)
			die("lmdb: lookup_miss: absent key %#" PRIx64 " found",
			    k);
		if (rc != MDB_NOTFOUND)
			lm_check(rc, "mdb_get");
	}
	mdb_txn_abort(txn);
}

static struct scan_result
lm_scan(void *h)
{
	struct lm	*l = h;
	struct scan_state s = { .engine = "lmdb" };
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		key, data;
	uint64_t	k, v;
	int		rc;

	lm_check(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn),
		 "mdb_txn_begin");
	lm_check(mdb_cursor_open(txn, l->dbi, &cur), "mdb_cursor_open");
	for (rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
		if (key.mv_size != sizeof(k) || data.mv_size != sizeof(v))
			die("lmdb: scan: record of %zu+%zu bytes",
			    key.mv_size, data.mv_size);
		memcpy(&k, key.mv_data, sizeof(k));
		memcpy(&v, data.mv_data, sizeof(v));
		scan_step(&s, k, v);
	}
	if (rc != MDB_NOTFOUND)
		lm_check(rc, "mdb_cursor_get");
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return s.r;
}

static uint64_t
lm_count(void *h)
{
	struct lm	*l = h;
	MDB_txn		*txn;
	MDB_stat	st;

	lm_check(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn),
		 "mdb_txn_begin");
	lm_check(mdb_stat(txn, l->dbi, &st), "mdb_stat");
	mdb_txn_abort(txn);
	return st.ms_entries;
}

static uint64_t
lm_mem(void *h)
{
	struct lm	*l = h;
	MDB_envinfo	info;
	MDB_stat	st;

	lm_check(mdb_env_info(l->env, &info), "mdb_env_info");
	lm_check(mdb_env_stat(l->env, &st), "mdb_env_stat");
	return ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
}

/* ---- SQLite ---------------------------------------------------------- */

struct sq {
	sqlite3		*db;
	sqlite3_stmt	*begin, *commit, *ins, *get, *del, *scan, *cnt;
	int64_t		base;		/* sqlite3_memory_used() at open */
};

static inline int64_t
sq_key(uint64_t k)
{
	return (int64_t)(k ^ SQL_FLIP);
}

static void
sq_fail(struct sq *s, const char *what)
{
	die("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *
sq_prepare(struct sq *s, const char *sql)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		sq_fail(s, sql);
	return st;
}

/* Run a statement that returns no row (BEGIN, COMMIT). */
static void
sq_run(struct sq *s, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		sq_fail(s, sqlite3_sql(st));
	sqlite3_reset(st);
}

static void *
sq_open(uint64_t n)
{
	struct sq	*s = xmalloc(sizeof(*s));
	char		*err = NULL;

	(void)n;
	if (sqlite3_open_v2(":memory:", &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		die("sqlite: open :memory: failed");
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=OFF;"
			 "PRAGMA synchronous=OFF;"
			 "PRAGMA secure_delete=OFF;"
			 "CREATE TABLE t(k INTEGER PRIMARY KEY, v INTEGER);",
			 NULL, NULL, &err) != SQLITE_OK)
		die("sqlite: setup: %s", err ? err : "?");
	s->begin = sq_prepare(s, "BEGIN");
	s->commit = sq_prepare(s, "COMMIT");
	s->ins = sq_prepare(s, "INSERT INTO t(k, v) VALUES(?1, ?2)");
	s->get = sq_prepare(s, "SELECT v FROM t WHERE k = ?1");
	s->del = sq_prepare(s, "DELETE FROM t WHERE k = ?1");
	s->scan = sq_prepare(s, "SELECT k, v FROM t ORDER BY k");
	s->cnt = sq_prepare(s, "SELECT count(*) FROM t");
	s->base = sqlite3_memory_used();
	return s;
}

static void
sq_close(void *h)
{
	struct sq	*s = h;

	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->cnt);
	if (sqlite3_close(s->db) != SQLITE_OK)
		die("sqlite: close: %s", sqlite3_errmsg(s->db));
	free(s);
}

static void
sq_insert(void *h, const uint64_t *keys, size_t cnt)
{
	struct sq	*s = h;
	size_t		i;

	sq_run(s, s->begin);
	for (i = 0; i < cnt; i++) {
		sqlite3_bind_int64(s->ins, 1, sq_key(keys[i]));
		sqlite3_bind_int64(s->ins, 2, (int64_t)val_of(keys[i]));
		if (sqlite3_step(s->ins) != SQLITE_DONE)
			die("sqlite: insert: key %#" PRIx64 ": %s", keys[i],
			    sqlite3_errmsg(s->db));
		sqlite3_reset(s->ins);
	}
	sq_run(s, s->commit);
}

static void
sq_remove(void *h, const uint64_t *keys, size_t cnt)
{
	struct sq	*s = h;
	size_t		i;

	sq_run(s, s->begin);
	for (i = 0; i < cnt; i++) {
		sqlite3_bind_int64(s->del, 1, sq_key(keys[i]));
		if (sqlite3_step(s->del) != SQLITE_DONE)
			die("sqlite: delete: key %#" PRIx64 ": %s", keys[i],
			    sqlite3_errmsg(s->db));
		sqlite3_reset(s->del);
		if (sqlite3_changes(s->db) != 1)
			die("sqlite: rand_delete: key %#" PRIx64 " not found",
			    keys[i]);
	}
	sq_run(s, s->commit);
}

static void
sq_lookup_hit(void *h, const uint64_t *keys, size_t cnt)
{
	struct sq	*s = h;
	uint64_t	v;
	size_t		i;
	int		rc;

	sq_run(s, s->begin);
	for (i = 0; i < cnt; i++) {
		sqlite3_bind_int64(s->get, 1, sq_key(keys[i]));
		rc = sqlite3_step(s->get);
		if (rc == SQLITE_DONE)
			die("sqlite: lookup_hit: key %#" PRIx64 " not found",
			    keys[i]);
		if (rc != SQLITE_ROW)
			sq_fail(s, "lookup_hit");
		v = (uint64_t)sqlite3_column_int64(s->get, 0);
		sqlite3_reset(s->get);
		if (v != val_of(keys[i]))
			bad_hit("sqlite", keys[i], v);
	}
	sq_run(s, s->commit);
}

static void
sq_lookup_miss(void *h, const uint64_t *keys, size_t cnt)
{
	struct sq	*s = h;
	size_t		i;
	int		rc;

	sq_run(s, s->begin);
	for (i = 0; i < cnt; i++) {
		sqlite3_bind_int64(s->get, 1, sq_key(keys[i]));
		rc = sqlite3_step(s->get);
		if (rc == SQLITE_ROW)
			die("sqlite: lookup_miss: absent key %#" PRIx64
			    " found", keys[i]);
		if (rc != SQLITE_DONE)
			sq_fail(s, "lookup_miss");
		sqlite3_reset(s->get);
	}
	sq_run(s, s->commit);
}

static struct scan_result
sq_scan(void *h)
{
	struct sq	*s = h;
	struct scan_state ss = { .engine = "sqlite" };
	int		rc;

	sq_run(s, s->begin);
	while ((rc = sqlite3_step(s->scan)) == SQLITE_ROW)
		scan_step(&ss,
			  (uint64_t)sqlite3_column_int64(s->scan, 0) ^ SQL_FLIP,
			  (uint64_t)sqlite3_column_int64(s->scan, 1));
	if (rc != SQLITE_DONE)
		sq_fail(s, "scan");
	sqlite3_reset(s->scan);
	sq_run(s, s->commit);
	return ss.r;
}

static uint64_t
sq_count(void *h)
{
	struct sq	*s = h;
	uint64_t	n;

	if (sqlite3_step(s->cnt) != SQLITE_ROW)
		sq_fail(s, "count");
	n = (uint64_t)sqlite3_column_int64(s->cnt, 0);
	sqlite3_reset(s->cnt);
	return n;
}

static uint64_t
sq_mem(void *h)
{
	struct sq	*s = h;
	int64_t		now = sqlite3_memory_used();

	return now > s->base ? (uint64_t)(now - s->base) : 0;
}

/* ---- the engine table ------------------------------------------------ */

enum { E_XFBTREE, E_GTREE, E_LMDB, E_SQLITE, NR_ENGINES };

static const struct engine engines[NR_ENGINES] = {
	[E_XFBTREE] = {
		.name = "xfbtree", .open = xfb_open, .close = xfb_close,
		.insert = xfb_insert, .remove = xfb_remove,
		.lookup_hit = xfb_lookup_hit, .lookup_miss = xfb_lookup_miss,
		.scan = xfb_scan, .count = xfb_count, .mem = xfb_mem,
	},
	[E_GTREE] = {
		.name = "gtree", .open = gt_open, .close = gt_close,
		.insert = gt_insert, .remove = gt_remove,
		.lookup_hit = gt_lookup_hit, .lookup_miss = gt_lookup_miss,
		.scan = gt_scan, .count = gt_count, .mem = gt_mem,
	},
	[E_LMDB] = {
		.name = "lmdb", .open = lm_open, .close = lm_close,
		.insert = lm_insert, .remove = lm_remove,
		.lookup_hit = lm_lookup_hit, .lookup_miss = lm_lookup_miss,
		.scan = lm_scan, .count = lm_count, .mem = lm_mem,
	},
	[E_SQLITE] = {
		.name = "sqlite", .open = sq_open, .close = sq_close,
		.insert = sq_insert, .remove = sq_remove,
		.lookup_hit = sq_lookup_hit, .lookup_miss = sq_lookup_miss,
		.scan = sq_scan, .count = sq_count, .mem = sq_mem,
	},
};

/* ---- running --------------------------------------------------------- */

struct sample {
	double		ns;		/* ns per operation */
	double		bpr;		/* bytes per record (inserts) */
};

/* samples[engine][workload][run] for the current n */
static struct sample	samples[NR_ENGINES][NR_WL][MAX_RUNS];

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void
expect_count(const struct engine *e, void *h, const char *wl,
	     uint64_t want)
{
	uint64_t	got = e->count(h);

	if (got != want)
		die("%s: after %s: %" PRIu64 " records, expected %" PRIu64,
		    e->name, wl, got, want);
}

/* Insert keys[0..n) in transactions of TXN_OPS; return ns/op. */
static double
timed_insert(const struct engine *e, void *h, const uint64_t *keys,
	     uint64_t n)
{
	double		t0 = now_ns();
	uint64_t	i;

	for (i = 0; i < n; i += TXN_OPS)
		e->insert(h, keys + i, n - i < TXN_OPS ? n - i : TXN_OPS);
	return (now_ns() - t0) / n;
}

/* The random structure: rand_insert, lookups, scan, rand_delete. */
static void
run_random(const struct engine *e, struct sample s[NR_WL],
	   const struct keyset *ks, const bool *sel)
{
	uint64_t	n = ks->n, i;
	struct scan_result r;
	void		*h = e->open(n);
	double		t0;

	s[WL_RAND_INSERT].ns = timed_insert(e, h, ks->ins, n);
	expect_count(e, h, "rand_insert", n);
	s[WL_RAND_INSERT].bpr = (double)e->mem(h) / n;

	if (sel[WL_LOOKUP_HIT]) {
		t0 = now_ns();
		e->lookup_hit(h, ks->hit, n);
		s[WL_LOOKUP_HIT].ns = (now_ns() - t0) / n;
	}
	if (sel[WL_LOOKUP_MISS]) {
		t0 = now_ns();
		e->lookup_miss(h, ks->miss, n);
		s[WL_LOOKUP_MISS].ns = (now_ns() - t0) / n;
	}
	if (sel[WL_SCAN]) {
		t0 = now_ns();
		r = e->scan(h);
		s[WL_SCAN].ns = (now_ns() - t0) / n;
		if (r.count != n)
			die("%s: scan: %" PRIu64 " records, expected %" PRIu64,
			    e->name, r.count, n);
		if (r.keysum != ks->keysum)
			die("%s: scan: key sum %#" PRIx64 ", expected %#"
			    PRIx64, e->name, r.keysum, ks->keysum);
	}
	if (sel[WL_RAND_DELETE]) {
		t0 = now_ns();
		for (i = 0; i < n; i += TXN_OPS)
			e->remove(h, ks->del + i,
				  n - i < TXN_OPS ? n - i : TXN_OPS);
		s[WL_RAND_DELETE].ns = (now_ns() - t0) / n;
		expect_count(e, h, "rand_delete", 0);
	}
	e->close(h);
}

/* A fresh structure: keys 0..n-1 ascending. */
static void
run_seq(const struct engine *e, struct sample *s, uint64_t n)
{
	uint64_t	buf[TXN_OPS], i, j, cnt;
	void		*h = e->open(n);
	double		t0 = now_ns();

	for (i = 0; i < n; i += TXN_OPS) {
		cnt = n - i < TXN_OPS ? n - i : TXN_OPS;
		for (j = 0; j < cnt; j++)
			buf[j] = i + j;
		e->insert(h, buf, cnt);
	}
	s->ns = (now_ns() - t0) / n;
	expect_count(e, h, "seq_insert", n);
	s->bpr = (double)e->mem(h) / n;
	e->close(h);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const struct sample *s, int runs, bool bytes)
{
	double	v[MAX_RUNS];
	int	i;

	for (i = 0; i < runs; i++)
		v[i] = bytes ? s[i].bpr : s[i].ns;
	qsort(v, runs, sizeof(v[0]), cmp_double);
	return runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
}

/* ---- output ---------------------------------------------------------- */

static void
print_machine(int runs)
{
	printf("# bench_engines: xfbtree vs GTree, LMDB, SQLite\n");
	bench_print_machine();
	printf("# libraries: glib %u.%u.%u, %s, sqlite %s\n",
	       glib_major_version, glib_minor_version, glib_micro_version,
	       mdb_version(NULL, NULL, NULL), sqlite3_libversion());
	printf("# xfbtree blocksize %u; %d ops per write transaction; "
	       "median of %d run%s\n", opt_blocksize, TXN_OPS, runs,
	       runs == 1 ? "" : "s");
#if !defined(__OPTIMIZE__) || defined(XFB_DEBUG)
	printf("# WARNING: not a release build (no optimisation or "
	       "XFB_DEBUG on): figures are not representative\n");
#endif
	fflush(stdout);
}

static void
print_table(uint64_t n, int runs, const bool *eng, const bool *sel)
{
	static const int peers[] = { E_GTREE, E_LMDB, E_SQLITE };
	const int	npeers = sizeof(peers) / sizeof(peers[0]);
	bool		ratios = eng[E_XFBTREE];
	char		label[32];
	double		x, p;
	int		e, w, i, b;

	printf("\n## n = %" PRIu64 ": ns/op, median of %d run%s; "
	       "vs X = X ns / xfbtree ns (> 1: xfbtree faster)\n", n, runs,
	       runs == 1 ? "" : "s");
	printf("%-22s", "workload");
	for (e = 0; e < NR_ENGINES; e++)
		if (eng[e])
			printf(" %10s", engines[e].name);
	for (i = 0; ratios && i < npeers; i++)
		if (eng[peers[i]]) {
			snprintf(label, sizeof(label), "vs %s",
				 engines[peers[i]].name);
			printf(" %9s", label);
		}
	printf("\n");

	/* Rows: the workloads, then bytes/record after the inserts. */
	for (b = 0; b < 2; b++) {
		for (w = 0; w < NR_WL; w++) {
			if (!sel[w] || (b && !wl_is_insert(w)))
				continue;
			if (b)
				snprintf(label, sizeof(label), "bytes/rec %s",
					 wl_names[w]);
			else
				snprintf(label, sizeof(label), "%s",
					 wl_names[w]);
			printf("%-22s", label);
			for (e = 0; e < NR_ENGINES; e++)
				if (eng[e])
					printf(" %10.1f",
					       median(samples[e][w], runs, b));
			x = ratios ? median(samples[E_XFBTREE][w], runs, b) : 0;
			for (i = 0; ratios && i < npeers; i++) {
				if (!eng[peers[i]])
					continue;
				p = median(samples[peers[i]][w], runs, b);
				if (x > 0)
					printf(" %8.2fx", p / x);
				else
					printf(" %9s", "-");
			}
			printf("\n");
		}
	}
	fflush(stdout);
}

static void
print_json(FILE *out, uint64_t n, int runs, const bool *eng,
	   const bool *sel)
{
	int	e, w;

	for (e = 0; e < NR_ENGINES; e++) {
		if (!eng[e])
			continue;
		for (w = 0; w < NR_WL; w++) {
			if (!sel[w])
				continue;
			fprintf(out, "{\"engine\":\"%s\",\"workload\":\"%s\","
				"\"n\":%" PRIu64 ",\"ns_per_op\":%.2f",
				engines[e].name, wl_names[w], n,
				median(samples[e][w], runs, false));
			if (wl_is_insert(w))
				fprintf(out, ",\"bytes_per_record\":%.2f",
					median(samples[e][w], runs, true));
			fprintf(out, "}\n");
		}
	}
	fflush(out);
}

/* ---- command line ---------------------------------------------------- */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: bench_engines [-n N[,N...]] [-r RUNS] [-e ENGINES] "
		"[-w WORKLOADS] [-b BLOCKSIZE] [--json FILE]\n"
		"  -n N,...     record counts (k and M suffixes allowed; "
		"default 1000000,10000000)\n"
		"  -r RUNS      runs per (engine, n), median reported "
		"(1..%d, default 3)\n"
		"  -e LIST      engines: xfbtree,gtree,lmdb,sqlite "
		"(default all)\n"
		"  -w LIST      workloads: rand_insert,lookup_hit,"
		"lookup_miss,scan,rand_delete,seq_insert\n"
		"               (default all; rand_insert always runs "
		"to populate the structure)\n"
		"  -b SIZE      xfbtree blocksize, power of two 512..65536 "
		"(default 4096)\n"
		"  --json FILE  JSON lines to FILE instead of stdout\n",
		MAX_RUNS);
	exit(status);
}

static uint64_t
parse_count(const char *s)
{
	uint64_t	v;

	if (!bench_parse_count(s, 1ULL << 40, &v))
		die("bad record count '%s'", s);
	return v;
}

/* Set sel[i] for each comma-separated name in @list. */
static void
parse_names(const char *list, const char *what, const char *const *names,
	    int nnames, bool *sel)
{
	char	*copy = strdup(list), *tok, *save = NULL;
	int	i;

	if (!copy)
		die("out of memory");
	memset(sel, 0, nnames * sizeof(*sel));
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nnames; i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == nnames)
			die("unknown %s '%s'", what, tok);
		sel[i] = true;
	}
	free(copy);
	for (i = 0; i < nnames; i++)
		if (sel[i])
			return;
	die("no %s selected", what);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*engine_names[NR_ENGINES];
	bool		eng[NR_ENGINES], sel[NR_WL], need_random;
	uint64_t	ns[MAX_NS];
	int		nns = 0, runs = 3, opt, e, w, run, i;
	char		*ncopy, *tok, *save = NULL, *end;
	const char	*nlist = "1000000,10000000", *json_path = NULL;
	const char	*slice;
	FILE		*json = stdout;
	struct keyset	ks = { 0 };
	struct sample	one[NR_WL];
	struct sigaction sa;
	unsigned long	bs;

	/*
	 * GLib < 2.76 serves GTree nodes from GSlice's magazines, which keep
	 * freed nodes for the next tree and so hide its growth from
	 * mallinfo2(); GLib >= 2.76 always uses malloc().  Do that on every
	 * GLib.  GLib reads G_SLICE in a constructor, before main(): set it
	 * and start again.
	 */
	slice = getenv("G_SLICE");
	if (!slice || strcmp(slice, "always-malloc")) {
		setenv("G_SLICE", "always-malloc", 1);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "bench_engines: warning: re-exec failed (%s); "
			"gtree bytes/record may read low\n", strerror(errno));
	}

	for (e = 0; e < NR_ENGINES; e++) {
		engine_names[e] = engines[e].name;
		eng[e] = true;
	}
	for (w = 0; w < NR_WL; w++)
		sel[w] = true;

	while ((opt = getopt_long(argc, argv, "n:r:e:w:b:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			nlist = optarg;
			break;
		case 'r':
			runs = (int)strtol(optarg, &end, 10);
			if (*end || runs < 1 || runs > MAX_RUNS)
				die("bad run count '%s' (1..%d)", optarg,
				    MAX_RUNS);
			break;
		case 'e':
			parse_names(optarg, "engine", engine_names,
				    NR_ENGINES, eng);
			break;
		case 'w':
			parse_names(optarg, "workload", wl_names, NR_WL, sel);
			break;
		case 'b':
			bs = strtoul(optarg, &end, 10);
			if (*end || bs < 512 || bs > 65536 || (bs & (bs - 1)))
				die("bad blocksize '%s' (power of two "
				    "512..65536)", optarg);
			opt_blocksize = bs;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	ncopy = strdup(nlist);
	if (!ncopy)
		die("out of memory");
	for (tok = strtok_r(ncopy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (nns == MAX_NS)
			die("at most %d record counts", MAX_NS);
		ns[nns++] = parse_count(tok);
	}
	free(ncopy);
	if (!nns)
		die("no record count given");

	if (json_path) {
		json = fopen(json_path, "w");
		if (!json)
			die("%s: %s", json_path, strerror(errno));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	need_random = false;
	for (w = 0; w < NR_WL; w++)
		if (sel[w] && w != WL_SEQ_INSERT)
			need_random = true;

	print_machine(runs);
	for (i = 0; i < nns; i++) {
		if (need_random)
			keyset_init(&ks, ns[i], sel);
		memset(samples, 0, sizeof(samples));
		/* Runs interleave the engines so drift hits them alike. */
		for (run = 0; run < runs; run++) {
			for (e = 0; e < NR_ENGINES; e++) {
				if (!eng[e])
					continue;
				fprintf(stderr, "# n=%" PRIu64
					" run %d/%d %s\n", ns[i], run + 1,
					runs, engines[e].name);
				if (need_random) {
					memset(one, 0, sizeof(one));
					run_random(&engines[e], one, &ks, sel);
					for (w = 0; w < WL_SEQ_INSERT; w++)
						samples[e][w][run] = one[w];
				}
				if (sel[WL_SEQ_INSERT])
					run_seq(&engines[e],
						&samples[e][WL_SEQ_INSERT][run],
						ns[i]);
			}
		}
		if (need_random)
			keyset_free(&ks);
		print_table(ns[i], runs, eng, sel);
		print_json(json, ns[i], runs, eng, sel);
	}
	if (json != stdout && fclose(json))
		die("%s: %s", json_path, strerror(errno));
	return 0;
}
