#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# html_file.sh: the tree.html file itself, without a browser (html.sh
# drives the page in one).  Its size is the number of bytes it reads
# (browsers trust the size of a regular file), in every btree type and
# an empty btree; it names no other file or address; it is made again
# after a change (insert, page write, type change, load), while a file
# opened before the change reads the page it opened with, whole; it is
# read-only (EACCES); a removed btree's open tree.html fails with ENOENT;
# and reads racing inserts always read one whole page.  (A stat is the
# page of its moment: a file open across a change reads its own page,
# which fstat no longer describes.)
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# same_size FILE: stat's size equals the bytes read.
same_size()
{
	local size got

	size=$(stat -c %s "$1")
	# (cat: wc -c on a file would take its size from fstat.)
	# shellcheck disable=SC2002
	got=$(cat "$1" | wc -c)
	[ "$size" -gt 0 ] || _fail "$1 has size 0"
	[ "$got" -eq "$size" ] || _fail "$1 reads $got bytes, stat says $size"
}

_mount blocksize=512 pages_writable

K=$MNT/kv
mkdir "$K"
same_size "$K/tree.html"
grep -q '0 records' "$K/tree.html" || _fail "an empty btree's page"
awk 'BEGIN { for (i = 1; i <= 1200; i++) print 3 * i, i * i }' >"$K/insert"
same_size "$K/tree.html"
size=$(stat -c %s "$K/tree.html")
cat "$K/tree.html" >"$T/k.html"
grep -q '^<!DOCTYPE html>' "$T/k.html" || _fail "tree.html is no HTML page"
grep -q '</html>$' "$T/k.html" || _fail "tree.html does not end its page"
# Self-contained: no other file, no address (only #fragments).
outside=$(grep -Eio '(src|href|action)="[^#"][^"]*"|<link|@import|url\(|https?:' \
	"$T/k.html" | head -3 || true)
[ -z "$outside" ] || _fail "tree.html refers to something outside: $outside"

# A reader keeps the page it opened; the next open sees the change.
exec 5<"$K/tree.html"
echo "1 1" >"$K/insert"
# (cat: wc -c would trust fstat, which gives the current page's size.)
[ "$(cat <&5 | wc -c)" -eq "$size" ] ||
	_fail "an open tree.html changed under its reader"
exec 5<&-
size2=$(stat -c %s "$K/tree.html")
[ "$size2" -ne "$size" ] || _fail "tree.html did not change after an insert"
same_size "$K/tree.html"
grep -q '1201 records' "$K/tree.html" || _fail "tree.html does not say 1201 records"

# A page written raw: the page shows the damage.
printf '\x55' | dd of="$K/pages/1" bs=1 seek=80 conv=notrunc 2>/dev/null
same_size "$K/tree.html"
grep -q 'check: damaged' "$K/tree.html" || _fail "a damaged block is not shown"
# A load replaces the btree: a new page.
awk 'BEGIN { for (i = 0; i < 5000; i++) print i, i }' >"$K/load"
same_size "$K/tree.html"
grep -q '5000 records' "$K/tree.html" || _fail "tree.html after a load"
grep -q 'check: ok' "$K/tree.html" || _fail "tree.html after a load: not ok"

_expect_errno EACCES open "$K/tree.html" w
_expect_errno EACCES open "$K/tree.html" rw

# The other types, and a type change of an empty btree.
for t in rmap refcount; do
	mkdir "$MNT/$t"
	echo "$t" >"$MNT/$t/type"
	same_size "$MNT/$t/tree.html"
	grep -q "<title>$t btree" "$MNT/$t/tree.html" || _fail "$t: the page's type"
done
echo "100 10 2" >"$MNT/refcount/insert"
echo "100 10 128 0" >"$MNT/rmap/insert"
same_size "$MNT/rmap/tree.html"
same_size "$MNT/refcount/tree.html"

# Removed while open: ENOENT, and the daemon lets the page go.
mkdir "$MNT/gone"
echo "1 1" >"$MNT/gone/insert"
_expect "OK OK ENOENT" open "$MNT/gone/tree.html" r rmdir "$MNT/gone" read

# Racing: inserts against stats and whole reads of fresh opens.
(
	for ((i = 0; i < 200; i++)); do
		echo "$((100000 + i)) $i" >"$K/insert"
	done
) &
writer=$!
_track "$writer"
for ((i = 0; i < 40; i++)); do
	cat "$K/tree.html" >"$T/race.html"
	if ! head -c 15 "$T/race.html" | grep -q '^<!DOCTYPE html>' ||
			! tail -c 8 "$T/race.html" | grep -q '</html>'; then
		_fail "a read of tree.html during inserts is not one whole page"
	fi
	stat -c %s "$K/tree.html" >/dev/null
done
_wait "$writer" || _fail "the writer failed"
same_size "$K/tree.html"
_check "$MNT/rmap"
