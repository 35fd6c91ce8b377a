// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * html.c: the tree.html file of each btree directory.
 *
 * Unlike the other text files, tree.html reports its true size: browsers
 * trust the size of a regular file (Chromium shows a size-0 file as an
 * empty page).  So the page is made once per version of the btree
 * (xbtree_version(), which every commit and raw page write changes) and
 * kept:
 *
 *	tree->html ----> struct xfbfs_html { version, text, len, refs }
 *	                        ^          ^
 *	      open handles -----'          '---- getattr (while it runs)
 *
 * getattr and open take the current rendering, making it first if the
 * btree's version moved on; an open file reads the rendering it opened
 * with, whatever happens to the btree after, so its bytes always match
 * one size.  A change to the btree (xfbfs_tree_touch()) and its removal
 * drop the tree's reference, so a rendering lives only while it is
 * current or open.  A rendering is immutable once made; it is freed
 * with its last reference.  At most XFBFS_HTML_MAX bytes (the library
 * cuts the page down past that, and says so in it).
 *
 * Locking: xfbfs_html_lock (a mutex) protects every tree->html pointer;
 * it nests inside tree->lock.  The page is made under the tree's read
 * lock, without xfbfs_html_lock.  Two readers may make the same version
 * at once; the last one made stays, both are right.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fusefs/xfbfs.h"

#define XFBFS_HTML_MAX		(16U << 20)	/* bytes of one page */

struct xfbfs_html {
	int		refs;		/* atomic */
	uint64_t	version;	/* immutable, like the rest */
	char		*text;
	size_t		len;
	size_t		cap;		/* while it is made */
};

static pthread_mutex_t	xfbfs_html_lock = PTHREAD_MUTEX_INITIALIZER;

void
xfbfs_html_put(struct xfbfs_html *r)
{
	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(r->text);
	free(r);
}

static int
xfbfs_html_out(const char *text, size_t len, void *priv)
{
	struct xfbfs_html	*r = priv;
	size_t			cap = r->cap ? r->cap : 65536;
	char			*p;

	if (r->len + len > r->cap) {
		while (cap < r->len + len)
			cap *= 2;
		p = realloc(r->text, cap);
		if (!p)
			return -ENOMEM;
		r->text = p;
		r->cap = cap;
	}
	memcpy(r->text + r->len, text, len);
	r->len += len;
	return 0;
}

/* Make the page of @bt (read lock held): one reference, the caller's. */
static int
xfbfs_html_make(struct xbtree *bt, struct xfbfs_html **rp)
{
	struct xfbfs_html	*r;
	int			error;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->refs = 1;
	r->version = xbtree_version(bt);
	error = xbtree_dump_html(bt, XFBFS_HTML_MAX, xfbfs_html_out, r);
	if (error) {
		free(r->text);
		free(r);
		return error;
	}
	*rp = r;
	return 0;
}

int
xfbfs_html_get(struct xfbfs_tree *tree, struct xfbfs_html **rp)
{
	struct xfbfs_html	*r = NULL, *old = NULL;
	int			error = 0;

	pthread_rwlock_rdlock(&tree->lock);
	if (tree->dead) {
		error = -ENOENT;
		goto out_unlock;
	}
	pthread_mutex_lock(&xfbfs_html_lock);
	if (tree->html && tree->html->version == xbtree_version(tree->bt)) {
		r = tree->html;
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&xfbfs_html_lock);
	if (r)
		goto out_unlock;

	error = xfbfs_html_make(tree->bt, &r);
	if (error)
		goto out_unlock;
	pthread_mutex_lock(&xfbfs_html_lock);
	old = tree->html;
	tree->html = r;
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&xfbfs_html_lock);
out_unlock:
	pthread_rwlock_unlock(&tree->lock);
	xfbfs_html_put(old);
	if (!error)
		*rp = r;
	return error;
}

void
xfbfs_html_drop(struct xfbfs_tree *tree)
{
	struct xfbfs_html	*old;

	pthread_mutex_lock(&xfbfs_html_lock);
	old = tree->html;
	tree->html = NULL;
	pthread_mutex_unlock(&xfbfs_html_lock);
	xfbfs_html_put(old);
}

int
xfbfs_html_stat(struct xfbfs_tree *tree, struct stat *st)
{
	struct xfbfs_html	*r;
	int			error;

	error = xfbfs_html_get(tree, &r);
	if (error)
		return error;
	st->st_size = r->len;
	st->st_blocks = (r->len + 511) / 512;
	xfbfs_html_put(r);
	return 0;
}

int
xfbfs_html_read(struct xfbfs_tree *tree, const struct xfbfs_html *r,
		const char **datap, size_t *sizep, off_t off)
{
	if (xfbfs_tree_is_dead(tree))
		return -ENOENT;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= r->len) {
		*sizep = 0;
		*datap = r->text;
		return 0;
	}
	*datap = r->text + off;
	if (*sizep > r->len - off)
		*sizep = r->len - off;
	return 0;
}
