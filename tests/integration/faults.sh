#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# faults.sh: every allocation of a write, failed in turn, through the
# mount (README, "Reliability").  The daemon's `.fault` (debug builds
# only; skipped in a release build) arms the library's fault injector:
# "N" fails the N-th xmem allocation from now on, of any kind, with
# ENOMEM.  For each operation that changes a btree (insert, delete, a
# lookup query, load, type, a data write and truncate, a write of
# pages/N under pages_writable, mkdir) the walk
# goes N = 1, 2, 3, ... until the operation succeeds with no fault fired.
# After each injected failure:
#   - the operation failed with exactly ENOMEM (at the call that hit
#     it; calls on a descriptor whose open failed say EBADF, and a load's
#     close repeats the ENOMEM of its failed write: nothing loaded);
#   - nothing changed: the btree's fingerprint (_snap), its check, and
#     the counters of committed work in stats (inserts, deletes,
#     splits, ..., commits, loads); failed_transactions moved by 0 (the
#     failure came before any transaction) or 1;
#   - the daemon still serves (the checks above are reads through it).
# The sanitizer build's harness fails on a leak report at unmount.
# Usage: faults.sh (XFB_TEST_SCALE < 1 makes the trees smaller).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

_mount pages_writable
F=$MNT/.fault
[ -e "$F" ] || _notrun "no .fault: a release build"

SCALE=${XFB_TEST_SCALE:-1}
NREC=$(awk -v s="$SCALE" 'BEGIN { n = int(1200 * s); print n < 300 ? 300 : n }')
NBYTES=$(awk -v s="$SCALE" 'BEGIN { n = int(40000 * s); print n < 8192 ? 8192 : n }')

# The counters of committed work: a refused write moves none of them.
COUNTERS="records inserts deletes updates splits merges shifts new_roots root_kills commits loads"

# state VAR DIR: what a failed operation must leave as it was (the
# btree's light fingerprint, its counters, the mount's root listing), into
# VAR; built by the shell, as it is taken twice a step.
state()
{
	local -n st_out=$1
	local st_stats st_c st_f

	_snap_v st_out "$2" light
	_xfbt_slurp "$2/stats" st_stats || _fail "reading $2/stats failed"
	for st_c in $COUNTERS; do
		_xfbt_stat_value "$st_stats" "$st_c" || REPLY=
		st_out+=$'\n'"$st_c $REPLY"
	done
	for st_f in "$MNT"/.* "$MNT"/*; do
		st_out+=$'\n'"${st_f##*/}"
	done
}

TOTAL_POINTS=0
TX=0		# failures the last walk counted in failed_transactions
TOTAL_OPS=0

# walk NAME DIR STEP...: run the probe STEPs with the N-th allocation
# failing, N = 1, 2, ... until they succeed with no fault fired.
walk()
{
	local name=$1 d=$2 n before after got fired failed0 failed1 tok
	local seen_enomem

	shift 2
	TX=0
	for ((n = 1; ; n++)); do
		[ "$n" -le 2000 ] || _fail "$name: still failing at N = $n"
		state before "$d"
		_stat_v failed0 "$d" failed_transactions
		echo "$n" >"$F"
		_probe_v got "$@" || _fail "xfbt_probe failed: $*"
		_xfbt_slurp "$F" fired
		echo off >"$F"
		fired=${fired##* }
		if [ "$fired" = 0 ]; then
			[[ ! "$got" =~ [^OK\ ] ]] ||
				_fail "$name: no fault fired at N = $n, yet '$got'"
			break
		fi
		seen_enomem=0
		for tok in $got; do
			case $tok in
			OK) ;;
			ENOMEM) seen_enomem=$((seen_enomem + 1)) ;;
			EBADF) [ "$seen_enomem" -ge 1 ] ||
				_fail "$name N=$n: '$got'" ;;
			*) _fail "$name N=$n: '$got' (expected ENOMEM)" ;;
			esac
		done
		[ "$seen_enomem" -ge 1 ] ||
			_fail "$name N=$n: fault fired, calls said '$got'"
		state after "$d"
		[ "$after" = "$before" ] || {
			diff <(echo "$before") <(echo "$after") >&2 || true
			_fail "$name N=$n: the refused operation changed the btree"
		}
		_check "$d"
		_stat_v failed1 "$d" failed_transactions
		case $((failed1 - failed0)) in
		0) ;;
		1) TX=$((TX + 1)) ;;
		*) _fail "$name N=$n: failed_transactions $failed0 -> $failed1" ;;
		esac
	done
	echo "$name: $((n - 1)) allocation points failed" \
		"($TX counted in failed_transactions)"
	TOTAL_POINTS=$((TOTAL_POINTS + n - 1))
	TOTAL_OPS=$((TOTAL_OPS + 1))
}

