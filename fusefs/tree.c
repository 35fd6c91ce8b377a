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
 * Locking: see xfbfs.h for the order (names_lock, then tree->lock).
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

int
xfbfs_trees_init(void)
{
	pthread_rwlock_init(&xfbfs.names_lock, NULL);
	xfbfs.by_name = g_hash_table_new(g_str_hash, g_str_equal);
	xfbfs.by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
	xfbfs.next_id = 1;
	return 0;
}

static void
xfbfs_tree_free(struct xfbfs_tree *tree)
{
	xfbfs_html_drop(tree);
	xbtree_destroy(tree->bt);
	pthread_rwlock_destroy(&tree->lock);
	pthread_mutex_destroy(&tree->err_lock);
	free(tree->name);
	free(tree);
	/*
	 * The xfile's memory went back with its memfd; give back the heap
	 * the btree's maps and undo logs used too, so that the daemon's
	 * size follows the btrees it holds.
	 */
	malloc_trim(0);
}

void
xfbfs_trees_destroy(void)
{
	GHashTableIter	it;
	gpointer	k, v;

	g_hash_table_iter_init(&it, xfbfs.by_id);
	while (g_hash_table_iter_next(&it, &k, &v))
		xfbfs_tree_put(v);
	g_hash_table_destroy(xfbfs.by_id);
	g_hash_table_destroy(xfbfs.by_name);
	pthread_rwlock_destroy(&xfbfs.names_lock);
}

struct xfbfs_tree *
xfbfs_tree_get(uint32_t id)
{
	struct xfbfs_tree	*tree;

	pthread_rwlock_rdlock(&xfbfs.names_lock);
	tree = g_hash_table_lookup(xfbfs.by_id, GUINT_TO_POINTER(id));
	if (tree)
		__atomic_add_fetch(&tree->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&xfbfs.names_lock);
	return tree;
}

