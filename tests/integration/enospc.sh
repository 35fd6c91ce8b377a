#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# enospc.sh: running out of max_memory (xfbtreefs(8);
# xfbtreefs(5), WRITES).  With max_memory=2M, inserts go in until a write fails
# with ENOSPC; that write changes nothing (records, shape and every page
# byte for byte as before, check ok, health ok), the reason is in errors,
# and deletes still work and make room again.  The same with tmpdir, and
# for a new btree made while memory is full.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# try DIR FILE [light]: one write of FILE to DIR/insert.  If it succeeds, FILE
# joins $T/model and tried=ok; if it fails with ENOSPC the btree must be
# exactly as before, and tried=full; anything else fails.  (No return
# status: a function called in a condition runs without set -e.)
# Below half of the cap (no batch needs that much), and with "light" (a
# refill: the first fill compared the bytes already), the page bytes are
# left out of the comparison, to save time.
try()
{
	local d=$1 file=$2 light=${3:-} got snap frsize blocks free

	read -r frsize blocks free < <(stat -f -c '%S %b %f' "$MNT")
	if [ -n "$light" ] || [ $((blocks - free)) -lt $((blocks / 2)) ]; then
		_snap_v snap "$d" light
	else
		_snap_v snap "$d"
	fi
	_probe_v got open "$d/insert" w writefile "$file" close
	case ${got% } in
	"OK OK OK")
		cat "$file" >>"$T/model"
		tried=ok
		return
		;;
	"OK ENOSPC OK")
		_unchanged "$d" "$snap"
		tried=full
		return
		;;
	esac
	_fail "insert of $(wc -l <"$file") records: '$got'"
}

# fill DIR [light]: insert batches of 8000 records (one write each, keys
# spread out) until one fails with ENOSPC, then one batch each of 4000,
# 2000, ..., 1 record (a leaf may still have room for a few).  Every
# refused write must have changed nothing (with "light", as far as
# records, shape and stats tell); the btree must hold exactly what was
# accepted.
fill()
{
	local d=$1 light=${2:-} next=0 size=8000 full=''

	: >"$T/model"
	while [ "$size" -ge 1 ]; do
		awk -v n="$next" -v size="$size" 'BEGIN {
			for (i = n; i < n + size; i++)
				print i * 7919 % 1000003, i }' >"$T/batch"
		next=$((next + size))
		try "$d" "$T/batch" "$light"
		[ "$tried" = ok ] || full=1
		[ -z "$full" ] || size=$((size / 2))
		[ "$next" -lt 1000000 ] || _fail "no ENOSPC after $next records"
	done
	sort -n "$T/model" >"$T/want"
	cmp -s "$T/want" <(cat "$d/records") || _fail "records differ from model"
	[ "$(_stat "$d" records)" = "$(wc -l <"$T/model")" ] ||
		_fail "stats records differ from model"
	[ "$(_stat "$d" health)" = ok ] || _fail "health after ENOSPC"
	[ "$(wc -l <"$T/model")" -ge 20000 ] ||
		_fail "ENOSPC after $(wc -l <"$T/model") records already"
	echo "$d: full at $(wc -l <"$T/model") records"
}

for opts in "max_memory=2M" "max_memory=2M,tmpdir=$T/xf"; do
	mkdir -p "$T/xf"
	_mount "$opts"
	B=$MNT/b
	mkdir "$B"
	fill "$B"
	errors=$(tail -n 1 "$B/errors")
	[ -n "$errors" ] || _fail "ENOSPC not in errors"
	# df: the mount is (nearly) full, never past its size.
	read -r frsize blocks free < <(stat -f -c '%S %b %f' "$MNT")
	[ "$blocks" -ge "$free" ] || _fail "df: more free than size"
	[ $((frsize * blocks)) = $((2 * 1024 * 1024)) ] || _fail "df size"
	[ $((frsize * (blocks - free))) -ge $((1024 * 1024)) ] ||
		_fail "df: ENOSPC with only $((frsize * (blocks - free))) used"
	# A new btree when memory is full: refused with ENOSPC or made whole.
	got=$(_probe mkdir "$MNT/c")
	case ${got% } in
	OK)
		_check "$MNT/c"
		_content "$MNT/c/records" ""
		rmdir "$MNT/c"
		;;
	ENOSPC)
		[ ! -e "$MNT/c" ] || _fail "failed mkdir left $MNT/c behind"
		;;
	*)
		_fail "mkdir on a full mount: '$got'"
		;;
	esac
	# Deletes still work; deleting the lowest keys frees whole leaves and
	# makes room.
	sort -n "$T/model" >"$T/sorted"
	head -n 20000 "$T/sorted" | cut -d' ' -f1 >"$T/del"
	_ok open "$B/delete" w writefile "$T/del" close
	tail -n +20001 "$T/sorted" >"$T/want"
	cmp -s "$T/want" <(cat "$B/records") || _fail "records after delete"
	_check "$B"
	_write "$B/insert" $'3000000 1\n3000001 2\n'
	_check "$B"
	# rmdir gives it all back: a new btree fills up as far again.
	rmdir "$B"
	mkdir "$B"
	fill "$B" light
	_umount
done
