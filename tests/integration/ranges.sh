#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ranges.sh: rmap and refcount `range` answers under concurrent writers.
# xfbt_ranges (its header says exactly what it checks) runs two writers
# and two readers on an rmap and a refcount btree: writers churn
# overlapping extents (inserts, deletes, updates, writes that must fail)
# and log when each write began and ended; readers ask ranges and read
# the answers in small reads, so the daemon's answer window resumes many
# times, and every answer is checked: in key order, nothing that was not
# there during the read, everything that was there throughout.  At the
# end `records` equals what the writers left and `check` says ok.
#
# Two mounts: 512-byte blocks (deep trees, splits and joins all the
# time), then the default block size.  About 15 s and 30,000 slots per
# btree at XFB_TEST_SCALE=1 (the default); the ASan build's 0.25 runs
# 5 s on 12,000 slots (so that long answers still resume).  XFB_TEST_SEED=N repeats the records and the
# choices (not the timing); by default the seed is new and printed.
#
# On a wrong answer the driver keeps the answer, a second try, a third
# with the writers stopped, check, stats, records, errors and the pages
# (decoded here with the page decoder) in a directory outside the test's
# temporary one, and the failure message says where.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

XFBT_RANGES=${XFBT_RANGES:-$_xfbt_helpers/xfbt_ranges}
[ -x "$XFBT_RANGES" ] || _fail "no xfbt_ranges at $XFBT_RANGES"
scale=${XFB_TEST_SCALE:-1}
read -r t512 tdef nslots < <(awk -v s="$scale" 'BEGIN {
	a = int(10 * s + 0.5); if (a < 3) a = 3
	b = int(5 * s + 0.5); if (b < 2) b = 2
	n = int(30000 * s); if (n < 12000) n = 12000
	print a, b, n
}')
case ${XFB_TEST_SEED:-random} in
random) seed=$((RANDOM * 32768 + RANDOM)) ;;
*) seed=$XFB_TEST_SEED ;;
esac
# The checker's own rules first, on hand-built event logs.
"$XFBT_RANGES" selftest || _fail "xfbt_ranges selftest"
keep=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-ranges.XXXXXX")

# decode DIR: the page decoder's text beside every page kept under DIR.
decode()
{
	local p

	[ -n "${XFBT_DECODE:-}" ] && [ -x "$XFBT_DECODE" ] || return 0
	for p in "$1"/miss.*/pages/*; do
		[ -f "$p" ] && [[ $p != *.txt ]] || continue
		"$XFBT_DECODE" "$p" >"$p.txt" 2>&1 || true
	done
}

# run NAME SECONDS [MOUNT-OPTION...]: one mount, one run of the driver.
run()
{
	local name=$1 secs=$2

	shift 2
	_mount "$@"
	mkdir "$MNT/rmap" "$MNT/refcount"
	echo "== $name: $secs s, seed $seed"
	if ! "$XFBT_RANGES" -t "$secs" -n "$nslots" -s "$seed" \
			-k "$keep/$name" "rmap:$MNT/rmap" \
			"refcount:$MNT/refcount"; then
		decode "$keep/$name"
		_fail "range answers ($name, seed $seed) were wrong;" \
			"what explains it is kept in $keep/$name"
	fi
	_check "$MNT/rmap"
	_check "$MNT/refcount"
	_umount
}

run blocksize-512 "$t512" blocksize=512
run default-blocksize "$tdef"
rm -rf "$keep"
