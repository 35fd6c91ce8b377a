#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# rmdir_open.sh: removing a btree whose files are open (xfbtreefs(5),
# FILES: once a btree is removed, its files still open fail
# with ENOENT).  rmdir succeeds with insert, records, lookup, stats and a
# page open; afterwards writes and reads on them fail with ENOENT, also
# when a new btree of the same name exists (which stays empty); a records
# file half read fails the same way.  A rename is not a removal: open
# files follow the btree to its new name.  A writer streaming into a
# btree that is removed under it gets an error, and the daemon carries on.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

_mount
B=$MNT/b
mkdir "$B"
awk 'BEGIN { for (i = 0; i < 5000; i++) print i, i }' >"$B/insert"

exec 3>"$B/insert" 4<"$B/records" 5<>"$B/lookup" 6<"$B/stats" \
	7<"$B/pages/1" 8<"$B/errors"
_expect OK rmdir "$B"
_expect_errno ENOENT stat "$B"
[ -z "$(ls -A "$MNT")" ] || _fail "root not empty after rmdir"
_expect_errno ENOENT fd 3 write $'9 9\n'
_expect_errno ENOENT fd 4 read1 100
_expect_errno ENOENT fd 5 write $'eq 1\n'
_expect_errno ENOENT fd 6 read
_expect_errno ENOENT fd 7 read
_expect_errno ENOENT fd 8 read
# A new btree with the same name is another btree.
mkdir "$B"
_expect_errno ENOENT fd 3 write $'10 10\n'
_expect_errno ENOENT fd 4 read1 100
_content "$B/records" ""
_content "$B/type" kv
_check "$B"
exec 3>&- 4<&- 5>&- 6<&- 7<&- 8<&-
_content "$B/records" ""
[ "$(ls -A "$MNT")" = b ] || _fail "root lists $(ls -A "$MNT")"

# A records file half read, then the btree removed: the next read fails.
mkdir "$MNT/c"
awk 'BEGIN { for (i = 0; i < 50000; i++) print i, i }' >"$MNT/c/insert"
_expect "OK OK OK ENOENT" open "$MNT/c/records" r read1 4096 rmdir "$MNT/c" \
	read1 4096
# And a lookup answer half read.
mkdir "$MNT/c"
awk 'BEGIN { for (i = 0; i < 50000; i++) print i, i }' >"$MNT/c/insert"
_expect "OK OK OK OK ENOENT" open "$MNT/c/lookup" rw \
	write $'range 0 100000\n' read1 4096 rmdir "$MNT/c" read1 4096
# An unfinished line pending when the btree goes: close does not hang
# and nothing turns up anywhere.
mkdir "$MNT/c"
got=$(_probe open "$MNT/c/insert" w write $'1 1\n2' rmdir "$MNT/c" close)
[[ "$got" == "OK OK OK "* ]] || _fail "pending tail, rmdir, close: '$got'"
_expect_errno ENOENT stat "$MNT/c"

# A rename is not a removal: the open files follow the btree.
mkdir "$MNT/d"
exec 3>"$MNT/d/insert" 4<"$MNT/d/stats"
_expect OK rename "$MNT/d" "$MNT/e"
_expect "OK OK" fd 3 write $'5 50\n'
_content "$MNT/e/records" "5 50"
_expect "OK OK" fd 4 read
exec 3>&- 4<&-

# A writer streaming into a btree that goes away: it fails, the daemon
# does not.
mkdir "$MNT/f"
(seq 0 2000000 | awk '{ print $1, $1 }' >"$MNT/f/insert") 2>/dev/null &
writer=$!
_track "$writer"
for ((i = 0; i < 50; i++)); do
	[ "$(_stat "$MNT/f" records)" -lt 20000 ] || break
	sleep 0.1
done
_expect OK rmdir "$MNT/f"
status=0
_wait "$writer" || status=$?
[ "$status" -ne 0 ] || _fail "the writer did not notice its btree was gone"
_expect_errno ENOENT stat "$MNT/f"
mkdir "$MNT/f"
_write "$MNT/f/insert" $'1 1\n'
_content "$MNT/f/records" "1 1"
_check "$MNT/f"
_check "$MNT/e"
_check "$B"
