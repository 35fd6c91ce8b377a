// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * path.c: the way a lookup takes from the root to a leaf (the `path`
 * query of the lookup file, and what tree.html's search box mirrors).
 *
 * For a tree of height 3, looking up key 57:
 *
 *	level 2 block 9 slot 1     [ 0 | 40 | 80 ]       40 <= 57 < 80
 *	                                   |
 *	level 1 block 4 slot 2     [ 40 | 48 | 56 | 64 ] 56 <= 57 < 64
 *	                                          |
 *	level 0 block 7 slot 1     [ 56 | 58 | 60 ]      57 would go before 58
 *
 * One step per level, root first.  In a node the slot is the pointer the
 * descent follows: the last entry whose (low) key is <= the key, or slot
 * 0 when every entry is above it.  In the leaf the slot is the first
 * record whose key is >= the key: the record itself when it is there,
 * else where it would be inserted (numrecs when it would go past the
 * last).  Slots count from 0, as the page decoder prints them.
 *
 * The steps come from the engine's own descent (xbt_lookup_path(), the
 * one every lookup, insert and delete makes), so they cannot disagree
 * with it.  For an overlapping btree (rmap) this is the path of an EQ
 * lookup of the key: low keys steer it; a range query may visit more
 * leaves.
 *
 * Locking: a reader; the caller holds the btree's read lock.  Every block
 * on the way is verified as any lookup verifies it: damage is -EUCLEAN
 * or -EBADMSG, reported as any reader reports it.
 */
#include "btree/btree_priv.h"

int
xbtree_path(struct xbtree *bt, const void *key, struct xbt_path_step *steps,
		unsigned int *nsteps)
{
	struct xbt_cur	cur;
	unsigned int	i, level;
	int		error;

	*nsteps = 0;
	XBT_STAT_INC(bt, nr_lookups);
	xbt_cur_init(&cur, bt);
	error = xbt_lookup_path(&cur, key);
	if (error)
		return error;
	/* The cursor holds levels leaf first; the steps go root first. */
	for (i = 0; i < cur.nlevels; i++) {
		level = cur.nlevels - 1 - i;
		steps[i].level = level;
		steps[i].bno = cur.lv[level].bno;
		steps[i].slot = cur.lv[level].slot;
	}
	*nsteps = cur.nlevels;
	return 0;
}
