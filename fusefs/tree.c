// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tree.c: the btree directories of the mount: names, ids, lifetimes,
 * types, and the error ring behind each `errors` file.
 *
 * Two hash tables under fs->names_lock map names and ids to trees.  A
 * tree is reference counted: the tables hold one reference, every open
 * file and every request in flight another.  rmdir takes the tree out of
 * the tables, destroys its btree at once (memory goes back even while
 * files are open) and marks it dead under its own lock, so that requests
 * on files still open fail with ENOENT; the struct itself goes with the
 * last reference.
 *
 * Locking: see xfbfs.h and lock.h for the order (tree->lock, then
 * names_lock, then err_lock; html_lock last).  names_lock is never held while a tree lock
 * is taken: rmdir drops it before marking the tree dead, and naming a
 * tree in a message read-locks it under the tree lock.
 */
#include <errno.h>
#include <glib.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

int
xfbfs_trees_init(struct xfbfs *fs)
{
	xfbfs_rwlock_init(&fs->names_lock, XFBFS_RANK_NAMES, false);
	fs->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	fs->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
	fs->next_id = 1;
	return 0;
}

static void
xfbfs_tree_free(struct xfbfs_tree *tree)
{
	xfbfs_html_drop(tree);
	xbtree_destroy(tree->bt);
	xfbfs_trace_free(tree);
	xfbfs_rwlock_destroy(&tree->lock);
	xfbfs_mutex_destroy(&tree->html_lock);
	xfbfs_mutex_destroy(&tree->err_lock);
	xfbfs_mutex_destroy(&tree->trace_lock);
	xmem_free(tree->name);
	xmem_free(tree);
	/*
	 * The xfile's memory went back with its memfd; give back the heap
	 * the btree's maps and undo logs used too, so that the daemon's
	 * size follows the btrees it holds.
	 */
	malloc_trim(0);
}

void
xfbfs_trees_destroy(struct xfbfs *fs)
{
	GHashTableIter	it;
	gpointer	k, v;

	g_hash_table_iter_init(&it, fs->by_id);
	while (g_hash_table_iter_next(&it, &k, &v))
		xfbfs_tree_put(v);
	g_hash_table_destroy(fs->by_id);
	g_hash_table_destroy(fs->by_name);
	xfbfs_rwlock_destroy(&fs->names_lock);
}

struct xfbfs_tree *
xfbfs_tree_get(struct xfbfs *fs, uint32_t id)
{
	struct xfbfs_tree	*tree;

	xfbfs_rwlock_rdlock(&fs->names_lock);
	tree = g_hash_table_lookup(fs->by_id, GUINT_TO_POINTER(id));
	if (tree)
		__atomic_add_fetch(&tree->refs, 1, __ATOMIC_RELAXED);
	xfbfs_rwlock_unlock(&fs->names_lock);
	return tree;
}

struct xfbfs_tree *
xfbfs_tree_get_name(struct xfbfs *fs, const char *name)
{
	struct xfbfs_tree	*tree;

	xfbfs_rwlock_rdlock(&fs->names_lock);
	tree = g_hash_table_lookup(fs->by_name, name);
	if (tree)
		__atomic_add_fetch(&tree->refs, 1, __ATOMIC_RELAXED);
	xfbfs_rwlock_unlock(&fs->names_lock);
	return tree;
}

void
xfbfs_tree_put(struct xfbfs_tree *tree)
{
	if (tree && __atomic_sub_fetch(&tree->refs, 1, __ATOMIC_ACQ_REL) == 0)
		xfbfs_tree_free(tree);
}