struct xfbfs_tree *
xfbfs_tree_get_name(const char *name)
{
	struct xfbfs_tree	*tree;

	pthread_rwlock_rdlock(&xfbfs.names_lock);
	tree = g_hash_table_lookup(xfbfs.by_name, name);
	if (tree)
		__atomic_add_fetch(&tree->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&xfbfs.names_lock);
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
	memset(p, 0, sizeof(*p));
	p->blocksize = xfbfs.opts.blocksize;
	p->owner = tree->id;
	p->tmpdir = xfbfs.opts.tmpdir;
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
xfbfs_tree_create(const char *name, struct xfbfs_tree **treep)
{
	struct xfbfs_tree	*tree;
	int			error;

	error = xfbfs_check_name(name);
	if (error)
		return error;
	tree = calloc(1, sizeof(*tree));
	if (!tree)
		return -ENOMEM;
	tree->name = strdup(name);
	if (!tree->name) {
		error = -ENOMEM;
		goto out_free;
	}
	{
		pthread_rwlockattr_t	attr;

		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&tree->lock, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	pthread_mutex_init(&tree->err_lock, NULL);
	tree->type = &xfbfs_type_kv;
	tree->refs = 1;
	clock_gettime(CLOCK_REALTIME, &tree->ctime);
	tree->mtime = tree->ctime;

	pthread_rwlock_wrlock(&xfbfs.names_lock);
	if (g_hash_table_contains(xfbfs.by_name, name)) {
		error = -EEXIST;
		goto out_unlock;
	}
	if (xfbfs.next_id == 0 || xfbfs.next_id >= (1U << 23)) {
		error = -ENOSPC;	/* ids are never reused */
		goto out_unlock;
	}
	tree->id = xfbfs.next_id;
	error = xfbfs_make_btree(tree, tree->type, &tree->bt);
	if (error)
		goto out_unlock;
	xfbfs.next_id++;
	g_hash_table_insert(xfbfs.by_name, tree->name, tree);
	g_hash_table_insert(xfbfs.by_id, GUINT_TO_POINTER(tree->id), tree);
	__atomic_add_fetch(&tree->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&xfbfs.names_lock);
	*treep = tree;
	return 0;

out_unlock:
	pthread_rwlock_unlock(&xfbfs.names_lock);
	pthread_rwlock_destroy(&tree->lock);
	pthread_mutex_destroy(&tree->err_lock);
out_free:
	free(tree->name);
	free(tree);
	return error;
}

int
xfbfs_tree_remove(const char *name)
{
	struct xfbfs_tree	*tree;
	struct xbtree		*bt;

	pthread_rwlock_wrlock(&xfbfs.names_lock);
	tree = g_hash_table_lookup(xfbfs.by_name, name);
	if (!tree) {
		pthread_rwlock_unlock(&xfbfs.names_lock);
		return -ENOENT;
	}
	g_hash_table_remove(xfbfs.by_name, name);
	g_hash_table_remove(xfbfs.by_id, GUINT_TO_POINTER(tree->id));
	pthread_rwlock_unlock(&xfbfs.names_lock);

	/* Requests on open files see dead and fail; free the memory now. */
	pthread_rwlock_wrlock(&tree->lock);
	__atomic_store_n(&tree->dead, true, __ATOMIC_RELEASE);
	bt = tree->bt;
	tree->bt = NULL;
	pthread_rwlock_unlock(&tree->lock);
	xfbfs_html_drop(tree);
	xbtree_destroy(bt);
	xfbfs_tree_put(tree);
	return 0;
}

int
xfbfs_tree_rename(const char *old, const char *new, unsigned int flags)
{
	struct xfbfs_tree	*tree;
	char			*name;
	int			error;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	error = xfbfs_check_name(new);
	if (error)
		return error;
	name = strdup(new);
	if (!name)
		return -ENOMEM;
	pthread_rwlock_wrlock(&xfbfs.names_lock);
	tree = g_hash_table_lookup(xfbfs.by_name, old);
	if (!tree) {
		error = -ENOENT;
		goto out_unlock;
	}
	if (!strcmp(old, new))
		goto out_unlock;	/* rename onto itself: nothing to do */
	if (g_hash_table_contains(xfbfs.by_name, new)) {
		/* Every btree directory holds files, so it is never empty. */
		error = (flags & RENAME_NOREPLACE) ? -EEXIST : -ENOTEMPTY;
		goto out_unlock;
	}
	g_hash_table_remove(xfbfs.by_name, old);
	free(tree->name);
	tree->name = name;
	name = NULL;
	g_hash_table_insert(xfbfs.by_name, tree->name, tree);
out_unlock:
	pthread_rwlock_unlock(&xfbfs.names_lock);
	free(name);
	return error;
}

static gint
xfbfs_dirent_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(((const struct xfbfs_dirent *)a)->name,
		      ((const struct xfbfs_dirent *)b)->name);
}

int
xfbfs_tree_list(struct xfbfs_dirent **listp, size_t *np)
{
	struct xfbfs_dirent	*list;
	GHashTableIter		it;
	gpointer		k, v;
	size_t			n = 0, i;
	int			error = 0;

	pthread_rwlock_rdlock(&xfbfs.names_lock);
	list = calloc(g_hash_table_size(xfbfs.by_name) + 1, sizeof(*list));
	if (!list) {
		error = -ENOMEM;
		goto out_unlock;
	}
	g_hash_table_iter_init(&it, xfbfs.by_name);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		list[n].name = strdup(k);
		list[n].id = ((struct xfbfs_tree *)v)->id;
		if (!list[n].name) {
			error = -ENOMEM;
			break;
		}
		n++;
	}
out_unlock:
	pthread_rwlock_unlock(&xfbfs.names_lock);
	if (error) {
		if (list) {
			for (i = 0; i < n; i++)
				free(list[i].name);
			free(list);
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
		free(list[i].name);
	free(list);
}

size_t
xfbfs_tree_count(void)
{
	size_t	n;

	pthread_rwlock_rdlock(&xfbfs.names_lock);
	n = g_hash_table_size(xfbfs.by_name);
	pthread_rwlock_unlock(&xfbfs.names_lock);
	return n;
}

int
xfbfs_tree_set_type(struct xfbfs_tree *tree, const struct xfbfs_type *type)
{
	struct xbtree	*bt;
	int		error;

	if (xbtree_nrecords(tree->bt) != 0)
		return -EBUSY;
	if (type == tree->type)
		return 0;
	error = xfbfs_make_btree(tree, type, &bt);
	if (error)
		return error;
	xbtree_destroy(tree->bt);
	tree->bt = bt;
	__atomic_store_n(&tree->type, type, __ATOMIC_RELEASE);
	xfbfs_tree_touch(tree);
	return 0;
}

void
xfbfs_tree_touch(struct xfbfs_tree *tree)
{
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
xfbfs_tree_error(struct xfbfs_tree *tree, const char *fmt, ...)
{
	struct xfbfs_error	*e;
	char			name[XFBFS_NAME_MAX + 1];
	va_list			ap;

	/*
	 * The name for the log.  Nothing takes a tree lock while holding
	 * names_lock, so reading it here, perhaps under tree->lock, is safe.
	 */
	pthread_rwlock_rdlock(&xfbfs.names_lock);
	snprintf(name, sizeof(name), "%s", tree->name);
	pthread_rwlock_unlock(&xfbfs.names_lock);
	xfbfs_sanitize(name);

	pthread_mutex_lock(&tree->err_lock);
	e = &tree->errors[tree->err_next];
	clock_gettime(CLOCK_REALTIME, &e->when);
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	xfbfs_sanitize(e->text);
	tree->err_next = (tree->err_next + 1) % XFBFS_ERRORS_MAX;
	if (tree->err_count < XFBFS_ERRORS_MAX)
		tree->err_count++;
	xfbfs_log(LOG_WARNING, "%s: %s", name, e->text);
	pthread_mutex_unlock(&tree->err_lock);
}

void
xfbfs_tree_swap(struct xfbfs_tree *tree, struct xbtree *bt,
		struct xbtree **oldp)
{
	*oldp = tree->bt;
	tree->bt = bt;
	xfbfs_tree_touch(tree);
}

bool
xfbfs_tree_is_kv(struct xfbfs_tree *tree)
{
	return __atomic_load_n(&tree->type, __ATOMIC_ACQUIRE) ==
	       &xfbfs_type_kv;
}
