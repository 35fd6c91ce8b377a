#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# load.sh: bulk loads through `load`.
#
# - a million records in random order, loaded, and the same records
#   inserted one by one: the same `records`, fewer blocks, check ok,
#   every block but the root full to within one entry of its neighbours;
# - when a load commits: a FLUSH after new writes (cumulative per open
#   file: { cat a; cat b; } > load), fsync, not `: > load`; a load
#   replaces what was inserted while it staged; progress in stats;
# - a bad line, a duplicate, an overlapping refcount extent, ENOSPC, and
#   a type change while staging fail the close and leave the old btree
#   exactly as it was; the next load on the same open file starts afresh;
# - rmap and refcount loads;
# - readers during a load see the old btree or the new one, whole.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

scale=${XFB_TEST_SCALE:-1}
N=$(awk -v s="$scale" 'BEGIN { n = int(1000000 * s); print n < 100000 ? 100000 : n }')

# N records in an order that is not the key order (7919 is prime to the
# prime 1000003, so the keys are distinct).
gen()
{
	seq 0 $(($1 - 1)) | awk '{ print $1 * 7919 % 1000003 * 3, $1 }'
}

_mount
A=$MNT/a
B=$MNT/b
mkdir "$A" "$B"

# ---- a million records ---------------------------------------------------------
gen "$N" >"$T/recs"
sort -n -k1,1 "$T/recs" >"$T/want"
start=$SECONDS
cat "$T/recs" >"$A/load"
echo "loaded $N records in $((SECONDS - start)) s"
start=$SECONDS
cat "$T/recs" >"$B/insert"
echo "inserted $N records in $((SECONDS - start)) s"
cmp "$T/want" <(cat "$A/records") || _fail "loaded records differ"
cmp <(cat "$A/records") <(cat "$B/records") ||
	_fail "loaded and inserted records differ"
_check "$A"
[ "$(_stat "$A" records)" = "$N" ] || _fail "stats records after load"
[ "$(_stat "$A" loads)" = 1 ] || _fail "stats loads"
[ "$(_stat "$A" load_staged)" = 0 ] || _fail "load_staged after close"
[ "$(_stat "$A" blocks)" -lt "$(_stat "$B" blocks)" ] ||
	_fail "load took $(_stat "$A" blocks) blocks, inserts $(_stat "$B" blocks)"
# Every leaf full: N / maxrecs leaves, rounded up, and no more.
leafmax=$(_stat "$A" maxrecs_leaf)
nodemax=$(_stat "$A" maxrecs_node)
expect=$(awk -v n="$N" -v l="$leafmax" -v m="$nodemax" 'BEGIN {
	t = 1; b = int((n + l - 1) / l)
	while (b > 1) { t += b; b = int((b + m - 1) / m) }
	print t + 1 }')
[ "$(_stat "$A" blocks)" = "$expect" ] ||
	_fail "load: $(_stat "$A" blocks) blocks, expected $expect"
for key in 0 3 $((3 * 1000002)); do
	want=$(awk -v k="$key" '$1 == k { print; exit }' "$T/want")
	exec 3<>"$A/lookup"
	echo "eq $key" >&3
	got=$(cat <&3)
	exec 3>&-
	[ "$got" = "$want" ] || _fail "eq $key after load: '$got'"
done
# Changes after a load work as on any btree.
_write "$A/insert" $'1 1\n'
_write "$A/delete" $'0\n'
_check "$A"
rmdir "$B"

# ---- when a load commits ---------------------------------------------------------
printf '10 1\n20 2\n' >"$T/a"
printf '30 3\n5 4\n' >"$T/b"
uuid=$(od -A n -t x1 -j 24 -N 16 "$A/pages/0")
{ cat "$T/a"; cat "$T/b"; } >"$A/load"
_content "$A/records" $'5 4\n10 1\n20 2\n30 3'
# The same btree: its UUID stays; its counters start afresh.
[ "$(od -A n -t x1 -j 24 -N 16 "$A/pages/0")" = "$uuid" ] ||
	_fail "a load changed the btree's UUID"