# A kv btree of NREC records, two levels high, and an empty one.
B=$MNT/b
mkdir "$B" "$MNT/e"
seq 1 "$NREC" | awk '{ print $1 * 10, $1 }' >"$_XFBT_TMP/recs"
_ok open "$B/insert" w writefile "$_XFBT_TMP/recs" close
[ "$(_stat "$B" height)" -ge 2 ] || _fail "setup: $B is not two levels high"

# A batch of inserts that splits leaves: every tenth key between.
seq 1 300 | awk '{ print $1 * 10 + 5, $1 }' >"$_XFBT_TMP/batch"
walk insert "$B" open "$B/insert" w writefile "$_XFBT_TMP/batch" close
[ "$(_stat "$B" records)" = $((NREC + 300)) ] || _fail "insert: records"
[ "$TX" -gt 0 ] || _fail "insert: no failure counted in failed_transactions"

seq 1 300 | awk '{ print $1 * 10 + 5 }' >"$_XFBT_TMP/dels"
walk delete "$B" open "$B/delete" w writefile "$_XFBT_TMP/dels" close
[ "$(_stat "$B" records)" = "$NREC" ] || _fail "delete: records"
[ "$TX" -gt 0 ] || _fail "delete: no failure counted in failed_transactions"

walk lookup "$B" open "$B/lookup" rw write $'eq 50\nrange 100 2000\n' read

seq 1 500 | awk '{ print $1 * 3, $1 }' >"$_XFBT_TMP/load"
walk load "$MNT/e" open "$MNT/e/load" w writefile "$_XFBT_TMP/load" close
[ "$(_stat "$MNT/e" records)" = 500 ] || _fail "load: records"

mkdir "$MNT/t"
walk type "$MNT/t" open "$MNT/t/type" w write $'rmap\n' close
_content "$MNT/t/type" rmap

mkdir "$MNT/d"
head -c "$NBYTES" /dev/urandom >"$_XFBT_TMP/bytes"
walk data-write "$MNT/d" open "$MNT/d/data" w writefile "$_XFBT_TMP/bytes" close
cmp "$_XFBT_TMP/bytes" "$MNT/d/data" || _fail "data: bytes differ"
walk data-truncate "$MNT/d" truncate "$MNT/d/data" 5000
[ "$(stat -c %s "$MNT/d/data")" = 5000 ] || _fail "data: size"

# A page written back as it is (the write path, its buffer, the commit).
cp "$B/pages/1" "$_XFBT_TMP/page1"
walk pages-write "$B" open "$B/pages/1" w writefile "$_XFBT_TMP/page1" close
cmp "$_XFBT_TMP/page1" "$B/pages/1" || _fail "pages: block 1 changed"

walk mkdir "$B" mkdir "$MNT/new"
[ -d "$MNT/new" ] || _fail "mkdir: no new btree"
_check "$MNT/new"

echo "faults: $TOTAL_POINTS allocation points failed over $TOTAL_OPS operations"
