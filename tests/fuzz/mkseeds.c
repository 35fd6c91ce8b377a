// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkseeds.c: write the block-image seeds of the fuzz corpora.
 *
 *	fuzz_mkseeds DIR
 *
 * builds small btrees of each type (512-byte blocks, two levels) and
 * writes, for fuzz_decode, their header block, a leaf and the root node
 * as seeds in the target's input format (a mode byte, then the page),
 * and for fuzz_verify, the same nodes as overwrites of another tree's
 * block (its mode, block and probe bytes, then the page).  Files go to
 * DIR/fuzz_decode/ and DIR/fuzz_verify/, which must exist.  The seeds in
 * tests/fuzz/corpus/ were made with it; rerun it after a format change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree/btree_kv.h"
#include "btree/btree_refcount.h"
#include "btree/btree_rmap.h"
#include "btree/xbtree.h"

#define BS	512U

static void
put_file(const char *dir, const char *sub, const char *name, uint8_t mode,
		const uint8_t *pre, size_t npre, const void *page, size_t len)
{
	char	path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputc(mode, f);
	fwrite(pre, 1, npre, f);
	fwrite(page, 1, len, f);
	if (fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void
make_rec(const struct xbt_ops *ops, unsigned int i, uint8_t *rec)
{
	if (ops == &kvbt_ops) {
		kvbt_rec_init(rec, i * 3 + 1, i * 7);
	} else if (ops == &rmapbt_ops) {
		struct rmapbt_irec	r = {
			.startblock = i * 2, .blockcount = 3,
			.owner = 100 + i % 5, .offset = i,
			.flags = i % 5 == 1 ? RMAPBT_F_ATTR : 0,
		};

		rmapbt_rec_init(rec, &r);
	} else {
		struct refcbt_irec	r = {
			.startblock = i * 4, .blockcount = 3,
			.refcount = 2 + i % 3,
		};

		refcbt_rec_init(rec, &r);
	}
}

int
main(int argc, char **argv)
{
	static const struct xbt_ops *const types[3] = {
		&kvbt_ops, &rmapbt_ops, &refcbt_ops,
	};
	static const char *const names[3] = { "kv", "rmap", "refcount" };
	static const uint8_t	uuid[16] = "mkseeds uuid....";
	struct xbtree_params	params = {
		.blocksize = BS, .owner = 1, .uuid = uuid,
	};
	struct xbtree		*bt;
	struct xbt_trans	*tp;
	struct xbtree_stats	st;
	uint8_t			rec[XBT_REC_MAX], page[BS];
	uint8_t			pre[3];
	uint64_t		root;
	char			name[64];
	unsigned int		t, i;
	int			stat;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (t = 0; t < 3; t++) {
		if (xbtree_create(types[t], &params, &bt) ||
		    xbt_trans_alloc(bt, &tp))
			return 1;
		for (i = 0; i < 60; i++) {
			make_rec(types[t], i, rec);
			if (xbt_insert(tp, rec, &stat) || !stat)
				return 1;
		}
		if (xbt_trans_commit(tp))
			return 1;
		xbtree_get_stats(bt, &st);

		/* decode: mode 2 = a 512-byte page, checksums as they are. */
		xbtree_read_block(bt, 0, page);
		root = get_be64(page + 16);
		snprintf(name, sizeof(name), "%s-head", names[t]);
		put_file(argv[1], "fuzz_decode", name, 2, NULL, 0, page, BS);
		xbtree_read_block(bt, 1, page);
		snprintf(name, sizeof(name), "%s-leaf", names[t]);
		put_file(argv[1], "fuzz_decode", name, 2, NULL, 0, page, BS);
		xbtree_read_block(bt, root, page);
		snprintf(name, sizeof(name), "%s-node", names[t]);
		put_file(argv[1], "fuzz_decode", name, 2, NULL, 0, page, BS);

		/*
		 * verify: this tree's root node laid over fuzz_verify's own
		 * tree of 60 records of the same type (mode: type, size 1,
		 * checksum fixed), at its first btree block.
		 */
		pre[0] = 0;
		pre[1] = 7;
		snprintf(name, sizeof(name), "%s-foreign-node", names[t]);
		put_file(argv[1], "fuzz_verify", name, t | 4 | 1 << 3, pre, 2,
			 page, BS);
		xbtree_destroy(bt);
	}
	return 0;
}