[ "$(_stat "$A" inserts)" = 0 ] || _fail "counters after a load"
# Nothing new: nothing happens.
: >"$A/load"
_content "$A/records" $'5 4\n10 1\n20 2\n30 3'
# An open file that has staged records: stats shows them, the btree is
# unchanged until the close, and inserts meanwhile are replaced.  The
# file is held open by xfbt_probe: in the shell, a command substitution
# or even a redirection of a builtin (which dups the descriptor and
# closes the copy) would FLUSH it.
hold_open()	# FILE TEXT-FILE NRECORDS: stage TEXT-FILE, close 4 s later
{
	"$XFBT_PROBE" open "$1" w writefile "$2" sleep 4000 close \
		>"$T/holder.out" &
	holder=$!
	_track $holder
	for i in $(seq 1 100); do
		[ "$(_stat "$A" load_staged)" = "$3" ] && return
		sleep 0.05
	done
	_fail "load_staged never reached $3"
}
let_go()
{
	_wait $holder || _fail "the holder of an open load failed"
	[ "$(tr -d ' \n' <"$T/holder.out")" = OKOKOKOK ] ||
		_fail "holder: $(cat "$T/holder.out")"
}
printf '7 7\n8 8\n9 9\n' >"$T/c"
hold_open "$A/load" "$T/c" 3
_content "$A/records" $'5 4\n10 1\n20 2\n30 3'
_write "$A/insert" $'100 100\n'
let_go
_content "$A/records" $'7 7\n8 8\n9 9'
[ "$(_stat "$A" load_staged)" = 0 ] || _fail "load_staged after close"
# fsync commits, and staging goes on after it.
_ok open "$A/load" w write $'1 1\n' fsync
_content "$A/records" "1 1"
_ok open "$A/load" w write $'1 1\n' fsync write $'2 2\n' close
_content "$A/records" $'1 1\n2 2'
# A last line without a newline counts.
printf '4 4\n3 3' >"$A/load"
_content "$A/records" $'3 3\n4 4'
# An empty load (only a comment) empties the btree.
echo "# nothing" >"$A/load"
_content "$A/records" ""
[ "$(_stat "$A" blocks)" = 2 ] || _fail "empty load: blocks"
_check "$A"

# ---- failures leave the old btree ----------------------------------------------------
gen 5000 >"$A/load"
snap=$(_snap "$A")
# A bad line: that write fails, and the close too.
_expect "OK OK EINVAL EINVAL" open "$A/load" w write $'1 1\n' \
	write $'2 x\n' close
_unchanged "$A" "$snap"
grep -q "load: line 1" "$A/errors" || _fail "bad line not in errors"
# A bad last line (no newline) fails the close.
_expect "OK OK EINVAL" open "$A/load" w write $'1 1\n2 x' close
_unchanged "$A" "$snap"
# A duplicate key fails the close and names both records.
_expect "OK OK EEXIST" open "$A/load" w write $'1 1\n2 2\n1 3\n' close
_unchanged "$A" "$snap"
tail -n 1 "$A/errors" | grep -Eq "duplicate key: 1 (1 and 1 3|3 and 1 1)" ||
	_fail "duplicate not in errors: $(tail -n 1 "$A/errors")"
# After a failed close the same open file starts a new load.
_expect "OK OK EEXIST OK OK" open "$A/load" w write $'1 1\n1 1\n' fsync \
	write $'9 9\n' close
_content "$A/records" "9 9"
gen 5000 >"$A/load"
_unchanged "$A" "$snap"
# Random bytes and NUL bytes: refused, nothing changes.
head -c 200000 /dev/urandom >"$T/junk"
_expect_any "OK EINVAL EINVAL|OK OK EINVAL|OK OK EEXIST" open "$A/load" w \
	writefile "$T/junk" close
_unchanged "$A" "$snap"
printf '1 1\n2\0 2\n' >"$T/nul"
_expect "OK EINVAL EINVAL" open "$A/load" w writefile "$T/nul" close
_unchanged "$A" "$snap"
# The type changed while staging (possible only on an empty btree).
mkdir "$MNT/t"
_expect "OK OK OK OK OK OK EINVAL" open "$MNT/t/load" w write $'1 1\n' \
	open "$MNT/t/type" w write rmap close sel 0 close
