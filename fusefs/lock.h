/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock.h: the daemon's locks, whose holders debug builds record.
 *
 * Every lock of the daemon is a struct xfbfs_rwlock or struct xfbfs_mutex
 * (pthread's, wrapped so that nothing locks them but the functions here),
 * and each has a rank: the place it takes in the lock order.
 *
 *	rank                 lock            protects
 *	XFBFS_RANK_HANDLE    h->lock         one open file's state
 *	XFBFS_RANK_TREE      tree->lock      one btree (xfbfs.h says what)
 *	XFBFS_RANK_NAMES     fs->names_lock  the name and id tables
 *	XFBFS_RANK_ERRORS    tree->err_lock  one btree's error ring
 *	XFBFS_RANK_LIST      list->lock      a list of open files
 *	XFBFS_RANK_HTML      tree->html_lock one btree's kept tree.html page
 *	XFBFS_RANK_TRACE     tree->trace_lock one btree's trace ring
 *
 * A thread takes locks in increasing rank only, and never one it holds
 * already: not even a read lock twice, since a tree lock prefers writers
 * and a second read lock would wait behind a writer that waits for the
 * first.
 *
 * Debug builds (XFB_DEBUG) check all of that.  Each thread keeps the
 * list of the locks it holds and how, so taking a lock out of order or
 * twice fails an assertion at once, and a function can assert its
 * contract on entry, as SQLite's btree functions assert the mutex:
 *
 *	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));   I write
 *	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));     I read or write
 *	ASSERT(xfbfs_mutex_is_locked(&h->lock));
 *	ASSERT(!xfbfs_holds_rank(XFBFS_RANK_TREE));      before a reply
 *
 * The predicates work in debug builds only: use them inside ASSERT
 * (xfile/xassert.h), which release builds compile away, leaving plain
 * pthread calls.
 *
 * Locking and unlocking cannot fail here: pthread reports only misuse
 * (EDEADLK, EPERM), which the rank checks catch first in debug builds.
 */
#ifndef FUSEFS_LOCK_H
#define FUSEFS_LOCK_H

#include <pthread.h>
#include <stdbool.h>

#include "xfile/xassert.h"

enum xfbfs_lock_rank {
	XFBFS_RANK_HANDLE = 1,
	XFBFS_RANK_TREE,
	XFBFS_RANK_NAMES,
	XFBFS_RANK_ERRORS,
	XFBFS_RANK_LIST,
	XFBFS_RANK_HTML,
	XFBFS_RANK_TRACE,
};

struct xfbfs_rwlock {
	pthread_rwlock_t	rw;
	enum xfbfs_lock_rank	rank;		/* immutable */
};

struct xfbfs_mutex {
	pthread_mutex_t		m;
	enum xfbfs_lock_rank	rank;		/* immutable */
};

#define XFBFS_MUTEX_INIT(r)	{ PTHREAD_MUTEX_INITIALIZER, (r) }

/*
 * Does this thread hold @lock (for writing, if @write)?  Does it hold any
 * lock of @rank?  Defined in debug builds only (lock.c), where ASSERT
 * evaluates them; release builds' ASSERT type-checks without calling.
 */
bool xfbfs_lock_is_held(const void *lock, bool write);
bool xfbfs_holds_rank(enum xfbfs_lock_rank rank);

static inline bool
xfbfs_rwlock_is_locked(const struct xfbfs_rwlock *l)
{
	return xfbfs_lock_is_held(l, false);
}

static inline bool
xfbfs_rwlock_is_wrlocked(const struct xfbfs_rwlock *l)
{
	return xfbfs_lock_is_held(l, true);
}

static inline bool
xfbfs_mutex_is_locked(const struct xfbfs_mutex *l)
{
	return xfbfs_lock_is_held(l, true);
}

#ifdef XFB_DEBUG
/* Record that this thread took / dropped @lock (lock.c). */
void xfbfs_lock_note(const void *lock, enum xfbfs_lock_rank rank,
		bool write);
void xfbfs_unlock_note(const void *lock);
#else
#define xfbfs_lock_note(lock, rank, write)	do { } while (0)
#define xfbfs_unlock_note(lock)			do { } while (0)
#endif

/*
 * @writers_first: a writer waiting keeps new readers out (the tree locks:
 * a stream of readers must not starve inserts).
 */
void xfbfs_rwlock_init(struct xfbfs_rwlock *l, enum xfbfs_lock_rank rank,
		bool writers_first);

static inline void
xfbfs_rwlock_destroy(struct xfbfs_rwlock *l)
{
	pthread_rwlock_destroy(&l->rw);
}

static inline void
xfbfs_rwlock_rdlock(struct xfbfs_rwlock *l)
{
	xfbfs_lock_note(l, l->rank, false);
	pthread_rwlock_rdlock(&l->rw);
}

static inline void
xfbfs_rwlock_wrlock(struct xfbfs_rwlock *l)
{
	xfbfs_lock_note(l, l->rank, true);
	pthread_rwlock_wrlock(&l->rw);
}

static inline void
xfbfs_rwlock_unlock(struct xfbfs_rwlock *l)
{
	xfbfs_unlock_note(l);
	pthread_rwlock_unlock(&l->rw);
}

static inline void
xfbfs_mutex_init(struct xfbfs_mutex *l, enum xfbfs_lock_rank rank)
{
	pthread_mutex_init(&l->m, NULL);
	l->rank = rank;
}

static inline void
xfbfs_mutex_destroy(struct xfbfs_mutex *l)
{
	pthread_mutex_destroy(&l->m);
}

static inline void
xfbfs_mutex_lock(struct xfbfs_mutex *l)
{
	xfbfs_lock_note(l, l->rank, true);
	pthread_mutex_lock(&l->m);
}

static inline void
xfbfs_mutex_unlock(struct xfbfs_mutex *l)
{
	xfbfs_unlock_note(l);
	pthread_mutex_unlock(&l->m);
}

#endif /* FUSEFS_LOCK_H */
