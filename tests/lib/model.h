/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * model.h: the record model the random model tests of the overlapping
 * and disjoint record types (check_btree_rmap.c, check_btree_refcount.c)
 * share.
 *
 * The model is @n slots of the test's own struct, each free or live.
 * Live slots are indexed by their key (a field of the slot) in a GLib
 * GTree, whose value is the slot index + 1.  Every change made in a batch
 * is logged with the slot's old contents, so when the batch's
 * transaction is cancelled the model takes it back too (newest first),
 * and the two agree again.
 *
 * Slot memory is plain calloc/GLib (never xmem), so the library's fault
 * injector never touches the model.
 */
#ifndef TESTS_LIB_MODEL_H
#define TESTS_LIB_MODEL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btree/xbtree.h"

struct tmodel {
	void		*slots;		/* n slots of slot_size bytes */
	size_t		slot_size;
	size_t		key_off;	/* offset of the GTree key in a slot */
	size_t		live_off;	/* offset of the slot's bool live */
	unsigned int	n;
	GTree		*t;		/* slot key -> slot index + 1 */
	GCompareDataFunc cmp;		/* the tree's key order */
	GArray		*log;		/* this batch: index, then old slot */
	uint64_t	seed;		/* for tmodel_rnd() */
};

/*
 * Set up @m with @n free (zeroed) slots of the given layout, keys ordered
 * by @cmp; fails the test if out of memory.
 */
void tmodel_init(struct tmodel *m, unsigned int n, size_t slot_size,
		size_t key_off, size_t live_off, GCompareDataFunc cmp,
		uint64_t seed);
void tmodel_release(struct tmodel *m);

/* Slot @i. */
static inline void *
tmodel_slot(const struct tmodel *m, unsigned int i)
{
	return (char *)m->slots + (size_t)i * m->slot_size;
}

/* The slot index a GTree node stands for. */
static inline unsigned int
tmodel_node_index(GTreeNode *node)
{
	return GPOINTER_TO_UINT(g_tree_node_value(node)) - 1;
}

/* The live slot's node a lookup of @key in direction @dir finds, or NULL. */
GTreeNode *tmodel_lookup(struct tmodel *m, const void *key,
		enum xbt_lookup dir);

/* A random number below @n from the model's seed. */
uint64_t tmodel_rnd(struct tmodel *m, uint64_t n);

/* Make slot @i a copy of @ns, logging its old contents if @log. */
void tmodel_set(struct tmodel *m, unsigned int i, const void *ns, bool log);

/*
 * End a batch: cancel @tp and take the batch back out of the model, or
 * commit it (which must succeed) and keep it.
 */
void tmodel_end_batch(struct tmodel *m, struct xbt_trans *tp, bool cancel);

#endif /* TESTS_LIB_MODEL_H */
