#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# stress.sh: a short run of scripts/stress.sh against this build's daemon:
# 20 s of fio with verification on several btrees' `data` files, writers
# inserting, looking up and deleting on kv, rmap and refcount btrees (and
# the errors they must get), readers of `records` and `pages/`, a loader
# reloading a btree, and `check` of every btree every few seconds.  The
# script mounts its own daemon and fails on any unexpected error, failed
# verify or check, or a daemon that died or did not exit 0.
#
# XFB_TEST_SCALE (default 1) scales the sizes (fio 4 MiB per job and loads
# of up to 20,000 records at scale 1) and the time (15 s at scale 1, never
# below 8 s); the ASan build runs it at 0.25, the long run
# (XFB_TEST_SCALE=4) for 60 s.  Skipped without fio.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

command -v fio >/dev/null || _notrun "no fio (apt-get install fio)"

scale=${XFB_TEST_SCALE:-1}
read -r size nrec secs < <(awk -v s="$scale" 'BEGIN {
	kib = int(4096 * s); if (kib < 512) kib = 512
	n = int(20000 * s); if (n < 2000) n = 2000
	t = int(15 * s); if (t < 8) t = 8
	print kib "k", n, t
}')
"$XFBT_SRCDIR/scripts/stress.sh" -t "$secs" -s "$size" -n "$nrec" ||
	_fail "scripts/stress.sh -t $secs -s $size -n $nrec failed (see above)"
