// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kinds.c: the table of the kinds of file a btree directory holds, and
 * the btree directory itself, whose entries are that table.
 *
 * A kind's place in xfbfs_kinds[] is the sub number of its inodes (see
 * xfbfs.h) and its place in the directory's listing, so kinds are only
 * ever added at the end.  The btree directory is entry 0; pages/N are
 * not in the table (their sub numbers start at XFBFS_PAGE_BASE).
 *
 * To add a kind: its ops table in a file of its own, an extern line and
 * a table entry here, the file in meson.build (xfbfs.h has the recipe).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/xfbfs.h"

extern const struct xfbfs_file_ops xfbfs_kind_dir;
extern const struct xfbfs_file_ops xfbfs_kind_type;		/* snapshot.c */
extern const struct xfbfs_file_ops xfbfs_kind_insert;		/* update.c */
extern const struct xfbfs_file_ops xfbfs_kind_delete;		/* update.c */
extern const struct xfbfs_file_ops xfbfs_kind_lookup;		/* query.c */
extern const struct xfbfs_file_ops xfbfs_kind_records;		/* records.c */
extern const struct xfbfs_file_ops xfbfs_kind_stats;		/* snapshot.c */
extern const struct xfbfs_file_ops xfbfs_kind_check;		/* snapshot.c */
extern const struct xfbfs_file_ops xfbfs_kind_errors;		/* snapshot.c */
extern const struct xfbfs_file_ops xfbfs_kind_treedot;		/* snapshot.c */
extern const struct xfbfs_file_ops xfbfs_kind_pages;		/* page.c */
extern const struct xfbfs_file_ops xfbfs_kind_load;		/* load.c */
extern const struct xfbfs_file_ops xfbfs_kind_data;		/* data.c */
extern const struct xfbfs_file_ops xfbfs_kind_page;		/* page.c */
extern const struct xfbfs_file_ops xfbfs_kind_treehtml;		/* html.c */
extern const struct xfbfs_file_ops xfbfs_kind_trace;		/* trace.c */

static const struct xfbfs_file_ops *const xfbfs_kinds[] = {
	&xfbfs_kind_dir,	/* 0: the btree directory */
	&xfbfs_kind_type,
	&xfbfs_kind_insert,
	&xfbfs_kind_delete,
	&xfbfs_kind_lookup,
	&xfbfs_kind_records,
	&xfbfs_kind_stats,
	&xfbfs_kind_check,
	&xfbfs_kind_errors,
	&xfbfs_kind_treedot,
	&xfbfs_kind_pages,
	&xfbfs_kind_load,
	&xfbfs_kind_data,
	&xfbfs_kind_treehtml,
	&xfbfs_kind_trace,
	/* new kinds here, at the end */
};

#define XFBFS_NKINDS	(sizeof(xfbfs_kinds) / sizeof(xfbfs_kinds[0]))

_Static_assert(XFBFS_NKINDS <= XFBFS_PAGE_BASE,
	       "kinds' sub numbers run into pages/N: raise XFBFS_PAGE_BASE");

const struct xfbfs_file_ops *
xfbfs_ino_kind(fuse_ino_t ino)
{
	uint64_t	sub = xfbfs_ino_sub(ino);

	if (xfbfs_ino_id(ino) == 0)
		return NULL;		/* the root (ids start at 1) */
	if (sub >= XFBFS_PAGE_BASE)
		return &xfbfs_kind_page;
	if (sub < XFBFS_NKINDS)
		return xfbfs_kinds[sub];
	return NULL;
}

int
xfbfs_truncate_nothing(struct xfbfs_tree *tree, uint64_t size, pid_t pid)
{
	(void)tree, (void)size, (void)pid;
	return 0;
}

/* ---- the btree directory -------------------------------------------------- */

/* Its links: its own ".", the root's entry, and pages/.. */
static int
xfbfs_dir_getattr(struct xfbfs_tree *tree, uint64_t sub, struct stat *st)
{
	(void)tree, (void)sub;
	st->st_nlink = 3;
	return 0;
}

/* A file by name: a walk of the table. */
static int
xfbfs_dir_lookup(const char *name, uint64_t *subp)
{
	unsigned int	i;

	for (i = XFBFS_SUB_DIR + 1; i < XFBFS_NKINDS; i++) {
		if (!strcmp(name, xfbfs_kinds[i]->name)) {
			*subp = i;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The table, from readdir offset @off on: kind i is listed with offset
 * i + 2 for the entry after it (1 and 2 are "." and ".."), and left out
 * where its getattr says -ENOENT (data in a btree not of type kv); a
 * kind flagged XFBFS_KIND_ALWAYS is listed without asking (tree.html's
 * getattr makes its page).  Called with tree->lock held for reading.
 */
static int
xfbfs_dir_readdir(struct xfbfs_tree *tree, struct xfbfs_dirbuf *db,
		off_t off)
{
	const struct xfbfs_file_ops	*kind;
	struct stat			st;
	unsigned int			i;

	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));
	for (i = off - 1; i < XFBFS_NKINDS; i++) {
		kind = xfbfs_kinds[i];
		/* (Other errors, a damaged block, still list the file.) */
		if (kind->getattr && !(kind->flags & XFBFS_KIND_ALWAYS) &&
		    kind->getattr(tree, i, &st) == -ENOENT)
			continue;
		if (!xfbfs_dir_add(db, kind->name, xfbfs_ino(tree->id, i),
				   kind->mode, i + 2))
			break;
	}
	return 0;
}

const struct xfbfs_file_ops xfbfs_kind_dir = {
	.mode		= S_IFDIR | 0755,
	.getattr	= xfbfs_dir_getattr,
	.lookup		= xfbfs_dir_lookup,
	.readdir	= xfbfs_dir_readdir,
};
