// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fault.c: `.fault`, the mount's fault injector (debug builds only).
 *
 * A test hook, not part of the user interface: in builds with XFB_DEBUG
 * (any build type but release) the root holds a hidden file `.fault`
 * (not listed by readdir; lookup finds it).  Writing
 *
 *	N      (N >= 1) fail the N-th xmem allocation from now on, of any
 *	       kind (heap, or xfile page preallocation, which fails with
 *	       ENOMEM too), once: xmem_fault_arm(N, XMEM_ANY, -ENOMEM)
 *	off    disarm
 *
 * arms the library's injector (xfile/xmem.h) inside the running daemon,
 * so that one mount serves every N of a loop.  Reading gives one line,
 *
 *	armed N fired F        or        off fired F
 *
 * F being the allocations failed since the last arming: 0 after an
 * operation means N lay past its last allocation, and the loop is done.
 *
 * The file has inode XFBFS_FAULT_INO (id 0, so no tree's), no handle
 * (fi->fh is 0) and no size; reads are direct.  Its handlers are called
 * by ops.c and handle.c before anything looks at a tree.  In release
 * builds xfbfs_fault_ino() is a constant false and none of this exists.
 *
 * Locking: none; the injector is atomics (xmem.c), and so is the N
 * remembered for reads.
 *
 * Errors: a bad write is EINVAL and changes nothing.
 *
 * Related: xfile/xmem.h (the injector), tests/integration/faults.sh.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/xfbfs.h"
#include "xfile/xmem.h"

#ifdef XFB_DEBUG

/* The N armed, 0 while off (read back only; xmem.c holds the truth). */
static atomic_ulong	xfbfs_fault_nth;

void
xfbfs_fault_stat(struct stat *st)
{
	st->st_ino = XFBFS_FAULT_INO;
	st->st_mode = S_IFREG | 0600;
	st->st_nlink = 1;
	st->st_size = 0;
}

/* Parse and apply a write's text: 0 or -EINVAL. */
static int
xfbfs_fault_set(const char *buf, size_t size)
{
	char		text[32];
	char		*end;
	unsigned long	n;
	int		error;

	while (size && (buf[size - 1] == '\n' || buf[size - 1] == ' '))
		size--;
	if (!size || size >= sizeof(text))
		return -EINVAL;
	memcpy(text, buf, size);
	text[size] = '\0';
	if (!strcmp(text, "off")) {
		xmem_fault_disarm();
		atomic_store(&xfbfs_fault_nth, 0);
		return 0;
	}
	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(text, &end, 10);
	if (errno || *end || n == 0)
		return -EINVAL;
	error = xmem_fault_arm(n, XMEM_ANY, -ENOMEM);
	if (error)
		return error;
	atomic_store(&xfbfs_fault_nth, n);
	return 0;
}

void
xfbfs_fault_ll_read(fuse_req_t req, size_t size, off_t off)
{
	char		text[64];
	unsigned long	n = atomic_load(&xfbfs_fault_nth);
	int		len;

	if (n)
		len = snprintf(text, sizeof(text), "armed %lu fired %lu\n", n,
			       xmem_fault_fired());
	else
		len = snprintf(text, sizeof(text), "off fired %lu\n",
			       xmem_fault_fired());
	if (off >= len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > (size_t)(len - off))
		size = len - off;
	fuse_reply_buf(req, text + off, size);
}

void
xfbfs_fault_ll_write(fuse_req_t req, const char *buf, size_t size)
{
	int	error = xfbfs_fault_set(buf, size);

	if (error)
		xfbfs_reply_err(req, error);
	else
		fuse_reply_write(req, size);
}

#endif /* XFB_DEBUG */