int
xfbfs_check_name(const char *name)
{
	size_t	len = strlen(name);

	if (len == 0 || name[0] == '.')
		return -EINVAL;
	if (len > XFBFS_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

void
xfbfs_tree_params(struct xfbfs_tree *tree, const uint8_t *uuid,
		struct xbtree_params *p)
{
	struct xfbfs	*fs = tree->fs;

	memset(p, 0, sizeof(*p));
	p->blocksize = fs->opts.blocksize;
	p->owner = tree->id;
	p->tmpdir = fs->opts.tmpdir;
	p->uuid = uuid;
}

/* A new empty btree of @type for @tree (whose id is its owner). */
static int
xfbfs_make_btree(struct xfbfs_tree *tree, const struct xfbfs_type *type,
		struct xbtree **btp)
{
	struct xbtree_params	p;

	xfbfs_tree_params(tree, NULL, &p);
	return xbtree_create(type->ops, &p, btp);
}

int
xfbfs_tree_create(struct xfbfs *fs, const char *name,
		struct xfbfs_tree **treep)
{
	struct xfbfs_tree	*tree;
	int			error;

	error = xfbfs_check_name(name);
	if (error)
		return error;
	tree = xmem_zalloc(sizeof(*tree));
	if (!tree)
		return -ENOMEM;
	tree->name = xmem_strdup(name);
	if (!tree->name) {
		error = -ENOMEM;
		goto out_free;
	}
	xfbfs_rwlock_init(&tree->lock, XFBFS_RANK_TREE, true);
	xfbfs_mutex_init(&tree->html_lock, XFBFS_RANK_HTML);
	xfbfs_mutex_init(&tree->err_lock, XFBFS_RANK_ERRORS);
	xfbfs_mutex_init(&tree->trace_lock, XFBFS_RANK_TRACE);
	tree->fs = fs;
	tree->type = &xfbfs_type_kv;
	tree->refs = 1;
	clock_gettime(CLOCK_REALTIME, &tree->ctime);
	tree->mtime = tree->ctime;

	xfbfs_rwlock_wrlock(&fs->names_lock);
	if (g_hash_table_contains(fs->by_name, name)) {
		error = -EEXIST;
		goto out_unlock;
	}
	if (fs->next_id == 0 || fs->next_id >= XFBFS_ID_END) {
		error = -ENOSPC;	/* ids are never reused */
		goto out_unlock;
	}
	tree->id = fs->next_id;
	error = xfbfs_make_btree(tree, tree->type, &tree->bt);
	if (error)
		goto out_unlock;
	fs->next_id++;
	g_hash_table_insert(fs->by_name, tree->name, tree);
	g_hash_table_insert(fs->by_id, GUINT_TO_POINTER(tree->id), tree);
	__atomic_add_fetch(&tree->refs, 1, __ATOMIC_RELAXED);
	xfbfs_rwlock_unlock(&fs->names_lock);
	*treep = tree;
	return 0;

out_unlock:
	xfbfs_rwlock_unlock(&fs->names_lock);
	xfbfs_rwlock_destroy(&tree->lock);
	xfbfs_mutex_destroy(&tree->html_lock);
	xfbfs_mutex_destroy(&tree->err_lock);
	xfbfs_mutex_destroy(&tree->trace_lock);
out_free:
	xmem_free(tree->name);
	xmem_free(tree);
	return error;
}

int
xfbfs_tree_remove(struct xfbfs *fs, const char *name)
{
	struct xfbfs_tree	*tree;
	struct xbtree		*bt;

	xfbfs_rwlock_wrlock(&fs->names_lock);
	tree = g_hash_table_lookup(fs->by_name, name);
	if (!tree) {
		xfbfs_rwlock_unlock(&fs->names_lock);
		return -ENOENT;
	}
	g_hash_table_remove(fs->by_name, name);
	g_hash_table_remove(fs->by_id, GUINT_TO_POINTER(tree->id));
	xfbfs_rwlock_unlock(&fs->names_lock);

	/* Requests on open files see dead and fail; free the memory now. */
	xfbfs_rwlock_wrlock(&tree->lock);
	__atomic_store_n(&tree->dead, true, __ATOMIC_RELEASE);
	bt = tree->bt;
	tree->bt = NULL;
	xfbfs_rwlock_unlock(&tree->lock);
	xfbfs_html_drop(tree);
	xbtree_destroy(bt);
	xfbfs_tree_put(tree);
	return 0;
}

int
xfbfs_tree_rename(struct xfbfs *fs, const char *old, const char *new,
		unsigned int flags)
{
	struct xfbfs_tree	*tree;
	char			*name;
	int			error;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	error = xfbfs_check_name(new);
	if (error)
		return error;
	name = xmem_strdup(new);
	if (!name)
		return -ENOMEM;
	xfbfs_rwlock_wrlock(&fs->names_lock);
	tree = g_hash_table_lookup(fs->by_name, old);
	if (!tree) {
		error = -ENOENT;
		goto out_unlock;
	}
	if (!strcmp(old, new))
		goto out_unlock;	/* rename onto itself: nothing to do */
	if (g_hash_table_contains(fs->by_name, new)) {
		/* Every btree directory holds files, so it is never empty. */
		error = (flags & RENAME_NOREPLACE) ? -EEXIST : -ENOTEMPTY;
		goto out_unlock;
	}
	g_hash_table_remove(fs->by_name, old);
	xmem_free(tree->name);
	tree->name = name;
	name = NULL;
	g_hash_table_insert(fs->by_name, tree->name, tree);
out_unlock:
	xfbfs_rwlock_unlock(&fs->names_lock);
	xmem_free(name);
	return error;
}

static gint
xfbfs_dirent_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(((const struct xfbfs_dirent *)a)->name,
		      ((const struct xfbfs_dirent *)b)->name);
}

int
xfbfs_tree_list(struct xfbfs *fs, struct xfbfs_dirent **listp, size_t *np)
{
	struct xfbfs_dirent	*list;
	GHashTableIter		it;
	gpointer		k, v;
	size_t			n = 0, i;
	int			error = 0;

	xfbfs_rwlock_rdlock(&fs->names_lock);
	list = xmem_realloc(NULL, g_hash_table_size(fs->by_name) + 1,
			    sizeof(*list));
	if (!list) {
		error = -ENOMEM;
		goto out_unlock;
	}
	g_hash_table_iter_init(&it, fs->by_name);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		list[n].name = xmem_strdup(k);
		list[n].id = ((struct xfbfs_tree *)v)->id;
		if (!list[n].name) {
			error = -ENOMEM;
			break;
		}
		n++;
	}
out_unlock:
	xfbfs_rwlock_unlock(&fs->names_lock);
	if (error) {
		if (list) {
			for (i = 0; i < n; i++)
				xmem_free(list[i].name);
			xmem_free(list);
		}
		return error;
	}
	qsort(list, n, sizeof(*list), (int (*)(const void *,
		const void *))xfbfs_dirent_cmp);
	*listp = list;
	*np = n;
	return 0;
}

