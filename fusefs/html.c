// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * html.c: the tree.html file of each btree directory: the btree as one
 * self-contained web page (btree/html.c makes it).
 *
 * Unlike the other text files, tree.html reports its true size: browsers
 * trust the size of a regular file (Chromium shows a size-0 file as an
 * empty page).  So the page is made once per version of the btree
 * (xbtree_version(), which every commit and raw page write changes, and
 * which a btree put in place by a load has never had) and kept:
 *
 *	tree->html ----> struct xfbfs_html { refs, version, text }
 *	                        ^
 *	      open handles -----'   (and getattr, while it runs)
 *
 * getattr (a stat, a lookup; not readdir: XFBFS_KIND_ALWAYS) and open
 * take the current page, making it first if the btree's version moved
 * on; an open file reads the page it opened with to the end, whatever
 * happens to the btree after, so its bytes always match one size.  A change to the btree (xfbfs_tree_touch()) and its
 * removal drop the tree's reference (xfbfs_html_drop()), so a page lives
 * only while it is current or open.  A page is immutable once made and
 * freed with its last reference.  At most XFBFS_HTML_MAX bytes (the
 * library cuts the page down past that, and says so in it).
 *
 * Locking: tree->html_lock guards the tree->html pointer; it is taken
 * under tree->lock (read or write) or alone, and nothing is taken under
 * it.  The page is made under the tree's read lock without html_lock, so
 * two readers may make the same version at once: the last one made
 * stays, both are right.  A page's refs are atomic.
 *
 * Errors: -ENOMEM, or the btree's damage errno when the walk cannot go
 * on (the page itself shows damage it can get past).  Related:
 * btree/html.c (the page), kinds.c (the table), tree.c (the drops).
 */
#include <errno.h>
#include <sys/stat.h>

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

#define XFBFS_HTML_MAX		(16U << 20)	/* bytes of one page */

/* One page of a btree, made for one version; immutable once made. */
struct xfbfs_html {
	int		refs;		/* atomic */
	uint64_t	version;
	struct xmem_str	text;
};

struct xfbfs_html_handle {
	struct xfbfs_handle	h;	/* first */
	struct xfbfs_html	*page;	/* the page of the open; immutable */
};

/* Drop a reference to @r (NULL: nothing); the last frees it. */
static void
xfbfs_html_put(struct xfbfs_html *r)
{
	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL))
		return;
	xmem_str_release(&r->text);
	xmem_free(r);
}

static int
xfbfs_html_out(const char *text, size_t len, void *priv)
{
	return xmem_str_append(priv, text, len);
}

/*
 * The current page of @tree, with a reference for the caller, made now if
 * the btree changed since the last one.  tree->lock held for reading (the
 * tree is alive).  0 or -errno.
 */
static int
xfbfs_html_get(struct xfbfs_tree *tree, struct xfbfs_html **rp)
{
	struct xfbfs_html	*r = NULL, *old;
	uint64_t		version;
	int			error;

	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));
	version = xbtree_version(tree->bt);
	xfbfs_mutex_lock(&tree->html_lock);
	if (tree->html && tree->html->version == version) {
		r = tree->html;
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	}
	xfbfs_mutex_unlock(&tree->html_lock);
	if (r)
		goto out;

	r = xmem_zalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->refs = 2;		/* the caller's and the tree's */
	r->version = version;
	error = xbtree_dump_html(tree->bt, XFBFS_HTML_MAX, xfbfs_html_out,
				 &r->text);
	if (error)
		goto out_free;
	xfbfs_mutex_lock(&tree->html_lock);
	old = tree->html;
	tree->html = r;
	xfbfs_mutex_unlock(&tree->html_lock);
	xfbfs_html_put(old);
out:
	*rp = r;
	return 0;

out_free:
	xmem_str_release(&r->text);
	xmem_free(r);
	return error;
}

void
xfbfs_html_drop(struct xfbfs_tree *tree)
{
	struct xfbfs_html	*old;

	xfbfs_mutex_lock(&tree->html_lock);
	old = tree->html;
	tree->html = NULL;
	xfbfs_mutex_unlock(&tree->html_lock);
	xfbfs_html_put(old);
}

/* The size rule: the current page's true size (made if need be). */
static int
xfbfs_html_getattr(struct xfbfs_tree *tree, uint64_t sub, struct stat *st)
{
	struct xfbfs_html	*r;
	int			error;

	(void)sub;
	error = xfbfs_html_get(tree, &r);
	if (error)
		return error;
	st->st_size = r->text.len;
	st->st_blocks = (r->text.len + 511) / 512;
	xfbfs_html_put(r);
	return 0;
}

/* An open reads the page of this moment to the end. */
static int
xfbfs_html_open(struct xfbfs_handle *h, int flags)
{
	struct xfbfs_html_handle *hh =
		xfbfs_container_of(h, struct xfbfs_html_handle, h);
	int			error;

	(void)flags;
	error = xfbfs_tree_lock_live(h->tree, false);
	if (error)
		return error;
	error = xfbfs_html_get(h->tree, &hh->page);
	xfbfs_rwlock_unlock(&h->tree->lock);
	return error;
}

static void
xfbfs_html_release(struct xfbfs_handle *h)
{
	xfbfs_html_put(xfbfs_container_of(h, struct xfbfs_html_handle,
					  h)->page);
}

static int
xfbfs_html_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	struct xfbfs_html	*r =
		xfbfs_container_of(h, struct xfbfs_html_handle, h)->page;
	size_t			skip;

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	if (off < 0)
		return -EINVAL;
	skip = (uint64_t)off < r->text.len ? (size_t)off : r->text.len;
	*datap = xmem_str_cstr(&r->text) + skip;
	if (*sizep > r->text.len - skip)
		*sizep = r->text.len - skip;
	return 0;
}

const struct xfbfs_file_ops xfbfs_kind_treehtml = {
	.name		= "tree.html",
	.mode		= S_IFREG | 0444,
	.flags		= XFBFS_KIND_ALWAYS,	/* ls makes no page */
	.handle_size	= sizeof(struct xfbfs_html_handle),
	.getattr	= xfbfs_html_getattr,
	.truncate	= xfbfs_truncate_nothing,
	.open		= xfbfs_html_open,
	.release	= xfbfs_html_release,
	.read		= xfbfs_html_read,
};
