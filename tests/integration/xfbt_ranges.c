// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfbt_ranges: rmap and refcount `range` answers under concurrent
 * writers, every answer checked record by record against a log of what
 * the writers did and when.
 *
 *	xfbt_ranges [-t SECONDS] [-n SLOTS] [-w WRITERS] [-r READERS]
 *		    [-s SEED] [-k KEEPDIR] TYPE:DIR...
 *	    TYPE is rmap or refcount; DIR an empty btree of the mount (its
 *	    type is set here).  Runs for SECONDS, prints what it checked;
 *	    exit 0 if every answer was right, 1 if not (a miss), 2 on a
 *	    usage or system error.
 *	xfbt_ranges dump DIR OUTDIR [RECORD]
 *	    keep DIR's check, stats, records, errors and pages in OUTDIR
 *	    (if the btree is large, the nodes and the leaves around
 *	    RECORD's key); any type: what scripts/stress.sh keeps when one
 *	    of its own lookups goes wrong.
 *
 * The last lines of a run, one per btree, are for scripts to add up:
 *	xfbt_ranges: totals TYPE answers N records N required N windows N
 *	    reads N writes N misses N
 *
 * The records: a btree's records belong to "slots", each owned by one
 * writer thread.  A slot holds at most one record at a time, and every
 * record a slot can hold shares something fixed that names the slot:
 *
 *	rmap      (startblock, owner) and the key's offset and flags; the
 *	          block count and the unwritten flag change from one
 *	          insert to the next.  Slots come in groups of four whose
 *	          start blocks lie within 16 blocks of each other (often
 *	          equal: several owners sharing blocks), extents run from
 *	          1 to 4096 blocks, so records overlap many others; data
 *	          and attr fork mappings, bmbt blocks, special owners, a
 *	          band of slots at the top of the 32-bit block space.
 *	refcount  a region of 32 blocks of one domain (shared or CoW);
 *	          the extent is anywhere inside it (sometimes the whole
 *	          region, so neighbours touch), with any refcount (1 for
 *	          CoW).  Extents of one domain never overlap.
 *
 * Writers churn their slots in random batches, each batch one write()
 * to `insert` or `delete` (one transaction): inserts of new records,
 * deletes (rmap: the whole record; refcount: by key or whole record),
 * updates (a delete, then an insert of a new record for the same slots),
 * single-line writes, and writes that must fail and change nothing (a
 * duplicate among new records: EEXIST; a missing record among present
 * ones: ENOENT).  Before each write the writer logs, under its mutex, an
 * event per slot with the time (CLOCK_MONOTONIC) the write began; when
 * write() returns, the time it ended.  A failing write logs nothing.
 * Every 0.2 to 3 s a reloader pauses the writers and bulk loads what
 * the slots hold through `load`, one slot in twenty changed, logged the
 * same way (the new btree replaces the old under the readers, who go on
 * from their resume key).  A slot keeps its last SLOT_EVENTS events in a
 * ring:
 *
 *	slot: ring [ INS r1 (b1,e1) | DEL r1 (b2,e2) | INS r2 (b3,e3) | ... ]
 *
 * Readers (and writers, after some of their inserts, for the record just
 * inserted, as scripts/stress.sh does) ask `range LOW HIGH` on an open
 * `lookup` file and read the answer in reads of 1 byte to 1 MiB (mostly
 * 1..4096), so the daemon's 64 KiB answer window resumes after its last
 * key many times.  For a read that began (query written) at t0 and ended
 * (read() returned 0) at t1, the answer must hold:
 *
 *  - lines that parse as records of the type, each overlapping LOW..HIGH,
 *    in strictly increasing key order (refcount: shared, then CoW);
 *  - no record that cannot have been there during [t0, t1]: it belongs
 *    to a slot, and an insert of exactly that record began before t1,
 *    and no delete of it had ended before t0;
 *  - every record that was there throughout: the slot's last event
 *    begun before t1 is the insert of that record, and it ended before
 *    t0; if the record overlaps LOW..HIGH, it must be in the answer.
 *
 * A slot whose ring has lost an event that ended at or after t0 is
 * counted as "uncertain" for that read (its records may appear, none is
 * required): the slot remembers the latest end of the events its ring
 * dropped.  Events that all ended before t0 decide nothing in the window
 * but the record present at t0, and a record of a slot changes only by a
 * delete that the ring then still holds.  (A reload logs its delete of
 * the old record and its insert of the new one with the same times; the
 * ring may keep the insert and drop the delete, which is why a lost
 * event's end, not the first kept event's begin, says what is unknown.)
 * `xfbt_ranges selftest` checks these rules on hand-built rings.
 *
 * One query in eight of the readers puts a second range in the same
 * write, below the first and farther from it than the longest extent,
 * so that no record overlaps both: the answer must be the first range's
 * records, then the second's, each part checked as above.
 *
 * At the end, after the threads stop, `records` must equal exactly the
 * records the slots hold, and `check` must say ok.
 *
 * On a wrong answer: the same query again at once (again.txt), then the
 * writers are stopped and it is asked a third time (quiet.txt); then
 * check, stats, records and the pages (all of them if the btree has up
 * to 4096 blocks, else every node and the leaves around the missed
 * record) go to KEEPDIR/miss.N/, with report.txt saying what was wrong,
 * the query, its read sizes and the slot's events.  The run then stops
 * and exits 1.  Pages are raw blocks; tests/integration/ranges.sh runs
 * the page decoder on them.
 *
 * Locking: a writer's mutex guards the event rings of its slots; slot
 * geometry is immutable once the threads start; `present` and `cur` are
 * the owning writer's, under the tree's pause lock held for reading
 * (the reloader changes them holding it for writing; main reads them
 * after the threads are joined).  Counters are atomic.  One process,
 * real system calls on the mount.
 *
 * Related files: xfbt_ranges_rec.c (records as text, the dumps),
 * xfbt_ranges.h, ranges.sh (the test), scripts/stress.sh (long runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xfbt_ranges.h"

#ifndef SLOT_EVENTS
#define SLOT_EVENTS	8		/* events kept per slot */
#endif
#define RMAP_GROUP	4		/* slots sharing a 16-block span */
#define RMAP_SPAN	16
#define RMAP_MAXLEN	4096		/* longest rmap extent */
#define REFC_REGION	32		/* blocks per refcount slot */
#define ANSWER_CHUNK	65536		/* the daemon makes answers so */

/* rmap slot kinds */
enum { SK_DATA, SK_ATTR, SK_BMBT, SK_SPECIAL };

struct event {
	uint64_t	begin;	/* write() called */
	uint64_t	end;	/* write() returned; UINT64_MAX until then */
	bool		ins;
	struct rec	rec;	/* inserted, or deleted */
};

struct slot {
	struct rec	key;	/* what names the slot (see the header) */
	uint8_t		kind;
	uint8_t		writer;
	bool		present;	/* owner writer only */
	struct rec	cur;		/* owner writer only */
	uint64_t	nev;		/* events ever; under the writer's lock */
	uint64_t	lost_end;	/* latest end of a dropped event */
	struct event	ring[SLOT_EVENTS];
};

struct counters {
	uint64_t	answers, records, required, bytes, reads, windows;
	uint64_t	self_checks, writes, inserted, deleted, refused;
	uint64_t	uncertain, reopen, abandoned, doubles, loads;
	uint64_t	load_changes;
};

struct tree;

/* What a thread that asks queries keeps. */
struct qstate {
	struct tree	*t;
	const char	*who;
	uint64_t	rng;
	int		fd;		/* lookup, or -1 */
	unsigned int	fd_uses;
	char		*buf;		/* the answer */
	size_t		len, cap;
	char		query[96];	/* one or two range lines */
	struct rec	*recs;		/* parsed */
	size_t		nrecs, recs_cap;
	struct rec	*part;		/* the records of one range */
	size_t		npart;
	uint32_t	sizes[64];	/* the first read sizes */
	unsigned int	nsizes;
	uint64_t	nreads;		/* of the last answer */
	bool		is_writer;
};

struct writer {
	struct tree	*t;
	unsigned int	id;
	pthread_mutex_t	lock;
	uint32_t	*slots;		/* indices of its slots */
	size_t		nslots;
	int		ins_fd, del_fd;
	struct qstate	q;
	char		name[32];
	pthread_t	thread;
};

struct reader {
	struct qstate	q;
	char		name[32];
	pthread_t	thread;
};

struct tree {
	enum bt_type	type;
	const char	*dir;
	char		path_insert[4096], path_delete[4096];
	char		path_lookup[4096], path_load[4096];
	struct slot	*slots;
	size_t		nslots;
	uint32_t	*by_start;	/* rmap: slot indices by (start, owner) */
	uint32_t	base;		/* first block used */
	uint32_t	maxblock;	/* LOW/HIGH limit */
	size_t		nshared;	/* refcount: slots of the shared domain */
	struct writer	*writers;
	unsigned int	nwriters;
	struct reader	*readers;
	unsigned int	nreaders;
	pthread_rwlock_t pause;		/* writers read, the reloader writes */
	pthread_t	reloader;
	uint64_t	seed;
	struct counters	c;
};

static volatile int	stop_all;
static int		writers_running;
static pthread_mutex_t	miss_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int	nmisses;
static const char	*keepdir;

/* ---- small helpers --------------------------------------------------- */

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t
rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rnd_below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static void
cnt_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static bool
stopping(void)
{
	return __atomic_load_n(&stop_all, __ATOMIC_ACQUIRE);
}

/* ---- slots ----------------------------------------------------------- */

static struct tree	*sort_tree;

static int
cmp_by_start(const void *a, const void *b)
{
	const struct slot	*x = &sort_tree->slots[*(const uint32_t *)a];
	const struct slot	*y = &sort_tree->slots[*(const uint32_t *)b];
	int			c = cmp_u64(x->key.start, y->key.start);

	return c ? c : cmp_u64(x->key.owner, y->key.owner);
}

/*
 * Lay the slots out (see the file header).  rmap: group g of four slots
 * starts in [base + 16g, base + 16g + 15]; slot m of a group has owner
 * band m, so (start, owner) names a slot.  The last 1/64 of the groups
 * sit at the top of the block space.
 */
static void
slots_init(struct tree *t, uint64_t *rng)
{
	size_t	i, ngroups = t->nslots / RMAP_GROUP, top;

	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots)
		die("out of memory");
	if (t->type == T_REFC) {
		t->nshared = t->nslots * 3 / 4;
		t->base = 1 + rnd_below(rng, (1U << 31) -
					t->nshared * REFC_REGION - 2);
		t->maxblock = (1U << 31) - 1;
		for (i = 0; i < t->nslots; i++) {
			struct slot	*s = &t->slots[i];
			size_t		r = i < t->nshared ? i : i - t->nshared;

			s->key.start = t->base + r * REFC_REGION;
			s->key.cow = i >= t->nshared;
			s->writer = i % t->nwriters;
		}
		return;
	}
	t->base = rnd_below(rng, 1U << 30);
	t->maxblock = UINT32_MAX;
	top = ngroups - ngroups / 64;
	for (i = 0; i < t->nslots; i++) {
		struct slot	*s = &t->slots[i];
		size_t		g = i / RMAP_GROUP, m = i % RMAP_GROUP;
		uint64_t	gbase;
		unsigned int	k = rnd_below(rng, 100);

		if (g >= top)
			gbase = (1ULL << 32) - (ngroups - g) * RMAP_SPAN;
		else
			gbase = t->base + g * RMAP_SPAN;
		s->key.start = gbase + rnd_below(rng, RMAP_SPAN);
		s->writer = i % t->nwriters;
		s->kind = k < 55 ? SK_DATA : k < 75 ? SK_ATTR :
			  k < 87 ? SK_BMBT : SK_SPECIAL;
		if (s->kind == SK_SPECIAL) {
			s->key.owner = (uint64_t)-1 - ((m + 4 * (g % 2)) %
						       NSPECIAL);
		} else {
			/* Inode numbers: band m, then the group. */
			s->key.owner = 128 + m * 1000000007ULL + g % 100003;
		}
		if (s->kind == SK_DATA || s->kind == SK_ATTR)
			s->key.off = rnd_below(rng, 1ULL << 40);
		if (s->kind == SK_ATTR)
			s->key.off |= RMAP_ATTR;
		if (s->kind == SK_BMBT)
			s->key.off = RMAP_BMBT;
	}
	t->by_start = xrealloc(NULL, t->nslots * sizeof(uint32_t));
	for (i = 0; i < t->nslots; i++)
		t->by_start[i] = i;
	sort_tree = t;
	qsort(t->by_start, t->nslots, sizeof(uint32_t), cmp_by_start);
	for (i = 1; i < t->nslots; i++)
		if (!cmp_by_start(&t->by_start[i - 1], &t->by_start[i]))
			die("two rmap slots share a start and owner");
}

/* A new record for slot @s: its fixed part and a random rest. */
static void
slot_variant(struct tree *t, struct slot *s, uint64_t *rng, struct rec *r)
{
	unsigned int	k = rnd_below(rng, 100);
	uint64_t	len, room;

	*r = s->key;
	if (t->type == T_REFC) {
		uint32_t	a = k < 25 ? 0 : rnd_below(rng, REFC_REGION);

		if (rnd_below(rng, 4) == 0)
			len = REFC_REGION - a;		/* up to the next */
		else
			len = 1 + rnd_below(rng, REFC_REGION - a);
		r->start += a;
		r->len = len;
		if (r->cow)
			r->refc = 1;
		else if (rnd_below(rng, 8) == 0)
			r->refc = 2 + rnd_below(rng, UINT32_MAX - 1);
		else
			r->refc = 2 + rnd_below(rng, 1000);
		return;
	}
	if (k < 75)
		len = 1 + rnd_below(rng, 32);
	else if (k < 95)
		len = 1 + rnd_below(rng, 256);
	else
		len = 1 + rnd_below(rng, RMAP_MAXLEN);
	room = (1ULL << 32) - r->start;
	r->len = len < room ? len : room;
	if (s->kind == SK_DATA && rnd_below(rng, 2))
		r->off |= RMAP_UNWRITTEN;
}

/* The slot an answered record belongs to, or -1 if none can hold it. */
static long
slot_of(struct tree *t, const struct rec *r)
{
	size_t	lo = 0, hi = t->nslots;

	if (t->type == T_REFC) {
		size_t	reg, i;

		if (r->start < t->base)
			return -1;
		reg = (r->start - t->base) / REFC_REGION;
		if (reg >= (r->cow ? t->nslots - t->nshared : t->nshared))
			return -1;
		i = r->cow ? t->nshared + reg : reg;
		return i;
	}
	while (lo < hi) {
		size_t			mid = (lo + hi) / 2;
		const struct slot	*s = &t->slots[t->by_start[mid]];
		int			c = cmp_u64(s->key.start, r->start);

		if (!c)
			c = cmp_u64(s->key.owner, r->owner);
		if (!c) {
			if ((s->key.off & ~RMAP_UNWRITTEN) !=
			    (r->off & ~RMAP_UNWRITTEN))
				return -1;
			return t->by_start[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* ---- the event log ------------------------------------------------------- */

/* Log an event of slot @s (its writer's lock held). */
static struct event *
ev_push(struct slot *s, bool ins, const struct rec *r, uint64_t begin)
{
	struct event	*e = &s->ring[s->nev % SLOT_EVENTS];

	if (s->nev >= SLOT_EVENTS && e->end > s->lost_end)
		s->lost_end = e->end;	/* dropped; in flight: UINT64_MAX */
	e->begin = begin;
	e->end = UINT64_MAX;
	e->ins = ins;
	e->rec = *r;
	s->nev++;
	return e;
}

/*
 * Could record @r of slot @s have been in the btree at some instant of
 * [@t0, @t1]?  (Its writer's lock held.)  *@uncertain is set when the
 * ring lost events that might have decided it.
 */
static bool
ev_possible(const struct slot *s, const struct rec *r, uint64_t t0,
		uint64_t t1, bool *uncertain)
{
	uint64_t	n = s->nev, first = n > SLOT_EVENTS ? n - SLOT_EVENTS : 0;
	uint64_t	k;

	*uncertain = false;
	for (k = first; k < n; k++) {
		const struct event	*e = &s->ring[k % SLOT_EVENTS];

		if (!rec_eq(&e->rec, r))
			continue;
		if (e->ins) {
			if (e->begin > t1)
				continue;	/* came after the read */
			if (k + 1 < n &&
			    s->ring[(k + 1) % SLOT_EVENTS].end < t0)
				continue;	/* gone before it */
			return true;
		}
		if (k == first && first > 0 && e->end >= t0) {
			/* Deleted during the read; its insert was lost. */
			*uncertain = true;
			return true;
		}
	}
	if (first > 0 && s->lost_end >= t0) {
		/* An event lost from the ring ended inside the window. */
		*uncertain = true;
		return true;
	}
	return false;
}

/*
 * Was a record of slot @s in the btree for the whole of [@t0, @t1]?  If
 * so, true and the record in *@r.  (Its writer's lock held.)  The last
 * event begun by @t1 must be an insert that ended before @t0.
 */
static bool
ev_required(const struct slot *s, uint64_t t0, uint64_t t1, struct rec *r)
{
	uint64_t	n = s->nev, first = n > SLOT_EVENTS ? n - SLOT_EVENTS : 0;
	uint64_t	k;

	for (k = n; k > first; k--) {
		const struct event	*e = &s->ring[(k - 1) % SLOT_EVENTS];

		if (e->begin > t1)
			continue;
		if (!e->ins || e->end >= t0)
			return false;
		*r = e->rec;
		return true;
	}
	return false;
}

/* Add the slot's events to a report, times relative to @t0 in µs. */
static void
ev_describe(struct tree *t, const struct slot *s, uint64_t t0, char *rep,
		size_t *len, size_t cap)
{
	uint64_t	n = s->nev, first = n > SLOT_EVENTS ? n - SLOT_EVENTS : 0;
	char		line[LINE_MAX_LEN];

	rep_add(rep, len, cap, "slot events (%" PRIu64 " in all, the last %"
		PRIu64 " kept; times in us from t0):\n", n, n - first);
	for (uint64_t k = first; k < n; k++) {
		const struct event	*e = &s->ring[k % SLOT_EVENTS];

		rec_format(t->type, &e->rec, line);
		rep_add(rep, len, cap, "  %s begin %+.1f end %s%+.1f: %s",
			e->ins ? "insert" : "delete",
			((double)e->begin - (double)t0) / 1000,
			e->end == UINT64_MAX ? "(in flight) " : "",
			e->end == UINT64_MAX ? 0.0 :
			((double)e->end - (double)t0) / 1000, line);
	}
}

/* ---- asking -------------------------------------------------------------- */

/* How much the next read() asks for, by the answer's read mode. */
static size_t
read_size(struct qstate *q, unsigned int mode, size_t done)
{
	static const uint32_t	odd[] = { 1, 2, 3, 63, 64, 65, 511, 4095,
					  4096, 4097 };

	/* Tiny reads for the first 16 KiB, then ordinary ones. */
	if ((mode == 1 || mode == 2) && done >= 16384)
		mode = 0;
	switch (mode) {
	case 1:
		return 1 + rnd_below(&q->rng, 16);
	case 2:
		return odd[rnd_below(&q->rng, sizeof(odd) / sizeof(odd[0]))];
	case 3:
		return ANSWER_CHUNK;
	case 4:
		return 1 << 20;
	default:
		return 1 + rnd_below(&q->rng, 4096);
	}
}

/*
 * Write q->query and read the whole answer into q->buf, in reads of the
 * sizes @mode picks (-1: plain 64 KiB reads).  Sets *@t0 (before the
 * query is written) and *@t1 (after the read that returned 0).  0 or
 * -errno.
 */
static int
ask(struct qstate *q, int mode, uint64_t *t0, uint64_t *t1)
{
	size_t	qlen = strlen(q->query);
	ssize_t	r;

	if (q->fd >= 0 && q->fd_uses >= 1 + rnd_below(&q->rng, 200)) {
		close(q->fd);
		q->fd = -1;
		cnt_add(&q->t->c.reopen, 1);
	}
	if (q->fd < 0) {
		q->fd = open(q->t->path_lookup, O_RDWR);
		if (q->fd < 0)
			return -errno;
		q->fd_uses = 0;
	}
	q->fd_uses++;
	/*
	 * Now and then a query whose answer is left half read: the next
	 * write must replace it (and reset where the answer resumes).
	 */
	if (mode >= 0 && q->fd_uses > 1 && rnd_below(&q->rng, 20) == 0) {
		char	junk[4096];
		char	other[64];
		size_t	olen = snprintf(other, sizeof(other), "range %u %u\n",
					0, q->t->maxblock);

		if (write(q->fd, other, olen) != (ssize_t)olen)
			return -errno;
		if (read(q->fd, junk, 1 + rnd_below(&q->rng, sizeof(junk))) < 0)
			return -errno;
		cnt_add(&q->t->c.abandoned, 1);
	}
	q->len = 0;
	q->nrecs = 0;
	q->nsizes = 0;
	q->nreads = 0;
	*t0 = now_ns();
	r = write(q->fd, q->query, qlen);
	if (r != (ssize_t)qlen)
		return r < 0 ? -errno : -EIO;
	for (;;) {
		size_t	want = mode < 0 ? ANSWER_CHUNK :
				read_size(q, mode, q->len);

		if (q->len + want + 1 > q->cap) {
			q->cap = (q->len + want + 1) * 2;
			q->buf = xrealloc(q->buf, q->cap);
		}
		r = read(q->fd, q->buf + q->len, want);
		if (r < 0)
			return -errno;
		if (q->nsizes < sizeof(q->sizes) / sizeof(q->sizes[0]))
			q->sizes[q->nsizes++] = want;
		q->nreads++;
		if (r == 0)
			break;
		q->len += r;
	}
	*t1 = now_ns();
	q->buf[q->len] = '\0';
	return 0;
}

static bool
answer_has(struct tree *t, const char *buf, size_t len, const struct rec *r)
{
	char	line[LINE_MAX_LEN];
	size_t	n = rec_format(t->type, r, line);
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char	*nl = memchr(p, '\n', end - p);
		size_t		l = (nl ? nl + 1 : end) - p;

		if (l == n && !memcmp(p, line, n))
			return true;
		p += l;
	}
	return false;
}

/*
 * After a wrong answer: ask q->query again, keep the answer in
 * @dir/@name, and add to the report (@rep, *@len, @cap) whether record
 * @r (if any) is in it.
 */
static void
ask_again(struct qstate *q, const struct rec *r, const char *dir,
		const char *name, const char *when, char *rep, size_t *len,
		size_t cap)
{
	uint64_t	t0, t1;
	int		error = ask(q, -1, &t0, &t1);

	spit(dir, name, q->buf, error ? 0 : q->len);
	rep_add(rep, len, cap, "asked again %s: %s%s\n", when,
		error ? strerror(-error) : "answered",
		error || !r ? "" : answer_has(q->t, q->buf, q->len, r) ?
		", the record is there" : ", the record is missing");
}

/*
 * A wrong answer: keep everything that may explain it (see the file
 * header) and stop the run.  @slot is the slot of the record concerned
 * (-1 if none); @r the record (NULL if none).
 */
static void __attribute__((format(printf, 6, 7)))
miss(struct qstate *q, uint64_t t0, uint64_t t1, long slot,
		const struct rec *r, const char *fmt, ...)
{
	struct tree	*t = q->t;
	char		dir[4096], *rep, line[LINE_MAX_LEN] = "";
	size_t		cap = 1 << 16, len = 0;
	struct qstate	again = { .t = t, .rng = q->rng, .fd = -1 };
	size_t		qlen = strcspn(q->query, "\n");
	unsigned int	n, i, pages;
	va_list		ap;

	pthread_mutex_lock(&miss_lock);
	n = ++nmisses;
	rep = xrealloc(NULL, cap);
	va_start(ap, fmt);
	len = vsnprintf(rep, cap, fmt, ap);
	va_end(ap);
	len = len < cap ? len : cap - 1;
	fprintf(stderr, "xfbt_ranges: MISS %u (%s, %s): %s\n", n, q->who,
		t->dir, rep);
	if (n > 1 || !keepdir) {
		/* The first miss is kept whole; the others are only told. */
		pthread_mutex_unlock(&miss_lock);
		__atomic_store_n(&stop_all, 1, __ATOMIC_RELEASE);
		free(rep);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/miss.%u", keepdir, n);
	mkdir(keepdir, 0755);
	mkdir(dir, 0755);
	if (r)
		rec_format(t->type, r, line);
	rep_add(rep, &len, cap, "\nbtree %s (%s), asked by %s\n",
		t->dir, t->type == T_RMAP ? "rmap" : "refcount", q->who);
	if (q->query[0]) {
		rep_add(rep, &len, cap, "query: '%.*s'%s; read in %.1f us: "
			"%zu bytes, %zu records, %" PRIu64 " reads of sizes",
			(int)qlen, q->query,
			q->query[qlen + 1] ? " and a second range" : "",
			t1 > t0 ? (double)(t1 - t0) / 1000 : 0.0, q->len,
			q->nrecs, q->nreads);
		for (i = 0; i < q->nsizes; i++)
			rep_add(rep, &len, cap, " %u", q->sizes[i]);
		rep_add(rep, &len, cap, "%s\n",
			q->nreads > q->nsizes ? " ..." : "");
	}
	rep_add(rep, &len, cap, "record: %s", r ? line : "-\n");
	spit(dir, "answer.txt", q->buf, q->len);
	spit(dir, "query.txt", q->query, strlen(q->query));

	/* At once, while the writers go on. */
	memcpy(again.query, q->query, sizeof(again.query));
	if (q->query[0])
		ask_again(&again, r, dir, "again.txt", "at once", rep, &len,
			  cap);

	/* Stop the writers (but us), then ask again on a still btree. */
	__atomic_store_n(&stop_all, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3000 && __atomic_load_n(&writers_running,
				__ATOMIC_ACQUIRE) > (q->is_writer ? 1 : 0); i++)
		usleep(10000);
	if (q->query[0])
		ask_again(&again, r, dir, "quiet.txt",
			  "with the writers stopped", rep, &len, cap);
	if (again.fd >= 0)
		close(again.fd);
	free(again.buf);

	if (slot >= 0) {
		struct slot	*s = &t->slots[slot];

		pthread_mutex_lock(&t->writers[s->writer].lock);
		ev_describe(t, s, t0, rep, &len, cap);
		pthread_mutex_unlock(&t->writers[s->writer].lock);
	}
	pages = keep_btree(t->type, t->dir, dir, r ? r : &(struct rec){ 0 });
	rep_add(rep, &len, cap, "kept: query.txt, answer.txt, again.txt, "
		"quiet.txt, check.txt, stats.txt, records.txt, errors.txt, "
		"%u pages in pages/\n", pages);
	spit(dir, "report.txt", rep, len);
	fprintf(stderr, "xfbt_ranges: miss %u kept in %s\n", n, dir);
	pthread_mutex_unlock(&miss_lock);
	free(rep);
}

/* Binary search of the part checked for a record with @r's key. */
static const struct rec *
answer_find(struct qstate *q, const struct rec *r)
{
	size_t	lo = 0, hi = q->npart;

	while (lo < hi) {
		size_t	mid = (lo + hi) / 2;
		int	c = rec_cmp_key(q->t->type, &q->part[mid], r);

		if (!c)
			return &q->part[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * If slot @i held one record for the whole of [@t0, @t1] and it overlaps
 * lo..hi, it must be in the parsed answer, unchanged; else report it and
 * set *@failed.
 */
static void
check_required_slot(struct qstate *q, size_t i, uint32_t lo, uint32_t hi,
		uint64_t t0, uint64_t t1, bool *failed)
{
	struct tree	*t = q->t;
	struct slot	*s = &t->slots[i];
	struct rec	r;
	const struct rec *got;
	bool		req;

	pthread_mutex_lock(&t->writers[s->writer].lock);
	req = ev_required(s, t0, t1, &r);
	pthread_mutex_unlock(&t->writers[s->writer].lock);
	if (!req || !rec_overlaps(&r, lo, hi))
		return;
	got = answer_find(q, &r);
	if (got && rec_eq(got, &r)) {
		cnt_add(&t->c.required, 1);
		return;
	}
	*failed = true;
	if (got) {
		char	l[LINE_MAX_LEN];

		rec_format(t->type, got, l);
		l[strlen(l) - 1] = '\0';
		miss(q, t0, t1, i, &r,
		     "range %u %u: a record there throughout the read came "
		     "back changed, as '%s'", lo, hi, l);
	} else {
		miss(q, t0, t1, i, &r,
		     "range %u %u: a record there throughout the read is "
		     "missing", lo, hi);
	}
}

/*
 * Check the records q->part[0..npart) of the answer to `range lo hi`
 * read in [@t0, @t1] (see the file header).  True if right.
 */
static bool
check_part(struct qstate *q, uint32_t lo, uint32_t hi, uint64_t t0,
		uint64_t t1)
{
	struct tree	*t = q->t;
	bool		failed = false;
	size_t		i;

	/* Each one in range, above the one before, one that could be. */
	for (i = 0; i < q->npart; i++) {
		const struct rec *r = &q->part[i];
		long		slot = slot_of(t, r);
		bool		ok, unsure;

		if (i > 0 && rec_cmp_key(t->type, r - 1, r) >= 0) {
			miss(q, t0, t1, slot, r, "range %u %u: record %zu is "
			     "not above the one before it", lo, hi, i + 1);
			return false;
		}
		if (!rec_overlaps(r, lo, hi)) {
			miss(q, t0, t1, slot, r, "range %u %u: record %zu "
			     "does not overlap the range", lo, hi, i + 1);
			return false;
		}
		if (slot < 0) {
			miss(q, t0, t1, -1, r, "range %u %u: record %zu was "
			     "never written", lo, hi, i + 1);
			return false;
		}
		pthread_mutex_lock(&t->writers[t->slots[slot].writer].lock);
		ok = ev_possible(&t->slots[slot], r, t0, t1, &unsure);
		pthread_mutex_unlock(&t->writers[t->slots[slot].writer].lock);
		if (unsure)
			cnt_add(&t->c.uncertain, 1);
		if (!ok) {
			miss(q, t0, t1, slot, r, "range %u %u: record %zu was "
			     "not in the btree at any time during the read",
			     lo, hi, i + 1);
			return false;
		}
	}
	cnt_add(&t->c.records, q->npart);

	/* Every record there throughout, if it overlaps, is in it. */
	if (t->type == T_REFC) {
		for (int cow = 0; cow < 2 && !failed; cow++) {
			size_t	nreg = cow ? t->nslots - t->nshared : t->nshared;
			size_t	off = cow ? t->nshared : 0;
			uint64_t first, last;

			if (hi < t->base)
				continue;
			first = lo < t->base ? 0 : (lo - t->base) / REFC_REGION;
			last = (hi - t->base) / REFC_REGION;
			for (i = first; i <= last && i < nreg && !failed; i++)
				check_required_slot(q, off + i, lo, hi, t0,
						    t1, &failed);
		}
		return !failed;
	}
	{
		uint64_t	from = lo >= RMAP_MAXLEN ? lo - RMAP_MAXLEN + 1 : 0;
		size_t		a = 0, b = t->nslots;

		while (a < b) {
			size_t	mid = (a + b) / 2;

			if (t->slots[t->by_start[mid]].key.start < from)
				a = mid + 1;
			else
				b = mid;
		}
		for (i = a; i < t->nslots && !failed &&
		     t->slots[t->by_start[i]].key.start <= hi; i++)
			check_required_slot(q, t->by_start[i], lo, hi, t0, t1,
					    &failed);
	}
	return !failed;
}

/*
 * Ask range lo..hi and check the answer.  Now and then (not for writers)
 * a second range goes in the same write, below the first and at least
 * the longest extent away from it, so that no record overlaps both: the
 * answer must then be the first range's records, then the second's.
 * True if right.
 */
static bool
query_check(struct qstate *q, uint32_t lo, uint32_t hi)
{
	struct tree	*t = q->t;
	uint32_t	gap = t->type == T_REFC ? REFC_REGION : RMAP_MAXLEN;
	uint32_t	lo2 = 0, hi2 = 0;
	uint64_t	t0, t1;
	const char	*p, *end;
	int		mode = rnd_below(&q->rng, 100), error;
	size_t		split;
	bool		two = false;

	mode = mode < 50 ? 0 : mode < 65 ? 1 : mode < 80 ? 2 :
	       mode < 90 ? 3 : 4;
	if (!q->is_writer && lo > 2 * gap && rnd_below(&q->rng, 8) == 0) {
		hi2 = lo - gap - 1 - rnd_below(&q->rng, lo - 2 * gap);
		lo2 = hi2 - rnd_below(&q->rng, hi2 < 4096 ? hi2 + 1 : 4096);
		two = true;
	}
	snprintf(q->query, sizeof(q->query), two ? "range %u %u\nrange %u %u\n" :
		 "range %u %u\n", lo, hi, lo2, hi2);
	error = ask(q, mode, &t0, &t1);
	if (error) {
		miss(q, 0, 0, -1, NULL, "%.*s: %s",
		     (int)strcspn(q->query, "\n"), q->query, strerror(-error));
		return false;
	}
	cnt_add(&t->c.answers, 1);
	cnt_add(&t->c.reads, q->nreads);
	cnt_add(&t->c.bytes, q->len);
	cnt_add(&t->c.windows, q->len / ANSWER_CHUNK);

	/* Every line a record. */
	q->nrecs = 0;
	p = q->buf;
	end = q->buf + q->len;
	while (p < end) {
		const char	*nl = memchr(p, '\n', end - p);

		if (q->nrecs == q->recs_cap) {
			q->recs_cap = q->recs_cap ? 2 * q->recs_cap : 1024;
			q->recs = xrealloc(q->recs,
					   q->recs_cap * sizeof(*q->recs));
		}
		if (!nl || !rec_parse(t->type, p, nl, &q->recs[q->nrecs])) {
			miss(q, t0, t1, -1, NULL,
			     "%.*s: line %zu is not a record: '%.*s'",
			     (int)strcspn(q->query, "\n"), q->query,
			     q->nrecs + 1, (int)((nl ? nl : end) - p > 100 ?
				   100 : (nl ? nl : end) - p), p);
			return false;
		}
		p = nl + 1;
		q->nrecs++;
	}

	/* The first range's part ends at the first record outside it. */
	for (split = 0; two && split < q->nrecs &&
	     rec_overlaps(&q->recs[split], lo, hi); split++)
		;
	if (!two)
		split = q->nrecs;
	q->part = q->recs;
	q->npart = split;
	if (!check_part(q, lo, hi, t0, t1))
		return false;
	if (!two)
		return true;
	cnt_add(&t->c.doubles, 1);
	q->part = q->recs + split;
	q->npart = q->nrecs - split;
	return check_part(q, lo2, hi2, t0, t1);
}

/* ---- writers --------------------------------------------------------------- */

/*
 * One write() of @buf to @fd, logged: events for @n slots (their records
 * in @recs) before, their end times after.  0, or the errno of a failed
 * write (nothing logged then stays in flight: the caller stops).
 */
static int
logged_write(struct writer *w, int fd, bool ins, const char *buf,
		size_t len, const uint32_t *slots, const struct rec *recs,
		size_t n)
{
	struct tree	*t = w->t;
	struct event	*evs[64];
	ssize_t		r;
	uint64_t	now;
	size_t		i;

	pthread_mutex_lock(&w->lock);
	now = now_ns();
	for (i = 0; i < n; i++)
		evs[i] = ev_push(&t->slots[slots[i]], ins, &recs[i], now);
	pthread_mutex_unlock(&w->lock);
	r = write(fd, buf, len);
	if (r != (ssize_t)len)
		return r < 0 ? errno : EIO;
	pthread_mutex_lock(&w->lock);
	now = now_ns();
	for (i = 0; i < n; i++)
		evs[i]->end = now;
	pthread_mutex_unlock(&w->lock);
	cnt_add(&t->c.writes, 1);
	cnt_add(ins ? &t->c.inserted : &t->c.deleted, n);
	for (i = 0; i < n; i++) {
		struct slot	*s = &t->slots[slots[i]];

		s->present = ins;
		s->cur = recs[i];
	}
	return 0;
}

/* A delete line for @r: rmap the whole record, refcount either form. */
static size_t
delete_line(struct writer *w, const struct rec *r, char *buf)
{
	if (w->t->type == T_REFC && rnd_below(&w->q.rng, 2))
		return sprintf(buf, "%u%s\n", r->start, r->cow ? " cow" : "");
	return rec_format(w->t->type, r, buf);
}

/* Pick up to @n distinct slots of @w that are (@present) or are not. */
static size_t
pick(struct writer *w, bool present, size_t n, uint32_t *out)
{
	size_t	got = 0, tries;

	for (tries = 0; got < n && tries < 8 * n; tries++) {
		uint32_t	i = w->slots[rnd_below(&w->q.rng, w->nslots)];
		size_t		j;

		if (w->t->slots[i].present != present)
			continue;
		for (j = 0; j < got && out[j] != i; j++)
			;
		if (j == got)
			out[got++] = i;
	}
	return got;
}

/* Why a writer stops: what went wrong (NULL: nothing) and the errno. */
struct wfail {
	const char	*what;
	int		err;		/* 0: the write succeeded */
};

/*
 * One write for @n slots: new records into absent slots (@ins), or the
 * present records out.  After an insert, *@check (if given) is one of
 * the new records, picked at random.  False on a failure (in *@f).
 */
static bool
do_batch(struct writer *w, const uint32_t *slots, size_t n, bool ins,
		struct rec *check, struct wfail *f)
{
	struct tree	*t = w->t;
	struct rec	recs[64] = { { 0 } };
	char		buf[64 * LINE_MAX_LEN] = "";
	size_t		len = 0, i;
	int		err;

	for (i = 0; i < n; i++) {
		if (ins) {
			slot_variant(t, &t->slots[slots[i]], &w->q.rng,
				     &recs[i]);
			len += rec_format(t->type, &recs[i], buf + len);
		} else {
			recs[i] = t->slots[slots[i]].cur;
			len += delete_line(w, &recs[i], buf + len);
		}
	}
	err = logged_write(w, ins ? w->ins_fd : w->del_fd, ins, buf, len,
			   slots, recs, n);
	if (err) {
		f->what = ins ? "an insert write" : "a delete write";
		f->err = err;
		return false;
	}
	if (check && n)
		*check = recs[rnd_below(&w->q.rng, n)];
	return true;
}

/*
 * A write that must fail and change nothing: new records for absent
 * slots with a duplicate of a present one among them (EEXIST), or
 * present records to delete with one that is not there (ENOENT).  False
 * if it did not fail so (in *@f).
 */
static bool
do_refused(struct writer *w, bool ins, struct wfail *f)
{
	struct tree	*t = w->t;
	uint32_t	slots[16], bad;
	struct rec	r;
	char		buf[17 * LINE_MAX_LEN];
	size_t		len = 0, n, i, at;
	ssize_t		got;
	int		want = ins ? EEXIST : ENOENT;

	/* The bad one: present for an insert, absent for a delete. */
	if (!pick(w, ins, 1, &bad))
		return true;
	n = pick(w, !ins, 1 + rnd_below(&w->q.rng, 16), slots);
	at = rnd_below(&w->q.rng, n + 1);
	for (i = 0; i <= n; i++) {
		if (i == at) {
			/* The bad line. */
			if (ins) {
				/* Same key, another length: a duplicate. */
				r = t->slots[bad].cur;
				r.len = r.len > 1 ? r.len - 1 : 1;
				len += rec_format(t->type, &r, buf + len);
			} else {
				slot_variant(t, &t->slots[bad], &w->q.rng, &r);
				len += rec_format(t->type, &r, buf + len);
			}
		}
		if (i == n)
			break;
		if (ins) {
			slot_variant(t, &t->slots[slots[i]], &w->q.rng, &r);
			len += rec_format(t->type, &r, buf + len);
		} else {
			len += delete_line(w, &t->slots[slots[i]].cur,
					   buf + len);
		}
	}
	got = write(ins ? w->ins_fd : w->del_fd, buf, len);
	if (got >= 0 || errno != want) {
		f->what = ins ? "an insert write that must fail with EEXIST" :
			  "a delete write that must fail with ENOENT";
		f->err = got >= 0 ? 0 : errno;
		return false;
	}
	cnt_add(&t->c.refused, 1);
	return true;
}

/*
 * One writer: random operations on its slots until the run stops.  Each
 * operation holds the tree's pause lock for reading (the reloader takes
 * it for writing, so that no write of ours is under way during a load).
 * After a quarter of its inserts it asks for one of the new records at
 * once, as stress.sh does: it must be there.
 */
static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct tree	*t = w->t;
	uint32_t	slots[64];
	struct rec	check;
	struct wfail	f = { NULL, 0 };
	size_t		n, max;
	unsigned int	op;
	bool		ok = true, ask_it;

	while (ok && !stopping()) {
		/*
		 *   0..54  toggle a batch: absent slots in, present ones out
		 *  55..74  update a batch: delete, then new records
		 *  75..81  an insert that must fail (EEXIST)
		 *  82..86  a delete that must fail (ENOENT)
		 *  87..99  toggle, one line per write
		 */
		op = rnd_below(&w->q.rng, 100);
		max = op >= 87 ? 1 : rnd_below(&w->q.rng, 3) ? 8 : 64;
		ask_it = false;
		pthread_rwlock_rdlock(&t->pause);
		if (op < 55 || op >= 87) {
			n = pick(w, false, 1 + rnd_below(&w->q.rng, max), slots);
			ask_it = n && rnd_below(&w->q.rng, 4) == 0;
			if (n)
				ok = do_batch(w, slots, n, true, &check, &f);
			n = pick(w, true, 1 + rnd_below(&w->q.rng, max), slots);
			if (ok && n)
				ok = do_batch(w, slots, n, false, NULL, &f);
		} else if (op < 75) {
			n = pick(w, true, 1 + rnd_below(&w->q.rng, max), slots);
			if (n)
				ok = do_batch(w, slots, n, false, NULL, &f) &&
				     do_batch(w, slots, n, true, NULL, &f);
		} else {
			ok = do_refused(w, op < 82, &f);
		}
		pthread_rwlock_unlock(&t->pause);
		if (ok && ask_it) {
			uint32_t	b = rnd_below(&w->q.rng, 2) ? check.start :
					    check.start + check.len - 1;

			cnt_add(&t->c.self_checks, 1);
			ok = query_check(&w->q, b, b);
		}
	}
	if (f.what) {
		w->q.query[0] = '\0';	/* no query to ask again */
		w->q.len = 0;
		miss(&w->q, 0, 0, -1, NULL, "%s: %s", f.what,
		     f.err ? strerror(f.err) : "succeeded");
	}
	__atomic_fetch_sub(&writers_running, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- the reloader ------------------------------------------------------ */

/*
 * Every 0.2 to 3 s, with the writers paused: a bulk load of what the
 * slots hold, one slot in twenty changed (a new record, one removed, one
 * added), logged like a write of every changed slot.  The daemon swaps
 * the new btree in at the close; readers in the middle of an answer go
 * on in the new btree from their resume key.
 */
static void *
reloader_main(void *arg)
{
	struct tree	*t = arg;
	uint64_t	rng = t->seed ^ 0x5e10adULL, begin, end;
	size_t		cap = t->nslots * LINE_MAX_LEN, len, i, nch;
	char		*buf = xrealloc(NULL, cap + 16);
	uint32_t	*changed = xrealloc(NULL, t->nslots * sizeof(uint32_t));
	struct rec	*old = xrealloc(NULL, t->nslots * sizeof(struct rec));
	bool		*was = xrealloc(NULL, t->nslots * sizeof(bool));
	const char	*what = NULL;
	int		fd, err = 0;

	while (!stopping()) {
		uint64_t	wait = 200 + rnd_below(&rng, 2800);

		for (; wait && !stopping(); wait -= wait < 50 ? wait : 50)
			usleep(50000);
		if (stopping())
			break;
		pthread_rwlock_wrlock(&t->pause);
		len = nch = 0;
		for (i = 0; i < t->nslots; i++) {
			struct slot	*s = &t->slots[i];

			if (rnd_below(&rng, 20) == 0) {
				changed[nch] = i;
				old[nch] = s->cur;
				was[nch++] = s->present;
				if (s->present && rnd_below(&rng, 3) == 0) {
					s->present = false;
				} else {
					slot_variant(t, s, &rng, &s->cur);
					s->present = true;
				}
			}
			if (s->present)
				len += rec_format(t->type, &s->cur, buf + len);
		}
		if (!len)	/* a load of nothing must still empty it */
			len = sprintf(buf, "# no records\n");
		begin = now_ns();
		/* Events first, as a writer logs before its write. */
		for (i = 0; i < nch; i++) {
			struct slot	*s = &t->slots[changed[i]];
			struct writer	*w = &t->writers[s->writer];

			pthread_mutex_lock(&w->lock);
			if (was[i])
				ev_push(s, false, &old[i], begin);
			if (s->present)
				ev_push(s, true, &s->cur, begin);
			pthread_mutex_unlock(&w->lock);
		}
		fd = open(t->path_load, O_WRONLY);
		if (fd < 0) {
			what = "open load";
			err = errno;
		} else {
			if (write(fd, buf, len) != (ssize_t)len) {
				what = "a write to load";
				err = errno;
			}
			if (close(fd) && !what) {
				what = "closing load (the bulk load)";
				err = errno;
			}
		}
		end = now_ns();
		for (i = 0; i < nch && !what; i++) {
			struct slot	*s = &t->slots[changed[i]];
			struct writer	*w = &t->writers[s->writer];
			uint64_t	k;

			pthread_mutex_lock(&w->lock);
			for (k = s->nev - (was[i] && s->present ? 2 : 1);
			     k < s->nev; k++)
				s->ring[k % SLOT_EVENTS].end = end;
			pthread_mutex_unlock(&w->lock);
		}
		pthread_rwlock_unlock(&t->pause);
		if (what) {
			struct qstate	q = { .t = t, .who = "reloader",
					      .fd = -1 };

			miss(&q, 0, 0, -1, NULL, "%s: %s", what, strerror(err));
			break;
		}
		cnt_add(&t->c.loads, 1);
		cnt_add(&t->c.load_changes, nch);
	}
	free(was);
	free(old);
	free(changed);
	free(buf);
	return NULL;
}

/* ---- readers ----------------------------------------------------------- */

/* A range to ask: the whole space, a window, around a slot, one block. */
static void
pick_range(struct qstate *q, uint32_t *lo, uint32_t *hi)
{
	struct tree	*t = q->t;
	unsigned int	k = rnd_below(&q->rng, 100);
	uint64_t	a, w, span, unit, back;
	const struct slot *s = &t->slots[rnd_below(&q->rng, t->nslots)];

	span = t->type == T_REFC ? (uint64_t)t->nshared * REFC_REGION :
	       (uint64_t)t->nslots / RMAP_GROUP * RMAP_SPAN;
	if (k < 6) {
		*lo = 0;
		*hi = t->maxblock;
		return;
	}
	if (k < 40) {
		/* A window of 2^0 .. 2^log2(span) blocks. */
		unsigned int	bits = 64 - __builtin_clzll(span);

		w = 1ULL << rnd_below(&q->rng, bits + 1);
		w = w / 2 + rnd_below(&q->rng, w / 2 + 1);
		a = t->base + rnd_below(&q->rng, span + RMAP_MAXLEN);
		back = rnd_below(&q->rng, w + 1);
		a = a > back ? a - back : 0;
	} else if (k < 75) {
		/* Near a slot: a few blocks around its start. */
		a = s->key.start + rnd_below(&q->rng, 48);
		a = a >= 16 ? a - 16 : 0;
		w = rnd_below(&q->rng, 2) ? 0 : rnd_below(&q->rng, 64);
	} else if (k < 90) {
		/* One block, somewhere records may be. */
		a = s->key.start + rnd_below(&q->rng, REFC_REGION + 8);
		w = 0;
	} else {
		/*
		 * The first or last block of a refcount region or an rmap
		 * group's span, or the one before or after; to there or to
		 * the top of the space.
		 */
		unit = t->type == T_REFC ? REFC_REGION : RMAP_SPAN;
		a = s->key.start - (s->key.start - t->base) % unit;
		switch (rnd_below(&q->rng, 4)) {
		case 0: a = a ? a - 1 : 0; break;
		case 1: break;
		case 2: a += unit - 1; break;
		default: a += unit; break;
		}
		w = rnd_below(&q->rng, 2) ? 0 : t->maxblock;
	}
	if (a > t->maxblock)
		a = t->maxblock - rnd_below(&q->rng, 4);
	*lo = a;
	*hi = a + w > t->maxblock ? t->maxblock : a + w;
}

static void *
reader_main(void *arg)
{
	struct reader	*rd = arg;
	uint32_t	lo, hi;

	while (!stopping()) {
		pick_range(&rd->q, &lo, &hi);
		if (!query_check(&rd->q, lo, hi))
			break;
	}
	return NULL;
}

/* ---- setup and the end ----------------------------------------------------- */

static int
write_file(const char *path, const char *text)
{
	int	fd = open(path, O_WRONLY);
	ssize_t	r;

	if (fd < 0)
		return -errno;
	r = write(fd, text, strlen(text));
	if (r != (ssize_t)strlen(text)) {
		r = r < 0 ? -errno : -EIO;
		close(fd);
		return r;
	}
	return close(fd) ? -errno : 0;
}

/*
 * Fill about half the slots before the threads start, through `insert`
 * (writes of 400 lines) or `load` (one bulk load: full blocks), logged
 * like any write.
 */
static void
prefill(struct tree *t, uint64_t *rng)
{
	bool		load = rnd_below(rng, 2);
	size_t		cap = 400 * LINE_MAX_LEN, len = 0, i, j, n = 0;
	char		*buf = xrealloc(NULL, cap);
	uint32_t	*idx = xrealloc(NULL, t->nslots * sizeof(uint32_t));
	uint64_t	begin = now_ns(), end;
	int		fd;

	fd = open(load ? t->path_load : t->path_insert, O_WRONLY);
	if (fd < 0)
		die("open %s: %s", load ? t->path_load : t->path_insert,
		    strerror(errno));
	for (i = 0; i <= t->nslots; i++) {
		if (i == t->nslots || len + LINE_MAX_LEN > cap) {
			if (write(fd, buf, len) != (ssize_t)len)
				die("prefill of %s: %s", t->dir,
				    strerror(errno));
			len = 0;
			if (i == t->nslots)
				break;
		}
		if (rnd_below(rng, 2))
			continue;
		slot_variant(t, &t->slots[i], rng, &t->slots[i].cur);
		len += rec_format(t->type, &t->slots[i].cur, buf + len);
		idx[n++] = i;
	}
	if (close(fd))
		die("closing %s after the prefill: %s", load ? "load" :
		    "insert", strerror(errno));
	end = now_ns();
	for (j = 0; j < n; j++) {
		struct slot	*s = &t->slots[idx[j]];

		ev_push(s, true, &s->cur, begin)->end = end;
		s->present = true;
	}
	printf("%s: %zu of %zu slots filled by %s\n", t->dir, n, t->nslots,
	       load ? "a bulk load" : "inserts");
	free(idx);
	free(buf);
}

static int
cmp_rec_key(const void *a, const void *b)
{
	return rec_cmp_key(sort_tree->type, a, b);
}

/* After the threads: `records` is exactly what the slots hold; check ok. */
static bool
final_check(struct tree *t)
{
	char		path[4096], *buf, line[LINE_MAX_LEN];
	struct rec	*want = xrealloc(NULL, t->nslots * sizeof(*want));
	size_t		n = 0, len, i, off = 0, l;
	bool		ok = true;
	int		error;

	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].present)
			want[n++] = t->slots[i].cur;
	sort_tree = t;
	qsort(want, n, sizeof(*want), cmp_rec_key);
	snprintf(path, sizeof(path), "%s/records", t->dir);
	error = slurp(path, &buf, &len);
	if (error)
		die("reading %s: %s", path, strerror(-error));
	for (i = 0; i < n && ok; i++) {
		l = rec_format(t->type, &want[i], line);
		if (off + l > len || memcmp(buf + off, line, l)) {
			fprintf(stderr, "xfbt_ranges: %s: records differ from "
				"what the writers left, at record %zu: want "
				"'%.*s', got '%.*s'\n", t->dir, i + 1,
				(int)l - 1, line,
				(int)strcspn(buf + off, "\n"), buf + off);
			ok = false;
		}
		off += l;
	}
	if (ok && off != len) {
		fprintf(stderr, "xfbt_ranges: %s: records holds more than the "
			"%zu the writers left: '%.*s'\n", t->dir, n,
			(int)strcspn(buf + off, "\n"), buf + off);
		ok = false;
	}
	free(buf);
	free(want);
	snprintf(path, sizeof(path), "%s/check", t->dir);
	error = slurp(path, &buf, &len);
	if (error)
		die("reading %s: %s", path, strerror(-error));
	if (strcmp(buf, "ok\n")) {
		fprintf(stderr, "xfbt_ranges: %s: check says: %.300s\n",
			t->dir, buf);
		ok = false;
	}
	free(buf);
	return ok;
}

static void
tree_setup(struct tree *t, unsigned int nw, unsigned int nr, uint64_t *rng)
{
	const char	*tname = t->type == T_RMAP ? "rmap" : "refcount";
	char		path[4096];
	unsigned int	i;
	int		error;

	snprintf(t->path_insert, sizeof(t->path_insert), "%s/insert", t->dir);
	snprintf(t->path_delete, sizeof(t->path_delete), "%s/delete", t->dir);
	snprintf(t->path_lookup, sizeof(t->path_lookup), "%s/lookup", t->dir);
	snprintf(t->path_load, sizeof(t->path_load), "%s/load", t->dir);
	snprintf(path, sizeof(path), "%s/type", t->dir);
	error = write_file(path, tname);
	if (error)
		die("setting %s to %s: %s", path, tname, strerror(-error));
	t->nwriters = nw;
	t->nreaders = nr;
	t->seed = rnd(rng);
	{
		pthread_rwlockattr_t	attr;

		/* The reloader must get its turn between the writers. */
		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr,
				PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&t->pause, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	slots_init(t, rng);
	t->writers = calloc(nw, sizeof(*t->writers));
	t->readers = calloc(nr, sizeof(*t->readers));
	if (!t->writers || !t->readers)
		die("out of memory");
	for (i = 0; i < nw; i++) {
		struct writer	*w = &t->writers[i];

		w->t = t;
		w->id = i;
		pthread_mutex_init(&w->lock, NULL);
		snprintf(w->name, sizeof(w->name), "%s writer %u", tname, i);
		w->q = (struct qstate){ .t = t, .who = w->name,
					.rng = rnd(rng), .fd = -1,
					.is_writer = true };
		w->slots = xrealloc(NULL, (t->nslots / nw + 1) *
					   sizeof(uint32_t));
	}
	for (size_t s = 0; s < t->nslots; s++) {
		struct writer	*w = &t->writers[t->slots[s].writer];

		w->slots[w->nslots++] = s;
	}
	for (i = 0; i < nr; i++) {
		struct reader	*rd = &t->readers[i];

		snprintf(rd->name, sizeof(rd->name), "%s reader %u", tname, i);
		rd->q = (struct qstate){ .t = t, .who = rd->name,
					 .rng = rnd(rng), .fd = -1 };
	}
	prefill(t, rng);
	for (i = 0; i < nw; i++) {
		struct writer	*w = &t->writers[i];

		w->ins_fd = open(t->path_insert, O_WRONLY);
		w->del_fd = open(t->path_delete, O_WRONLY);
		if (w->ins_fd < 0 || w->del_fd < 0)
			die("open %s: %s", t->dir, strerror(errno));
	}
}

static void
summary(struct tree *t, double secs)
{
	struct counters	*c = &t->c;

	printf("%s (%s): %" PRIu64 " answers checked (%" PRIu64
	       " by writers right after an insert, %" PRIu64
	       " to two ranges), %" PRIu64
	       " records in them checked, %" PRIu64
	       " of them required (there throughout the read) and found; "
	       "%.1f MiB read in %" PRIu64 " reads, %" PRIu64
	       " answer windows resumed; %" PRIu64 " writes (%" PRIu64
	       " records inserted, %" PRIu64 " deleted), %" PRIu64
	       " refused as they must be; %" PRIu64 " half-read answers "
	       "replaced, %" PRIu64 " reopens; %" PRIu64
	       " uncertain records; %" PRIu64 " bulk loads (%" PRIu64
	       " slots changed by them); %.0f s\n",
	       t->dir, t->type == T_RMAP ? "rmap" : "refcount", c->answers,
	       c->self_checks, c->doubles, c->records, c->required,
	       (double)c->bytes / 1048576,
	       c->reads, c->windows, c->writes, c->inserted, c->deleted,
	       c->refused, c->abandoned, c->reopen, c->uncertain, c->loads,
	       c->load_changes, secs);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: xfbt_ranges [-t SECONDS] [-n SLOTS] [-w WRITERS] "
		"[-r READERS] [-s SEED] [-k KEEPDIR] TYPE:DIR...\n"
		"       xfbt_ranges dump DIR OUTDIR [RECORD]\n"
		"       xfbt_ranges selftest\n");
	exit(2);
}

/*
 * `xfbt_ranges selftest`: the event log's rules on hand-built rings, so
 * that a checker that would blame the daemon wrongly (or let a wrong
 * answer by) fails here first.  Exits 1 with what disagreed.
 */
static int
ranges_selftest(void)
{
	struct slot	*s = calloc(1, sizeof(*s));
	struct rec	old = { .start = 1, .len = 1, .owner = 7 };
	struct rec	new = { .start = 1, .len = 2, .owner = 7 };
	struct rec	never = { .start = 9, .len = 1, .owner = 7 };
	struct rec	stray = { .start = 5, .len = 1, .owner = 7 };
	struct rec	got;
	struct event	*e;
	bool		unsure;
	int		bad = 0, i;

#define SELF(cond, what)	do {					\
		if (!(cond)) {						\
			fprintf(stderr, "selftest: %s\n", (what));	\
			bad = 1;					\
		}							\
	} while (0)

	if (!s)
		die("out of memory");
	/* No event lost: a delete that ended inside the window. */
	ev_push(s, true, &old, 10)->end = 20;
	ev_push(s, false, &old, 100)->end = 200;
	SELF(ev_possible(s, &old, 150, 160, &unsure) && !unsure,
	     "a record deleted during the read must be possible");
	SELF(!ev_possible(s, &old, 250, 260, &unsure) && !unsure,
	     "a record deleted before the read must be impossible");
	SELF(!ev_required(s, 150, 160, &got),
	     "a record being deleted must not be required");
	/*
	 * A reload: its delete of @old and insert of @new share their
	 * times; push events after them until the ring has dropped the
	 * delete and kept the insert.
	 */
	e = ev_push(s, true, &new, 100);
	e->end = 200;
	for (i = 0; s->nev < SLOT_EVENTS + 2; i++) {
		e = ev_push(s, i % 2 == 0, &never, 1000 + 10 * i);
		e->end = 1005 + 10 * i;
	}
	SELF(s->ring[(s->nev - SLOT_EVENTS) % SLOT_EVENTS].begin == 100 &&
	     rec_eq(&s->ring[(s->nev - SLOT_EVENTS) % SLOT_EVENTS].rec, &new),
	     "the ring should begin with the reload's insert");
	SELF(ev_possible(s, &old, 150, 160, &unsure) && unsure,
	     "the record a reload in flight deletes must be possible "
	     "(uncertain) when the ring lost that delete");
	SELF(!ev_possible(s, &old, 250, 260, &unsure) && !unsure,
	     "a record whose lost delete ended before the read must be "
	     "impossible");
	SELF(ev_possible(s, &new, 250, 260, &unsure) && !unsure,
	     "the reload's record must be possible after it");
	SELF(ev_required(s, 250, 260, &got) && rec_eq(&got, &new),
	     "the reload's record must be required after it");
	SELF(!ev_possible(s, &stray, 250, 260, &unsure) && !unsure,
	     "a record the slot never held must be impossible");
	SELF(ev_possible(s, &stray, 150, 160, &unsure) && unsure,
	     "any record of the slot is uncertain while a lost event was "
	     "in flight");
	free(s);
#undef SELF
	if (!bad)
		printf("xfbt_ranges selftest: ok (%d events kept a slot)\n",
		       SLOT_EVENTS);
	return bad;
}

int
main(int argc, char **argv)
{
	struct tree	*trees;
	unsigned int	ntrees, i, j, nw = 2, nr = 2;
	double		secs = 20;
	size_t		nslots = 20000;
	uint64_t	seed = now_ns(), rng, start;
	bool		ok = true;
	int		opt;

	if (argc > 1 && !strcmp(argv[1], "dump"))
		return ranges_dump(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "selftest"))
		return ranges_selftest();
	while ((opt = getopt(argc, argv, "t:n:w:r:s:k:")) != -1) {
		switch (opt) {
		case 't': secs = atof(optarg); break;
		case 'n': nslots = strtoul(optarg, NULL, 0); break;
		case 'w': nw = strtoul(optarg, NULL, 0); break;
		case 'r': nr = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'k': keepdir = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || secs <= 0 || nslots < 64 || !nw || nw > 64 ||
	    !nr)
		usage();
	nslots -= nslots % RMAP_GROUP;
	ntrees = argc - optind;
	trees = calloc(ntrees, sizeof(*trees));
	if (!trees)
		die("out of memory");
	printf("xfbt_ranges: seed %" PRIu64 ", %zu slots, %u writers and %u "
	       "readers per btree, %.0f s\n", seed, nslots, nw, nr, secs);
	rng = seed;
	for (i = 0; i < ntrees; i++) {
		char	*arg = argv[optind + i], *colon = strchr(arg, ':');

		if (!colon)
			usage();
		*colon = '\0';
		if (!strcmp(arg, "rmap"))
			trees[i].type = T_RMAP;
		else if (!strcmp(arg, "refcount"))
			trees[i].type = T_REFC;
		else
			usage();
		trees[i].dir = colon + 1;
		trees[i].nslots = nslots;
		tree_setup(&trees[i], nw, nr, &rng);
	}
	fflush(stdout);

	start = now_ns();
	writers_running = ntrees * nw;
	for (i = 0; i < ntrees; i++) {
		for (j = 0; j < nw; j++)
			if (pthread_create(&trees[i].writers[j].thread, NULL,
					   writer_main, &trees[i].writers[j]))
				die("pthread_create failed");
		for (j = 0; j < nr; j++)
			if (pthread_create(&trees[i].readers[j].thread, NULL,
					   reader_main, &trees[i].readers[j]))
				die("pthread_create failed");
		if (pthread_create(&trees[i].reloader, NULL,
					     reloader_main, &trees[i]))
			die("pthread_create failed");
	}
	while (!stopping() && now_ns() - start < secs * 1e9)
		usleep(50000);
	__atomic_store_n(&stop_all, 1, __ATOMIC_RELEASE);
	for (i = 0; i < ntrees; i++) {
		for (j = 0; j < nw; j++)
			pthread_join(trees[i].writers[j].thread, NULL);
		for (j = 0; j < nr; j++)
			pthread_join(trees[i].readers[j].thread, NULL);
		pthread_join(trees[i].reloader, NULL);
	}
	for (i = 0; i < ntrees; i++) {
		summary(&trees[i], (now_ns() - start) / 1e9);
		if (!nmisses && !final_check(&trees[i]))
			ok = false;
	}
	for (i = 0; i < ntrees; i++) {
		struct counters	*c = &trees[i].c;

		printf("xfbt_ranges: totals %s answers %" PRIu64 " records %"
		       PRIu64 " required %" PRIu64 " windows %" PRIu64
		       " reads %" PRIu64 " writes %" PRIu64 " loads %" PRIu64
		       " misses %u\n",
		       trees[i].type == T_RMAP ? "rmap" : "refcount",
		       c->answers, c->records, c->required, c->windows,
		       c->reads, c->writes, c->loads, nmisses);
	}
	if (nmisses) {
		printf("xfbt_ranges: %u wrong answer(s)%s%s\n", nmisses,
		       keepdir ? ", the first kept in " : "",
		       keepdir ? keepdir : "");
		return 1;
	}
	printf("xfbt_ranges: every answer right\n");
	return ok ? 0 : 1;
}