void
xfbfs_tree_list_free(struct xfbfs_dirent *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		xmem_free(list[i].name);
	xmem_free(list);
}

size_t
xfbfs_tree_count(struct xfbfs *fs)
{
	size_t	n;

	xfbfs_rwlock_rdlock(&fs->names_lock);
	n = g_hash_table_size(fs->by_name);
	xfbfs_rwlock_unlock(&fs->names_lock);
	return n;
}

size_t
xfbfs_tree_ids_left(struct xfbfs *fs)
{
	uint32_t	next;

	xfbfs_rwlock_rdlock(&fs->names_lock);
	next = fs->next_id;
	xfbfs_rwlock_unlock(&fs->names_lock);
	return next && next < XFBFS_ID_END ? XFBFS_ID_END - next : 0;
}

int
xfbfs_tree_lock_live(struct xfbfs_tree *tree, bool write)
{
	if (write)
		xfbfs_rwlock_wrlock(&tree->lock);
	else
		xfbfs_rwlock_rdlock(&tree->lock);
	if (!tree->dead)
		return 0;
	xfbfs_rwlock_unlock(&tree->lock);
	return -ENOENT;
}

int
xfbfs_tree_get_locked(struct xfbfs *fs, fuse_ino_t ino, bool write,
		struct xfbfs_tree **treep)
{
	struct xfbfs_tree	*tree;
	int			error;

