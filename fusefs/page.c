// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * page.c: the `pages/` directory of a btree and its files: pages/N is
 * block N exactly as stored, blocksize bytes.
 *
 * The listing is the allocated blocks, lowest first; a readdir offset is
 * 3 + the block number after the last one listed, so that blocks freed
 * or allocated during a listing never make it skip or repeat another.
 * Names are canonical decimal numbers; their dentries are not cached
 * (XFBFS_KIND_UNCACHED), since blocks come and go.
 *
 * A read copies the whole block out under the tree's read lock, so that
 * every read sees one consistent image of it.  With the pages_writable
 * mount option a write replaces the bytes it covers under the write
 * lock, with no check at all: that is how tests inject damage.
 *
 * Locking: h->lock guards the handle's copy of the block; tree->lock is
 * taken for reading (read) or writing (write).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

struct xfbfs_page_handle {
	struct xfbfs_handle	h;
	uint64_t		bno;		/* immutable */
	char			*block;		/* the last read's copy */
	size_t			block_len;	/* bytes block holds */
};

static inline struct xfbfs_page_handle *
xfbfs_page_handle(struct xfbfs_handle *h)
{
	return xfbfs_container_of(h, struct xfbfs_page_handle, h);
}

/* ---- pages/ ----------------------------------------------------------- */

/* pages/N: canonical decimal block numbers only ("01" is not block 1). */
static int
xfbfs_pages_lookup(const char *name, uint64_t *subp)
{
	unsigned long long	n;
	char			*end;

	if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
		return -ENOENT;
	n = strtoull(name, &end, 10);
	if (*end || n >= (1ULL << XFBFS_ID_SHIFT) - XFBFS_PAGE_BASE)
		return -ENOENT;
	*subp = XFBFS_PAGE_BASE + n;
	return 0;
}

static int
xfbfs_pages_readdir(struct xfbfs_tree *tree, struct xfbfs_dirbuf *db,
		off_t off)
{
	char		name[24];
	uint64_t	bno;

	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));
	for (bno = off - 2; xbtree_next_block(tree->bt, bno, &bno); bno++) {
		snprintf(name, sizeof(name), "%llu", (unsigned long long)bno);
		if (!xfbfs_dir_add(db, name,
				   xfbfs_ino(tree->id, XFBFS_PAGE_BASE + bno),
				   S_IFREG, bno + 3))
			break;
	}
	return 0;
}

const struct xfbfs_file_ops xfbfs_kind_pages = {
	.name		= "pages",
	.mode		= S_IFDIR | 0555,
	.lookup		= xfbfs_pages_lookup,
	.readdir	= xfbfs_pages_readdir,
};

/* ---- pages/N ---------------------------------------------------------- */

/* There while block N is allocated; writable with pages_writable. */
static int
xfbfs_page_getattr(struct xfbfs_tree *tree, uint64_t sub, struct stat *st)
{
	ASSERT(xfbfs_rwlock_is_locked(&tree->lock));
	if (!xbtree_block_is_allocated(tree->bt, sub - XFBFS_PAGE_BASE))
		return -ENOENT;
	st->st_mode = S_IFREG |
		      (tree->fs->opts.pages_writable ? 0644 : 0444);
	st->st_size = xbtree_blocksize(tree->bt);
	st->st_blocks = st->st_size / 512;
	return 0;
}

static int
xfbfs_page_open(struct xfbfs_handle *h, int flags)
{
	(void)flags;
	xfbfs_page_handle(h)->bno = h->sub - XFBFS_PAGE_BASE;
	return 0;
}

static int
xfbfs_page_read(struct xfbfs_handle *h, off_t off, size_t *sizep,
		const void **datap)
{
	struct xfbfs_page_handle *ph = xfbfs_page_handle(h);
	struct xfbfs_tree	*tree = h->tree;
	unsigned int		bs;
	char			*p;
	int			error;

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	error = xfbfs_tree_lock_live(tree, false);
	if (error)
		return error;
	bs = xbtree_blocksize(tree->bt);
	if (off < 0 || (uint64_t)off >= bs) {
		*sizep = 0;
		goto out_unlock;
	}
	if (ph->block_len != bs) {
		p = xmem_realloc(ph->block, bs, 1);
		if (!p) {
			error = -ENOMEM;
			goto out_unlock;
		}
		ph->block = p;
		ph->block_len = bs;
	}
	error = xbtree_read_block(tree->bt, ph->bno, ph->block);
	if (error)
		goto out_unlock;
	if (*sizep > bs - (uint64_t)off)
		*sizep = bs - (uint64_t)off;
	*datap = ph->block + off;
out_unlock:
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

static int
xfbfs_page_write(struct xfbfs_handle *h, const char *buf, size_t size,
		off_t off)
{
	struct xfbfs_tree	*tree = h->tree;
	uint64_t		bs;
	int			error;

	ASSERT(xfbfs_mutex_is_locked(&h->lock));
	error = xfbfs_tree_lock_live(tree, true);
	if (error)
		return error;
	bs = xbtree_blocksize(tree->bt);
	if (off < 0 || (uint64_t)off >= bs || size > bs - (uint64_t)off) {
		error = -EFBIG;
		goto out_unlock;
	}
	error = xbtree_write_block(tree->bt, xfbfs_page_handle(h)->bno, buf,
				   size, off);
	if (!error)
		xfbfs_tree_touch(tree);
out_unlock:
	xfbfs_rwlock_unlock(&tree->lock);
	return error;
}

static void
xfbfs_page_release(struct xfbfs_handle *h)
{
	xmem_free(xfbfs_page_handle(h)->block);
}

/* Not in xfbfs_kinds[]: pages/N has sub XFBFS_PAGE_BASE + N. */
const struct xfbfs_file_ops xfbfs_kind_page = {
	.name		= "page",
	.mode		= S_IFREG | 0444,
	.flags		= XFBFS_KIND_UNCACHED,
	.handle_size	= sizeof(struct xfbfs_page_handle),
	.getattr	= xfbfs_page_getattr,
	.open		= xfbfs_page_open,
	.release	= xfbfs_page_release,
	.read		= xfbfs_page_read,
	.write		= xfbfs_page_write,
};
