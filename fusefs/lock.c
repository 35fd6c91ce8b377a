// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lock.c: lock initialisation, and in debug builds the record of which
 * locks each thread holds (see lock.h for the ranks and the rules).
 *
 * The record is per thread (__thread), so it needs no lock of its own: a
 * short array of the locks this thread holds, in the order it took them.
 * A request of the daemon holds three at most (an open file, a tree, the
 * names or an error ring); XFBFS_HELD_MAX leaves room.
 */
#include "fusefs/lock.h"

void
xfbfs_rwlock_init(struct xfbfs_rwlock *l, enum xfbfs_lock_rank rank,
		bool writers_first)
{
	pthread_rwlockattr_t	attr;

	pthread_rwlockattr_init(&attr);
	if (writers_first)
		pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&l->rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	l->rank = rank;
}

#ifdef XFB_DEBUG

#define XFBFS_HELD_MAX	8

struct xfbfs_held {
	const void		*lock;
	enum xfbfs_lock_rank	rank;
	bool			write;		/* or a mutex */
};

static __thread struct xfbfs_held	xfbfs_held[XFBFS_HELD_MAX];
static __thread unsigned int		xfbfs_nheld;

void
xfbfs_lock_note(const void *lock, enum xfbfs_lock_rank rank, bool write)
{
	unsigned int	i;

	for (i = 0; i < xfbfs_nheld; i++) {
		/* Held already: a self-deadlock, at once or one day. */
		ASSERT(xfbfs_held[i].lock != lock);
		/* Out of order against a lock held. */
		ASSERT(xfbfs_held[i].rank < rank);
	}
	ASSERT(xfbfs_nheld < XFBFS_HELD_MAX);
	xfbfs_held[xfbfs_nheld].lock = lock;
	xfbfs_held[xfbfs_nheld].rank = rank;
	xfbfs_held[xfbfs_nheld].write = write;
	xfbfs_nheld++;
}

void
xfbfs_unlock_note(const void *lock)
{
	unsigned int	i;

	for (i = 0; i < xfbfs_nheld; i++)
		if (xfbfs_held[i].lock == lock)
			break;
	/* Dropping a lock this thread does not hold. */
	ASSERT(i < xfbfs_nheld);
	for (; i + 1 < xfbfs_nheld; i++)
		xfbfs_held[i] = xfbfs_held[i + 1];
	xfbfs_nheld--;
}

bool
xfbfs_lock_is_held(const void *lock, bool write)
{
	unsigned int	i;

	for (i = 0; i < xfbfs_nheld; i++)
		if (xfbfs_held[i].lock == lock)
			return xfbfs_held[i].write || !write;
	return false;
}

bool
xfbfs_holds_rank(enum xfbfs_lock_rank rank)
{
	unsigned int	i;

	for (i = 0; i < xfbfs_nheld; i++)
		if (xfbfs_held[i].rank == rank)
			return true;
	return false;
}

#endif /* XFB_DEBUG */