	tree = xfbfs_tree_get(fs, xfbfs_ino_id(ino));
	if (!tree)
		return -ENOENT;
	error = xfbfs_tree_lock_live(tree, write);
	if (error) {
		xfbfs_tree_put(tree);
		return error;
	}
	*treep = tree;
	return 0;
}

void
xfbfs_tree_unlock_put(struct xfbfs_tree *tree)
{
	xfbfs_rwlock_unlock(&tree->lock);
	xfbfs_tree_put(tree);
}

int
xfbfs_tree_set_type(struct xfbfs_tree *tree, const struct xfbfs_type *type)
{
	struct xbtree	*bt;
	int		error;

	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	if (xbtree_nrecords(tree->bt) != 0)
		return -EBUSY;
	if (type == tree->type)
		return 0;
	error = xfbfs_make_btree(tree, type, &bt);
	if (error)
		return error;
	xbtree_destroy(tree->bt);
	xfbfs_trace_attach(tree, bt);
	tree->bt = bt;
	__atomic_store_n(&tree->type, type, __ATOMIC_RELEASE);
	xfbfs_tree_touch(tree);
	return 0;
}

void
xfbfs_tree_touch(struct xfbfs_tree *tree)
{
	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	clock_gettime(CLOCK_REALTIME, &tree->mtime);
	xfbfs_html_drop(tree);		/* tree.html is made again if read */
}

/*
 * The offending line in an error is whatever was written, and names are
 * any bytes but '/': keep control characters (a newline in a `type`
 * value, escape sequences) out of `errors` and the log, one entry one
 * line.  Tabs stay: they separate fields.
 */
static void
xfbfs_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 ? *s != '\t' : *s == 0x7f)
			*s = '?';
}

void
xfbfs_tree_error(struct xfbfs_tree *tree, pid_t pid, const char *fmt, ...)
{
	struct xfbfs		*fs = tree->fs;
	struct xfbfs_error	*e;
	char			name[XFBFS_NAME_MAX + 1];
	va_list			ap;

	/*
	 * The name for the log.  Nothing takes a tree lock while holding
	 * names_lock, so reading it here, perhaps under tree->lock, is safe.
	 */
	xfbfs_rwlock_rdlock(&fs->names_lock);
	snprintf(name, sizeof(name), "%s", tree->name);
	xfbfs_rwlock_unlock(&fs->names_lock);
	xfbfs_sanitize(name);

	xfbfs_mutex_lock(&tree->err_lock);
	e = &tree->errors[tree->err_next];
	clock_gettime(CLOCK_REALTIME, &e->when);
	e->pid = pid;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	xfbfs_sanitize(e->text);
	tree->err_next = (tree->err_next + 1) % XFBFS_ERRORS_MAX;
	if (tree->err_count < XFBFS_ERRORS_MAX)
		tree->err_count++;
	xfbfs_log(LOG_WARNING, "%s: pid %d %s", name, (int)pid, e->text);
	xfbfs_mutex_unlock(&tree->err_lock);
}

void
xfbfs_tree_swap(struct xfbfs_tree *tree, struct xbtree *bt,
		struct xbtree **oldp)
{
	ASSERT(xfbfs_rwlock_is_wrlocked(&tree->lock));
	*oldp = tree->bt;
	/* The old one is destroyed unlocked: it reports nothing more. */
	xbtree_set_trace(tree->bt, NULL, NULL);
	xfbfs_trace_attach(tree, bt);
	tree->bt = bt;
	xfbfs_tree_touch(tree);
}
