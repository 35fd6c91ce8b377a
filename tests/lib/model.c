// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * model.c: the record model of the random model tests (see model.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/lib/btree_test.h"
#include "tests/lib/model.h"

/* A log entry: the slot index, then the slot's old bytes. */
#define TMODEL_IDX_LEN	sizeof(uint64_t)

void
tmodel_init(struct tmodel *m, unsigned int n, size_t slot_size,
		size_t key_off, size_t live_off, GCompareDataFunc cmp,
		uint64_t seed)
{
	*m = (struct tmodel){
		.slot_size = slot_size, .key_off = key_off,
		.live_off = live_off, .n = n, .cmp = cmp, .seed = seed,
	};
	m->slots = calloc(n, slot_size);
	T_ASSERT(m->slots != NULL);
	m->t = g_tree_new_full(cmp, NULL, NULL, NULL);
	m->log = g_array_new(FALSE, FALSE, TMODEL_IDX_LEN + slot_size);
}

void
tmodel_release(struct tmodel *m)
{
	free(m->slots);
	g_array_free(m->log, TRUE);
	g_tree_destroy(m->t);
}

GTreeNode *
tmodel_lookup(struct tmodel *m, const void *key, enum xbt_lookup dir)
{
	GTreeNode	*node;

	if (dir == XBT_LOOKUP_GE)
		return g_tree_lower_bound(m->t, key);
	/* LE: the last key <= @key, the node before the first one above. */
	node = g_tree_upper_bound(m->t, key);
	node = node ? g_tree_node_previous(node) : g_tree_node_last(m->t);
	if (dir == XBT_LOOKUP_EQ && node &&
	    m->cmp(g_tree_node_key(node), key, NULL))
		node = NULL;
	return node;
}

uint64_t
tmodel_rnd(struct tmodel *m, uint64_t n)
{
	return test_rand(&m->seed) % n;
}

static bool
tmodel_is_live(const struct tmodel *m, const void *slot)
{
	return *(const bool *)((const char *)slot + m->live_off);
}

void
tmodel_set(struct tmodel *m, unsigned int i, const void *ns, bool log)
{
	char		*s = tmodel_slot(m, i);
	char		*e;

	if (log) {
		g_array_set_size(m->log, m->log->len + 1);
		e = &g_array_index(m->log, char,
				   (m->log->len - 1) * (TMODEL_IDX_LEN +
							m->slot_size));
		*(uint64_t *)e = i;
		memcpy(e + TMODEL_IDX_LEN, s, m->slot_size);
	}
	if (tmodel_is_live(m, s))
		g_tree_remove(m->t, s + m->key_off);
	memcpy(s, ns, m->slot_size);
	if (tmodel_is_live(m, s))
		g_tree_insert(m->t, s + m->key_off, GUINT_TO_POINTER(i + 1));
}

void
tmodel_end_batch(struct tmodel *m, struct xbt_trans *tp, bool cancel)
{
	size_t		esize = TMODEL_IDX_LEN + m->slot_size;
	char		*e;
	guint		i;

	if (!cancel) {
		T_EQ(xbt_trans_commit(tp), 0);
	} else {
		xbt_trans_cancel(tp);
		/* Newest first, so each slot ends as it was before. */
		for (i = m->log->len; i-- > 0;) {
			e = m->log->data + i * esize;
			tmodel_set(m, (unsigned int)*(uint64_t *)e,
				   e + TMODEL_IDX_LEN, false);
		}
	}
	g_array_set_size(m->log, 0);
}