_content "$MNT/t/type" rmap
_content "$MNT/t/records" ""
grep -q "type changed" "$MNT/t/errors" || _fail "type change not in errors"
rmdir "$MNT/t"

# ---- rmap and refcount ---------------------------------------------------------
mkdir "$MNT/r" "$MNT/c"
echo rmap >"$MNT/r/type"
echo refcount >"$MNT/c/type"
seq 0 49999 | awk '{ print ($1 % 1000) * 20, 5 + $1 % 7, 100 + int($1 / 1000), $1 % 13 }' >"$T/rmap"
cat "$T/rmap" >"$MNT/r/load"
mkdir "$MNT/r2"
echo rmap >"$MNT/r2/type"
cat "$T/rmap" >"$MNT/r2/insert"
cmp <(cat "$MNT/r/records") <(cat "$MNT/r2/records") ||
	_fail "rmap: loaded and inserted records differ"
_check "$MNT/r"
[ "$(_stat "$MNT/r" blocks)" -le "$(_stat "$MNT/r2" blocks)" ] ||
	_fail "rmap load took more blocks than inserts"
seq 0 29999 | awk '{ if ($1 % 2) print $1 * 10, 5, 2; else print $1 * 10, 3, 1, "cow" }' >"$T/refc"
cat "$T/refc" >"$MNT/c/load"
[ "$(_stat "$MNT/c" records)" = 30000 ] || _fail "refcount load"
_check "$MNT/c"
snap=$(_snap "$MNT/c")
_expect "OK OK EEXIST" open "$MNT/c/load" w \
	write $'100 10 2\n105 10 3\n' close
_unchanged "$MNT/c" "$snap"
grep -q "overlapping extent" "$MNT/c/errors" ||
	_fail "overlap not in errors"
rmdir "$MNT/r" "$MNT/r2" "$MNT/c"

# ---- readers during loads -----------------------------------------------------------
# Until a load commits, readers see the old btree whole.  A read of
# `records` that spans a commit goes on in the new btree after the last
# key it printed: every line is a record of one of the two, in key order,
# each key once.
seq 0 199999 | awk '{ print $1 * 3, 1 }' >"$T/old"
seq 0 199999 | awk '{ print $1 * 3 + 1, 2 }' >"$T/new"
cat "$T/old" >"$A/load"
hold_open "$A/load" "$T/new" 200000
for i in 1 2 3; do
	cmp -s <(cat "$A/records") "$T/old" ||
		_fail "a reader during staging did not see the old btree"
done
let_go
cmp -s <(cat "$A/records") "$T/new" || _fail "load did not commit"
(
	for i in 1 2 3 4 5 6 7 8; do
		if [ $((i % 2)) = 1 ]; then cat "$T/old"; else cat "$T/new"; fi >"$A/load" ||
			exit 1
	done
) &
loader=$!
_track $loader
sort -n -m "$T/old" "$T/new" >"$T/both"
for i in $(seq 1 10); do
	cat "$A/records" >"$T/seen.$i"
	sort -n -c -u -k1,1 "$T/seen.$i" ||
		_fail "a reader during loads: disorder"
done
_wait $loader || _fail "loader failed"
# (One awk for all ten reads: its table of both btrees is the cost.)
awk 'FILENAME == ARGV[1] { ok[$0] = 1; next }
	!($0 in ok) { print FILENAME ": " $0; exit 1 }' "$T/both" "$T"/seen.* ||
	_fail "a reader during loads saw a record of neither btree"
_check "$A"
_umount

# ---- ENOSPC ----------------------------------------------------------------------
_mount max_memory=1M
mkdir "$MNT/a"
gen 1000 >"$MNT/a/load"
snap=$(_snap "$MNT/a")
gen 65000 >"$T/big"
[ "$(stat -c %s "$T/big")" -lt 1048576 ] || _fail "test bug: one write"
_expect "OK ENOSPC ENOSPC" open "$MNT/a/load" w writefile "$T/big" close
_unchanged "$MNT/a" "$snap"
_check "$MNT/a"
# The memory the failed load took is back: a small load still fits.
gen 2000 >"$MNT/a/load"
[ "$(_stat "$MNT/a" records)" = 2000 ] || _fail "load after ENOSPC"
_umount
